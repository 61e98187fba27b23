//! Shared helpers for the end-to-end tests: a labelled test environment on the real engine,
//! a busybox base image imported through dockjob, and a real `docker-registry` on a free
//! loopback port (with or without htpasswd auth).
//!
//! Everything a test creates carries the label `io.dockjob.test=<id>` (images inherit it from
//! the base image) and is removed by that label when the [`TestEnv`] is dropped, even when the
//! test fails.

#![allow(dead_code, unused_imports)] // each test binary uses a different subset

pub mod kubectl;
mod registry;
pub mod swarm;
pub mod views;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bollard::query_parameters::{
    ListContainersOptionsBuilder, ListImagesOptionsBuilder, ListVolumesOptionsBuilder,
    RemoveContainerOptionsBuilder, RemoveImageOptionsBuilder, RemoveVolumeOptions,
};
use bollard::Docker;

pub use registry::Registry;

/// The label every test object carries.
pub const TEST_LABEL: &str = "io.dockjob.test";

static NEXT_ID: AtomicUsize = AtomicUsize::new(0);

/// One test's corner of the engine and of the filesystem.
pub struct TestEnv {
    /// Unique per test: `<name>-<pid>-<n>`, safe in image names.
    pub id: String,
    /// Scratch directory, removed on drop.
    pub dir: tempfile::TempDir,
    docker: Docker,
    runtime: tokio::runtime::Runtime,
}

impl TestEnv {
    /// A fresh environment for the test `name`.
    pub fn new(name: &str) -> Self {
        let n = NEXT_ID.fetch_add(1, Ordering::SeqCst);
        let id = format!("{name}-{}-{n}", std::process::id());
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio runtime");
        let docker = Docker::connect_with_defaults().expect("DOCKER_HOST or the default socket");
        runtime
            .block_on(docker.ping())
            .expect("the end-to-end tests need a running Docker engine");
        TestEnv {
            id,
            dir: tempfile::tempdir().expect("temp dir"),
            docker,
            runtime,
        }
    }

    /// The pause image dockjob makes for this test's pods with several containers (removed
    /// by name with the test's other objects).
    pub fn pause_image(&self) -> String {
        format!("dockjob-test/pause-{}:1", self.id)
    }

    /// `io.dockjob.test=<id>`, for filters.
    pub fn label(&self) -> String {
        format!("{TEST_LABEL}={}", self.id)
    }

    /// A `dockjob` command isolated from the user's Docker config. `DOCKJOB_TEST_BIN` names
    /// another binary than the one cargo built with the tests (a copy taken right after the
    /// build, when several worktrees share one target directory).
    pub fn dockjob(&self) -> Command {
        let mut command = Command::new(dockjob_binary());
        command
            .env("DOCKER_CONFIG", self.dir.path().join("docker-config"))
            .env("DOCKJOB_STATE_DIR", self.dir.path().join("state"))
            // Pods with several containers get their sandbox from this test's own pause image.
            .env("DOCKJOB_PAUSE_IMAGE", self.pause_image())
            .env("NO_COLOR", "1")
            .env_remove("RUST_BACKTRACE");
        command
    }

    /// Runs `dockjob ARGS…` and returns its output (whatever the exit status).
    pub fn run(&self, args: &[&str]) -> Output {
        self.dockjob().args(args).output().expect("run dockjob")
    }

    /// Like [`run`](Self::run), but fails the test unless dockjob exits 0.
    pub fn run_ok(&self, args: &[&str]) -> Output {
        let output = self.run(args);
        assert!(
            output.status.success(),
            "dockjob {args:?} failed with {}:\nstdout:\n{}\nstderr:\n{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        output
    }

    /// `dockjob --progress plain run --backoff-scale 0.01 -f PATH`: Kubernetes' delays a
    /// hundred times shorter, whatever the exit status.
    pub fn run_job_fast(&self, path: &str) -> Output {
        self.run(&[
            "--progress",
            "plain",
            "run",
            "--backoff-scale",
            "0.01",
            "-f",
            path,
        ])
    }

    /// Writes `contents` to `relative` under the scratch directory and returns its path.
    pub fn write(&self, relative: &str, contents: &str) -> PathBuf {
        let path = self.dir.path().join(relative);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, contents).expect("write");
        path
    }

    /// Imports a busybox-static root filesystem as `dockjob-test/busybox-<id>:1` through
    /// `dockjob image import`, labelled for this test, and returns the reference.
    pub fn base_image(&self) -> String {
        let rootfs = self.dir.path().join("rootfs");
        make_busybox_rootfs(&rootfs);
        let reference = format!("dockjob-test/busybox-{}:1", self.id);
        let label_change = format!("LABEL {TEST_LABEL}={}", self.id);
        self.run_ok(&[
            "image",
            "import",
            rootfs.to_str().expect("utf-8 path"),
            "-t",
            &reference,
            "-c",
            &label_change,
            "-c",
            r#"CMD ["/bin/sh"]"#,
        ]);
        reference
    }

