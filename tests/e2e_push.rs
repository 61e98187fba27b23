//! Push progress end to end, on the real engine and a real registry: one line per layer with
//! its id, `Pushed` on the first push, `Layer already exists` on a second tag, nothing but the
//! `NAME:TAG@sha256:…` line with `--progress quiet`; over the unix socket and over `tcp://`.

mod common;

use common::{stderr, stdout, tcp_to_engine_socket, Registry, TestEnv};

/// Builds a three-layer image (the base and two RUNs) as `remote` and returns the short ids
/// the engine gives its layers in push progress: the first 12 hex digits of each diff ID
/// (moby `distribution/push_v2.go` `pushDescriptor.ID`).
fn build_layers(env: &TestEnv, remote: &str) -> Vec<String> {
    let base = env.base_image();
    let dockerfile = format!(
        "FROM {base}\nRUN echo {id} > /a\nRUN echo {id} > /b\n",
        id = env.id
    );
    let context = env.write("ctx/Dockerfile", &dockerfile);
    let context = context.parent().unwrap().to_str().unwrap();
    // `--network none`: the RUN steps need no network, and so the test needs no bridge.
    env.run_ok(&[
        "--progress",
        "quiet",
        "build",
        "--network",
        "none",
        context,
        "-t",
        remote,
    ]);
    let inspect = env.block_on(env.docker().inspect_image(remote)).unwrap();
    let layers = inspect.root_fs.and_then(|r| r.layers).unwrap_or_default();
    assert_eq!(layers.len(), 3, "{layers:?}");
    layers
        .iter()
        .map(|diff_id| diff_id.trim_start_matches("sha256:")[..12].to_string())
        .collect()
}

/// Pushes with `args` before `push`, checks stdout is exactly `remote@digest` (the digest the
/// registry serves) and returns stderr.
fn push(env: &TestEnv, registry: &Registry, global: &[&str], remote: &str) -> String {
    let mut args = global.to_vec();
    args.extend(["push", remote]);
    let output = env.run_ok(&args);
    let (repository, tag) = remote
        .strip_prefix(&format!("{}/", registry.address))
        .and_then(|r| r.rsplit_once(':'))
        .unwrap();
    let served = registry
        .manifest_digest(repository, tag)
        .expect("the registry serves the pushed tag");
    assert_eq!(stdout(&output), format!("{remote}@{served}\n"));
    stderr(&output)
}

#[test]
fn plain_push_progress_names_each_layer_and_a_second_tag_finds_them_there() {
    let env = TestEnv::new("pushprogress");
    let registry = Registry::start(&env.dir.path().join("registry"), None);
    let repository = format!("{}/dockjob-test/layers-{}", registry.address, env.id);
    let first = format!("{repository}:1");
    let layers = build_layers(&env, &first);

    let shown = push(&env, &registry, &["--progress", "plain"], &first);
    for layer in &layers {
        let lines: Vec<&str> = shown
            .lines()
            .filter(|l| l.starts_with(&format!("{layer}: ")))
            .collect();
        assert!(
            lines.contains(&format!("{layer}: Pushed").as_str()),
            "layer {layer} is said to be pushed:\n{shown}"
        );
        let pushing = lines.iter().filter(|l| l.ends_with(": Pushing")).count();
        assert!(pushing <= 1, "byte counts are not repeated:\n{shown}");
    }
    assert!(
        shown.contains("1: digest: sha256:"),
        "the engine's digest line: {shown}"
    );

    // The same layers under a second tag, through a tcp:// engine this time.
    let second = format!("{repository}:2");
    env.block_on(env.docker().tag_image(
        &first,
        Some(bollard::query_parameters::TagImageOptions {
            repo: Some(repository.clone()),
            tag: Some("2".into()),
        }),
    ))
    .unwrap();
    let tcp = format!("tcp://{}", tcp_to_engine_socket());
    let shown = push(
        &env,
        &registry,
        &["-H", &tcp, "--progress", "plain"],
        &second,
    );
    for layer in &layers {
        assert!(
            shown
                .lines()
                .any(|l| l == format!("{layer}: Layer already exists")),
            "layer {layer} is already there:\n{shown}"
        );
    }
    assert!(
        !shown.contains(": Pushed"),
        "nothing is uploaded again:\n{shown}"
    );

    // Quiet: the data line only.
    let third = format!("{repository}:3");
    env.block_on(env.docker().tag_image(
        &first,
        Some(bollard::query_parameters::TagImageOptions {
            repo: Some(repository.clone()),
            tag: Some("3".into()),
        }),
    ))
    .unwrap();
    let shown = push(&env, &registry, &["--progress", "quiet"], &third);
    assert_eq!(shown, "", "quiet prints nothing on stderr");
}
