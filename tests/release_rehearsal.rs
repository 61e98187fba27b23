//! The release rehearsal on every change: `scripts/rehearse-release` runs `scripts/release` (the
//! script the release workflow runs) against a local htpasswd registry and reads everything
//! back. This test runs it as CI does and checks its records and that it left nothing behind.

mod common;

use std::path::Path;
use std::process::Command;

use bollard::query_parameters::ListImagesOptionsBuilder;
use common::{stderr, stdout, TestEnv};

#[test]
fn rehearse_release_pushes_checks_and_cleans_up() {
    let env = TestEnv::new("rehearsal");
    let out = env.dir.path().join("release");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/rehearse-release");
    let mut command = Command::new(&script);
    command.arg(&out).env_remove("DOCKER_CONFIG");
    // Run it as from a shell: the variables cargo sets for tests (CARGO_MANIFEST_DIR, …) would
    // change the release build's fingerprints (build scripts watch some) and force rebuilds.
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if name.starts_with("CARGO_") && name != "CARGO_HOME" && name != "CARGO_TARGET_DIR" {
            command.env_remove(name.as_ref());
        }
    }
    let output = command.output().expect("run scripts/rehearse-release");
    assert!(
        output.status.success(),
        "the rehearsal failed ({}):\nstdout:\n{}\nstderr:\n{}",
        output.status,
        stdout(&output),
        stderr(&output)
    );

    // Four tags pushed, each NAME:TAG@sha256:<64 hex>, printed and recorded alike.
    let refs = std::fs::read_to_string(out.join("refs.txt")).expect("refs.txt");
    assert_eq!(stdout(&output), refs, "stdout is the list of pushed tags");
    let lines: Vec<&str> = refs.lines().collect();
    assert_eq!(lines.len(), 4, "{refs}");
    for (line, suffix) in lines.iter().zip([
        "/uzimihsr/uzimihsr-sample-image:0.0.0-rehearsal",
        "/uzimihsr/uzimihsr-sample-image:latest",
        "/uzimihsr/dockjob:0.0.0-rehearsal",
        "/uzimihsr/dockjob:latest",
    ]) {
        let (name, digest) = line.split_once('@').expect("NAME:TAG@DIGEST");
        assert!(name.ends_with(suffix), "{line}");
        let hex = digest.strip_prefix("sha256:").expect("a sha256 digest");
        assert!(hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()));
    }
    assert_eq!(
        lines[0].split_once('@').unwrap().1,
        lines[1].split_once('@').unwrap().1,
        ":version and :latest are one manifest"
    );
    let metadata: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("metadata.json")).unwrap())
            .expect("metadata.json is JSON");
    assert_eq!(metadata["version"], "0.0.0-rehearsal");
    assert_eq!(metadata["images"].as_array().map(Vec::len), Some(2));
    let messages = stderr(&output);
    assert!(messages.contains("resolves to"), "{messages}");
    assert!(
        messages.contains("exited 130"),
        "SIGTERM check ran: {messages}"
    );

    // Nothing left in the engine: no image tagged or pinned by the rehearsal.
    let images = env
        .block_on(
            env.docker()
                .list_images(Some(ListImagesOptionsBuilder::default().all(true).build())),
        )
        .expect("list images");
    let leftovers: Vec<String> = images
        .iter()
        .flat_map(|image| image.repo_tags.iter().chain(&image.repo_digests))
        .filter(|name| {
            name.contains(":0.0.0-rehearsal")
                || name.contains("alpine-standin:rehearsal-")
                || lines
                    .iter()
                    .any(|line| name.ends_with(line.split_once('@').unwrap().1))
        })
        .cloned()
        .collect();
    assert!(leftovers.is_empty(), "left behind: {leftovers:?}");
}
