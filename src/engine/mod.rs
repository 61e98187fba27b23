//! The engine seam: the one narrow trait between dockjob's logic and a container engine.
//!
//! Owns the domain types that cross the seam ([`ContainerSpec`], [`ContainerExit`],
//! [`EngineError`], …). It does not import bollard: only [`docker`] does, so a future
//! Swarm adapter is a new implementation of [`PodRuntime`], not a rewrite of the controller.

pub mod docker;
#[cfg(test)]
pub mod fake;
mod transfer;

pub use transfer::{LayerPhase, PushEvent};

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

use futures_util::stream::BoxStream;

/// Label that marks every object dockjob creates.
pub const LABEL_MANAGED: &str = "io.dockjob.managed";

/// Everything needed to create one container for one pod attempt.
///
/// `entrypoint: None` keeps the image's ENTRYPOINT (the engine receives `null`, not `[]`,
/// which would drop it); `cmd: None` keeps the image's CMD, as Kubernetes' command/args table says.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContainerSpec {
    /// Container name (the pod name, made unique per attempt by the caller).
    pub name: String,
    /// Image reference as written in the pod template.
    pub image: String,
    /// Overrides the image ENTRYPOINT when set (`command`).
    pub entrypoint: Option<Vec<String>>,
    /// Overrides the image CMD when set (`args`).
    pub cmd: Option<Vec<String>>,
    /// `KEY=value` pairs, added to the image's environment.
    pub env: Vec<String>,
    /// Working directory; `None` keeps the image's.
    pub working_dir: Option<String>,
    /// Container hostname (Kubernetes: the pod name, or `<job>-<index>` for Indexed Jobs).
    pub hostname: Option<String>,
    /// Labels on the container: Kubernetes' own and dockjob's.
    pub labels: BTreeMap<String, String>,
    /// Memory limit in bytes (`resources.limits.memory`).
    pub memory_bytes: Option<i64>,
    /// CFS quota in microseconds (`resources.limits.cpu`).
    pub cpu_quota: Option<i64>,
    /// CFS period in microseconds.
    pub cpu_period: Option<i64>,
    /// Relative CPU weight (`resources.requests.cpu`).
    pub cpu_shares: Option<i64>,
    /// Container paths that get an `emptyDir`: empty when the pod starts, kept across the
    /// pod's container restarts, shared by the pod's containers, removed with the pod's last
    /// container.
    pub empty_dirs: Vec<String>,
    /// The pod's sandbox container (see [`PodRuntime::create_sandbox`]) whose network
    /// namespace, hostname and IPC namespace this container joins; `None`: its own, with
    /// [`Self::hostname`].
    pub sandbox: Option<String>,
    /// `nodeSelector`: labels the node must carry (a Swarm placement constraint; one engine
    /// is the only node there is).
    pub node_selector: BTreeMap<String, String>,
    /// `nodeName`: the node to run on (Swarm: its hostname).
    pub node_name: Option<String>,
    /// The pod's secret, configMap, downwardAPI and projected volumes this container mounts
    /// (read-only, as the kubelet mounts them). Their files are written into the pod's
    /// sandbox first ([`PodRuntime::write_files`]).
    pub data_mounts: Vec<DataMount>,
}

/// Registry credentials for one pull (from a pod's `imagePullSecrets`).
#[derive(Clone, PartialEq, Eq)]
pub struct PullAuth {
    /// The registry host the credentials are for.
    pub server: String,
    /// User name.
    pub username: String,
    /// Password or token.
    pub password: String,
}

impl std::fmt::Debug for PullAuth {
    // Never the password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PullAuth({}@{})", self.username, self.server)
    }
}

/// A mount of one of a pod's data volumes (see [`ContainerSpec::data_mounts`]): an engine
/// volume on tmpfs, alive while the pod's sandbox holds it, so its files are never on disk.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DataMount {
    /// The engine volume (one per pod and volume: [`SandboxSpec::data_volumes`]).
    pub volume: String,
    /// Where the container sees it.
    pub mount_path: String,
    /// `subPath`: only this path of the volume, at `mount_path`.
    pub sub_path: Option<String>,
}

