//! Issue 17, point 7: build context and lint parity (FIFOs and device nodes are checked
//! against the classic `docker build` in `tests/context_oracle.rs`).
//!
//! - A Dockerfile line over 65 535 bytes: `lint` reports it (exit 1) with BuildKit's words,
//!   and `build` refuses it before the engine sees anything (exit 2); 65 535 bytes pass.
//! - `HEALTHCHECK` and `RUN --mount` values BuildKit refuses (a duration that is not Go's,
//!   under 1ms, a negative or non-numeric `--retries`, an unknown type; an unknown mount type
//!   or key, an option the mount type does not take): `lint` reports them with BuildKit's
//!   words, and `build` stops before the engine.
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

#[test]
fn lint_reports_the_flag_values_buildkit_refuses() {
    // Regression: `lint` passed these; the engine's build then failed with "dockerfile parse
    // error line 2: time: invalid duration \"abc\"" and "unsupported mount type \"foo\""
    // (checked by hand on Engine 20.10).
    let env = TestEnv::new("healthcheck");
    for (name, line, want) in [
        (
            "interval",
            "HEALTHCHECK --interval=abc CMD true",
            ":2:13: error: time: invalid duration \"abc\"",
        ),
        (
            "unit",
            "HEALTHCHECK --timeout=30 CMD true",
            ":2:13: error: time: missing unit in duration \"30\"",
        ),
        (
            "short",
            "HEALTHCHECK --start-period=10us CMD true",
            ":2:13: error: Interval \"start-period\" cannot be less than 1ms",
        ),
        (
            "retries",
            "HEALTHCHECK --retries=-1 CMD true",
            ":2:13: error: --retries cannot be negative (-1)",
        ),
        (
            "retries-nan",
            "HEALTHCHECK --retries=x CMD true",
            ":2:13: error: strconv.ParseInt: parsing \"x\": invalid syntax",
        ),
        (
            "type",
            "HEALTHCHECK FOO true",
            ":2:1: error: Unknown type \"FOO\" in HEALTHCHECK (try CMD)",
        ),
    ] {
        let file = env.write(
            &format!("{name}/Dockerfile"),
            &format!("FROM scratch\n{line}\n"),
        );
        let lint = env.run(&["lint", file.to_str().expect("utf-8")]);
        let out = text(&lint.stdout) + &text(&lint.stderr);
        assert_eq!(lint.status.code(), Some(1), "{out}");
        assert!(
            out.contains(&format!("{}{want}\n", file.display())),
            "{out}"
        );
        let build = env.run(&[
            "-H",
            "tcp://127.0.0.1:1",
            "build",
            file.parent().expect("dir").to_str().expect("utf-8"),
            "-t",
            "dockjob-test/hc:1",
        ]);
        let stderr = text(&build.stderr);
        assert_eq!(build.status.code(), Some(2), "{stderr}");
        assert!(!stderr.contains("cannot reach"), "{stderr}");
    }
    // Valid values pass: Go durations, 0 (the default), a plain count, ordinary mounts, and
    // an ONBUILD trigger, whose flags BuildKit reads only in the image built from this one.
    let ok = env.write(
        "ok/Dockerfile",
        "FROM scratch\nHEALTHCHECK --interval=1m30s --timeout=0 --start-period=.5s --retries=3 CMD [\"true\"]\nRUN --mount=type=cache,target=/c,sharing=locked --mount=type=secret,id=t [\"true\"]\nONBUILD RUN --mount=type=later true\n",
    );
    let lint = env.run(&["lint", ok.to_str().expect("utf-8")]);
    let out = text(&lint.stdout) + &text(&lint.stderr);
    assert_eq!(lint.status.code(), Some(0), "{out}");
}
