//! Pods as Docker Swarm tasks: the same [`PodRuntime`] the Job controller drives on one
//! engine, implemented on a swarm manager, so that dockjob's controller decides (backoff,
//! completions, Indexed, deadlines, podFailurePolicy) and Swarm places.
//!
//! Each container attempt of a pod is one service in `replicated-job` mode with one
//! completion and restart condition `none` (Swarm never restarts it; the controller decides
//! about a new attempt), labelled as the container would be, with the pod's placement
//! (`nodeSelector` → `node.labels.K==V`, `nodeName` → `node.hostname==N`), attached to an
//! attachable overlay network of dockjob's (`dockjob-pods`, so that every pod has an address)
//! and created with the user's registry credentials (`docker service create
//! --with-registry-auth`). The container-level calls map so:
//! - create: the service (it starts at once; start is a no-op);
//! - wait: the task's state, polled, until it completes, fails, is rejected, or its node has
//!   been down for [`SwarmEngine::node_lost_after`] (the pod is then lost, as a pod on a lost
//!   node is in Kubernetes);
//! - stop and remove: the service is removed (Swarm stops the task with SIGTERM, then SIGKILL
//!   after its grace period); its logs go with it;
//! - logs: the task's output read from the manager, polled with timestamps while it runs
//!   (Swarm's `follow` of a finished task never ends);
//! - image: checked in its registry (`/distribution/…/json`): every node pulls, so an image
//!   that exists only in the manager's engine cannot run.
//!
//! Pods with several containers need a sandbox whose network namespace the others join, which
//! Swarm cannot place together: [`PodRuntime::create_sandbox`] refuses.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use bollard::container::LogOutput;
use bollard::errors::Error as BollardError;
use bollard::query_parameters::{ListServicesOptionsBuilder, LogsOptionsBuilder};
use futures_util::stream::BoxStream;
use futures_util::StreamExt;
use http_body_util::BodyExt;

mod spec;

pub(super) use spec::docker_credentials;
use spec::{service_spec, split_timestamp, task_exit, NodeView, TaskView};

use super::{engine_error, DockerEngine, NotFound};
use crate::engine::{
    ContainerExit, ContainerSpec, ContainerSummary, EngineError, ImageInfo, LogChunk, LogStream,
    PodNetwork, PodRuntime, SandboxSpec, LABEL_MANAGED,
};
use crate::image_ref::ImageRef;
use crate::registry::config::DockerConfig;
use crate::registry::credentials::{self, Credentials};

/// The overlay network every pod joins, for an address of its own.
pub const POD_NETWORK: &str = "dockjob-pods";

/// How long the lookup of a pod's node and address waits for Swarm to place the task.
const NETWORK_WAIT: Duration = Duration::from_secs(30);

/// How long a manager may take to answer one state query (tasks, nodes, info): a manager
/// that stalls ends the run with one clear error instead of a hang.
const GET_TIMEOUT: Duration = Duration::from_secs(60);

/// How often a running task's state is read (the 20.10 API has no task events). Bench case
/// i: a 60-pod Job took 2.2× Swarm's own job mode at 500 ms here and 1 s between log reads,
/// and still 2.2× at 200 ms and 250 ms, with 18 instead of 12 ms of CPU per pod: the time goes
/// to a service per pod and its overlay attachment, not to polling.
const POLL_EVERY: Duration = Duration::from_millis(500);

/// How often a running task's output is read for `logs -f` and `run`.
const LOG_POLL_EVERY: Duration = Duration::from_secs(1);

/// How long a pod's node may be down before the pod counts as lost, unless
/// `DOCKJOB_SWARM_NODE_LOST_AFTER` (seconds) says otherwise: Kubernetes' node monitor grace
/// period (40 s) before a node is NotReady.
const NODE_LOST_AFTER: Duration = Duration::from_secs(40);

/// A swarm manager, as a pod runtime.
#[derive(Clone)]
pub struct SwarmEngine {
    engine: DockerEngine,
    config: Option<Arc<DockerConfig>>,
    node_lost_after: Duration,
    /// Set once the pod network is known to exist (made with the first pod, never before).
    pod_network: Arc<tokio::sync::OnceCell<()>>,
}

