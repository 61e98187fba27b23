//! Pods with several containers on the real engine (issue: the Job controller): the
//! containers of a pod share `localhost`, the hostname and emptyDir volumes through the pod's
//! sandbox, a failing container fails its one pod, an OnFailure restart rejoins the pod's
//! network, and the views show every container (and the sandbox's address as the pod's).

mod common;

use common::{stderr, stdout, TestEnv};

/// A Job whose pod runs `containers` (indented YAML list items) on this test's busybox base
/// (`IMAGE` in them is replaced by it).
fn write_job(env: &TestEnv, name: &str, spec: &str, pod: &str, containers: &str) -> String {
    let manifest = format!(
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {name}\nspec:\n{spec}  template:\n    \
         metadata:\n      labels:\n        io.dockjob.test: {id}\n    spec:\n{pod}      containers:\n{containers}",
        id = env.id,
        containers = containers.replace("IMAGE", &env.base_image()),
    );
    let path = env.write(&format!("{name}.yaml"), &manifest);
    path.to_str().unwrap().to_string()
}

fn pod_names(env: &TestEnv) -> Vec<String> {
    let out = env.run_ok(&["get", "pods", "-o", "name"]);
    let mut names: Vec<String> = stdout(&out)
        .lines()
        .map(|l| l.trim_start_matches("pod/").to_string())
        .collect();
    names.sort();
    names
}

#[test]
fn containers_of_a_pod_share_localhost_the_hostname_and_empty_dirs() {
    let env = TestEnv::new("mcshare");
    // a serves one line on 127.0.0.1:8080 and leaves a file in the emptyDir; b fetches the
    // line over localhost (retrying until a listens) and reads the file.
    let containers = r#"      - name: a
        image: IMAGE
        imagePullPolicy: Never
        volumeMounts: [{name: shared, mountPath: /shared}]
        command: ["sh", "-c", "echo from-a > /shared/note; echo hello-over-localhost | nc -l -p 8080; echo a-host=$(hostname)"]
      - name: b
        image: IMAGE
        imagePullPolicy: Never
        volumeMounts: [{name: shared, mountPath: /shared}]
        command: ["sh", "-c", "for i in $(seq 1 50); do got=$(nc 127.0.0.1 8080 2>/dev/null) && [ -n \"$got\" ] && break; sleep 0.2; done; echo b-got=$got; echo b-note=$(cat /shared/note); echo b-host=$(hostname)"]
"#;
    let pod = "      restartPolicy: Never\n      volumes: [{name: shared, emptyDir: {}}]\n";
    let path = write_job(&env, "duo", "  backoffLimit: 0\n", pod, containers);
    let output = env.run_job_fast(&path);
    let status = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{status}");
    let printed = stdout(&output);
    let pods = pod_names(&env);
    assert_eq!(pods.len(), 1, "{pods:?}");
    let pod = &pods[0];
    for line in [
        "b-got=hello-over-localhost".to_string(),
        "b-note=from-a".to_string(),
        format!("a-host={pod}"),
        format!("b-host={pod}"),
    ] {
        assert!(printed.lines().any(|l| l == line), "{line} in:\n{printed}");
    }
    assert!(status.contains(&format!("pod/{pod} Succeeded")), "{status}");
    // Both containers and the sandbox ran in the engine, and nothing is left running.
    let names: Vec<String> = env
        .containers(&[])
        .into_iter()
        .flat_map(|c| c.names.unwrap_or_default())
        .map(|n| n.trim_start_matches('/').to_string())
        .collect();
    for name in [format!("{pod}_a"), format!("{pod}_b"), format!("{pod}_POD")] {
        assert!(names.contains(&name), "{name} in {names:?}");
    }
    let running = env
        .containers(&[])
        .into_iter()
        .filter(|c| c.state.as_ref().is_some_and(|s| s.to_string() == "running"))
        .count();
    assert_eq!(running, 0, "the sandbox is stopped with its pod");

    // Views: READY 0/2, CONTAINERS a,b, logs per container.
    let table = stdout(&env.run_ok(&["get", "pods"]));
    let row = table.lines().nth(1).unwrap_or_default().to_string();
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(
        &cells[..4],
        [pod.as_str(), "0/2", "Completed", "0"],
        "{table}"
    );
    let wide = stdout(&env.run_ok(&["get", "jobs", "-o", "wide"]));
    let cells: Vec<&str> = wide
        .lines()
        .nth(1)
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    assert!(cells.contains(&"a,b"), "{wide}");
    let logs_b = env.run_ok(&["logs", pod, "-c", "b"]);
    assert!(
        stdout(&logs_b).contains("b-got=hello-over-localhost"),
        "{}",
        stdout(&logs_b)
    );
    let logs_default = env.run_ok(&["logs", pod]);
    assert!(stdout(&logs_default).contains("a-host="));
    assert!(
        stderr(&logs_default).contains("Defaulted container \"a\" out of: a, b"),
        "{}",
        stderr(&logs_default)
    );
    let all = env.run_ok(&["logs", pod, "--all-containers", "--prefix"]);
    let all = stdout(&all);
    assert!(all.contains(&format!("[pod/{pod}/a] a-host=")), "{all}");
    assert!(all.contains(&format!("[pod/{pod}/b] b-got=")), "{all}");
    let wrong = env.run(&["logs", pod, "-c", "nope"]);
    assert_eq!(wrong.status.code(), Some(1));
    assert!(
        stderr(&wrong).contains(&format!("container nope is not valid for pod {pod}")),
        "{}",
        stderr(&wrong)
    );
    let describe = stdout(&env.run_ok(&["describe", "pod", pod]));
    for needle in ["\n  a:\n", "\n  b:\n"] {
        assert!(describe.contains(needle), "{needle:?} in {describe}");
    }
    assert_eq!(describe.matches("Exit Code:").count(), 2, "{describe}");
    // Node and IP: the pod's containers join the sandbox's network, whose address the pod
    // shows (read while it ran; the engine forgets it once the sandbox stops).
    let value = |prefix: &str| {
        describe
            .lines()
            .find_map(|l| l.strip_prefix(prefix))
            .map(|v| v.trim().to_string())
            .unwrap_or_default()
    };
    let ip = value("IP:");
    assert!(
        ip.parse::<std::net::IpAddr>().is_ok(),
        "IP {ip:?} in {describe}"
    );
    let engine_host = std::process::Command::new("docker")
        .args(["info", "-f", "{{.Name}}"])
        .output()
        .expect("the docker CLI");
    let engine_host = stdout(&engine_host).trim().to_string();
    assert!(
        value("Node:").starts_with(&format!("{engine_host}/")),
        "{describe}"
    );
}

