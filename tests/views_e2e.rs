//! End to end on the real engine: `apply` → `get` → `logs -f` → `wait` → `describe` →
//! `delete`; a controller killed with SIGKILL mid-Job and adopted by the next command (and a
//! running pod's Node and IP in `describe pod`, checked with `docker inspect`, kept across the
//! controller's replacement); two concurrent applies of one name.

mod common;

use std::time::{Duration, Instant};

use common::{stderr, stdout, TestEnv};
use dockjob::store::Store;

/// A Job running `script` in the test's busybox image, labelled for cleanup.
fn job_yaml(env: &TestEnv, image: &str, name: &str, spec: &str, script: &str) -> String {
    format!(
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {name}\nspec:\n{spec}  template:\n    metadata:\n      labels:\n        io.dockjob.test: {id}\n    spec:\n      restartPolicy: Never\n      terminationGracePeriodSeconds: 1\n      containers:\n      - name: main\n        image: {image}\n        command: [\"sh\", \"-c\", {script:?}]\n",
        id = env.id
    )
}

fn store(env: &TestEnv) -> Store {
    Store::open(&env.dir.path().join("state")).expect("state store")
}

/// Rows of `get pods --no-headers` as (name, status).
fn pod_statuses(env: &TestEnv) -> Vec<(String, String)> {
    let out = env.run_ok(&["get", "pods", "--no-headers"]);
    stdout(&out)
        .lines()
        .map(|l| {
            let cells: Vec<&str> = l.split_whitespace().collect();
            (cells[0].to_string(), cells[2].to_string())
        })
        .collect()
}

/// `describe pod NAME`'s `Node:` and `IP:` values and its container's ID.
fn described_network(env: &TestEnv, pod: &str) -> (String, String, String) {
    let out = env.run_ok(&["describe", "pod", pod]);
    let text = stdout(&out);
    let value = |prefix: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(prefix))
            .map(|v| v.trim().to_string())
            .unwrap_or_else(|| panic!("no {prefix:?} line in:\n{text}"))
    };
    let id = value("    Container ID:");
    let id = id.strip_prefix("docker://").unwrap_or(&id).to_string();
    (value("Node:"), value("IP:"), id)
}

/// `docker` CLI output, trimmed.
fn docker(args: &[&str]) -> String {
    let out = std::process::Command::new("docker")
        .args(args)
        .output()
        .expect("the docker CLI");
    assert!(out.status.success(), "docker {args:?}: {}", stderr(&out));
    stdout(&out).trim().to_string()
}

