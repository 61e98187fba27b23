//! Issue 15, points 6 and 7, on the real engine (and a real registry): what a kubectl or
//! docker user sees after a run, a build, an image removal and a push.
//!
//! - `logs` of a pod whose containers `run --rm` removed: kubectl's NotFound, exit 1.
//! - Every tag of a build reported (BuildKit's `naming to NAME done`, the classic builder's
//!   `Successfully tagged NAME`); `image rm` prints `Untagged:`/`Deleted:` as docker does.
//! - `describe pod`: the scheduler's and the kubelet's events in the order they happened
//!   (`Failed`, not `Started`, for a start that failed), and `Image ID:` filled.
//! - The terminal push and build views end with no stale frame, the push digest last.

mod common;

use std::process::{Command, Output};

use common::{stderr, stdout, Registry, TestEnv};

/// A Job running `script` in `image`, its pods labelled for cleanup.
fn job_yaml(env: &TestEnv, image: &str, name: &str, script: &str) -> String {
    format!(
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {name}\nspec:\n  backoffLimit: 0\n  template:\n    metadata:\n      labels:\n        io.dockjob.test: {id}\n    spec:\n      restartPolicy: Never\n      terminationGracePeriodSeconds: 1\n      containers:\n      - name: main\n        image: {image}\n        command: [\"sh\", \"-c\", {script:?}]\n",
        id = env.id
    )
}

/// The pod names a plain run announced (`pod/NAME created`).
fn created_pods(output: &Output) -> Vec<String> {
    stderr(output)
        .lines()
        .filter_map(|l| l.strip_prefix("pod/")?.strip_suffix(" created"))
        .map(str::to_string)
        .collect()
}

#[test]
fn logs_of_a_pod_removed_by_run_rm_is_not_found() {
    let env = TestEnv::new("kv-logs-rm");
    let image = env.base_image();
    let path = env.write("job.yaml", &job_yaml(&env, &image, "gone", "echo hello"));
    let output = env.run(&[
        "--progress",
        "plain",
        "run",
        "--rm",
        "-f",
        path.to_str().unwrap(),
    ]);
    common::assert_ok("run --rm", &output);
    assert!(stdout(&output).contains("hello"));
    let pods = created_pods(&output);
    assert_eq!(pods.len(), 1, "{}", stderr(&output));
    let pod = &pods[0];
    // apimachinery `pkg/api/errors/errors.go` `NewNotFound` ("%s %q not found" of the
    // resource), printed by kubectl `pkg/cmd/util/helpers.go` `checkErr` as
    // "Error from server (NotFound): …"; exit 1 (`DefaultErrorExitCode`).
    let expected = format!("Error from server (NotFound): pods \"{pod}\" not found\n");
    for target in [pod.clone(), format!("pod/{pod}"), "job/gone".to_string()] {
        let logs = env.run(&["logs", &target]);
        assert_eq!(logs.status.code(), Some(1), "logs {target}");
        assert_eq!(stdout(&logs), "", "logs {target}");
        assert_eq!(stderr(&logs), expected, "logs {target}");
    }
    // Once its Job is deleted too, the pod is gone from dockjob's store: the same answer.
    env.run_ok(&["delete", "job", "gone"]);
    let logs = env.run(&["logs", pod]);
    assert_eq!(logs.status.code(), Some(1));
    assert_eq!(stderr(&logs), expected);
    // A pod that never existed says the same, as before.
    let never = env.run(&["logs", "never-was"]);
    assert_eq!(never.status.code(), Some(1));
    assert_eq!(
        stderr(&never),
        "Error from server (NotFound): pods \"never-was\" not found\n"
    );
}

/// A context whose image differs from every other test's (a file with the test's ID).
fn context(env: &TestEnv, base: &str) -> String {
    env.write(
        "ctx/Dockerfile",
        &format!("FROM {base}\nCOPY id.txt /id.txt\n"),
    );
    let path = env.write("ctx/id.txt", &env.id);
    path.parent().unwrap().to_str().unwrap().to_string()
}

#[test]
fn every_tag_of_a_buildkit_build_is_named_and_image_rm_says_what_went() {
    let env = TestEnv::new("kv-tags-bk");
    let base = env.base_image();
    let ctx = context(&env, &base);
    let (a, b) = (
        format!("dockjob-test/kv-a-{}:1", env.id),
        format!("dockjob-test/kv-b-{}:2", env.id),
    );
    let output = env.run_ok(&[
        "--progress",
        "plain",
        "build",
        "--builder",
        "buildkit",
        &ctx,
        "-t",
        &a,
        "-t",
        &b,
    ]);
    let image_id = stdout(&output).trim().to_string();
    let log = stderr(&output);
    // buildx's plain progress of the moby exporter (`mobyexporter/export.go`): one
    // `naming to NAME` per name, each `done`.
    for name in [&a, &b] {
        assert!(
            log.lines()
                .any(|l| l.ends_with(&format!("naming to docker.io/{name} done"))),
            "{name} not reported:\n{log}"
        );
    }
    // docker/cli `cli/command/image/remove.go` `runRemove`: `Untagged: REF` per reference,
    // `Deleted: ID` per image gone.
    let first = env.run_ok(&["image", "rm", &a]);
    assert_eq!(stdout(&first), format!("Untagged: {a}\n"));
    let last = env.run_ok(&["image", "rm", &b]);
    let lines: Vec<String> = stdout(&last).lines().map(str::to_string).collect();
    assert_eq!(lines.first(), Some(&format!("Untagged: {b}")), "{lines:?}");
    assert!(
        lines.contains(&format!("Deleted: {image_id}")),
        "the image went with its last tag: {lines:?}"
    );
    assert!(lines[1..].iter().all(|l| l.starts_with("Deleted: sha256:")));
}

#[test]
fn every_tag_of_a_classic_build_is_successfully_tagged() {
    let env = TestEnv::new("kv-tags-classic");
    let base = env.base_image();
    let ctx = context(&env, &base);
    let tags: Vec<String> = ["x:1", "y:2", "z:3"]
        .iter()
        .map(|t| format!("dockjob-test/kv-{}-{t}", env.id))
        .collect();
    let mut args = vec!["--progress", "plain", "build", "--builder", "classic", &ctx];
    for tag in &tags {
        args.extend(["-t", tag.as_str()]);
    }
    let output = env.run_ok(&args);
    let log = stderr(&output);
    // moby `builder/dockerfile/imagebuildtagger.go` `TagImages`: one line per `t`.
    let tagged: Vec<&str> = log
        .lines()
        .filter_map(|l| l.strip_prefix("Successfully tagged "))
        .collect();
    assert_eq!(tagged, tags, "{log}");
    for tag in &tags {
        env.run_ok(&["image", "inspect", tag]);
    }
}

/// The `Events:` rows of `describe`: (type, reason, from, message).
fn event_rows(described: &str) -> Vec<(String, String, String, String)> {
    let Some((_, events)) = described.split_once("\nEvents:\n") else {
        return Vec::new();
    };
    events
        .lines()
        .skip(2) // the header and its underline
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if fields.len() < 5 {
                return None;
            }
            // Type, Reason, Age (one word, or `Xs (x2 over Ys)`), From, Message.
            let (kind, reason) = (fields[0], fields[1]);
            let rest = line.trim_start()[kind.len()..].trim_start()[reason.len()..].trim_start();
            let after_age = rest.split_once("  ")?.1.trim_start();
            let (from, message) = after_age.split_once("  ")?;
            Some((
                kind.to_string(),
                reason.to_string(),
                from.trim().to_string(),
                message.trim().to_string(),
            ))
        })
        .collect()
}

