//! What a run shows: status lines for pod creations, waits and ends, progress, the final
//! condition, and the end-of-run cleanup (`--rm`, `ttlSecondsAfterFinished: 0`).

use std::time::Duration;

use futures_util::stream::StreamExt;

use super::{
    Driver, JobRun, Progress, RunContainer, RunOutput, Snapshot, LOG_DRAIN_WAIT, SNAPSHOT_BATCH,
};
use crate::engine::{ContainerExit, PodRuntime};
use crate::job::controller::{time, JobEvent, JobOutcome, OutcomeKind};

impl<E: PodRuntime, O: RunOutput> Driver<'_, E, O> {
    /// Forwards new events and prints the status lines worth showing; the state is saved
    /// with the next batch ([`SNAPSHOT_BATCH`]).
    pub(super) fn report(&mut self) {
        self.report_and_save(false);
    }

    /// [`Self::report`], saving the state at once when `now`.
    pub(super) fn report_and_save(&mut self, now: bool) {
        self.reap_sandboxes();
        self.report_events();
        let status = self.ctl.status();
        let progress = Progress {
            succeeded: status.succeeded.unwrap_or(0),
            completions: self.ctl.job().spec.as_ref().and_then(|s| s.completions),
            active: status.active.unwrap_or(0),
            failed: status.failed.unwrap_or(0),
        };
        if self.last_progress != Some(progress) {
            self.last_progress = Some(progress);
            self.out.progress(&progress);
        }
        self.save_snapshot(&status, now);
    }

    /// Hands the state to the output (the store) when something may have changed: at once
    /// for the first state and when `now` (the run's end), else at most every
    /// [`SNAPSHOT_BATCH`], with a wake-up set for the rest.
    fn save_snapshot(&mut self, status: &k8s_openapi::api::batch::v1::JobStatus, now: bool) {
        if !self.unsaved && !now {
            return;
        }
        let at = tokio::time::Instant::now();
        if let Some(last) = self.last_snapshot.filter(|_| !now) {
            let due = last + SNAPSHOT_BATCH;
            if at < due {
                self.snapshot_due = Some(due);
                return;
            }
        }
        self.unsaved = false;
        self.last_snapshot = Some(at);
        self.snapshot_due = None;
        self.sync_reported_containers();
        self.out.snapshot(&Snapshot {
            job: self.ctl.job(),
            status,
            pods: self.ctl.pods(),
            containers: &self.reported_containers,
        });
    }

    /// Forwards the events not forwarded yet, with a `pod/NAME created` line for each pod the
    /// controller made. Called before a pod's containers are started too, so that the pod
    /// is announced before what happens to it (its `ErrImagePull`, …).
    pub(super) fn report_events(&mut self) {
        let events: Vec<JobEvent> = self.ctl.events()[self.events_seen..].to_vec();
        self.events_seen = self.ctl.events().len();
        for event in &events {
            self.out.event(event);
            if event.object_kind == "Job" && event.reason == "SuccessfulCreate" {
                let pod = event.message.trim_start_matches("Created pod: ");
                self.out.status(&format!("pod/{pod} created"));
            }
        }
    }

    /// Brings [`Driver::reported_containers`] up to date with `live`, copying only what
    /// changed: copying every container at every report cost pods² over a run. Only new
    /// containers, removals, addresses and image IDs change (pod, name, restart and ID never do).
    fn sync_reported_containers(&mut self) {
        let reported = &mut self.reported_containers;
        for (i, c) in self.live.iter().enumerate() {
            match reported.get_mut(i) {
                Some(r) => {
                    r.removed = c.removed;
                    if r.network != c.network {
                        r.network.clone_from(&c.network);
                    }
                    if r.image_id != c.image_id {
                        r.image_id.clone_from(&c.image_id);
                    }
                }
                None => reported.push(RunContainer {
                    pod: c.pod.clone(),
                    container: c.container.clone(),
                    restart: c.restart,
                    id: c.id.clone(),
                    removed: c.removed,
                    network: c.network.clone(),
                    image_id: c.image_id.clone(),
                }),
            }
        }
    }

    /// The status line of a container's exit; `pod_ended`: the pod ended with it (said on a
    /// line of its own when the pod has several containers).
    pub(super) fn pod_end_line(
        &mut self,
        pod: &str,
        container: &str,
        exit: &ContainerExit,
        pod_ended: bool,
    ) {
        let who = self.who(pod, container);
        let reason = crate::job::pod::exit_reason(exit);
        let mut line = match reason {
            "Completed" => format!("{who} Completed"),
            "StartError" => format!("{who} StartError: {}", exit.error.as_deref().unwrap_or("")),
            _ => format!("{who} {reason} (exit code {})", exit.code),
        };
        let now = self.clock.now();
        let multi = crate::job::pod::has_sandbox(self.ctl.job());
        let mut phase = None;
        if let Some(record) = self.ctl.pod(pod) {
            let due = record.container(container).and_then(|c| c.retry_due);
            if let Some(due) = due.filter(|_| !record.phase.is_terminal()) {
                line.push_str(&format!(
                    "; restarting in {} (CrashLoopBackOff)",
                    human_secs(time::since(due, now))
                ));
            }
            // With several containers, the pod ends with its last container.
            if multi && pod_ended {
                phase = Some(record.phase.as_str());
            }
        }
        if let Some(due) = self.ctl.creation_due().filter(|d| *d > now) {
            line.push_str(&format!(
                "; next pod in {} (backoff)",
                human_secs(time::since(due, now))
            ));
        }
        self.out.status(&line);
        if let Some(phase) = phase {
            self.out.status(&format!("pod/{pod} {phase}"));
        }
    }

    pub(super) async fn finish(mut self, outcome: JobOutcome) -> JobRun {
        // Let followed log streams end so the last lines are printed.
        let drain = async {
            while let Some((id, item)) = self.logs.next().await {
                self.on_log(&id, item);
            }
        };
        let _ = tokio::time::timeout(LOG_DRAIN_WAIT, drain).await;
        // The end is saved at once: the run returns next.
        self.report_and_save(true);
        // Stops still in flight: the sandboxes of the last pods (a zero grace period).
        let stops = async { while self.stops.next().await.is_some() {} };
        let _ = tokio::time::timeout(LOG_DRAIN_WAIT, stops).await;
        self.remove_abandoned().await;
        let name = self.ctl.job().metadata.name.clone().unwrap_or_default();
        match outcome.kind {
            OutcomeKind::Complete | OutcomeKind::Failed => {
                let condition = if outcome.kind == OutcomeKind::Complete {
                    "Complete"
                } else {
                    "Failed"
                };
                self.out.status(&format!(
                    "job.batch/{name} {condition}: {}: {}",
                    outcome.reason, outcome.message
                ));
            }
            OutcomeKind::Interrupted => {
                self.out.status(&format!(
                    "job.batch/{name} interrupted: {}",
                    outcome.message
                ));
            }
            OutcomeKind::Suspended => {}
        }
        let ttl_due = self.ctl.ttl_expiry().is_some_and(|t| t <= self.clock.now());
        if (self.opts.rm || ttl_due) && self.out.keep_containers() {
            self.out.status(
                "warning: the containers are kept: the state store lacks the end of the run, \
                 and they are what the next dockjob command records it from",
            );
        } else if self.opts.rm || ttl_due {
            let mut removed = 0;
            // Eight removals at a time: one after the other they added ~50 ms per pod to
            // the end of a 50-pod run (bench case b).
            let engine = self.engine;
            let results: Vec<_> =
                futures_util::stream::iter(self.live.iter().map(|c| c.id.clone()))
                    .map(|id| async move { engine.remove_container(&id).await })
                    .buffered(8)
                    .collect()
                    .await;
            for (c, result) in self.live.iter_mut().zip(results) {
                match result {
                    Ok(()) => {
                        c.removed = true;
                        removed += 1;
                    }
                    Err(e) => self
                        .out
                        .status(&format!("warning: removing container {}: {e}", c.id)),
                }
            }
            // After the containers that joined them.
            removed += self.remove_sandboxes().await;
            let why = if self.opts.rm {
                "--rm"
            } else {
                "ttlSecondsAfterFinished"
            };
            if removed > 0 {
                self.out
                    .status(&format!("removed {removed} container(s) ({why})"));
            }
        }
        let mut job = self.ctl.job().clone();
        job.status = Some(self.ctl.status());
        self.sync_reported_containers();
        JobRun {
            outcome,
            job,
            events: self.ctl.events().to_vec(),
            pods: self.ctl.pods().to_vec(),
            ttl_expires_at: self.ctl.ttl_expiry(),
            containers: std::mem::take(&mut self.reported_containers),
        }
    }
}

/// `10s`, `1m30s`, `250ms` for short waits.
fn human_secs(d: Duration) -> String {
    // Delays are measured from the exit, a few milliseconds back: 999ms reads as 1s.
    let ms = d.as_millis();
    if ms < 950 {
        return format!("{}ms", (ms + 5) / 10 * 10);
    }
    let s = d.as_secs() + u64::from(d.subsec_millis() >= 500);
    match (s / 60, s % 60) {
        (0, s) => format!("{s}s"),
        (m, 0) => format!("{m}m"),
        (m, s) => format!("{m}m{s}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::human_secs;
    use std::time::Duration;

    #[test]
    fn waits_read_naturally() {
        let ms = |n| human_secs(Duration::from_millis(n));
        assert_eq!(
            [
                ms(98),
                ms(999),
                ms(10_000),
                ms(19_996),
                ms(90_000),
                ms(600_000)
            ],
            ["100ms", "1s", "10s", "20s", "1m30s", "10m"]
        );
    }
}
