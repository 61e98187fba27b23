//! `--scheduler swarm` on a real 3-node swarm (tests/swarm/harness: private dockerds in their
//! own network namespaces, a registry on their bridge): the sample Job widened to 6
//! completions spreads over the nodes, a failing Job stops at its backoffLimit, `delete`
//! leaves no service, and a pod whose node goes down is lost once and counted as failed.

mod common;

use std::path::Path;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use common::swarm::TestSwarm;
use common::{assert_ok, make_busybox_rootfs, stderr, stdout, TestEnv};

/// `dockjob -H MANAGER ARGS…` with this test's state dir.
fn dockjob(env: &TestEnv, swarm: &TestSwarm, args: &[&str]) -> Output {
    env.dockjob()
        .args(["-H", &swarm.manager])
        .args(args)
        .output()
        .unwrap()
}

/// `dockjob -H MANAGER --scheduler swarm --progress plain run EXTRA… -f PATH`.
fn run_on_swarm(env: &TestEnv, swarm: &TestSwarm, path: &Path, extra: &[&str]) -> Output {
    let path = path.to_str().unwrap();
    let mut args = vec!["--scheduler", "swarm", "--progress", "plain", "run"];
    args.extend_from_slice(extra);
    args.extend(["-f", path]);
    dockjob(env, swarm, &args)
}

fn job_yaml(name: &str, image: &str, spec: &str, pod: &str, args: &str) -> String {
    format!(
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {name}\nspec:\n{spec}  template:\n    spec:\n{pod}      restartPolicy: Never\n      containers:\n      - name: main\n        image: {image}\n        args: {args}\n"
    )
}

