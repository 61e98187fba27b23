//! OnFailure restarts, Indexed pods, images, OOM and start errors through the driver.

use std::time::Duration;

use super::*;
use crate::engine::fake::Script;
use crate::job::controller::OutcomeKind;
use crate::job::driver::DriverError;

#[tokio::test(start_paused = true)]
async fn on_failure_restarts_are_new_containers_10s_then_20s_apart() {
    let engine = engine_with_image(Script::Exit {
        after: Duration::ZERO,
        code: 1,
        oom_killed: false,
        logs: vec!["boom".into()],
    });
    let yaml = manifest(
        "crash",
        "  backoffLimit: 2\n",
        "      restartPolicy: OnFailure\n",
        "",
    );
    let (run, out) = run(&engine, yaml.as_str(), RunOptions::default()).await;
    assert_eq!(run.outcome.reason, "BackoffLimitExceeded");
    assert_eq!(run.pods.len(), 1);
    let pod = &run.pods[0].name;
    let names: Vec<String> = engine.created().into_iter().map(|(_, s)| s.name).collect();
    assert_eq!(
        names,
        vec![pod.clone(), format!("{pod}.1"), format!("{pod}.2")]
    );
    assert_eq!(gaps_secs(&creation_times(&engine)), vec![10, 20]);
    assert_eq!(run.pods[0].restart_count(), 2);
    assert!(
        out.stderr.iter().any(|l| l
            == &format!("pod/{pod} Error (exit code 1); restarting in 10s (CrashLoopBackOff)")),
        "{:?}",
        out.stderr
    );
    // Every run's logs were streamed and each container is kept for `logs --previous`.
    assert!(out.stdout.iter().filter(|l| l.ends_with("boom")).count() >= 2);
    assert_eq!(engine.remaining().len(), 3);
}

#[tokio::test(start_paused = true)]
async fn indexed_job_each_pod_sees_its_index() {
    let engine = FakeEngine::new(|spec| {
        let index = spec
            .env
            .iter()
            .find_map(|e| e.strip_prefix("JOB_COMPLETION_INDEX="))
            .unwrap_or("?");
        Script::print(&format!("index {index}"), 5)
    });
    engine.add_image("busybox:1.36", None, None);
    let yaml = manifest(
        "idx",
        "  completions: 3\n  parallelism: 2\n  completionMode: Indexed\n",
        "      restartPolicy: Never\n",
        "",
    );
    let (run, out) = run(&engine, yaml.as_str(), RunOptions::default()).await;
    assert_eq!(run.outcome.kind, OutcomeKind::Complete);
    let created = engine.created();
    let hosts: Vec<_> = created
        .iter()
        .map(|(_, s)| s.hostname.clone().unwrap())
        .collect();
    assert_eq!(hosts, vec!["idx-0", "idx-1", "idx-2"]);
    assert_eq!(
        creation_times(&engine),
        vec![Duration::ZERO, Duration::ZERO, Duration::from_secs(5)]
    );
    let mut lines = out.stdout.clone();
    lines.sort();
    assert_eq!(lines, vec!["index 0", "index 1", "index 2"]);
    assert_eq!(
        run.job.status.unwrap().completed_indexes.as_deref(),
        Some("0-2")
    );
}

#[tokio::test(start_paused = true)]
async fn pod_failure_policy_fail_job_on_exit_42_through_the_driver() {
    let engine = engine_with_image(Script::exit(42, 1));
    let spec = "  podFailurePolicy:\n    rules:\n    - action: FailJob\n      onExitCodes: {containerName: main, operator: In, values: [42]}\n";
    let (run, _) = run(
        &engine,
        manifest("pfp", spec, "      restartPolicy: Never\n", "").as_str(),
        RunOptions::default(),
    )
    .await;
    assert_eq!(run.outcome.kind, OutcomeKind::Failed);
    assert_eq!(run.outcome.reason, "PodFailurePolicy");
    assert_eq!(
        engine.created().len(),
        1,
        "FailJob ends the job without retries"
    );
}

#[tokio::test(start_paused = true)]
async fn oom_killed_pod_is_reported() {
    let engine = engine_with_image(Script::Exit {
        after: Duration::from_secs(1),
        code: 137,
        oom_killed: true,
        logs: vec![],
    });
    let yaml = manifest(
        "oom",
        "  backoffLimit: 0\n",
        "      restartPolicy: Never\n",
        "        resources: {limits: {memory: 8Mi}}\n",
    );
    let (run, out) = run(&engine, yaml.as_str(), RunOptions::default()).await;
    let pod = &run.pods[0].name;
    assert!(
        out.stderr
            .contains(&format!("pod/{pod} OOMKilled (exit code 137)")),
        "{:?}",
        out.stderr
    );
    assert_eq!(engine.created()[0].1.memory_bytes, Some(8 * 1024 * 1024));
    assert_eq!(
        run.pods[0].containers[0]
            .terminated
            .as_ref()
            .unwrap()
            .reason,
        "OOMKilled"
    );
    assert_eq!(run.outcome.reason, "BackoffLimitExceeded");
}

