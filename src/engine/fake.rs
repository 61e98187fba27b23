//! A scripted, recording [`PodRuntime`] for tests: each created container follows a
//! [`Script`] (exit after a delay, hang until stopped, fail to start), on tokio's clock, so
//! scenarios run on a paused clock. Every call is recorded with its (virtual) time.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use futures_util::stream::{self, BoxStream, StreamExt};
use tokio::sync::watch;
use tokio::time::Instant;

mod script;
pub use script::Script;

use crate::engine::{
    ContainerExit, ContainerSpec, ContainerSummary, EngineError, ImageInfo, LogChunk, LogStream,
    PodNetwork, PodRuntime, SandboxSpec,
};

/// The node name the fake's running containers report.
pub const FAKE_NODE: &str = "fake-node";

/// One recorded engine call, with the virtual time since the fake was built.
#[derive(Debug, Clone, PartialEq)]
pub enum Call {
    /// `pull_image`.
    Pull(String),
    /// `create_sandbox` with the spec it got.
    Sandbox(SandboxSpec),
    /// `create_container` with the spec it got.
    Create(Box<ContainerSpec>),
    /// `start_container`.
    Start(String),
    /// `stop_container` with its grace period.
    Stop(String, Duration),
    /// `remove_container`.
    Remove(String),
}

type Chooser = dyn Fn(&ContainerSpec) -> Script + Send + Sync;

struct Container {
    spec: ContainerSpec,
    script: Script,
    started: Option<Instant>,
    exit_tx: watch::Sender<Option<ContainerExit>>,
    removed: bool,
}

/// A pod sandbox: runs from its creation until stopped.
struct Sandbox {
    spec: SandboxSpec,
    stopped: bool,
    removed: bool,
}

struct State {
    images: BTreeMap<String, ImageInfo>,
    sandboxes: BTreeMap<String, Sandbox>,
    pullable: BTreeSet<String>,
    queue: VecDeque<Script>,
    containers: BTreeMap<String, Container>,
    calls: Vec<(Duration, Call)>,
    running: usize,
    max_running: usize,
    pull_time: Duration,
    start_time: Duration,
    image_inspections: usize,
    network_lookups: usize,
}

/// The scripted engine. Clone-free: share it by reference.
pub struct FakeEngine {
    state: Mutex<State>,
    chooser: Arc<Chooser>,
    epoch: Instant,
}

impl FakeEngine {
    /// An engine whose containers follow `chooser` unless a queued script comes first.
    pub fn new(chooser: impl Fn(&ContainerSpec) -> Script + Send + Sync + 'static) -> Self {
        Self {
            state: Mutex::new(State {
                images: BTreeMap::new(),
                sandboxes: BTreeMap::new(),
                pullable: BTreeSet::new(),
                queue: VecDeque::new(),
                containers: BTreeMap::new(),
                calls: Vec::new(),
                running: 0,
                max_running: 0,
                pull_time: Duration::ZERO,
                start_time: Duration::ZERO,
                image_inspections: 0,
                network_lookups: 0,
            }),
            chooser: Arc::new(chooser),
            epoch: Instant::now(),
        }
    }

    /// An engine whose containers all behave like `script` unless a queued script comes first.
    pub fn with_script(script: Script) -> Self {
        Self::new(move |_| script.clone())
    }

    /// Queues scripts for the next containers, in creation order.
    pub fn queue(&self, scripts: impl IntoIterator<Item = Script>) -> &Self {
        self.lock().queue.extend(scripts);
        self
    }

    /// Makes an image present locally.
    pub fn add_image(
        &self,
        name: &str,
        entrypoint: Option<&[&str]>,
        cmd: Option<&[&str]>,
    ) -> &Self {
        let to_vec = |v: Option<&[&str]>| v.map(|v| v.iter().map(|s| s.to_string()).collect());
        self.lock().images.insert(
            name.to_string(),
            ImageInfo {
                id: format!("sha256:{:064x}", name.len()),
                entrypoint: to_vec(entrypoint),
                cmd: to_vec(cmd),
                repo_digests: Vec::new(),
                size: 1000 + name.len() as i64,
            },
        );
        self
    }

