//! Sandboxes of pods with several containers: created before the pod's first container
//! (the kubelet's `RunPodSandbox`), joined by every container of the pod, restarts included,
//! and stopped once the pod has ended (`StopPodSandbox`), so `localhost` and the hostname are
//! the pod's whichever of its containers come and go.

use std::time::Duration;

use super::{is_fatal, Driver, DriverError, RunOutput, Sandbox};
use crate::engine::PodRuntime;
use crate::job::controller::PodRecord;
use crate::job::pod::{has_sandbox, sandbox_spec, PodIdentity};

impl<E: PodRuntime, O: RunOutput> Driver<'_, E, O> {
    /// The running sandbox of `pod` (created now if needed), `Ok(None)` for a pod with one
    /// container, or the reason it could not be created.
    pub(super) async fn ensure_sandbox(
        &mut self,
        pod: &PodRecord,
    ) -> Result<Result<Option<String>, String>, DriverError> {
        if !has_sandbox(self.ctl.job()) {
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
            return Ok(Ok(Some(s.id.clone())));
        }
        if let Some(i) = self
            .adoptable
            .iter()
            .position(|(p, c, _, _)| *p == pod.name && c.is_empty())
        {
            let (_, _, _, id) = self.adoptable.remove(i);
            self.adopt_sandbox(pod.name.clone(), id.clone(), false);
            return Ok(Ok(Some(id)));
        }
        let identity = PodIdentity {
            name: pod.name.clone(),
            uid: pod.uid.clone(),
            index: pod.index,
            container: String::new(),
            restart: 0,
        };
        let spec = sandbox_spec(self.ctl.job(), &identity);
        match self.engine.create_sandbox(&spec).await {
            Ok(id) => {
                self.adopt_sandbox(pod.name.clone(), id.clone(), false);
                Ok(Ok(Some(id)))
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
