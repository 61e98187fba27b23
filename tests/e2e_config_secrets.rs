//! Issue 18: Jobs that read ConfigMaps and Secrets, on the real engine.
//!
//! - A Job and its Secret and ConfigMap in one file: env (`secretKeyRef`, `configMapKeyRef`),
//!   `envFrom` (with a prefix; a key that is no variable name is skipped with the kubelet's
//!   `InvalidEnvironmentVariableNames` event), secret and configMap volumes with `items`,
//!   `defaultMode` and `mode`, a `subPath` file and a projected volume (secret + downwardAPI)
//!   print what they should; the volumes are tmpfs, read-only.
//! - A missing Secret keeps a detached Job's pod in `CreateContainerConfigError` with the
//!   kubelet's message, and it starts once `apply` adds the Secret; a wrong key is the
//!   kubelet's `couldn't find key …` text.
//! - No secret value appears in any captured output, nor in `docker inspect` of the pods'
//!   containers, except the one passed as an environment variable: the engine API has no
//!   other way to set a process's environment than the container's `Env` (the CRI on a
//!   cluster is the same), as docs/configmaps-secrets.md says.
//! - The state store, which holds the Secrets, is 0600 in a 0700 directory.
//!
//! The pods print secret values reversed (`rev`), so the test can check what they read
//! without the value itself ever being printed.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use common::{assert_ok, TestEnv};

/// Read only through a volume: must appear nowhere, `docker inspect` included.
const FILE_SECRET: &str = "f1le-S3cr3t-9q7";
/// Read through `env`: nowhere in dockjob's output, but in the container's `Env`.
const ENV_SECRET: &str = "env-Pa55w0rd-4k2";

fn reversed(s: &str) -> String {
    s.chars().rev().collect()
}

