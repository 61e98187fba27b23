//! Issue 17, points 2 and 3: Jobs on different engines in one command. Each Job remembers its
//! engine, so `delete job A B` connects to A's and then to B's. Found by the red team: when
//! B's engine (a `tcp://` endpoint) stalled, the error named A's (`cannot reach the Docker
//! engine at unix:///var/run/docker.sock …`), the first engine the process had connected to.

mod common;

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{stderr, stdout, TestEnv};

fn job(name: &str, image: &str) -> String {
    format!(
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {name}\nspec:\n  backoffLimit: 0\n  \
         template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: main\n        \
         image: {image}\n        imagePullPolicy: Never\n        command: [\"sh\", \"-c\", \"echo {name}\"]\n"
    )
}

/// A `tcp://` endpoint forwarding to the engine's socket until `stalled` is set; from then on
/// it answers `/_ping` and nothing else, as a wedged engine behind a proxy can. Serves until
/// the test process ends.
fn switchable_engine(stalled: Arc<AtomicBool>) -> String {
    let socket = std::env::var("DOCKER_HOST")
        .ok()
        .and_then(|h| h.strip_prefix("unix://").map(str::to_string))
        .unwrap_or_else(|| "/var/run/docker.sock".to_string());
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            if stalled.load(Ordering::SeqCst) {
                std::thread::spawn(move || ping_then_stall(client));
                continue;
            }
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

fn ping_then_stall(mut client: TcpStream) {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    while let Ok(n) = client.read(&mut chunk) {
        if n == 0 {
            return;
        }
        buffer.extend_from_slice(&chunk[..n]);
        while let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head: Vec<u8> = buffer.drain(..end + 4).collect();
            if head.starts_with(b"GET /_ping") || head.starts_with(b"HEAD /_ping") {
                let reply = b"HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nContent-Length: 2\r\n\r\nOK";
                if client.write_all(reply).is_err() {
                    return;
                }
            }
        }
    }
}

#[test]
fn a_stall_of_the_second_jobs_engine_is_named_as_that_engine() {
    let env = TestEnv::new("harden-two-engines");
    let image = env.base_image();
    let stalled = Arc::new(AtomicBool::new(false));
    let remote = switchable_engine(Arc::clone(&stalled));
    let local = env.write("local.yaml", &job("on-local", &image));
    let far = env.write("far.yaml", &job("on-remote", &image));
    env.run_ok(&["run", "-f", local.to_str().unwrap()]);
    env.run_ok(&["-H", &remote, "run", "-f", far.to_str().unwrap()]);

    stalled.store(true, Ordering::SeqCst);
    let started = Instant::now();
    let output = env
        .dockjob()
        .args(["delete", "job", "on-local", "on-remote"])
        .env("DOCKJOB_ENGINE_TIMEOUT", "2")
        .output()
        .unwrap();
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(3), "{text}");
    assert_eq!(stdout(&output), "job.batch \"on-local\" deleted\n");
    assert!(
        text.contains(&format!(
            "cannot reach the Docker engine at {remote}: the engine accepted the request but \
             did not answer within 2 s"
        )),
        "names the Job's engine: {text}"
    );
    assert!(!text.contains("unix://"), "{text}");
    assert!(started.elapsed() < Duration::from_secs(20));
    // The Job whose engine did not answer is still there, with its container.
    let stored = env.run_ok(&["get", "jobs", "-o", "name"]);
    assert_eq!(stdout(&stored), "job.batch/on-remote\n");
    assert_eq!(
        env.containers(&["batch.kubernetes.io/job-name=on-remote"])
            .len(),
        1
    );

    stalled.store(false, Ordering::SeqCst);
    env.run_ok(&["delete", "job", "on-remote"]);
    assert!(env.containers(&[]).is_empty(), "containers left behind");
}
