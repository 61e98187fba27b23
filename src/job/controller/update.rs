//! Updates of a running Job's mutable spec fields, as `kubectl apply` sends them and the API
//! server lets them through (`ValidateJobSpecUpdate`): `parallelism`, `activeDeadlineSeconds`,
//! `backoffLimit`, `suspend`, `ttlSecondsAfterFinished`. Everything else keeps its value.

use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::jiff::Timestamp;

use super::{Action, Controller, Plan};

impl Controller {
    /// Takes the mutable spec fields of `job` and syncs at `now` (more or fewer pods, a new
    /// deadline or backoff limit, suspend or resume).
    pub fn update_spec(&mut self, job: &Job, now: Timestamp) -> Vec<Action> {
        let new = Plan::from_job(job);
        self.plan.parallelism = new.parallelism;
        self.plan.active_deadline = new.active_deadline;
        self.plan.backoff_limit = new.backoff_limit;
        self.plan.ttl = new.ttl;
        let (Some(spec), Some(update)) = (self.job.spec.as_mut(), job.spec.as_ref()) else {
            return self.sync(now);
        };
        spec.parallelism = update.parallelism;
        spec.active_deadline_seconds = update.active_deadline_seconds;
        spec.backoff_limit = update.backoff_limit;
        spec.ttl_seconds_after_finished = update.ttl_seconds_after_finished;
        spec.suspend = update.suspend;
        let suspend = update.suspend.unwrap_or(false);
        if suspend != self.suspended {
            self.set_suspend(suspend);
        }
        self.sync(now)
    }
}
