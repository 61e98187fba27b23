//! Turning controller [`Action`]s into engine calls: image policy, create, start, logs, wait,
//! stop. Failures the kubelet would absorb become pod states (inputs), not errors.

use super::kubelet_events;
use super::objects::{sub_path_links, waits_for_object};
use super::sandbox::Staged;
use super::{is_fatal, Driver, DriverError, Live, RunOutput};
use crate::engine::{EngineError, PodRuntime};
use crate::job::controller::{Action, EventType, Input};
use crate::job::objects::resolve::env_sources;
use crate::job::pod::{
    container_spec_with, has_sandbox, invalid_image_message, pull_policy, template_container,
    template_containers, PodIdentity,
};

impl<'a, E: PodRuntime, O: RunOutput> Driver<'a, E, O> {
    pub(super) async fn execute(&mut self, action: Action) -> Result<Vec<Input>, DriverError> {
        match action {
            Action::CreatePod { pod } => {
                self.report_events();
                self.schedule(&pod).await;
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
            // A foreground run with a store waits a while for the missing ConfigMap or
            // Secret, as the kubelet retries (every 10 s × backoff scale).
            let key = (pod.to_string(), container.to_string());
            let waits_for_object = waits_for_object(reason, message)
                && self.opts.objects.is_some()
                && self.spec_updates.is_none();
            let tries = if waits_for_object {
                let tries = self.object_waits.entry(key).or_insert(0);
                *tries += 1;
                *tries
            } else {
                0
            };
            if tries == 1 {
                self.out.status(&format!(
                    "{who} waits for it: retrying every {}s, {} times (`dockjob apply -f` the \
                     object from another terminal)",
                    crate::job::backoff::container_restart_delay(1, self.opts.backoff_scale)
                        .as_secs_f64(),
                    super::OBJECT_RETRIES
                ));
            }
            let waiting_more = waits_for_object && tries <= super::OBJECT_RETRIES;
            // An image that no retry will bring: the kubelet backs off and pulls again for
            // ever (ImagePullBackOff), a foreground run ends.
            let final_pull = match reason.as_str() {
                "ErrImagePull" | "ErrImageNeverPull" => self.final_pull.take(),
                _ => None,
            };
            let final_pull_failed = final_pull.is_some();
            // A detached controller waits for an `apply`, as the kubelet retries.
            if (cannot_start_until_changed(reason, message) || final_pull_failed)
                && self.spec_updates.is_none()
                && !waiting_more
            {
                self.gave_up = Some(DriverError::CannotStart {
                    pod: pod.to_string(),
                    reason: reason.clone(),
                    message: message.clone(),
                    hint: final_pull,
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

    /// Creates a pod's container and starts it in the background; `Some`: what the
    /// controller learns at once (a container left waiting, or one adopted after a crash).
    async fn start_pod(
        &mut self,
        pod: &str,
        container: &str,
        restart: u32,
    ) -> Result<Option<Input>, DriverError> {
        let Some(record) = self.ctl.pod(pod).cloned() else {
            return Ok(None);
        };
        if self.claim_adoptable(pod, container, restart).await {
            // Found running after a crash: started already.
            return Ok(Some(Input::ContainerStarted {
                pod: pod.to_string(),
                container: container.to_string(),
            }));
        }
        // Ctrl-C pressed while earlier containers were created, or the run gave up on a
        // pod: the main loop stops the Job next, so nothing more is created.
        if self.interrupt_pending() || self.gave_up.is_some() {
            return Ok(None);
        }
        // The kubelet mounts the pod's volumes before anything else, pulls the image of each
        // container (refusing a reference it cannot parse), then builds its environment.
        let identity = PodIdentity {
            name: record.name.clone(),
            uid: record.uid.clone(),
            index: record.index,
            container: container.to_string(),
            restart,
        };
        let payloads = match self.volume_payloads(&identity) {
            Ok(payloads) => payloads,
            Err(message) => {
                return Ok(Some(waiting(pod, container, "ContainerCreating", message)));
            }
        };
        let image = template_container(self.ctl.job(), container)
            .and_then(|c| c.image.clone())
            .unwrap_or_default();
        // An image seen present in this run is a valid reference: not parsed again per pod.
        if !self.images_present.contains_key(&image) {
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
        if let Some(sandbox) = sandbox.as_deref() {
            if let Err(message) = self.write_volumes(sandbox, payloads).await? {
                return Ok(Some(waiting(pod, container, "ContainerCreating", message)));
            }
        }
        let namespace = self.ctl.job().metadata.namespace.clone();
        let namespace = namespace.as_deref().unwrap_or("default");
        let lookup = self.lookup();
        let sources = template_container(self.ctl.job(), container)
            .map(|c| env_sources(c, namespace, lookup))
            .transpose();
        let sources = match sources {
            Ok(sources) => sources.unwrap_or_default(),
            Err(message) => {
                return Ok(Some(waiting(
                    pod,
                    container,
                    "CreateContainerConfigError",
                    message,
                )))
            }
        };
        let mut spec = container_spec_with(self.ctl.job(), &identity, &sources);
        spec.sandbox = sandbox;
        let image_id = match self.ensure_image(pod, container, &spec.image).await? {
            ImageReady::Ready(image_id) => image_id,
            ImageReady::Waiting(waiting) => return Ok(Some(waiting)),
            ImageReady::Interrupted => return Ok(None),
        };
        let now = self.clock.now();
        for message in sources.invalid_names {
            self.ctl.record_pod_event(
                pod,
                EventType::Warning,
                "InvalidEnvironmentVariableNames",
                message,
                "kubelet",
                now,
            );
        }
        let links = sub_path_links(&spec.data_mounts);
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
        if !links.is_empty() {
            // `subPath`: a link at the mount path into the volume, mounted aside.
            if let Err(e) = self.engine.write_files(&id, "/", &links).await {
                if is_fatal(&e) {
                    return Err(e.into());
                }
                let _ = self.engine.remove_container(&id).await;
                return Ok(Some(waiting(
                    pod,
                    container,
                    "CreateContainerConfigError",
                    format!("failed to prepare subPath for volumeMount: {e}"),
                )));
            }
        }
        // `startContainer`: the container exists, then it is started. The start runs in the
        // background; `Started` (or `Failed`) is recorded once it is done
        // ([`Self::on_started`]).
        let now = self.clock.now();
        self.ctl.record_pod_event(
            pod,
            EventType::Normal,
            "Created",
            kubelet_events::created(container),
            "kubelet",
            now,
        );
        self.live.push(Live {
            pod: pod.to_string(),
            container: container.to_string(),
            restart,
            id: id.clone(),
            exited: false,
            logs_done: false,
            pending_exit: None,
            removed: false,
            network: self.scheduled_network(pod),
            image_id,
        });
        if restart > 0 {
            let who = self.who(pod, container);
            self.out
                .status(&format!("{who} restarted (restart {restart})"));
        }
        self.watch_container(id, true);
        Ok(None)
    }

    /// imagePullPolicy as the kubelet applies it (`pkg/kubelet/images/image_manager.go`).
    /// Returns the image's `imageID` as the kubelet reports it when ready, else a waiting
    /// input for the container.
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
        let present = match self.images_present.get(image) {
            Some(image_id) => Some(image_id.clone()),
            None => match self
                .unless_interrupted(self.engine.inspect_image(image))
                .await
            {
                None => return Ok(ImageReady::Interrupted),
                Some(Ok(found)) => found.map(|info| info.kubelet_image_id()),
                Some(Err(e)) if is_fatal(&e) => return Err(e.into()),
                Some(Err(_)) => None,
            },
        };
        if let Some(image_id) = &present {
            self.images_present
                .insert(image.to_string(), image_id.clone());
        }
        let now = self.clock.now();
        let mut event = |reason: &str, message: String| {
            self.ctl
                .record_pod_event(pod, EventType::Normal, reason, message, "kubelet", now);
        };
        match (policy.as_str(), present) {
            ("Never", None) => {
                self.final_pull = Some(crate::job::pull::never_pull_advice(image));
                Ok(ImageReady::Waiting(waiting(
                    pod,
                    container,
                    "ErrImageNeverPull",
                    format!("Container image {image:?} is not present with pull policy of Never"),
                )))
            }
            ("IfNotPresent" | "Never", Some(image_id)) => {
                event("Pulled", kubelet_events::already_present(image));
                Ok(ImageReady::Ready(image_id))
            }
            (_, present) => {
                event("Pulling", kubelet_events::pulling(image));
                let auth = self.pull_auth(pod, image);
                let started = tokio::time::Instant::now();
                let pull = self.engine.pull_image_with(image, auth);
                let Some(pulled) = self.unless_interrupted(pull).await else {
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
                        let took = started.elapsed();
                        // What was pulled: its size for the event, its ID for the status.
                        let info = match self
                            .unless_interrupted(self.engine.inspect_image(image))
                            .await
                        {
                            Some(Ok(info)) => info,
                            Some(Err(e)) if is_fatal(&e) => return Err(e.into()),
                            _ => None,
                        };
                        let image_id = info.as_ref().and_then(|i| i.kubelet_image_id());
                        let size = info.as_ref().map_or(0, |i| i.size);
                        self.images_present
                            .insert(image.to_string(), image_id.clone());
                        let now = self.clock.now();
                        self.ctl.record_pod_event(
                            pod,
                            EventType::Normal,
                            "Pulled",
                            kubelet_events::pulled(image, took, size),
                            "kubelet",
                            now,
                        );
                        Ok(ImageReady::Ready(image_id))
                    }
                    Err(e) if is_fatal(&e) => Err(e.into()),
                    Err(e) => {
                        // Final as well when the image is there (pull policy Always): the
                        // kubelet pulls again on every try and never uses the local copy,
                        // so waiting would keep a foreground run in ImagePullBackOff.
                        self.final_pull = crate::job::pull::classify(&e).map(|failure| {
                            if present.is_some() {
                                crate::job::pull::always_pull_advice(&failure, image)
                            } else {
                                crate::job::pull::advice(&failure, image)
                            }
                        });
                        let hint = if policy == "Always" && present.is_some() {
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
    pub(super) async fn unless_interrupted<T>(
        &self,
        work: impl std::future::Future<Output = T>,
    ) -> Option<T> {
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
    /// Present (or pulled just now), with its `imageID` when the engine told it.
    Ready(Option<String>),
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
