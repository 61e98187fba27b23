//! The driver's public types: run options, the result of a run, its error, and a Ctrl-C
//! counter for [`RunOptions::interrupts`].

use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::jiff::Timestamp;
use tokio::sync::watch;

use crate::engine::{EngineError, PodNetwork};
use crate::job::controller::{JobEvent, JobOutcome, PodRecord};

/// Options of a foreground run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Prefix each log line with `[pod/NAME] ` (`[pod/NAME/CONTAINER] ` in pods with several
    /// containers; `--prefix`).
    pub prefix: bool,
    /// Remove the Job's containers when the run ends (`--rm`).
    pub rm: bool,
    /// Multiplies the pod-failure and container-restart backoff (`--backoff-scale`, 1.0 = Kubernetes).
    pub backoff_scale: f64,
    /// Number of Ctrl-C presses so far (create it with `watch::channel(0)` and send 1, 2, …):
    /// the first stops pods gracefully (terminationGracePeriodSeconds), the second kills them.
    pub interrupts: Option<watch::Receiver<u32>>,
    /// Seed for pod names and UIDs; `None` picks a random one.
    pub seed: Option<u64>,
    /// Where pods find the ConfigMaps and Secrets they reference; `None`: nowhere (every
    /// required reference is missing). A foreground run with a source waits a while for a
    /// missing one ([`OBJECT_RETRIES`]).
    pub objects: Option<ObjectSource>,
}

/// How many times a foreground run retries a container whose ConfigMap or Secret is missing
/// (every 10 s × `backoff_scale`, the kubelet's pod-worker period) before it gives up:
/// about a minute for an `apply -f` of the object from another terminal.
pub const OBJECT_RETRIES: u32 = 6;

/// The ConfigMaps and Secrets a run reads (the store, or a manifest's own objects).
#[derive(Clone)]
pub struct ObjectSource(
    pub std::sync::Arc<dyn crate::job::objects::resolve::ObjectLookup + Send + Sync>,
);

impl std::fmt::Debug for ObjectSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ObjectSource")
    }
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            prefix: false,
            rm: false,
            backoff_scale: 1.0,
            interrupts: None,
            seed: None,
            objects: None,
        }
    }
}

/// A container created for a pod during the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunContainer {
    /// Pod name.
    pub pod: String,
    /// The template container's name.
    pub container: String,
    /// Restart number of that container inside the pod.
    pub restart: u32,
    /// Engine container ID.
    pub id: String,
    /// Whether `--rm` or the TTL removed it.
    pub removed: bool,
    /// Its addresses while it ran, when the engine told them.
    pub network: Option<PodNetwork>,
    /// Its image's `imageID` as the kubelet reports it, when the engine told it.
    pub image_id: Option<String>,
}

/// Everything a finished run knows, for the caller and a later store.
#[derive(Debug, Clone)]
pub struct JobRun {
    /// How it ended.
    pub outcome: JobOutcome,
    /// The Job with its final `status`.
    pub job: Job,
    /// Events, oldest first.
    pub events: Vec<JobEvent>,
    /// Pods, oldest first.
    pub pods: Vec<PodRecord>,
    /// Containers created, in order.
    pub containers: Vec<RunContainer>,
    /// When `ttlSecondsAfterFinished` allows deleting the Job and its containers; a run
    /// removes them itself only when that time has already come (TTL 0).
    pub ttl_expires_at: Option<Timestamp>,
}

/// A run that could not continue.
#[derive(Debug, thiserror::Error)]
pub enum DriverError {
    /// The engine failed in a way the Job cannot absorb (unreachable, …).
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// A foreground run gave up on a pod that cannot start until its spec changes, or
    /// until dockjob can supply what it references (the kubelet would retry it for ever);
    /// the Job's pods were stopped and the Job ended `Failed` with this reason.
    #[error("pod/{pod} cannot start: {reason}: {message}")]
    CannotStart {
        /// The pod.
        pod: String,
        /// Its waiting reason (`InvalidImageName`, `CreateContainerConfigError`,
        /// `ContainerCreating` for a volume that cannot be mounted, `ErrImagePull` for an
        /// image that cannot be pulled by retrying).
        reason: String,
        /// The kubelet's message.
        message: String,
        /// What the user can do, when dockjob knows better than the reason's general hint
        /// (an image no registry will give: build it, check the name, log in).
        hint: Option<String>,
    },
}
