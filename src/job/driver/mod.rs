//! The one async part of the Job module: runs a [`Controller`] against a [`PodRuntime`].
//!
//! A loop over container exits, log lines, stop completions, the controller's next wake-up
//! and Ctrl-C; each result becomes an [`Input`], each [`Action`] an engine call. All waiting
//! uses `tokio::time`, so tests run whole backoff ladders on a paused clock.

mod actions;
mod api;
mod kubelet_events;
mod logs;
mod objects;
pub mod output;
mod report;
mod resume;
mod sandbox;
mod start;

use std::collections::HashMap;
use std::time::Duration;

use futures_util::future::BoxFuture;
use futures_util::stream::{BoxStream, FuturesUnordered, SelectAll, StreamExt};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::jiff::Timestamp;
use tokio::time::Instant;

use crate::engine::{ContainerExit, EngineError, LogChunk, PodNetwork, PodRuntime};
use crate::job::controller::{
    time, Action, Controller, ControllerConfig, Input, JobOutcome, OutcomeKind,
};
pub use api::{DriverError, JobRun, ObjectSource, RunContainer, RunOptions, OBJECT_RETRIES};
pub use output::{PlainOutput, Progress, RunOutput, Snapshot, TerminalOutput};
pub use resume::{resume_foreground, Replay, ReplayStep};
use tokio::sync::watch;

/// How long exit reports wait for the container's log stream to end, so a pod's last
/// lines are printed before its status line.
const LOG_DRAIN_WAIT: Duration = Duration::from_secs(2);

/// How long a step's state may wait to be saved ([`RunOutput::snapshot`]): steps closer
/// together than this are saved as one. Every save is a store transaction (the Job's status,
/// the changed pods as JSON, events, the input log); saving after each engine event was a
/// third of a run's CPU (docs/performance.md). Kubernetes' Job controller batches pod
/// updates the same way and as long (`syncJobBatchPeriod`, 1 s); at 250 ms a short pod's
/// row was still written three or four times. The first state and the last are saved at
/// once.
const SNAPSHOT_BATCH: Duration = Duration::from_secs(1);

/// Runs `job` (loaded by [`crate::job::load`]) in the foreground until it is Complete or
/// Failed (or interrupted), streaming logs and status to `out`.
pub async fn run_foreground<E: PodRuntime>(
    engine: &E,
    job: Job,
    opts: RunOptions,
    out: &mut impl RunOutput,
) -> Result<JobRun, DriverError> {
    run_inner(engine, job, opts, None, out).await
}

/// [`run_foreground`] for a detached controller: each Job sent on `updates` has its mutable
/// spec fields applied ([`Controller::update_spec`]), and a suspended Job waits for a resume
/// instead of returning.
pub async fn run_foreground_updating<E: PodRuntime>(
    engine: &E,
    job: Job,
    opts: RunOptions,
    updates: watch::Receiver<Option<Job>>,
    out: &mut impl RunOutput,
) -> Result<JobRun, DriverError> {
    run_inner(engine, job, opts, Some(updates), out).await
}

async fn run_inner<E: PodRuntime>(
    engine: &E,
    job: Job,
    opts: RunOptions,
    spec_updates: Option<watch::Receiver<Option<Job>>>,
    out: &mut impl RunOutput,
) -> Result<JobRun, DriverError> {
    let clock = Clock::start();
    let config = ControllerConfig {
        backoff_scale: opts.backoff_scale,
        seed: opts.seed.unwrap_or_else(rand::random),
    };
    let started = clock.now();
    let (controller, actions) = Controller::new(job, config, started);
    out.controller_started(started, config.seed);
    let mut driver = Driver::new(engine, controller, clock, out, opts, spec_updates, 0);
    // Ctrl-C before the first pod was made: none is (the main loop ends the Job next).
    if !driver.interrupt_pending() {
        driver.run_actions(actions).await?;
    }
    driver.main_loop().await
}

/// Wall-clock time derived from tokio's (pausable) clock.
struct Clock {
    wall: Timestamp,
    mono: Instant,
}

impl Clock {
    /// Reads the system clock once; later times follow tokio's clock from here.
    fn start() -> Self {
        Clock {
            wall: jiff::Timestamp::now(),
            mono: Instant::now(),
        }
    }

    fn now(&self) -> Timestamp {
        time::add(self.wall, self.mono.elapsed())
    }

