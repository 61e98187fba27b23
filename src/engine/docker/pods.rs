//! [`PodRuntime`] on the Docker Engine: containers for pod attempts.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use bollard::container::LogOutput;
use bollard::errors::Error as BollardError;
use bollard::models::{ContainerCreateBody, HostConfig, Mount, MountType, VolumeCreateRequest};
use bollard::query_parameters::{
    ListContainersOptionsBuilder, LogsOptionsBuilder, StopContainerOptionsBuilder,
};
use futures_util::stream::{BoxStream, StreamExt};

use super::exits::Died;
use super::{engine_error, DockerEngine, NotFound};
use crate::engine::{
    ContainerExit, ContainerSpec, ContainerSummary, EngineError, ImageInfo, LogChunk, LogStream,
    PodNetwork, PodRuntime, SandboxSpec,
};

impl PodRuntime for DockerEngine {
    async fn inspect_image(&self, image: &str) -> Result<Option<ImageInfo>, EngineError> {
        self.bounded(Duration::ZERO, async {
            match self.docker.inspect_image(image).await {
                Ok(inspect) => {
                    let config = inspect.config.unwrap_or_default();
                    Ok(Some(ImageInfo {
                        id: inspect.id.unwrap_or_default(),
                        entrypoint: config.entrypoint,
                        cmd: config.cmd,
                        repo_digests: inspect.repo_digests.unwrap_or_default(),
                        size: inspect.size.unwrap_or_default(),
                    }))
                }
                Err(BollardError::DockerResponseServerError {
                    status_code: 404, ..
                }) => Ok(None),
                Err(e) => Err(engine_error(e, NotFound::Image(image))),
            }
        })
        .await
    }

    async fn pull_image(&self, image: &str) -> Result<(), EngineError> {
        self.pull_image_with_progress(image, |_| {}).await
    }

    async fn scheduled_node(&self) -> Option<String> {
        self.bounded(Duration::ZERO, self.node_name())
            .await
            .ok()
            .filter(|name| !name.is_empty())
    }

    async fn pull_image_with(
        &self,
        image: &str,
        auth: Option<crate::engine::PullAuth>,
    ) -> Result<(), EngineError> {
        let credentials = auth.map(|a| bollard::auth::DockerCredentials {
            username: Some(a.username),
            password: Some(a.password),
            serveraddress: Some(a.server),
            ..Default::default()
        });
        self.pull_image_as(image, credentials, |_| {}).await
    }

    async fn create_sandbox(&self, spec: &SandboxSpec) -> Result<String, EngineError> {
        self.run_sandbox(spec).await
    }

    async fn create_container(&self, spec: &ContainerSpec) -> Result<String, EngineError> {
        // The stream that tells its exit is asked for before the create.
        let stream = self.exits.before_create(&self.raw, self.timeout);
        let id = self
            .bounded(Duration::ZERO, self.create_container_unbounded(spec))
            .await?;
        self.exits.cover(&id, stream);
        Ok(id)
    }

    async fn write_files(
        &self,
        id: &str,
        dir: &str,
        entries: &[crate::job::objects::volumes::VolumeEntry],
    ) -> Result<(), EngineError> {
        self.bounded(Duration::ZERO, self.upload_entries(id, dir, entries))
            .await
    }

    async fn start_container(&self, id: &str) -> Result<(), EngineError> {
        // A stop asked before the start: the container never runs.
        if self.take_stop_request(id).is_some() {
            return Err(EngineError::Daemon(
                "the pod was stopped before its container started".to_string(),
            ));
        }
        self.bounded(Duration::ZERO, async {
            self.container_call(http::Method::POST, &format!("/containers/{id}/start"))
                .await
                .map(drop)
                .map_err(|e| engine_error(e, NotFound::Container(id)))
        })
        .await?;
        // A stop asked while the start was in flight may have found the container not yet
        // running: honour it now (a second stop of a stopping container is harmless).
        if let Some(grace) = self.take_stop_request(id) {
            self.stop_container(id, grace).await?;
        }
        Ok(())
    }

