//! Property tests of the controller.

use super::*;
use proptest::prelude::*;

proptest! {
    /// restartPolicy Never, parallelism 1: whatever the exit codes and timings, no more
    /// than backoffLimit + 1 pods fail, the controller never panics, and a job whose
    /// pods all fail ends Failed with BackoffLimitExceeded.
    #[test]
    fn never_policy_respects_the_backoff_limit(
        limit in 0i32..5,
        codes in proptest::collection::vec(0i64..3, 1..20),
        gaps in proptest::collection::vec(0u64..700, 20),
    ) {
        let (mut c, actions) = controller(&job(&format!("  backoffLimit: {limit}\n  completions: 3\n"), "Never"));
        let mut pending = created(&actions);
        let mut now = 0;
        for (i, code) in codes.iter().enumerate() {
            now += gaps[i];
            if let Some(pod) = pending.pop() {
                pending.extend(created(&exit(&mut c, &pod, *code, now)));
            } else if let Some(due) = c.next_wakeup() {
                now = now.max(time::since(due, t(0)).as_secs());
                pending.extend(created(&c.step(Input::Tick, t(now))));
            }
            if c.outcome().is_some() {
                break;
            }
        }
        let failed = c.status().failed.unwrap_or(0);
        prop_assert!(failed <= limit + 1, "failed {failed} > limit {limit} + 1");
        if let Some(outcome) = c.outcome() {
            if outcome.kind == OutcomeKind::Failed {
                prop_assert_eq!(outcome.reason.as_str(), "BackoffLimitExceeded");
                prop_assert_eq!(failed, limit + 1);
            }
        }
    }
}
