//! One controller sync: count finished pods, decide failure or success, apply terminal
//! conditions once pods are gone, and create or delete pods (`syncJob`/`manageJob` in
//! kubernetes `pkg/controller/job/job_controller.go`).

use k8s_openapi::jiff::Timestamp;

use super::types::{Action, DeleteCause, EventType, OutcomeKind, PodPhase, PodRecord};
use super::{time, Controller, Finish, JobOutcome};

/// Condition reason and message on success by completions (`JobReasonCompletionsReached`).
pub const COMPLETIONS_REACHED: (&str, &str) = (
    "CompletionsReached",
    "Reached expected number of succeeded pods",
);
/// Reason and message when backoffLimit is exceeded.
pub const BACKOFF_LIMIT_EXCEEDED: (&str, &str) = (
    "BackoffLimitExceeded",
    "Job has reached the specified backoff limit",
);
/// Reason and message when activeDeadlineSeconds passes.
pub const DEADLINE_EXCEEDED: (&str, &str) = (
    "DeadlineExceeded",
    "Job was active longer than specified deadline",
);
/// Reason and message when more indexes failed than maxFailedIndexes allows.
pub const MAX_FAILED_INDEXES_EXCEEDED: (&str, &str) = (
    "MaxFailedIndexesExceeded",
    "Job has exceeded the specified maximal number of failed indexes",
);
/// Reason of the `Failed` condition of a Job whose run was interrupted (Ctrl-C, SIGTERM, or
/// the Job deleted under its controller): dockjob's own.
pub const INTERRUPTED: &str = "Interrupted";
/// Reason and message when all indexes ended and some failed.
pub const FAILED_INDEXES: (&str, &str) = ("FailedIndexes", "Job has failed indexes");

impl Controller {
    pub(super) fn sync(&mut self, now: Timestamp) -> Vec<Action> {
        if self.outcome.is_some() {
            return Vec::new();
        }
        self.count_finished_pods();
        let mut actions = Vec::new();
        if self.interrupted && self.finishing.is_none() {
            actions.extend(self.delete_active_pods(DeleteCause::Interrupted, now));
            if self.all_pods_terminated() {
                let stopped = self
                    .pods
                    .iter()
                    .filter(|p| matches!(p.deleting, Some((_, DeleteCause::Interrupted))))
                    .count();
                let (reason, message) = self.given_up.clone().unwrap_or_else(|| {
                    let message = format!("{stopped} running pod(s) stopped");
                    (INTERRUPTED.to_string(), message)
                });
                // Not a Kubernetes reason: nothing will resume this Job, so it ends Failed
                // (kubectl's STATUS `Failed`) rather than staying `Running` with no
                // controller behind it.
                self.set_condition("Failed", "True", &reason, &message, now);
                self.record_job_event(EventType::Warning, &reason, message.clone(), now);
                let kind = match self.given_up {
                    Some(_) => OutcomeKind::Failed,
                    None => OutcomeKind::Interrupted,
                };
                self.outcome = Some(JobOutcome {
                    kind,
                    reason,
                    message,
                });
            }
            return actions;
        }
        if self.suspended {
            actions.extend(self.delete_active_pods(DeleteCause::Suspended, now));
            self.creation_due = None;
            self.update_suspended_condition(now);
            return actions;
        }
        if self.start_time.is_none() {
            self.start_time = Some(now);
        }
        if self.finishing.is_none() {
            self.finishing = self.failure_check(now).or_else(|| self.success_check());
            if let Some(finish) = self.finishing.clone() {
                let target = if finish.failed {
                    "FailureTarget"
                } else {
                    "SuccessCriteriaMet"
                };
                self.set_condition(target, "True", &finish.reason, &finish.message, now);
            }
        }
        if self.finishing.is_some() {
            self.creation_due = None;
            actions.extend(self.delete_active_pods(DeleteCause::JobFinished, now));
            if self.all_pods_terminated() {
                self.count_finished_pods();
                self.apply_terminal_condition(now);
            }
            return actions;
        }
        actions.extend(self.manage_pods(now));
        self.update_suspended_condition(now);
        actions
    }

