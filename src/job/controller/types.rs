//! Data the controller exposes: pods, events, inputs, actions and the outcome.
//! Shaped like Kubernetes objects so a store can persist them and a renderer print them.

use std::time::Duration;

use k8s_openapi::jiff::Timestamp;

use crate::engine::ContainerExit;

/// Pod phase (`PodPhase` in `k8s.io/api/core/v1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PodPhase {
    /// Created, container not running yet (or waiting on an image).
    Pending,
    /// The container runs, or waits to be restarted in place (CrashLoopBackOff).
    Running,
    /// The container exited 0.
    Succeeded,
    /// The container failed and will not be restarted, or the pod was deleted.
    Failed,
}

impl PodPhase {
    /// The phase name as Kubernetes spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            PodPhase::Pending => "Pending",
            PodPhase::Running => "Running",
            PodPhase::Succeeded => "Succeeded",
            PodPhase::Failed => "Failed",
        }
    }

    /// Succeeded or Failed.
    pub fn is_terminal(self) -> bool {
        matches!(self, PodPhase::Succeeded | PodPhase::Failed)
    }
}

/// A container termination, as in `ContainerStateTerminated`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Termination {
    /// Exit code.
    pub exit_code: i64,
    /// `Completed`, `Error`, `OOMKilled`, `StartError`.
    pub reason: String,
    /// Engine error text, if any.
    pub message: Option<String>,
    /// When the container started, if it did.
    pub started_at: Option<Timestamp>,
    /// When it ended.
    pub finished_at: Timestamp,
}

/// Why a pod is being deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeleteCause {
    /// The Job reached a terminal condition (failure or success policy).
    JobFinished,
    /// More pods are active than wanted.
    Surplus,
    /// The Job was suspended (the pod is not counted).
    Suspended,
    /// The user interrupted the run (the pod is not counted).
    Interrupted,
}

/// One pod of the Job and its (single) container, as the kubelet would report it.
#[derive(Debug, Clone, PartialEq)]
pub struct PodRecord {
    /// Pod name.
    pub name: String,
    /// Pod UID.
    pub uid: String,
    /// Completion index (Indexed Jobs).
    pub index: Option<i32>,
    /// Current phase.
    pub phase: PodPhase,
    /// Creation time.
    pub created: Timestamp,
    /// When the current container run started.
    pub running_since: Option<Timestamp>,
    /// Why the container is waiting (`ContainerCreating`, `CrashLoopBackOff`, `ErrImageNeverPull`, …).
    pub waiting_reason: Option<String>,
    /// Message that goes with `waiting_reason`.
    pub waiting_message: Option<String>,
    /// The current (terminal) state of the container, once it ended.
    pub terminated: Option<Termination>,
    /// The previous run's termination (OnFailure restarts), for `logs --previous`.
    pub last_termination: Option<Termination>,
    /// In-place restarts of the container.
    pub restart_count: u32,
    /// When the next kubelet retry (restart or image check) is due.
    pub retry_due: Option<Timestamp>,
    /// Consecutive exits/start failures the kubelet backoff counts.
    pub backoff_steps: u32,
    /// When the pod reached Succeeded or Failed.
    pub ended: Option<Timestamp>,
    /// Deletion time and cause (`metadata.deletionTimestamp`).
    pub deleting: Option<(Timestamp, DeleteCause)>,
    /// Failures of this pod's index before it (`batch.kubernetes.io/job-index-failure-count`).
    pub index_failure_count: i32,
    /// Ignored failures of this index before it (`…/job-index-ignored-failure-count`).
    pub index_ignored_failure_count: i32,
    /// Already added to `succeeded`/`failed` (or deliberately skipped).
    pub counted: bool,
}

impl PodRecord {
    /// Active in Kubernetes' sense: not terminal and not being deleted.
    pub fn is_active(&self) -> bool {
        !self.phase.is_terminal() && self.deleting.is_none()
    }
}

