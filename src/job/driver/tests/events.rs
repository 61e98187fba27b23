//! The events the scheduler and the kubelet record about a pod, in the order they happened,
//! with Kubernetes' texts (issue 15: Scheduled and Created were missing, Scheduled came after
//! Started, `Image ID:` was blank).

use std::time::Duration;

use super::*;
use crate::engine::fake::{Script, FAKE_NODE};

/// (reason, message) of the pod's events, oldest first.
fn pod_events(run: &JobRun) -> Vec<(String, String)> {
    run.events
        .iter()
        .filter(|e| e.object_kind == "Pod")
        .map(|e| (e.reason.clone(), e.message.clone()))
        .collect()
}

#[tokio::test(start_paused = true)]
async fn a_local_image_pod_is_scheduled_pulled_created_started_and_dies() {
    let engine = engine_with_image(Script::exit(0, 1));
    let yaml = manifest("ev", "", "      restartPolicy: Never\n", "");
    let (run, _) = run(&engine, yaml.as_str(), RunOptions::default()).await;
    let pod = &run.pods[0].name;
    let events = pod_events(&run);
    let want = [
        (
            "Scheduled",
            format!("Successfully assigned default/{pod} to {FAKE_NODE}"),
        ),
        (
            "Pulled",
            "Container image \"busybox:1.36\" already present on machine".to_string(),
        ),
        ("Created", "Created container main".to_string()),
        ("Started", "Started container main".to_string()),
        (
            "ContainerDied",
            "Container main exited with code 0 (Completed)".to_string(),
        ),
    ];
    let got: Vec<(&str, &str)> = events
        .iter()
        .map(|(r, m)| (r.as_str(), m.as_str()))
        .collect();
    let want: Vec<(&str, &str)> = want.iter().map(|(r, m)| (*r, m.as_str())).collect();
    assert_eq!(got, want);
    let sources: Vec<&str> = run
        .events
        .iter()
        .filter(|e| e.object_kind == "Pod")
        .map(|e| e.source.as_str())
        .collect();
    assert_eq!(
        sources,
        [
            "default-scheduler",
            "kubelet",
            "kubelet",
            "kubelet",
            "dockjob"
        ]
    );
    // A local-only image has no repo digest: the kubelet (cri-dockerd) shows its ID.
    assert_eq!(
        run.containers[0].image_id.as_deref(),
        Some(format!("docker://sha256:{:064x}", "busybox:1.36".len()).as_str())
    );
}

#[tokio::test(start_paused = true)]
async fn a_pulled_image_says_how_long_and_how_big_and_its_digest() {
    let engine = FakeEngine::with_script(Script::exit(0, 1));
    engine.allow_pull("busybox");
    engine.pull_takes(Duration::from_millis(1234));
    let yaml =
        manifest("pl", "", "      restartPolicy: Never\n", "").replace("busybox:1.36", "busybox");
    let (run, _) = run(&engine, yaml.as_str(), RunOptions::default()).await;
    let reasons: Vec<String> = pod_events(&run).into_iter().map(|(r, _)| r).collect();
    assert_eq!(
        reasons,
        [
            "Scheduled",
            "Pulling",
            "Pulled",
            "Created",
            "Started",
            "ContainerDied"
        ]
    );
    let pulled = &pod_events(&run)[2].1;
    assert_eq!(
        pulled,
        "Successfully pulled image \"busybox\" in 1.234s (1.234s including waiting). \
         Image size: 2000 bytes."
    );
    assert_eq!(
        run.containers[0].image_id.as_deref(),
        Some(format!("docker-pullable://busybox@sha256:{:064x}", "busybox".len()).as_str())
    );
}

#[tokio::test(start_paused = true)]
async fn each_pod_is_scheduled_once_however_often_it_restarts() {
    let engine = engine_with_image(Script::Exit {
        after: Duration::ZERO,
        code: 1,
        oom_killed: false,
        logs: vec![],
    });
    let yaml = manifest(
        "rs",
        "  backoffLimit: 2\n",
        "      restartPolicy: OnFailure\n",
        "",
    );
    let (run, _) = run(&engine, yaml.as_str(), RunOptions::default()).await;
    let pod = &run.pods[0].name;
    let events = pod_events(&run);
    let count = |reason: &str| events.iter().filter(|(r, _)| r == reason).count();
    assert_eq!(count("Scheduled"), 1);
    assert_eq!(count("Created"), 3, "{events:?}");
    assert_eq!(count("Started"), 3);
    assert!(events.iter().any(|(r, m)| r == "BackOff"
        && m.starts_with(&format!(
            "Back-off restarting failed container main in pod {pod}_default("
        ))));
    // The scheduler's event comes before anything the kubelet did.
    assert_eq!(events[0].0, "Scheduled");
}