    async fn attach(
        &self,
        id: &str,
    ) -> Result<Option<BoxStream<'static, Result<LogChunk, EngineError>>>, EngineError> {
        self.attach_output(id).await.map(Some)
    }

    async fn container_network(&self, id: &str) -> Result<Option<PodNetwork>, EngineError> {
        self.bounded(Duration::ZERO, self.network_of(id)).await
    }

    async fn wait_container(&self, id: &str) -> Result<ContainerExit, EngineError> {
        match self.exits.exit_of(id).await {
            // Exit 0 and no OOM kill: nothing more to learn (the engine sets a container's
            // error only when it failed to start or restart it).
            Some(Died {
                code: 0,
                oom: false,
            }) => {
                return Ok(ContainerExit {
                    code: 0,
                    oom_killed: false,
                    error: None,
                })
            }
            // It ended; its state below has OOMKilled and the engine's error.
            Some(_) => {}
            // The event stream does not cover it: wait for it here. The wait is a stream
            // (the engine answers when the container stops), so it is not bounded; the
            // engine sends its headers at once. Its body (the exit code) is not read: the
            // inspect below has it too.
            None => {
                self.container_call(http::Method::POST, &format!("/containers/{id}/wait"))
                    .await
                    .map_err(|e| engine_error(e, NotFound::Container(id)))?;
            }
        }
        // The wait response lacks OOMKilled; the container's state has both.
        let inspect = self
            .bounded(Duration::ZERO, self.inspect_container(id))
            .await?;
        let state = inspect.state.unwrap_or_default();
        Ok(ContainerExit {
            code: state.exit_code.unwrap_or_default(),
            oom_killed: state.oom_killed.unwrap_or_default(),
            error: state.error.filter(|e| !e.is_empty()),
        })
    }

    async fn stop_container(&self, id: &str, grace: Duration) -> Result<(), EngineError> {
        // Asked before the engine is: a start in flight sees the request when it returns
        // (see `start_container`), whatever the engine answers here meanwhile.
        self.stop_requests().insert(id.to_string(), grace);
        let longer = grace.saturating_mul(2);
        let stopped = self.bounded(longer, self.stop_unbounded(id, grace)).await;
        if !matches!(stopped, Ok(StopOutcome::NotStarted)) {
            self.take_stop_request(id);
        }
        stopped.map(drop)
    }

    async fn remove_container(&self, id: &str) -> Result<(), EngineError> {
        self.take_stop_request(id);
        self.bounded(Duration::ZERO, self.remove_unbounded(id))
            .await
    }

    fn logs(&self, id: &str, follow: bool) -> BoxStream<'static, Result<LogChunk, EngineError>> {
        let options = LogsOptionsBuilder::default()
            .stdout(true)
            .stderr(true)
            .follow(follow)
            .build();
        let id = id.to_string();
        self.docker
            .logs(&id, Some(options))
            .map(move |item| log_chunk(item, &id))
            .boxed()
    }

    async fn list_containers(
        &self,
        labels: &[(String, String)],
    ) -> Result<Vec<ContainerSummary>, EngineError> {
        let filters = HashMap::from([(
            "label".to_string(),
            labels.iter().map(|(k, v)| format!("{k}={v}")).collect(),
        )]);
        let options = ListContainersOptionsBuilder::default()
            .all(true)
            .filters(&filters)
            .build();
        let containers = self
            .bounded(Duration::ZERO, async {
                self.docker
                    .list_containers(Some(options))
                    .await
                    .map_err(|e| engine_error(e, NotFound::Other))
            })
            .await?;
        Ok(containers
            .into_iter()
            .map(|c| ContainerSummary {
                id: c.id.unwrap_or_default(),
                name: c
                    .names
                    .and_then(|n| n.into_iter().next())
                    .map(|n| n.trim_start_matches('/').to_string())
                    .unwrap_or_default(),
                labels: c.labels.unwrap_or_default().into_iter().collect(),
                state: c.state.map(|s| s.to_string()).unwrap_or_default(),
                image: c
                    .image_id
                    .filter(|id| !id.is_empty())
                    .or(c.image)
                    .unwrap_or_default(),
            })
            .collect())
    }
}

