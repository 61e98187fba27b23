//! The engine restarted under a running Job (crash safety): the detached controller waits for
//! the engine to come back, resumes from its input log and adopts the Job's containers, so
//! the Job completes with every completion counted once.
//!
//! The restart happens on a private `dockerd` this test starts (own socket, data and exec
//! roots, vfs storage) in a network namespace of its own, so the machine's engine and the
//! other tests never notice. Not `--bridge none` instead of the namespace: a daemon started
//! with it deletes the host's `docker0` (moby `removeDefaultBridgeInterface`), which broke
//! every container of the machine's engine when this test was first written.
//! Needs root, Debian's `docker.io` (`dockerd`) and `iproute2` (`ip netns`), as `.ci/run`
//! provides.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{make_busybox_rootfs, stderr, stdout, TestEnv};
use dockjob::store::Store;

/// A `dockerd` of the test's own, in its own network namespace.
struct PrivateEngine {
    root: PathBuf,
    netns: String,
    child: Option<Child>,
}

impl PrivateEngine {
    fn start(root: &Path) -> PrivateEngine {
        std::fs::create_dir_all(root).unwrap();
        std::fs::write(root.join("daemon.json"), "{}").unwrap();
        let netns = format!("dockjob-test-{}", std::process::id());
        let created = Command::new("ip")
            .args(["netns", "add", &netns])
            .status()
            .expect("ip netns (Debian's iproute2; the test needs root)");
        assert!(created.success(), "ip netns add {netns} failed");
        let mut engine = PrivateEngine {
            root: root.to_path_buf(),
            netns,
            child: None,
        };
        engine.spawn();
        engine
    }

    fn host(&self) -> String {
        format!("unix://{}", self.root.join("sock").display())
    }

    fn spawn(&mut self) {
        let path = |name: &str| self.root.join(name).to_string_lossy().into_owned();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.root.join("dockerd.log"))
            .unwrap();
        // nsenter joins the network namespace only (`ip netns exec` would also remount /sys,
        // where dockerd then misses its cgroups).
        let child = Command::new("nsenter")
            .arg(format!("--net=/run/netns/{}", self.netns))
            .arg("dockerd")
            .args(["--config-file", &path("daemon.json")])
            .args(["--data-root", &path("data"), "--exec-root", &path("exec")])
            .args(["--pidfile", &path("dockerd.pid"), "-H", &self.host()])
            .args(["--storage-driver", "vfs"])
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start dockerd (Debian's docker.io; the test needs root)");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(60);
        while !self.answers() {
            assert!(
                Instant::now() < deadline,
                "the private dockerd did not start: {}",
                std::fs::read_to_string(self.root.join("dockerd.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// `GET /_ping` answers `OK`.
    fn answers(&self) -> bool {
        use std::io::{Read, Write};
        let Ok(mut socket) = std::os::unix::net::UnixStream::connect(self.root.join("sock")) else {
            return false;
        };
        let _ = socket.set_read_timeout(Some(Duration::from_secs(2)));
        if socket
            .write_all(b"GET /_ping HTTP/1.0\r\nHost: localhost\r\n\r\n")
            .is_err()
        {
            return false;
        }
        let mut reply = String::new();
        let _ = socket.read_to_string(&mut reply);
        reply.starts_with("HTTP/1.") && reply.ends_with("OK")
    }

    /// SIGTERM (the engine stops its containers, as on a host shutdown) and waits for the exit.
    fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(60);
        while child.try_wait().ok().flatten().is_none() {
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Stops the engine and starts it again after `down`, a host that takes a while to reboot:
    /// long enough that the controller finds no engine at all, not only one shutting down.
    fn restart(&mut self, down: Duration) {
        self.stop();
        std::thread::sleep(down);
        self.spawn();
    }
}

impl Drop for PrivateEngine {
    fn drop(&mut self) {
        if self.child.is_some() {
            // Leave nothing running: remove every container of this engine first.
            let _ = Command::new("docker")
                .args(["-H", &self.host(), "container", "prune", "-f"])
                .output();
            self.stop();
        }
        let _ = Command::new("ip")
            .args(["netns", "del", &self.netns])
            .status();
    }
}

#[test]
fn a_job_survives_an_engine_restart() {
    let env = TestEnv::new("enginerestart");
    let host_bridge_before = host_bridge();
    let engine = &mut PrivateEngine::start(&env.dir.path().join("engine"));
    let host = engine.host();
    let dockjob = |args: &[&str]| {
        let output = env
            .dockjob()
            .args(["-H", &host])
            .args(args)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "dockjob {args:?}: {}{}",
            stdout(&output),
            stderr(&output)
        );
        output
    };
    let rootfs = env.dir.path().join("rootfs");
    make_busybox_rootfs(&rootfs);
    dockjob(&["image", "import", rootfs.to_str().unwrap(), "-t", "bb:1"]);
    let manifest = "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: survivor\nspec:\n  \
         completions: 3\n  template:\n    spec:\n      restartPolicy: Never\n      \
         terminationGracePeriodSeconds: 1\n      containers:\n      - name: main\n        \
         image: bb:1\n        imagePullPolicy: Never\n        \
         command: [sh, -c, 'trap \"exit 143\" TERM; echo start; sleep 4 & wait']\n";
    let path = env.write("job.yaml", manifest);
    dockjob(&[
        "apply",
        "-f",
        path.to_str().unwrap(),
        "--backoff-scale",
        "0.01",
    ]);

    // Restart the engine while the second pod runs.
    let store = Store::open(&env.dir.path().join("state")).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let job = store.get_job("default", "survivor").unwrap().unwrap();
        let status = job.job.status.unwrap_or_default();
        if status.succeeded == Some(1) && status.active == Some(1) {
            break;
        }
        assert!(Instant::now() < deadline, "the second pod never started");
        std::thread::sleep(Duration::from_millis(100));
    }
    engine.restart(Duration::from_secs(3));

    let out = dockjob(&[
        "wait",
        "--for=condition=complete",
        "job/survivor",
        "--timeout=120s",
    ]);
    assert_eq!(stdout(&out), "job.batch/survivor condition met\n");
    let job = store.get_job("default", "survivor").unwrap().unwrap();
    let log = std::fs::read_to_string(
        env.dir
            .path()
            .join("state/controllers")
            .join(format!("{}.log", job.uid)),
    )
    .unwrap();
    assert!(log.contains("the engine went away"), "{log}");
    assert!(log.contains("resuming: replaying"), "{log}");
    // Every completion counted once; the pod the restart killed (and any the engine refused
    // while it shut down) failed, as pods on a rebooted node do, and was replaced.
    let status = job.job.status.unwrap();
    assert_eq!(status.succeeded, Some(3), "{status:?}\n{log}");
    let pods = dockjob(&["get", "pods", "--no-headers"]);
    let rows = stdout(&pods);
    assert_eq!(rows.matches("Completed").count(), 3, "{rows}\n{log}");
    let failed = status.failed.unwrap_or(0);
    assert!(failed >= 1, "{status:?}\n{log}");
    assert_eq!(rows.lines().count(), 3 + failed as usize, "{rows}\n{log}");
    dockjob(&["delete", "job", "survivor"]);
    assert_eq!(
        host_bridge(),
        host_bridge_before,
        "the machine's docker0 is untouched"
    );
}

/// Whether the machine's `docker0` exists.
fn host_bridge() -> bool {
    Path::new("/sys/class/net/docker0").exists()
}
