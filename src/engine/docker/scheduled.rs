//! The engine at `-H` as the pod runtime of a Job: pods are containers on it (`--scheduler
//! local`) or tasks on the swarm it manages (`--scheduler swarm`, [`super::swarm`]).
//!
//! New pods go where the Job's scheduler says. Every later call about a pod goes by the ID the
//! driver recorded for it: a container ID is 64 hex digits, a Swarm service ID 25 base-36
//! characters, so `logs`, `delete` and a resumed controller reach the right object without
//! being told the scheduler again. Listing by label asks both (the swarm only when the engine
//! is its manager).

use std::time::Duration;

use futures_util::stream::BoxStream;
use tokio::sync::OnceCell;

use super::swarm::SwarmEngine;
use super::DockerEngine;
use crate::engine::{
    ContainerExit, ContainerSpec, ContainerSummary, EngineError, ImageInfo, LogChunk, PodNetwork,
    PodRuntime, SandboxSpec,
};
use crate::registry::config::DockerConfig;

/// Where a Job's new pods run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheduler {
    /// Containers on the engine.
    Local,
    /// Tasks on the engine's swarm.
    Swarm,
}

/// The engine at `-H`, and its swarm once needed.
#[derive(Clone)]
pub struct PodEngine {
    local: DockerEngine,
    scheduler: Scheduler,
    config: Option<DockerConfig>,
    swarm: std::sync::Arc<OnceCell<Option<SwarmEngine>>>,
}

impl PodEngine {
    /// New pods go to `scheduler`; `config` holds the registry credentials the swarm's nodes
    /// pull with. With [`Scheduler::Swarm`] the engine must be a swarm manager.
    pub async fn new(
        local: DockerEngine,
        scheduler: Scheduler,
        config: Option<DockerConfig>,
    ) -> Result<Self, EngineError> {
        let engine = PodEngine {
            local,
            scheduler,
            config,
            swarm: Default::default(),
        };
        if scheduler == Scheduler::Swarm {
            let swarm =
                SwarmEngine::on_manager(engine.local.clone(), engine.config.clone()).await?;
            let _ = engine.swarm.set(Some(swarm));
        }
        Ok(engine)
    }

    /// The engine connection itself.
    pub fn local(&self) -> &DockerEngine {
        &self.local
    }

    /// The swarm, when the engine manages one (asked once).
    async fn swarm(&self) -> Option<&SwarmEngine> {
        self.swarm
            .get_or_init(|| async {
                SwarmEngine::on_manager(self.local.clone(), self.config.clone())
                    .await
                    .ok()
            })
            .await
            .as_ref()
    }

    /// The swarm for an object that only it can have made.
    async fn swarm_for(&self, id: &str) -> Result<&SwarmEngine, EngineError> {
        self.swarm().await.ok_or_else(|| {
            EngineError::Daemon(format!(
                "{id} is a swarm service, but the engine at {} is not a swarm manager",
                self.local.endpoint()
            ))
        })
    }

    /// The user's credentials for the registry of `image` (`None` without a Docker config
    /// or an entry for that registry).
    fn pull_credentials(
        &self,
        image: &str,
    ) -> Result<Option<bollard::auth::DockerCredentials>, EngineError> {
        let Some(config) = &self.config else {
            return Ok(None);
        };
        let Ok(parsed) = crate::image_ref::ImageRef::parse(image) else {
            return Ok(None); // the pull itself says what is wrong with the name
        };
        let found = crate::registry::credentials::resolve(config, &parsed.auth_key())
            .map_err(|e| EngineError::Daemon(e.to_string()))?;
        Ok(found.map(super::swarm::docker_credentials))
    }

    async fn for_new_pods(&self) -> Result<Runtime<'_>, EngineError> {
        Ok(match self.scheduler {
            Scheduler::Local => Runtime::Local(&self.local),
            Scheduler::Swarm => Runtime::Swarm(self.swarm_for("the Job's pods").await?),
        })
    }

    async fn for_id(&self, id: &str) -> Result<Runtime<'_>, EngineError> {
        Ok(if is_service_id(id) {
            Runtime::Swarm(self.swarm_for(id).await?)
        } else {
            Runtime::Local(&self.local)
        })
    }
}