/// One item of a log or attach stream as the seam's [`LogChunk`].
fn log_chunk(item: Result<LogOutput, BollardError>, id: &str) -> Result<LogChunk, EngineError> {
    match item {
        Ok(LogOutput::StdErr { message }) => Ok(LogChunk {
            stream: LogStream::Stderr,
            bytes: message,
        }),
        Ok(
            LogOutput::StdOut { message }
            | LogOutput::Console { message }
            | LogOutput::StdIn { message },
        ) => Ok(LogChunk {
            stream: LogStream::Stdout,
            bytes: message,
        }),
        Err(e) => Err(engine_error(e, NotFound::Container(id))),
    }
}

/// Names of the engine volumes that hold a pod's `emptyDir`s.
const EMPTY_DIR_PREFIX: &str = "dockjob-emptydir-";

/// One named volume per pod and mount path, so that an `emptyDir` outlives a container
/// restart (restartPolicy OnFailure makes a new container) but not the pod.
fn empty_dir_volumes(spec: &ContainerSpec) -> Vec<(String, String)> {
    let pod = spec
        .labels
        .get(crate::job::pod::LABEL_POD_UID)
        .unwrap_or(&spec.name);
    spec.empty_dirs
        .iter()
        .map(|target| {
            let path: String = target
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                .collect();
            (format!("{EMPTY_DIR_PREFIX}{pod}{path}"), target.clone())
        })
        .collect()
}