/// The kubelet's `startContainer` records `Started` only once the runtime started the
/// container; a start that fails gives a `Failed` warning instead (issue 15: dockjob said
/// `Started` when it issued the start, then `ContainerDied … (StartError)`).
#[tokio::test(start_paused = true)]
async fn a_start_that_fails_is_a_failed_warning_and_never_started() {
    let engine = engine_with_image(Script::StartFails(
        "failed to create task for container: exec: \"nope\": executable file not found in $PATH: unknown".into(),
    ));
    let yaml = manifest(
        "sf",
        "  backoffLimit: 0\n",
        "      restartPolicy: Never\n",
        "",
    );
    let (run, _) = run(&engine, yaml.as_str(), RunOptions::default()).await;
    let id = &run.containers[0].id;
    let pod_events: Vec<&JobEvent> = run
        .events
        .iter()
        .filter(|e| e.object_kind == "Pod")
        .collect();
    let reasons: Vec<&str> = pod_events.iter().map(|e| e.reason.as_str()).collect();
    assert_eq!(reasons, ["Scheduled", "Pulled", "Created", "Failed"]);
    let failed = pod_events[3];
    assert_eq!(failed.type_, crate::job::controller::EventType::Warning);
    assert_eq!(failed.source, "kubelet");
    // kuberuntime_container.go `startContainer`: "Error: %v" of cri-dockerd's
    // `failed to start container %q: %v` (core/container_start.go) of the container ID and
    // the Docker client's error.
    assert_eq!(
        failed.message,
        format!(
            "Error: failed to start container \"{id}\": Error response from daemon: \
             failed to create task for container: exec: \"nope\": executable file not found \
             in $PATH: unknown"
        )
    );
    // The container is terminated all the same, as the runtime reports it.
    let terminated = run.pods[0].containers[0].terminated.clone().unwrap();
    assert_eq!(
        (terminated.exit_code, terminated.reason.as_str()),
        (128, "StartError")
    );
    assert!(
        terminated.started_at.is_none(),
        "it never ran: {terminated:?}"
    );
    // The pod object says so as the kubelet does: started at the runtime's time 0.
    let pod = run.pods[0].to_pod(&run.job);
    let state = pod.status.unwrap().container_statuses.unwrap()[0]
        .state
        .clone()
        .unwrap();
    let started = state.terminated.unwrap().started_at.unwrap().0;
    assert_eq!(started, k8s_openapi::jiff::Timestamp::UNIX_EPOCH);
}

/// `Started` is recorded when the engine's start returns, while parallel pods still start
/// together (the starts run in the background, bench case b).
#[tokio::test(start_paused = true)]
async fn started_is_recorded_when_the_start_is_done_and_pods_start_together() {
    let engine = engine_with_image(Script::exit(0, 2));
    engine.start_takes(Duration::from_millis(500));
    let yaml = manifest(
        "st",
        "  completions: 3\n  parallelism: 3\n",
        "      restartPolicy: Never\n",
        "",
    );
    let (run, _) = run(&engine, yaml.as_str(), RunOptions::default()).await;
    assert_eq!(
        run.outcome.kind,
        crate::job::controller::OutcomeKind::Complete
    );
    let starts: Vec<Duration> = engine
        .calls()
        .into_iter()
        .filter(|(_, c)| matches!(c, Call::Start(_)))
        .map(|(t, _)| t)
        .collect();
    assert_eq!(starts.len(), 3);
    assert!(
        starts.iter().all(|t| *t == starts[0]),
        "the three starts were issued together: {starts:?}"
    );
    for pod in &run.pods {
        let at = |reason: &str| {
            run.events
                .iter()
                .find(|e| e.object_name == pod.name && e.reason == reason)
                .unwrap_or_else(|| panic!("{reason} of {}", pod.name))
                .time
        };
        let waited = crate::job::controller::time::since(at("Started"), at("Created"));
        assert_eq!(waited, Duration::from_millis(500), "pod {}", pod.name);
        // The container ran from its start: 2 s, not 2.5 s.
        let c = &pod.containers[0];
        let t = c.terminated.as_ref().unwrap();
        let ran = crate::job::controller::time::since(t.finished_at, t.started_at.unwrap());
        assert_eq!(ran, Duration::from_secs(2), "pod {}", pod.name);
    }
}