    fn all_pods_terminated(&self) -> bool {
        self.pods.iter().all(|p| p.phase.is_terminal())
    }

    /// Adds finished pods to the counters once, evaluating podFailurePolicy and per-index limits.
    fn count_finished_pods(&mut self) {
        for i in 0..self.pods.len() {
            let pod = &self.pods[i];
            if pod.counted || !pod.phase.is_terminal() {
                continue;
            }
            let pod = pod.clone();
            self.pods[i].counted = true;
            if matches!(
                pod.deleting,
                Some((_, DeleteCause::Suspended | DeleteCause::Interrupted))
            ) {
                continue;
            }
            if pod.phase == PodPhase::Succeeded {
                self.count_success(&pod);
            } else {
                self.count_failure(&pod);
            }
        }
    }

    fn count_success(&mut self, pod: &PodRecord) {
        match pod.index {
            Some(index) => {
                self.completed_indexes.insert(index);
                self.succeeded = self.completed_indexes.len() as i32;
            }
            None => self.succeeded += 1,
        }
        // A success resets the pod-failure backoff (failures before it no longer count).
        self.failures_since_success.clear();
    }

    fn count_failure(&mut self, pod: &PodRecord) {
        let ended = pod.ended.unwrap_or(pod.created);
        if self.finishing.is_some() || pod.deleting.is_some() {
            self.failed += 1;
            return;
        }
        let action = self.match_pod_failure_policy(pod);
        let ignored = action.as_ref().is_some_and(|(a, _)| a == "Ignore");
        if !ignored {
            self.failed += 1;
        }
        if let Some(("FailJob", message)) = action.as_ref().map(|(a, m)| (a.as_str(), m)) {
            self.fail_job_message.get_or_insert_with(|| message.clone());
        }
        if let (Some(index), Some(limit)) = (pod.index, self.plan.backoff_limit_per_index) {
            let record = self.index_failures.entry(index).or_default();
            if ignored {
                record.ignored += 1;
            } else {
                record.failed += 1;
            }
            record.last_failure = Some(ended);
            let fail_index = action.as_ref().is_some_and(|(a, _)| a == "FailIndex");
            if fail_index || (!ignored && pod.index_failure_count >= limit) {
                self.failed_indexes.insert(index);
            }
        } else {
            self.failures_since_success.push(ended);
        }
    }

    /// The first failure that applies, in `syncJob`'s order.
    fn failure_check(&mut self, now: Timestamp) -> Option<Finish> {
        let fail = |(reason, message): (&str, &str)| Finish {
            failed: true,
            reason: reason.to_string(),
            message: message.to_string(),
        };
        if let Some(message) = self.fail_job_message.take() {
            return Some(Finish {
                failed: true,
                reason: "PodFailurePolicy".to_string(),
                message,
            });
        }
        if self.failed > self.plan.backoff_limit || self.past_backoff_limit_on_failure() {
            return Some(fail(BACKOFF_LIMIT_EXCEEDED));
        }
        if let (Some(deadline), Some(start)) = (self.plan.active_deadline, self.start_time) {
            if time::since(now, start) >= deadline {
                return Some(fail(DEADLINE_EXCEEDED));
            }
        }
        if let Some(max) = self.plan.max_failed_indexes {
            if self.failed_indexes.len() as i32 > max {
                return Some(fail(MAX_FAILED_INDEXES_EXCEEDED));
            }
        }
        None
    }

    /// `pastBackoffLimitOnFailure`: restarts of all containers of running/pending pods, summed,
    /// reach backoffLimit.
    fn past_backoff_limit_on_failure(&self) -> bool {
        if !self.plan.on_failure {
            return false;
        }
        let restarts: u64 = self
            .pods
            .iter()
            .filter(|p| matches!(p.phase, PodPhase::Running | PodPhase::Pending))
            .map(|p| u64::from(p.restart_count()))
            .sum();
        match self.plan.backoff_limit {
            0 => restarts > 0,
            limit => restarts >= limit.max(0) as u64,
        }
    }