    fn instant(&self, t: Timestamp) -> Instant {
        self.mono + time::since(t, self.wall)
    }
}

/// A container the driver watches.
struct Live {
    pod: String,
    /// The template container's name.
    container: String,
    restart: u32,
    id: String,
    exited: bool,
    logs_done: bool,
    /// Exit seen but not yet reported (waiting for the log stream to end).
    pending_exit: Option<(ContainerExit, Timestamp, Instant)>,
    removed: bool,
    /// Its addresses, once looked up after the start.
    network: Option<PodNetwork>,
    /// Its image's `imageID` as the kubelet reports it (`docker-pullable://…`).
    image_id: Option<String>,
}

/// The sandbox of a pod with several containers (see [`crate::engine::SandboxSpec`]).
struct Sandbox {
    pod: String,
    id: String,
    /// Stopped once the pod ended.
    stopped: bool,
    removed: bool,
}

enum LogItem {
    Chunk(Result<LogChunk, EngineError>),
    End,
}

enum Wake {
    Started(Box<start::StartOutcome>),
    Exit(String, Result<ContainerExit, EngineError>),
    Stopped(String, Result<(), EngineError>),
    Log(String, LogItem),
    Timer,
    Interrupt(u32),
    Spec(Option<Box<Job>>),
    Network(String, PodNetwork),
}

struct Driver<'a, E: PodRuntime, O: RunOutput> {
    engine: &'a E,
    ctl: Controller,
    clock: Clock,
    out: &'a mut O,
    opts: RunOptions,
    live: Vec<Live>,
    buffers: HashMap<(String, bool), Vec<u8>>,
    /// Starts issued in the background ([`Self::watch_container`]).
    starts: FuturesUnordered<BoxFuture<'a, start::StartOutcome>>,
    waits: FuturesUnordered<BoxFuture<'a, (String, Result<ContainerExit, EngineError>)>>,
    stops: FuturesUnordered<BoxFuture<'a, (String, Result<(), EngineError>)>>,
    /// Address lookups of started containers, run beside their waits so that a lookup never
    /// delays seeing an exit.
    network_lookups: FuturesUnordered<BoxFuture<'a, Option<(String, PodNetwork)>>>,
    /// Tells a container's delayed address lookup that it ended (see
    /// [`start::NETWORK_LOOKUP_DELAY`]), by container ID.
    lookup_cancels: HashMap<String, tokio::sync::oneshot::Sender<()>>,
    logs: SelectAll<BoxStream<'static, (String, LogItem)>>,
    events_seen: usize,
    last_progress: Option<Progress>,
    /// Sandboxes of pods with several containers.
    sandboxes: Vec<Sandbox>,
    /// Containers found when resuming that belong to pods not created yet in the replayed
    /// state (created just before a crash): (pod, container, restart, container id, the
    /// image the engine says it runs); a sandbox has the container name `""`.
    adoptable: Vec<(String, String, u32, String, String)>,
    /// New versions of the Job (`kubectl apply` of mutable fields), for detached controllers.
    spec_updates: Option<watch::Receiver<Option<Job>>>,
    /// Images seen present in the engine during this run, with their `imageID` (when the
    /// engine told it).
    images_present: HashMap<String, Option<String>>,
    /// Pods whose `Scheduled` event is recorded.
    scheduled: std::collections::HashSet<String>,
    /// The node each pod was assigned to in this run: its `spec.nodeName` even when its
    /// containers end before their addresses could be read.
    nodes: HashMap<String, String>,
    /// Creates that Ctrl-C stopped waiting for; each yields the ID of what it made anyway.
    abandoned: FuturesUnordered<BoxFuture<'a, Option<String>>>,
    /// The pod a foreground run gave up on ([`DriverError::CannotStart`]).
    gave_up: Option<DriverError>,
    /// What to do about the last pull that cannot succeed by retrying
    /// ([`crate::job::pull::classify`]): a foreground run gives up on its pod.
    final_pull: Option<String>,
    /// Failed starts of each (pod, container) for want of a ConfigMap or Secret, in a
    /// foreground run (which gives up after [`OBJECT_RETRIES`]).
    object_waits: HashMap<(String, String), u32>,
    /// `live` as the last snapshot showed it (see `report.rs`).
    reported_containers: Vec<RunContainer>,
    /// Something may have changed since the last snapshot (an input, an engine event).
    unsaved: bool,
    /// When the last snapshot was taken, and when the next is due (see [`SNAPSHOT_BATCH`]).
    last_snapshot: Option<Instant>,
    snapshot_due: Option<Instant>,
}

