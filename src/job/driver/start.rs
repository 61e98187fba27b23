//! Starting a created container and following it: the start runs in the background, and
//! its outcome comes back to the main loop ([`Driver::on_started`]) before the container's
//! exit can, so the kubelet's `Started` (or `Failed`) event is recorded once the engine has
//! answered, in the order things happened.

use futures_util::stream::{self, BoxStream, StreamExt};

use super::{is_fatal, kubelet_events, Driver, DriverError, LogItem, RunOutput};
use crate::engine::{ContainerExit, EngineError, LogChunk, PodRuntime};
use crate::job::controller::{EventType, Input};

/// How long after its start a container's addresses are looked up, when its pod's node is
/// known and it has one container. Most of a short Job's containers have ended by then, and
/// the lookup is a request and a wake-up: without it a 40-pod run took 1.62 ms of CPU per pod
/// instead of 1.88 (docs/performance.md). The engine forgets the addresses of a stopped
/// container, so a pod that ends sooner shows none (docs/differences.md); about half of them
/// did before, the lookup arriving after the end.
pub(super) const NETWORK_LOOKUP_DELAY: std::time::Duration = std::time::Duration::from_millis(100);

/// A container's output from its start on.
pub(super) type Output = BoxStream<'static, Result<LogChunk, EngineError>>;

/// What a started container's followers wait for: its output stream and the news that it
/// runs (for the address lookup). Dropped unsent, they end at once.
pub(super) struct Follow {
    id: String,
    output: tokio::sync::oneshot::Sender<Option<Output>>,
    running: tokio::sync::oneshot::Sender<()>,
}

/// The outcome of a start issued in the background: the attached output when it worked.
pub(super) type StartOutcome = (Follow, Result<Option<Output>, EngineError>);

impl<'a, E: PodRuntime, O: RunOutput> Driver<'a, E, O> {
    /// Follows a container — first starting it when `start` — : its log stream (ending with
    /// [`LogItem::End`]) and its exit, both delivered to the main loop.
    ///
    /// The start runs in the background, so a Job's parallel pods start together and the
    /// loop keeps creating pods and reading exits meanwhile: an engine start takes ~0.5 s,
    /// and awaiting it in the loop made a parallelism-8 Job start its pods one after the
    /// other (bench case b: 2.2x the xargs loop). Its outcome is a wake of its own
    /// ([`Self::on_started`]); the wait for the exit begins after it.
    pub(super) fn watch_container(&mut self, id: String, start: bool) {
        // The output stream, handed over once the container runs: attached before the start
        // when the engine can (every byte, as `docker run` reads it), else followed logs.
        // Followed logs of a container that is not running end at once (moby
        // daemon/logs.go), so they are asked for only after the start succeeded.
        let (output_tx, output_rx) = tokio::sync::oneshot::channel::<Option<Output>>();
        let logs = stream::once(async move {
            match output_rx.await {
                Ok(Some(output)) => output,
                _ => stream::empty().boxed(),
            }
        })
        .flatten()
        .map({
            let id = id.clone();
            move |chunk| (id.clone(), LogItem::Chunk(chunk))
        })
        .chain(stream::once({
            let id = id.clone();
            async move { (id, LogItem::End) }
        }))
        .boxed();
        self.logs.push(logs);
        let engine = self.engine;
        // The pod's addresses (`describe pod`, `get pods -o wide`), looked up while the
        // container runs: the engine forgets them when it stops. An engine that cannot say
        // leaves them unknown. When the pod's node is known already (its `Scheduled` is
        // recorded) and it has one container, the lookup waits NETWORK_LOOKUP_DELAY first, and
        // a container that ends before then is not asked about. A pod with several
        // containers is asked at once: its address is its sandbox's, and its containers may
        // each end quickly while the pod as a whole ran for longer.
        let (running_tx, running_rx) = tokio::sync::oneshot::channel::<()>();
        let delayed = self.live.iter().find(|c| c.id == id).is_some_and(|c| {
            self.nodes.contains_key(&c.pod) && !self.sandboxes.iter().any(|s| s.pod == c.pod)
        });
        // Told of the container's end by `container_ended`.
        let ended = delayed.then(|| {
            let (ended_tx, ended_rx) = tokio::sync::oneshot::channel::<()>();
            self.lookup_cancels.insert(id.clone(), ended_tx);
            ended_rx
        });
        let lookup_id = id.clone();
        self.network_lookups.push(Box::pin(async move {
            running_rx.await.ok()?;
            if let Some(ended) = ended {
                tokio::select! {
                    () = tokio::time::sleep(NETWORK_LOOKUP_DELAY) => {}
                    _ = ended => return None,
                }
            }
            let network = engine.container_network(&lookup_id).await.ok()??;
            Some((lookup_id, network))
        }));
        let follow = Follow {
            id,
            output: output_tx,
            running: running_tx,
        };
        if !start {
            // An adopted container already runs: what it wrote so far is in its logs.
            self.follow(follow, None);
            return;
        }
        self.starts.push(Box::pin(async move {
            let attached = match engine.attach(&follow.id).await {
                Ok(attached) => attached,
                Err(e) if is_fatal(&e) => return (follow, Err(e)),
                // Not attachable (gone already, …): the start says what is wrong.
                Err(_) => None,
            };
            let started = engine.start_container(&follow.id).await;
            (follow, started.map(|()| attached))
        }));
    }