/// Event severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    /// `Normal`.
    Normal,
    /// `Warning`.
    Warning,
}

impl EventType {
    /// `Normal` or `Warning`.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Normal => "Normal",
            EventType::Warning => "Warning",
        }
    }
}

/// An event in the shape of `core/v1` Event: type, reason, message, involved object, source, time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobEvent {
    /// Normal or Warning.
    pub type_: EventType,
    /// CamelCase reason (`SuccessfulCreate`, `BackoffLimitExceeded`, …).
    pub reason: String,
    /// Human message.
    pub message: String,
    /// Kind of the involved object: `Job` or `Pod`.
    pub object_kind: String,
    /// Name of the involved object.
    pub object_name: String,
    /// Namespace of the involved object.
    pub namespace: String,
    /// Reporting component (`job-controller`, `kubelet`, `dockjob`).
    pub source: String,
    /// When it happened.
    pub time: Timestamp,
}

/// What happened, as reported by the driver.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// The pod's container was created and started.
    ContainerStarted {
        /// Pod name.
        pod: String,
    },
    /// The container could not be created: the kubelet will retry (`ErrImageNeverPull`, …).
    ContainerWaiting {
        /// Pod name.
        pod: String,
        /// Waiting reason (`ErrImageNeverPull`, `ErrImagePull`, `CreateContainerError`).
        reason: String,
        /// Detail for the event.
        message: String,
    },
    /// The pod's container ended.
    ContainerExited {
        /// Pod name.
        pod: String,
        /// How it ended.
        exit: ContainerExit,
    },
    /// A pod being deleted had no running container; it is gone.
    PodRemoved {
        /// Pod name.
        pod: String,
    },
    /// A kubelet event about a pod (`Pulling`, `Pulled`, …) to record as is.
    PodEvent {
        /// Pod name.
        pod: String,
        /// Normal or Warning.
        type_: EventType,
        /// Event reason.
        reason: String,
        /// Event message.
        message: String,
    },
    /// Only time passed (a timer the controller asked for fired).
    Tick,
    /// `spec.suspend` changed.
    SetSuspend(bool),
    /// The user asked the run to stop (first Ctrl-C).
    Interrupt,
}

/// What the driver must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Create and start the first container of a new pod (see [`super::Controller::pod`]).
    CreatePod {
        /// Pod name.
        pod: String,
    },
    /// Create and start a new container for an existing pod (in-place restart or retry);
    /// the old container stays so its logs remain readable.
    StartContainer {
        /// Pod name.
        pod: String,
        /// Restart number (names the container, see [`crate::job::pod::container_name`]).
        restart: u32,
    },
    /// Stop the pod's container: SIGTERM, then SIGKILL after `grace`.
    StopPod {
        /// Pod name.
        pod: String,
        /// terminationGracePeriodSeconds.
        grace: Duration,
    },
}

/// How a Job run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutcomeKind {
    /// Condition `Complete`.
    Complete,
    /// Condition `Failed`.
    Failed,
    /// The user interrupted the run before the Job finished.
    Interrupted,
    /// The Job cannot progress without an edit: suspended (`spec.suspend: true`) or
    /// `spec.parallelism: 0`. Kubernetes would wait; a foreground run returns.
    Suspended,
}

impl OutcomeKind {
    /// The process exit code `dockjob run` uses: 0 Complete, 1 Failed, 130 interrupted
    /// (128 + SIGINT), 0 for a suspended Job (nothing failed; nothing ran).
    pub fn exit_code(&self) -> u8 {
        match self {
            OutcomeKind::Complete | OutcomeKind::Suspended => 0,
            OutcomeKind::Failed => 1,
            OutcomeKind::Interrupted => 130,
        }
    }
}

/// The final condition with its reason and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobOutcome {
    /// Complete, Failed or Interrupted.
    pub kind: OutcomeKind,
    /// Condition reason (`CompletionsReached`, `BackoffLimitExceeded`, …).
    pub reason: String,
    /// Condition message.
    pub message: String,
}
