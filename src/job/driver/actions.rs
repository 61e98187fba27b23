//! Turning controller [`Action`]s into engine calls: image policy, create, start, logs, wait,
//! stop. Failures the kubelet would absorb become pod states (inputs), not errors.

use futures_util::stream::{self, BoxStream, StreamExt};

use super::sandbox::Staged;
use super::{is_fatal, Driver, DriverError, Live, LogItem, RunOutput};
use crate::engine::{ContainerExit, EngineError, LogChunk, PodRuntime};
use crate::job::controller::{Action, EventType, Input};
use crate::job::pod::{
    container_spec, has_sandbox, invalid_image_message, missing_env_source, missing_volume_source,
    pull_policy, template_container, template_containers, PodIdentity,
};

impl<'a, E: PodRuntime, O: RunOutput> Driver<'a, E, O> {
    /// Follows a container — first starting it when `start` — : its log stream (ending with
    /// [`LogItem::End`]) and its exit, both delivered to the main loop.
    ///
    /// The start runs in the background, before the wait, so a Job's parallel pods start
    /// together and the loop keeps creating pods and reading exits meanwhile: an engine start
    /// takes ~0.5 s, and awaiting it in the loop made a parallelism-8 Job start its pods one
    /// after the other (bench case b: 2.2x the xargs loop). A failed start is a terminated
    /// container, exit 128, as containerd reports it.
    pub(super) fn watch_container(&mut self, id: String, start: bool) {
        // The output stream, handed over once the container runs: attached before the start
        // when the engine can (every byte, as `docker run` reads it), else followed logs.
        // Followed logs of a container that is not running end at once (moby
        // daemon/logs.go), so they are asked for only after the start succeeded.
        type Output = BoxStream<'static, Result<LogChunk, EngineError>>;
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
        // The pod's addresses (`describe pod`, `get pods -o wide`), looked up as soon as the
        // container runs: the engine forgets them when it stops. An engine that cannot say
        // leaves them unknown.
        let (running_tx, running_rx) = tokio::sync::oneshot::channel::<()>();
        let lookup_id = id.clone();
        self.network_lookups.push(Box::pin(async move {
            running_rx.await.ok()?;
            let network = engine.container_network(&lookup_id).await.ok()??;
            Some((lookup_id, network))
        }));
        self.waits.push(Box::pin(async move {
            // An adopted container already runs: what it wrote so far is in its logs.
            let attached = if start {
                match engine.attach(&id).await {
                    Ok(attached) => attached,
                    Err(e) if is_fatal(&e) => {
                        let _ = output_tx.send(None);
                        return (id, Err(e));
                    }
                    // Not attachable (gone already, …): the start says what is wrong.
                    Err(_) => None,
                }
            } else {
                None
            };
            if start {
                if let Err(e) = engine.start_container(&id).await {
                    let _ = output_tx.send(None);
                    if is_fatal(&e) {
                        return (id, Err(e));
                    }
                    let exit = ContainerExit {
                        code: 128,
                        oom_killed: false,
                        error: Some(e.to_string()),
                    };
                    return (id, Ok(exit));
                }
            }
            // Followed logs only when not attached: making the request costs even unsent.
            let output = attached.unwrap_or_else(|| engine.logs(&id, true));
            let _ = output_tx.send(Some(output));
            let _ = running_tx.send(());
            let r = engine.wait_container(&id).await;
            (id, r)
        }));
    }

