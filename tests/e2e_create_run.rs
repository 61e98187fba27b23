//! Issue 15, points 1–3 and `--dry-run`: a kubectl user's first commands, against the real
//! engine, with kubectl's texts from Kubernetes' sources (file and function cited at each).
//!
//! - `create job NAME --image IMG -- CMD` and `run [NAME] --image IMG -- CMD`; the client
//!   dry run of `create job` compared with kubectl itself.
//! - AlreadyExists for `create -f FILE`, `create -f -`, `create job`, `run`, and
//!   `run --replace`.
//! - `--dry-run=client|server` on `create`, `apply`, `run`: nothing stored or run.
//!
//! Images that cannot be had are `tests/e2e_run_images.rs`.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::{stderr, stdout, TestEnv};

fn job_yaml(name: &str, image: &str, extra_spec: &str, script: &str) -> String {
    format!(
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {name}\nspec:\n{extra_spec}  \
         backoffLimit: 0\n  template:\n    spec:\n      restartPolicy: Never\n      \
         terminationGracePeriodSeconds: 1\n      containers:\n      - name: main\n        \
         image: {image}\n        command: [/bin/sh, -c, '{script}']\n"
    )
}

/// `kubectl ARGS…` without a cluster (client-side only).
fn kubectl(args: &[&str]) -> String {
    let out = Command::new("kubectl")
        .env("KUBECONFIG", "/dev/null")
        .args(args)
        .output()
        .expect("kubectl (in the machine image) must be installed");
    assert!(out.status.success(), "kubectl {args:?}: {}", stderr(&out));
    stdout(&out)
}

/// The names of the stored Jobs (`get jobs -o name`).
fn job_names(env: &TestEnv) -> String {
    stdout(&env.run_ok(&["get", "jobs", "-o", "name"]))
}

/// `create job`'s object is kubectl's `CreateJobOptions.createJob`
/// (staging/src/k8s.io/kubectl/pkg/cmd/create/create_job.go) and its client dry run prints
/// what kubectl prints, `-o yaml|json|name` and the `created (dry run)` line
/// (`PrintFlagsWithDryRunStrategy`, staging/src/k8s.io/kubectl/pkg/cmd/util/helpers.go):
/// compared with kubectl itself, byte for byte. `run --image` makes the same object.
#[test]
fn create_job_client_dry_run_is_kubectls() {
    let env = TestEnv::new("cr-client");
    for output in [None, Some("yaml"), Some("json"), Some("name")] {
        let mut args = vec!["create", "job", "x", "--image=busybox", "--dry-run=client"];
        args.extend(output.iter().flat_map(|o| ["-o", *o]));
        args.extend(["--", "echo", "hi"]);
        let ours = stdout(&env.run_ok(&args));
        assert_eq!(ours, kubectl(&args), "{args:?}");
    }
    let args = [
        "-n",
        "team",
        "create",
        "job",
        "x",
        "--image=busybox",
        "--dry-run=client",
        "-o",
        "yaml",
    ];
    assert_eq!(stdout(&env.run_ok(&args)), kubectl(&args));
    // `run NAME --image` makes `create job`'s object.
    let ours = env.run_ok(&[
        "run",
        "x",
        "--image=busybox",
        "--dry-run=client",
        "-o",
        "yaml",
        "--",
        "date",
    ]);
    let theirs = kubectl(&[
        "create",
        "job",
        "x",
        "--image=busybox",
        "--dry-run=client",
        "-o",
        "yaml",
        "--",
        "date",
    ]);
    assert_eq!(stdout(&ours), theirs);
    assert_eq!(job_names(&env), "", "a dry run stores nothing");
}

/// kubectl's `GetDryRunStrategy` (staging/src/k8s.io/kubectl/pkg/cmd/util/helpers.go).
#[test]
fn dry_run_values_as_kubectl() {
    let env = TestEnv::new("cr-dryvalues");
    let out = env.run(&["create", "job", "x", "--image=busybox", "--dry-run=maybe"]);
    assert_ne!(out.status.code(), Some(0));
    assert_eq!(
        stderr(&out),
        "error: Invalid dry-run value (maybe). Must be \"none\", \"server\", or \"client\".\n"
    );
    let out = env.run_ok(&["create", "job", "x", "--image=busybox", "--dry-run"]);
    assert_eq!(stdout(&out), "job.batch/x created (dry run)\n");
    assert!(
        stderr(&out).contains("--dry-run is deprecated and can be replaced with --dry-run=client.")
    );
    // `create` with neither -f nor a kind: cli-runtime's builder (pkg/resource/builder.go).
    let out = env.run(&["create"]);
    assert_eq!(stderr(&out), "error: must specify one of -f and -k\n");
}

