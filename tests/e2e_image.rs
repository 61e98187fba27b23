//! End to end on the real engine and a real registry: import, build, tag, push.

mod common;

use common::{stderr, stdout, Registry, TestEnv};

const SAMPLE_DOCKERFILE: &str = include_str!("../images/uzimihsr-sample-image/Dockerfile");

/// The sample Dockerfile built on the imported busybox base through `--build-context`,
/// tagged locally and for `registry`; returns the registry reference.
fn build_sample(env: &TestEnv, registry: &Registry) -> String {
    let base = env.base_image();
    let context = env.write("sample/Dockerfile", SAMPLE_DOCKERFILE);
    let context = context.parent().unwrap().to_str().unwrap().to_string();
    let local = format!("dockjob-test/sample-{}:0.1", env.id);
    let remote = format!("{}/dockjob-test/sample-{}:0.1", registry.address, env.id);
    let substitute = format!("alpine:3.10.3=docker-image://{base}");
    let output = env.run_ok(&[
        "--progress",
        "plain",
        "build",
        &context,
        "-t",
        &local,
        "-t",
        &remote,
        "--build-context",
        &substitute,
    ]);
    let image_id = stdout(&output).trim().to_string();
    assert!(
        image_id.starts_with("sha256:"),
        "stdout should be the image ID: {image_id:?}"
    );
    assert!(
        stderr(&output).contains("] FROM docker.io/dockjob-test/busybox-"),
        "build output (BuildKit's steps, substituted base) is shown live:\n{}",
        stderr(&output)
    );
    // Both tags point at the built image.
    for reference in [&local, &remote] {
        let inspect = env.run_ok(&["image", "inspect", reference]);
        assert!(
            stdout(&inspect).contains(&image_id),
            "{reference} is tagged"
        );
    }
    remote
}