#[test]
fn describe_pod_shows_the_scheduler_and_kubelet_events_in_order_and_the_image_id() {
    let env = TestEnv::new("kv-events");
    let image = env.base_image();
    let path = env.write("job.yaml", &job_yaml(&env, &image, "ev", "echo hi"));
    let output = env.run_job_fast(path.to_str().unwrap());
    common::assert_ok("run", &output);
    let pod = created_pods(&output).remove(0);
    let described = stdout(&env.run_ok(&["describe", "pod", &pod]));
    let node = env
        .block_on(env.docker().info())
        .expect("engine info")
        .name
        .expect("engine name");
    let rows = event_rows(&described);
    let got: Vec<(&str, &str, &str)> = rows
        .iter()
        .map(|(_, r, f, m)| (r.as_str(), f.as_str(), m.as_str()))
        .collect();
    // kube-scheduler `schedule_one.go`; kubelet 1.32 `images/image_manager.go`,
    // `kuberuntime/kuberuntime_container.go`; dockjob's own ContainerDied last.
    let want = [
        (
            "Scheduled",
            "default-scheduler",
            format!("Successfully assigned default/{pod} to {node}"),
        ),
        (
            "Pulled",
            "kubelet",
            format!("Container image \"{image}\" already present on machine"),
        ),
        ("Created", "kubelet", "Created container main".to_string()),
        ("Started", "kubelet", "Started container main".to_string()),
        (
            "ContainerDied",
            "dockjob",
            "Container main exited with code 0 (Completed)".to_string(),
        ),
    ];
    let want: Vec<(&str, &str, &str)> = want.iter().map(|(r, f, m)| (*r, *f, m.as_str())).collect();
    assert_eq!(got, want, "{described}");
    // cri-dockerd `toPullableImageID`: an image without a repo digest (imported here) is
    // `docker://` and its ID.
    let inspect = env
        .block_on(env.docker().inspect_image(&image))
        .expect("inspect");
    let image_id = format!("docker://{}", inspect.id.unwrap());
    assert!(
        described
            .lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["Image", "ID:", &image_id]),
        "{described}"
    );
}

