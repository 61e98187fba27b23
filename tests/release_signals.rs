//! SIGTERM as `docker stop` sends it to dockjob as PID 1 of its own image: `run` stops its pods
//! gracefully and exits 130; every other command exits at once with 143.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use common::TestEnv;

fn sigterm(child: &Child) {
    let sent = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(sent.success());
}

fn wait_at_most(child: &mut Child, limit: Duration) -> ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("still running {limit:?} after SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn stderr_of(child: &mut Child) -> String {
    let mut text = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut text)
        .ok();
    text
}

#[test]
fn sigterm_ends_a_command_promptly_with_143() {
    let env = TestEnv::new("sigterm");
    // `login --password-stdin` waits for stdin to close: a command blocked on its own thread.
    let mut child = env
        .dockjob()
        .args(["login", "127.0.0.1:1", "-u", "a", "--password-stdin"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start dockjob");
    std::thread::sleep(Duration::from_millis(500));
    sigterm(&child);
    let status = wait_at_most(&mut child, Duration::from_secs(5));
    assert_eq!(status.code(), Some(143));
    let message = stderr_of(&mut child);
    assert!(message.contains("SIGTERM"), "{message}");
}

#[test]
fn sigterm_stops_the_pods_of_run_gracefully() {
    let env = TestEnv::new("sigterm-run");
    let base = env.base_image();
    let job = env.write(
        "job.yaml",
        &format!(
            "apiVersion: batch/v1\nkind: Job\nmetadata: {{name: sigterm-{id}}}\nspec:\n  \
             backoffLimit: 0\n  template:\n    spec:\n      restartPolicy: Never\n      \
             terminationGracePeriodSeconds: 1\n      containers:\n      - name: sleep\n        \
             image: {base}\n        command: [/bin/sh, -c, 'echo started; exec sleep 300']\n",
            id = env.id
        ),
    );
    let mut child = env
        .dockjob()
        .args(["--progress", "plain", "run", "--rm", "-f"])
        .arg(&job)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start dockjob run");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    while line.trim() != "started" {
        line.clear();
        if stdout.read_line(&mut line).expect("read stdout") == 0 {
            panic!(
                "dockjob run ended before the pod started: {}",
                stderr_of(&mut child)
            );
        }
    }
    assert_eq!(env.containers(&[]).len(), 1, "the pod runs");

    sigterm(&child);
    // Grace period 1 s (busybox `sleep` as PID 1 ignores SIGTERM, so it is killed after it).
    let status = wait_at_most(&mut child, Duration::from_secs(20));
    let message = stderr_of(&mut child);
    assert_eq!(status.code(), Some(130), "{message}");
    assert!(
        message.contains("stopping 1 pod(s) gracefully"),
        "{message}"
    );
    assert!(
        env.containers(&[]).is_empty(),
        "--rm removed the stopped pod"
    );
    // Bug: the stored Job stayed `Running` with nothing behind it.
    let name = format!("sigterm-{}", env.id);
    let jobs = env.run_ok(&["get", "jobs", &name, "--no-headers"]);
    let row = String::from_utf8_lossy(&jobs.stdout);
    assert!(row.contains(" Failed "), "{row}");
    let described = env.run_ok(&["describe", "job", &name]);
    let text = String::from_utf8_lossy(&described.stdout);
    assert!(text.contains("Interrupted"), "{text}");
}
