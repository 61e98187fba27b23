//! Issue 17, point 1, external programs beyond the credential helper's `get` that
//! `tests/harden_secrets.rs` checks: the helper's `store` (`login`) and `erase` (`logout`),
//! and the `ssh-add` of `build --ssh ID=KEYFILE` (found by the red team: it had a fixed 10 s
//! limit that `DOCKJOB_HELPER_TIMEOUT` did not set, its error did not say how to give it
//! longer, and only the process itself was killed, not what it started). Each one that never
//! answers is stopped after `DOCKJOB_HELPER_TIMEOUT`, named, and killed with its children.

mod common;

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::{stderr, stdout, Registry, TestEnv};

/// A program `name` in its own directory that records its pid and its child's in `pids`,
/// then waits forever on a `sleep` that holds its output open.
fn hanging_program(dir: &Path, name: &str, pids: &Path) -> PathBuf {
    let bin = dir.join(format!("{name}-bin"));
    std::fs::create_dir_all(&bin).unwrap();
    let path = bin.join(name);
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\necho $$ >> {pids}\nsleep 600 &\necho $! >> {pids}\nwait\n",
            pids = pids.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    bin
}

fn pids(file: &Path) -> Vec<i32> {
    std::fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect()
}

fn alive(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|stat| !stat.contains(") Z ") && !stat.contains(") X "))
}

/// Every pid in `file` is gone within 2 s (they are reaped by init once killed).
fn assert_all_gone(file: &Path, what: &str) {
    let pids = pids(file);
    assert!(
        pids.len() >= 2,
        "{what}: the program and its child ran: {pids:?}"
    );
    let gone = (0..100).any(|_| {
        std::thread::sleep(Duration::from_millis(20));
        !pids.iter().any(|pid| alive(*pid))
    });
    assert!(gone, "{what}: left behind: {pids:?}");
}

fn with_path(bin: &Path) -> String {
    format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

#[test]
fn a_credential_helper_that_never_stores_or_erases_is_stopped_named_and_killed() {
    let env = TestEnv::new("harden-helper-store");
    let registry = Registry::start(
        &env.dir.path().join("registry"),
        Some(("carol", "pw-store-3")),
    );
    let server = registry.address.as_str();
    let pid_file = env.dir.path().join("helper.pids");
    let bin = hanging_program(env.dir.path(), "docker-credential-stuck", &pid_file);
    let config = env.dir.path().join("docker-config/config.json");
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    let before = r#"{"credsStore":"stuck"}"#;
    std::fs::write(&config, before).unwrap();

    let started = Instant::now();
    let output = env
        .dockjob()
        .env("PATH", with_path(&bin))
        .env("DOCKJOB_HELPER_TIMEOUT", "1500ms")
        .args(["login", server, "-u", "carol", "--password-stdin"])
        .stdin(std::fs::File::open(env.write("pw", "pw-store-3\n")).unwrap())
        .output()
        .unwrap();
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(
        text.contains("docker-credential-stuck store did not answer within 1.5s and was stopped")
            && text.contains("DOCKJOB_HELPER_TIMEOUT"),
        "{text}"
    );
    assert!(!text.contains("pw-store-3"), "{text}");
    assert!(!stdout(&output).contains("Login Succeeded"));
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_all_gone(&pid_file, "login");
    assert_eq!(std::fs::read_to_string(&config).unwrap(), before);

    std::fs::remove_file(&pid_file).unwrap();
    let output = env
        .dockjob()
        .env("PATH", with_path(&bin))
        .env("DOCKJOB_HELPER_TIMEOUT", "1500ms")
        .args(["logout", server])
        .output()
        .unwrap();
    let text = stderr(&output);
    // docker logout warns and exits 0 when its helper cannot erase.
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(
        text.contains("docker-credential-stuck erase did not answer within 1.5s"),
        "{text}"
    );
    assert_all_gone(&pid_file, "logout");
}

#[test]
fn an_ssh_add_that_never_answers_is_stopped_named_and_killed() {
    let env = TestEnv::new("harden-ssh-add");
    let image = env.base_image();
    let key = env.dir.path().join("id_ed25519");
    let keygen = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&key)
        .output()
        .expect("ssh-keygen (openssh-client)");
    assert!(keygen.status.success(), "{}", stderr(&keygen));
    let context = env.dir.path().join("context");
    std::fs::create_dir_all(&context).unwrap();
    std::fs::write(
        context.join("Dockerfile"),
        format!("FROM {image}\nRUN --mount=type=ssh true\n"),
    )
    .unwrap();
    let pid_file = env.dir.path().join("ssh-add.pids");
    let bin = hanging_program(env.dir.path(), "ssh-add", &pid_file);

    let started = Instant::now();
    let output = env
        .dockjob()
        .env("PATH", with_path(&bin))
        .env("DOCKJOB_HELPER_TIMEOUT", "2")
        .args(["build", "--ssh"])
        .arg(format!("default={}", key.display()))
        .arg(&context)
        .output()
        .unwrap();
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{text}");
    assert!(
        text.contains(&format!("--ssh default: loading {}", key.display()))
            && text.contains("ssh-add did not answer within 2s and was stopped")
            && text.contains("DOCKJOB_HELPER_TIMEOUT"),
        "{text}"
    );
    assert!(started.elapsed() < Duration::from_secs(15));
    assert_all_gone(&pid_file, "build --ssh");
    // The private agent it was loading into went with the build.
    let agents = Command::new("pgrep")
        .args([
            "-f",
            &format!("ssh-agent -D -a {}", std::env::temp_dir().display()),
        ])
        .output()
        .unwrap();
    assert!(agents.stdout.is_empty(), "{}", stdout(&agents));
}