impl SwarmEngine {
    /// Checks that `engine` is an active swarm manager.
    pub async fn on_manager(
        engine: DockerEngine,
        config: Option<DockerConfig>,
    ) -> Result<Self, EngineError> {
        let info: serde_json::Value = engine.raw_get_json("/info").await?;
        let swarm = &info["Swarm"];
        if swarm["LocalNodeState"] != "active" {
            return Err(EngineError::Daemon(format!(
                "the engine at {} is not part of a swarm (--scheduler swarm needs a manager: \
                 `docker swarm init` there, or point -H at one)",
                engine.endpoint()
            )));
        }
        if swarm["ControlAvailable"] != true {
            return Err(EngineError::Daemon(format!(
                "the engine at {} is a swarm worker; point -H at a manager",
                engine.endpoint()
            )));
        }
        let node_lost_after = std::env::var("DOCKJOB_SWARM_NODE_LOST_AFTER")
            .ok()
            .and_then(|s| s.parse::<f64>().ok())
            .filter(|s| s.is_finite() && *s >= 0.0)
            .map_or(NODE_LOST_AFTER, Duration::from_secs_f64);
        Ok(SwarmEngine {
            engine,
            config: config.map(Arc::new),
            node_lost_after,
            pod_network: Arc::default(),
        })
    }

    /// The manager's engine connection.
    pub fn engine(&self) -> &DockerEngine {
        &self.engine
    }

    /// How long a pod's node may be down before the pod counts as lost.
    pub fn node_lost_after(&self) -> Duration {
        self.node_lost_after
    }

    async fn ensure_pod_network(&self) -> Result<(), EngineError> {
        let request = bollard::models::NetworkCreateRequest {
            name: POD_NETWORK.to_string(),
            driver: Some("overlay".to_string()),
            attachable: Some(true),
            labels: Some(HashMap::from([(
                LABEL_MANAGED.to_string(),
                "true".to_string(),
            )])),
            ..Default::default()
        };
        if self
            .engine
            .docker
            .inspect_network(
                POD_NETWORK,
                None::<bollard::query_parameters::InspectNetworkOptions>,
            )
            .await
            .is_ok()
        {
            return Ok(());
        }
        match self.engine.docker.create_network(request).await {
            Ok(_) => Ok(()),
            // Created meanwhile by another dockjob.
            Err(BollardError::DockerResponseServerError {
                status_code: 409, ..
            }) => Ok(()),
            Err(e) => Err(engine_error(e, NotFound::Other)),
        }
    }

    /// The user's credentials for the registry of `image`, for the nodes' pulls.
    fn credentials_for(&self, image: &str) -> Result<Option<Credentials>, EngineError> {
        let Some(config) = &self.config else {
            return Ok(None);
        };
        let key = ImageRef::parse(image)
            .map(|r| r.auth_key())
            .map_err(|e| EngineError::Daemon(format!("{image}: {e}")))?;
        credentials::resolve(config, &key).map_err(|e| EngineError::Daemon(e.to_string()))
    }

    /// The one task of a pod's service, if Swarm made it yet.
    async fn task(&self, service: &str) -> Result<Option<TaskView>, EngineError> {
        let filters = serde_json::json!({ "service": [service] }).to_string();
        let path = format!(
            "/tasks?filters={}",
            form_urlencoded::byte_serialize(filters.as_bytes()).collect::<String>()
        );
        let tasks: Vec<TaskView> = self.engine.raw_get_json(&path).await?;
        Ok(tasks.into_iter().max_by_key(|t| t.version.index))
    }