fn text(output: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Every captured stream, checked for the secret values at the end.
struct Captured(Vec<String>);

impl Captured {
    fn run(&mut self, env: &TestEnv, args: &[&str]) -> std::process::Output {
        let output = env.run(args);
        self.0.push(text(&output));
        output
    }

    fn assert_no_secret(&self) {
        for (i, out) in self.0.iter().enumerate() {
            for secret in [FILE_SECRET, ENV_SECRET] {
                assert!(!out.contains(secret), "output {i} shows a secret:\n{out}");
            }
        }
    }
}

fn secret_and_config_map(env: &TestEnv) -> String {
    let label = env.label();
    let (k, v) = label.split_once('=').expect("label");
    format!(
        "apiVersion: v1\nkind: Secret\nmetadata: {{name: db, labels: {{{k}: {v}}}}}\n\
         stringData: {{token: {FILE_SECRET}, password: {ENV_SECRET}}}\n\
         ---\napiVersion: v1\nkind: Secret\nmetadata: {{name: extra}}\n\
         stringData: {{S_key: extra-value, 1bad: x}}\n\
         ---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: settings}}\n\
         data: {{level: debug, app.conf: 'mode=fast'}}\n"
    )
}

#[test]
fn a_job_reads_its_secret_and_config_map_from_the_same_file() {
    let env = TestEnv::new("cs-all");
    let base = env.base_image();
    let name = format!("cs-all-{}", env.id);
    let label = env.label();
    let (k, v) = label.split_once('=').expect("label");
    let script =
        "echo level=$LEVEL cfg=$CFG_level skey=$S_key; echo pw=$(echo $DB_PASSWORD | rev); \
                  echo token=$(rev /etc/sec/tok/token); stat -L -c 'mode=%a' /etc/sec/tok/token; \
                  echo subpath=$(cat /etc/app.conf); ls /etc/cfg; \
                  echo projected=$(cat /etc/all/pod)/$(rev /etc/all/t); \
                  grep -E ' /etc/(sec|cfg|all) ' /proc/mounts | cut -d' ' -f2,3,4 | cut -c1-20; \
                  touch /etc/sec/x 2>/dev/null || echo read-only";
    let yaml = format!(
        "{}---\napiVersion: batch/v1\nkind: Job\nmetadata: {{name: {name}}}\nspec:\n  backoffLimit: 0\n  \
         template:\n    metadata: {{labels: {{{k}: {v}}}}}\n    spec:\n      restartPolicy: Never\n      \
         containers:\n      - name: main\n        image: {base}\n        imagePullPolicy: Never\n        \
         command: [/bin/sh, -c, \"{script}\"]\n        \
         env:\n        - name: LEVEL\n          valueFrom: {{configMapKeyRef: {{name: settings, key: level}}}}\n        \
         - name: DB_PASSWORD\n          valueFrom: {{secretKeyRef: {{name: db, key: password}}}}\n        \
         envFrom:\n        - {{configMapRef: {{name: settings}}, prefix: CFG_}}\n        - secretRef: {{name: extra}}\n        \
         volumeMounts:\n        - {{name: sec, mountPath: /etc/sec}}\n        - {{name: cfg, mountPath: /etc/cfg}}\n        \
         - {{name: cfg, mountPath: /etc/app.conf, subPath: app.conf}}\n        - {{name: all, mountPath: /etc/all}}\n      \
         volumes:\n      - name: sec\n        secret:\n          secretName: db\n          defaultMode: 0400\n          \
         items: [{{key: token, path: tok/token, mode: 0440}}]\n      - name: cfg\n        configMap: {{name: settings}}\n      \
         - name: all\n        projected:\n          sources:\n          - secret: {{name: db, items: [{{key: token, path: t}}]}}\n          \
         - downwardAPI: {{items: [{{path: pod, fieldRef: {{fieldPath: metadata.name}}}}]}}\n",
        secret_and_config_map(&env)
    );
    let path = env.write("all.yaml", &yaml);
    let mut captured = Captured(Vec::new());
    let run = captured.run(
        &env,
        &[
            "--progress",
            "plain",
            "run",
            "-f",
            path.to_str().expect("utf-8"),
        ],
    );
    let stdout = String::from_utf8_lossy(&run.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&run.stderr).into_owned();
    assert_eq!(run.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stderr.contains("secret/db created"), "{stderr}");
    assert!(stderr.contains("secret/extra created"), "{stderr}");
    assert!(stderr.contains("configmap/settings created"), "{stderr}");
    let expected = [
        "level=debug cfg=debug skey=extra-value".to_string(),
        format!("pw={}", reversed(ENV_SECRET)),
        format!("token={}", reversed(FILE_SECRET)),
        "mode=440".to_string(),
        "subpath=mode=fast".to_string(),
        "app.conf\nlevel".to_string(),
        format!("projected={name}-"),
        format!("/{}", reversed(FILE_SECRET)),
        "/etc/sec tmpfs ro,".to_string(),
        "/etc/cfg tmpfs ro,".to_string(),
        "/etc/all tmpfs ro,".to_string(),
        "read-only".to_string(),
    ];
    for line in &expected {
        assert!(
            stdout.contains(line.as_str()),
            "missing {line:?} in:\n{stdout}"
        );
    }
    // `1bad` is not a variable name: skipped with the kubelet's event, for both sources.
    let events = captured.run(&env, &["get", "events"]);
    let events = text(&events);
    assert!(
        events.contains("InvalidEnvironmentVariableNames")
            && events.contains("Keys [1bad] from the EnvFrom secret default/extra were skipped"),
        "{events}"
    );
    // Views never show a value.
    let describe = captured.run(&env, &["describe", "pods"]);
    let describe = text(&describe);
    assert!(
        describe.contains("<set to the key 'password' in secret 'db'>"),
        "{describe}"
    );
    assert!(
        describe.contains("ConfigMap with prefix 'CFG_'  Optional: false"),
        "{describe}"
    );
    let secret = captured.run(&env, &["describe", "secret", "db"]);
    assert!(
        text(&secret).contains(&format!("token:     {} bytes", FILE_SECRET.len())),
        "{}",
        text(&secret)
    );
    let listed = captured.run(&env, &["get", "secrets"]);
    assert!(
        text(&listed)
            .lines()
            .any(|l| l.starts_with("db ") && l.contains("Opaque   2")),
        "{}",
        text(&listed)
    );
    captured.run(&env, &["logs", &format!("job/{name}")]);
    // The containers' configuration: the file-only secret is nowhere in it.
    let containers = env.containers(&[]);
    assert!(!containers.is_empty());
    for c in &containers {
        let id = c.id.as_deref().expect("id");
        let inspect = std::process::Command::new("docker")
            .args(["inspect", id])
            .output()
            .expect("docker inspect");
        let inspect = String::from_utf8_lossy(&inspect.stdout);
        assert!(!inspect.contains(FILE_SECRET), "{inspect}");
    }
    // The state store holds the Secret: only its owner can read it.
    let state = env.dir.path().join("state");
    let mode =
        |p: &std::path::Path| std::fs::metadata(p).expect("stat").permissions().mode() & 0o777;
    assert_eq!(mode(&state), 0o700);
    assert_eq!(mode(&state.join("dockjob.db")), 0o600);
    // The pod ended, its sandbox stopped: its tmpfs volumes are unmounted, their files gone
    // (the empty volumes stay until the containers are removed).
    let volumes = std::process::Command::new("docker")
        .args(["volume", "ls", "-q", "--filter", &format!("label={label}")])
        .output()
        .expect("docker volume ls");
    let volumes = String::from_utf8_lossy(&volumes.stdout).into_owned();
    assert_eq!(volumes.lines().count(), 3, "{volumes}");
    let mounts = std::fs::read_to_string("/proc/mounts").unwrap_or_default();
    for volume in volumes.lines() {
        assert!(!mounts.contains(volume), "{volume} is still mounted");
    }
    let deleted = captured.run(&env, &["delete", "job", &name]);
    assert_ok("delete", &deleted);
    // The pod's volumes went with it.
    let volumes = std::process::Command::new("docker")
        .args(["volume", "ls", "-q", "--filter", &format!("label={label}")])
        .output()
        .expect("docker volume ls");
    assert!(
        String::from_utf8_lossy(&volumes.stdout).trim().is_empty(),
        "{}",
        String::from_utf8_lossy(&volumes.stdout)
    );
    captured.assert_no_secret();
}

/// Polls `get pods` until `want` shows (at most `limit`).
fn wait_for(env: &TestEnv, args: &[&str], want: &str, limit: Duration) -> String {
    let started = Instant::now();
    loop {
        let out = text(&env.run(args));
        if out.contains(want) || started.elapsed() > limit {
            return out;
        }
        std::thread::sleep(Duration::from_millis(300));
    }
}

#[test]
fn a_missing_secret_holds_the_pod_until_apply_adds_it_and_a_wrong_key_is_the_kubelets_text() {
    let env = TestEnv::new("cs-late");
    let base = env.base_image();
    let label = env.label();
    let (k, v) = label.split_once('=').expect("label");
    let job = |name: &str, secret: &str, key: &str| {
        format!(
            "apiVersion: batch/v1\nkind: Job\nmetadata: {{name: {name}}}\nspec:\n  backoffLimit: 0\n  \
             template:\n    metadata: {{labels: {{{k}: {v}}}}}\n    spec:\n      restartPolicy: Never\n      \
             containers:\n      - name: main\n        image: {base}\n        imagePullPolicy: Never\n        \
             command: [/bin/sh, -c, 'echo got=$(echo $P | rev)']\n        env:\n        - name: P\n          \
             valueFrom: {{secretKeyRef: {{name: {secret}, key: {key}}}}}\n"
        )
    };
    let late = format!("late-{}", env.id);
    let wrong = format!("wrong-{}", env.id);
    let yaml = format!(
        "{}---\n{}---\n{}",
        secret_and_config_map(&env),
        job(&late, "late", "password"),
        job(&wrong, "db", "pasword")
    );
    let path = env.write("jobs.yaml", &yaml);
    let mut captured = Captured(Vec::new());
    let applied = captured.run(
        &env,
        &[
            "apply",
            "--backoff-scale",
            "0.1",
            "-f",
            path.to_str().expect("utf-8"),
        ],
    );
    assert_ok("apply", &applied);
    let pods = wait_for(
        &env,
        &["get", "pods"],
        "CreateContainerConfigError",
        Duration::from_secs(30),
    );
    assert!(pods.contains("CreateContainerConfigError"), "{pods}");
    let events = wait_for(
        &env,
        &["get", "events"],
        "couldn't find key pasword in Secret default/db",
        Duration::from_secs(30),
    );
    assert!(
        events.contains("Error: couldn't find key pasword in Secret default/db")
            && events.contains("Error: secret \"late\" not found"),
        "{events}"
    );
    captured.0.push(events);
    // No container was made for either pod.
    assert!(env.containers(&[]).is_empty());
    let secret = env.write(
        "late.yaml",
        &format!("apiVersion: v1\nkind: Secret\nmetadata: {{name: late}}\nstringData: {{password: {FILE_SECRET}}}\n"),
    );
    let added = captured.run(&env, &["apply", "-f", secret.to_str().expect("utf-8")]);
    assert_ok("apply secret", &added);
    assert!(text(&added).contains("secret/late created"));
    let waited = captured.run(
        &env,
        &[
            "wait",
            &format!("job/{late}"),
            "--for=condition=complete",
            "--timeout=60s",
        ],
    );
    assert_ok("wait", &waited);
    let logs = captured.run(&env, &["logs", &format!("job/{late}")]);
    assert!(
        text(&logs).contains(&format!("got={}", reversed(FILE_SECRET))),
        "{}",
        text(&logs)
    );
    for name in [&late, &wrong] {
        assert_ok("delete", &captured.run(&env, &["delete", "job", name]));
    }
    captured.assert_no_secret();
}

/// The test registry's password: in no output either.
const REGISTRY_PASSWORD: &str = "r3g-Pa55-7731";

#[test]
fn image_pull_secrets_pull_from_a_registry_that_refuses_anonymous_pulls() {
    use std::io::Write;
    use std::process::Stdio;

    let env = TestEnv::new("cs-pull");
    let registry = common::Registry::start(
        &env.dir.path().join("registry"),
        Some(("alice", REGISTRY_PASSWORD)),
    );
    let server = registry.address.as_str();
    let base = env.base_image();
    let image = format!("{server}/private/busybox-{}:1", env.id);
    // Put the image there with a login, then forget both the login and the local copy.
    let mut login = env
        .dockjob()
        .args(["login", server, "-u", "alice", "--password-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("login");
    login
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{REGISTRY_PASSWORD}\n").as_bytes())
        .expect("password");
    assert_ok("login", &login.wait_with_output().expect("login"));
    let (repo, tag) = image.rsplit_once(':').expect("tag");
    env.block_on(
        env.docker().tag_image(
            &base,
            Some(
                bollard::query_parameters::TagImageOptionsBuilder::default()
                    .repo(repo)
                    .tag(tag)
                    .build(),
            ),
        ),
    )
    .expect("tag");
    assert_ok("push", &env.run(&["push", &image]));
    assert_ok("logout", &env.run(&["logout", server]));
    assert_ok("image rm", &env.run(&["image", "rm", &image]));

    let mut captured = Captured(Vec::new());
    let job = |name: &str, pull_secrets: &str| {
        format!(
            "apiVersion: batch/v1\nkind: Job\nmetadata: {{name: {name}}}\nspec:\n  backoffLimit: 0\n  \
             template:\n    spec:\n      restartPolicy: Never\n{pull_secrets}      containers:\n      \
             - name: main\n        image: {image}\n        imagePullPolicy: Always\n        \
             command: [/bin/sh, -c, 'echo pulled-ok']\n"
        )
    };
    // Anonymous: the registry refuses; the pod waits in ErrImagePull / ImagePullBackOff.
    let anonymous = format!("anon-{}", env.id);
    let path = env.write("anon.yaml", &job(&anonymous, ""));
    assert_ok(
        "apply",
        &captured.run(&env, &["apply", "-f", path.to_str().expect("utf-8")]),
    );
    let events = wait_for(
        &env,
        &["get", "events"],
        "Failed to pull image",
        Duration::from_secs(30),
    );
    assert!(events.contains("Failed to pull image"), "{events}");
    captured.0.push(events);
    assert_ok(
        "delete",
        &captured.run(&env, &["delete", "job", &anonymous]),
    );

    // With the docker-registry Secret as imagePullSecrets, the same pull succeeds.
    let created = captured.run(
        &env,
        &[
            "create",
            "secret",
            "docker-registry",
            "reg",
            &format!("--docker-server={server}"),
            "--docker-username=alice",
            &format!("--docker-password={REGISTRY_PASSWORD}"),
        ],
    );
    assert_ok("create secret", &created);
    let name = format!("private-{}", env.id);
    let path = env.write(
        "private.yaml",
        &job(
            &name,
            "      imagePullSecrets: [{name: missing}, {name: reg}]\n",
        ),
    );
    let run = captured.run(
        &env,
        &[
            "--progress",
            "plain",
            "run",
            "--rm",
            "-f",
            path.to_str().expect("utf-8"),
        ],
    );
    assert_ok("run", &run);
    assert!(text(&run).contains("pulled-ok"), "{}", text(&run));
    let events = captured.run(&env, &["get", "events"]);
    assert!(
        text(&events).contains("Unable to retrieve some image pull secrets (missing); attempting to pull the image may not succeed."),
        "{}",
        text(&events)
    );
    for out in &captured.0 {
        assert!(!out.contains(REGISTRY_PASSWORD), "{out}");
    }
    captured.assert_no_secret();
}

#[test]
fn a_foreground_run_says_it_waits_and_starts_once_the_secret_is_applied() {
    let env = TestEnv::new("cs-fg");
    let base = env.base_image();
    let name = format!("fg-{}", env.id);
    let yaml = format!(
        "apiVersion: batch/v1\nkind: Job\nmetadata: {{name: {name}}}\nspec:\n  backoffLimit: 0\n  \
         template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: main\n        \
         image: {base}\n        imagePullPolicy: Never\n        command: [/bin/sh, -c, 'echo got=$(echo $P | rev)']\n        \
         env:\n        - name: P\n          valueFrom: {{secretKeyRef: {{name: later, key: p}}}}\n"
    );
    let path = env.write("job.yaml", &yaml);
    // Retries every 2 s (10 s × 0.2), six times: 12 s to apply the Secret.
    let child = env
        .dockjob()
        .args([
            "--progress",
            "plain",
            "run",
            "--rm",
            "--backoff-scale",
            "0.2",
            "-f",
        ])
        .arg(&path)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run");
    let pods = wait_for(
        &env,
        &["get", "pods"],
        "CreateContainerConfigError",
        Duration::from_secs(10),
    );
    assert!(pods.contains("CreateContainerConfigError"), "{pods}");
    let secret = env.write(
        "later.yaml",
        &format!("apiVersion: v1\nkind: Secret\nmetadata: {{name: later}}\nstringData: {{p: {FILE_SECRET}}}\n"),
    );
    assert_ok(
        "apply",
        &env.run(&["apply", "-f", secret.to_str().expect("utf-8")]),
    );
    let output = child.wait_with_output().expect("run ends");
    let all = text(&output);
    assert_eq!(output.status.code(), Some(0), "{all}");
    assert!(
        all.contains("CreateContainerConfigError: secret \"later\" not found")
            && all.contains("waits for it: retrying every 2s, 6 times"),
        "{all}"
    );
    assert!(
        all.contains(&format!("got={}", reversed(FILE_SECRET))),
        "{all}"
    );
    assert!(!all.contains(FILE_SECRET), "{all}");
}
