//! BuildKit builds on the real engine (`/build?version=2` with dockjob's own session): the
//! `RUN --mount` kinds, `COPY --chmod`, platform ARGs, secrets, SSH forwarding, local and tar
//! exports, inline cache through a registry, and the classic builder when asked for.
//!
//! The docker CLI here has no buildx, so nothing compares with it; what each build did is read
//! back from its exported files, the engine's image store and the registry.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{assert_ok, stderr, stdout, tcp_to_engine_socket, Registry, TestEnv};

/// `dockjob --progress plain build --no-oci-labels ARGS… CONTEXT`, whatever its exit status.
fn try_build(env: &TestEnv, context: &Path, args: &[&str]) -> Output {
    env.dockjob()
        .args(["--progress", "plain", "build", "--no-oci-labels"])
        .args(args)
        .arg(context)
        .output()
        .unwrap()
}

/// [`try_build`], asserting success.
fn build(env: &TestEnv, context: &Path, args: &[&str]) -> Output {
    let output = try_build(env, context, args);
    assert_ok(&format!("dockjob build {args:?}"), &output);
    output
}

fn read(path: PathBuf) -> String {
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The engine's platform as BuildKit names it (`linux/amd64`, `linux/arm64`).
fn engine_platform() -> String {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    format!("linux/{arch}")
}

#[test]
fn mounts_chmod_platform_args_and_both_exports() {
    let env = TestEnv::new("bkmounts");
    let base = env.base_image();
    env.write("ctx/file", "payload\n");
    let dockerfile = env.write(
        "ctx/Dockerfile",
        &format!(
            "FROM {base} AS src\n\
             RUN echo from-stage > /data\n\
             FROM {base}\n\
             ARG TARGETPLATFORM\n\
             ARG TARGETARCH\n\
             ARG BUILDPLATFORM\n\
             ARG RUN\n\
             RUN --mount=type=cache,target=/cache,id=dockjob-{id} echo run-$RUN >> /cache/log && cp /cache/log /cache-log\n\
             RUN --mount=type=tmpfs,target=/scratch grep -q ' /scratch tmpfs ' /proc/mounts && echo tmpfs > /tmpfs-ok\n\
             RUN --mount=type=bind,from=src,source=/data,target=/bound cat /bound > /bound-copy\n\
             COPY --chmod=741 file /file\n\
             RUN echo \"$TARGETPLATFORM $TARGETARCH $BUILDPLATFORM\" > /platform && stat -c %a /file > /mode\n",
            id = env.id
        ),
    );
    let context = dockerfile.parent().unwrap();
    let first = env.dir.path().join("first");
    build(
        &env,
        context,
        &[
            "--build-arg",
            "RUN=1",
            "-o",
            &format!("type=local,dest={}", first.display()),
        ],
    );
    assert_eq!(read(first.join("cache-log")), "run-1\n");
    assert_eq!(read(first.join("tmpfs-ok")), "tmpfs\n");
    assert!(!first.join("scratch/t").exists());
    assert_eq!(read(first.join("bound-copy")), "from-stage\n");
    let platform = engine_platform();
    let arch = platform.trim_start_matches("linux/");
    assert_eq!(
        read(first.join("platform")),
        format!("{platform} {arch} {platform}\n")
    );
    assert_eq!(read(first.join("mode")), "741\n");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(first.join("file"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(
        mode & 0o777,
        0o741,
        "the exported file keeps COPY --chmod's mode"
    );

    // The cache mount outlives the build: a rebuild that runs the step again sees it. (Not
    // with --no-cache: engine 20.10's BuildKit then starts cache mounts afresh too.)
    let tar = env.dir.path().join("second.tar");
    build(
        &env,
        context,
        &[
            "--build-arg",
            "RUN=2",
            "-o",
            &format!("type=tar,dest={}", tar.display()),
        ],
    );
    let mut archive = tar::Archive::new(std::fs::File::open(&tar).unwrap());
    let mut cache_log = None;
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        if entry.path().unwrap() == Path::new("cache-log") {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut entry, &mut text).unwrap();
            cache_log = Some(text);
        }
    }
    assert_eq!(
        cache_log.as_deref(),
        Some("run-1\nrun-2\n"),
        "the second build saw the first's cache"
    );

    // `-o -` is the same tar on stdout, and stdout holds nothing else.
    let output = build(&env, context, &["--build-arg", "RUN=2", "-o", "-"]);
    let names: Vec<String> = tar::Archive::new(output.stdout.as_slice())
        .entries()
        .unwrap()
        .map(|e| e.unwrap().path().unwrap().display().to_string())
        .collect();
    assert!(names.iter().any(|n| n == "platform"), "{names:?}");
}

#[test]
fn secrets_reach_the_step_and_nowhere_else() {
    let env = TestEnv::new("bksecrets");
    let base = env.base_image();
    let file_value = format!("file-secret-{}", env.id);
    let env_value = format!("env-secret-{}", env.id);
    let secret_file = env.write("secret.txt", &file_value);
    let dockerfile = env.write(
        "ctx/Dockerfile",
        &format!(
            "FROM {base}\n\
             RUN --mount=type=secret,id=tok test \"$(sha256sum < /run/secrets/tok)\" = '{file_digest}' \
                 && echo tok-matches > /checked\n\
             RUN --mount=type=secret,id=envtok,target=/s test \"$(sha256sum < /s)\" = '{env_digest}' \
                 && ! test -e /run/secrets/tok && echo envtok-matches >> /checked\n",
            file_digest = sha256sum(file_value.as_bytes()),
            env_digest = sha256sum(env_value.as_bytes()),
        ),
    );
    let image = format!("dockjob-test/bksecrets-{}:1", env.id);
    let output = env
        .dockjob()
        .env("DOCKJOB_TEST_SECRET", &env_value)
        .args([
            "--progress",
            "plain",
            "build",
            "--no-oci-labels",
            "-t",
            &image,
        ])
        .args(["--secret", &format!("id=tok,src={}", secret_file.display())])
        .args(["--secret", "id=envtok,env=DOCKJOB_TEST_SECRET"])
        .arg(dockerfile.parent().unwrap())
        .output()
        .unwrap();
    assert_ok("build with secrets", &output);
    for stream in [stdout(&output), stderr(&output)] {
        assert!(
            !stream.contains(&file_value) && !stream.contains(&env_value),
            "{stream}"
        );
    }

    // Neither the image's layers and config (`docker save`) nor its history hold a value.
    let saved = Command::new("docker")
        .args(["save", &image])
        .output()
        .unwrap();
    assert_ok("docker save", &saved);
    let mut archive = tar::Archive::new(saved.stdout.as_slice());
    let mut everything = Vec::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut bytes).unwrap();
        if entry
            .path()
            .unwrap()
            .extension()
            .is_some_and(|e| e == "tar")
        {
            // A layer: look inside too.
            for inner in tar::Archive::new(bytes.as_slice()).entries().unwrap() {
                let mut inner = inner.unwrap();
                std::io::Read::read_to_end(&mut inner, &mut everything).unwrap();
            }
        } else {
            everything.extend(bytes);
        }
    }
    let everything = String::from_utf8_lossy(&everything);
    assert!(
        everything.contains("envtok-matches"),
        "the steps ran and wrote /checked"
    );
    assert!(!everything.contains(&file_value) && !everything.contains(&env_value));
    let history = Command::new("docker")
        .args(["history", "--no-trunc", &image])
        .output()
        .unwrap();
    let history = stdout(&history);
    assert!(
        history.contains("sha256sum < /run/secrets/tok"),
        "{history}"
    );
    assert!(!history.contains(&file_value) && !history.contains(&env_value));

    // A secret the build needs and was not given: the step fails naming it.
    let missing = try_build(&env, dockerfile.parent().unwrap(), &["--no-cache"]);
    assert_eq!(missing.status.code(), Some(1), "{}", stderr(&missing));
    assert!(stderr(&missing).contains("tok"), "{}", stderr(&missing));
}