    /// Lets `pull_image` succeed for `name` (the image then becomes present).
    pub fn allow_pull(&self, name: &str) -> &Self {
        self.lock().pullable.insert(name.to_string());
        self
    }

    /// Makes every pull take `time` (on tokio's clock) before it succeeds or fails.
    pub fn pull_takes(&self, time: Duration) -> &Self {
        self.lock().pull_time = time;
        self
    }

    /// Makes every container start take `time` (on tokio's clock) before it succeeds or
    /// fails, as an engine start takes ~0.5 s.
    pub fn start_takes(&self, time: Duration) -> &Self {
        self.lock().start_time = time;
        self
    }

    /// How many times `inspect_image` was called.
    pub fn image_inspections(&self) -> usize {
        self.lock().image_inspections
    }

    /// How many times `container_network` was called.
    pub fn network_lookups(&self) -> usize {
        self.lock().network_lookups
    }

    /// Every call so far with its virtual time since the fake was built.
    pub fn calls(&self) -> Vec<(Duration, Call)> {
        self.lock().calls.clone()
    }

    /// Specs of created containers with their creation times, in order.
    pub fn created(&self) -> Vec<(Duration, ContainerSpec)> {
        self.calls()
            .into_iter()
            .filter_map(|(t, c)| match c {
                Call::Create(spec) => Some((t, *spec)),
                _ => None,
            })
            .collect()
    }

    /// Names of containers not removed yet (sandboxes included).
    pub fn remaining(&self) -> Vec<String> {
        let state = self.lock();
        let sandboxes = state.sandboxes.values().filter(|s| !s.removed);
        state
            .containers
            .values()
            .filter(|c| !c.removed)
            .map(|c| c.spec.name.clone())
            .chain(sandboxes.map(|s| s.spec.name.clone()))
            .collect()
    }

    /// Names of sandboxes still running.
    pub fn running_sandboxes(&self) -> Vec<String> {
        let state = self.lock();
        let running = state.sandboxes.values().filter(|s| !s.stopped);
        running.map(|s| s.spec.name.clone()).collect()
    }

    /// The most containers that ran at the same time.
    pub fn max_running(&self) -> usize {
        self.lock().max_running
    }

