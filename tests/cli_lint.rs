//! `dockjob lint` and the lint step of `dockjob build`, through the binary.

mod common;

use std::process::Command;

use common::{stderr, stdout, TestEnv};

fn dockjob(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_dockjob"))
        .args(args)
        .output()
        .expect("run dockjob")
}

#[test]
fn the_sample_has_exactly_the_three_expected_findings() {
    let output = dockjob(&[
        "lint",
        "--format",
        "json",
        "images/uzimihsr-sample-image/Dockerfile",
    ]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "warnings do not fail by default"
    );
    let reports: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let found: Vec<(String, u64)> = reports[0]["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["rule"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            ("MaintainerDeprecated".to_string(), 2),
            ("LegacyKeyValueFormat".to_string(), 4),
            ("LegacyKeyValueFormat".to_string(), 5)
        ]
    );
    let strict = dockjob(&[
        "lint",
        "--fail-on",
        "warning",
        "images/uzimihsr-sample-image/Dockerfile",
    ]);
    assert_eq!(strict.status.code(), Some(1));
    assert!(stdout(&strict).contains("Dockerfile:2:1: warning[MaintainerDeprecated]"));
}

#[test]
fn a_syntax_error_names_the_line_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("Dockerfile");
    std::fs::write(&file, "FROM busybox\nFORM x\n").unwrap();
    let output = dockjob(&["lint", file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("Dockerfile:2:1"),
        "{}",
        stderr(&output)
    );
    assert!(!stderr(&output).contains("panicked"));
}

#[test]
fn an_error_level_finding_stops_the_build_before_the_engine_sees_it() {
    let env = TestEnv::new("linterror");
    let dockerfile = env.write(
        "ctx/Dockerfile",
        &format!(
            "# check=error=true\nFROM {}:1\nMAINTAINER someone\n",
            "dockjob-test/never-built"
        ),
    );
    let tag = format!("dockjob-test/never-built-{}:1", env.id);
    let output = env.run(&[
        "build",
        dockerfile.parent().unwrap().to_str().unwrap(),
        "-t",
        &tag,
    ]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("MaintainerDeprecated"),
        "{}",
        stderr(&output)
    );
    assert!(stderr(&output).contains("nothing was sent to the engine"));
    let inspect = env.run(&["image", "inspect", &tag]);
    assert_eq!(inspect.status.code(), Some(2), "no image was built");

    let check = env.run(&["build", "--check", "images/uzimihsr-sample-image"]);
    assert_eq!(check.status.code(), Some(1), "--check fails on warnings");
}