/// `sha256sum`'s line for `bytes` read from stdin, as busybox prints it in the build step:
/// the Dockerfile compares digests so that the secret values never appear in it.
fn sha256sum(bytes: &[u8]) -> String {
    use std::io::Write;
    let mut child = Command::new("sha256sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(bytes).unwrap();
    let output = child.wait_with_output().unwrap();
    stdout(&output).trim().to_string()
}

#[test]
fn ssh_agents_are_forwarded_from_a_socket_and_from_key_files() {
    let env = TestEnv::new("bkssh");
    let base = env.base_image();
    let key = env.dir.path().join("id_ed25519");
    let keygen = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "dockjob-test", "-f"])
        .arg(&key)
        .output()
        .expect("ssh-keygen (openssh-client)");
    assert_ok("ssh-keygen", &keygen);
    let fingerprint = Command::new("ssh-keygen")
        .arg("-lf")
        .arg(&key)
        .output()
        .unwrap();
    let fingerprint = stdout(&fingerprint);
    let fingerprint = fingerprint.split_whitespace().nth(1).unwrap().to_string();

    // A build step with OpenSSH's ssh-add in it: the binary and the libraries it links.
    let context = env.dir.path().join("ctx");
    copy_with_libraries(Path::new("/usr/bin/ssh-add"), &context.join("root"));
    std::fs::write(
        context.join("Dockerfile"),
        format!(
            "FROM {base}\nCOPY root/ /\n\
             RUN --mount=type=ssh ssh-add -l > /keys\n"
        ),
    )
    .unwrap();

    // A real agent holding the key, given as the default agent.
    let agent_dir = env.dir.path().join("agent");
    std::fs::create_dir_all(&agent_dir).unwrap();
    let socket = agent_dir.join("sock");
    let mut agent = Command::new("ssh-agent")
        .arg("-D")
        .arg("-a")
        .arg(&socket)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    for _ in 0..200 {
        if socket.exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let add = Command::new("ssh-add")
        .arg(&key)
        .env("SSH_AUTH_SOCK", &socket)
        .output()
        .unwrap();
    assert_ok("ssh-add", &add);
    let out = env.dir.path().join("from-agent");
    let output = env
        .dockjob()
        .env("SSH_AUTH_SOCK", &socket)
        .args([
            "--progress",
            "plain",
            "build",
            "--no-oci-labels",
            "--ssh",
            "default",
        ])
        .args(["-o", &format!("type=local,dest={}", out.display())])
        .arg(&context)
        .output()
        .unwrap();
    let _ = agent.kill();
    let _ = agent.wait();
    assert_ok("build --ssh default", &output);
    assert!(read(out.join("keys")).contains(&fingerprint));

    // Key files: dockjob's own agent holds them for the build and is gone afterwards.
    let out = env.dir.path().join("from-keys");
    build(
        &env,
        &context,
        &[
            "--no-cache",
            "--ssh",
            &format!("default={}", key.display()),
            "-o",
            &format!("type=local,dest={}", out.display()),
        ],
    );
    assert!(read(out.join("keys")).contains(&fingerprint));
    let agents = Command::new("pgrep")
        .args(["-f", "ssh-agent -D -a /tmp"])
        .output()
        .unwrap();
    assert!(
        !stdout(&agents).lines().any(is_child_of_a_dockjob),
        "a private ssh-agent outlived its build"
    );
}