impl<'a, E: PodRuntime, O: RunOutput> Driver<'a, E, O> {
    /// A driver with nothing running yet; `events_seen` controller events are already
    /// reported (a resumed run replayed them).
    fn new(
        engine: &'a E,
        ctl: Controller,
        clock: Clock,
        out: &'a mut O,
        opts: RunOptions,
        spec_updates: Option<watch::Receiver<Option<Job>>>,
        events_seen: usize,
    ) -> Self {
        // A resumed run replayed these.
        let scheduled = ctl
            .events()
            .iter()
            .filter(|e| e.object_kind == "Pod" && e.reason == "Scheduled")
            .map(|e| e.object_name.clone())
            .collect();
        Driver {
            engine,
            ctl,
            clock,
            out,
            opts,
            live: Vec::new(),
            buffers: HashMap::new(),
            starts: FuturesUnordered::new(),
            waits: FuturesUnordered::new(),
            stops: FuturesUnordered::new(),
            network_lookups: FuturesUnordered::new(),
            lookup_cancels: HashMap::new(),
            logs: SelectAll::new(),
            events_seen,
            last_progress: None,
            sandboxes: Vec::new(),
            adoptable: Vec::new(),
            spec_updates,
            images_present: Default::default(),
            scheduled,
            nodes: HashMap::new(),
            abandoned: FuturesUnordered::new(),
            gave_up: None,
            final_pull: None,
            object_waits: HashMap::new(),
            reported_containers: Vec::new(),
            unsaved: true,
            last_snapshot: None,
            snapshot_due: None,
        }
    }

    async fn main_loop(mut self) -> Result<JobRun, DriverError> {
        let idle = match self.drive().await {
            Ok(idle) => idle,
            Err(e) => {
                // What the batch still held is saved before the error ends the run.
                self.report_and_save(true);
                return Err(e);
            }
        };
        if let Some(outcome) = idle {
            return Ok(self.finish(outcome).await);
        }
        let outcome = self.ctl.outcome().cloned().unwrap_or_else(|| JobOutcome {
            kind: OutcomeKind::Interrupted,
            reason: "Interrupted".to_string(),
            message: String::new(),
        });
        let gave_up = self.gave_up.take();
        let run = self.finish(outcome).await;
        match gave_up {
            Some(error) => Err(error),
            None => Ok(run),
        }
    }

    /// The main loop: until the Job has an outcome (`None`) or can never change again
    /// without a spec update (its [`Self::idle_outcome`]).
    async fn drive(&mut self) -> Result<Option<JobOutcome>, DriverError> {
        loop {
            self.report();
            if self.ctl.outcome().is_some() {
                break;
            }
            if let Some(outcome) = self.idle_outcome() {
                return Ok(Some(outcome));
            }
            let wake = self.next_wake().await;
            if !matches!(wake, Wake::Timer | Wake::Log(..)) {
                self.unsaved = true;
            }
            match wake {
                Wake::Started(started) => {
                    let (follow, result) = *started;
                    self.on_started(follow, result).await?;
                }
                Wake::Exit(id, result) => self.on_exit(&id, result)?,
                Wake::Stopped(id, result) => {
                    if let Err(e) = result {
                        if is_fatal(&e) {
                            return Err(e.into());
                        }
                        self.out
                            .status(&format!("warning: stopping container {id}: {e}"));
                    }
                }
                Wake::Log(id, item) => self.on_log(&id, item),
                Wake::Timer => {}
                Wake::Interrupt(count) => self.on_interrupt(count).await?,
                Wake::Spec(Some(job)) => {
                    let now = self.clock.now();
                    self.out.controller_spec_update(&job, now);
                    let actions = self.ctl.update_spec(&job, now);
                    self.run_actions(actions).await?;
                }
                Wake::Spec(None) => {}
                Wake::Network(id, network) => self.on_network(&id, network),
            }
            self.deliver_exits().await?;
            let now = self.clock.now();
            if self.ctl.next_wakeup().is_some_and(|t| t <= now) {
                let actions = self.step(Input::Tick, now);
                self.run_actions(actions).await?;
            }
        }
        Ok(None)
    }