#[tokio::test(start_paused = true)]
async fn never_pull_policy_with_a_missing_image_waits_with_err_image_never_pull() {
    let engine = FakeEngine::with_script(Script::exit(0, 1));
    let yaml = manifest(
        "np",
        "  activeDeadlineSeconds: 30\n",
        "      restartPolicy: Never\n",
        "        imagePullPolicy: Never\n",
    );
    // A detached controller (`apply`) waits as the kubelet does; a foreground run gives up
    // (`a_foreground_run_gives_up_on_an_image_it_may_not_pull`).
    let (run, out) = run_detached(&engine, yaml.as_str(), RunOptions::default()).await;
    assert!(engine.created().is_empty());
    let pod = &run.pods[0].name;
    let line = format!("pod/{pod} ErrImageNeverPull: Container image \"busybox:1.36\" is not present with pull policy of Never");
    assert!(out.stderr.contains(&line), "{:?}", out.stderr);
    assert_eq!(
        run.pods[0].containers[0].waiting_reason.as_deref(),
        Some("ErrImageNeverPull")
    );
    assert_eq!(run.outcome.reason, "DeadlineExceeded");
}

#[tokio::test(start_paused = true)]
async fn always_pulls_and_if_not_present_uses_the_local_image() {
    let engine = FakeEngine::with_script(Script::exit(0, 1));
    engine.allow_pull("busybox");
    let yaml =
        manifest("pull", "", "      restartPolicy: Never\n", "").replace("busybox:1.36", "busybox");
    let (pulled, _) = run(&engine, yaml.as_str(), RunOptions::default()).await;
    assert_eq!(pulled.outcome.kind, OutcomeKind::Complete);
    assert!(engine
        .calls()
        .iter()
        .any(|(_, c)| *c == Call::Pull("busybox".into())));
    assert!(pulled
        .events
        .iter()
        .any(|e| e.reason == "Pulling" && e.message == "Pulling image \"busybox\""));

    let engine = engine_with_image(Script::exit(0, 1));
    let (local, _) = run(
        &engine,
        manifest("local", "", "      restartPolicy: Never\n", "").as_str(),
        RunOptions::default(),
    )
    .await;
    assert!(!engine
        .calls()
        .iter()
        .any(|(_, c)| matches!(c, Call::Pull(_))));
    assert!(local
        .events
        .iter()
        .any(|e| e.message == "Container image \"busybox:1.36\" already present on machine"));
}