#[test]
fn imported_busybox_runs_as_a_base_image() {
    let env = TestEnv::new("import");
    let base = env.base_image();
    let inspect = env.run_ok(&["image", "inspect", &base]);
    assert!(
        stdout(&inspect).contains(r#""/bin/sh""#),
        "the CMD change applies"
    );
}

#[test]
fn push_prints_the_digest_the_registry_serves() {
    let env = TestEnv::new("push");
    let registry = Registry::start(&env.dir.path().join("registry"), None);
    let remote = build_sample(&env, &registry);

    let output = env.run_ok(&["--progress", "plain", "push", &remote]);
    let line = stdout(&output).trim().to_string();
    let (pushed, digest) = line.split_once('@').expect("NAME:TAG@sha256:… on stdout");
    assert_eq!(pushed, remote);
    let served = registry
        .manifest_digest(&format!("dockjob-test/sample-{}", env.id), "0.1")
        .expect("the registry serves the pushed tag");
    assert_eq!(digest, served);
}

#[test]
fn push_with_htpasswd_auth_uses_config_json_and_refuses_a_wrong_password() {
    // `?`, `>` and `~` make standard base64 emit `+` and `/`, which the engine would not
    // decode: the push would then go out anonymously and fail (bollard's header bug).
    let password = "s3cr?t>p~ss??>>~~";
    let env = TestEnv::new("auth");
    let registry = Registry::start(
        &env.dir.path().join("registry"),
        Some(("dockjob", password)),
    );
    let remote = build_sample(&env, &registry);

    let write_config = |secret: &str| {
        use base64::Engine as _;
        let auth = base64::engine::general_purpose::STANDARD.encode(format!("dockjob:{secret}"));
        env.write(
            "docker-config/config.json",
            &format!(
                r#"{{"auths":{{"{}":{{"auth":"{auth}"}}}}}}"#,
                registry.address
            ),
        );
    };

    write_config("wrong-password");
    let refused = env.run(&["--progress", "plain", "push", &remote]);
    assert_eq!(
        refused.status.code(),
        Some(1),
        "stderr: {}",
        stderr(&refused)
    );
    let message = stderr(&refused);
    assert!(message.contains("unauthorized"), "{message}");
    assert!(
        message.contains(&registry.address),
        "names the registry: {message}"
    );
    assert!(!message.contains("wrong-password"), "no secret in output");

    write_config(password);
    let output = env.run_ok(&["--progress", "plain", "push", &remote]);
    let all = format!("{}{}", stdout(&output), stderr(&output));
    assert!(!all.contains(password), "no secret in output");
    let digest = stdout(&output)
        .trim()
        .rsplit_once('@')
        .unwrap()
        .1
        .to_string();
    let served = registry.manifest_digest(&format!("dockjob-test/sample-{}", env.id), "0.1");
    assert_eq!(Some(digest), served);
}

#[test]
fn a_failing_build_step_exits_1_with_the_engine_message() {
    let env = TestEnv::new("buildfail");
    let base = env.base_image();
    let dockerfile = env.write("ctx/Dockerfile", &format!("FROM {base}\nRUN exit 3\n"));
    let context = dockerfile.parent().unwrap().to_str().unwrap();
    // Each builder words it its own way.
    for (builder, message) in [
        ("buildkit", "exit code: 3"),
        ("classic", "returned a non-zero code: 3"),
    ] {
        let output = env.run(&[
            "--progress",
            "plain",
            "build",
            "--builder",
            builder,
            context,
        ]);
        assert_eq!(output.status.code(), Some(1), "{builder}");
        assert!(
            stderr(&output).contains(message),
            "{builder}: {}",
            stderr(&output)
        );
    }
}

#[test]
fn pushing_a_tag_that_does_not_exist_locally_is_a_clear_error() {
    let env = TestEnv::new("nolocal");
    let output = env.run(&[
        "push",
        &format!("127.0.0.1:1/dockjob-test/absent-{}:9", env.id),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("does not exist locally"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn an_unreachable_engine_is_one_clear_sentence_and_exit_3() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_dockjob"))
        .args([
            "-H",
            "unix:///nonexistent/docker.sock",
            "image",
            "inspect",
            "x",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
    let message = stderr(&output);
    assert!(
        message.starts_with(
            "error: cannot reach the Docker engine at unix:///nonexistent/docker.sock"
        ),
        "{message}"
    );
    assert!(message.contains("hint: "), "{message}");
    assert!(!message.contains("panicked"), "{message}");

    let refused = std::process::Command::new(env!("CARGO_BIN_EXE_dockjob"))
        .args(["-H", "tcp://127.0.0.1:1", "image", "inspect", "x"])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(3), "{}", stderr(&refused));
}

#[test]
fn build_push_writes_buildx_metadata_and_oci_labels() {
    let env = TestEnv::new("metadata");
    let registry = Registry::start(&env.dir.path().join("registry"), None);
    let base = env.base_image();
    let context = env.write("ctx/Dockerfile", &format!("FROM {base}\nCMD [\"true\"]\n"));
    let context = context.parent().unwrap().to_str().unwrap().to_string();
    let remote = format!("{}/dockjob-test/meta-{}:1.2.3", registry.address, env.id);
    let metadata = env.dir.path().join("metadata.json");
    let output = env.run_ok(&[
        "build",
        "-q",
        &context,
        "-t",
        &remote,
        "--push",
        "--label",
        "extra=yes",
        "--metadata-file",
        metadata.to_str().unwrap(),
    ]);
    let lines: Vec<String> = stdout(&output).lines().map(str::to_string).collect();
    assert_eq!(lines.len(), 2, "image ID, then NAME:TAG@digest: {lines:?}");
    let served = registry
        .manifest_digest(&format!("dockjob-test/meta-{}", env.id), "1.2.3")
        .expect("pushed");
    assert_eq!(lines[1], format!("{remote}@{served}"));

    let document: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&metadata).unwrap()).unwrap();
    assert_eq!(document["containerimage.config.digest"], lines[0].as_str());
    assert_eq!(document["containerimage.digest"], served.as_str());
    assert_eq!(document["image.name"], remote.as_str());

    let inspect = env.block_on(env.docker().inspect_image(&remote)).unwrap();
    let labels = inspect.config.unwrap().labels.unwrap();
    assert_eq!(labels["org.opencontainers.image.version"], "1.2.3");
    assert_eq!(labels["extra"], "yes");
    assert!(labels.contains_key("org.opencontainers.image.created"));
}

/// Bench case d found it: outside a git checkout the `created` label was the build time, so
/// every rebuild of unchanged sources committed a new LABEL step. It is now the newest
/// modification time of what the context sends, and a rebuild is fully cached.
#[test]
fn created_label_outside_git_is_the_sources_time_and_rebuilds_are_cached() {
    let env = TestEnv::new("created");
    let base = env.base_image();
    let dockerfile = env.write("ctx/Dockerfile", &format!("FROM {base}\nCOPY . /src/\n"));
    env.write("ctx/data.txt", "data\n");
    env.write("ctx/ignored.txt", "not sent\n");
    env.write("ctx/.dockerignore", "ignored.txt\n");
    let context = dockerfile.parent().unwrap();
    let set_mtime = |name: &str, when: &str| {
        let status = std::process::Command::new("touch")
            .args(["-h", "-d", when])
            .arg(context.join(name))
            .status()
            .unwrap();
        assert!(status.success());
    };
    for name in ["Dockerfile", "data.txt", ".dockerignore", "."] {
        set_mtime(name, "2024-01-02T03:04:05Z");
    }
    set_mtime("data.txt", "2025-06-07T08:09:10Z");
    // Excluded by .dockerignore: its newer time must not count.
    set_mtime("ignored.txt", "2026-01-01T00:00:00Z");
    let tag = format!("dockjob-test/created-{}:1", env.id);
    let build = || {
        let output = env
            .dockjob()
            .env_remove("SOURCE_DATE_EPOCH")
            .args(["build", "-q", context.to_str().unwrap(), "-t", &tag])
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", stderr(&output));
        stdout(&output).trim().to_string()
    };
    let first = build();
    let second = build();
    assert_eq!(
        first, second,
        "an unchanged context rebuilds from the cache"
    );
    let inspect = env.block_on(env.docker().inspect_image(&tag)).unwrap();
    let labels = inspect.config.unwrap().labels.unwrap();
    assert_eq!(
        labels["org.opencontainers.image.created"],
        "2025-06-07T08:09:10Z"
    );
}