#[test]
fn apply_get_logs_wait_describe_delete() {
    let env = TestEnv::new("viewsflow");
    let image = env.base_image();
    let manifest = job_yaml(
        &env,
        &image,
        "hello",
        "  completions: 2\n",
        "echo hello from $HOSTNAME; sleep 1; echo bye",
    );
    let path = env.write("job.yaml", &manifest);
    let path = path.to_str().unwrap();

    let out = env.run_ok(&["apply", "-f", path]);
    assert_eq!(stdout(&out), "job.batch/hello created\n");
    let out = env.run_ok(&["apply", "-f", path]);
    assert_eq!(stdout(&out), "job.batch/hello unchanged\n");
    let out = env.run(&["create", "-f", path]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        format!("Error from server (AlreadyExists): error when creating \"{path}\": jobs.batch \"hello\" already exists\n")
    );

    let out = env.run_ok(&["get", "jobs"]);
    let text = stdout(&out);
    assert!(
        text.starts_with("NAME    STATUS    COMPLETIONS   DURATION   AGE\nhello   Running   0/2 "),
        "{text}"
    );

    // logs -f of the Job's first pod streams until its container exits.
    let deadline = Instant::now() + Duration::from_secs(20);
    while pod_statuses(&env).is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = env.run_ok(&["logs", "-f", "job/hello"]);
    let logs = stdout(&out);
    assert!(logs.starts_with("hello from hello-"), "{logs}");
    assert!(logs.ends_with("bye\n"), "{logs}");

    let out = env.run_ok(&[
        "wait",
        "--for=condition=complete",
        "job/hello",
        "--timeout=60s",
    ]);
    assert_eq!(stdout(&out), "job.batch/hello condition met\n");
    let out = env.run(&[
        "wait",
        "--for=condition=failed",
        "job/hello",
        "--timeout=1s",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "error: timed out waiting for the condition on jobs/hello\n"
    );

    let statuses = pod_statuses(&env);
    assert_eq!(statuses.len(), 2, "{statuses:?}");
    assert!(
        statuses.iter().all(|(_, s)| s == "Completed"),
        "{statuses:?}"
    );
    let out = env.run_ok(&["get", "jobs"]);
    assert!(
        stdout(&out).contains("hello   Complete   2/2 "),
        "{}",
        stdout(&out)
    );

    let out = env.run_ok(&["describe", "job", "hello"]);
    let text = stdout(&out);
    assert!(
        text.starts_with("Name:             hello\nNamespace:        default\n"),
        "{text}"
    );
    assert!(
        text.contains("Pods Statuses:    0 Active (0 Ready) / 2 Succeeded / 0 Failed\n"),
        "{text}"
    );
    assert!(text.contains("  Normal  Completed         "), "{text}");
    let out = env.run_ok(&["describe", "pod", &statuses[0].0]);
    assert!(stdout(&out).contains("      Reason:       Completed\n      Exit Code:    0\n"));

    // A Job's logs come from one pod, chosen as kubectl does, and say so.
    let out = env.run_ok(&["logs", "job/hello"]);
    assert!(
        stderr(&out).starts_with("Found 2 pods, using pod/hello-"),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).ends_with("bye\n"));

    // --all-pods --prefix shows both pods' logs.
    let out = env.run_ok(&["logs", "job/hello", "--all-pods"]);
    assert_eq!(stdout(&out).matches("] bye").count(), 2, "{}", stdout(&out));

    assert_eq!(env.containers(&[]).len(), 2);
    let out = env.run_ok(&["delete", "job", "hello"]);
    assert_eq!(stdout(&out), "job.batch \"hello\" deleted\n");
    assert!(env.containers(&[]).is_empty());
    let out = env.run(&["get", "jobs"]);
    assert_eq!(stderr(&out), "No resources found in default namespace.\n");
    let out = env.run(&["delete", "job", "hello"]);
    assert_eq!(
        stderr(&out),
        "Error from server (NotFound): jobs.batch \"hello\" not found\n"
    );
}