/// One of the two runtimes, borrowed.
enum Runtime<'a> {
    Local(&'a DockerEngine),
    Swarm(&'a SwarmEngine),
}

/// Calls the same [`PodRuntime`] method on whichever runtime it is.
macro_rules! on {
    ($runtime:expr, $call:ident ( $($arg:expr),* )) => {
        match $runtime {
            Runtime::Local(engine) => engine.$call($($arg),*).await,
            Runtime::Swarm(swarm) => swarm.$call($($arg),*).await,
        }
    };
}

/// A Swarm service ID: 25 characters of `[0-9a-z]` (swarmkit `identity.NewID`); container IDs
/// are 64 hex digits.
fn is_service_id(id: &str) -> bool {
    id.len() == 25
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
}

impl PodRuntime for PodEngine {
    async fn inspect_image(&self, image: &str) -> Result<Option<ImageInfo>, EngineError> {
        on!(self.for_new_pods().await?, inspect_image(image))
    }

    async fn pull_image(&self, image: &str) -> Result<(), EngineError> {
        match self.for_new_pods().await? {
            // With the user's credentials, as `docker pull` after `docker login` (a private
            // image, or Docker Hub's higher rate limit for logged-in users).
            Runtime::Local(engine) => {
                let credentials = self.pull_credentials(image)?;
                engine.pull_image_as(image, credentials, |_| {}).await
            }
            Runtime::Swarm(swarm) => swarm.pull_image(image).await,
        }
    }

    async fn scheduled_node(&self) -> Option<String> {
        match self.for_new_pods().await.ok()? {
            Runtime::Local(engine) => engine.scheduled_node().await,
            Runtime::Swarm(engine) => engine.scheduled_node().await,
        }
    }

    async fn pull_image_with(
        &self,
        image: &str,
        auth: Option<crate::engine::PullAuth>,
    ) -> Result<(), EngineError> {
        match auth {
            // No pull secret for its registry: the user's own credentials, as the kubelet
            // falls back to the node's.
            None => self.pull_image(image).await,
            Some(auth) => on!(
                self.for_new_pods().await?,
                pull_image_with(image, Some(auth))
            ),
        }
    }

    async fn create_sandbox(&self, spec: &SandboxSpec) -> Result<String, EngineError> {
        on!(self.for_new_pods().await?, create_sandbox(spec))
    }

    async fn create_container(&self, spec: &ContainerSpec) -> Result<String, EngineError> {
        on!(self.for_new_pods().await?, create_container(spec))
    }

    async fn write_files(
        &self,
        id: &str,
        dir: &str,
        entries: &[crate::job::objects::volumes::VolumeEntry],
    ) -> Result<(), EngineError> {
        on!(self.for_id(id).await?, write_files(id, dir, entries))
    }

    async fn start_container(&self, id: &str) -> Result<(), EngineError> {
        on!(self.for_id(id).await?, start_container(id))
    }

    async fn container_network(&self, id: &str) -> Result<Option<PodNetwork>, EngineError> {
        on!(self.for_id(id).await?, container_network(id))
    }

    async fn wait_container(&self, id: &str) -> Result<ContainerExit, EngineError> {
        on!(self.for_id(id).await?, wait_container(id))
    }

    async fn stop_container(&self, id: &str, grace: Duration) -> Result<(), EngineError> {
        on!(self.for_id(id).await?, stop_container(id, grace))
    }

    async fn remove_container(&self, id: &str) -> Result<(), EngineError> {
        on!(self.for_id(id).await?, remove_container(id))
    }

    async fn attach(
        &self,
        id: &str,
    ) -> Result<Option<BoxStream<'static, Result<LogChunk, EngineError>>>, EngineError> {
        // Swarm has no attach to a service's task: its output is read as logs.
        match self.for_id(id).await? {
            Runtime::Local(engine) => engine.attach(id).await,
            Runtime::Swarm(_) => Ok(None),
        }
    }

    fn logs(&self, id: &str, follow: bool) -> BoxStream<'static, Result<LogChunk, EngineError>> {
        if !is_service_id(id) {
            return self.local.logs(id, follow);
        }
        let (engine, id) = (self.clone(), id.to_string());
        let stream = async move {
            match engine.swarm_for(&id).await {
                Ok(swarm) => swarm.logs(&id, follow),
                Err(e) => futures_util::stream::once(async { Err(e) }).boxed(),
            }
        };
        use futures_util::StreamExt;
        futures_util::stream::once(stream).flatten().boxed()
    }

    async fn list_containers(
        &self,
        labels: &[(String, String)],
    ) -> Result<Vec<ContainerSummary>, EngineError> {
        let mut found = self.local.list_containers(labels).await?;
        if let Some(swarm) = self.swarm().await {
            found.extend(swarm.list_containers(labels).await?);
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_say_which_runtime_made_them() {
        assert!(is_service_id("wmnn9tiwrl76zioboy704ubwx"));
        assert!(!is_service_id(
            "97b66126e603a00a8f533cdbeda76037ea5a914295367e86bd1d16f269600d26"
        ));
        assert!(!is_service_id("job-abcde"));
    }
}