    pub(super) async fn execute(&mut self, action: Action) -> Result<Vec<Input>, DriverError> {
        match action {
            Action::CreatePod { pod } => {
                // The kubelet runs the sandbox, then starts every container in order without
                // waiting for one to finish (`SyncPod`): the containers run together.
                let names: Vec<String> = template_containers(self.ctl.job())
                    .iter()
                    .map(|c| c.name.clone())
                    .collect();
                let mut inputs = Vec::new();
                for container in names {
                    inputs.extend(self.start_and_show(&pod, &container, 0).await?);
                }
                Ok(inputs)
            }
            Action::StartContainer {
                pod,
                container,
                restart,
            } => self.start_and_show(&pod, &container, restart).await,
            Action::StopPod { pod, grace } => {
                // The kubelet kills every running container of the pod, each with the grace
                // period. An exit that is seen but not yet reported ends its container anyway.
                let pending = self
                    .live
                    .iter()
                    .any(|c| c.pod == pod && c.pending_exit.is_some());
                let running: Vec<String> = self
                    .live
                    .iter()
                    .filter(|c| c.pod == pod && !c.exited)
                    .map(|c| c.id.clone())
                    .collect();
                if running.is_empty() && !pending {
                    return Ok(vec![Input::PodRemoved { pod }]);
                }
                let engine = self.engine;
                for id in running {
                    self.stops.push(Box::pin(async move {
                        let r = engine.stop_container(&id, grace).await;
                        (id, r)
                    }));
                }
                Ok(Vec::new())
            }
        }
    }

    /// Starts one of the pod's containers; a container left waiting gets a status line with
    /// the reason. A foreground run gives up on a pod that cannot start until its spec
    /// changes ([`cannot_start_until_changed`]): it ends the Job rather than wait for ever.
    async fn start_and_show(
        &mut self,
        pod: &str,
        container: &str,
        restart: u32,
    ) -> Result<Vec<Input>, DriverError> {
        let Some(input) = self.start_pod(pod, container, restart).await? else {
            return Ok(Vec::new());
        };
        let mut inputs = Vec::new();
        if let Input::ContainerWaiting {
            reason, message, ..
        } = &input
        {
            let who = self.who(pod, container);
            self.out.status(&format!("{who} {reason}: {message}"));
            // A detached controller waits for an `apply`, as the kubelet retries.
            if cannot_start_until_changed(reason, message) && self.spec_updates.is_none() {
                self.gave_up = Some(DriverError::CannotStart {
                    pod: pod.to_string(),
                    reason: reason.clone(),
                    message: message.clone(),
                });
                inputs.push(Input::GiveUp {
                    reason: reason.clone(),
                    message: format!("pod/{pod}: {message}"),
                });
            }
        }
        inputs.insert(0, input);
        Ok(inputs)
    }

    /// `pod/NAME` for a pod with one container, `pod/NAME/CONTAINER` (kubectl's log prefix)
    /// when it has several.
    pub(super) fn who(&self, pod: &str, container: &str) -> String {
        if has_sandbox(self.ctl.job()) {
            format!("pod/{pod}/{container}")
        } else {
            format!("pod/{pod}")
        }
    }