#[test]
fn a_controller_killed_mid_job_is_replaced_and_adopts_the_running_containers() {
    let env = TestEnv::new("viewskill");
    let image = env.base_image();
    let manifest = job_yaml(
        &env,
        &image,
        "steps",
        "  completions: 3\n",
        "echo step $HOSTNAME; sleep 3",
    );
    let path = env.write("job.yaml", &manifest);
    env.run_ok(&["apply", "-f", path.to_str().unwrap()]);

    // Kill the controller (SIGKILL, no cleanup) once the first pod has completed.
    let store = store(&env);
    let uid = store.get_job("default", "steps").unwrap().unwrap().uid;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let job = store.get_job("default", "steps").unwrap().unwrap();
        let succeeded = job.job.status.and_then(|s| s.succeeded).unwrap_or(0);
        if succeeded >= 1 {
            break;
        }
        assert!(Instant::now() < deadline, "the first pod never completed");
        std::thread::sleep(Duration::from_millis(50));
    }

    // The running second pod: Node is the engine host at the pod network's gateway, IP the
    // container's address, as `docker inspect` tells them.
    // It is `ContainerCreating` until the engine's start returns (the kubelet's `Started`).
    let deadline = Instant::now() + Duration::from_secs(10);
    let running = loop {
        let running = pod_statuses(&env).into_iter().find(|(_, s)| s == "Running");
        if let Some((pod, _)) = running {
            break pod;
        }
        assert!(Instant::now() < deadline, "a second pod never ran");
        std::thread::sleep(Duration::from_millis(50));
    };
    // The address is read once the engine has started the container (in the background).
    let deadline = Instant::now() + Duration::from_secs(10);
    let (node, ip, id) = loop {
        let described = described_network(&env, &running);
        if !described.1.is_empty() || Instant::now() > deadline {
            break described;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let inspected_ip = docker(&[
        "inspect",
        "-f",
        "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
        &id,
    ]);
    let gateway = docker(&[
        "inspect",
        "-f",
        "{{range .NetworkSettings.Networks}}{{.Gateway}}{{end}}",
        &id,
    ]);
    assert!(!inspected_ip.is_empty(), "{id} has no address");
    assert_eq!(ip, inspected_ip);
    assert_eq!(
        node,
        format!("{}/{gateway}", docker(&["info", "-f", "{{.Name}}"]))
    );
    let out = env.run_ok(&["get", "pods", &running, "-o", "wide", "--no-headers"]);
    let cells: Vec<String> = stdout(&out)
        .split_whitespace()
        .map(str::to_string)
        .collect();
    assert_eq!(cells[5], ip, "{cells:?}");
    let lease = store
        .lease(&uid)
        .unwrap()
        .expect("the controller holds a lease");
    let killed = std::process::Command::new("kill")
        .args(["-9", &lease.pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());

    // The next command notices the silent lease and starts a new controller.
    std::thread::sleep(Duration::from_secs(11));
    env.run_ok(&["get", "jobs"]);
    let out = env.run_ok(&[
        "wait",
        "--for=condition=complete",
        "job/steps",
        "--timeout=60s",
    ]);
    assert_eq!(stdout(&out), "job.batch/steps condition met\n");

    let job = store.get_job("default", "steps").unwrap().unwrap();
    let status = job.job.status.unwrap();
    assert_eq!(status.succeeded, Some(3), "{status:?}");
    assert_eq!(status.failed, None, "{status:?}");
    // Exactly three pods and three containers: nothing re-run, nothing lost.
    let statuses = pod_statuses(&env);
    assert_eq!(statuses.len(), 3, "{statuses:?}");
    assert!(
        statuses.iter().all(|(_, s)| s == "Completed"),
        "{statuses:?}"
    );
    assert_eq!(env.containers(&[]).len(), 3);
    let log = std::fs::read_to_string(
        env.dir
            .path()
            .join("state/controllers")
            .join(format!("{uid}.log")),
    )
    .unwrap();
    assert!(log.contains("resuming: replaying"), "{log}");
    // Every pod kept the address it had while it ran, across the controller's replacement.
    let (_, kept, _) = described_network(&env, &running);
    assert_eq!(kept, ip);
    for (pod, _) in &statuses {
        let (pod_node, pod_ip, _) = described_network(&env, pod);
        assert_eq!(pod_node, node, "{pod}");
        assert!(
            pod_ip.parse::<std::net::IpAddr>().is_ok(),
            "{pod}: {pod_ip:?}"
        );
    }
    // The adopted pod shows its `Image ID:` as the others do: the new controller inspects
    // the image its container runs (issue 15: blank after a resume). cri-dockerd
    // `toPullableImageID`: an image without a repo digest is `docker://` and its ID.
    let inspected = env.block_on(env.docker().inspect_image(&image)).unwrap();
    let image_id = format!("docker://{}", inspected.id.unwrap());
    for (pod, _) in &statuses {
        let described = stdout(&env.run_ok(&["describe", "pod", pod]));
        assert!(
            described
                .lines()
                .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["Image", "ID:", &image_id]),
            "{pod}: {described}"
        );
    }
    env.run_ok(&["delete", "job", "steps"]);
}

#[test]
fn two_concurrent_applies_of_one_name_create_one_job() {
    let env = TestEnv::new("viewsrace");
    let image = env.base_image();
    let manifest = job_yaml(&env, &image, "race", "", "echo once");
    let path = env.write("job.yaml", &manifest);
    let path = path.to_str().unwrap();
    let children: Vec<_> = (0..2)
        .map(|_| {
            env.dockjob()
                .args(["apply", "-f", path])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut outputs: Vec<String> = children
        .into_iter()
        .map(|c| {
            let out = c.wait_with_output().unwrap();
            assert!(out.status.success(), "{}", stderr(&out));
            stdout(&out)
        })
        .collect();
    outputs.sort();
    assert_eq!(
        outputs,
        vec!["job.batch/race created\n", "job.batch/race unchanged\n"]
    );
    env.run_ok(&[
        "wait",
        "--for=condition=complete",
        "job/race",
        "--timeout=60s",
    ]);
    assert_eq!(pod_statuses(&env).len(), 1);
    assert_eq!(env.containers(&[]).len(), 1);
    env.run_ok(&["delete", "job", "race"]);
}

#[test]
fn apply_configured_suspends_and_resumes_the_running_job() {
    let env = TestEnv::new("viewssuspend");
    let image = env.base_image();
    let suspended = job_yaml(&env, &image, "later", "  suspend: true\n", "echo ran");
    let path = env.write("job.yaml", &suspended);
    let path = path.to_str().unwrap();
    env.run_ok(&["apply", "-f", path]);
    std::thread::sleep(Duration::from_secs(3));
    let out = env.run_ok(&["get", "jobs", "--no-headers"]);
    assert!(
        stdout(&out).starts_with("later   Suspended   0/1 "),
        "{}",
        stdout(&out)
    );
    let out = env.run(&["get", "pods"]);
    assert_eq!(stderr(&out), "No resources found in default namespace.\n");

    let resumed = job_yaml(&env, &image, "later", "  suspend: false\n", "echo ran");
    std::fs::write(path, resumed).unwrap();
    let out = env.run_ok(&["apply", "-f", path]);
    assert_eq!(stdout(&out), "job.batch/later configured\n");
    let out = env.run_ok(&[
        "wait",
        "--for=condition=complete",
        "job/later",
        "--timeout=60s",
    ]);
    assert_eq!(stdout(&out), "job.batch/later condition met\n");
    let out = env.run_ok(&["logs", "job/later"]);
    assert_eq!(stdout(&out), "ran\n");

    // The pod template is immutable: kubectl's error, naming the field.
    let changed = job_yaml(&env, &image, "later", "  suspend: false\n", "echo other");
    std::fs::write(path, changed).unwrap();
    let out = env.run(&["apply", "-f", path]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "The Job \"later\" is invalid: spec.template.spec.containers[0].command[2]: Invalid value: \"echo other\": field is immutable\n"
    );
    // --cascade=orphan forgets the Job but keeps its containers.
    let out = env.run_ok(&["delete", "job", "later", "--cascade=orphan"]);
    assert_eq!(stdout(&out), "job.batch \"later\" deleted\n");
    assert_eq!(env.containers(&[]).len(), 1);
}

/// Waits up to `limit` for `done`, polling every 100 ms.
fn eventually(limit: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Bugs: ttlSecondsAfterFinished was not enforced after a foreground `run`, nor when the
/// controller waiting for it died.
#[test]
fn ttl_after_a_foreground_run_is_enforced_even_if_its_controller_dies() {
    let env = TestEnv::new("viewsttl");
    let image = env.base_image();
    let manifest = job_yaml(
        &env,
        &image,
        "short",
        "  ttlSecondsAfterFinished: 14\n",
        "echo done",
    );
    let path = env.write("job.yaml", &manifest);
    let out = env.run_ok(&["--progress", "plain", "run", "-f", path.to_str().unwrap()]);
    assert!(
        stderr(&out).contains("(ttlSecondsAfterFinished)"),
        "{}",
        stderr(&out)
    );
    let store = store(&env);
    let uid = store.get_job("default", "short").unwrap().unwrap().uid;
    // As in Kubernetes, the finished Job and its pod stay until the TTL passes.
    assert_eq!(env.containers(&[]).len(), 1);

    // The detached controller waiting for the TTL dies; the next command starts another.
    let mut lease = None;
    eventually(
        Duration::from_secs(10),
        "the TTL controller's lease",
        || {
            lease = store.lease(&uid).unwrap();
            lease.is_some()
        },
    );
    let pid = lease.unwrap().pid.to_string();
    assert!(std::process::Command::new("kill")
        .args(["-9", &pid])
        .status()
        .unwrap()
        .success());
    std::thread::sleep(Duration::from_secs(11));
    env.run_ok(&["get", "jobs"]);

    eventually(Duration::from_secs(30), "the TTL to delete the Job", || {
        store.get_job("default", "short").unwrap().is_none()
    });
    assert!(env.containers(&[]).is_empty(), "the pod went with its Job");
    let out = env.run_ok(&["get", "jobs"]);
    assert_eq!(stdout(&out), "");
}

#[test]
fn ttl_zero_deletes_the_job_when_run_ends() {
    let env = TestEnv::new("viewsttl0");
    let image = env.base_image();
    let manifest = job_yaml(
        &env,
        &image,
        "gone",
        "  ttlSecondsAfterFinished: 0\n",
        "echo done",
    );
    let path = env.write("job.yaml", &manifest);
    let out = env.run_ok(&["run", "-f", path.to_str().unwrap()]);
    assert_eq!(stdout(&out), "done\n");
    assert!(env.containers(&[]).is_empty());
    assert!(store(&env).get_job("default", "gone").unwrap().is_none());
}