/// The create body for one pod attempt, with its `emptyDir` volumes mounted.
fn container_body(spec: &ContainerSpec, volumes: &[(String, String)]) -> ContainerCreateBody {
    let mut mounts: Vec<Mount> = volumes
        .iter()
        .map(|(name, target)| Mount {
            source: Some(name.clone()),
            target: Some(target.clone()),
            typ: Some(MountType::VOLUME),
            ..Default::default()
        })
        .collect();
    mounts.extend(super::data_volumes::container_mounts(spec));
    ContainerCreateBody {
        image: Some(spec.image.clone()),
        // `None` is omitted from the JSON, which the engine reads as "keep the image's"
        // (moby daemon/commit.go merge()); `Some(vec![])` would drop the image ENTRYPOINT.
        entrypoint: spec.entrypoint.clone(),
        cmd: spec.cmd.clone(),
        env: Some(spec.env.clone()),
        working_dir: spec.working_dir.clone(),
        // A container in another's network namespace takes that container's hostname; moby
        // refuses both together (runconfig `ErrConflictNetworkHostname`).
        hostname: spec.hostname.clone().filter(|_| spec.sandbox.is_none()),
        labels: Some(spec.labels.clone().into_iter().collect()),
        host_config: Some(HostConfig {
            network_mode: spec.sandbox.as_ref().map(|id| format!("container:{id}")),
            ipc_mode: spec.sandbox.as_ref().map(|id| format!("container:{id}")),
            memory: spec.memory_bytes,
            cpu_quota: spec.cpu_quota,
            cpu_period: spec.cpu_period,
            cpu_shares: spec.cpu_shares,
            mounts: (!mounts.is_empty()).then_some(mounts),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// What a stop found.
enum StopOutcome {
    /// The container was running and is stopped, or had already ended.
    Ended,
    /// The container is still `created`: its start, when it comes, honours the stop.
    NotStarted,
}

/// The engine's answer to a container create.
#[derive(serde::Deserialize)]
struct Created {
    #[serde(rename = "Id")]
    id: String,
}

impl DockerEngine {
    async fn create_container_unbounded(
        &self,
        spec: &ContainerSpec,
    ) -> Result<String, EngineError> {
        let volumes = empty_dir_volumes(spec);
        for (name, _) in &volumes {
            // Creating an existing volume is a no-op: a restarted container finds the data
            // its pod's earlier containers left, as a Kubernetes emptyDir keeps it.
            let request = VolumeCreateRequest {
                name: Some(name.clone()),
                labels: Some(spec.labels.clone().into_iter().collect()),
                ..Default::default()
            };
            self.docker
                .create_volume(request)
                .await
                .map_err(|e| engine_error(e, NotFound::Other))?;
        }
        for mount in &spec.data_mounts {
            // Made by the sandbox already; made here too for a sandbox that was adopted.
            self.ensure_data_volume(&mount.volume, &spec.labels).await?;
        }
        // On the pooled transport, as the other per-pod calls: bollard's request building
        // was ~2 % of a 40-pod run's CPU.
        let body = serde_json::to_vec(&container_body(spec, &volumes))
            .map_err(|e| EngineError::Daemon(format!("cannot encode the container: {e}")))?;
        let path = format!(
            "/containers/create?{}",
            form_urlencoded::Serializer::new(String::new())
                .append_pair("name", &spec.name)
                .finish()
        );
        let answer = self
            .json_call(http::Method::POST, &path, body)
            .await
            .map_err(|e| engine_error(e, NotFound::Image(&spec.image)))?;
        let response: Created = serde_json::from_slice(&answer).map_err(|e| {
            EngineError::Daemon(format!("unreadable answer to a container create: {e}"))
        })?;
        // Its removal needs no inspect to find volumes to remove with it (neither emptyDir
        // nor ConfigMap/Secret data volumes).
        if volumes.is_empty() && spec.data_mounts.is_empty() {
            self.created_without_volumes().insert(response.id.clone());
        }
        Ok(response.id)
    }

    async fn stop_unbounded(&self, id: &str, grace: Duration) -> Result<StopOutcome, EngineError> {
        let seconds = i32::try_from(grace.as_secs()).unwrap_or(i32::MAX);
        let options = StopContainerOptionsBuilder::default().t(seconds).build();
        // The engine answers a stop once the container has ended: after up to `grace`.
        let docker = self.docker_for_longer(grace);
        docker
            .stop_container(id, Some(options))
            .await
            .map_err(|e| engine_error(e, NotFound::Container(id)))?;
        // bollard reports the engine's 304 (not running) as a success, so the state says
        // which it was: ended (what we wanted) or still `created` because its start has not
        // happened yet (the start honours the stop request).
        let inspect = self.inspect_container(id).await?;
        match inspect.state.and_then(|s| s.status).as_deref() {
            Some("created") => Ok(StopOutcome::NotStarted),
            // It started between the stop and the inspect.
            Some("running") => {
                let again = StopContainerOptionsBuilder::default().t(seconds).build();
                docker
                    .stop_container(id, Some(again))
                    .await
                    .map_err(|e| engine_error(e, NotFound::Container(id)))?;
                Ok(StopOutcome::Ended)
            }
            _ => Ok(StopOutcome::Ended),
        }
    }

    async fn remove_unbounded(&self, id: &str) -> Result<(), EngineError> {
        // Created here without volumes: nothing to look up (a container gone already makes
        // the removal below a 404, as the inspect would have been).
        let volumes: Vec<String> = if self.created_without_volumes().remove(id) {
            Vec::new()
        } else {
            match self.inspect_container(id).await {
                Ok(inspect) => inspect
                    .mounts
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|m| m.name)
                    .filter(|name| {
                        name.starts_with(EMPTY_DIR_PREFIX)
                            || name.starts_with(super::data_volumes::DATA_VOLUME_PREFIX)
                    })
                    .collect(),
                Err(EngineError::ContainerNotFound(_)) => return Ok(()),
                Err(e) => return Err(e),
            }
        };
        let path = format!("/containers/{id}?force=true&v=true");
        match self.container_call(http::Method::DELETE, &path).await {
            Ok(_)
            | Err(BollardError::DockerResponseServerError {
                status_code: 404, ..
            }) => {}
            Err(e) => return Err(engine_error(e, NotFound::Container(id))),
        }
        for volume in volumes {
            // 409: another container of the same pod still uses it; the last one removes it.
            match self
                .docker
                .remove_volume(
                    &volume,
                    None::<bollard::query_parameters::RemoveVolumeOptions>,
                )
                .await
            {
                Ok(())
                | Err(BollardError::DockerResponseServerError {
                    status_code: 404 | 409,
                    ..
                }) => {}
                Err(e) => return Err(engine_error(e, NotFound::Other)),
            }
        }
        Ok(())
    }

    /// See `DockerEngine::without_volumes`.
    fn created_without_volumes(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        // A poisoned lock only means another task panicked mid-insert; the set is still usable.
        self.without_volumes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn stop_requests(&self) -> std::sync::MutexGuard<'_, HashMap<String, Duration>> {
        // A poisoned lock only means another task panicked mid-insert; the map is still usable.
        self.stop_requested
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The grace period of a stop that may have overtaken this container's start, if any.
    fn take_stop_request(&self, id: &str) -> Option<Duration> {
        self.stop_requests().remove(id)
    }
}