    /// Container `id` ended: its delayed address lookup, if still waiting, gives up.
    pub(super) fn container_ended(&mut self, id: &str) {
        if let Some(ended) = self.lookup_cancels.remove(id) {
            let _ = ended.send(());
        }
    }

    /// Hands a running container's output to its log stream and waits for its exit.
    fn follow(&mut self, follow: Follow, attached: Option<Output>) {
        let engine = self.engine;
        let Follow {
            id,
            output,
            running,
        } = follow;
        let _ = output.send(Some(attached.unwrap_or_else(|| engine.logs(&id, true))));
        let _ = running.send(());
        self.waits.push(Box::pin(async move {
            let r = engine.wait_container(&id).await;
            (id, r)
        }));
    }

    /// A background start is done. As the kubelet's `startContainer`
    /// (`pkg/kubelet/kuberuntime/kuberuntime_container.go`): `Started container NAME` once
    /// the runtime started it; else a `Failed` warning `Error: MESSAGE` and the container is
    /// terminated, exit 128 (`StartError`, as containerd reports it).
    pub(super) async fn on_started(
        &mut self,
        follow: Follow,
        result: Result<Option<Output>, EngineError>,
    ) -> Result<(), DriverError> {
        let id = follow.id.clone();
        let Some((pod, container)) = self
            .live
            .iter()
            .find(|c| c.id == id)
            .map(|c| (c.pod.clone(), c.container.clone()))
        else {
            return Ok(());
        };
        let error = match result {
            Ok(attached) => {
                self.follow(follow, attached);
                let actions =
                    self.step(Input::ContainerStarted { pod, container }, self.clock.now());
                return self.run_actions(actions).await;
            }
            Err(e) if is_fatal(&e) => return Err(e.into()),
            Err(e) => e,
        };
        // Its output and address lookups end unsent.
        drop(follow);
        let now = self.clock.now();
        // A pod being deleted is not started by the kubelet: the engine refused the start
        // because of the stop, which is no start failure to report.
        let deleting = self.ctl.pod(&pod).is_some_and(|p| p.deleting.is_some());
        if !deleting {
            self.ctl.record_pod_event(
                &pod,
                EventType::Warning,
                "Failed",
                kubelet_events::failed_to_start(&id, &error),
                "kubelet",
                now,
            );
        }
        let exit = ContainerExit {
            code: 128,
            oom_killed: false,
            error: Some(error.to_string()),
        };
        self.on_exit(&id, Ok(exit))
    }
}