    /// Ends container `id` with `exit` unless it already ended.
    fn end(&self, id: &str, exit: ContainerExit) {
        let mut state = self.lock();
        let ended = match state.containers.get(id) {
            Some(c) if c.exit_tx.borrow().is_none() => {
                c.exit_tx.send_replace(Some(exit));
                true
            }
            _ => false,
        };
        if ended {
            state.running = state.running.saturating_sub(1);
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn record(&self, call: Call) {
        let at = self.epoch.elapsed();
        self.lock().calls.push((at, call));
    }
}

impl PodRuntime for FakeEngine {
    async fn inspect_image(&self, image: &str) -> Result<Option<ImageInfo>, EngineError> {
        let mut state = self.lock();
        state.image_inspections += 1;
        Ok(state.images.get(image).cloned())
    }

    async fn pull_image(&self, image: &str) -> Result<(), EngineError> {
        self.record(Call::Pull(image.to_string()));
        let pull_time = self.lock().pull_time;
        tokio::time::sleep(pull_time).await;
        let mut state = self.lock();
        if !state.pullable.contains(image) {
            return Err(EngineError::ImageNotFound(image.to_string()));
        }
        // A pulled image has the digest it was pulled by.
        let digest = format!("{image}@sha256:{:064x}", image.len());
        let info = state.images.entry(image.to_string()).or_default();
        info.id = format!("sha256:{:064x}", image.len() + 1);
        info.repo_digests = vec![digest];
        info.size = 2000;
        Ok(())
    }

    async fn scheduled_node(&self) -> Option<String> {
        Some(FAKE_NODE.to_string())
    }

    async fn create_sandbox(&self, spec: &SandboxSpec) -> Result<String, EngineError> {
        self.record(Call::Sandbox(spec.clone()));
        let mut state = self.lock();
        let id = format!("sandbox{:05}", state.sandboxes.len() + 1);
        let sandbox = Sandbox {
            spec: spec.clone(),
            stopped: false,
            removed: false,
        };
        state.sandboxes.insert(id.clone(), sandbox);
        Ok(id)
    }

    async fn create_container(&self, spec: &ContainerSpec) -> Result<String, EngineError> {
        self.record(Call::Create(Box::new(spec.clone())));
        let mut state = self.lock();
        if !state.images.contains_key(&spec.image) {
            return Err(EngineError::ImageNotFound(spec.image.clone()));
        }
        let script = state
            .queue
            .pop_front()
            .unwrap_or_else(|| (self.chooser)(spec));
        let id = format!("{:012x}", state.containers.len() + 1);
        let (exit_tx, _) = watch::channel(None);
        state.containers.insert(
            id.clone(),
            Container {
                spec: spec.clone(),
                script,
                started: None,
                exit_tx,
                removed: false,
            },
        );
        Ok(id)
    }

    async fn start_container(&self, id: &str) -> Result<(), EngineError> {
        self.record(Call::Start(id.to_string()));
        let start_time = self.lock().start_time;
        tokio::time::sleep(start_time).await;
        let mut state = self.lock();
        let sandbox = state
            .containers
            .get(id)
            .and_then(|c| c.spec.sandbox.clone());
        if let Some(sandbox) = sandbox {
            // moby refuses to join the namespaces of a container that does not run.
            if state.sandboxes.get(&sandbox).is_none_or(|s| s.stopped) {
                return Err(EngineError::Daemon(format!(
                    "cannot join network of a non running container: {sandbox}"
                )));
            }
        }
        let c = state
            .containers
            .get_mut(id)
            .ok_or_else(|| EngineError::ContainerNotFound(id.to_string()))?;
        if let Script::StartFails(message) = &c.script {
            return Err(EngineError::Daemon(message.clone()));
        }
        c.started = Some(Instant::now());
        state.running += 1;
        state.max_running = state.max_running.max(state.running);
        Ok(())
    }

    async fn container_network(&self, id: &str) -> Result<Option<PodNetwork>, EngineError> {
        let mut state = self.lock();
        state.network_lookups += 1;
        let Some(c) = state.containers.get(id) else {
            return Ok(None);
        };
        let running = c.started.is_some() && c.exit_tx.borrow().is_none();
        // Container (or sandbox) n gets 10.88.0.(n + 1) on the fake's node; a pod's containers
        // share their sandbox's address.
        let holder = c.spec.sandbox.as_deref().unwrap_or(id);
        let n = u64::from_str_radix(holder, 16).unwrap_or(0);
        Ok(running.then(|| PodNetwork {
            node_name: FAKE_NODE.to_string(),
            host_ip: "10.88.0.1".to_string(),
            pod_ips: vec![format!("10.88.0.{}", n + 1)],
        }))
    }

    async fn wait_container(&self, id: &str) -> Result<ContainerExit, EngineError> {
        let (script, started, mut rx) = {
            let state = self.lock();
            let c = state
                .containers
                .get(id)
                .ok_or_else(|| EngineError::ContainerNotFound(id.to_string()))?;
            (c.script.clone(), c.started, c.exit_tx.subscribe())
        };
        let natural = match (&script, started) {
            (Script::Exit { after, .. }, Some(t)) => Some(t + *after),
            _ => None,
        };
        let stopped = async {
            loop {
                if let Some(exit) = rx.borrow_and_update().clone() {
                    return exit;
                }
                if rx.changed().await.is_err() {
                    std::future::pending::<()>().await;
                }
            }
        };
        match (natural, script) {
            (
                Some(at),
                Script::Exit {
                    code, oom_killed, ..
                },
            ) => tokio::select! {
                _ = tokio::time::sleep_until(at) => {
                    let exit = ContainerExit { code, oom_killed, error: None };
                    self.end(id, exit.clone());
                    Ok(exit)
                }
                exit = stopped => Ok(exit),
            },
            _ => Ok(stopped.await),
        }
    }

    async fn stop_container(&self, id: &str, grace: Duration) -> Result<(), EngineError> {
        self.record(Call::Stop(id.to_string(), grace));
        if let Some(sandbox) = self.lock().sandboxes.get_mut(id) {
            sandbox.stopped = true;
            return Ok(());
        }
        let (tx, ignore_sigterm) = {
            let state = self.lock();
            let c = state
                .containers
                .get(id)
                .ok_or_else(|| EngineError::ContainerNotFound(id.to_string()))?;
            let ignore = matches!(
                c.script,
                Script::Hang {
                    ignore_sigterm: true,
                    ..
                }
            );
            (c.exit_tx.clone(), ignore)
        };
        if tx.borrow().is_some() {
            return Ok(());
        }
        let code = if ignore_sigterm && !grace.is_zero() {
            tokio::time::sleep(grace).await;
            137
        } else if grace.is_zero() {
            137
        } else {
            143
        };
        self.end(
            id,
            ContainerExit {
                code,
                oom_killed: false,
                error: None,
            },
        );
        Ok(())
    }

    async fn remove_container(&self, id: &str) -> Result<(), EngineError> {
        self.record(Call::Remove(id.to_string()));
        let mut state = self.lock();
        if let Some(sandbox) = state.sandboxes.get_mut(id) {
            sandbox.stopped = true;
            sandbox.removed = true;
            return Ok(());
        }
        let c = state
            .containers
            .get_mut(id)
            .ok_or_else(|| EngineError::ContainerNotFound(id.to_string()))?;
        c.removed = true;
        Ok(())
    }

    fn logs(&self, id: &str, _follow: bool) -> BoxStream<'static, Result<LogChunk, EngineError>> {
        let lines = match self.lock().containers.get(id).map(|c| c.script.clone()) {
            Some(Script::Exit { logs, .. } | Script::Hang { logs, .. }) => logs,
            _ => Vec::new(),
        };
        stream::iter(lines.into_iter().map(|line| {
            Ok(LogChunk {
                stream: LogStream::Stdout,
                bytes: bytes::Bytes::from(format!("{line}\n")),
            })
        }))
        .boxed()
    }

    async fn list_containers(
        &self,
        labels: &[(String, String)],
    ) -> Result<Vec<ContainerSummary>, EngineError> {
        let state = self.lock();
        let matches =
            |l: &BTreeMap<String, String>| labels.iter().all(|(k, v)| l.get(k) == Some(v));
        let sandboxes = state
            .sandboxes
            .iter()
            .filter(|(_, s)| !s.removed && matches(&s.spec.labels))
            .map(|(id, s)| ContainerSummary {
                id: id.clone(),
                name: s.spec.name.clone(),
                labels: s.spec.labels.clone(),
                state: if s.stopped { "exited" } else { "running" }.to_string(),
                image: String::new(),
            });
        let sandboxes: Vec<ContainerSummary> = sandboxes.collect();
        Ok(state
            .containers
            .iter()
            .filter(|(_, c)| !c.removed)
            .filter(|(_, c)| labels.iter().all(|(k, v)| c.spec.labels.get(k) == Some(v)))
            .map(|(id, c)| ContainerSummary {
                id: id.clone(),
                name: c.spec.name.clone(),
                labels: c.spec.labels.clone(),
                image: c.spec.image.clone(),
                state: if c.exit_tx.borrow().is_some() {
                    "exited"
                } else {
                    "running"
                }
                .to_string(),
            })
            .chain(sandboxes)
            .collect())
    }
}
