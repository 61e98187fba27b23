//! podFailurePolicy and successPolicy matching (kubernetes
//! `pkg/controller/job/pod_failure_policy.go` `matchPodFailurePolicy` and
//! `pkg/controller/job/success_policy.go` `matchSuccessPolicy`).

use super::types::{PodPhase, PodRecord};
use super::Controller;
use crate::job::indexes::parse_indexes;

impl Controller {
    /// The action of the first matching rule and, for FailJob, the condition message.
    ///
    /// Only Failed pods are matched; onExitCodes looks at every container's non-zero exit code
    /// (exit 0 never matches); onPodConditions never matches here: dockjob pods get no
    /// DisruptionTarget. Source: `matchPodFailurePolicy`, `matchOnExitCodes`.
    pub(super) fn match_pod_failure_policy(&self, pod: &PodRecord) -> Option<(String, String)> {
        let policy = self.job.spec.as_ref()?.pod_failure_policy.as_ref()?;
        if pod.phase != PodPhase::Failed {
            return None;
        }
        for (i, rule) in policy.rules.iter().enumerate() {
            let Some(codes) = rule.on_exit_codes.as_ref() else {
                continue;
            };
            // `getMatchingContainerFromList`: the first container (template order) that
            // terminated with a non-zero code matching the operator, restricted to
            // `containerName` when set.
            let matching = pod.containers.iter().find_map(|c| {
                let exit = c.terminated.as_ref()?;
                if exit.exit_code == 0 {
                    return None;
                }
                if codes.container_name.as_deref().is_some_and(|n| n != c.name) {
                    return None;
                }
                let listed =
                    i32::try_from(exit.exit_code).is_ok_and(|code| codes.values.contains(&code));
                let matched = match codes.operator.as_str() {
                    "In" => listed,
                    "NotIn" => !listed,
                    _ => false,
                };
                matched.then_some((c.name.as_str(), exit.exit_code))
            });
            if let Some((container, code)) = matching {
                let message = format!(
                    "Container {container} for pod {}/{} failed with exit code {code} matching {} rule at index {i}",
                    self.plan.namespace, pod.name, rule.action
                );
                return Some((rule.action.clone(), message));
            }
        }
        None
    }

    /// The index of the first successPolicy rule the succeeded indexes satisfy.
    pub(super) fn match_success_policy(&self) -> Option<usize> {
        let policy = self.job.spec.as_ref()?.success_policy.as_ref()?;
        let completions = self.plan.completions.unwrap_or(0);
        for (i, rule) in policy.rules.iter().enumerate() {
            let listed = rule
                .succeeded_indexes
                .as_deref()
                .map(|text| parse_indexes(text, completions).unwrap_or_default());
            let matched = match (&listed, rule.succeeded_count) {
                (Some(set), None) => set.is_subset(&self.completed_indexes),
                (None, Some(count)) => self.completed_indexes.len() as i64 >= i64::from(count),
                (Some(set), Some(count)) => {
                    set.intersection(&self.completed_indexes).count() as i64 >= i64::from(count)
                }
                (None, None) => false,
            };
            if matched {
                return Some(i);
            }
        }
        None
    }
}
