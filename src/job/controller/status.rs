//! The Job's status, conditions and suspend transitions, as k8s-openapi types
//! (`JobStatus`, `JobCondition`) that a store can persist and a renderer print.

use k8s_openapi::api::batch::v1::{JobCondition, JobStatus, UncountedTerminatedPods};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;

use super::types::{EventType, PodPhase};
use super::Controller;
use crate::job::indexes::format_indexes;

impl Controller {
    /// `status` as the API server would show it (zero counters omitted, `ready` always set).
    pub fn status(&self) -> JobStatus {
        let active = self.pods.iter().filter(|p| p.is_active()).count() as i32;
        let ready = self
            .pods
            .iter()
            .filter(|p| p.is_active() && p.phase == PodPhase::Running && p.all_running())
            .count() as i32;
        let terminating = self
            .pods
            .iter()
            .filter(|p| p.deleting.is_some() && !p.phase.is_terminal())
            .count() as i32;
        let non_zero = |n: i32| (n > 0).then_some(n);
        JobStatus {
            active: non_zero(active),
            ready: Some(ready),
            terminating: Some(terminating),
            succeeded: non_zero(self.succeeded),
            failed: non_zero(self.failed),
            start_time: self.start_time.map(Time),
            completion_time: self.completion_time.map(Time),
            completed_indexes: (self.plan.indexed && !self.completed_indexes.is_empty())
                .then(|| format_indexes(&self.completed_indexes)),
            failed_indexes: self
                .plan
                .backoff_limit_per_index
                .map(|_| format_indexes(&self.failed_indexes)),
            conditions: (!self.conditions.is_empty()).then(|| self.conditions.clone()),
            uncounted_terminated_pods: Some(UncountedTerminatedPods::default()),
        }
    }

    /// Conditions so far, in order of appearance.
    pub fn conditions(&self) -> &[JobCondition] {
        &self.conditions
    }

    /// Sets a condition; lastTransitionTime changes only when the status changes.
    pub(super) fn set_condition(
        &mut self,
        type_: &str,
        status: &str,
        reason: &str,
        message: &str,
        now: Timestamp,
    ) {
        let condition = JobCondition {
            type_: type_.to_string(),
            status: status.to_string(),
            reason: Some(reason.to_string()),
            message: Some(message.to_string()),
            last_probe_time: Some(Time(now)),
            last_transition_time: Some(Time(now)),
        };
        match self.conditions.iter_mut().find(|c| c.type_ == type_) {
            Some(existing) if existing.status == status => {
                existing.reason = condition.reason;
                existing.message = condition.message;
                existing.last_probe_time = condition.last_probe_time;
            }
            Some(existing) => *existing = condition,
            None => self.conditions.push(condition),
        }
    }

    /// Records a change of `spec.suspend`; the condition follows in the next sync.
    pub(super) fn set_suspend(&mut self, suspend: bool) {
        self.suspended = suspend;
    }

    /// After `manageJob`, as in `syncJob`: `Suspended=True` (event `Suspended`) while
    /// suspended; on resume an existing condition turns `False` (event `Resumed`) and
    /// startTime restarts, so activeDeadlineSeconds counts from the resume.
    pub(super) fn update_suspended_condition(&mut self, now: Timestamp) {
        let current = self
            .conditions
            .iter()
            .find(|c| c.type_ == "Suspended")
            .map(|c| c.status.clone());
        if self.suspended && current.as_deref() != Some("True") {
            self.set_condition("Suspended", "True", "JobSuspended", "Job suspended", now);
            self.record_job_event(
                EventType::Normal,
                "Suspended",
                "Job suspended".to_string(),
                now,
            );
        } else if !self.suspended && current.as_deref() == Some("True") {
            self.set_condition("Suspended", "False", "JobResumed", "Job resumed", now);
            self.record_job_event(EventType::Normal, "Resumed", "Job resumed".to_string(), now);
            self.start_time = Some(now);
        }
    }

    /// Whether the Job is suspended.
    pub fn is_suspended(&self) -> bool {
        self.suspended
    }
}
