//! What a run shows: status lines for pod creations, waits and ends, progress, the final
//! condition, and the end-of-run cleanup (`--rm`, `ttlSecondsAfterFinished: 0`).

use std::time::Duration;

use futures_util::stream::StreamExt;

use super::{Driver, JobRun, Progress, RunContainer, RunOutput, LOG_DRAIN_WAIT};
use crate::engine::{ContainerExit, PodRuntime};
use crate::job::controller::{time, JobEvent, JobOutcome, OutcomeKind};

impl<E: PodRuntime, O: RunOutput> Driver<'_, E, O> {
    /// Forwards new events and prints the status lines worth showing.
    pub(super) fn report(&mut self) {
        let events: Vec<JobEvent> = self.ctl.events()[self.events_seen..].to_vec();
        self.events_seen = self.ctl.events().len();
        for event in &events {
            self.out.event(event);
            match (event.object_kind, event.reason.as_str()) {
                ("Job", "SuccessfulCreate") => {
                    let pod = event.message.trim_start_matches("Created pod: ");
                    self.out.status(&format!("pod/{pod} created"));
                }
                ("Pod", "ErrImageNeverPull" | "ErrImagePull" | "CreateContainerError") => {
                    self.out.status(&format!(
                        "pod/{} {}: {}",
                        event.object_name, event.reason, event.message
                    ));
                }
                _ => {}
            }
        }
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
    }

    pub(super) fn pod_end_line(&mut self, pod: &str, exit: &ContainerExit) {
        let reason = crate::job::pod::exit_reason(exit);
        let mut line = match reason {
            "Completed" => format!("pod/{pod} Completed"),
            "StartError" => format!(
                "pod/{pod} StartError: {}",
                exit.error.as_deref().unwrap_or("")
            ),
            _ => format!("pod/{pod} {reason} (exit code {})", exit.code),
        };
        let now = self.clock.now();
        if let Some(record) = self.ctl.pod(pod) {
            if let Some(due) = record.retry_due.filter(|_| !record.phase.is_terminal()) {
                line.push_str(&format!(
                    "; restarting in {} (CrashLoopBackOff)",
                    human_secs(time::since(due, now))
                ));
            }
        }
        if let Some(due) = self.ctl.creation_due().filter(|d| *d > now) {
            line.push_str(&format!(
                "; next pod in {} (backoff)",
                human_secs(time::since(due, now))
            ));
        }
        self.out.status(&line);
    }

    pub(super) async fn finish(mut self, outcome: JobOutcome) -> JobRun {
        // Let followed log streams end so the last lines are printed.
        let drain = async {
            while let Some((id, item)) = self.logs.next().await {
                self.on_log(&id, item);
            }
        };
        let _ = tokio::time::timeout(LOG_DRAIN_WAIT, drain).await;
        self.report();
        let name = self.ctl.job().metadata.name.clone().unwrap_or_default();
        let condition = match outcome.kind {
            OutcomeKind::Complete => "Complete",
            OutcomeKind::Failed => "Failed",
            OutcomeKind::Interrupted => "Interrupted",
            OutcomeKind::Suspended => "Suspended",
        };
        if outcome.kind != OutcomeKind::Suspended {
            self.out.status(&format!(
                "job.batch/{name} {condition}: {}: {}",
                outcome.reason, outcome.message
            ));
        }
        let ttl_due = self.ctl.ttl_expiry().is_some_and(|t| t <= self.clock.now());
        if self.opts.rm || ttl_due {
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
            let why = if self.opts.rm {
                "--rm"
            } else {
                "ttlSecondsAfterFinished"
            };
            self.out
                .status(&format!("removed {removed} container(s) ({why})"));
        }
        let mut job = self.ctl.job().clone();
        job.status = Some(self.ctl.status());
        JobRun {
            outcome,
            job,
            events: self.ctl.events().to_vec(),
            pods: self.ctl.pods().to_vec(),
            ttl_expires_at: self.ctl.ttl_expiry(),
            containers: self
                .live
                .iter()
                .map(|c| RunContainer {
                    pod: c.pod.clone(),
                    restart: c.restart,
                    id: c.id.clone(),
                    removed: c.removed,
                })
                .collect(),
        }
    }
}

/// `10s`, `1m30s`, `250ms` for short waits.
fn human_secs(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        return format!("{ms}ms");
    }
    let s = d.as_secs() + u64::from(d.subsec_millis() >= 500);
    match (s / 60, s % 60) {
        (0, s) => format!("{s}s"),
        (m, 0) => format!("{m}m"),
        (m, s) => format!("{m}m{s}s"),
    }
}
