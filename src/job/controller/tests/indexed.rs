//! Indexed Jobs: completedIndexes, per-index backoff limits, FailIndex, successPolicy.

use super::*;

#[test]
fn indexed_job_reports_completed_indexes_in_interval_format() {
    let (mut c, actions) = controller(&job(
        "  completions: 3\n  parallelism: 2\n  completionMode: Indexed\n",
        "Never",
    ));
    let pods = created(&actions);
    let index_of = |c: &Controller, p: &str| c.pod(p).unwrap().index;
    assert_eq!(
        (index_of(&c, &pods[0]), index_of(&c, &pods[1])),
        (Some(0), Some(1))
    );
    assert!(pods[0].starts_with("j-0-") && pods[1].starts_with("j-1-"));
    let last = created(&exit(&mut c, &pods[1], 0, 1));
    assert_eq!(
        c.pod(&last[0]).unwrap().index,
        Some(2),
        "a free slot takes the lowest pending index"
    );
    assert!(last[0].starts_with("j-2-"));
    assert_eq!(c.status().completed_indexes.as_deref(), Some("1"));
    exit(&mut c, &pods[0], 0, 2);
    assert_eq!(c.status().completed_indexes.as_deref(), Some("0,1"));
    exit(&mut c, &last[0], 0, 3);
    assert_eq!(c.status().completed_indexes.as_deref(), Some("0-2"));
    assert_eq!(c.outcome().unwrap().kind, OutcomeKind::Complete);
}

#[test]
fn backoff_limit_per_index_fails_indexes_and_max_failed_indexes_fails_the_job() {
    let spec = "  completions: 4\n  parallelism: 4\n  completionMode: Indexed\n  backoffLimitPerIndex: 1\n  maxFailedIndexes: 1\n";
    let (mut c, actions) = controller(&job(spec, "Never"));
    let pods = created(&actions);
    assert_eq!(pods.len(), 4);
    exit(&mut c, &pods[2], 0, 1);
    exit(&mut c, &pods[3], 0, 1);
    // Index 0 fails twice (the retry is allowed once) → failed index; index 1 too → 2 > 1.
    exit(&mut c, &pods[0], 1, 2);
    assert_eq!(c.next_wakeup(), Some(t(12)), "per-index backoff 10s");
    let retry0 = created(&c.step(Input::Tick, t(12))).remove(0);
    assert_eq!(c.pod(&retry0).unwrap().index_failure_count, 1);
    exit(&mut c, &retry0, 1, 13);
    assert_eq!(c.status().failed_indexes.as_deref(), Some("0"));
    assert!(c.outcome().is_none());
    exit(&mut c, &pods[1], 1, 14);
    let due = c.next_wakeup().unwrap();
    let retry1 = created(&c.step(Input::Tick, due)).remove(0);
    let actions = exit(&mut c, &retry1, 1, 40);
    assert!(actions.is_empty());
    assert_eq!(c.outcome().unwrap().reason, "MaxFailedIndexesExceeded");
    assert_eq!(c.status().failed_indexes.as_deref(), Some("0,1"));
}

#[test]
fn all_indexes_done_with_a_failed_one_gives_failed_indexes() {
    let spec = "  completions: 2\n  parallelism: 2\n  completionMode: Indexed\n  backoffLimitPerIndex: 0\n";
    let (mut c, actions) = controller(&job(spec, "Never"));
    let pods = created(&actions);
    exit(&mut c, &pods[0], 1, 1);
    exit(&mut c, &pods[1], 0, 2);
    let outcome = c.outcome().unwrap();
    assert_eq!(
        (outcome.reason.as_str(), outcome.message.as_str()),
        ("FailedIndexes", "Job has failed indexes")
    );
}

#[test]
fn success_policy_ends_the_job_and_deletes_lingering_pods() {
    let spec = "  completions: 3\n  parallelism: 3\n  completionMode: Indexed\n  successPolicy:\n    rules:\n    - succeededIndexes: \"0\"\n";
    let (mut c, actions) = controller(&job(spec, "Never"));
    let pods = created(&actions);
    let actions = exit(&mut c, &pods[0], 0, 1);
    assert_eq!(
        actions
            .iter()
            .filter(|a| matches!(a, Action::StopPod { .. }))
            .count(),
        2
    );
    assert_eq!(
        reasons(&c)[0],
        (
            "SuccessCriteriaMet".into(),
            "True".into(),
            "SuccessPolicy".into()
        )
    );
    c.step(
        Input::ContainerExited {
            pod: pods[1].clone(),
            container: String::new(),
            exit: ContainerExit {
                code: 143,
                ..Default::default()
            },
        },
        t(2),
    );
    c.step(
        Input::PodRemoved {
            pod: pods[2].clone(),
        },
        t(2),
    );
    let outcome = c.outcome().unwrap();
    assert_eq!(
        (outcome.kind.clone(), outcome.message.as_str()),
        (OutcomeKind::Complete, "Matched rules at index 0")
    );
}

#[test]
fn fail_index_marks_the_index_failed_without_retry() {
    let spec = "  completions: 2\n  parallelism: 2\n  completionMode: Indexed\n  backoffLimitPerIndex: 3\n  podFailurePolicy:\n    rules:\n    - action: FailIndex\n      onExitCodes: {operator: In, values: [7]}\n";
    let (mut c, actions) = controller(&job(spec, "Never"));
    let pods = created(&actions);
    let actions = exit(&mut c, &pods[0], 7, 1);
    assert!(
        created(&actions).is_empty(),
        "a FailIndex'd index is not retried"
    );
    assert_eq!(c.next_wakeup(), None);
    assert_eq!(c.status().failed_indexes.as_deref(), Some("0"));
    exit(&mut c, &pods[1], 0, 2);
    assert_eq!(c.outcome().unwrap().reason, "FailedIndexes");
    assert_eq!(c.status().completed_indexes.as_deref(), Some("1"));
}

#[test]
fn indexed_without_per_index_limit_uses_the_job_wide_backoff() {
    let (mut c, actions) = controller(&job(
        "  completions: 2\n  parallelism: 1\n  completionMode: Indexed\n",
        "Never",
    ));
    let first = created(&actions).remove(0);
    assert!(created(&exit(&mut c, &first, 1, 5)).is_empty());
    assert_eq!(c.next_wakeup(), Some(t(15)));
    let retry = created(&c.step(Input::Tick, t(15))).remove(0);
    assert_eq!(
        c.pod(&retry).unwrap().index,
        Some(0),
        "the lowest pending index again"
    );
    assert_eq!(c.status().failed, Some(1));
    assert_eq!(
        c.status().failed_indexes,
        None,
        "failedIndexes exists only with backoffLimitPerIndex"
    );
}