#[tokio::test(start_paused = true)]
async fn start_error_is_a_failed_pod_with_exit_128() {
    let engine = engine_with_image(Script::StartFails(
        "exec: \"nope\": executable file not found in $PATH".into(),
    ));
    let yaml = manifest(
        "start",
        "  backoffLimit: 0\n",
        "      restartPolicy: Never\n",
        "",
    );
    let (run, out) = run(&engine, yaml.as_str(), RunOptions::default()).await;
    let pod = &run.pods[0].name;
    assert!(
        out.stderr
            .iter()
            .any(|l| l.starts_with(&format!("pod/{pod} StartError: exec"))),
        "{:?}",
        out.stderr
    );
    assert_eq!(
        run.pods[0].containers[0]
            .terminated
            .as_ref()
            .unwrap()
            .exit_code,
        128
    );
    assert_eq!(run.outcome.reason, "BackoffLimitExceeded");
    // It never ran, so it never had an address; it was scheduled, so it has its node (as
    // `spec.nodeName` of a pod that failed to start on a cluster).
    let network = run.containers[0].network.clone().expect("scheduled");
    assert_eq!(network.node_name, crate::engine::fake::FAKE_NODE);
    assert!(
        network.host_ip.is_empty() && network.pod_ips.is_empty(),
        "{network:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn each_started_container_records_where_it_ran() {
    let engine = engine_with_image(Script::exit(0, 1));
    let yaml = manifest(
        "net",
        "  completions: 2\n  parallelism: 2\n",
        "      restartPolicy: Never\n",
        "",
    );
    let (run, _) = run(&engine, yaml.as_str(), RunOptions::default()).await;
    let mut ips: Vec<String> = run
        .containers
        .iter()
        .map(|c| {
            let network = c.network.clone().expect("looked up while it ran");
            assert_eq!(network.node_name, crate::engine::fake::FAKE_NODE);
            assert_eq!(network.host_ip, "10.88.0.1");
            network.pod_ips.join(",")
        })
        .collect();
    ips.sort();
    assert_eq!(ips, vec!["10.88.0.2", "10.88.0.3"]);
}

/// The address lookup waits a little (`NETWORK_LOOKUP_DELAY`): a container that has ended
/// by then is not asked about, one still running is.
#[tokio::test(start_paused = true)]
async fn a_container_that_ends_at_once_is_not_asked_for_its_address() {
    let engine = engine_with_image(Script::exit(0, 0));
    let yaml = manifest(
        "quick",
        "  completions: 3\n  parallelism: 3\n",
        "      restartPolicy: Never\n",
        "",
    );
    let (quick, _) = run(&engine, yaml.as_str(), RunOptions::default()).await;
    assert_eq!(quick.outcome.reason, "CompletionsReached");
    assert_eq!(engine.network_lookups(), 0);
    // Still the node they ran on (`spec.nodeName`).
    for c in &quick.containers {
        let network = c.network.clone().expect("scheduled");
        assert_eq!(network.node_name, crate::engine::fake::FAKE_NODE);
        assert!(network.pod_ips.is_empty(), "{network:?}");
    }
    let slower = engine_with_image(Script::exit(0, 1));
    let yaml = manifest(
        "slower",
        "  completions: 3\n  parallelism: 3\n",
        "      restartPolicy: Never\n",
        "",
    );
    run(&slower, yaml.as_str(), RunOptions::default()).await;
    assert_eq!(slower.network_lookups(), 3);
}

#[tokio::test(start_paused = true)]
async fn ttl_zero_removes_the_containers_when_the_job_finishes() {
    let engine = engine_with_image(Script::exit(0, 1));
    let yaml = manifest(
        "ttl",
        "  ttlSecondsAfterFinished: 0\n",
        "      restartPolicy: Never\n",
        "",
    );
    let (_, out) = run(&engine, yaml.as_str(), RunOptions::default()).await;
    assert!(engine.remaining().is_empty());
    assert!(out
        .stderr
        .contains(&"removed 1 container(s) (ttlSecondsAfterFinished)".to_string()));
}

#[tokio::test(start_paused = true)]
async fn a_failed_pull_waits_in_image_pull_back_off() {
    let engine = FakeEngine::with_script(Script::exit(0, 1));
    let yaml = manifest(
        "nopull",
        "  activeDeadlineSeconds: 15\n",
        "      restartPolicy: Never\n",
        "",
    )
    .replace("busybox:1.36", "busybox:missing");
    // As the kubelet, in a detached controller (`apply`); a foreground run gives up
    // (`a_foreground_run_gives_up_on_an_image_no_registry_has`).
    let (run, out) = run_detached(&engine, yaml.as_str(), RunOptions::default()).await;
    let pod = &run.pods[0];
    assert_eq!(
        pod.containers[0].waiting_reason.as_deref(),
        Some("ImagePullBackOff")
    );
    let pulls = engine
        .calls()
        .iter()
        .filter(|(_, c)| matches!(c, Call::Pull(_)))
        .count();
    assert_eq!(
        pulls, 2,
        "pulled at 0s and retried after the kubelet's 10s backoff"
    );
    let reasons: Vec<&str> = run
        .events
        .iter()
        .filter(|e| e.object_kind == "Pod")
        .map(|e| e.reason.as_str())
        .collect();
    // The scheduler placed the pod before the kubelet tried its image.
    assert_eq!(&reasons[..4], ["Scheduled", "Pulling", "Failed", "BackOff"]);
    assert!(
        out.stderr.iter().any(|l| l.starts_with(&format!(
            "pod/{} ErrImagePull: Failed to pull image \"busybox:missing\"",
            pod.name
        ))),
        "{:?}",
        out.stderr
    );
}

/// Issue 15: `run` of an image that is neither local nor pullable never ended
/// (ImagePullBackOff for ever in the foreground).
#[tokio::test(start_paused = true)]
async fn a_foreground_run_gives_up_on_an_image_no_registry_has() {
    let engine = FakeEngine::with_script(Script::exit(0, 1));
    let yaml = manifest("nopull", "", "      restartPolicy: Never\n", "")
        .replace("busybox:1.36", "busybox:missing");
    let started = tokio::time::Instant::now();
    let (error, out) = run_failing(&engine, &yaml).await;
    assert!(started.elapsed() < Duration::from_secs(1), "no backoff");
    let DriverError::CannotStart {
        reason,
        message,
        hint,
        ..
    } = error
    else {
        panic!("{error:?}");
    };
    assert_eq!(reason, "ErrImagePull");
    assert!(message.contains("busybox:missing"), "{message}");
    let hint = hint.expect("advice");
    assert!(hint.contains("dockjob build -t busybox:missing"), "{hint}");
    let pulls = engine
        .calls()
        .iter()
        .filter(|(_, c)| matches!(c, Call::Pull(_)))
        .count();
    assert_eq!(pulls, 1, "not retried");
    // Issue 15: `ErrImagePull` printed before `pod/… created`.
    let created = out.stderr.iter().position(|l| l.ends_with(" created"));
    let pull = out.stderr.iter().position(|l| l.contains("ErrImagePull"));
    assert!(
        created.is_some() && created < pull,
        "the pod is announced before its pull fails: {:?}",
        out.stderr
    );
}

#[tokio::test(start_paused = true)]
async fn a_foreground_run_gives_up_on_an_image_it_may_not_pull() {
    let engine = FakeEngine::with_script(Script::exit(0, 1));
    let yaml = manifest(
        "np",
        "",
        "      restartPolicy: Never\n",
        "        imagePullPolicy: Never\n",
    );
    let (error, _) = run_failing(&engine, &yaml).await;
    let DriverError::CannotStart { reason, hint, .. } = error else {
        panic!("{error:?}");
    };
    assert_eq!(reason, "ErrImageNeverPull");
    assert!(hint.expect("advice").contains("imagePullPolicy: Never"));
}
