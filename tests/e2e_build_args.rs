//! `--build-arg K` without a value, on the real engine, next to the docker CLI's classic build
//! of the same Dockerfile: an unset `K` is sent as `null`, so `ARG K=dflt` keeps its default
//! and the arg still counts as given (an undeclared one is "not consumed").

mod common;

use std::process::Command;

use common::{assert_ok, stderr, TestEnv};

const NOT_CONSUMED: &str = "[Warning] One or more build-args [J] were not consumed";

/// Builds the context with dockjob, `K` set to `k` in its environment (or unset) and `J`
/// always unset, both given bare; returns the build output (stderr).
fn dockjob_build(env: &TestEnv, context: &str, k: Option<&str>) -> String {
    let mut command = env.dockjob();
    command.env_remove("K").env_remove("J");
    if let Some(value) = k {
        command.env("K", value);
    }
    let output = command
        .args([
            "--progress",
            "plain",
            "build",
            // Compared with the docker CLI's classic builder below.
            "--builder",
            "classic",
            "--no-cache",
            "--network",
            "none",
        ])
        .args(["--build-arg", "K", "--build-arg", "J", context])
        .output()
        .unwrap();
    assert_ok("dockjob build", &output);
    stderr(&output)
}

/// The line the RUN step printed (`K=…`; the `ARG K=dflt` step line starts with `Step`).
fn run_line(output: &str) -> &str {
    output
        .lines()
        .find(|line| line.starts_with("K="))
        .unwrap_or_default()
}

#[test]
fn a_bare_unset_build_arg_keeps_the_default_like_the_docker_cli() {
    let env = TestEnv::new("buildargnull");
    let base = env.base_image();
    let dockerfile = env.write(
        "ctx/Dockerfile",
        &format!("FROM {base}\nARG K=dflt\nRUN echo \"K=$K\" > /k && cat /k\n"),
    );
    let context = dockerfile.parent().unwrap().to_str().unwrap();

    let unset = dockjob_build(&env, context, None);
    assert_eq!(
        run_line(&unset),
        "K=dflt",
        "the ARG default applies:\n{unset}"
    );
    assert!(
        unset.contains(NOT_CONSUMED),
        "J reached the engine (as null):\n{unset}"
    );
    let set = dockjob_build(&env, context, Some("x"));
    assert_eq!(run_line(&set), "K=x", "the environment's value:\n{set}");

    // The docker CLI's classic builder on the same engine says the same.
    let cli = Command::new("docker")
        .env("DOCKER_BUILDKIT", "0")
        .env_remove("K")
        .env_remove("J")
        .args(["build", "--no-cache", "--network", "none"])
        .args(["--build-arg", "K", "--build-arg", "J", context])
        .output()
        .expect("the docker CLI (Debian's docker.io)");
    assert_ok("docker build", &cli);
    let cli_output = String::from_utf8_lossy(&cli.stdout).to_string() + &stderr(&cli);
    assert_eq!(run_line(&cli_output), "K=dflt", "{cli_output}");
    assert!(cli_output.contains(NOT_CONSUMED), "{cli_output}");
}