/// Bug (issue 15): `Started` was recorded when the start was issued, and a start that then
/// failed showed `ContainerDied … (StartError)`. The kubelet records `Started` only once the
/// runtime started the container, else a `Failed` warning.
#[test]
fn describe_pod_of_a_command_that_does_not_exist_shows_failed_and_no_started() {
    let env = TestEnv::new("kv-start-fails");
    let image = env.base_image();
    let yaml = job_yaml(&env, &image, "nocmd", "true")
        .replace("[\"sh\", \"-c\", \"true\"]", "[\"no-such-command-kv\"]");
    assert!(yaml.contains("no-such-command-kv"), "{yaml}");
    let path = env.write("job.yaml", &yaml);
    let output = env.run_job_fast(path.to_str().unwrap());
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let pod = created_pods(&output).remove(0);
    let described = stdout(&env.run_ok(&["describe", "pod", &pod]));
    let rows = event_rows(&described);
    let reasons: Vec<&str> = rows.iter().map(|(_, r, _, _)| r.as_str()).collect();
    assert_eq!(
        reasons,
        ["Scheduled", "Pulled", "Created", "Failed"],
        "{described}"
    );
    let containers = env.containers(&[]);
    assert_eq!(containers.len(), 1, "{containers:?}");
    let id = containers[0].id.clone().unwrap();
    // kubelet `kuberuntime/kuberuntime_container.go` `startContainer`:
    // `recordContainerEvent(…, v1.EventTypeWarning, events.FailedToStartContainer, "Error: %v",
    // s.Message())` (events.FailedToStartContainer is "Failed"), of cri-dockerd's
    // `failed to start container %q: %v` (`core/container_start.go` `StartContainer`) of the
    // container ID and the Docker client's error.
    let (kind, _, from, message) = &rows[3];
    assert_eq!((kind.as_str(), from.as_str()), ("Warning", "kubelet"));
    let prefix = format!("Error: failed to start container \"{id}\": Error response from daemon: ");
    assert!(
        message.starts_with(&prefix)
            && message.contains("\"no-such-command-kv\": executable file not found in $PATH"),
        "{message}"
    );
    // It never ran: the kubelet's start time 0 (`toKubeContainerStatus`).
    assert!(
        described
            .lines()
            .any(|l| l.trim() == "Started:      Thu, 01 Jan 1970 00:00:00 +0000"),
        "{described}"
    );
}

#[test]
fn a_pulled_image_is_pulling_then_pulled_with_its_size_and_digest() {
    let env = TestEnv::new("kv-pull");
    let registry = Registry::start(&env.dir.path().join("registry"), None);
    let base = env.base_image();
    let ctx = context(&env, &base);
    // `:latest` is pulled every time (imagePullPolicy Always).
    let remote = format!("{}/dockjob-test/kv-pull-{}", registry.address, env.id);
    env.run_ok(&[
        "--progress",
        "plain",
        "build",
        &ctx,
        "-t",
        &remote,
        "--push",
    ]);
    let path = env.write("job.yaml", &job_yaml(&env, &remote, "pl", "true"));
    let output = env.run_job_fast(path.to_str().unwrap());
    common::assert_ok("run", &output);
    let pod = created_pods(&output).remove(0);
    let described = stdout(&env.run_ok(&["describe", "pod", &pod]));
    let rows = event_rows(&described);
    let reasons: Vec<&str> = rows.iter().map(|(_, r, _, _)| r.as_str()).collect();
    assert_eq!(
        reasons,
        [
            "Scheduled",
            "Pulling",
            "Pulled",
            "Created",
            "Started",
            "ContainerDied"
        ],
        "{described}"
    );
    assert_eq!(rows[1].3, format!("Pulling image \"{remote}\""));
    let size = env
        .block_on(env.docker().inspect_image(&remote))
        .expect("inspect")
        .size
        .unwrap();
    let pulled = &rows[2].3;
    let prefix = format!("Successfully pulled image \"{remote}\" in ");
    let suffix = format!(" including waiting). Image size: {size} bytes.");
    assert!(
        pulled.starts_with(&prefix) && pulled.ends_with(&suffix),
        "{pulled}"
    );
    // The pulled image has a repo digest: `docker-pullable://NAME@sha256:…`.
    let image_line = described
        .lines()
        .find(|l| l.trim_start().starts_with("Image ID:"))
        .unwrap();
    assert!(
        image_line.contains(&format!("docker-pullable://{remote}@sha256:")),
        "{image_line}"
    );
}

