//! Defects found by trying issue 15's features as a kubectl/docker user would (`create job`,
//! `run --image`, `--dry-run`, `get -o …`, `--sort-by`), one regression test per defect,
//! named for it. The CLI cases run the real binary on a labelled test environment.

mod common;

use common::{stderr, stdout, TestEnv};
use dockjob::job::validate::validate_job;
use k8s_openapi::api::batch::v1::Job;
use serde_json::json;

/// The errors `validate_job` gives the name of a Job's one container, `container`.
fn container_name_errors(container: &str) -> Vec<String> {
    let job: Job = serde_json::from_value(json!({
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "ok"},
        "spec": {"template": {"spec": {
            "restartPolicy": "Never",
            "containers": [{"name": container, "image": "busybox"}]
        }}}
    }))
    .expect("a Job");
    validate_job(&job)
        .iter()
        .map(ToString::to_string)
        .filter(|e| e.starts_with("spec.template.spec.containers[0].name:"))
        .collect()
}

/// `create job a.b` and `create job <64 a's>` name the container after the Job: the API
/// server's errors are `IsDNS1123Label`'s own messages (apimachinery
/// `pkg/util/validation/validation.go`, given one by one by `ValidateDNS1123Label`), but
/// dockjob printed the regex text for both, which a name of 64 a's matches.
#[test]
fn container_name_too_long_or_dotted_gets_is_dns1123_label_messages() {
    let long = "a".repeat(64);
    let errors = container_name_errors(&long);
    assert_eq!(
        errors,
        [format!(
            "spec.template.spec.containers[0].name: Invalid value: \"{long}\": must be no more than 63 characters"
        )]
    );
    let errors = container_name_errors("a.b");
    assert_eq!(
        errors,
        ["spec.template.spec.containers[0].name: Invalid value: \"a.b\": must not contain dots"]
    );
    let errors = container_name_errors("A");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].contains("a lowercase RFC 1123 label must consist of"),
        "{errors:?}"
    );
}

/// `run NAME -f job.yaml` ran the manifest's Job under the manifest's name and dropped NAME
/// without a word (clap's `requires = "image"` did not hold it back). kubectl refuses extra
/// arguments to `create -f` (`Unexpected args: [NAME]`); dockjob says NAME goes with --image.
#[test]
fn run_name_with_filename_is_refused_not_ignored() {
    let env = TestEnv::new("qa-run-name-with-f");
    let manifest = env.write(
        "job.yaml",
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: from-file\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: c\n        image: busybox\n",
    );
    let manifest = manifest.to_str().expect("utf-8 path");
    let output = env.run(&[
        "run",
        "other",
        "-f",
        manifest,
        "--dry-run=client",
        "-o",
        "name",
    ]);
    assert_eq!(output.status.code(), Some(2), "{}", stdout(&output));
    assert_eq!(stdout(&output), "");
    assert_eq!(
        stderr(&output),
        "error: NAME goes with --image; with -f the manifest says what runs\n"
    );
    // Without NAME the manifest still runs as before.
    let output = env.run_ok(&["run", "-f", manifest, "--dry-run=client", "-o", "name"]);
    assert_eq!(stdout(&output), "job.batch/from-file\n");
}