    /// Runs an async engine call on this environment's runtime.
    pub fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    /// The raw engine client, for checks the CLI does not offer.
    pub fn docker(&self) -> &Docker {
        &self.docker
    }

    /// Containers labelled for this test (and optionally with more `k=v` labels).
    pub fn containers(&self, extra_labels: &[&str]) -> Vec<bollard::models::ContainerSummary> {
        let mut labels = vec![self.label()];
        labels.extend(extra_labels.iter().map(|l| l.to_string()));
        let filters = HashMap::from([("label".to_string(), labels)]);
        let options = ListContainersOptionsBuilder::default()
            .all(true)
            .filters(&filters)
            .build();
        self.block_on(self.docker.list_containers(Some(options)))
            .expect("list containers")
    }

    /// Removes the engine's BuildKit cache records whose description (the step, e.g.
    /// `RUN /bin/sh -c echo <id>`) contains `text`, children before parents, and no others:
    /// tests run side by side on one engine, and an engine-wide prune would empty the cache
    /// mounts of the builds next door.
    pub fn prune_build_cache(&self, text: &str) {
        // The docker CLI reads engine 20.10's `BuildCache` list (bollard 0.21 models 1.53's).
        for _ in 0..10 {
            let listed = Command::new("docker")
                .args(["system", "df", "-v", "--format", "{{json .BuildCache}}"])
                .output()
                .expect("docker system df");
            let records: Vec<serde_json::Value> =
                serde_json::from_slice(&listed.stdout).unwrap_or_default();
            let matching: Vec<&str> = records
                .iter()
                .filter(|r| r["Description"].as_str().unwrap_or_default().contains(text))
                .filter_map(|r| r["ID"].as_str())
                .collect();
            if matching.is_empty() {
                return;
            }
            for id in matching {
                let _ = Command::new("docker")
                    .args(["builder", "prune", "--all", "--force", "--filter"])
                    .arg(format!("id={id}"))
                    .output();
            }
        }
    }

    fn cleanup(&self) -> Result<(), bollard::errors::Error> {
        let filters = HashMap::from([("label".to_string(), vec![self.label()])]);
        self.block_on(async {
            let options = ListContainersOptionsBuilder::default()
                .all(true)
                .filters(&filters)
                .build();
            for container in self.docker.list_containers(Some(options)).await? {
                let id = container.id.unwrap_or_default();
                let remove = RemoveContainerOptionsBuilder::default()
                    .force(true)
                    .v(true)
                    .build();
                self.docker.remove_container(&id, Some(remove)).await?;
            }
            let options = ListVolumesOptionsBuilder::default()
                .filters(&filters)
                .build();
            let volumes = self.docker.list_volumes(Some(options)).await?;
            for volume in volumes.volumes.unwrap_or_default() {
                self.docker
                    .remove_volume(&volume.name, None::<RemoveVolumeOptions>)
                    .await?;
            }
            let options = ListImagesOptionsBuilder::default()
                .all(true)
                .filters(&filters)
                .build();
            let mut images = self.docker.list_images(Some(options)).await?;
            let pause = bollard::models::ImageSummary {
                id: self.pause_image(),
                ..Default::default()
            };
            images.push(pause);
            // Children first: an image cannot go while another image is built on it.
            images.sort_by_key(|image| std::cmp::Reverse(image.created));
            for image in images {
                let remove = RemoveImageOptionsBuilder::default().force(true).build();
                match self
                    .docker
                    .remove_image(&image.id, Some(remove), None)
                    .await
                {
                    Ok(_)
                    | Err(bollard::errors::Error::DockerResponseServerError {
                        status_code: 404,
                        ..
                    }) => {}
                    Err(e) => return Err(e),
                }
            }
            Ok(())
        })
    }
}

impl Drop for TestEnv {
    fn drop(&mut self) {
        // BuildKit's cache of the steps that name this test (they echo its id).
        self.prune_build_cache(&self.id);
        if let Err(e) = self.cleanup() {
            eprintln!(
                "warning: cleaning up test objects labelled {}: {e}",
                self.label()
            );
        }
    }
}

