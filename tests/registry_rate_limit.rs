//! The `Retry-After` probe against a tiny local HTTP server that rate-limits like a registry
//! would (Debian's `docker-registry` cannot be made to answer 429). Each test's server checks
//! the credentials or token it is sent, so a probe that skips a step gets no `Retry-After`.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use dockjob::registry::credentials::Credentials;
use dockjob::registry::rate_limit::probe_retry_after;

/// One request as the server saw it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    target: String,
    authorization: Option<String>,
}

/// An answer: status, extra headers, body.
type Answer = (u16, Vec<(String, String)>, String);

/// A server on a free loopback port answering with `respond`; returns its `127.0.0.1:port`
/// and the requests it saw. It serves until the test process ends.
fn serve(
    respond: impl Fn(&Seen, &str) -> Answer + Send + 'static,
) -> (String, Arc<Mutex<Vec<Seen>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let own = address.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).is_err() {
                continue;
            }
            let mut parts = request_line.split_whitespace();
            let method = parts.next().unwrap_or_default().to_string();
            let target = parts.next().unwrap_or_default().to_string();
            let mut authorization = None;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
                    break;
                }
                if let Some((name, value)) = line.split_once(':') {
                    if name.eq_ignore_ascii_case("authorization") {
                        authorization = Some(value.trim().to_string());
                    }
                }
            }
            let request = Seen {
                method,
                target,
                authorization,
            };
            log.lock().unwrap().push(request.clone());
            let (status, headers, body) = respond(&request, &own);
            let mut response = format!(
                "HTTP/1.1 {status} X\r\nConnection: close\r\nContent-Length: {}\r\n",
                body.len()
            );
            for (name, value) in headers {
                response.push_str(&format!("{name}: {value}\r\n"));
            }
            response.push_str("\r\n");
            if request.method != "HEAD" {
                response.push_str(&body);
            }
            let _ = stream.write_all(response.as_bytes());
        }
    });
    (address, seen)
}

fn header(name: &str, value: &str) -> Vec<(String, String)> {
    vec![(name.to_string(), value.to_string())]
}

const SECOND: Duration = Duration::from_secs(1);

#[test]
fn a_429_on_v2_gives_its_retry_after_in_seconds() {
    let (address, seen) = serve(|_, _| (429, header("Retry-After", "30"), String::new()));
    let wait = probe_retry_after(&address, "team/app", "1.0", None, SystemTime::now());
    assert_eq!(wait, Some(30 * SECOND));
    assert_eq!(seen.lock().unwrap()[0].target, "/v2/");
}

#[test]
fn a_bearer_registry_is_asked_with_a_token_for_the_repository() {
    let (address, seen) = serve(|request, own| match request.target.as_str() {
        "/v2/" => (
            401,
            header(
                "WWW-Authenticate",
                &format!(r#"Bearer realm="http://{own}/token",service="test-registry""#),
            ),
            String::new(),
        ),
        target if target.starts_with("/token?") => {
            let scoped = target.contains("scope=repository%3Ateam%2Fapp%3Apull")
                && target.contains("service=test-registry");
            let basic = request.authorization.as_deref() == Some("Basic YWxpY2U6cHc=");
            if scoped && basic {
                (200, Vec::new(), r#"{"token":"t0k"}"#.to_string())
            } else {
                (401, Vec::new(), String::new())
            }
        }
        "/v2/team/app/manifests/1.0" if request.authorization.as_deref() == Some("Bearer t0k") => {
            let at = httpdate::fmt_http_date(SystemTime::now() + 45 * SECOND);
            (429, header("Retry-After", &at), String::new())
        }
        _ => (401, Vec::new(), String::new()),
    });
    let alice = Credentials::basic(&address, "alice", "pw");
    let wait = probe_retry_after(&address, "team/app", "1.0", Some(&alice), SystemTime::now())
        .expect("the manifest answer's Retry-After");
    // An HTTP date has whole seconds: 44 or 45 s from now.
    assert!(
        (44 * SECOND..=45 * SECOND).contains(&wait),
        "{wait:?}: {:?}",
        seen.lock().unwrap()
    );
    let methods: Vec<String> = seen
        .lock()
        .unwrap()
        .iter()
        .map(|s| s.method.clone())
        .collect();
    assert_eq!(methods, ["GET", "GET", "HEAD"]);
}

#[test]
fn a_basic_registry_is_asked_with_the_credentials() {
    let (address, _) = serve(|request, _| match request.target.as_str() {
        "/v2/" if request.authorization.is_none() => (
            401,
            header("WWW-Authenticate", r#"Basic realm="r""#),
            String::new(),
        ),
        "/v2/" => (200, Vec::new(), "{}".to_string()),
        "/v2/app/manifests/latest"
            if request.authorization.as_deref() == Some("Basic YWxpY2U6cHc=") =>
        {
            (429, header("Retry-After", "7"), String::new())
        }
        _ => (401, Vec::new(), String::new()),
    });
    let alice = Credentials::basic(&address, "alice", "pw");
    let wait = probe_retry_after(&address, "app", "latest", Some(&alice), SystemTime::now());
    assert_eq!(wait, Some(7 * SECOND));
}

#[test]
fn no_retry_after_means_no_answer() {
    let (quiet_429, _) = serve(|_, _| (429, Vec::new(), String::new()));
    assert_eq!(
        probe_retry_after(&quiet_429, "app", "1", None, SystemTime::now()),
        None
    );
    let (fine, _) = serve(|_, _| (200, header("Retry-After", "9"), "{}".to_string()));
    assert_eq!(
        probe_retry_after(&fine, "app", "1", None, SystemTime::now()),
        None,
        "Retry-After on a success is no request to wait"
    );
    let (garbage, _) = serve(|_, _| (429, header("Retry-After", "soon"), String::new()));
    assert_eq!(
        probe_retry_after(&garbage, "app", "1", None, SystemTime::now()),
        None
    );
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let nobody = closed.local_addr().unwrap().to_string();
    drop(closed);
    assert_eq!(
        probe_retry_after(&nobody, "app", "1", None, SystemTime::now()),
        None,
        "an unreachable registry"
    );
}