/// Where a container mounts a data volume it reads through a `subPath` link.
pub fn sub_path_mount_point(volume: &str) -> String {
    format!("/.dockjob-volumes/{volume}")
}

/// Where a pod's sandbox mounts its data volume `volume` (and where its files are written).
pub fn sandbox_volume_path(volume: &str) -> String {
    format!("/dockjob-volumes/{volume}")
}

/// The sandbox of a pod with several containers: one container that only holds the pod's
/// network namespace (so `localhost` reaches the other containers), hostname and IPC
/// namespace for as long as the pod lives, whichever of its containers stop or restart
/// (Kubernetes' pause container).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SandboxSpec {
    /// Container name (`<pod>_POD`).
    pub name: String,
    /// The pod's hostname.
    pub hostname: String,
    /// Labels: the pod's, plus `io.dockjob.sandbox=true`.
    pub labels: BTreeMap<String, String>,
    /// Engine volumes (tmpfs) for the pod's data volumes, mounted at
    /// [`sandbox_volume_path`]: the sandbox keeps them mounted, and so their files alive,
    /// while the pod lives; they vanish with it.
    pub data_volumes: Vec<String>,
}

/// How a container ended. A non-zero exit is data, never an [`EngineError`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContainerExit {
    /// Process exit code (137 after SIGKILL, …).
    pub code: i64,
    /// The kernel's OOM killer ended the container.
    pub oom_killed: bool,
    /// An error the engine reported for the container, if any.
    pub error: Option<String>,
}

/// What an image provides that the pod mapping needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageInfo {
    /// Image ID (`sha256:…`).
    pub id: String,
    /// The image's ENTRYPOINT.
    pub entrypoint: Option<Vec<String>>,
    /// The image's CMD.
    pub cmd: Option<Vec<String>>,
    /// Digests under which the image was pushed or pulled (`name@sha256:…`).
    pub repo_digests: Vec<String>,
    /// Its size in bytes (`docker image inspect`'s `Size`); 0 when unknown.
    pub size: i64,
}

impl ImageInfo {
    /// The container status's `imageID` as the kubelet reports it on a Docker engine
    /// (cri-dockerd `core/helpers.go` `toPullableImageID`, dockershim before it):
    /// `docker-pullable://` and the first repo digest for an image that came from (or went
    /// to) a registry, else `docker://` and the image ID.
    pub fn kubelet_image_id(&self) -> Option<String> {
        match self.repo_digests.first() {
            Some(digest) => Some(format!("docker-pullable://{digest}")),
            None if !self.id.is_empty() => Some(format!("docker://{}", self.id)),
            None => None,
        }
    }
}

/// One thing an image removal did (the engine's `ImageDeleteResponseItem`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageRemoval {
    /// A reference that no longer names the image (`busybox:1`, `busybox@sha256:…`).
    Untagged(String),
    /// An image that is gone (`sha256:…`).
    Deleted(String),
}

/// A container found by label.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContainerSummary {
    /// Container ID.
    pub id: String,
    /// Container name, without the leading `/`.
    pub name: String,
    /// All labels on the container.
    pub labels: BTreeMap<String, String>,
    /// Engine state: `created`, `running`, `exited`, …
    pub state: String,
    /// The image it runs: its ID (`sha256:…`) when the engine tells it, else the reference
    /// it was made from; empty when unknown.
    pub image: String,
}

/// Where a running container sits on the network, as a Pod's status and `describe pod`
/// show it (`spec.nodeName`, `status.hostIP`, `status.podIPs`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PodNetwork {
    /// The node: the engine host's name.
    pub node_name: String,
    /// The node's address as the pod sees it (its network's gateway); empty when unknown.
    pub host_ip: String,
    /// The container's addresses, IPv4 first.
    pub pod_ips: Vec<String>,
}

/// Which stream a log chunk came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogStream {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