/// A minimal root filesystem: Debian's static busybox and one symlink per applet.
pub fn make_busybox_rootfs(root: &Path) {
    let busybox = Path::new("/bin/busybox");
    assert!(
        busybox.exists(),
        "/bin/busybox is missing: install Debian's busybox-static (.ci/run does)"
    );
    let bin = root.join("bin");
    std::fs::create_dir_all(&bin).expect("mkdir bin");
    std::fs::create_dir_all(root.join("tmp")).expect("mkdir tmp");
    std::fs::copy(busybox, bin.join("busybox")).expect("copy busybox");
    let list = Command::new(busybox)
        .arg("--list")
        .output()
        .expect("busybox --list");
    for applet in String::from_utf8_lossy(&list.stdout).lines() {
        if applet != "busybox" && !applet.is_empty() {
            std::os::unix::fs::symlink("busybox", bin.join(applet)).expect("symlink applet");
        }
    }
}

/// The dockjob under test: this build's, or `DOCKJOB_TEST_BIN` (to run the suite against
/// another build, e.g. a release binary or a copy that a concurrent build cannot replace).
pub fn dockjob_binary() -> std::ffi::OsString {
    std::env::var_os("DOCKJOB_TEST_BIN").unwrap_or_else(|| env!("CARGO_BIN_EXE_dockjob").into())
}

/// Fails the test unless `output` is a success, showing both streams.
pub fn assert_ok(what: &str, output: &Output) {
    assert!(
        output.status.success(),
        "{what} failed with {}:\nstdout:\n{}\nstderr:\n{}",
        output.status,
        stdout(output),
        stderr(output)
    );
}

/// Stdout as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Stderr as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Forwards `127.0.0.1:<port>` to the engine's unix socket, so that dockjob can be pointed at
/// a `tcp://` engine. Serves until the test process ends.
pub fn tcp_to_engine_socket() -> String {
    engine_proxy(None)
}

/// [`tcp_to_engine_socket`] that also records each request's method and path (no query),
/// in order, as `POST /containers/create`: what a command asked the engine.
pub fn recording_engine_proxy() -> (String, Arc<Mutex<Vec<String>>>) {
    let requests = Arc::new(Mutex::new(Vec::new()));
    let address = engine_proxy(Some(Arc::clone(&requests)));
    (address, requests)
}

fn engine_proxy(requests: Option<Arc<Mutex<Vec<String>>>>) -> String {
    let socket = std::env::var("DOCKER_HOST")
        .ok()
        .and_then(|h| h.strip_prefix("unix://").map(str::to_string))
        .unwrap_or_else(|| "/var/run/docker.sock".to_string());
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(client) = client else { continue };
            let Ok(engine) = std::os::unix::net::UnixStream::connect(&socket) else {
                continue;
            };
            let (mut client_in, mut engine_out) =
                (client.try_clone().unwrap(), engine.try_clone().unwrap());
            let requests = requests.clone();
            std::thread::spawn(move || {
                match requests {
                    Some(requests) => copy_recording(&mut client_in, &mut engine_out, &requests),
                    None => {
                        let _ = std::io::copy(&mut client_in, &mut engine_out);
                    }
                }
                let _ = engine_out.shutdown(std::net::Shutdown::Write);
            });
            let (mut engine_in, mut client_out) = (engine, client);
            std::thread::spawn(move || {
                if let Err(e) = std::io::copy(&mut engine_in, &mut client_out) {
                    assert_ne!(e.kind(), std::io::ErrorKind::InvalidData);
                }
                let _ = client_out.shutdown(std::net::Shutdown::Write);
            });
        }
    });
    address
}

/// Copies `from` to `to`, noting every line that looks like an HTTP request line.
fn copy_recording(
    from: &mut impl std::io::Read,
    to: &mut impl std::io::Write,
    requests: &Mutex<Vec<String>>,
) {
    let mut pending: Vec<u8> = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if to.write_all(&chunk[..n]).is_err() {
            return;
        }
        pending.extend_from_slice(&chunk[..n]);
        while let Some(end) = pending.windows(2).position(|w| w == b"\r\n") {
            let line: Vec<u8> = pending.drain(..end + 2).collect();
            let line = String::from_utf8_lossy(&line[..end]);
            // A request on a kept-alive connection follows the previous body on its line.
            let Some(request) = line.strip_suffix(" HTTP/1.1") else {
                continue;
            };
            let start = ["GET /", "POST /", "PUT /", "DELETE /", "HEAD /"]
                .iter()
                .filter_map(|method| request.rfind(method))
                .max();
            if let Some((method, target)) = start.and_then(|s| request[s..].split_once(' ')) {
                let path = target.split('?').next().unwrap_or_default();
                requests.lock().unwrap().push(format!("{method} {path}"));
            }
        }
        // A body without line breaks (an uploaded tar) is not kept whole.
        if pending.len() > 64 * 1024 {
            pending.drain(..pending.len() - 1024);
        }
    }
}
