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

/// One container of a pod, as the kubelet reports it in `status.containerStatuses[]`.
#[derive(Debug, Clone, PartialEq)]
pub struct ContainerRecord {
    /// Container name from the pod template.
    pub name: String,
    /// When the current run started.
    pub running_since: Option<Timestamp>,
    /// Why the container is waiting (`ContainerCreating`, `CrashLoopBackOff`, `ErrImageNeverPull`, …).
    pub waiting_reason: Option<String>,
    /// Message that goes with `waiting_reason`.
    pub waiting_message: Option<String>,
    /// The current (terminal) state of the container, once it ended.
    pub terminated: Option<Termination>,
    /// The previous run's termination (OnFailure restarts), for `logs --previous`.
    pub last_termination: Option<Termination>,
    /// In-place restarts of this container.
    pub restart_count: u32,
    /// When the next kubelet retry (restart or image check) is due.
    pub retry_due: Option<Timestamp>,
    /// Consecutive exits/start failures the kubelet backoff counts (per container, as the
    /// kubelet keys its backoff by pod UID and container name).
    pub backoff_steps: u32,
}

impl ContainerRecord {
    /// A container not created yet (`ContainerCreating`).
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_string(),
            running_since: None,
            waiting_reason: Some("ContainerCreating".to_string()),
            waiting_message: None,
            terminated: None,
            last_termination: None,
            restart_count: 0,
            retry_due: None,
            backoff_steps: 0,
        }
    }

    /// The container's process runs.
    pub fn is_running(&self) -> bool {
        self.running_since.is_some()
    }
}

/// One pod of the Job and its containers, as the kubelet would report it.
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
    /// The pod's containers, in template order.
    pub containers: Vec<ContainerRecord>,
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

    /// The container named `name`; `""` (inputs recorded before pods had several
    /// containers) is the first one.
    pub fn container(&self, name: &str) -> Option<&ContainerRecord> {
        match name {
            "" => self.containers.first(),
            _ => self.containers.iter().find(|c| c.name == name),
        }
    }

    /// Mutable [`Self::container`].
    pub fn container_mut(&mut self, name: &str) -> Option<&mut ContainerRecord> {
        match name {
            "" => self.containers.first_mut(),
            _ => self.containers.iter_mut().find(|c| c.name == name),
        }
    }

    /// Restarts of all its containers (what `kubectl get pods` shows as RESTARTS and the Job
    /// controller's `pastBackoffLimitOnFailure` adds up).
    pub fn restart_count(&self) -> u32 {
        self.containers.iter().map(|c| c.restart_count).sum()
    }

    /// Some container of the pod runs.
    pub fn any_running(&self) -> bool {
        self.containers.iter().any(ContainerRecord::is_running)
    }

    /// Every container runs (the pod is Ready: dockjob runs no probes).
    pub fn all_running(&self) -> bool {
        !self.containers.is_empty() && self.containers.iter().all(ContainerRecord::is_running)
    }

    /// The earliest kubelet retry due among its containers.
    pub fn retry_due(&self) -> Option<Timestamp> {
        self.containers.iter().filter_map(|c| c.retry_due).min()
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
    /// One of the pod's containers was created and started.
    ContainerStarted {
        /// Pod name.
        pod: String,
        /// Container name (`""`: the first container).
        container: String,
    },
    /// The container could not be created: the kubelet will retry (`ErrImageNeverPull`, …).
    ContainerWaiting {
        /// Pod name.
        pod: String,
        /// Container name (`""`: the first container).
        container: String,
        /// Waiting reason (`ErrImageNeverPull`, `ErrImagePull`, `CreateContainerError`).
        reason: String,
        /// Detail for the event.
        message: String,
    },
    /// One of the pod's containers ended.
    ContainerExited {
        /// Pod name.
        pod: String,
        /// Container name (`""`: the first container).
        container: String,
        /// How it ended.
        exit: ContainerExit,
    },
    /// A pod being deleted has no running container left; it is gone.
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
    /// A foreground run gives up on a pod that cannot start until its spec (or something
    /// dockjob cannot supply) changes, where the kubelet would retry for ever
    /// (`InvalidImageName`, `CreateContainerConfigError`): the Job's pods are stopped as for
    /// [`Input::Interrupt`], and it ends `Failed` with this reason and message.
    GiveUp {
        /// The pod's waiting reason.
        reason: String,
        /// `pod/NAME: ` and the kubelet's message.
        message: String,
    },
}

/// What the driver must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Create a new pod: its sandbox when it has several containers, then every container,
    /// started together (see [`super::Controller::pod`]).
    CreatePod {
        /// Pod name.
        pod: String,
    },
    /// Create and start a new container for an existing pod (in-place restart or retry);
    /// the old container stays so its logs remain readable.
    StartContainer {
        /// Pod name.
        pod: String,
        /// Container name.
        container: String,
        /// Restart number (names the container, see [`crate::job::pod::container_name`]).
        restart: u32,
    },
    /// Stop the pod's running containers: SIGTERM, then SIGKILL after `grace` (each).
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
