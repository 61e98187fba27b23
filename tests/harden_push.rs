//! Issue 17, point 4: one retry policy for pushes. A hostile registry on 127.0.0.1 answers
//! every layer upload with 500 (or 429 with `Retry-After`); `dockjob push` and `docker push`
//! push the same image to it through the same engine at the same time. dockjob must not
//! multiply the engine's per-layer retries by its own (it made 25 upload attempts over
//! ~265 s where `docker push` gave up after 5 and ~50 s), and must still wait what a 429's
//! `Retry-After` asks.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{stderr, TestEnv};
use dockjob::registry::retry::{FailureKind, RetryDecision, RetryPolicy};

/// How the hostile registry answers layer uploads.
#[derive(Clone, Copy)]
enum Uploads {
    /// `500 Internal Server Error`, every time.
    Fail500,
    /// `429 toomanyrequests` with `Retry-After: N` (also on the manifest, where dockjob's
    /// probe asks).
    RateLimited(u64),
}

/// One request the registry saw: method, path, when.
type Seen = (String, String, Instant);

/// A registry that answers its ping (`GET /v2/`) like a real one, says every blob is
/// unknown, and answers uploads as `uploads` says. Serves until the test process ends.
fn hostile_registry(uploads: Uploads) -> (String, Arc<Mutex<Vec<Seen>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let log = Arc::clone(&log);
            std::thread::spawn(move || serve_one(stream, uploads, &log));
        }
    });
    (address, seen)
}

fn serve_one(mut stream: TcpStream, uploads: Uploads, log: &Mutex<Vec<Seen>>) {
    stream.set_read_timeout(Some(Duration::from_secs(30))).ok();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let path = parts.next().unwrap_or_default().to_string();
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0; length.min(1 << 20)];
    let _ = reader.read_exact(&mut body);
    log.lock()
        .unwrap()
        .push((method.clone(), path.clone(), Instant::now()));
    let path_only = path.split('?').next().unwrap_or_default();
    let too_many = |seconds: u64| {
        (
            "429 Too Many Requests",
            format!("Retry-After: {seconds}\r\n"),
            r#"{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down","detail":null}]}"#
                .to_string(),
        )
    };
    let (status, extra, body) = match (method.as_str(), path_only) {
        ("GET", "/v2/") => ("200 OK", String::new(), "{}".to_string()),
        ("HEAD", p) if p.contains("/blobs/") => ("404 Not Found", String::new(), String::new()),
        ("HEAD", p) if p.contains("/manifests/") => match uploads {
            Uploads::RateLimited(seconds) => too_many(seconds),
            Uploads::Fail500 => ("404 Not Found", String::new(), String::new()),
        },
        ("POST", p) if p.contains("/blobs/uploads") => match uploads {
            Uploads::Fail500 => (
                "500 Internal Server Error",
                String::new(),
                "upload storage is broken".to_string(),
            ),
            Uploads::RateLimited(seconds) => too_many(seconds),
        },
        // TLS hellos (the engine tries https first) and anything else.
        _ => ("500 Internal Server Error", String::new(), "no".to_string()),
    };
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nDocker-Distribution-API-Version: registry/2.0\r\n\
         Content-Type: application/json\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}

/// The base image tagged into two repositories of the hostile registry: one for dockjob,
/// one for the docker CLI (the engine keys its upload retries by repository, so the two
/// pushes do not share them).
fn tagged_twice(env: &TestEnv, address: &str) -> (String, String) {
    let base = env.base_image();
    let mine = format!("{address}/harden/dockjob-{}:1", env.id);
    let theirs = format!("{address}/harden/docker-{}:1", env.id);
    for tag in [&mine, &theirs] {
        let status = Command::new("docker")
            .args(["tag", &base, tag])
            .status()
            .expect("docker tag");
        assert!(status.success());
    }
    (mine, theirs)
}

fn uploads_to(seen: &Mutex<Vec<Seen>>, repository_part: &str) -> usize {
    seen.lock()
        .unwrap()
        .iter()
        .filter(|(method, path, _)| {
            method == "POST" && path.contains("/blobs/uploads") && path.contains(repository_part)
        })
        .count()
}

