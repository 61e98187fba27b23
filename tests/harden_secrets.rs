//! Issue 17, point 1: secret-safe files. Against the real engine and registry: the state
//! directory and every file in it are private whatever the umask (and loose ones from an
//! older dockjob are tightened); a `config.json` value never appears in an error, whatever its
//! JSON type; a credential helper that never answers is stopped, named and killed with what
//! it started; `login -p` is accepted with docker's warning and never prints the password.

mod common;

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{stderr, stdout, Registry, TestEnv};

fn job(name: &str, image: &str) -> String {
    format!(
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {name}\nspec:\n  template:\n    spec:\n      \
         restartPolicy: Never\n      containers:\n      - name: main\n        image: {image}\n        \
         imagePullPolicy: Never\n        env:\n        - name: API_TOKEN\n          value: tok-in-the-env\n        \
         command: [\"sh\", \"-c\", \"echo ok\"]\n"
    )
}

fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path)
        .unwrap()
        .permissions()
        .mode()
        & 0o7777
}

/// Every directory and file under `dir`, with its mode.
fn walk(dir: &Path) -> Vec<(PathBuf, u32)> {
    let mut found = vec![(dir.to_path_buf(), mode(dir))];
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(walk(&path));
        } else {
            found.push((path.clone(), mode(&path)));
        }
    }
    found
}

/// Runs `dockjob ARGS` under `umask` through a shell.
fn with_umask(env: &TestEnv, umask: &str, args: &str) -> std::process::Output {
    let dockjob = env.dockjob();
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(format!("umask {umask}; exec \"$DJ\" {args}"))
        .env("DJ", dockjob.get_program());
    for (key, value) in dockjob.get_envs() {
        match value {
            Some(value) => command.env(key, value),
            None => command.env_remove(key),
        };
    }
    command.output().unwrap()
}

#[test]
fn state_files_are_private_whatever_the_umask_and_loose_ones_are_tightened() {
    let env = TestEnv::new("harden-modes");
    let image = env.base_image();
    let manifest = env.write("job.yaml", &job("private", &image));
    let state = env.dir.path().join("state");
    let output = with_umask(&env, "000", &format!("apply -f {}", manifest.display()));
    assert!(output.status.success(), "{}", stderr(&output));
    env.run_ok(&[
        "wait",
        "--for=condition=complete",
        "job/private",
        "--timeout=60s",
    ]);
    // The pod's env is in the database in clear: that is why it must be private.
    let db = std::fs::read(state.join("dockjob.db")).unwrap();
    let wal = std::fs::read(state.join("dockjob.db-wal")).unwrap_or_default();
    let needle = b"tok-in-the-env";
    assert!(
        db.windows(needle.len()).any(|w| w == needle)
            || wal.windows(needle.len()).any(|w| w == needle),
        "the test looks at the file that holds the secret"
    );
    let check = |when: &str| {
        let entries = walk(&state);
        assert!(entries.len() >= 4, "{entries:?}");
        assert!(
            entries
                .iter()
                .any(|(p, _)| p.extension().is_some_and(|e| e == "log")),
            "a controller log is among them: {entries:?}"
        );
        for (path, mode) in entries {
            let want = if path.is_dir() { 0o700 } else { 0o600 };
            assert_eq!(mode, want, "{when}: {} is {mode:o}", path.display());
        }
    };
    check("umask 000");

    // As an older dockjob left them under umask 022.
    for (path, _) in walk(&state) {
        let loose = if path.is_dir() { 0o755 } else { 0o644 };
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(loose)).unwrap();
    }
    let output = with_umask(&env, "022", "get jobs");
    assert!(output.status.success(), "{}", stderr(&output));
    check("tightened on open");
}