    fn success_check(&mut self) -> Option<Finish> {
        if let Some(index) = self.match_success_policy() {
            return Some(Finish {
                failed: false,
                reason: "SuccessPolicy".to_string(),
                message: format!("Matched rules at index {index}"),
            });
        }
        let active = self.pods.iter().filter(|p| p.is_active()).count();
        if active > 0 {
            return None;
        }
        let done = match self.plan.completions {
            None => self.succeeded > 0,
            Some(c) if self.plan.indexed && self.plan.backoff_limit_per_index.is_some() => {
                (self.completed_indexes.len() + self.failed_indexes.len()) as i32 >= c
            }
            Some(c) => self.succeeded >= c,
        };
        if !done {
            return None;
        }
        let (failed, (reason, message)) = if self.failed_indexes.is_empty() {
            (false, COMPLETIONS_REACHED)
        } else {
            (true, FAILED_INDEXES)
        };
        Some(Finish {
            failed,
            reason: reason.to_string(),
            message: message.to_string(),
        })
    }

    /// `Complete` or `Failed` after all pods terminated (delayed terminal condition, ≥ 1.31).
    fn apply_terminal_condition(&mut self, now: Timestamp) {
        let Some(finish) = self.finishing.clone() else {
            return;
        };
        let (kind, condition) = if finish.failed {
            (OutcomeKind::Failed, "Failed")
        } else {
            (OutcomeKind::Complete, "Complete")
        };
        self.set_condition(condition, "True", &finish.reason, &finish.message, now);
        if finish.failed {
            self.record_job_event(
                EventType::Warning,
                &finish.reason,
                finish.message.clone(),
                now,
            );
        } else {
            self.completion_time = Some(now);
            self.record_job_event(
                EventType::Normal,
                "Completed",
                "Job completed".to_string(),
                now,
            );
        }
        self.outcome = Some(JobOutcome {
            kind,
            reason: finish.reason,
            message: finish.message,
        });
    }

    /// Deletes every active pod; each deletion is a `SuccessfulDelete` event.
    pub(super) fn delete_active_pods(&mut self, cause: DeleteCause, now: Timestamp) -> Vec<Action> {
        let names: Vec<String> = self
            .pods
            .iter()
            .filter(|p| p.is_active())
            .map(|p| p.name.clone())
            .collect();
        names
            .into_iter()
            .map(|name| self.delete_pod(&name, cause, now))
            .collect()
    }

    pub(super) fn delete_pod(&mut self, name: &str, cause: DeleteCause, now: Timestamp) -> Action {
        let grace = self.plan.grace;
        let mut running = Vec::new();
        if let Some(pod) = self.pods.iter_mut().find(|p| p.name == name) {
            pod.deleting = Some((now, cause));
            for c in &mut pod.containers {
                c.retry_due = None;
                if c.is_running() {
                    running.push(c.name.clone());
                }
            }
        }
        self.record_job_event(
            EventType::Normal,
            "SuccessfulDelete",
            format!("Deleted pod: {name}"),
            now,
        );
        // The kubelet kills every running container of the pod, each with the grace period.
        for container in running {
            let message = format!("Stopping container {container}");
            self.record_pod_event(name, EventType::Normal, "Killing", message, "kubelet", now);
        }
        Action::StopPod {
            pod: name.to_string(),
            grace,
        }
    }

    pub(super) fn record_job_event(
        &mut self,
        type_: EventType,
        reason: &str,
        message: String,
        now: Timestamp,
    ) {
        self.events.push(super::JobEvent {
            type_,
            reason: reason.to_string(),
            message,
            object_kind: "Job".to_string(),
            object_name: self.plan.name.clone(),
            namespace: self.plan.namespace.clone(),
            source: "job-controller".to_string(),
            time: now,
        });
    }
}