#[test]
fn a_push_to_a_registry_that_fails_every_upload_ends_no_later_than_docker_push() {
    let env = TestEnv::new("harden-push-500");
    let (address, seen) = hostile_registry(Uploads::Fail500);
    let (mine, theirs) = tagged_twice(&env, &address);

    // Side by side on the same engine and registry.
    let docker = std::thread::spawn(move || {
        let started = Instant::now();
        let output = Command::new("docker")
            .args(["push", &theirs])
            .output()
            .expect("docker push");
        (started.elapsed(), output)
    });
    let started = Instant::now();
    let output = env.run(&["--progress", "plain", "push", &mine]);
    let dockjob_took = started.elapsed();
    let (docker_took, docker_output) = docker.join().unwrap();
    eprintln!(
        "push to an always-500 registry: dockjob {:.1}s, docker push {:.1}s",
        dockjob_took.as_secs_f64(),
        docker_took.as_secs_f64()
    );

    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(
        !docker_output.status.success(),
        "docker push cannot succeed"
    );
    // The engine did retry the layer (the test is not trivially fast)…
    assert!(text.contains("Retrying in"), "{text}");
    assert!(text.contains("500 Internal Server Error"), "{text}");
    // …and dockjob did not push again on top of that.
    assert!(!text.contains("retrying push of"), "{text}");
    assert!(
        text.contains("the engine retried the layer uploads itself"),
        "{text}"
    );
    let mine_uploads = uploads_to(&seen, "/harden/dockjob-");
    let docker_uploads = uploads_to(&seen, "/harden/docker-");
    assert_eq!(
        mine_uploads, docker_uploads,
        "dockjob made as many upload attempts as docker push"
    );
    assert!(mine_uploads >= 2, "the engine retried: {mine_uploads}");
    assert!(
        dockjob_took <= docker_took + Duration::from_secs(3),
        "dockjob took {dockjob_took:?}, docker push {docker_took:?}"
    );
}

#[test]
fn a_rate_limited_push_still_waits_what_retry_after_asks() {
    let env = TestEnv::new("harden-push-429");
    let (address, seen) = hostile_registry(Uploads::RateLimited(3));
    let (mine, _) = tagged_twice(&env, &address);
    let started = Instant::now();
    let output = env.run(&["--progress", "plain", "push", &mine]);
    let took = started.elapsed();
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    // Five pushes; the waits are max(Retry-After 3s, backoff 1, 2, 4, 8s) = 3, 3, 4, 8 s.
    assert_eq!(text.matches("retrying push of").count(), 4, "{text}");
    assert!(
        text.contains("(attempt 2 of 5; registry asked: Retry-After 3s)"),
        "{text}"
    );
    assert!(text.contains("toomanyrequests"), "{text}");
    assert!(took >= Duration::from_secs(18), "{took:?}");
    // The engine does not retry a 429 itself: one upload attempt per push.
    let uploads = uploads_to(&seen, "/harden/dockjob-");
    assert_eq!(uploads, 5, "{uploads} upload attempts");
    // Each retry came no sooner than the registry asked.
    let times: Vec<Instant> = seen
        .lock()
        .unwrap()
        .iter()
        .filter(|(m, p, _)| m == "POST" && p.contains("/harden/dockjob-"))
        .map(|(_, _, t)| *t)
        .collect();
    for pair in times.windows(2) {
        assert!(
            pair[1] - pair[0] >= Duration::from_millis(2900),
            "{times:?}"
        );
    }
}

#[test]
fn the_push_policy_gives_up_when_the_engine_retried_unless_the_registry_asked_to_wait() {
    let policy = RetryPolicy::default();
    let second = Duration::from_secs(1);
    assert_eq!(
        policy.decide_push(1, FailureKind::Transient, None, true),
        RetryDecision::GiveUp
    );
    assert_eq!(
        policy.decide_push(1, FailureKind::Transient, None, false),
        RetryDecision::RetryAfter(second)
    );
    assert_eq!(
        policy.decide_push(1, FailureKind::Transient, Some(30 * second), true),
        RetryDecision::RetryAfter(30 * second)
    );
    assert_eq!(
        policy.decide_push(5, FailureKind::Transient, None, false),
        RetryDecision::GiveUp
    );
    assert_eq!(
        policy.decide_push(1, FailureKind::Unauthorized, None, false),
        RetryDecision::GiveUp
    );
}
