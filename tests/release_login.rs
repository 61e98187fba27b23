//! `dockjob login`/`logout` against a real htpasswd registry and a Bearer token service, the
//! `config.json` they write, and `push --digest-file` with that login.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::process::{Output, Stdio};

use base64::Engine as _;
use common::{stderr, stdout, Registry, TestEnv};

/// `?`, `>` and `~` make standard base64 emit `+`/`/`: the engine-side decoding bug's trigger.
const PASSWORD: &str = "s3cr?t>~pw";

/// Runs `dockjob ARGS…` with `input` on stdin.
fn run_with_stdin(env: &TestEnv, args: &[&str], input: &str) -> Output {
    let mut child = env
        .dockjob()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start dockjob");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("wait for dockjob")
}

fn config_json(env: &TestEnv) -> serde_json::Value {
    let path = env.dir.path().join("docker-config/config.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|_| "{}".to_string());
    serde_json::from_str(&text).expect("config.json is JSON")
}

#[test]
fn login_checks_the_password_writes_the_cli_format_and_push_uses_it() {
    let env = TestEnv::new("login");
    let registry = Registry::start(&env.dir.path().join("registry"), Some(("alice", PASSWORD)));
    let server = registry.address.as_str();

    // Wrong password: refused by the registry, named, exit 1, nothing stored, nothing leaked.
    let wrong = "not-the-password-42";
    let output = run_with_stdin(
        &env,
        &["login", server, "-u", "alice", "--password-stdin"],
        &format!("{wrong}\n"),
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(message.contains("unauthorized"), "{message}");
    assert!(message.contains(server), "names the registry: {message}");
    assert!(!message.contains(wrong) && !stdout(&output).contains(wrong));
    assert!(config_json(&env)["auths"].get(server).is_none());

    // Right password: `auths[host].auth = base64(user:pass)`, exactly what the CLI writes.
    let output = run_with_stdin(
        &env,
        &["login", server, "-u", "alice", "--password-stdin"],
        &format!("{PASSWORD}\n"),
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output).trim(), "Login Succeeded");
    assert!(!stderr(&output).contains(PASSWORD));
    let expected = base64::engine::general_purpose::STANDARD.encode(format!("alice:{PASSWORD}"));
    assert_eq!(
        config_json(&env)["auths"][server],
        serde_json::json!({ "auth": expected })
    );

    // The stored login pushes (the registry refuses anonymous pushes), and --digest-file
    // holds the same line as stdout, with the digest the registry serves.
    let base = env.base_image();
    let context = env.write(
        "ctx/Dockerfile",
        &format!("FROM {base}\nLABEL step=login\n"),
    );
    let repository = format!("dockjob-test/login-{}", env.id);
    let remote = format!("{server}/{repository}:1");
    env.run_ok(&[
        "--progress",
        "quiet",
        "build",
        context.parent().unwrap().to_str().unwrap(),
        "-t",
        &remote,
    ]);
    let digest_file = env.dir.path().join("digests.txt");
    let output = env.run_ok(&[
        "--progress",
        "quiet",
        "push",
        &remote,
        "--digest-file",
        digest_file.to_str().unwrap(),
    ]);
    let line = stdout(&output).trim().to_string();
    assert_eq!(
        std::fs::read_to_string(&digest_file).unwrap(),
        format!("{line}\n")
    );
    let served = registry
        .manifest_digest(&repository, "1")
        .expect("the registry serves the pushed tag");
    assert_eq!(line, format!("{remote}@{served}"));

    // Logout erases the entry; a second logout says so and still succeeds.
    let output = env.run_ok(&["logout", server]);
    assert_eq!(
        stdout(&output).trim(),
        format!("Removing login credentials for {server}")
    );
    assert!(config_json(&env)["auths"].get(server).is_none());
    let output = env.run_ok(&["logout", server]);
    assert_eq!(stdout(&output).trim(), format!("Not logged in to {server}"));
}

#[test]
fn login_without_password_stdin_or_registry_is_a_clear_error() {
    let env = TestEnv::new("login-usage");
    let output = env.run(&["login", "127.0.0.1:1", "-u", "alice"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("--password-stdin"));

    let output = run_with_stdin(
        &env,
        &["login", "127.0.0.1:1", "-u", "alice", "--password-stdin"],
        "pw\n",
    );
    assert_eq!(
        output.status.code(),
        Some(3),
        "unreachable: {}",
        stderr(&output)
    );
    assert!(stderr(&output).contains("cannot reach the registry 127.0.0.1:1"));
}

/// A registry that answers `/v2/` with a Bearer challenge and a token realm that accepts
/// only `alice:PASSWORD`, as Docker Hub does. Returns the address and the request lines seen.
fn start_token_registry() -> (String, std::sync::mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = listener.local_addr().unwrap().to_string();
    let realm = format!("http://{address}/token");
    let (seen, requests) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            reader.read_line(&mut request_line).ok();
            let mut authorization = None;
            loop {
                let mut header = String::new();
                if reader.read_line(&mut header).unwrap_or(0) == 0 || header.trim().is_empty() {
                    break;
                }
                if let Some((name, value)) = header.split_once(':') {
                    if name.eq_ignore_ascii_case("authorization") {
                        authorization = Some(value.trim().to_string());
                    }
                }
            }
            let good = format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("alice:{PASSWORD}"))
            );
            let response = if request_line.starts_with("GET /v2/ ") {
                format!(
                    "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer realm=\"{realm}\",\
                     service=\"fake.registry\"\r\nContent-Length: 0\r\n\r\n"
                )
            } else if request_line.starts_with("GET /token?") && authorization == Some(good) {
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n\
                 {\"token\":\"t0k\"}"
                    .to_string()
            } else {
                "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n".to_string()
            };
            let _ = seen.send(request_line.trim().to_string());
            let _ = stream.write_all(response.as_bytes());
        }
    });
    (address, requests)
}

#[test]
fn login_follows_a_bearer_challenge_to_the_token_realm() {
    let env = TestEnv::new("login-bearer");
    let (server, requests) = start_token_registry();

    let output = run_with_stdin(
        &env,
        &["login", &server, "-u", "alice", "--password-stdin"],
        "wrong\n",
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(stderr(&output).contains(&format!("{server}: unauthorized")));

    let output = run_with_stdin(
        &env,
        &["login", &server, "-u", "alice", "--password-stdin"],
        &format!("{PASSWORD}\n"),
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let seen: Vec<String> = requests.try_iter().collect();
    let token_request = seen
        .iter()
        .rev()
        .find(|line| line.starts_with("GET /token?"))
        .expect("the token realm was asked");
    for parameter in [
        "service=fake.registry",
        "account=alice",
        "offline_token=true",
    ] {
        assert!(token_request.contains(parameter), "{token_request}");
    }
}
