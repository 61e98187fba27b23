//! [`StoreRecorder`]: a [`RunOutput`] that forwards everything to another output and saves the
//! Job's status, pods and events to the store after each controller step, so `get`,
//! `describe` and `logs` see a Job while it runs.

use crate::engine::LogStream;
use crate::job::controller::JobEvent;
use crate::job::driver::{Progress, RunOutput, Snapshot};

use super::pods::PodAttempt;
use super::Store;

/// Persists a running Job; writes only when something changed.
pub struct StoreRecorder<'a, O: RunOutput> {
    store: Store,
    inner: &'a mut O,
    pending_events: Vec<JobEvent>,
    last_written: String,
    warned: bool,
}

impl<'a, O: RunOutput> StoreRecorder<'a, O> {
    /// Records into `store`, forwarding to `inner`.
    pub fn new(store: Store, inner: &'a mut O) -> Self {
        Self {
            store,
            inner,
            pending_events: Vec::new(),
            last_written: String::new(),
            warned: false,
        }
    }
}

/// The current attempt of each pod: its newest container (restart number and ID).
fn attempts(snapshot: &Snapshot<'_>) -> Vec<PodAttempt> {
    snapshot
        .pods
        .iter()
        .map(|record| {
            let newest = snapshot
                .containers
                .iter()
                .filter(|c| c.pod == record.name)
                .max_by_key(|c| c.restart);
            PodAttempt {
                record: record.clone(),
                attempt: newest.map_or(0, |c| c.restart),
                container_id: newest.map(|c| c.id.clone()),
            }
        })
        .collect()
}

impl<O: RunOutput> RunOutput for StoreRecorder<'_, O> {
    fn pod_log(&mut self, pod: &str, stream: LogStream, line: &[u8]) {
        self.inner.pod_log(pod, stream, line);
    }

    fn status(&mut self, line: &str) {
        self.inner.status(line);
    }

    fn progress(&mut self, progress: &Progress) {
        self.inner.progress(progress);
    }

    fn event(&mut self, event: &JobEvent) {
        self.pending_events.push(event.clone());
        self.inner.event(event);
    }

    fn snapshot(&mut self, snapshot: &Snapshot<'_>) {
        let attempts = attempts(snapshot);
        // Change detection only; never shown.
        let fingerprint = format!("{:?}{attempts:?}", snapshot.status);
        if fingerprint == self.last_written && self.pending_events.is_empty() {
            return;
        }
        let events = std::mem::take(&mut self.pending_events);
        match self
            .store
            .save_snapshot(snapshot.job, snapshot.status, &attempts, &events)
        {
            Ok(()) => self.last_written = fingerprint,
            Err(e) => {
                self.pending_events = events;
                if !self.warned {
                    self.warned = true;
                    self.inner
                        .status(&format!("warning: saving the Job's state: {e}"));
                }
            }
        }
        self.inner.snapshot(snapshot);
    }
}