    async fn start_pod(
        &mut self,
        pod: &str,
        container: &str,
        restart: u32,
    ) -> Result<Option<Input>, DriverError> {
        let Some(record) = self.ctl.pod(pod).cloned() else {
            return Ok(None);
        };
        let started = Input::ContainerStarted {
            pod: pod.to_string(),
            container: container.to_string(),
        };
        if self.claim_adoptable(pod, container, restart).await {
            return Ok(Some(started));
        }
        // Ctrl-C pressed while earlier containers were created, or the run gave up on a
        // pod: the main loop stops the Job next, so nothing more is created.
        if self.interrupt_pending() || self.gave_up.is_some() {
            return Ok(None);
        }
        // The kubelet mounts the pod's volumes before anything else, pulls the image of each
        // container (refusing a reference it cannot parse), then builds its environment.
        if let Some(message) = missing_volume_source(self.ctl.job()) {
            return Ok(Some(waiting(pod, container, "ContainerCreating", message)));
        }
        let image = template_container(self.ctl.job(), container)
            .and_then(|c| c.image.clone())
            .unwrap_or_default();
        // An image seen present in this run is a valid reference: not parsed again per pod.
        if !self.images_present.contains(&image) {
            if let Some(message) = invalid_image_message(&image) {
                return Ok(Some(waiting(pod, container, "InvalidImageName", message)));
            }
        }
        let sandbox = match self.ensure_sandbox(&record).await? {
            Ok(Some(Staged::Interrupted)) => return Ok(None),
            Ok(Some(Staged::Ready(id))) => Some(id),
            Ok(None) => None,
            Err(message) => {
                return Ok(Some(waiting(
                    pod,
                    container,
                    "CreatePodSandboxError",
                    message,
                )))
            }
        };
        let identity = PodIdentity {
            name: record.name.clone(),
            uid: record.uid.clone(),
            index: record.index,
            container: container.to_string(),
            restart,
        };
        let mut spec = container_spec(self.ctl.job(), &identity);
        spec.sandbox = sandbox;
        match self.ensure_image(pod, container, &spec.image).await? {
            ImageReady::Ready => {}
            ImageReady::Waiting(waiting) => return Ok(Some(waiting)),
            ImageReady::Interrupted => return Ok(None),
        }
        let missing = template_container(self.ctl.job(), container).and_then(missing_env_source);
        if let Some(message) = missing {
            return Ok(Some(waiting(
                pod,
                container,
                "CreateContainerConfigError",
                message,
            )));
        }
        let engine = self.engine;
        let created = Box::pin(async move {
            let result = engine.create_container(&spec).await;
            ((), result)
        });
        let Some(((), created)) = self.unless_interrupted_keep(created).await else {
            return Ok(None);
        };
        let id = match created {
            Ok(id) => id,
            Err(e) if is_fatal(&e) => return Err(e.into()),
            Err(e) => {
                let reason = match e {
                    EngineError::ImageNotFound(_) => "ErrImagePull",
                    _ => "CreateContainerError",
                };
                return Ok(Some(waiting(pod, container, reason, e.to_string())));
            }
        };
        self.live.push(Live {
            pod: pod.to_string(),
            container: container.to_string(),
            restart,
            id: id.clone(),
            exited: false,
            logs_done: false,
            pending_exit: None,
            removed: false,
            network: None,
        });
        if restart > 0 {
            let who = self.who(pod, container);
            self.out
                .status(&format!("{who} restarted (restart {restart})"));
        }
        self.watch_container(id, true);
        Ok(Some(started))
    }

    /// imagePullPolicy as the kubelet applies it (`pkg/kubelet/images/image_manager.go`).
    /// Returns a waiting input when the container cannot be created yet.
    ///
    /// An image seen present once is not inspected again for the rest of the run: one
    /// inspection per pod cost the engine 50 requests in a 50-pod Job (bench case b). Should
    /// it be removed meanwhile, the create fails and the pod waits with `ErrImagePull`.
    async fn ensure_image(
        &mut self,
        pod: &str,
        container: &str,
        image: &str,
    ) -> Result<ImageReady, DriverError> {
        let policy = pull_policy(self.ctl.job(), container).to_string();
        let present = self.images_present.contains(image)
            || match self
                .unless_interrupted(self.engine.inspect_image(image))
                .await
            {
                None => return Ok(ImageReady::Interrupted),
                Some(Ok(found)) => found.is_some(),
                Some(Err(e)) if is_fatal(&e) => return Err(e.into()),
                Some(Err(_)) => false,
            };
        if present {
            self.images_present.insert(image.to_string());
        }
        let now = self.clock.now();
        let mut event = |reason: &str, message: String| {
            self.ctl
                .record_pod_event(pod, EventType::Normal, reason, message, "kubelet", now);
        };
        match (policy.as_str(), present) {
            ("Never", false) => Ok(ImageReady::Waiting(waiting(
                pod,
                container,
                "ErrImageNeverPull",
                format!("Container image {image:?} is not present with pull policy of Never"),
            ))),
            ("IfNotPresent" | "Never", true) => {
                event(
                    "Pulled",
                    format!("Container image {image:?} already present on machine"),
                );
                Ok(ImageReady::Ready)
            }
            _ => {
                event("Pulling", format!("Pulling image {image:?}"));
                let started = tokio::time::Instant::now();
                let Some(pulled) = self.unless_interrupted(self.engine.pull_image(image)).await
                else {
                    // The main loop sees the interrupt next and deletes the waiting pod.
                    let message = format!("Pulling image {image:?} was interrupted");
                    return Ok(ImageReady::Waiting(waiting(
                        pod,
                        container,
                        "ErrImagePull",
                        message,
                    )));
                };
                match pulled {
                    Ok(()) => {
                        self.images_present.insert(image.to_string());
                        let took = started.elapsed().as_secs_f64();
                        let message = format!("Successfully pulled image {image:?} in {took:.3}s");
                        let now = self.clock.now();
                        self.ctl.record_pod_event(
                            pod,
                            EventType::Normal,
                            "Pulled",
                            message,
                            "kubelet",
                            now,
                        );
                        Ok(ImageReady::Ready)
                    }
                    Err(e) if is_fatal(&e) => Err(e.into()),
                    Err(e) => {
                        let hint = if policy == "Always" && present {
                            " (the image exists locally; imagePullPolicy: IfNotPresent would use it)"
                        } else {
                            ""
                        };
                        Ok(ImageReady::Waiting(waiting(
                            pod,
                            container,
                            "ErrImagePull",
                            format!("Failed to pull image {image:?}: {e}{hint}"),
                        )))
                    }
                }
            }
        }
    }
}