/// Whether process `pid`'s parent is a dockjob (the private agents' parent).
fn is_child_of_a_dockjob(pid: &str) -> bool {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let parent = stat
        .rsplit(')')
        .next()
        .and_then(|rest| rest.split_whitespace().nth(1));
    let comm = parent
        .and_then(|ppid| std::fs::read_to_string(format!("/proc/{ppid}/comm")).ok())
        .unwrap_or_default();
    comm.trim() == "dockjob"
}

/// Copies `binary` and the shared libraries `ldd` names into `root` at the same paths.
fn copy_with_libraries(binary: &Path, root: &Path) {
    let ldd = Command::new("ldd").arg(binary).output().unwrap();
    let mut files = vec![binary.to_path_buf()];
    for line in stdout(&ldd).lines() {
        let path = line
            .split_whitespace()
            .find(|word| word.starts_with('/'))
            .map(PathBuf::from);
        files.extend(path);
    }
    for file in files {
        let target = root.join(file.strip_prefix("/").unwrap());
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(&file, &target).unwrap();
    }
}

#[test]
fn the_classic_builder_when_asked_for() {
    let env = TestEnv::new("bkclassic");
    let base = env.base_image();
    let dockerfile = env.write(
        "ctx/Dockerfile",
        &format!("FROM {base}\nRUN echo classic\n"),
    );
    let context = dockerfile.parent().unwrap();
    let image = format!("dockjob-test/bkclassic-{}:1", env.id);
    let by_env = env
        .dockjob()
        .env("DOCKER_BUILDKIT", "0")
        .args(["--progress", "plain", "build", "-t", &image])
        .arg(context)
        .output()
        .unwrap();
    let by_flag = env
        .dockjob()
        .args([
            "--progress",
            "plain",
            "build",
            "--builder",
            "classic",
            "-t",
            &image,
        ])
        .arg(context)
        .output()
        .unwrap();
    for output in [by_env, by_flag] {
        assert_ok("classic build", &output);
        // The classic builder's own output: numbered steps, no BuildKit vertexes.
        let progress = stderr(&output);
        assert!(progress.contains(" : RUN echo classic"), "{progress}");
        assert!(!progress.contains("#1 "), "{progress}");
    }
    // A BuildKit-only flag with the classic builder is refused before anything is built.
    let refused = env
        .dockjob()
        .env("DOCKER_BUILDKIT", "0")
        .args(["build", "--secret", "id=a,src=/dev/null"])
        .arg(context)
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains("--secret needs BuildKit"),
        "{}",
        stderr(&refused)
    );
}