#[test]
fn one_failing_container_fails_its_one_pod() {
    let env = TestEnv::new("mcfail");
    // a ends at once (before b has even started: b still joins the pod's sandbox); b fails.
    let containers = r#"      - name: a
        image: IMAGE
        imagePullPolicy: Never
        command: ["true"]
      - name: b
        image: IMAGE
        imagePullPolicy: Never
        command: ["sh", "-c", "sleep 0.5; echo b-failing; exit 1"]
"#;
    let path = write_job(
        &env,
        "half",
        "  backoffLimit: 1\n",
        "      restartPolicy: Never\n",
        containers,
    );
    let output = env.run_job_fast(&path);
    let status = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{status}");
    assert_eq!(stdout(&output).matches("b-failing").count(), 2);
    assert!(
        status.contains("job.batch/half Failed: BackoffLimitExceeded"),
        "{status}"
    );
    let pods = pod_names(&env);
    assert_eq!(
        pods.len(),
        2,
        "backoffLimit 1: two pods, not four: {pods:?}"
    );
    for pod in &pods {
        assert!(
            status.contains(&format!("pod/{pod}/a Completed")),
            "{status}"
        );
        assert!(
            status.contains(&format!("pod/{pod}/b Error (exit code 1)")),
            "{status}"
        );
        assert!(status.contains(&format!("pod/{pod} Failed")), "{status}");
    }
    let job = stdout(&env.run_ok(&["get", "jobs", "half", "-o", "json"]));
    let job: serde_json::Value = serde_json::from_str(&job).unwrap();
    assert_eq!(job["status"]["failed"], 2, "one failure per pod: {job}");
    let table = stdout(&env.run_ok(&["get", "pods"]));
    for line in table.lines().skip(1) {
        let cells: Vec<&str> = line.split_whitespace().collect();
        // printPod walks the containers last to first: the first container's reason wins.
        assert_eq!(&cells[1..4], ["0/2", "Completed", "0"], "{table}");
    }
}

