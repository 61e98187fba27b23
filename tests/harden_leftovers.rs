//! Issue 17, points 1 and 3: a deleted Job leaves nothing behind. Found by the red team: the
//! log of a Job's detached controller stayed in the state directory after `delete` (and after
//! `run --replace`), one file per Job ever applied, naming its containers and quoting their
//! output. Checked against the real engine: rows, containers, controller processes, files.

mod common;

use std::path::Path;

use common::{stderr, stdout, TestEnv};

fn job(name: &str, image: &str) -> String {
    format!(
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {name}\nspec:\n  backoffLimit: 0\n  \
         template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: main\n        \
         image: {image}\n        imagePullPolicy: Never\n        command: [\"sh\", \"-c\", \"echo out-{name}\"]\n"
    )
}

fn uid(env: &TestEnv, name: &str) -> String {
    let output = env.run_ok(&["get", "job", name, "-o", "jsonpath={.metadata.uid}"]);
    stdout(&output)
}

fn controller_running(uid: &str) -> bool {
    std::fs::read_dir("/proc").unwrap().flatten().any(|entry| {
        std::fs::read(entry.path().join("cmdline"))
            .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
            .is_ok_and(|c| c.contains("__controller") && c.contains(uid))
    })
}

fn logs(state: &Path) -> Vec<String> {
    std::fs::read_dir(state.join("controllers"))
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn delete_and_run_replace_leave_no_controller_log_behind() {
    let env = TestEnv::new("harden-leftovers");
    let image = env.base_image();
    let state = env.dir.path().join("state");
    let first = env.write("first.yaml", &job("first", &image));
    let second = env.write("second.yaml", &job("second", &image));
    for manifest in [&first, &second] {
        env.run_ok(&["apply", "-f", manifest.to_str().unwrap()]);
    }
    for name in ["job/first", "job/second"] {
        env.run_ok(&["wait", "--for=condition=complete", name, "--timeout=60s"]);
    }
    let (first_uid, second_uid) = (uid(&env, "first"), uid(&env, "second"));
    let log_of = |uid: &str| format!("{uid}.log");
    // Each controller logged, and finishes (it holds the log open until then).
    assert_eq!(logs(&state).len(), 2, "{:?}", logs(&state));
    for uid in [&first_uid, &second_uid] {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while controller_running(uid) {
            assert!(std::time::Instant::now() < deadline, "{uid} still runs");
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }

    let output = env.run_ok(&["delete", "job", "first"]);
    assert_eq!(stdout(&output), "job.batch \"first\" deleted\n");
    assert_eq!(
        logs(&state),
        vec![log_of(&second_uid)],
        "the deleted Job's log"
    );
    assert!(env
        .containers(&["batch.kubernetes.io/job-name=first"])
        .is_empty());

    // run --replace deletes the applied Job first: its log goes too; the foreground run
    // itself needs no controller and leaves none.
    let output = env.run(&["run", "--replace", "-f", second.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).contains("out-second"));
    assert!(
        !logs(&state).contains(&log_of(&second_uid)),
        "{:?}",
        logs(&state)
    );
    env.run_ok(&["delete", "job", "second"]);
    assert!(logs(&state).is_empty(), "{:?}", logs(&state));
    assert!(stdout(&env.run_ok(&["get", "jobs", "-A", "-o", "name"])).is_empty());
    assert!(stdout(&env.run_ok(&["get", "pods", "-A", "-o", "name"])).is_empty());
    assert!(env.containers(&[]).is_empty(), "containers left behind");
}