/// A piece of a container's output. Chunks are not line-aligned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogChunk {
    /// Where it was written.
    pub stream: LogStream,
    /// The raw bytes.
    pub bytes: bytes::Bytes,
}

/// Engine failures, sorted by what the user can do about them.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// No engine answered. Not retryable without the user's help.
    #[error("cannot reach the Docker engine at {endpoint}: {detail}")]
    Unreachable {
        /// The socket path or host that was tried.
        endpoint: String,
        /// What went wrong while connecting.
        detail: String,
    },
    /// An image that was asked for does not exist locally.
    #[error("image {0} not found")]
    ImageNotFound(String),
    /// A container that was asked for does not exist.
    #[error("container {0} not found")]
    ContainerNotFound(String),
    /// The registry refused the credentials (or needs some).
    #[error("{registry}: unauthorized: {detail}")]
    Unauthorized {
        /// The registry host.
        registry: String,
        /// The engine's message.
        detail: String,
    },
    /// A build step failed (a RUN exited non-zero, a COPY source is missing, …).
    #[error("{0}")]
    StepFailed(String),
    /// Any other error the engine reported, with its message.
    #[error("{0}")]
    Daemon(String),
}

/// The calls the Job driver makes on an engine to run pods as containers.
///
/// Implemented by [`docker::DockerEngine`] and, in tests, by a scripted fake.
/// Generic use only (`Driver<E: PodRuntime>`): no boxing, no `async_trait`.
pub trait PodRuntime: Send + Sync {
    /// The image's metadata, or `None` when it is not present locally.
    fn inspect_image(
        &self,
        image: &str,
    ) -> impl Future<Output = Result<Option<ImageInfo>, EngineError>> + Send;
    /// Pulls an image from its registry (imagePullPolicy `Always`, or `IfNotPresent` when the
    /// image is missing). Fails with [`EngineError::ImageNotFound`] when the registry has no
    /// such image, [`EngineError::Unauthorized`] when it refuses the credentials.
    fn pull_image(&self, image: &str) -> impl Future<Output = Result<(), EngineError>> + Send;
    /// The node the engine runs every new pod on, known before the pod is created (one
    /// engine: its host's name), for the scheduler's `Scheduled` event. `None`: the node is
    /// only known once a container runs (a Swarm places each task itself).
    fn scheduled_node(&self) -> impl Future<Output = Option<String>> + Send {
        async { None }
    }
    /// [`Self::pull_image`] with credentials from the pod's `imagePullSecrets` (`None`:
    /// anonymous). An engine that cannot send them refuses rather than pull without them.
    fn pull_image_with(
        &self,
        image: &str,
        auth: Option<PullAuth>,
    ) -> impl Future<Output = Result<(), EngineError>> + Send {
        async move {
            match auth {
                None => self.pull_image(image).await,
                Some(_) => Err(EngineError::Daemon(
                    "this engine cannot pull with imagePullSecrets credentials".to_string(),
                )),
            }
        }
    }
    /// Creates and starts a pod's sandbox and returns its ID. It runs until stopped (stop it
    /// with a zero grace period once the pod's containers have ended) and uses no resources
    /// to speak of.
    fn create_sandbox(
        &self,
        spec: &SandboxSpec,
    ) -> impl Future<Output = Result<String, EngineError>> + Send;
    /// Creates a container and returns its ID.
    fn create_container(
        &self,
        spec: &ContainerSpec,
    ) -> impl Future<Output = Result<String, EngineError>> + Send;
    /// Writes `entries` into the container `id` under the directory `dir` (created or
    /// running; a running sandbox's data volume keeps them on tmpfs).
    fn write_files(
        &self,
        id: &str,
        dir: &str,
        entries: &[crate::job::objects::volumes::VolumeEntry],
    ) -> impl Future<Output = Result<(), EngineError>> + Send {
        let _ = (id, dir, entries);
        async {
            Err(EngineError::Daemon(
                "this engine cannot write the files of secret, configMap or projected volumes"
                    .to_string(),
            ))
        }
    }
    /// Starts a created container.
    fn start_container(&self, id: &str) -> impl Future<Output = Result<(), EngineError>> + Send;
    /// The network of a running container; `None` when it is not running or has no address
    /// (`--network none`).
    fn container_network(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<Option<PodNetwork>, EngineError>> + Send;
    /// Waits until the container stops and says how it ended.
    fn wait_container(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<ContainerExit, EngineError>> + Send;
    /// Sends SIGTERM, then SIGKILL after `grace`.
    fn stop_container(
        &self,
        id: &str,
        grace: Duration,
    ) -> impl Future<Output = Result<(), EngineError>> + Send;
    /// Removes a container (forcefully) and its anonymous volumes.
    fn remove_container(&self, id: &str) -> impl Future<Output = Result<(), EngineError>> + Send;
    /// The output of a created container from its start on, attached before the start so
    /// that nothing is lost however fast it writes; the stream ends when the container
    /// stops. `None`: this engine cannot attach, follow [`Self::logs`] after the start.
    fn attach(
        &self,
        _id: &str,
    ) -> impl Future<
        Output = Result<Option<BoxStream<'static, Result<LogChunk, EngineError>>>, EngineError>,
    > + Send {
        async { Ok(None) }
    }
    /// The container's output; `follow` keeps the stream open until the container stops.
    fn logs(&self, id: &str, follow: bool) -> BoxStream<'static, Result<LogChunk, EngineError>>;
    /// Containers (running or not) that carry every given `key=value` label.
    fn list_containers(
        &self,
        labels: &[(String, String)],
    ) -> impl Future<Output = Result<Vec<ContainerSummary>, EngineError>> + Send;
}

/// What `POST /build` is asked to do. The context body is passed separately.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildRequest {
    /// Path of the Dockerfile inside the context.
    pub dockerfile: String,
    /// Every `-t`, each sent as its own `t=` (moby `sanitizeRepoAndTags`), so that the engine
    /// names the image by all of them and says so for each: the classic builder's
    /// `Successfully tagged NAME`, BuildKit's `naming to NAME`.
    pub tags: Vec<String>,
    /// `--build-arg`s; `None` means "declared, value unset".
    pub build_args: BTreeMap<String, Option<String>>,
    /// `--label`s.
    pub labels: BTreeMap<String, String>,
    /// `--target`.
    pub target: Option<String>,
    /// `--no-cache`.
    pub no_cache: bool,
    /// `--pull`.
    pub pull: bool,
    /// `--network`.
    pub network: Option<String>,
    /// `--add-host host:ip`, comma-joined for the engine.
    pub extra_hosts: Vec<String>,
    /// `--platform`.
    pub platform: Option<String>,
    /// Build with the engine's BuildKit (`version=2`) and these session and cache settings;
    /// `None` is the classic builder.
    pub buildkit: Option<BuildKitRequest>,
}

/// What only a BuildKit build sends (moby `api/server/router/build/build_routes.go`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildKitRequest {
    /// The session (`POST /session`) that serves credentials, secrets, SSH and exports.
    pub session_id: String,
    /// `outputs=[{"Type": …}]`: `local` or `tar` (through the session); `None` is an image.
    pub exporter: Option<&'static str>,
    /// `--cache-from` images.
    pub cache_from: Vec<String>,
}

/// One item of a build's output stream.
#[derive(Debug, Clone, PartialEq)]
pub enum BuildEvent {
    /// BuildKit's progress (`moby.buildkit.trace`): vertexes, their statuses, logs, warnings.
    Trace(bollard_buildkit_proto::moby::buildkit::v1::StatusResponse),
    /// Builder text (`Step 1/7 : FROM …`, RUN output). Not line-aligned; keep it verbatim.
    Output(String),
    /// A status line with an optional layer id (pull progress inside a build).
    Status {
        /// Layer or image id the status is about.
        id: Option<String>,
        /// The status text.
        status: String,
    },
    /// The built image's ID (`sha256:…`).
    ImageId(String),
}