    async fn service_exists(&self, service: &str) -> Result<bool, EngineError> {
        match self
            .engine
            .docker
            .inspect_service(
                service,
                None::<bollard::query_parameters::InspectServiceOptions>,
            )
            .await
        {
            Ok(_) => Ok(true),
            Err(BollardError::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(false),
            Err(e) => Err(engine_error(e, NotFound::Other)),
        }
    }

    async fn node(&self, id: &str) -> Result<NodeView, EngineError> {
        self.engine.raw_get_json(&format!("/nodes/{id}")).await
    }

    /// One read of a service's logs (`since`: after that engine timestamp), as chunks with
    /// the timestamp of each line.
    async fn read_logs(
        &self,
        service: &str,
        since: Option<jiff::Timestamp>,
    ) -> Result<Vec<(jiff::Timestamp, LogChunk)>, EngineError> {
        let mut options = LogsOptionsBuilder::default()
            .stdout(true)
            .stderr(true)
            .timestamps(true);
        if let Some(since) = since {
            // Whole seconds (bollard's type); lines up to `since` itself are skipped below.
            options = options.since(i32::try_from(since.as_second()).unwrap_or(i32::MAX));
        }
        let mut stream = self
            .engine
            .docker
            .service_logs(service, Some(options.build()));
        let mut chunks = Vec::new();
        while let Some(item) = stream.next().await {
            let (stream_kind, message) = match item {
                Ok(LogOutput::StdErr { message }) => (LogStream::Stderr, message),
                Ok(LogOutput::StdOut { message } | LogOutput::Console { message }) => {
                    (LogStream::Stdout, message)
                }
                Ok(LogOutput::StdIn { .. }) => continue,
                // No such service: [`EngineError::ContainerNotFound`], which `logs` answers
                // as kubectl answers for a deleted pod.
                Err(e) => return Err(engine_error(e, NotFound::Container(service))),
            };
            // `2026-12-06T11:59:59.123456789Z text`: Swarm writes one line per message.
            let Some((stamp, text)) = split_timestamp(&message) else {
                continue;
            };
            if since.is_some_and(|since| stamp <= since) {
                continue;
            }
            chunks.push((
                stamp,
                LogChunk {
                    stream: stream_kind,
                    bytes: bytes::Bytes::copy_from_slice(text),
                },
            ));
        }
        Ok(chunks)
    }
}

impl DockerEngine {
    /// `GET path` on the engine, its JSON body decoded as `T`.
    async fn raw_get_json<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
    ) -> Result<T, EngineError> {
        let uri = self.raw.uri(path).map_err(EngineError::Daemon)?;
        let request = http::Request::get(uri)
            .body(bollard::body_full(bytes::Bytes::new()))
            .map_err(|e| EngineError::Daemon(e.to_string()))?;
        let response = tokio::time::timeout(GET_TIMEOUT, self.raw.send(request))
            .await
            .map_err(|_| EngineError::Unreachable {
                endpoint: self.endpoint().to_string(),
                detail: format!("GET {path} got no answer in {} s", GET_TIMEOUT.as_secs()),
            })?
            .map_err(super::push::transport_failure)?;
        let status = response.status();
        if !status.is_success() {
            let message = super::transport::error_message(response.into_body()).await;
            return Err(match status.as_u16() {
                404 => EngineError::ContainerNotFound(message),
                _ => EngineError::Daemon(message),
            });
        }
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(super::push::transport_failure)?
            .to_bytes();
        serde_json::from_slice(&body)
            .map_err(|e| EngineError::Daemon(format!("unreadable answer to GET {path}: {e}")))
    }
}

impl PodRuntime for SwarmEngine {
    async fn inspect_image(&self, image: &str) -> Result<Option<ImageInfo>, EngineError> {
        // What the nodes will pull: the registry's manifest (its digest), not a local image.
        let credentials = self.credentials_for(image)?.map(docker_credentials);
        match self
            .engine
            .docker
            .inspect_registry_image(image, credentials)
            .await
        {
            Ok(found) => {
                let digest = found.descriptor.digest.unwrap_or_default();
                // The nodes pull it by this digest: their `RepoDigests` entry.
                let repo_digests = crate::image_ref::ImageRef::parse(image)
                    .ok()
                    .filter(|_| !digest.is_empty())
                    .map(|r| vec![format!("{}@{digest}", r.familiar_name())])
                    .unwrap_or_default();
                Ok(Some(ImageInfo {
                    id: digest,
                    repo_digests,
                    ..ImageInfo::default()
                }))
            }
            Err(BollardError::DockerResponseServerError { .. }) => Ok(None),
            Err(e) => Err(engine_error(e, NotFound::Image(image))),
        }
    }

    async fn pull_image(&self, image: &str) -> Result<(), EngineError> {
        // The nodes pull when the task starts; here only whether they will find it.
        match self.inspect_image(image).await? {
            Some(_) => Ok(()),
            None => Err(EngineError::ImageNotFound(format!(
                "{image}: not in a registry the swarm can pull from (every node pulls the \
                 pod's image: push it first, e.g. `dockjob build --push -t REGISTRY/NAME:TAG` \
                 or `dockjob push`, and check `dockjob login`)"
            ))),
        }
    }

