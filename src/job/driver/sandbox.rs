//! Sandboxes of pods with several containers or data volumes (which they hold on tmpfs): created before the pod's first container
//! (the kubelet's `RunPodSandbox`), joined by every container of the pod, restarts included,
//! and stopped once the pod has ended (`StopPodSandbox`), so `localhost` and the hostname are
//! the pod's whichever of its containers come and go.

use std::time::Duration;

use futures_util::StreamExt;

use super::{is_fatal, Driver, DriverError, RunOutput, Sandbox};
use crate::engine::PodRuntime;
use crate::job::controller::PodRecord;
use crate::job::pod::{needs_sandbox, sandbox_spec, PodIdentity};

/// How long the end of an interrupted run waits for creates it stopped waiting for.
const ABANDONED_WAIT: Duration = Duration::from_secs(3);

/// A pod's sandbox, once asked for.
pub(super) enum Staged {
    /// Running, with this container ID.
    Ready(String),
    /// Ctrl-C came while it was created: the main loop handles it next.
    Interrupted,
}

impl<E: PodRuntime, O: RunOutput> Driver<'_, E, O> {
    /// The running sandbox of `pod` (created now if needed), `Ok(None)` for a pod with one
    /// container, or the reason it could not be created.
    pub(super) async fn ensure_sandbox(
        &mut self,
        pod: &PodRecord,
    ) -> Result<Result<Option<Staged>, String>, DriverError> {
        if !needs_sandbox(self.ctl.job()) {
            return Ok(Ok(None));
        }
        if let Some(s) = self.sandboxes.iter_mut().find(|s| s.pod == pod.name) {
            if s.stopped && !pod.phase.is_terminal() {
                // Found stopped at a resume (the engine restarted): containers cannot join a
                // sandbox that does not run, so it runs again.
                if let Err(e) = self.engine.start_container(&s.id).await {
                    return Ok(Err(format!("failed to restart pod sandbox: {e}")));
                }
                s.stopped = false;
            }
            return Ok(Ok(Some(Staged::Ready(s.id.clone()))));
        }
        if let Some(i) = self
            .adoptable
            .iter()
            .position(|(p, c, _, _, _)| *p == pod.name && c.is_empty())
        {
            let (_, _, _, id, _) = self.adoptable.remove(i);
            self.adopt_sandbox(pod.name.clone(), id.clone(), false);
            return Ok(Ok(Some(Staged::Ready(id))));
        }
        let identity = PodIdentity {
            name: pod.name.clone(),
            uid: pod.uid.clone(),
            index: pod.index,
            container: String::new(),
            restart: 0,
        };
        let spec = sandbox_spec(self.ctl.job(), &identity);
        let engine = self.engine;
        let created = Box::pin(async move { ((), engine.create_sandbox(&spec).await) });
        let Some(((), created)) = self.unless_interrupted_keep(created).await else {
            return Ok(Ok(Some(Staged::Interrupted)));
        };
        match created {
            Ok(id) => {
                self.adopt_sandbox(pod.name.clone(), id.clone(), false);
                Ok(Ok(Some(Staged::Ready(id))))
            }
            Err(e) if is_fatal(&e) => Err(e.into()),
            Err(e) => Ok(Err(format!("failed to create pod sandbox: {e}"))),
        }
    }

    /// Remembers a pod's sandbox (`stopped`: found not running at a resume).
    pub(super) fn adopt_sandbox(&mut self, pod: String, id: String, stopped: bool) {
        self.sandboxes.push(Sandbox {
            pod,
            id,
            stopped,
            removed: false,
        });
    }

    /// Stops the sandboxes of pods that have ended: no container of theirs will run again.
    pub(super) fn reap_sandboxes(&mut self) {
        let engine = self.engine;
        for sandbox in &mut self.sandboxes {
            let ended = self
                .ctl
                .pod(&sandbox.pod)
                .is_none_or(|p| p.phase.is_terminal());
            if sandbox.stopped || !ended {
                continue;
            }
            sandbox.stopped = true;
            let id = sandbox.id.clone();
            self.stops.push(Box::pin(async move {
                // It only holds namespaces: nothing to end gracefully.
                let r = engine.stop_container(&id, Duration::ZERO).await;
                (id, r)
            }));
        }
    }

    /// Removes the containers and sandboxes whose create was interrupted by Ctrl-C and
    /// that the engine made anyway: they never ran. An engine that does not answer within
    /// a few seconds leaves them (with a warning naming the Job's label to find them).
    pub(super) async fn remove_abandoned(&mut self) {
        if self.abandoned.is_empty() {
            return;
        }
        let mut made = Vec::new();
        let finished = async {
            while let Some(id) = self.abandoned.next().await {
                made.extend(id);
            }
        };
        let timed_out = tokio::time::timeout(ABANDONED_WAIT, finished)
            .await
            .is_err();
        let engine = self.engine;
        for id in made {
            if let Err(e) = engine.remove_container(&id).await {
                self.out
                    .status(&format!("warning: removing container {id}: {e}"));
            }
        }
        if timed_out {
            let uid = self.ctl.job().metadata.uid.clone().unwrap_or_default();
            self.out.status(&format!(
                "warning: the engine did not finish creating a container after the interrupt; \
                 if it does, it is left created but not started (label controller-uid={uid})"
            ));
        }
    }

    /// Removes every sandbox (`--rm`, ttlSecondsAfterFinished); returns how many went.
    pub(super) async fn remove_sandboxes(&mut self) -> usize {
        let mut removed = 0;
        for sandbox in &mut self.sandboxes {
            match self.engine.remove_container(&sandbox.id).await {
                Ok(()) => {
                    sandbox.removed = true;
                    removed += 1;
                }
                Err(e) => self.out.status(&format!(
                    "warning: removing pod sandbox {}: {e}",
                    sandbox.id
                )),
            }
        }
        removed
    }
}
