//! Parallelism, work queues, suspend, successPolicy and per-index backoff through the driver.

use std::time::Duration;

use super::*;
use crate::engine::fake::Script;
use crate::job::controller::OutcomeKind;

#[tokio::test(start_paused = true)]
async fn completions_5_parallelism_2_never_runs_more_than_2() {
    let engine = engine_with_image(Script::exit(0, 3));
    let yaml = manifest(
        "par",
        "  completions: 5\n  parallelism: 2\n",
        "      restartPolicy: Never\n",
        "",
    );
    let (run, out) = run(&engine, yaml.as_str(), RunOptions::default()).await;
    assert_eq!(run.outcome.kind, OutcomeKind::Complete);
    assert_eq!(engine.created().len(), 5);
    assert_eq!(engine.max_running(), 2);
    let secs: Vec<u64> = creation_times(&engine)
        .iter()
        .map(Duration::as_secs)
        .collect();
    assert_eq!(secs, vec![0, 0, 3, 3, 6]);
    let status = run.job.status.unwrap();
    assert_eq!(status.succeeded, Some(5));
    assert!(!out.stderr.is_empty());
}

#[tokio::test(start_paused = true)]
async fn work_queue_stops_creating_after_the_first_success() {
    let engine = engine_with_image(Script::exit(0, 1));
    engine.queue([Script::exit(0, 2), Script::exit(0, 5), Script::exit(0, 9)]);
    let yaml = manifest(
        "queue",
        "  parallelism: 3\n",
        "      restartPolicy: Never\n",
        "",
    );
    let started = tokio::time::Instant::now();
    let (run, _) = run(&engine, yaml.as_str(), RunOptions::default()).await;
    assert_eq!(run.outcome.kind, OutcomeKind::Complete);
    assert_eq!(engine.created().len(), 3, "no pod after the first success");
    assert!(
        started.elapsed() >= Duration::from_secs(9),
        "waits for all pods to end"
    );
    assert_eq!(run.job.status.unwrap().succeeded, Some(3));
}

#[tokio::test(start_paused = true)]
async fn a_suspended_job_runs_nothing_and_says_so() {
    let engine = engine_with_image(Script::exit(0, 1));
    let yaml = manifest(
        "sleepy",
        "  suspend: true\n",
        "      restartPolicy: Never\n",
        "",
    );
    let (run, out) = run(&engine, yaml.as_str(), RunOptions::default()).await;
    assert_eq!(run.outcome.kind, OutcomeKind::Suspended);
    assert!(engine.created().is_empty());
    assert!(out
        .stderr
        .contains(&"job.batch/sleepy is suspended: no pods run until it is resumed".to_string()));
    assert_eq!(condition_summary(&run)[0].1, "JobSuspended");
}

#[tokio::test(start_paused = true)]
async fn success_policy_stops_lingering_pods_and_completes() {
    let engine = FakeEngine::new(|spec| match spec.hostname.as_deref() {
        Some("leader-0") => Script::exit(0, 2),
        _ => Script::hang(),
    });
    engine.add_image("busybox:1.36", None, None);
    let spec = "  completions: 3\n  parallelism: 3\n  completionMode: Indexed\n  successPolicy:\n    rules:\n    - succeededIndexes: \"0\"\n";
    let (run, _) = run(
        &engine,
        manifest("leader", spec, "      restartPolicy: Never\n", "").as_str(),
        RunOptions::default(),
    )
    .await;
    assert_eq!(run.outcome.kind, OutcomeKind::Complete);
    assert_eq!(run.outcome.reason, "SuccessPolicy");
    assert_eq!(run.outcome.message, "Matched rules at index 0");
    assert_eq!(stops(&engine), vec![Duration::from_secs(2); 2]);
}

#[tokio::test(start_paused = true)]
async fn per_index_backoff_retries_each_index_on_its_own_clock() {
    let engine = FakeEngine::new(|spec| match spec.hostname.as_deref() {
        Some("pi-1") => Script::exit(1, 1),
        _ => Script::exit(0, 1),
    });
    engine.add_image("busybox:1.36", None, None);
    let spec = "  completions: 2\n  parallelism: 2\n  completionMode: Indexed\n  backoffLimitPerIndex: 2\n";
    let (run, _) = run(
        &engine,
        manifest("pi", spec, "      restartPolicy: Never\n", "").as_str(),
        RunOptions::default(),
    )
    .await;
    assert_eq!(run.outcome.reason, "FailedIndexes");
    let index1: Vec<u64> = engine
        .created()
        .into_iter()
        .filter(|(_, s)| s.hostname.as_deref() == Some("pi-1"))
        .map(|(t, _)| t.as_secs())
        .collect();
    // Fails at 1s → retry 10s later (11s) → fails at 12s → retry 20s later (32s) → fails: 3 > 2.
    assert_eq!(index1, vec![0, 11, 32]);
    let status = run.job.status.unwrap();
    assert_eq!(
        (
            status.completed_indexes.as_deref(),
            status.failed_indexes.as_deref()
        ),
        (Some("0"), Some("1"))
    );
}

#[tokio::test(start_paused = true)]
async fn parallelism_zero_returns_instead_of_waiting_forever() {
    let engine = engine_with_image(Script::exit(0, 1));
    let yaml = manifest(
        "zero",
        "  completions: 2\n  parallelism: 0\n",
        "      restartPolicy: Never\n",
        "",
    );
    let (run, out) = run(&engine, yaml.as_str(), RunOptions::default()).await;
    assert_eq!(
        (run.outcome.kind, run.outcome.reason.as_str()),
        (OutcomeKind::Suspended, "ParallelismZero")
    );
    assert!(engine.created().is_empty());
    assert!(out
        .stderr
        .iter()
        .any(|l| l.ends_with("has parallelism 0: no pods run until it is raised")));
}

#[tokio::test(start_paused = true)]
async fn zero_completions_complete_at_once() {
    let engine = engine_with_image(Script::exit(0, 1));
    let yaml = manifest(
        "none",
        "  completions: 0\n",
        "      restartPolicy: Never\n",
        "",
    );
    let (run, _) = run(&engine, yaml.as_str(), RunOptions::default()).await;
    assert_eq!(run.outcome.kind, OutcomeKind::Complete);
    assert!(engine.created().is_empty());
}

/// Bench case b: one image inspection per pod cost the engine 50 requests in a 50-pod Job.
#[tokio::test(start_paused = true)]
async fn the_image_is_inspected_once_per_run() {
    let engine = engine_with_image(Script::exit(0, 1));
    let yaml = manifest(
        "once",
        "  completions: 6\n  parallelism: 3\n",
        "      restartPolicy: Never\n",
        "",
    );
    let (run, _) = run(&engine, yaml.as_str(), RunOptions::default()).await;
    assert_eq!(run.outcome.kind, OutcomeKind::Complete);
    assert_eq!(engine.image_inspections(), 1);
    let present = run
        .events
        .iter()
        .filter(|e| e.reason == "Pulled" && e.message.contains("already present"))
        .count();
    assert_eq!(present, 6, "the kubelet's event for every pod all the same");
}