    async fn create_sandbox(&self, _spec: &SandboxSpec) -> Result<String, EngineError> {
        Err(EngineError::Daemon(
            "pods with several containers cannot run on swarm (their containers must share one \
             node and network namespace)"
                .to_string(),
        ))
    }

    async fn create_container(&self, spec: &ContainerSpec) -> Result<String, EngineError> {
        self.pod_network
            .get_or_try_init(|| self.ensure_pod_network())
            .await?;
        let credentials = self.credentials_for(&spec.image)?.map(docker_credentials);
        let created = self
            .engine
            .docker
            .create_service(service_spec(spec), credentials)
            .await
            .map_err(|e| engine_error(e, NotFound::Image(&spec.image)))?;
        created
            .id
            .ok_or_else(|| EngineError::Daemon("the swarm created a service without an ID".into()))
    }

    async fn start_container(&self, _id: &str) -> Result<(), EngineError> {
        // A job service starts its task as soon as it is created.
        Ok(())
    }

    async fn container_network(&self, id: &str) -> Result<Option<PodNetwork>, EngineError> {
        // The task is placed and given its address a moment after the service is created:
        // wait for both (bounded), as the kubelet reports a pod's IP once its sandbox runs.
        let deadline = tokio::time::Instant::now() + NETWORK_WAIT;
        let task = loop {
            match self.task(id).await? {
                Some(task)
                    if !task.node_id.is_empty()
                        && (task
                            .networks_attachments
                            .iter()
                            .any(|a| !a.addresses.is_empty())
                            || task_exit(&task).is_some()) =>
                {
                    break task
                }
                None if !self.service_exists(id).await? => return Ok(None),
                _ if tokio::time::Instant::now() >= deadline => return Ok(None),
                _ => tokio::time::sleep(POLL_EVERY / 2).await,
            }
        };
        let node = self.node(&task.node_id).await?;
        let pod_ips = task
            .networks_attachments
            .iter()
            .flat_map(|a| &a.addresses)
            .map(|cidr| cidr.split('/').next().unwrap_or(cidr).to_string())
            .collect();
        Ok(Some(PodNetwork {
            node_name: node.description.hostname,
            host_ip: node.status.addr,
            pod_ips,
        }))
    }

    async fn wait_container(&self, id: &str) -> Result<ContainerExit, EngineError> {
        let mut node_down_since: Option<tokio::time::Instant> = None;
        loop {
            match self.task(id).await? {
                Some(task) => {
                    if let Some(exit) = task_exit(&task) {
                        return Ok(exit);
                    }
                    if !task.node_id.is_empty() {
                        let node = self.node(&task.node_id).await?;
                        if node.status.state == "down" {
                            let since =
                                *node_down_since.get_or_insert_with(tokio::time::Instant::now);
                            if since.elapsed() >= self.node_lost_after {
                                return Ok(ContainerExit {
                                    code: 137,
                                    oom_killed: false,
                                    error: Some(format!(
                                        "node {} went down: the pod was lost",
                                        node.description.hostname
                                    )),
                                });
                            }
                        } else {
                            node_down_since = None;
                        }
                    }
                }
                None if !self.service_exists(id).await? => {
                    return Ok(ContainerExit {
                        code: 137,
                        oom_killed: false,
                        error: Some("the pod's service was removed".to_string()),
                    })
                }
                None => {}
            }
            tokio::time::sleep(POLL_EVERY).await;
        }
    }

    async fn stop_container(&self, id: &str, _grace: Duration) -> Result<(), EngineError> {
        self.remove_container(id).await
    }

