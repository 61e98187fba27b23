//! Success, the backoffLimit with restartPolicy Never, and the pod-failure backoff ladder.

use std::time::Duration;

use super::*;
use crate::engine::fake::Script;
use crate::job::controller::{EventType, OutcomeKind};

#[tokio::test(start_paused = true)]
async fn sample_job_completes_with_kubernetes_events() {
    let engine = FakeEngine::with_script(Script::print("777", 1));
    engine.add_image(
        "uzimihsr/uzimihsr-sample-image:0.1",
        Some(&["/bin/sh"]),
        None,
    );
    let yaml = "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: uzimihsr-echo-number\nspec:\n  backoffLimit: 1\n  template:\n    spec:\n      containers:\n      - name: echo-number\n        image: uzimihsr/uzimihsr-sample-image:0.1\n        args: [\"-c\", \"echo ${NUMBER}\"]\n      restartPolicy: Never\n";
    let (run, out) = run(&engine, yaml, RunOptions::default()).await;
    assert_eq!(run.outcome.kind, OutcomeKind::Complete);
    assert_eq!(run.outcome.reason, "CompletionsReached");
    let created = engine.created();
    assert_eq!(created.len(), 1);
    let spec = &created[0].1;
    // command unset → null Entrypoint (the image's /bin/sh stays); args → Cmd, unexpanded ${}.
    assert_eq!(spec.entrypoint, None);
    assert_eq!(
        spec.cmd,
        Some(vec!["-c".to_string(), "echo ${NUMBER}".to_string()])
    );
    let pod = &run.pods[0].name;
    assert!(
        regex::Regex::new("^uzimihsr-echo-number-[bcdfghjklmnpqrstvwxz2456789]{5}$")
            .unwrap()
            .is_match(pod)
    );
    assert_eq!(out.stdout, vec!["777".to_string()]);
    assert!(
        out.stderr.contains(&format!("pod/{pod} Completed")),
        "{:?}",
        out.stderr
    );
    assert!(out
        .stderr
        .last()
        .unwrap()
        .starts_with("job.batch/uzimihsr-echo-number Complete: CompletionsReached"));
    assert_eq!(
        condition_summary(&run),
        vec![
            (
                "SuccessCriteriaMet".into(),
                "CompletionsReached".into(),
                "Reached expected number of succeeded pods".into()
            ),
            (
                "Complete".into(),
                "CompletionsReached".into(),
                "Reached expected number of succeeded pods".into()
            ),
        ]
    );
    let job_events: Vec<(EventType, String, String)> = run
        .events
        .iter()
        .filter(|e| e.object_kind == "Job")
        .map(|e| (e.type_, e.reason.clone(), e.message.clone()))
        .collect();
    assert_eq!(
        job_events,
        vec![
            (
                EventType::Normal,
                "SuccessfulCreate".into(),
                format!("Created pod: {pod}")
            ),
            (
                EventType::Normal,
                "Completed".into(),
                "Job completed".into()
            ),
        ]
    );
    let status = run.job.status.unwrap();
    assert_eq!(
        (status.succeeded, status.failed, status.active),
        (Some(1), None, None)
    );
    assert!(status.completion_time.is_some() && status.start_time.is_some());
    // Pods (containers) stay after the run unless --rm.
    assert_eq!(engine.remaining().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn never_with_backoff_limit_2_runs_exactly_three_pods_with_10s_20s_gaps() {
    let engine = engine_with_image(Script::exit(1, 0));
    let yaml = manifest(
        "fail",
        "  backoffLimit: 2\n",
        "      restartPolicy: Never\n",
        "",
    );
    let (run, out) = run(&engine, yaml.as_str(), RunOptions::default()).await;
    assert_eq!(run.outcome.kind, OutcomeKind::Failed);
    assert_eq!(run.outcome.reason, "BackoffLimitExceeded");
    assert_eq!(
        run.outcome.message,
        "Job has reached the specified backoff limit"
    );
    assert_eq!(gaps_secs(&creation_times(&engine)), vec![10, 20]);
    assert_eq!(run.pods.len(), 3);
    assert_eq!(
        condition_summary(&run)
            .iter()
            .map(|c| c.0.as_str())
            .collect::<Vec<_>>(),
        vec!["FailureTarget", "Failed"]
    );
    let status = run.job.status.unwrap();
    assert_eq!(status.failed, Some(3));
    assert_eq!(
        status.completion_time, None,
        "Failed jobs have no completionTime"
    );
    assert!(run
        .events
        .iter()
        .any(|e| e.type_ == EventType::Warning && e.reason == "BackoffLimitExceeded"));
    assert!(
        out.stderr
            .iter()
            .any(|l| l.ends_with("Error (exit code 1); next pod in 10s (backoff)")),
        "{:?}",
        out.stderr
    );
}

#[tokio::test(start_paused = true)]
async fn pod_failure_backoff_ladder_reaches_the_ten_minute_cap() {
    let engine = engine_with_image(Script::exit(1, 0));
    let yaml = manifest(
        "ladder",
        "  backoffLimit: 8\n",
        "      restartPolicy: Never\n",
        "",
    );
    let (run, _) = run(&engine, yaml.as_str(), RunOptions::default()).await;
    assert_eq!(run.pods.len(), 9);
    assert_eq!(
        gaps_secs(&creation_times(&engine)),
        vec![10, 20, 40, 80, 160, 320, 600, 600]
    );
}

#[tokio::test(start_paused = true)]
async fn backoff_scale_shortens_the_ladder() {
    let engine = engine_with_image(Script::exit(1, 0));
    let yaml = manifest(
        "fast",
        "  backoffLimit: 2\n",
        "      restartPolicy: Never\n",
        "",
    );
    let opts = RunOptions {
        backoff_scale: 0.01,
        ..RunOptions::default()
    };
    let _ = run(&engine, yaml.as_str(), opts).await;
    let gaps: Vec<u128> = creation_times(&engine)
        .windows(2)
        .map(|w| (w[1] - w[0]).as_millis())
        .collect();
    assert_eq!(gaps, vec![100, 200]);
}

#[tokio::test(start_paused = true)]
async fn a_success_resets_the_failure_backoff() {
    // fail, fail, succeed, fail, succeed with completions 2: the delay after the success
    // starts again at 10s instead of 40s.
    let engine = engine_with_image(Script::exit(1, 0));
    engine.queue([
        Script::exit(1, 0),
        Script::exit(1, 0),
        Script::exit(0, 0),
        Script::exit(1, 0),
        Script::exit(0, 0),
    ]);
    let yaml = manifest(
        "reset",
        "  completions: 2\n  backoffLimit: 6\n",
        "      restartPolicy: Never\n",
        "",
    );
    let (run, _) = run(&engine, yaml.as_str(), RunOptions::default()).await;
    assert_eq!(run.outcome.kind, OutcomeKind::Complete);
    assert_eq!(gaps_secs(&creation_times(&engine)), vec![10, 20, 0, 10]);
}

#[tokio::test(start_paused = true)]
async fn rm_removes_every_container() {
    let engine = engine_with_image(Script::exit(1, 0));
    let yaml = manifest(
        "rm",
        "  backoffLimit: 1\n",
        "      restartPolicy: Never\n",
        "",
    );
    let opts = RunOptions {
        rm: true,
        ..RunOptions::default()
    };
    let (run, out) = run(&engine, yaml.as_str(), opts).await;
    assert_eq!(run.containers.len(), 2);
    assert!(engine.remaining().is_empty());
    assert!(out
        .stderr
        .contains(&"removed 2 container(s) (--rm)".to_string()));
}

#[tokio::test(start_paused = true)]
async fn active_deadline_stops_running_pods_and_fails_the_job() {
    let engine = engine_with_image(Script::hang());
    let yaml = manifest(
        "deadline",
        "  activeDeadlineSeconds: 5\n",
        "      restartPolicy: Never\n      terminationGracePeriodSeconds: 3\n",
        "",
    );
    let (run, out) = run(&engine, yaml.as_str(), RunOptions::default()).await;
    assert_eq!(run.outcome.kind, OutcomeKind::Failed);
    assert_eq!(run.outcome.reason, "DeadlineExceeded");
    assert_eq!(
        run.outcome.message,
        "Job was active longer than specified deadline"
    );
    assert_eq!(stops(&engine), vec![Duration::from_secs(5)]);
    assert!(engine
        .calls()
        .iter()
        .any(|(_, c)| matches!(c, Call::Stop(_, g) if *g == Duration::from_secs(3))));
    let pod = &run.pods[0].name;
    assert!(
        out.stderr
            .contains(&format!("pod/{pod} Error (exit code 143)")),
        "{:?}",
        out.stderr
    );
    assert!(run
        .events
        .iter()
        .any(|e| e.reason == "SuccessfulDelete" && e.message == format!("Deleted pod: {pod}")));
    assert_eq!(run.job.status.unwrap().failed, Some(1));
}

#[tokio::test(start_paused = true)]
async fn prefix_marks_every_log_line_with_its_pod() {
    let engine = engine_with_image(Script::Exit {
        after: Duration::from_secs(1),
        code: 0,
        oom_killed: false,
        logs: vec!["one".into(), "two".into()],
    });
    let yaml = manifest("pfx", "", "      restartPolicy: Never\n", "");
    let opts = RunOptions {
        prefix: true,
        ..RunOptions::default()
    };
    let (run, out) = run(&engine, yaml.as_str(), opts).await;
    let pod = &run.pods[0].name;
    assert_eq!(
        out.stdout,
        vec![format!("[pod/{pod}] one"), format!("[pod/{pod}] two")]
    );
}