#[test]
fn a_config_json_value_never_appears_in_an_error_whatever_its_type() {
    let env = TestEnv::new("harden-config");
    let config_dir = env.dir.path().join("docker-config");
    std::fs::create_dir_all(&config_dir).unwrap();
    let cases = [
        ("{\n  \"auths\": {\n    \"r.example\": {\n      \"password\": 918273645\n    }\n  }\n}\n", "918273645", "line 4", "auths[\"r.example\"].password must be a string, not a number"),
        ("{\"auths\":{\"r.example\":{\"auth\":[\"c2VjcmV0OnB3\"]}}}", "c2VjcmV0OnB3", "line 1", "auths[\"r.example\"].auth must be a string, not an array"),
        ("{\"auths\":{\"r.example\":{\"identitytoken\":{\"v\":\"tok-5150\"}}}}", "tok-5150", "line 1", "must be a string, not an object"),
        ("{\"auths\":{\"r.example\":{\"password\":\"hunter2-unterminated}}}", "hunter2", "line 1", "not valid JSON"),
        ("{\"credHelpers\":{\"r.example\":31337}}", "31337", "line 1", "credHelpers[\"r.example\"] must be a string"),
    ];
    for (text, secret, line, field) in cases {
        std::fs::write(config_dir.join("config.json"), text).unwrap();
        let output = env.run(&["push", "r.example/x:1"]);
        let all = format!("{}{}", stdout(&output), stderr(&output));
        assert_eq!(output.status.code(), Some(1), "{all}");
        assert!(
            all.contains("config.json is not a valid docker config file"),
            "{all}"
        );
        assert!(all.contains(line), "{all}");
        assert!(all.contains(field), "{all}");
        assert!(!all.contains(secret), "{secret} leaked: {all}");
    }
}

/// A credential helper that reads its input and never answers; it records its own pid and
/// its child's, so the test can see that both are gone.
fn hanging_helper(dir: &Path) -> PathBuf {
    let bin = dir.join("helper-bin");
    std::fs::create_dir_all(&bin).unwrap();
    let path = bin.join("docker-credential-hang");
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\ncat > /dev/null\necho $$ >> {pids}\nsleep 600 &\necho $! >> {pids}\nwait\n",
            pids = dir.join("helper.pids").display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    bin
}

fn alive(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|stat| !stat.contains(") Z ") && !stat.contains(") X "))
}