    async fn remove_container(&self, id: &str) -> Result<(), EngineError> {
        match self.engine.docker.delete_service(id).await {
            Ok(())
            | Err(BollardError::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(()),
            Err(e) => Err(engine_error(e, NotFound::Container(id))),
        }
    }

    fn logs(&self, id: &str, follow: bool) -> BoxStream<'static, Result<LogChunk, EngineError>> {
        struct State {
            swarm: SwarmEngine,
            id: String,
            since: Option<jiff::Timestamp>,
            last_read: bool,
            first: bool,
        }
        let state = State {
            swarm: self.clone(),
            id: id.to_string(),
            since: None,
            last_read: !follow,
            first: true,
        };
        futures_util::stream::unfold(Some(state), |state| async move {
            let mut state = state?;
            if !state.first {
                // Whether this is the last read: the task ended (or its service is gone).
                let ended = match state.swarm.task(&state.id).await {
                    Ok(Some(task)) => task_exit(&task).is_some(),
                    Ok(None) => !state.swarm.service_exists(&state.id).await.unwrap_or(false),
                    Err(_) => true,
                };
                if !ended {
                    tokio::time::sleep(LOG_POLL_EVERY).await;
                }
                state.last_read = ended;
            }
            let first = std::mem::replace(&mut state.first, false);
            let chunks = match state.swarm.read_logs(&state.id, state.since).await {
                Ok(chunks) => chunks,
                Err(e) => return Some((gone_or_error(e, first), None)),
            };
            if let Some((stamp, _)) = chunks.last() {
                state.since = Some(*stamp);
            }
            let items = chunks.into_iter().map(|(_, chunk)| Ok(chunk)).collect();
            let next = (!state.last_read).then_some(state);
            Some((items, next))
        })
        .flat_map(futures_util::stream::iter)
        .boxed()
    }

    async fn list_containers(
        &self,
        labels: &[(String, String)],
    ) -> Result<Vec<ContainerSummary>, EngineError> {
        let label_filters: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let mut filters = HashMap::new();
        filters.insert("label".to_string(), label_filters);
        let options = ListServicesOptionsBuilder::default()
            .filters(&filters)
            .build();
        let services = self
            .engine
            .docker
            .list_services(Some(options))
            .await
            .map_err(|e| engine_error(e, NotFound::Other))?;
        let mut found = Vec::new();
        for service in services {
            let id = service.id.unwrap_or_default();
            let spec = service.spec.unwrap_or_default();
            let state = match self.task(&id).await? {
                Some(task) if task_exit(&task).is_some() => "exited",
                Some(task) if task.status.state == "running" => "running",
                // Still being scheduled or started: it will run.
                _ => "running",
            };
            let image = spec
                .task_template
                .as_ref()
                .and_then(|t| t.container_spec.as_ref())
                .and_then(|c| c.image.clone())
                .unwrap_or_default();
            found.push(ContainerSummary {
                id,
                image,
                name: spec.name.unwrap_or_default(),
                labels: spec
                    .labels
                    .unwrap_or_default()
                    .into_iter()
                    .collect::<BTreeMap<_, _>>(),
                state: state.to_string(),
            });
        }
        Ok(found)
    }
}

/// What a failed read of a service's logs yields. A service that is gone when its logs are
/// first asked for is [`EngineError::ContainerNotFound`] (`logs` of a removed pod answers as
/// kubectl does, issue 15: it printed nothing and exited 0); one removed while its logs were
/// being followed (a stopped pod: Swarm stops a task by removing its service) just ends them.
fn gone_or_error(error: EngineError, first: bool) -> Vec<Result<LogChunk, EngineError>> {
    match error {
        EngineError::ContainerNotFound(_) if !first => Vec::new(),
        other => vec![Err(other)],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The engine's answer to `GET /services/ID/logs` for a removed service, as read.
    fn no_such_service() -> EngineError {
        let answer = BollardError::DockerResponseServerError {
            status_code: 404,
            message: "service abc123 not found".to_string(),
        };
        engine_error(answer, NotFound::Container("abc123"))
    }

    #[test]
    fn logs_of_a_removed_service_are_not_found_and_a_removal_while_following_ends_them() {
        // Bug (issue 15): the 404 was taken for the end of the logs, so `logs` of a removed
        // Swarm pod printed nothing and exited 0.
        let first = gone_or_error(no_such_service(), true);
        assert!(
            matches!(first.as_slice(), [Err(EngineError::ContainerNotFound(id))] if id == "abc123"),
            "{first:?}"
        );
        assert!(gone_or_error(no_such_service(), false).is_empty());
        // Other failures are reported either way.
        let other = || EngineError::Daemon("rpc error: code = Unavailable".to_string());
        assert_eq!(gone_or_error(other(), false).len(), 1);
    }
}