impl<E: PodRuntime, O: RunOutput> Driver<'_, E, O> {
    /// Runs `work` unless Ctrl-C (or SIGTERM) comes first, so that a long pull does not hold
    /// the interrupt back. The interrupt stays unseen by the main loop's receiver, which
    /// handles it next.
    async fn unless_interrupted<T>(&self, work: impl std::future::Future<Output = T>) -> Option<T> {
        let Some(mut interrupts) = self.opts.interrupts.clone() else {
            return Some(work.await);
        };
        tokio::select! {
            done = work => Some(done),
            Ok(()) = interrupts.changed() => None,
        }
    }

    /// Whether Ctrl-C was pressed and the main loop has not handled it yet.
    pub(super) fn interrupt_pending(&self) -> bool {
        self.opts
            .interrupts
            .as_ref()
            .is_some_and(|rx| rx.has_changed().unwrap_or(false))
    }
}

impl<'a, E: PodRuntime, O: RunOutput> Driver<'a, E, O> {
    /// [`Self::unless_interrupted`] for a container (or sandbox) create, which may still
    /// succeed in the engine after dockjob stops waiting for it: an interrupted create is
    /// kept, and the end of the run removes what it made (see [`Self::remove_abandoned`]).
    pub(super) async fn unless_interrupted_keep<T: Send + 'a>(
        &mut self,
        mut create: futures_util::future::BoxFuture<'a, (T, Result<String, EngineError>)>,
    ) -> Option<(T, Result<String, EngineError>)> {
        let Some(mut interrupts) = self.opts.interrupts.clone() else {
            return Some(create.await);
        };
        tokio::select! {
            done = &mut create => Some(done),
            Ok(()) = interrupts.changed() => {
                self.abandoned.push(Box::pin(async move { create.await.1.ok() }));
                None
            }
        }
    }
}

/// Whether a waiting container cannot start until its pod's spec changes (or dockjob can
/// supply what it references): the kubelet retries such a pod for ever, a foreground run
/// gives up on it. A volume that cannot be mounted leaves the pod `ContainerCreating`.
fn cannot_start_until_changed(reason: &str, message: &str) -> bool {
    match reason {
        "InvalidImageName" | "CreateContainerConfigError" => true,
        "ContainerCreating" => message.starts_with("MountVolume.SetUp failed"),
        _ => false,
    }
}

/// Whether a container's image is there to create it from.
enum ImageReady {
    /// Present (or pulled just now).
    Ready,
    /// Not usable: the container waits with this reason.
    Waiting(Input),
    /// Ctrl-C came while the engine was asked: the main loop handles it next.
    Interrupted,
}

fn waiting(pod: &str, container: &str, reason: &str, message: String) -> Input {
    Input::ContainerWaiting {
        pod: pod.to_string(),
        container: container.to_string(),
        reason: reason.to_string(),
        message,
    }
}
