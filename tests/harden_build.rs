//! Issue 17, point 7: build context and lint parity (FIFOs and device nodes are checked
//! against the classic `docker build` in `tests/context_oracle.rs`).
//!
//! - A Dockerfile line over 65 535 bytes: `lint` reports it (exit 1) with BuildKit's words,
//!   and `build` refuses it before the engine sees anything (exit 2); 65 535 bytes pass.
//! - A missing build context is docker's `path "X" not found`; a file is `context must be a
//!   directory`.
//! - Error chains say each cause once (a `.dockerignore` pattern error, an unreadable
//!   `--secret` file).

mod common;

use common::TestEnv;

const TOO_LONG: &str = "dockerfile line greater than max allowed size of 65535";

fn dockerfile_with_line_of(bytes: usize) -> String {
    let prefix = "RUN echo ";
    format!(
        "FROM scratch\n{prefix}{}\n",
        "a".repeat(bytes - prefix.len())
    )
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn lint_reports_the_line_the_parser_refuses_and_build_stops_before_the_engine() {
    let env = TestEnv::new("long-line");
    let long = env.write("ctx/Dockerfile", &dockerfile_with_line_of(65_536));
    let longest = env.write("ok/Dockerfile", &dockerfile_with_line_of(65_535));

    let lint = env.run(&["lint", long.to_str().expect("utf-8")]);
    let stdout = text(&lint.stdout) + &text(&lint.stderr);
    assert_eq!(lint.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains(&format!(":2:1: error: {TOO_LONG}")),
        "{stdout}"
    );
    // The 64 KiB line is not printed whole.
    assert!(stdout.len() < 2_000, "{} bytes of output", stdout.len());

    let lint = env.run(&["lint", longest.to_str().expect("utf-8")]);
    let out = text(&lint.stdout) + &text(&lint.stderr);
    assert!(!out.contains(TOO_LONG), "{out}");

    // An engine that is not there: the build must fail on the Dockerfile first.
    let ctx = long.parent().expect("dir").to_str().expect("utf-8");
    let build = env.run(&[
        "-H",
        "tcp://127.0.0.1:1",
        "build",
        ctx,
        "-t",
        "dockjob-test/long:1",
    ]);
    let stderr = text(&build.stderr);
    assert_eq!(build.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(TOO_LONG), "{stderr}");
    assert!(!stderr.contains("cannot reach"), "{stderr}");
}

#[test]
fn a_missing_context_is_path_not_found_as_docker_says() {
    let env = TestEnv::new("missing-ctx");
    let missing = env.dir.path().join("nope");
    let missing = missing.to_str().expect("utf-8");
    let build = env.run(&["build", missing, "-t", "dockjob-test/x:1"]);
    let stderr = text(&build.stderr);
    assert_eq!(build.status.code(), Some(2), "{stderr}");
    assert_eq!(
        stderr,
        format!("error: unable to prepare context: path \"{missing}\" not found\n")
    );
    let file = env.write("a-file", "x");
    let build = env.run(&[
        "build",
        file.to_str().expect("utf-8"),
        "-t",
        "dockjob-test/x:1",
    ]);
    let stderr = text(&build.stderr);
    assert_eq!(build.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "unable to prepare context: context must be a directory: {}",
            file.display()
        )),
        "{stderr}"
    );
}

#[test]
fn every_cause_of_an_error_is_said_once() {
    let env = TestEnv::new("causes-once");
    env.write("ctx/Dockerfile", "FROM scratch\nCOPY . /\n");
    env.write("ctx/.dockerignore", "[\n");
    let ctx = env.dir.path().join("ctx");
    let ctx = ctx.to_str().expect("utf-8");
    let build = env.run(&["build", ctx, "-t", "dockjob-test/x:1"]);
    let stderr = text(&build.stderr);
    assert_ne!(build.status.code(), Some(0), "{stderr}");
    let pattern_error = "invalid pattern \"[\"";
    assert_eq!(stderr.matches(pattern_error).count(), 1, "{stderr}");

    std::fs::remove_file(env.dir.path().join("ctx/.dockerignore")).expect("rm");
    let build = env.run(&[
        "build",
        ctx,
        "-t",
        "dockjob-test/x:1",
        "--secret",
        "id=x,src=/nonexistent/secret",
    ]);
    let stderr = text(&build.stderr);
    assert_ne!(build.status.code(), Some(0), "{stderr}");
    assert_eq!(
        stderr.matches("No such file or directory").count(),
        1,
        "{stderr}"
    );
}