#[test]
fn an_on_failure_restart_rejoins_the_pods_localhost() {
    let env = TestEnv::new("mcrestart");
    // a serves two connections; b's first run fetches one line and fails, its restart (a new
    // container, 100 ms later) fetches the second over the same localhost and succeeds.
    let containers = r#"      - name: a
        image: IMAGE
        imagePullPolicy: Never
        command: ["sh", "-c", "for n in 1 2; do echo line-$n | nc -l -p 8080; done"]
      - name: b
        image: IMAGE
        imagePullPolicy: Never
        volumeMounts: [{name: shared, mountPath: /shared}]
        command: ["sh", "-c", "for i in $(seq 1 50); do got=$(nc 127.0.0.1 8080 2>/dev/null) && [ -n \"$got\" ] && break; sleep 0.2; done; echo b-got=$got; [ -e /shared/once ] || { touch /shared/once; exit 1; }"]
"#;
    let pod = "      restartPolicy: OnFailure\n      volumes: [{name: shared, emptyDir: {}}]\n";
    let path = write_job(&env, "again", "  backoffLimit: 3\n", pod, containers);
    let output = env.run_job_fast(&path);
    let status = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{status}");
    let pods = pod_names(&env);
    let pod = &pods[0];
    assert!(
        status.contains(&format!("pod/{pod}/b restarted (restart 1)")),
        "{status}"
    );
    let table = stdout(&env.run_ok(&["get", "pods"]));
    let cells: Vec<&str> = table
        .lines()
        .nth(1)
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    assert_eq!(&cells[1..4], ["0/2", "Completed", "1"], "{table}");
    let now = stdout(&env.run_ok(&["logs", pod, "-c", "b"]));
    assert_eq!(now.trim(), "b-got=line-2");
    let before = stdout(&env.run_ok(&["logs", pod, "-c", "b", "--previous"]));
    assert_eq!(before.trim(), "b-got=line-1");
    let never = env.run(&["logs", pod, "-c", "a", "--previous"]);
    assert_eq!(never.status.code(), Some(1));
}

#[test]
fn a_killed_controller_is_replaced_and_adopts_every_container_and_sandbox() {
    let env = TestEnv::new("mckill");
    let containers = r#"      - name: a
        image: IMAGE
        command: ["sh", "-c", "sleep 2; echo a-done"]
      - name: b
        image: IMAGE
        command: ["sh", "-c", "sleep 3; echo b-done"]
"#;
    let pod = "      restartPolicy: Never\n      terminationGracePeriodSeconds: 1\n";
    let path = write_job(&env, "pair", "  completions: 2\n", pod, containers);
    env.run_ok(&["apply", "-f", &path]);
    // Both containers of the first pod run: READY 2/2.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let table = stdout(&env.run_ok(&["get", "pods", "--no-headers"]));
        if table
            .lines()
            .any(|l| l.split_whitespace().nth(1) == Some("2/2"))
        {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "never 2/2: {table}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let store = dockjob::store::Store::open(&env.dir.path().join("state")).unwrap();
    let uid = store.get_job("default", "pair").unwrap().unwrap().uid;
    let lease = store
        .lease(&uid)
        .unwrap()
        .expect("a controller holds the lease");
    let killed = std::process::Command::new("kill")
        .args(["-9", &lease.pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    // The next command finds the lease silent and starts a controller that adopts the pod.
    std::thread::sleep(std::time::Duration::from_secs(11));
    env.run_ok(&["get", "jobs"]);
    let out = env.run_ok(&[
        "wait",
        "--for=condition=complete",
        "job/pair",
        "--timeout=60s",
    ]);
    assert_eq!(stdout(&out), "job.batch/pair condition met\n");
    let job = stdout(&env.run_ok(&["get", "jobs", "pair", "-o", "json"]));
    let job: serde_json::Value = serde_json::from_str(&job).unwrap();
    assert_eq!(job["status"]["succeeded"], 2, "{job}");
    assert_eq!(job["status"]["failed"], serde_json::Value::Null, "{job}");
    // Two pods, each two containers and a sandbox: nothing re-run, nothing left running.
    assert_eq!(pod_names(&env).len(), 2);
    let all = env.containers(&[]);
    assert_eq!(all.len(), 6, "{all:?}");
    // A pod's sandbox is stopped once the pod has ended, beside the Job's own bookkeeping (as
    // the kubelet tears a sandbox down after the pod is terminal), so `wait` may return
    // while the last one is still stopping: flaky when it was checked at once.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let running: Vec<String> = env
            .containers(&[])
            .into_iter()
            .filter(|c| c.state.as_ref().is_some_and(|s| s.to_string() == "running"))
            .map(|c| format!("{:?}", c.names))
            .collect();
        if running.is_empty() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still running: {running:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    env.run_ok(&["delete", "job", "pair"]);
    assert_eq!(
        env.containers(&[]).len(),
        0,
        "delete removes containers and sandboxes"
    );
}