    /// A Job that can never change again without a spec update (suspended, or parallelism
    /// 0): Kubernetes would wait for an edit; a foreground run says so and returns.
    fn idle_outcome(&mut self) -> Option<JobOutcome> {
        let quiet = self
            .live
            .iter()
            .all(|c| c.exited && c.pending_exit.is_none())
            && self.stops.is_empty()
            && self.ctl.next_wakeup().is_none();
        // A detached controller waits for `apply` to change the spec instead.
        if !quiet || self.spec_updates.is_some() {
            return None;
        }
        let name = self.ctl.job().metadata.name.clone().unwrap_or_default();
        let parallelism = self.ctl.job().spec.as_ref().and_then(|s| s.parallelism);
        let (reason, message, line) = if self.ctl.is_suspended() {
            (
                "JobSuspended",
                "Job suspended",
                format!("job.batch/{name} is suspended: no pods run until it is resumed"),
            )
        } else if parallelism == Some(0) {
            (
                "ParallelismZero",
                "spec.parallelism is 0",
                format!("job.batch/{name} has parallelism 0: no pods run until it is raised"),
            )
        } else {
            return None;
        };
        self.out.status(&line);
        Some(JobOutcome {
            kind: OutcomeKind::Suspended,
            reason: reason.to_string(),
            message: message.to_string(),
        })
    }

    async fn next_wake(&mut self) -> Wake {
        let mut deadline = self.ctl.next_wakeup().map(|t| self.clock.instant(t));
        if let Some(due) = self.snapshot_due {
            deadline = Some(deadline.map_or(due, |d| d.min(due)));
        }
        for c in &self.live {
            if let Some((_, _, until)) = c.pending_exit {
                deadline = Some(deadline.map_or(until, |d| d.min(until)));
            }
        }
        let timer = async {
            match deadline {
                Some(d) => tokio::time::sleep_until(d).await,
                None => std::future::pending().await,
            }
        };
        let interrupts = self.opts.interrupts.as_mut();
        let interrupt = async {
            match interrupts {
                Some(rx) => match rx.changed().await {
                    Ok(()) => *rx.borrow_and_update(),
                    Err(_) => std::future::pending().await,
                },
                None => std::future::pending().await,
            }
        };
        let updates = self.spec_updates.as_mut();
        let update = async {
            match updates {
                Some(rx) => match rx.changed().await {
                    Ok(()) => rx.borrow_and_update().clone(),
                    Err(_) => std::future::pending().await,
                },
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            Some(started) = self.starts.next() => Wake::Started(Box::new(started)),
            Some((id, r)) = self.waits.next() => Wake::Exit(id, r),
            Some((id, r)) = self.stops.next() => Wake::Stopped(id, r),
            Some((id, item)) = self.logs.next() => Wake::Log(id, item),
            Some(Some((id, network))) = self.network_lookups.next() => Wake::Network(id, network),
            count = interrupt => Wake::Interrupt(count),
            () = timer => Wake::Timer,
            job = update => Wake::Spec(job.map(Box::new)),
        }
    }

    fn on_exit(
        &mut self,
        id: &str,
        result: Result<ContainerExit, EngineError>,
    ) -> Result<(), DriverError> {
        let exit = match result {
            Ok(exit) => exit,
            Err(e) if is_fatal(&e) => return Err(e.into()),
            Err(e) => ContainerExit {
                code: 137,
                oom_killed: false,
                error: Some(format!("container vanished: {e}")),
            },
        };
        self.container_ended(id);
        let now = self.clock.now();
        if let Some(c) = self.live.iter_mut().find(|c| c.id == id) {
            c.exited = true;
            c.pending_exit = Some((exit, now, Instant::now() + LOG_DRAIN_WAIT));
        }
        Ok(())
    }

    /// Reports exits whose logs are drained (or waited long enough) to the controller.
    async fn deliver_exits(&mut self) -> Result<(), DriverError> {
        let now_instant = Instant::now();
        let ready: Vec<(String, String, ContainerExit, Timestamp)> = self
            .live
            .iter_mut()
            .filter(|c| {
                c.pending_exit
                    .as_ref()
                    .is_some_and(|(_, _, until)| c.logs_done || *until <= now_instant)
            })
            .filter_map(|c| {
                let (exit, at, _) = c.pending_exit.take()?;
                Some((c.pod.clone(), c.container.clone(), exit, at))
            })
            .collect();
        for (pod, container, exit, at) in ready {
            let terminal = |d: &Self| d.ctl.pod(&pod).is_some_and(|p| p.phase.is_terminal());
            let was_terminal = terminal(self);
            let actions = self.step(
                Input::ContainerExited {
                    pod: pod.clone(),
                    container: container.clone(),
                    exit: exit.clone(),
                },
                at,
            );
            let ended = !was_terminal && terminal(self);
            self.pod_end_line(&pod, &container, &exit, ended);
            self.run_actions(actions).await?;
        }
        Ok(())
    }

    async fn on_interrupt(&mut self, count: u32) -> Result<(), DriverError> {
        if count <= 1 {
            // Every pod the controller stops, as the end line counts them: a pod still
            // waiting for its image has no running container but is stopped all the same.
            let running = self.ctl.pods().iter().filter(|p| p.is_active()).count();
            self.out.status(&format!(
                "Interrupted: stopping {running} pod(s) gracefully (grace period {}s); press Ctrl-C again to kill them now",
                self.ctl.grace_period().as_secs()
            ));
            let actions = self.step(Input::Interrupt, self.clock.now());
            return self.run_actions(actions).await;
        }
        self.out.status("Killing pods now");
        let engine = self.engine;
        for c in self.live.iter().filter(|c| !c.exited) {
            let id = c.id.clone();
            self.stops.push(Box::pin(async move {
                let r = engine.stop_container(&id, Duration::ZERO).await;
                (id, r)
            }));
        }
        let actions = self.step(Input::Interrupt, self.clock.now());
        self.run_actions(actions).await
    }

    /// Applies an input, telling the output first (stores log inputs for replay).
    fn step(&mut self, input: Input, now: Timestamp) -> Vec<Action> {
        self.unsaved = true;
        self.out.controller_input(&input, now);
        self.ctl.step(input, now)
    }

    async fn run_actions(&mut self, actions: Vec<Action>) -> Result<(), DriverError> {
        let mut queue: std::collections::VecDeque<Action> = actions.into();
        while let Some(action) = queue.pop_front() {
            for input in self.execute(action).await? {
                let more = self.step(input, self.clock.now());
                queue.extend(more);
            }
        }
        self.report();
        Ok(())
    }
}

/// Errors that end the run instead of becoming pod states.
fn is_fatal(e: &EngineError) -> bool {
    matches!(e, EngineError::Unreachable { .. })
}

#[cfg(test)]
mod tests;

impl<E: PodRuntime, O: RunOutput> Driver<'_, E, O> {
    /// The scheduler's `Scheduled` event for a new pod, before the kubelet does anything
    /// with it, when the engine says up front where pods run (one engine: its host). On a
    /// Swarm the node is known once the task runs ([`Self::on_network`]).
    async fn schedule(&mut self, pod: &str) {
        if self.scheduled.contains(pod) {
            return;
        }
        if let Some(Some(node)) = self.unless_interrupted(self.engine.scheduled_node()).await {
            self.record_scheduled(pod, &node);
        }
    }

