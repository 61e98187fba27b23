//! The Job controller (plus the kubelet's part of a pod's life) as a pure state machine:
//! [`Controller::step`] takes an [`Input`] and the current time and returns [`Action`]s.
//!
//! It mirrors kubernetes `pkg/controller/job/job_controller.go` (`syncJob`, `manageJob`,
//! `trackJobStatusAndRemoveFinalizers`) and, for restartPolicy OnFailure, the kubelet's
//! in-place restarts. Pure: no tokio, no engine, no clock (time is a parameter), no printing.

mod kubelet;
mod manage;
mod pod_object;
mod policy;
mod status;
mod sync;
pub mod time;
pub mod types;
mod update;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use k8s_openapi::api::batch::v1::{Job, JobCondition};
use k8s_openapi::jiff::Timestamp;
use rand::rngs::StdRng;
use rand::SeedableRng;

pub use types::{
    Action, ContainerRecord, DeleteCause, EventType, Input, JobEvent, JobOutcome, OutcomeKind,
    PodPhase, PodRecord, Termination,
};

/// Knobs that are not part of the Job.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ControllerConfig {
    /// Multiplies the pod-failure and container-restart backoff (1.0 = Kubernetes' timings).
    pub backoff_scale: f64,
    /// Seed for pod names and UIDs.
    pub seed: u64,
}

impl Default for ControllerConfig {
    fn default() -> Self {
        Self {
            backoff_scale: 1.0,
            seed: 0,
        }
    }
}

/// The spec fields the controller reads, extracted once from the defaulted Job.
#[derive(Debug, Clone)]
struct Plan {
    name: String,
    namespace: String,
    completions: Option<i32>,
    parallelism: i32,
    indexed: bool,
    on_failure: bool,
    backoff_limit: i32,
    backoff_limit_per_index: Option<i32>,
    max_failed_indexes: Option<i32>,
    active_deadline: Option<Duration>,
    grace: Duration,
    /// `(name, image)` of the template's containers, in order.
    containers: Vec<(String, String)>,
    ttl: Option<Duration>,
}

/// A terminal condition decided but not yet applied (`FailureTarget`/`SuccessCriteriaMet`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Finish {
    failed: bool,
    reason: String,
    message: String,
}

/// Per-index failure counters (`job-index-failure-count`, `job-index-ignored-failure-count`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct IndexFailures {
    failed: i32,
    ignored: i32,
    last_failure: Option<Timestamp>,
}

/// State of one Job: its pods, counters, conditions and events.
#[derive(Debug, Clone)]
pub struct Controller {
    job: Job,
    plan: Plan,
    scale: f64,
    rng: StdRng,
    pods: Vec<PodRecord>,
    succeeded: i32,
    failed: i32,
    completed_indexes: BTreeSet<i32>,
    failed_indexes: BTreeSet<i32>,
    index_failures: BTreeMap<i32, IndexFailures>,
    /// End times of failed pods since the last success (the pod-failure backoff record).
    failures_since_success: Vec<Timestamp>,
    start_time: Option<Timestamp>,
    completion_time: Option<Timestamp>,
    conditions: Vec<JobCondition>,
    events: Vec<JobEvent>,
    finishing: Option<Finish>,
    /// A FailJob rule matched while counting; applied at the next failure check.
    fail_job_message: Option<String>,
    outcome: Option<JobOutcome>,
    suspended: bool,
    interrupted: bool,
    /// Set with `interrupted` by [`Input::GiveUp`]: the Failed condition's reason and message.
    given_up: Option<(String, String)>,
    creation_due: Option<Timestamp>,
}

impl Controller {
    /// A controller for a loaded (defaulted, admitted, validated) Job, first synced at `now`.
    pub fn new(job: Job, config: ControllerConfig, now: Timestamp) -> (Self, Vec<Action>) {
        let plan = Plan::from_job(&job);
        let suspended = job.spec.as_ref().and_then(|s| s.suspend).unwrap_or(false);
        let mut controller = Self {
            job,
            plan,
            scale: config.backoff_scale,
            rng: StdRng::seed_from_u64(config.seed),
            pods: Vec::new(),
            succeeded: 0,
            failed: 0,
            completed_indexes: BTreeSet::new(),
            failed_indexes: BTreeSet::new(),
            index_failures: BTreeMap::new(),
            failures_since_success: Vec::new(),
            start_time: None,
            completion_time: None,
            conditions: Vec::new(),
            events: Vec::new(),
            finishing: None,
            fail_job_message: None,
            outcome: None,
            suspended,
            interrupted: false,
            given_up: None,
            creation_due: None,
        };
        let actions = controller.sync(now);
        (controller, actions)
    }

