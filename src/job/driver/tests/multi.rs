//! Pods with several containers through the driver: a sandbox per pod, containers started
//! together, the pod phase from all containers, per-container OnFailure restarts, restarts
//! summed for backoffLimit, podFailurePolicy `containerName`, and deletion of every container.

use std::time::Duration;

use super::*;
use crate::engine::fake::Script;
use crate::engine::ContainerSpec;
use crate::job::controller::{EventType, OutcomeKind, PodPhase};
use crate::job::pod::{LABEL_CONTAINER, LABEL_RESTART};

/// A Job whose pod has containers `a` and `b` (busybox:1.36).
fn two_containers(name: &str, spec: &str, pod: &str) -> String {
    format!(
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {name}\nspec:\n{spec}  template:\n    spec:\n{pod}      containers:\n      - name: a\n        image: busybox:1.36\n        env: [{{name: WHO, value: first}}]\n        args: [\"$(WHO)\"]\n      - name: b\n        image: busybox:1.36\n        env: [{{name: WHO, value: second}}]\n        args: [\"$(WHO)\"]\n"
    )
}

/// An engine whose containers follow `script(container name, restart number)`.
fn per_container(script: fn(&str, u32) -> Script) -> FakeEngine {
    let engine = FakeEngine::new(move |spec: &ContainerSpec| {
        let name = spec
            .labels
            .get(LABEL_CONTAINER)
            .cloned()
            .unwrap_or_default();
        let restart = spec
            .labels
            .get(LABEL_RESTART)
            .and_then(|r| r.parse().ok())
            .unwrap_or(0);
        script(&name, restart)
    });
    engine.add_image("busybox:1.36", None, Some(&["sh"]));
    engine
}

fn sandboxes(engine: &FakeEngine) -> Vec<crate::engine::SandboxSpec> {
    engine
        .calls()
        .into_iter()
        .filter_map(|(_, c)| match c {
            Call::Sandbox(spec) => Some(spec),
            _ => None,
        })
        .collect()
}

#[tokio::test(start_paused = true)]
async fn never_one_container_fails_the_pod_fails_after_both_ended() {
    // a finishes at once (before b even starts: b still joins the pod's sandbox), b fails at 5s.
    let engine = per_container(|name, _| match name {
        "a" => Script::exit(0, 0),
        _ => Script::exit(1, 5),
    });
    let yaml = two_containers("duo", "  backoffLimit: 0\n", "      restartPolicy: Never\n");
    let (run, out) = run(&engine, yaml.as_str(), RunOptions::default()).await;
    assert_eq!(run.outcome.reason, "BackoffLimitExceeded");
    assert_eq!(run.pods.len(), 1, "one pod for both containers");
    let status = run.job.status.clone().unwrap();
    assert_eq!((status.failed, status.succeeded), (Some(1), None));
    let pod = &run.pods[0];
    assert_eq!(pod.phase, PodPhase::Failed);
    assert_eq!(
        pod.ended.map(|e| e.duration_since(pod.created).as_secs()),
        Some(5),
        "the pod ends with its last container"
    );
    let exits: Vec<(String, i64)> = pod
        .containers
        .iter()
        .map(|c| (c.name.clone(), c.terminated.as_ref().unwrap().exit_code))
        .collect();
    assert_eq!(exits, vec![("a".into(), 0), ("b".into(), 1)]);
    // Both created at once, each with its own args, both in the one sandbox.
    let created = engine.created();
    let sandbox_ids: Vec<Option<String>> = created.iter().map(|(_, s)| s.sandbox.clone()).collect();
    assert_eq!(sandbox_ids, vec![Some("sandbox00001".into()); 2]);
    let shape: Vec<(Duration, String, Option<Vec<String>>)> = created
        .into_iter()
        .map(|(t, s)| (t, s.name, s.cmd))
        .collect();
    let name = &pod.name;
    assert_eq!(
        shape,
        vec![
            (
                Duration::ZERO,
                format!("{name}_a"),
                Some(vec!["first".into()])
            ),
            (
                Duration::ZERO,
                format!("{name}_b"),
                Some(vec!["second".into()])
            ),
        ]
    );
    let sandbox = &sandboxes(&engine)[0];
    assert_eq!(
        (sandbox.name.as_str(), sandbox.hostname.as_str()),
        (format!("{name}_POD").as_str(), name.as_str())
    );
    assert!(
        engine.running_sandboxes().is_empty(),
        "the sandbox is stopped with the pod"
    );
    for line in [
        format!("pod/{name}/a Completed"),
        format!("pod/{name}/b Error (exit code 1)"),
        format!("pod/{name} Failed"),
    ] {
        assert!(out.stderr.contains(&line), "{line} in {:?}", out.stderr);
    }
}

#[tokio::test(start_paused = true)]
async fn on_failure_restarts_the_failed_container_alone_with_its_own_backoff() {
    // a succeeds at 1s and stays Completed; b fails twice, then succeeds.
    let engine = per_container(|name, restart| match (name, restart) {
        ("a", _) => Script::exit(0, 1),
        ("b", 0 | 1) => Script::exit(1, 1),
        _ => Script::exit(0, 1),
    });
    let yaml = two_containers(
        "crashy",
        "  backoffLimit: 6\n",
        "      restartPolicy: OnFailure\n",
    );
    let (run, out) = run(&engine, yaml.as_str(), RunOptions::default()).await;
    assert_eq!(run.outcome.kind, OutcomeKind::Complete);
    let pod = &run.pods[0];
    let restarts: Vec<u32> = pod.containers.iter().map(|c| c.restart_count).collect();
    assert_eq!(restarts, vec![0, 2]);
    assert_eq!(pod.restart_count(), 2);
    let created: Vec<(u64, String)> = engine
        .created()
        .into_iter()
        .map(|(t, s)| (t.as_secs(), s.name))
        .collect();
    let name = &pod.name;
    // b exits at 1s: back in 10s (11s); exits at 12s: back in 20s (32s).
    assert_eq!(
        created,
        vec![
            (0, format!("{name}_a")),
            (0, format!("{name}_b")),
            (11, format!("{name}_b.1")),
            (32, format!("{name}_b.2")),
        ]
    );
    let restarting =
        format!("pod/{name}/b Error (exit code 1); restarting in 10s (CrashLoopBackOff)");
    assert!(out.stderr.contains(&restarting), "{:?}", out.stderr);
    assert!(run.events.iter().any(|e| e.type_ == EventType::Warning
        && e.message.starts_with(&format!(
            "Back-off restarting failed container b in pod {name}_default("
        ))));
}

#[tokio::test(start_paused = true)]
async fn on_failure_backoff_limit_counts_the_restarts_of_every_container() {
    // Both fail every second: restarts at 11s (sum 2) and 32s (sum 3 = backoffLimit); one
    // container alone would only reach 3 restarts at 73s.
    let engine = per_container(|_, _| Script::exit(1, 1));
    let yaml = two_containers(
        "both",
        "  backoffLimit: 3\n",
        "      restartPolicy: OnFailure\n",
    );
    let (run, _) = run(&engine, yaml.as_str(), RunOptions::default()).await;
    assert_eq!(run.outcome.reason, "BackoffLimitExceeded");
    let last = creation_times(&engine).into_iter().max().unwrap();
    assert_eq!(last.as_secs(), 32);
    assert!(run.pods[0].restart_count() >= 3);
}

#[tokio::test(start_paused = true)]
async fn pod_failure_policy_container_name_picks_the_container_that_matched() {
    let engine = per_container(|name, _| match name {
        "a" => Script::exit(0, 1),
        _ => Script::exit(42, 2),
    });
    // Rule 0 names a (exited 0: no match), rule 1 names b.
    let spec = "  backoffLimit: 5\n  podFailurePolicy:\n    rules:\n    - action: FailJob\n      onExitCodes: {containerName: a, operator: In, values: [42]}\n    - action: FailJob\n      onExitCodes: {containerName: b, operator: In, values: [42]}\n";
    let yaml = two_containers("pfp", spec, "      restartPolicy: Never\n");
    let (run, _) = run(&engine, yaml.as_str(), RunOptions::default()).await;
    assert_eq!(run.outcome.reason, "PodFailurePolicy");
    let pod = &run.pods[0].name;
    assert_eq!(
        run.outcome.message,
        format!("Container b for pod default/{pod} failed with exit code 42 matching FailJob rule at index 1")
    );
}

#[tokio::test(start_paused = true)]
async fn pod_failure_policy_without_container_name_matches_any_container() {
    let engine = per_container(|_, _| Script::exit(0, 1));
    let spec = "  backoffLimit: 5\n  podFailurePolicy:\n    rules:\n    - action: Ignore\n      onExitCodes: {operator: In, values: [3]}\n    - action: FailJob\n      onExitCodes: {operator: NotIn, values: [3]}\n";
    let yaml = two_containers("anyc", spec, "      restartPolicy: Never\n");
    // The first pod's a exits 3 (Ignore: not counted); the second pod succeeds.
    engine.queue([
        Script::exit(3, 1),
        Script::exit(0, 2),
        Script::exit(0, 1),
        Script::exit(0, 1),
    ]);
    let (run, _) = run(&engine, yaml.as_str(), RunOptions::default()).await;
    assert_eq!(run.outcome.kind, OutcomeKind::Complete);
    let status = run.job.status.unwrap();
    assert_eq!(
        (status.failed, status.succeeded),
        (None, Some(1)),
        "Ignore is not counted"
    );
    assert_eq!(run.pods.len(), 2);
}

#[tokio::test(start_paused = true)]
async fn the_deadline_stops_every_container_with_the_grace_period_then_the_sandbox() {
    let engine = per_container(|_, _| Script::hang());
    let yaml = two_containers(
        "slow",
        "  activeDeadlineSeconds: 5\n",
        "      restartPolicy: Never\n      terminationGracePeriodSeconds: 3\n",
    );
    let (run, _) = run(&engine, yaml.as_str(), RunOptions::default()).await;
    assert_eq!(run.outcome.reason, "DeadlineExceeded");
    let stops: Vec<(u64, String, Duration)> = engine
        .calls()
        .into_iter()
        .filter_map(|(t, c)| match c {
            Call::Stop(id, grace) => Some((t.as_secs(), id, grace)),
            _ => None,
        })
        .collect();
    let grace = Duration::from_secs(3);
    assert_eq!(
        stops,
        vec![
            (5, "000000000001".into(), grace),
            (5, "000000000002".into(), grace),
            (5, "sandbox00001".into(), Duration::ZERO),
        ]
    );
    let pod = &run.pods[0].name;
    let killing: Vec<&str> = run
        .events
        .iter()
        .filter(|e| e.reason == "Killing")
        .map(|e| e.message.as_str())
        .collect();
    assert_eq!(
        killing,
        vec!["Stopping container a", "Stopping container b"]
    );
    assert_eq!(
        run.job.status.unwrap().failed,
        Some(1),
        "{pod} is one failed pod"
    );
    assert!(engine.running_sandboxes().is_empty());
}

#[tokio::test(start_paused = true)]
async fn rm_removes_the_containers_and_the_sandbox() {
    let engine = per_container(|_, _| Script::exit(0, 1));
    let yaml = two_containers("tidy", "", "      restartPolicy: Never\n");
    let opts = RunOptions {
        rm: true,
        ..RunOptions::default()
    };
    let (run, out) = run(&engine, yaml.as_str(), opts).await;
    assert_eq!(run.outcome.kind, OutcomeKind::Complete);
    assert_eq!(engine.remaining(), Vec::<String>::new());
    assert!(
        out.stderr
            .contains(&"removed 3 container(s) (--rm)".to_string()),
        "{:?}",
        out.stderr
    );
}

#[tokio::test(start_paused = true)]
async fn prefixed_logs_name_the_container() {
    let engine = per_container(|name, _| Script::Exit {
        after: Duration::from_secs(1),
        code: 0,
        oom_killed: false,
        logs: vec![format!("hi from {name}")],
    });
    let yaml = two_containers("chatty", "", "      restartPolicy: Never\n");
    let opts = RunOptions {
        prefix: true,
        ..RunOptions::default()
    };
    let (run, out) = run(&engine, yaml.as_str(), opts).await;
    let pod = &run.pods[0].name;
    let mut lines = out.stdout.clone();
    lines.sort();
    assert_eq!(
        lines,
        vec![
            format!("[pod/{pod}/a] hi from a"),
            format!("[pod/{pod}/b] hi from b")
        ]
    );
}

/// A pod with several containers is asked for its (sandbox's) address at once: each of its
/// containers may end quickly while the pod ran for longer (e2e_multi_container's pod lost
/// its IP when its lookups waited `NETWORK_LOOKUP_DELAY`).
#[tokio::test(start_paused = true)]
async fn the_containers_of_a_pod_with_a_sandbox_are_asked_for_its_address_at_once() {
    // a ends after 50 ms (before the delay would have run out), b after a second.
    let engine = per_container(|name, _| match name {
        "a" => Script::Exit {
            after: Duration::from_millis(50),
            code: 0,
            oom_killed: false,
            logs: Vec::new(),
        },
        _ => Script::exit(0, 1),
    });
    let yaml = two_containers(
        "quick",
        "  backoffLimit: 0\n",
        "      restartPolicy: Never\n",
    );
    let (run, _) = run(&engine, yaml.as_str(), RunOptions::default()).await;
    assert_eq!(run.outcome.reason, "CompletionsReached");
    assert_eq!(engine.network_lookups(), 2, "a was asked too");
}
