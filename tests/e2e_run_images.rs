//! Issue 15, point 3: an image that cannot be had ends a foreground `run` within a bounded
//! time, with one hint naming the image and what to do; `apply` keeps Kubernetes'
//! ImagePullBackOff (kubelet `pkg/kubelet/images/image_manager.go`); pulls use the
//! credentials of `dockjob login`; status lines come in the order things happened and Ctrl-C
//! counts a pod waiting for its image. Real engine, real registries (`tests/common`).

mod common;

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{stderr, stdout, Registry, TestEnv};

/// A one-pod Job running `true` from `image`, pulled as the kubelet would (no
/// imagePullPolicy: `Always` for `:latest`, else `IfNotPresent`).
fn image_job(name: &str, image: &str) -> String {
    format!(
        "apiVersion: batch/v1\nkind: Job\nmetadata: {{name: {name}}}\nspec:\n  backoffLimit: 0\n  \
         template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: c\n        \
         image: {image}\n        command: [\"true\"]\n"
    )
}

/// Issue 15: `run -f` of an image neither local nor pullable never ended. Now a pull the
/// registry answers "no such image" (a real registry here), "unauthorized" (one with
/// htpasswd) or that cannot reach its registry (a closed port) ends the run at once, the pod
/// announced before its pull failed, with one hint naming the image and what to do.
#[test]
fn run_of_an_image_that_cannot_be_had_ends_with_advice() {
    let env = TestEnv::new("cr-nopull");
    let open = Registry::start(&env.dir.path().join("open"), None);
    let locked = Registry::start(&env.dir.path().join("locked"), Some(("user", "secret")));
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let cases = [
        (format!("{}/nothere:1", open.address), "dockjob build -t"),
        (format!("{}/private:1", locked.address), "dockjob login"),
        (format!("{closed}/gone:1"), "cannot reach"),
    ];
    for (n, (image, advice)) in cases.iter().enumerate() {
        let name = format!("nopull-{n}");
        let path = env.write(&format!("{name}.yaml"), &image_job(&name, image));
        let started = Instant::now();
        let out = env.run_job_fast(path.to_str().unwrap());
        let took = started.elapsed();
        let err = stderr(&out);
        assert!(took < Duration::from_secs(60), "took {took:?}: {err}");
        assert_eq!(out.status.code(), Some(2), "{err}");
        let created = err.find(" created\n").expect(&err);
        let pulled = err.find("ErrImagePull").expect(&err);
        assert!(created < pulled, "in the order it happened: {err}");
        let hint = err
            .lines()
            .find(|l| l.starts_with("hint: "))
            .unwrap_or_else(|| panic!("a hint: {err}"));
        assert!(hint.contains(&format!("{image:?}")), "{hint}");
        assert!(hint.contains(advice), "{hint}");
        assert!(!err.contains("ImagePullBackOff"), "no backoff: {err}");
    }
}

/// `apply` keeps Kubernetes' behaviour: the pod waits in ImagePullBackOff, retried, and
/// `describe pod` shows it.
#[test]
fn apply_of_an_image_that_cannot_be_had_backs_off() {
    let env = TestEnv::new("cr-backoff");
    let registry = Registry::start(&env.dir.path().join("registry"), None);
    let image = format!("{}/nothere:1", registry.address);
    let path = env.write("job.yaml", &image_job("backoff", &image));
    env.run_ok(&[
        "apply",
        "--backoff-scale",
        "0.01",
        "-f",
        path.to_str().unwrap(),
    ]);
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut pods = String::new();
    while Instant::now() < deadline {
        pods = stdout(&env.run_ok(&["get", "pods"]));
        if pods.contains("ImagePullBackOff") {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(pods.contains("ImagePullBackOff"), "{pods}");
    let described = stdout(&env.run_ok(&["describe", "pods"]));
    assert!(
        described.contains("Reason:       ImagePullBackOff"),
        "{described}"
    );
    assert!(
        described.contains(&format!("Back-off pulling image \"{image}\"")),
        "{described}"
    );
    let jobs = stdout(&env.run_ok(&["get", "jobs"]));
    assert!(jobs.contains("Running"), "still running: {jobs}");
    env.run_ok(&["delete", "job", "backoff"]);
}

/// Issue 15: Ctrl-C of a run whose pod waits for its image said "stopping 0 pod(s)", then
/// "1 running pod(s) stopped". A registry that accepts the connection and never answers
/// keeps the pull (and the pod) waiting.
#[test]
fn ctrl_c_counts_a_pod_waiting_for_its_image() {
    let env = TestEnv::new("cr-ctrlc");
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = silent.local_addr().unwrap();
    let held = std::thread::spawn(move || {
        let mut connections = Vec::new();
        for stream in silent.incoming().take(4).flatten() {
            connections.push(stream); // accepted, never answered
        }
        std::thread::sleep(Duration::from_secs(60));
    });
    let image = format!("{address}/slow:1");
    let path = env.write("job.yaml", &image_job("waiting", &image));
    let mut child = env
        .dockjob()
        .args(["--progress", "plain", "run", "-f"])
        .arg(&path)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("dockjob");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        let created = line.ends_with(" created");
        seen.push(line);
        if created {
            break;
        }
    }
    std::thread::sleep(Duration::from_millis(500)); // the pull is under way
                                                    // SAFETY: kill(2) on the pid of a child this test started and has not reaped.
    assert_eq!(
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) },
        0
    );
    seen.extend(lines.map(|l| l.unwrap()));
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "{seen:?}");
    assert!(
        seen.iter()
            .any(|l| l.starts_with("Interrupted: stopping 1 pod(s) gracefully")),
        "{seen:?}"
    );
    assert_eq!(
        seen.last().map(String::as_str),
        Some("job.batch/waiting interrupted: 1 running pod(s) stopped"),
        "{seen:?}"
    );
    drop(held);
}

/// The `dockjob login` the advice names works: a foreground `run` pulls with the user's
/// credentials for the image's registry (as `docker pull` after `docker login`); logged out,
/// the registry's refusal ends the run with that advice.
#[test]
fn run_pulls_with_the_credentials_of_dockjob_login() {
    let env = TestEnv::new("cr-login");
    let registry = Registry::start(&env.dir.path().join("registry"), Some(("user", "secret")));
    let base = env.base_image();
    let repository = format!("{}/private-{}", registry.address, env.id);
    let remote = format!("{repository}:1");
    env.block_on(env.docker().tag_image(
        &base,
        Some(bollard::query_parameters::TagImageOptions {
            repo: Some(repository.clone()),
            tag: Some("1".into()),
        }),
    ))
    .unwrap();
    let login = [
        "login",
        registry.address.as_str(),
        "-u",
        "user",
        "-p",
        "secret",
    ];
    env.run_ok(&login);
    env.run_ok(&["push", &remote]);
    env.block_on(env.docker().remove_image(
        &remote,
        None::<bollard::query_parameters::RemoveImageOptions>,
        None,
    ))
    .unwrap();

    env.run_ok(&["logout", &registry.address]);
    let out = env.run(&[
        "--progress",
        "plain",
        "run",
        "--image",
        &remote,
        "--",
        "true",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let login_hint = format!("`dockjob login {}`", registry.address);
    assert!(stderr(&out).contains(&login_hint), "{}", stderr(&out));

    env.run_ok(&login);
    let out = env.run_ok(&[
        "--progress",
        "plain",
        "run",
        "--image",
        &remote,
        "--",
        "echo",
        "pulled",
    ]);
    assert_eq!(stdout(&out), "pulled\n");
}