#[test]
fn jobs_run_on_a_swarm_with_the_controllers_rules() {
    let swarm = TestSwarm::start(3);
    let env = TestEnv::new("swarm");

    // The sample image, built on the manager from a busybox stand-in and pushed to the
    // registry every node pulls from.
    let rootfs = env.dir.path().join("rootfs");
    make_busybox_rootfs(&rootfs);
    let standin = "dockjob-local/alpine-standin:3.10.3";
    assert_ok(
        "image import",
        &dockjob(
            &env,
            &swarm,
            &[
                "--progress",
                "quiet",
                "image",
                "import",
                rootfs.to_str().unwrap(),
                "-t",
                standin,
            ],
        ),
    );
    let image = format!("{}/uzimihsr/uzimihsr-sample-image:0.1", swarm.registry);
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("images/uzimihsr-sample-image");
    let substitute = format!("alpine:3.10.3=docker-image://{standin}");
    let built = dockjob(
        &env,
        &swarm,
        &[
            "--progress",
            "plain",
            "build",
            sample.to_str().unwrap(),
            "-t",
            &image,
            "--build-context",
            &substitute,
            "--push",
        ],
    );
    assert_ok("build --push on the manager", &built);

    // The seed's Job, widened: 6 completions, 3 at a time.
    let job = job_yaml(
        "echo-number",
        &image,
        "  completions: 6\n  parallelism: 3\n  backoffLimit: 1\n",
        "",
        r#"["-c", "echo ${NUMBER}"]"#,
    );
    let path = env.write("echo.yaml", &job);
    let run = run_on_swarm(&env, &swarm, &path, &[]);
    assert_ok("run --scheduler swarm", &run);
    assert_eq!(
        stdout(&run).lines().filter(|l| *l == "777").count(),
        6,
        "{}",
        stdout(&run)
    );

    // Later commands need no flag: the Job remembers its scheduler.
    let pods = dockjob(&env, &swarm, &["get", "pods", "-o", "wide", "--no-headers"]);
    let pods = stdout(&pods);
    let rows: Vec<Vec<&str>> = pods
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(rows.len(), 6, "{pods}");
    assert!(rows.iter().all(|r| r[2] == "Completed"), "{pods}");
    let nodes: std::collections::BTreeSet<&str> = rows.iter().map(|r| r[6]).collect();
    assert!(
        nodes.len() >= 2 && nodes.iter().all(|n| n.starts_with("node")),
        "{pods}"
    );
    assert!(
        rows.iter().all(|r| r[5].starts_with("10.")),
        "every pod has an address: {pods}"
    );
    for row in &rows {
        let logs = dockjob(&env, &swarm, &["logs", row[0]]);
        assert_eq!(stdout(&logs), "777\n", "{}", stderr(&logs));
    }
    let events = stdout(&dockjob(&env, &swarm, &["get", "events"]));
    assert!(
        events.contains("Successfully assigned default/echo-number-"),
        "{events}"
    );

    // A failing Job with backoffLimit 1: exactly two failed pods.
    let failing = job_yaml(
        "fails",
        &image,
        "  backoffLimit: 1\n",
        "",
        r#"["-c", "exit 3"]"#,
    );
    let path = env.write("fails.yaml", &failing);
    let run = run_on_swarm(&env, &swarm, &path, &["--backoff-scale", "0.01"]);
    assert_eq!(run.status.code(), Some(1), "{}", stderr(&run));
    assert!(
        stderr(&run).contains("BackoffLimitExceeded"),
        "{}",
        stderr(&run)
    );
    let pods = stdout(&dockjob(
        &env,
        &swarm,
        &[
            "get",
            "pods",
            "-l",
            "batch.kubernetes.io/job-name=fails",
            "--no-headers",
        ],
    ));
    assert_eq!(
        pods.lines().filter(|l| l.contains(" Error ")).count(),
        2,
        "{pods}"
    );
    assert_eq!(pods.lines().count(), 2, "{pods}");

    // `logs` of a pod whose service is gone: kubectl's NotFound (apimachinery `NewNotFound`,
    // printed by kubectl `checkErr`), exit 1. Bug (issue 15): the Swarm log reader took the
    // 404 for the end of the logs, so it printed nothing and exited 0.
    let services = swarm.docker(&[
        "service",
        "ls",
        "-q",
        "--filter",
        "label=batch.kubernetes.io/job-name=fails",
    ]);
    assert_eq!(services.split_whitespace().count(), 2, "{services}");
    for service in services.split_whitespace() {
        swarm.docker(&["service", "rm", service]);
    }
    let pod = pods.split_whitespace().next().unwrap();
    let logs = dockjob(&env, &swarm, &["logs", pod]);
    assert_eq!(logs.status.code(), Some(1), "{}", stderr(&logs));
    assert_eq!(
        stderr(&logs),
        format!("Error from server (NotFound): pods \"{pod}\" not found\n")
    );

    // Issue 18: a Secret in the Job's file feeds its env on the swarm too (dockjob resolves
    // it); a secret volume is refused naming the field.
    let with_env = format!(
        "apiVersion: v1\nkind: Secret\nmetadata: {{name: token}}\nstringData: {{value: from-a-secret}}\n---\n{}\
         \x20       env:\n        - name: T\n          valueFrom: {{secretKeyRef: {{name: token, key: value}}}}\n",
        job_yaml("env-from", &image, "", "", r#"["-c", "echo $T"]"#)
    );
    let path = env.write("env-from.yaml", &with_env);
    let run = run_on_swarm(&env, &swarm, &path, &[]);
    assert_ok("run env-from", &run);
    assert!(stdout(&run).contains("from-a-secret"), "{}", stdout(&run));
    let with_volume = job_yaml(
        "volume",
        &image,
        "",
        "      volumes: [{name: v, secret: {secretName: token}}]\n",
        r#"["-c", "true"]"#,
    );
    let path = env.write("volume.yaml", &with_volume);
    let run = run_on_swarm(&env, &swarm, &path, &[]);
    assert_eq!(run.status.code(), Some(2), "{}", stderr(&run));
    assert!(
        stderr(&run)
            .contains("spec.template.spec.volumes[0].secret: not supported with --scheduler swarm"),
        "{}",
        stderr(&run)
    );

    // delete leaves no service behind.
    for name in ["echo-number", "fails", "env-from"] {
        assert_ok("delete", &dockjob(&env, &swarm, &["delete", "job", name]));
    }
    let services = swarm.docker(&[
        "service",
        "ls",
        "-q",
        "--filter",
        "label=batch.kubernetes.io/job-name",
    ]);
    assert_eq!(services.trim(), "", "services left: {services}");

    // A controller killed with SIGKILL mid-Job: the next command starts another, which
    // adopts the running tasks by label; nothing is run twice or lost.
    let steps = job_yaml(
        "steps",
        &image,
        "  completions: 3\n",
        "",
        r#"["-c", "echo step; sleep 3"]"#,
    );
    let path = env.write("steps.yaml", &steps);
    assert_ok(
        "apply",
        &dockjob(
            &env,
            &swarm,
            &[
                "--scheduler",
                "swarm",
                "apply",
                "-f",
                path.to_str().unwrap(),
            ],
        ),
    );
    let store = dockjob::store::Store::open(&env.dir.path().join("state")).unwrap();
    let uid = store.get_job("default", "steps").unwrap().unwrap().uid;
    let deadline = Instant::now() + Duration::from_secs(60);
    while store
        .get_job("default", "steps")
        .unwrap()
        .unwrap()
        .job
        .status
        .and_then(|s| s.succeeded)
        .unwrap_or(0)
        < 1
    {
        assert!(Instant::now() < deadline, "the first pod never completed");
        std::thread::sleep(Duration::from_millis(100));
    }
    let lease = store
        .lease(&uid)
        .unwrap()
        .expect("the controller holds a lease");
    let killed = std::process::Command::new("kill")
        .args(["-9", &lease.pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    std::thread::sleep(Duration::from_secs(11));
    assert_ok(
        "get jobs (revives the controller)",
        &dockjob(&env, &swarm, &["get", "jobs"]),
    );
    let waited = dockjob(
        &env,
        &swarm,
        &[
            "wait",
            "--for=condition=complete",
            "job/steps",
            "--timeout=90s",
        ],
    );
    assert_ok("wait", &waited);
    let status = store
        .get_job("default", "steps")
        .unwrap()
        .unwrap()
        .job
        .status
        .unwrap();
    assert_eq!(
        (status.succeeded, status.failed),
        (Some(3), None),
        "{status:?}"
    );
    let services = swarm.docker(&[
        "service",
        "ls",
        "-q",
        "--filter",
        "label=batch.kubernetes.io/job-name=steps",
    ]);
    assert_eq!(
        services.lines().count(),
        3,
        "exactly three pods ran: {services}"
    );
    assert_ok(
        "delete",
        &dockjob(&env, &swarm, &["delete", "job", "steps"]),
    );

    // A worker goes down under a running pod: the pod is lost once and counted as failed.
    let pinned = job_yaml(
        "lost",
        &image,
        "  backoffLimit: 0\n",
        "      nodeName: node3\n",
        r#"["-c", "echo up; sleep 600"]"#,
    );
    let path = env.write("lost.yaml", &pinned);
    let mut child = env
        .dockjob()
        .env("DOCKJOB_SWARM_NODE_LOST_AFTER", "1")
        .args([
            "-H",
            &swarm.manager,
            "--scheduler",
            "swarm",
            "--progress",
            "plain",
            "run",
            "--backoff-scale",
            "0.01",
            "-f",
            path.to_str().unwrap(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let tasks = swarm.docker(&[
            "service",
            "ps",
            "--filter",
            "desired-state=running",
            "--format",
            "{{.Node}} {{.CurrentState}}",
            "-q",
        ]);
        let running = swarm.docker(&[
            "service",
            "ls",
            "--filter",
            "label=batch.kubernetes.io/job-name=lost",
            "--format",
            "{{.Replicas}}",
        ]);
        if running.starts_with("1/1") || tasks.contains("node3 Running") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the pinned pod never ran on node3: {running}"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    swarm.stop_node(3);
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("run did not end after its node went down");
        }
        std::thread::sleep(Duration::from_millis(250));
    };
    let output = child.wait_with_output().unwrap();
    assert_eq!(status.code(), Some(1), "{}", stderr(&output));
    let text = stderr(&output);
    assert!(text.contains("BackoffLimitExceeded"), "{text}");
    let pods = stdout(&dockjob(
        &env,
        &swarm,
        &[
            "get",
            "pods",
            "-l",
            "batch.kubernetes.io/job-name=lost",
            "--no-headers",
        ],
    ));
    assert_eq!(pods.lines().count(), 1, "lost once, no second pod: {pods}");
    let described = stdout(&dockjob(&env, &swarm, &["describe", "job", "lost"]));
    assert!(described.contains("0 Succeeded / 1 Failed"), "{described}");
    let events = stdout(&dockjob(&env, &swarm, &["get", "events"]));
    assert!(events.contains("node3 went down"), "{events}");
}