    /// Applies one input at time `now` and returns what the driver must do next.
    pub fn step(&mut self, input: Input, now: Timestamp) -> Vec<Action> {
        let mut actions = self.apply_input(input, now);
        actions.extend(self.sync(now));
        actions
    }

    /// The earliest time at which [`Input::Tick`] must be sent (backoff, restart, deadline).
    pub fn next_wakeup(&self) -> Option<Timestamp> {
        if self.outcome.is_some() {
            return None;
        }
        let restarts = self
            .pods
            .iter()
            .filter(|p| p.deleting.is_none())
            .filter_map(PodRecord::retry_due);
        let deadline = match (self.plan.active_deadline, self.start_time) {
            (Some(d), Some(start))
                if !self.suspended && !self.interrupted && self.finishing.is_none() =>
            {
                Some(time::add(start, d))
            }
            _ => None,
        };
        restarts.chain(self.creation_due).chain(deadline).min()
    }

    /// When the next pod may be created, while the pod-failure backoff holds creation back.
    pub fn creation_due(&self) -> Option<Timestamp> {
        self.creation_due
    }

    /// The Job as loaded (spec and metadata).
    pub fn job(&self) -> &Job {
        &self.job
    }

    /// All pods created so far, oldest first.
    pub fn pods(&self) -> &[PodRecord] {
        &self.pods
    }

    /// One pod by name.
    pub fn pod(&self, name: &str) -> Option<&PodRecord> {
        self.pods.iter().find(|p| p.name == name)
    }

    /// Every event recorded so far, oldest first.
    pub fn events(&self) -> &[JobEvent] {
        &self.events
    }

    /// The outcome, once the Job has a terminal condition (or the run was interrupted) and
    /// all its pods have terminated.
    pub fn outcome(&self) -> Option<&JobOutcome> {
        self.outcome.as_ref()
    }

    /// When `ttlSecondsAfterFinished` lets the Job and its pods be deleted.
    pub fn ttl_expiry(&self) -> Option<Timestamp> {
        let ttl = self.plan.ttl?;
        let finished = self
            .conditions
            .iter()
            .find(|c| (c.type_ == "Complete" || c.type_ == "Failed") && c.status == "True")?;
        let at = finished.last_transition_time.as_ref()?.0;
        Some(time::add(at, ttl))
    }

    /// `terminationGracePeriodSeconds` of the pods.
    pub fn grace_period(&self) -> Duration {
        self.plan.grace
    }
}

impl Plan {
    /// The image of the template's container `name`.
    fn image_of(&self, name: &str) -> &str {
        self.containers
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, image)| image.as_str())
    }

    fn from_job(job: &Job) -> Self {
        let spec = job.spec.clone().unwrap_or_default();
        let pod = spec.template.spec.clone().unwrap_or_default();
        let secs = |s: i64| Duration::from_secs(s.max(0) as u64);
        Self {
            name: job.metadata.name.clone().unwrap_or_default(),
            namespace: job
                .metadata
                .namespace
                .clone()
                .unwrap_or_else(|| "default".into()),
            completions: spec.completions,
            parallelism: spec.parallelism.unwrap_or(1).max(0),
            indexed: spec.completion_mode.as_deref() == Some("Indexed"),
            on_failure: pod.restart_policy.as_deref() == Some("OnFailure"),
            backoff_limit: spec.backoff_limit.unwrap_or(6),
            backoff_limit_per_index: spec.backoff_limit_per_index,
            max_failed_indexes: spec.max_failed_indexes,
            active_deadline: spec.active_deadline_seconds.map(secs),
            grace: secs(pod.termination_grace_period_seconds.unwrap_or(30)),
            containers: pod
                .containers
                .iter()
                .map(|c| (c.name.clone(), c.image.clone().unwrap_or_default()))
                .collect(),
            ttl: spec.ttl_seconds_after_finished.map(|s| secs(s.into())),
        }
    }
}

#[cfg(test)]
mod tests;