    fn record_scheduled(&mut self, pod: &str, node: &str) {
        let now = self.clock.now();
        let namespace = self.ctl.job().metadata.namespace.clone();
        let message =
            kubelet_events::scheduled(namespace.as_deref().unwrap_or("default"), pod, node);
        self.ctl.record_pod_event(
            pod,
            crate::job::controller::EventType::Normal,
            "Scheduled",
            message,
            "default-scheduler",
            now,
        );
        self.scheduled.insert(pod.to_string());
        self.nodes.insert(pod.to_string(), node.to_string());
    }

    /// What is known of a new container's placement before it runs: its pod's node.
    pub(super) fn scheduled_network(&self, pod: &str) -> Option<PodNetwork> {
        self.nodes.get(pod).map(|node| PodNetwork {
            node_name: node.clone(),
            host_ip: String::new(),
            pod_ips: Vec::new(),
        })
    }

    /// A started container's node and addresses. The first container of a pod to learn its
    /// node records the scheduler's event when [`Self::schedule`] could not (on Swarm, where
    /// the task was placed).
    fn on_network(&mut self, id: &str, network: PodNetwork) {
        let Some(pod) = self.live.iter().find(|c| c.id == id).map(|c| c.pod.clone()) else {
            return;
        };
        if !network.node_name.is_empty() && !self.scheduled.contains(&pod) {
            self.record_scheduled(&pod, &network.node_name);
        }
        if let Some(c) = self.live.iter_mut().find(|c| c.id == id) {
            c.network = Some(network);
        }
    }
}