/// `create job NAME --image IMG -- CMD` runs; a second one is `create job`'s AlreadyExists:
/// its `Run` wraps the error (`fmt.Errorf("failed to create job: %v", err)`, create_job.go)
/// and `checkErr` (util/helpers.go) prints a wrapped error with `error: `.
#[test]
fn create_job_runs_the_image_and_refuses_a_taken_name() {
    let env = TestEnv::new("cr-createjob");
    let image = env.base_image();
    let name = format!("cj-{}", std::process::id());
    let out = env.run_ok(&[
        "create",
        "job",
        &name,
        "--image",
        &image,
        "--backoff-scale",
        "0.01",
        "--",
        "echo",
        "hello from create job",
    ]);
    assert_eq!(stdout(&out), format!("job.batch/{name} created\n"));
    let target = format!("job/{name}");
    env.run_ok(&["wait", "--for=condition=complete", &target, "--timeout=60s"]);
    let out = env.run_ok(&["logs", &target]);
    assert_eq!(stdout(&out), "hello from create job\n");

    let out = env.run(&["create", "job", &name, "--image", &image]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        format!("error: failed to create job: jobs.batch \"{name}\" already exists\n")
    );
    // A server dry run asks the store: the same refusal, nothing changed.
    let out = env.run(&[
        "create",
        "job",
        &name,
        "--image",
        &image,
        "--dry-run=server",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("already exists"), "{}", stderr(&out));
    env.run_ok(&["delete", "job", &name]);
}

/// `create -f` of a taken name: `AddSourceToErr("creating", info.Source, err)` and
/// `StandardErrorMessage` (staging/src/k8s.io/kubectl/pkg/cmd/util/helpers.go, called from
/// `CreateOptions.RunCreate`, staging/src/k8s.io/kubectl/pkg/cmd/create/create.go); from
/// stdin the source is `STDIN` (cli-runtime's `FileVisitorForSTDIN`).
#[test]
fn create_from_a_file_or_stdin_refuses_a_taken_name() {
    let env = TestEnv::new("cr-createf");
    let image = env.base_image();
    let manifest = job_yaml("taken", &image, "", "true");
    let path = env.write("job.yaml", &manifest);
    let path = path.to_str().unwrap();
    let out = env.run_ok(&["create", "-f", path]);
    assert_eq!(stdout(&out), "job.batch/taken created\n");

    let out = env.run(&["create", "-f", path]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        format!("Error from server (AlreadyExists): error when creating \"{path}\": jobs.batch \"taken\" already exists\n")
    );
    let mut child = env
        .dockjob()
        .args(["create", "-f", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("dockjob");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(manifest.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "Error from server (AlreadyExists): error when creating \"STDIN\": jobs.batch \"taken\" already exists\n"
    );
    env.run_ok(&["delete", "job", "taken"]);
}

/// `run --image IMG -- CMD` is one line; `run NAME` of a taken name (finished too) is
/// kubectl's AlreadyExists (for `-f`, with the file, as `create -f`), and `--replace`
/// deletes the old Job and its pods first.
#[test]
fn run_image_in_one_line_already_exists_and_replace() {
    let env = TestEnv::new("cr-run");
    let image = env.base_image();
    let out = env.run_ok(&[
        "--progress",
        "plain",
        "run",
        "--image",
        &image,
        "--",
        "echo",
        "hi",
    ]);
    assert_eq!(stdout(&out), "hi\n");
    // Named after the image: `dockjob-test/busybox-<id>:1` → `busybox-<id>-xxxxx`.
    let names = job_names(&env);
    let prefix = format!("job.batch/busybox-{}-", env.id);
    assert!(
        names.starts_with(&prefix) && names.trim_end().len() == prefix.len() + 5,
        "{names}"
    );
    env.run_ok(&[
        "--progress",
        "plain",
        "run",
        "--image",
        &image,
        "--",
        "true",
    ]);
    assert_eq!(
        job_names(&env).lines().count(),
        2,
        "every unnamed run is a new Job"
    );

    let out = env.run_ok(&[
        "--progress",
        "plain",
        "run",
        "again",
        "--image",
        &image,
        "--",
        "echo",
        "one",
    ]);
    assert_eq!(stdout(&out), "one\n");
    let out = env.run(&[
        "--progress",
        "plain",
        "run",
        "again",
        "--image",
        &image,
        "--",
        "echo",
        "two",
    ]);
    assert_eq!(out.status.code(), Some(1));
    // kubectl run's create error, returned as is (run.go `createGeneratedObject`) and
    // printed by `StandardErrorMessage`.
    assert_eq!(
        stderr(&out),
        "Error from server (AlreadyExists): jobs.batch \"again\" already exists\n"
    );
    assert_eq!(stdout(&out), "", "nothing ran");
    let first_containers = env.containers(&["batch.kubernetes.io/job-name=again"]);
    assert_eq!(first_containers.len(), 1);

    let out = env.run_ok(&[
        "--progress",
        "plain",
        "run",
        "again",
        "--replace",
        "--image",
        &image,
        "--",
        "echo",
        "two",
    ]);
    assert_eq!(stdout(&out), "two\n");
    assert!(
        stderr(&out).starts_with("job.batch \"again\" deleted\n"),
        "{}",
        stderr(&out)
    );
    let containers = env.containers(&["batch.kubernetes.io/job-name=again"]);
    assert_eq!(containers.len(), 1, "the old pod's container is gone");
    assert_ne!(containers[0].id, first_containers[0].id);

    let manifest = job_yaml("fromfile", &image, "", "echo file");
    let path = env.write("job.yaml", &manifest);
    let path = path.to_str().unwrap();
    env.run_ok(&["--progress", "plain", "run", "-f", path]);
    let out = env.run(&["--progress", "plain", "run", "-f", path]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        format!("Error from server (AlreadyExists): error when creating \"{path}\": jobs.batch \"fromfile\" already exists\n")
    );
    // What runs is the manifest's: pod flags with -f are refused.
    let out = env.run(&["run", "-f", path, "--", "echo", "x"]);
    assert_eq!(out.status.code(), Some(2));
}

/// `--dry-run=server`: the Job as the API server would return it (defaulted: selector,
/// labels, uid, `status: {}`), nothing stored, nothing run; `apply --dry-run` reports
/// created / configured / unchanged with kubectl's `(dry run)` / `(server dry run)`
/// suffixes (`PrintFlagsWithDryRunStrategy`, util/helpers.go) and keeps the immutable-field
/// error (`checkErr`'s Invalid branch, util/helpers.go).
#[test]
fn dry_runs_store_nothing() {
    let env = TestEnv::new("cr-dryrun");
    let image = env.base_image();
    let manifest = job_yaml("dry", &image, "  parallelism: 1\n", "sleep 30");
    let path = env.write("job.yaml", &manifest);
    let path = path.to_str().unwrap();

    let out = env.run_ok(&["create", "-f", path, "--dry-run=server", "-o", "json"]);
    let job: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert_eq!(job["metadata"]["namespace"], "default");
    assert!(job["metadata"]["uid"].is_string());
    assert_eq!(job["spec"]["backoffLimit"], 0);
    assert_eq!(job["spec"]["completionMode"], "NonIndexed", "defaulted");
    assert!(
        job["spec"]["selector"]["matchLabels"].is_object(),
        "defaulted"
    );
    assert_eq!(
        job["spec"]["template"]["spec"]["containers"][0]["terminationMessagePath"],
        "/dev/termination-log"
    );
    assert_eq!(job["status"], serde_json::json!({}));
    let out = env.run_ok(&["create", "-f", path, "--dry-run=client", "-o", "yaml"]);
    let given = stdout(&out);
    assert!(given.contains("  namespace: default\n"), "{given}");
    assert!(!given.contains("selector"), "as written: {given}");
    let out = env.run_ok(&["apply", "-f", path, "--dry-run=client"]);
    assert_eq!(stdout(&out), "job.batch/dry created (dry run)\n");
    let out = env.run_ok(&["run", "-f", path, "--dry-run=server"]);
    assert_eq!(stdout(&out), "job.batch/dry created (server dry run)\n");
    assert!(
        !env.dir.path().join("state").exists(),
        "no state directory made"
    );
    assert_eq!(job_names(&env), "");
    assert!(env.containers(&[]).is_empty(), "nothing ran");

    env.run_ok(&["apply", "-f", path]);
    let out = env.run_ok(&["apply", "-f", path, "--dry-run=server"]);
    assert_eq!(stdout(&out), "job.batch/dry unchanged (server dry run)\n");
    let scaled = path.replace("job.yaml", "scaled.yaml");
    std::fs::write(
        &scaled,
        manifest.replace("parallelism: 1", "parallelism: 2"),
    )
    .unwrap();
    let out = env.run_ok(&["apply", "-f", &scaled, "--dry-run=server"]);
    assert_eq!(stdout(&out), "job.batch/dry configured (server dry run)\n");
    let stored = stdout(&env.run_ok(&["get", "job", "dry", "-o", "json"]));
    let stored: serde_json::Value = serde_json::from_str(&stored).unwrap();
    assert_eq!(
        stored["spec"]["parallelism"], 1,
        "the dry run changed nothing"
    );

    let changed = path.replace("job.yaml", "changed.yaml");
    std::fs::write(&changed, manifest.replace("sleep 30", "sleep 31")).unwrap();
    let out = env.run(&["apply", "-f", &changed, "--dry-run=server"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "The Job \"dry\" is invalid: spec.template.spec.containers[0].command[2]: Invalid value: \"sleep 31\": field is immutable\n"
    );
    // The client knows no more than the patch it would send.
    let out = env.run_ok(&["apply", "-f", &changed, "--dry-run=client"]);
    assert_eq!(stdout(&out), "job.batch/dry configured (dry run)\n");
    // Without a dry run: the same immutable-field error.
    let out = env.run(&["apply", "-f", &changed]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).ends_with(": field is immutable\n"));
    env.run_ok(&["delete", "job", "dry"]);
}