fn helper_pids(dir: &Path) -> Vec<i32> {
    std::fs::read_to_string(dir.join("helper.pids"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect()
}

fn all_gone(pids: &[i32]) -> bool {
    (0..100).any(|_| {
        std::thread::sleep(Duration::from_millis(20));
        !pids.iter().any(|pid| alive(*pid))
    })
}

#[test]
fn a_credential_helper_that_never_answers_is_stopped_named_and_killed() {
    let env = TestEnv::new("harden-helper");
    let base = env.base_image();
    let image = format!("127.0.0.1:1/harden/helper-{}:1", env.id);
    assert!(Command::new("docker")
        .args(["tag", &base, &image])
        .status()
        .unwrap()
        .success());
    let bin = hanging_helper(env.dir.path());
    let config_dir = env.dir.path().join("docker-config");
    std::fs::create_dir_all(&config_dir).unwrap();
    std::fs::write(config_dir.join("config.json"), r#"{"credsStore":"hang"}"#).unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );

    let started = Instant::now();
    let output = env
        .dockjob()
        .env("PATH", &path)
        .env("DOCKJOB_HELPER_TIMEOUT", "2")
        .args(["push", &image])
        .output()
        .unwrap();
    let took = started.elapsed();
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(
        text.contains(
            "credential helper docker-credential-hang get did not answer within 2s and was stopped"
        ),
        "{text}"
    );
    assert!(text.contains("DOCKJOB_HELPER_TIMEOUT"), "{text}");
    assert!(took < Duration::from_secs(10), "{took:?}");
    let pids = helper_pids(env.dir.path());
    assert_eq!(pids.len(), 2, "the helper and its child ran: {pids:?}");
    assert!(all_gone(&pids), "left behind: {pids:?}");

    // Stopped from outside while the helper hangs (a CI job cancelled): nothing is left either.
    std::fs::remove_file(env.dir.path().join("helper.pids")).unwrap();
    let mut child = env
        .dockjob()
        .env("PATH", &path)
        .env("DOCKJOB_HELPER_TIMEOUT", "120")
        .args(["push", &image])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while helper_pids(env.dir.path()).len() < 2 {
        assert!(Instant::now() < deadline, "the helper did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    // SAFETY: a plain signal to the dockjob this test started.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(143));
    let pids = helper_pids(env.dir.path());
    assert!(all_gone(&pids), "left behind after SIGTERM: {pids:?}");

    // A timeout that cannot be read is said, naming the variable.
    let output = env
        .dockjob()
        .env("PATH", &path)
        .env("DOCKJOB_HELPER_TIMEOUT", "soon")
        .args(["push", &image])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("DOCKJOB_HELPER_TIMEOUT=\"soon\""),
        "{}",
        stderr(&output)
    );
}

#[test]
fn login_with_p_warns_like_docker_and_never_prints_the_password() {
    let env = TestEnv::new("harden-login-p");
    let registry = Registry::start(
        &env.dir.path().join("registry"),
        Some(("alice", "right-pw-8")),
    );
    let server = registry.address.as_str();
    let config = env.dir.path().join("docker-config/config.json");
    let wrong = "wr0ng-Pa55-for-the-test";
    let warning = "WARNING! Using --password via the CLI is insecure. Use --password-stdin.";
    let long = format!("--password={wrong}");
    let attempts: Vec<Vec<&str>> = vec![
        vec!["login", server, "-u", "alice", "-p", wrong],
        vec!["login", server, "-u", "alice", &long],
        vec!["login", "127.0.0.1:1", "-u", "alice", "-p", wrong],
        vec!["login", server, "-p", wrong],
        vec![
            "login",
            server,
            "-u",
            "alice",
            "-p",
            wrong,
            "--password-stdin",
        ],
        vec!["login", server, "-u", "alice", "-p", wrong, "extra"],
        vec![
            "-H",
            "unix:///nonexistent.sock",
            "login",
            server,
            "-u",
            "alice",
            "-p",
            wrong,
        ],
    ];
    for args in &attempts {
        let output = env.run(args);
        let all = format!("{}{}", stdout(&output), stderr(&output));
        assert_ne!(output.status.code(), Some(0), "{args:?}: {all}");
        assert!(!all.contains(wrong), "{args:?} printed the password: {all}");
        assert!(!config.exists() || !std::fs::read_to_string(&config).unwrap().contains("alice"));
    }
    let output = env.run(&attempts[0]);
    assert_eq!(output.status.code(), Some(1));
    let text = stderr(&output);
    assert!(text.starts_with(warning), "{text}");
    assert!(text.contains("unauthorized"), "{text}");

    let output = env.run_ok(&["login", server, "-u", "alice", "-p", "right-pw-8"]);
    assert!(stderr(&output).starts_with(warning), "{}", stderr(&output));
    assert_eq!(stdout(&output).trim(), "Login Succeeded");
    assert!(std::fs::read_to_string(&config).unwrap().contains(server));
}

/// Found by the red team: a password that starts with `-` was refused by clap, which printed
/// it (`-p --S3cret` gave "unexpected argument '--S3cret' found"), and a password typed where
/// a word was not expected was echoed the same way (`login -u me -- -p PASSWORD`, following
/// clap's own tip). docker (pflag) takes the word after `-p` whatever it is, and its usage
/// errors do not repeat the arguments.
#[test]
fn login_takes_a_password_that_starts_with_a_dash_and_usage_errors_never_echo_it() {
    let env = TestEnv::new("harden-login-dash");
    let password = "--Dash-pw-7";
    let registry = Registry::start(&env.dir.path().join("registry"), Some(("bob", password)));
    let server = registry.address.as_str();
    let config = env.dir.path().join("docker-config/config.json");
    let short_glued = format!("-p{password}");
    let long_glued = format!("--password={password}");
    let usage_errors: Vec<Vec<&str>> = vec![
        vec!["login", server, "-u", "bob", "--", "-p", password],
        vec!["login", server, "-u", "bob", "--", password],
        vec!["login", "-u", "bob", server, password],
        vec!["login", server, "-u", "bob", "-p", password, "--bogus"],
        vec!["login", server, "-u", "bob", "-p", password, "-p", "x"],
        vec![
            "login",
            server,
            "-u",
            "bob",
            &short_glued,
            "--password-stdin",
        ],
        vec!["login", server, "-u", "bob", &long_glued, server],
        vec!["--progress", password, "login", server, "-u", "bob"],
        vec!["login", server, "-u", "bob", "--pass", password],
    ];
    for args in &usage_errors {
        let output = env.run(args);
        let all = format!("{}{}", stdout(&output), stderr(&output));
        assert_eq!(output.status.code(), Some(2), "{args:?}: {all}");
        assert!(all.starts_with("error: "), "{args:?}: {all}");
        assert!(
            !all.contains("Dash-pw"),
            "{args:?} printed the password: {all}"
        );
        assert!(!all.contains("tip: to pass"), "{args:?}: {all}");
        assert!(!config.exists(), "{args:?} stored something");
    }
    // Names of options are still said.
    let output = env.run(&["login", server, "-u", "bob", "-p", password, "-p", "x"]);
    assert!(
        stderr(&output).contains("'--password <PASSWORD>' cannot be used multiple times"),
        "{}",
        stderr(&output)
    );

    for args in [
        vec!["login", server, "-u", "bob", "-p", password],
        vec!["login", server, "-u", "bob", "--password", password],
        vec!["login", server, "-u", "bob", &short_glued],
        vec!["login", server, "-u", "bob", &long_glued],
    ] {
        std::fs::remove_file(&config).ok();
        let output = env.run(&args);
        let text = stderr(&output);
        assert_eq!(output.status.code(), Some(0), "{args:?}: {text}");
        assert!(text.starts_with("WARNING! Using --password via the CLI is insecure."));
        assert!(!text.contains("Dash-pw"), "{args:?}: {text}");
        assert_eq!(stdout(&output).trim(), "Login Succeeded");
        assert!(std::fs::read_to_string(&config).unwrap().contains(server));
    }
}

/// Found by the red team: only a loose `controllers/` directory had its logs tightened, so a
/// log made readable inside a private directory (by hand, by a backup restore) stayed
/// readable, as did any other file there; and a state directory given as a symlink was left
/// as loose as it was (its link was "tightened" instead).
#[test]
fn every_file_of_a_state_dir_is_tightened_even_in_a_private_subdirectory_or_through_a_symlink() {
    use std::os::unix::fs::PermissionsExt as _;
    let env = TestEnv::new("harden-modes-2");
    let real = env.dir.path().join("real-state");
    let link = env.dir.path().join("state-link");
    // A store from before, then files that are not the database.
    let made = env
        .dockjob()
        .arg("--state-dir")
        .arg(&real)
        .args(["get", "jobs"])
        .output()
        .unwrap();
    assert!(made.status.success(), "{}", stderr(&made));
    std::fs::create_dir_all(real.join("controllers")).unwrap();
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let log = real.join("controllers/0000-from-before.log");
    let other = real.join("notes.txt");
    std::fs::write(&log, "pod/x created\n").unwrap();
    std::fs::write(&other, "left by hand\n").unwrap();
    let set = |path: &Path, mode: u32| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    };
    set(&real, 0o755);
    set(&real.join("controllers"), 0o700);
    set(&log, 0o644);
    set(&other, 0o666);

    let output = with_umask(
        &env,
        "000",
        &format!("--state-dir {} get jobs", link.display()),
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(mode(&real), 0o700, "the directory the link points to");
    for (path, mode) in walk(&real) {
        let want = if path.is_dir() { 0o700 } else { 0o600 };
        assert_eq!(mode, want, "{} is {mode:o}", path.display());
    }
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink(),
        "the link itself is kept"
    );
}

/// Found by the red team: an existing directory that holds no store was made 0700 as it was
/// taken for the state directory (`--state-dir .` in a project, `DOCKJOB_STATE_DIR=$HOME`;
/// as root, `--state-dir /sys/kernel` made it 0700), and with every file in it tightened it
/// would have lost its scripts' execute bits. It is refused before anything runs, unchanged.
#[test]
fn a_directory_holding_other_files_is_not_taken_over_as_the_state_dir() {
    let env = TestEnv::new("harden-foreign-dir");
    let project = env.dir.path().join("project");
    std::fs::create_dir_all(&project).unwrap();
    let script = project.join("build.sh");
    std::fs::write(&script, "#!/bin/sh\n").unwrap();
    std::fs::set_permissions(&project, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let manifest = env.write("job.yaml", &job("foreign", "dockjob-test/none:1"));
    for args in [
        vec!["get", "jobs"],
        vec!["run", "-f", manifest.to_str().unwrap()],
        vec!["apply", "-f", manifest.to_str().unwrap()],
    ] {
        let output = env
            .dockjob()
            .arg("--state-dir")
            .arg(&project)
            .args(&args)
            .output()
            .unwrap();
        let text = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {text}");
        assert!(
            text.contains(&format!(
                "state directory {} holds other files (build.sh) and no dockjob store",
                project.display()
            )),
            "{args:?}: {text}"
        );
        assert!(text.contains("--state-dir"), "{text}");
        assert_eq!(stdout(&output), "", "{args:?}");
        assert_eq!(mode(&project), 0o755, "{args:?}");
        assert_eq!(mode(&script), 0o755, "{args:?}");
        assert!(!project.join("dockjob.db").exists(), "{args:?}");
    }
    // An empty one is taken, and made private.
    let empty = env.dir.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    std::fs::set_permissions(&empty, std::fs::Permissions::from_mode(0o755)).unwrap();
    let output = env
        .dockjob()
        .arg("--state-dir")
        .arg(&empty)
        .args(["get", "jobs"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(mode(&empty), 0o700);
    assert_eq!(mode(&empty.join("dockjob.db")), 0o600);
}