#[test]
fn cache_from_a_pushed_image_with_an_empty_build_cache() {
    let env = TestEnv::new("bkcachefrom");
    let base = env.base_image();
    let registry = Registry::start(&env.dir.path().join("registry"), None);
    let dockerfile = env.write(
        "ctx/Dockerfile",
        &format!(
            "FROM {base}\nRUN echo {id} > /one\nRUN echo {id} > /two\n",
            id = env.id
        ),
    );
    let context = dockerfile.parent().unwrap();
    let remote = format!("{}/dockjob-test/cachefrom:{}", registry.address, env.id);
    build(
        &env,
        context,
        &["-t", &remote, "--cache-to", "type=inline", "--push"],
    );

    // A fresh state: neither the image nor the build cache that made it is left.
    let removed = Command::new("docker")
        .args(["rmi", &remote])
        .output()
        .unwrap();
    assert_ok("docker rmi", &removed);
    env.prune_build_cache(&env.id);

    let local = format!("dockjob-test/cachefrom-{}:2", env.id);
    let output = build(&env, context, &["-t", &local, "--cache-from", &remote]);
    let progress = stderr(&output);
    assert!(
        progress.contains("importing cache manifest from"),
        "{progress}"
    );
    let cached = progress
        .lines()
        .filter(|line| line.starts_with('#') && line.ends_with(" CACHED"))
        .count();
    assert!(
        cached >= 2,
        "both RUN steps came from the pushed image's cache:\n{progress}"
    );
}

#[test]
fn what_the_engines_own_frontend_cannot_build_is_refused_before_building() {
    let env = TestEnv::new("bkfrontend");
    let dockerfile = env.write(
        "ctx/Dockerfile",
        "FROM scratch\nCOPY --link a /a\nRUN <<EOF\necho hi\nEOF\n",
    );
    let output = env
        .dockjob()
        .args(["build"])
        .arg(dockerfile.parent().unwrap())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let text = stderr(&output);
    assert!(
        text.contains("Dockerfile:2:6: error[BuiltinFrontend]"),
        "{text}"
    );
    assert!(
        text.contains("Dockerfile:3:5: error[BuiltinFrontend]: heredocs"),
        "{text}"
    );
    assert!(text.contains("# syntax=docker/dockerfile:1"), "{text}");
}

