//! Issue 17, point 3: state that stays true. Against the real engine, with hostile stores the
//! tests make themselves: a file that is not a database, a read-only bind mount and a full
//! tmpfs (each in a private mount namespace, `unshare -m`: the host's mounts are never
//! touched), an engine endpoint that is not there, and an engine reached through a `tcp://`
//! forwarder that later commands are not told about. Each asserts the error text, the exit
//! code, and what is left: state rows, containers, controller processes.

mod common;

use std::net::TcpListener;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::{stderr, stdout, TestEnv};

/// A one-pod Job running `script` in the test's base image.
fn job(name: &str, image: &str, script: &str) -> String {
    format!(
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {name}\nspec:\n  backoffLimit: 0\n  \
         template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: main\n        \
         image: {image}\n        imagePullPolicy: Never\n        command: [\"sh\", \"-c\", {script:?}]\n"
    )
}

fn state_dir(env: &TestEnv) -> PathBuf {
    env.dir.path().join("state")
}

/// Runs `script` with `sh -e` in a private mount namespace, with the test's dockjob
/// environment and `$DJ` naming the binary; `$S` is the state directory, `$O` a directory
/// for the script's outputs (outside any mount the script makes).
fn in_mount_namespace(env: &TestEnv, script: &str) -> Output {
    let dockjob = env.dockjob();
    let out = env.dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::create_dir_all(state_dir(env)).unwrap();
    let mut command = Command::new("unshare");
    command.args(["-m", "--propagation", "private", "sh", "-ec", script]);
    for (key, value) in dockjob.get_envs() {
        match value {
            Some(value) => command.env(key, value),
            None => command.env_remove(key),
        };
    }
    command
        .env("DJ", dockjob.get_program())
        .env("S", state_dir(env))
        .env("O", &out);
    let output = command.output().expect("unshare (util-linux)");
    assert!(
        output.status.success(),
        "the script failed:\n{}\n{}",
        stdout(&output),
        stderr(&output)
    );
    output
}

/// What the script wrote to `$O/name`.
fn out(env: &TestEnv, name: &str) -> String {
    std::fs::read_to_string(env.dir.path().join("out").join(name)).unwrap_or_default()
}

fn code(env: &TestEnv, name: &str) -> i32 {
    out(env, name).trim().parse().expect("an exit code")
}

/// `get jobs -o json` (after the test's mounts are gone): the stored Jobs.
fn stored_jobs(env: &TestEnv) -> Vec<serde_json::Value> {
    let output = env.run_ok(&["get", "jobs", "-o", "json"]);
    if output.stdout.is_empty() {
        return Vec::new(); // "No resources found" on stderr
    }
    let list: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    match list.get("items") {
        Some(items) => items.as_array().cloned().unwrap_or_default(),
        None if list.get("kind").is_some_and(|k| k == "Job") => vec![list],
        None => Vec::new(),
    }
}

fn containers_of_job(env: &TestEnv, name: &str) -> usize {
    env.containers(&[&format!("batch.kubernetes.io/job-name={name}")])
        .len()
}

#[test]
fn a_corrupt_store_is_named_once_with_what_to_do_and_nothing_runs() {
    let env = TestEnv::new("harden-corrupt");
    let image = env.base_image();
    let dir = state_dir(&env);
    std::fs::create_dir_all(&dir).unwrap();
    let garbage: Vec<u8> = (0..16384u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(dir.join("dockjob.db"), &garbage).unwrap();
    let manifest = env.write("job.yaml", &job("corrupt", &image, "echo ran"));

    let output = env.run(&["get", "jobs"]);
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert_eq!(text.lines().count(), 1, "one line: {text}");
    assert!(text.contains("is not a SQLite database"), "{text}");
    assert!(
        text.contains(&format!("mv {}", dir.join("dockjob.db").display())),
        "{text}"
    );
    assert!(text.contains("--state-dir"), "{text}");
    assert_eq!(
        text.matches("not a database").count(),
        0,
        "SQLite's text repeated: {text}"
    );
    assert!(!text.contains("Error code"), "{text}");

    let output = env.run(&["run", "-f", manifest.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(stderr(&output).contains("is not a SQLite database"));
    assert!(!stdout(&output).contains("ran"));
    assert_eq!(containers_of_job(&env, "corrupt"), 0, "nothing ran");
    // Nothing was lost either: the file is as it was, for whoever wants to look at it.
    assert_eq!(std::fs::read(dir.join("dockjob.db")).unwrap(), garbage);
}

#[test]
fn a_read_only_store_fails_each_command_before_anything_runs() {
    let env = TestEnv::new("harden-readonly");
    let image = env.base_image();
    let first = env.write("first.yaml", &job("first", &image, "echo first"));
    env.run_ok(&["run", "-f", first.to_str().unwrap()]);
    env.write("second.yaml", &job("second", &image, "echo second"));
    env.write("third.yaml", &job("third", &image, "echo third"));

    in_mount_namespace(
        &env,
        r#"
        mount --bind "$S" "$S"
        mount -o remount,ro,bind "$S" "$S"
        T=$(dirname "$O")
        set +e
        "$DJ" get jobs > "$O/get.out" 2> "$O/get.err"; echo $? > "$O/get.rc"
        "$DJ" run -f "$T/second.yaml" > "$O/run.out" 2> "$O/run.err"; echo $? > "$O/run.rc"
        "$DJ" apply -f "$T/third.yaml" > "$O/apply.out" 2> "$O/apply.err"; echo $? > "$O/apply.rc"
        "#,
    );
    for command in ["get", "run", "apply"] {
        let text = out(&env, &format!("{command}.err"));
        assert_eq!(code(&env, &format!("{command}.rc")), 1, "{command}: {text}");
        assert!(
            text.contains("read-only filesystem"),
            "{command} says what happened: {text}"
        );
        assert!(
            text.contains("--state-dir"),
            "{command} says what to do: {text}"
        );
        assert!(!text.contains("Error code"), "{text}");
    }
    assert!(!out(&env, "run.out").contains("second"));
    assert_eq!(out(&env, "apply.out"), "", "nothing was created");
    assert_eq!(containers_of_job(&env, "second"), 0);
    assert_eq!(containers_of_job(&env, "third"), 0);
    // The store is as it was: the first Job, complete.
    let jobs = stored_jobs(&env);
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    assert_eq!(jobs[0]["metadata"]["name"], "first");
    assert_eq!(jobs[0]["status"]["succeeded"], 1);
}

#[test]
fn a_full_disk_before_a_run_records_and_runs_nothing() {
    let env = TestEnv::new("harden-full-before");
    let image = env.base_image();
    env.write("run.yaml", &job("full-run", &image, "echo ran"));
    env.write("apply.yaml", &job("full-apply", &image, "echo ran"));
    in_mount_namespace(
        &env,
        r#"
        mount -t tmpfs -o size=1m,mode=700 tmpfs "$S"
        T=$(dirname "$O")
        "$DJ" get jobs > /dev/null 2>&1
        dd if=/dev/zero of="$S/filler" bs=4k > /dev/null 2>&1 || true
        set +e
        "$DJ" run -f "$T/run.yaml" > "$O/run.out" 2> "$O/run.err"; echo $? > "$O/run.rc"
        "$DJ" apply -f "$T/apply.yaml" > "$O/apply.out" 2> "$O/apply.err"; echo $? > "$O/apply.rc"
        rm -f "$S/filler"
        "$DJ" get jobs -A > "$O/get.out" 2> "$O/get.err"; echo $? > "$O/get.rc"
        "#,
    );
    for command in ["run", "apply"] {
        let text = out(&env, &format!("{command}.err"));
        assert_eq!(code(&env, &format!("{command}.rc")), 1, "{command}: {text}");
        assert!(
            text.contains("full"),
            "{command} says the disk is full: {text}"
        );
        assert!(text.contains("--state-dir"), "{text}");
    }
    assert!(!out(&env, "run.out").contains("ran"));
    assert_eq!(out(&env, "apply.out"), "");
    assert_eq!(code(&env, "get.rc"), 0, "{}", out(&env, "get.err"));
    assert_eq!(out(&env, "get.out"), "", "never recorded");
    assert!(out(&env, "get.err").contains("No resources found"));
    assert_eq!(containers_of_job(&env, "full-run"), 0);
    assert_eq!(containers_of_job(&env, "full-apply"), 0);
}

#[test]
fn a_full_disk_during_a_run_fails_it_and_a_later_command_records_the_end() {
    let env = TestEnv::new("harden-full-during");
    let image = env.base_image();
    env.write(
        "job.yaml",
        &job("mid", &image, "sleep 3; echo finished-the-work"),
    );
    in_mount_namespace(
        &env,
        r#"
        mount -t tmpfs -o size=2m,mode=700 tmpfs "$S"
        T=$(dirname "$O")
        "$DJ" --progress plain run --rm -f "$T/job.yaml" > "$O/run.out" 2> "$O/run.err" &
        RUN=$!
        i=0
        until "$DJ" get pods 2> /dev/null | grep -q Running; do
          i=$((i + 1)); [ $i -gt 200 ] && break; sleep 0.05
        done
        dd if=/dev/zero of="$S/filler" bs=4k > /dev/null 2>&1 || true
        set +e
        wait $RUN; echo $? > "$O/run.rc"
        rm -f "$S/filler"
        "$DJ" wait --for=condition=complete job/mid --timeout=90s > "$O/wait.out" 2> "$O/wait.err"
        echo $? > "$O/wait.rc"
        "$DJ" get jobs mid -o json > "$O/job.json" 2>&1
        "$DJ" get pods -o json > "$O/pods.json" 2>&1
        # The controller that recorded the end must be gone before the namespace goes.
        i=0
        until grep -qs "controller for job.batch/mid done" "$S"/controllers/*.log; do
          i=$((i + 1)); [ $i -gt 300 ] && break; sleep 0.1
        done
        cat "$S"/controllers/*.log > "$O/controller.log" 2>&1
        "#,
    );
    let run_err = out(&env, "run.err");
    assert_eq!(code(&env, "run.rc"), 1, "{run_err}");
    assert!(
        run_err.contains("warning: the Job's state cannot be saved (the run goes on)"),
        "{run_err}"
    );
    assert!(run_err.contains("full"), "{run_err}");
    assert!(
        run_err.contains("the state store lacks its end"),
        "{run_err}"
    );
    assert!(run_err.contains("the containers are kept"), "{run_err}");
    assert!(
        out(&env, "run.out").contains("finished-the-work"),
        "the output was not lost"
    );
    assert_eq!(
        code(&env, "wait.rc"),
        0,
        "a later command finished the record: {}{}",
        out(&env, "wait.err"),
        out(&env, "controller.log")
    );
    let job: serde_json::Value = serde_json::from_str(&out(&env, "job.json")).unwrap();
    assert_eq!(job["status"]["succeeded"], 1, "{job}");
    assert!(job["status"]["failed"].is_null(), "{job}");
    let pods: serde_json::Value = serde_json::from_str(&out(&env, "pods.json")).unwrap();
    let items = pods["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 1, "one pod, not run again: {pods}");
    assert_eq!(items[0]["status"]["phase"], "Succeeded");
    // The work ran once, and its container is what the record was recovered from.
    assert_eq!(containers_of_job(&env, "mid"), 1);
    assert!(
        out(&env, "controller.log").contains("controller for job.batch/mid done"),
        "the controller ended: {}",
        out(&env, "controller.log")
    );
}

#[test]
fn apply_against_an_unreachable_engine_fails_as_run_does() {
    let env = TestEnv::new("harden-no-engine");
    let manifest = env.write("job.yaml", &job("nowhere", "busybox:1.36", "true"));
    let manifest = manifest.to_str().unwrap();
    for host in ["unix:///nonexistent/docker.sock", "tcp://127.0.0.1:1"] {
        for verb in ["run", "apply", "create"] {
            let output = env.run(&["-H", host, verb, "-f", manifest]);
            let text = stderr(&output);
            assert_eq!(output.status.code(), Some(3), "{verb} {host}: {text}");
            assert!(text.contains(host), "names the endpoint: {text}");
            assert!(text.contains("hint:"), "{text}");
            assert_eq!(stdout(&output), "", "{verb} printed nothing created");
        }
    }
    let output = env.run_ok(&["get", "jobs", "-A"]);
    assert_eq!(stdout(&output), "", "nothing was stored");
}

/// Forwards a loopback TCP port to the engine's unix socket (a `tcp://` engine that only
/// the Job's creator is told about). Serves until the test process ends.
fn tcp_engine() -> String {
    let socket = std::env::var("DOCKER_HOST")
        .ok()
        .and_then(|h| h.strip_prefix("unix://").map(str::to_string))
        .unwrap_or_else(|| "/var/run/docker.sock".to_string());
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(client) = client else { continue };
            let Ok(engine) = UnixStream::connect(&socket) else {
                continue;
            };
            let (mut client_in, mut engine_out) =
                (client.try_clone().unwrap(), engine.try_clone().unwrap());
            let (mut engine_in, mut client_out) = (engine, client);
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut client_in, &mut engine_out);
                let _ = engine_out.shutdown(std::net::Shutdown::Write);
            });
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut engine_in, &mut client_out);
                let _ = client_out.shutdown(std::net::Shutdown::Write);
            });
        }
    });
    format!("tcp://{address}")
}

/// The pid of the detached controller of the Job with this uid, if one runs.
fn controller_pid(state: &Path, uid: &str) -> Option<i32> {
    std::fs::read_dir("/proc")
        .ok()?
        .flatten()
        .find_map(|entry| {
            let pid: i32 = entry.file_name().to_str()?.parse().ok()?;
            let cmdline = std::fs::read(entry.path().join("cmdline")).ok()?;
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            (cmdline.contains("__controller")
                && cmdline.contains(uid)
                && cmdline.contains(&state.display().to_string()))
            .then_some(pid)
        })
}

#[test]
fn a_job_keeps_its_engine_for_a_revived_controller_logs_and_delete() {
    let env = TestEnv::new("harden-endpoint");
    let image = env.base_image();
    let engine = tcp_engine();
    let manifest = env.write(
        "job.yaml",
        &job("remembers", &image, "sleep 4; echo from-the-tcp-engine"),
    );
    let output = env.run_ok(&["-H", &engine, "apply", "-f", manifest.to_str().unwrap()]);
    assert_eq!(stdout(&output).trim(), "job.batch/remembers created");
    let uid = env.run_ok(&["get", "job", "remembers", "-o", "json"]);
    let uid: serde_json::Value = serde_json::from_slice(&uid.stdout).unwrap();
    let uid = uid["metadata"]["uid"].as_str().unwrap().to_string();
    let state = state_dir(&env);

    // Kill its controller while the pod runs; every later command is told of another engine.
    let deadline = Instant::now() + Duration::from_secs(20);
    let pid = loop {
        let running = stdout(&env.run_ok(&["get", "pods"])).contains("Running");
        if let (true, Some(pid)) = (running, controller_pid(&state, &uid)) {
            break pid;
        }
        assert!(Instant::now() < deadline, "the pod did not start");
        std::thread::sleep(Duration::from_millis(50));
    };
    // SAFETY: a plain kill of the controller this test's apply started.
    unsafe { libc::kill(pid, libc::SIGKILL) };
    let elsewhere = |args: &[&str]| {
        env.dockjob()
            .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
            .args(args)
            .output()
            .unwrap()
    };
    let output = elsewhere(&[
        "wait",
        "--for=condition=complete",
        "job/remembers",
        "--timeout=60s",
    ]);
    assert!(
        output.status.success(),
        "the revived controller ran on the Job's engine: {}",
        stderr(&output)
    );
    let revived = std::fs::read_to_string(state.join(format!("controllers/{uid}.log"))).unwrap();
    assert!(revived.contains("resuming"), "{revived}");

    let output = elsewhere(&["logs", "job/remembers"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output).trim(), "from-the-tcp-engine");

    assert_eq!(containers_of_job(&env, "remembers"), 1, "ran once");
    let output = elsewhere(&["delete", "job", "remembers"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        containers_of_job(&env, "remembers"),
        0,
        "removed on its engine"
    );
    assert!(stored_jobs(&env).is_empty());
}

#[test]
fn an_explicit_state_dir_that_cannot_be_used_is_an_error_before_anything_runs() {
    use std::os::unix::fs::PermissionsExt as _;
    let env = TestEnv::new("harden-bad-state-dir");
    let image = env.base_image();
    let manifest = env.write("job.yaml", &job("unrecorded", &image, "echo ran"));
    let file = env.write("a-file", "not a directory");
    let shared = env.dir.path().join("shared");
    std::fs::create_dir(&shared).unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o1777)).unwrap();
    let cases = [
        (file.join("state"), "Not a directory"),
        (shared.clone(), "sticky bit"),
    ];
    for (dir, why) in cases {
        for via_flag in [true, false] {
            let mut command = env.dockjob();
            if via_flag {
                command.arg("--state-dir").arg(&dir);
            } else {
                command.env("DOCKJOB_STATE_DIR", &dir);
            }
            let output = command
                .args(["run", "-f", manifest.to_str().unwrap()])
                .output()
                .unwrap();
            let text = stderr(&output);
            assert_eq!(output.status.code(), Some(1), "{text}");
            assert!(text.contains(&dir.display().to_string()), "{text}");
            assert!(text.contains(why), "{text}");
            assert!(text.contains("--state-dir"), "{text}");
            assert!(!text.contains("warning"), "no run unrecorded: {text}");
            assert!(!stdout(&output).contains("ran"));
        }
    }
    assert_eq!(containers_of_job(&env, "unrecorded"), 0, "nothing ran");
    assert_eq!(
        std::fs::metadata(&shared).unwrap().permissions().mode() & 0o7777,
        0o1777,
        "a shared directory is not changed"
    );
}

/// A detached controller whose state directory is removed stops its pods and exits: no
/// command could ever see or delete that Job again. Found after a test run: a controller of a
/// test's temporary state directory still ran 50 minutes after the directory was gone (SQLite
/// went on writing to the unlinked file).
#[test]
fn a_controller_whose_state_dir_is_removed_stops_its_pods_and_exits() {
    let env = TestEnv::new("harden-gone");
    let image = env.base_image();
    let yaml = job("gone", &image, "sleep 300").replace(
        "      restartPolicy: Never\n",
        "      restartPolicy: Never\n      terminationGracePeriodSeconds: 1\n",
    );
    let manifest = env.write("gone.yaml", &yaml);
    let state = state_dir(&env);
    env.run_ok(&["apply", "-f", manifest.to_str().unwrap()]);
    let uid = env.run_ok(&["get", "job", "gone", "-o", "jsonpath={.metadata.uid}"]);
    let uid = stdout(&uid);
    let deadline = Instant::now() + Duration::from_secs(20);
    while !stdout(&env.run_ok(&["get", "pods"])).contains("Running") {
        assert!(Instant::now() < deadline, "the pod did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(controller_pid(&state, &uid).is_some(), "a controller runs");

    std::fs::remove_dir_all(&state).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while controller_pid(&state, &uid).is_some() {
        assert!(Instant::now() < deadline, "the controller still runs");
        std::thread::sleep(Duration::from_millis(100));
    }
    let running: Vec<_> = env
        .containers(&["batch.kubernetes.io/job-name=gone"])
        .into_iter()
        .filter(|c| {
            c.state.as_ref().map(|s| format!("{s:?}").to_lowercase()) == Some("running".into())
        })
        .collect();
    assert!(running.is_empty(), "its pod was stopped");
}