/// `get jobs --sort-by=` failed with `couldn't find any field with path ""`; kubectl sorts
/// only when the flag is not empty (`get.go`: `if len(o.SortBy) > 0`), so an empty one is the
/// default order, in every format.
#[test]
fn get_sort_by_empty_is_no_sort() {
    let env = TestEnv::new("qa-sort-by-empty");
    let image = env.base_image();
    for name in ["b-second", "a-first"] {
        env.run_ok(&["create", "job", name, "--image", &image, "--", "true"]);
    }
    let sorted = env.run_ok(&["get", "jobs", "-o", "name"]);
    let unsorted = env.run_ok(&["get", "jobs", "-o", "name", "--sort-by="]);
    assert_eq!(stdout(&unsorted), stdout(&sorted));
    assert_eq!(stderr(&unsorted), "");
    let table = env.run_ok(&["get", "jobs", "--sort-by=", "--no-headers"]);
    assert_eq!(stdout(&table).lines().count(), 2, "{}", stdout(&table));
    // A path that finds nothing is still kubectl's error.
    let output = env.run(&["get", "jobs", "--sort-by=.nope"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr(&output),
        "error: couldn't find any field with path \"{.nope}\" in the list of objects\n"
    );
}

/// `get job.v1.batch NAME` (kubectl's fully specified RESOURCE.VERSION.GROUP) said "the
/// server doesn't have a resource type "job""; kubectl lists the Job.
#[test]
fn get_fully_specified_job_v1_batch_lists_the_job() {
    let env = TestEnv::new("qa-job-v1-batch");
    let image = env.base_image();
    env.run_ok(&["create", "job", "full", "--image", &image, "--", "true"]);
    let output = env.run_ok(&["get", "jobs.v1.batch", "full", "-o", "name"]);
    assert_eq!(stdout(&output), "job.batch/full\n");
    let output = env.run_ok(&["get", "job.v1.batch/full", "-o", "name"]);
    assert_eq!(stdout(&output), "job.batch/full\n");
    let output = env.run(&["get", "foo.v1.batch"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr(&output),
        "error: the server doesn't have a resource type \"foo\"\n"
    );
}

/// `--state-dir FILE/sub create job x --dry-run=server` said `created (server dry run)`, exit
/// 0, where the real create fails on that state directory: a path that cannot be looked at
/// was taken for "no store yet". A server dry run answers as the real command would
/// (kubectl's server dry run against an unreachable server fails too); a state directory
/// that does not exist yet still holds no Job and is not created.
#[test]
fn server_dry_run_with_unusable_state_dir_fails_as_the_real_create() {
    let env = TestEnv::new("qa-dry-run-state-dir");
    let file = env.write("not-a-dir", "");
    let unusable = file.join("sub");
    let unusable = unusable.to_str().expect("utf-8 path");
    let manifest = env.write(
        "job.yaml",
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: x\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: c\n        image: busybox\n",
    );
    let manifest = manifest.to_str().expect("utf-8 path");
    for args in [
        &[
            "create",
            "job",
            "x",
            "--image",
            "busybox",
            "--dry-run=server",
        ][..],
        &[
            "run",
            "x",
            "--image",
            "busybox",
            "--dry-run=server",
            "-o",
            "name",
        ][..],
        &["apply", "-f", manifest, "--dry-run=server"][..],
        &["create", "-f", manifest, "--dry-run=server"][..],
    ] {
        let mut command = env.dockjob();
        command.args(["--state-dir", unusable]).args(args);
        let output = command.output().expect("run dockjob");
        let real = env
            .dockjob()
            .args(["--state-dir", unusable, "get", "jobs"])
            .output()
            .expect("run dockjob");
        assert_eq!(output.status.code(), real.status.code(), "{args:?}");
        assert_eq!(stdout(&output), "", "{args:?}");
        assert_eq!(stderr(&output), stderr(&real), "{args:?}");
        assert!(
            stderr(&output).contains("Not a directory"),
            "{}",
            stderr(&output)
        );
    }
    let missing = env.dir.path().join("no-state-yet");
    let output = env
        .dockjob()
        .arg("--state-dir")
        .arg(&missing)
        .args([
            "create",
            "job",
            "x",
            "--image",
            "busybox",
            "--dry-run=server",
        ])
        .output()
        .expect("run dockjob");
    assert_eq!(stdout(&output), "job.batch/x created (server dry run)\n");
    assert!(!missing.exists());
}

/// `docker build -t myapp .` then `dockjob run --image myapp`: the image is on the engine,
/// but `:latest` (or no tag) defaults imagePullPolicy to Always, and a pull that cannot
/// succeed (registry unreachable here) kept the foreground run in ImagePullBackOff for ever
/// (killed after 60 s), saying every backoff that IfNotPresent would use the image. Issue 15
/// point 3: such a pull is final in a foreground run, exit 2, with one hint.
#[test]
fn run_image_present_but_pull_always_unreachable_ends() {
    let env = TestEnv::new("qa-always-present");
    let base = env.base_image();
    // A closed port: the registry of this name refuses connections.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let repository = format!("{closed}/dockjob-test/always-{}", env.id);
    env.block_on(env.docker().tag_image(
        &base,
        Some(bollard::query_parameters::TagImageOptions {
            repo: Some(repository.clone()),
            tag: Some("latest".into()),
        }),
    ))
    .expect("tag");
    let mut child = env
        .dockjob()
        .args(["run", "--image", &repository, "--", "true"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run dockjob");
    let started = std::time::Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if started.elapsed() > std::time::Duration::from_secs(60) {
            child.kill().expect("kill");
            child.wait().expect("reap");
            panic!("run did not end within 60 s: the pod waits in ImagePullBackOff");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let output = child.wait_with_output().expect("output");
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(err.contains("ErrImagePull"), "{err}");
    assert!(!err.contains("ImagePullBackOff"), "no backoff: {err}");
    let hints: Vec<&str> = err.lines().filter(|l| l.starts_with("hint: ")).collect();
    assert_eq!(hints.len(), 1, "{err}");
    assert!(
        hints[0].contains(&format!("the engine has {repository:?}")),
        "{}",
        hints[0]
    );
    assert!(hints[0].contains("imagePullPolicy: Always"), "{}", hints[0]);
}

/// A foreground `run` whose Job another command deleted (`run --replace` of the same name in
/// a second terminal) printed only `Interrupted: stopping 1 pod(s) gracefully …; press
/// Ctrl-C again`, though nobody pressed Ctrl-C. It now says first what happened.
#[test]
fn foreground_run_replaced_elsewhere_says_its_job_was_deleted() {
    let env = TestEnv::new("qa-replaced-elsewhere");
    let image = env.base_image();
    let first = env
        .dockjob()
        .args(["run", "held", "--image", &image, "--", "sh", "-c"])
        .arg("trap 'exit 0' TERM; echo started; sleep 60 & wait")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run dockjob");
    // Until the first run's pod is up.
    let started = std::time::Instant::now();
    loop {
        let pods = env.run_ok(&["get", "pods", "-l", "job-name=held", "-o", "name"]);
        if !stdout(&pods).is_empty() || started.elapsed() > std::time::Duration::from_secs(30) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let second = env.run_ok(&["run", "held", "--replace", "--image", &image, "--", "true"]);
    assert!(
        stderr(&second).contains("job.batch \"held\" deleted"),
        "{}",
        stderr(&second)
    );
    let first = first.wait_with_output().expect("first run");
    let err = stderr(&first);
    let why = err
        .find("job.batch/held was deleted by another command")
        .unwrap_or_else(|| panic!("says why: {err}"));
    let interrupted = err.find("Interrupted: stopping").unwrap_or(err.len());
    assert!(why < interrupted, "the reason before the stop line: {err}");
}

/// `create -f gen.yaml --dry-run=client` of a manifest with only `generateName` printed
/// `job.batch/gen-rpr7q created (dry run)` (`-o name`: `job.batch/gen-rpr7q`), a name made
/// up on the client that the printed object does not have and the real create will not use.
/// kubectl's client dry run sends nothing, so the name is empty (cli-runtime `NamePrinter`
/// prints `job.batch/`), as `run --image IMG --dry-run=client` already printed.
#[test]
fn client_dry_run_of_generate_name_prints_no_made_up_name() {
    let env = TestEnv::new("qa-dry-run-generate-name");
    let manifest = env.write(
        "gen.yaml",
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  generateName: gen-\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: c\n        image: busybox\n",
    );
    let manifest = manifest.to_str().expect("utf-8 path");
    let output = env.run_ok(&["create", "-f", manifest, "--dry-run=client"]);
    assert_eq!(stdout(&output), "job.batch/ created (dry run)\n");
    let output = env.run_ok(&["create", "-f", manifest, "--dry-run=client", "-o", "name"]);
    assert_eq!(stdout(&output), "job.batch/\n");
    let output = env.run_ok(&["run", "-f", manifest, "--dry-run=client", "-o", "name"]);
    assert_eq!(stdout(&output), "job.batch/\n");
    // The server dry run names it, as the API server does.
    let output = env.run_ok(&["create", "-f", manifest, "--dry-run=server", "-o", "name"]);
    let name = stdout(&output);
    assert!(
        name.starts_with("job.batch/gen-") && name.len() == "job.batch/gen-xxxxx\n".len(),
        "{name}"
    );
}