#[test]
fn a_failing_run_shows_its_logs_and_its_lines_and_exits_1() {
    let env = TestEnv::new("bkfail");
    let base = env.base_image();
    let dockerfile = env.write(
        "ctx/Dockerfile",
        &format!(
            "FROM {base}\nRUN echo fine\nRUN echo about to fail {id} && \\\n    exit 3\n",
            id = env.id
        ),
    );
    let output = env
        .dockjob()
        .args(["--progress", "plain", "build", "--no-oci-labels"])
        .arg(dockerfile.parent().unwrap())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let text = stderr(&output);
    // buildx's layout: the step's last logs, then the instruction's lines marked `>>>`.
    let failed_log = format!(" about to fail {}", env.id);
    assert!(
        text.contains(&format!(" > [3/3] RUN echo about to fail {}", env.id)),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with('#') && l.ends_with(&failed_log)),
        "{text}"
    );
    assert!(
        text.contains("Dockerfile:3\n--------------------\n"),
        "{text}"
    );
    assert!(text.contains("   3 | >>> RUN echo about to fail"), "{text}");
    assert!(text.contains("   4 | >>>     exit 3"), "{text}");
    assert!(text.contains("error: building"), "{text}");
    assert!(text.contains("exit code: 3"), "{text}");
}

#[test]
fn the_session_works_over_tcp_too() {
    let env = TestEnv::new("bktcp");
    let base = env.base_image();
    let secret = env.write("secret.txt", "over-tcp");
    let dockerfile = env.write(
        "ctx/Dockerfile",
        &format!("FROM {base}\nRUN --mount=type=secret,id=s wc -c < /run/secrets/s > /size\n"),
    );
    let out = env.dir.path().join("out");
    let host = format!("tcp://{}", tcp_to_engine_socket());
    let output = env
        .dockjob()
        .args([
            "-H",
            &host,
            "--progress",
            "plain",
            "build",
            "--no-oci-labels",
        ])
        .args(["--secret", &format!("id=s,src={}", secret.display())])
        .args(["-o", &format!("type=local,dest={}", out.display())])
        .arg(dockerfile.parent().unwrap())
        .output()
        .unwrap();
    assert_ok("build over tcp://", &output);
    // The secret came through the session (8 bytes), and so did the export.
    assert_eq!(read(out.join("size")).trim(), "8");
}

#[test]
fn base_images_from_a_private_registry_are_pulled_with_the_sessions_credentials() {
    // `?`, `>` and `~` make base64 emit `+` and `/`: the credentials must reach BuildKit whole.
    let password = "bk?s3cr>t~pw";
    let env = TestEnv::new("bkauth");
    let base = env.base_image();
    let registry = Registry::start(
        &env.dir.path().join("registry"),
        Some(("dockjob", password)),
    );
    {
        use base64::Engine as _;
        let auth = base64::engine::general_purpose::STANDARD.encode(format!("dockjob:{password}"));
        env.write(
            "docker-config/config.json",
            &format!(
                r#"{{"auths":{{"{}":{{"auth":"{auth}"}}}}}}"#,
                registry.address
            ),
        );
    }
    // The base, pushed to the private registry and gone from the engine: BuildKit must pull it.
    let private = format!("{}/dockjob-test/private-base:{}", registry.address, env.id);
    let tagged = Command::new("docker")
        .args(["tag", &base, &private])
        .output()
        .unwrap();
    assert_ok("docker tag", &tagged);
    assert_ok("push", &env.run(&["--progress", "quiet", "push", &private]));
    let removed = Command::new("docker")
        .args(["rmi", &private])
        .output()
        .unwrap();
    assert_ok("docker rmi", &removed);

    let dockerfile = env.write(
        "ctx/Dockerfile",
        &format!("FROM {private}\nRUN echo pulled-{id} > /p\n", id = env.id),
    );
    let out = env.dir.path().join("out");
    let output = build(
        &env,
        dockerfile.parent().unwrap(),
        &["-o", &format!("type=local,dest={}", out.display())],
    );
    assert_eq!(read(out.join("p")), format!("pulled-{}\n", env.id));
    let all = format!("{}{}", stdout(&output), stderr(&output));
    assert!(!all.contains(password), "no secret in output");

    // Without credentials the registry refuses, and the build says so.
    env.write("docker-config/config.json", "{}");
    let refused = try_build(&env, dockerfile.parent().unwrap(), &["--no-cache"]);
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    assert!(
        stderr(&refused).to_lowercase().contains("unauthorized"),
        "{}",
        stderr(&refused)
    );
}