/// Runs `dockjob ARGS…` on a 100×40 pseudo-terminal (util-linux `script`) and returns what
/// it wrote there, rendered as the terminal shows it at the end (one string per row), with
/// the raw bytes.
fn on_terminal(env: &TestEnv, args: &[&str]) -> (Vec<String>, Vec<u8>, Output) {
    let template = env.dockjob();
    let quoted: Vec<String> = std::iter::once(common::dockjob_binary().to_string_lossy().into())
        .chain(args.iter().map(|a| a.to_string()))
        .map(|a| format!("'{}'", a.replace('\'', r"'\''")))
        .collect();
    let mut script = Command::new("script");
    script
        .arg("-qfec")
        .arg(format!("stty cols 100 rows 40; exec {}", quoted.join(" ")))
        .arg("/dev/null");
    for (key, value) in template.get_envs() {
        match value {
            Some(value) => script.env(key, value),
            None => script.env_remove(key),
        };
    }
    let output = script
        .env("TERM", "xterm")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("util-linux script");
    let size = |n: u16| std::num::NonZeroU16::new(n).unwrap();
    let mut parser = vt100::Parser::new(size(40), size(100), 0);
    parser.process(&output.stdout);
    let rows = parser
        .screen()
        .rows(0, 100)
        .map(|row| row.trim_end().to_string())
        .filter(|row| !row.is_empty())
        .collect();
    (rows, output.stdout.clone(), output)
}

/// indicatif's default spinner frames: none may be left on the screen.
const SPINNER_FRAMES: &str = "⠁⠂⠄⡀⢀⠠⠐⠈";

#[test]
fn the_terminal_push_view_ends_with_the_layers_then_the_digest() {
    let env = TestEnv::new("kv-push-tty");
    let registry = Registry::start(&env.dir.path().join("registry"), None);
    let base = env.base_image();
    let ctx = context(&env, &base);
    let remote = format!("{}/dockjob-test/kv-push-{}:1", registry.address, env.id);
    env.run_ok(&["--progress", "plain", "build", &ctx, "-t", &remote]);
    let (lines, bytes, output) = on_terminal(&env, &["--progress", "tty", "push", &remote]);
    common::assert_ok("push on a terminal", &output);
    let screen = lines.join("\n");
    let raw = String::from_utf8_lossy(&bytes);
    assert!(
        !lines
            .iter()
            .any(|l| l.chars().any(|c| SPINNER_FRAMES.contains(c)) || l.contains("pushing ")),
        "a spinner frame stayed on the screen:\n{screen}\nraw: {raw:?}"
    );
    let digest = lines
        .iter()
        .position(|l| l.contains("digest: sha256:"))
        .unwrap_or_else(|| panic!("no digest line:\n{screen}"));
    let layers: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.ends_with(": Pushed") || l.ends_with(": Layer already exists"))
        .map(|(i, _)| i)
        .collect();
    assert!(!layers.is_empty(), "no layer lines:\n{screen}");
    assert!(
        layers.iter().all(|&i| i < digest),
        "the digest line must come after the layers:\n{screen}"
    );
    // stdout (the same terminal) ends with `NAME:TAG@sha256:…` (wrapped at 100 columns),
    // after the progress.
    let after: String = lines[digest + 1..].concat();
    assert!(after.starts_with(&format!("{remote}@sha256:")), "{screen}");
}

#[test]
fn the_terminal_build_views_end_without_stale_frames() {
    let env = TestEnv::new("kv-build-tty");
    let base = env.base_image();
    let ctx = context(&env, &base);
    for builder in ["buildkit", "classic"] {
        let tag = format!("dockjob-test/kv-tty-{builder}-{}:1", env.id);
        let (lines, bytes, output) = on_terminal(
            &env,
            &[
                "--progress",
                "tty",
                "build",
                "--builder",
                builder,
                &ctx,
                "-t",
                &tag,
            ],
        );
        common::assert_ok("build on a terminal", &output);
        let raw = String::from_utf8_lossy(&bytes);
        let screen = lines.join("\n");
        assert!(
            !lines
                .iter()
                .any(|l| l.chars().any(|c| SPINNER_FRAMES.contains(c))),
            "{builder}: a spinner frame stayed on the screen:\n{screen}\nraw: {raw:?}"
        );
        // One view: its header once.
        if builder == "buildkit" {
            let headers = lines.iter().filter(|l| l.starts_with("[+] Build")).count();
            assert_eq!(headers, 1, "{builder}:\n{screen}\nraw: {raw:?}");
            assert!(
                lines.iter().any(|l| l.contains("naming to docker.io/")),
                "{screen}"
            );
        } else {
            assert!(
                lines
                    .iter()
                    .any(|l| *l == format!("Successfully tagged {tag}")),
                "{screen}"
            );
        }
        // The image ID (stdout) is the last line.
        assert!(lines.last().unwrap().starts_with("sha256:"), "{screen}");
    }
}
