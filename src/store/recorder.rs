//! [`StoreRecorder`]: a [`RunOutput`] that forwards everything to another output and saves the
//! Job's status, pods and events to the store after each controller step, so `get`,
//! `describe` and `logs` see a Job while it runs.

use k8s_openapi::jiff::Timestamp;

use crate::engine::LogStream;
use crate::job::controller::{Input, JobEvent};
use crate::job::driver::{Progress, ReplayStep, RunOutput, Snapshot};
use k8s_openapi::api::batch::v1::Job;

use super::pods::PodAttempt;
use super::Store;

/// Persists a running Job; writes only when something changed.
pub struct StoreRecorder<'a, O: RunOutput> {
    store: Store,
    inner: &'a mut O,
    pending_events: Vec<JobEvent>,
    pending_inputs: Vec<(ReplayStep, Timestamp)>,
    started: Option<(Timestamp, u64)>,
    last_written: String,
    /// The last write's failure, while no later write has succeeded.
    failure: Option<super::StoreError>,
    warned: bool,
}

impl<'a, O: RunOutput> StoreRecorder<'a, O> {
    /// Records into `store`, forwarding to `inner`.
    pub fn new(store: Store, inner: &'a mut O) -> Self {
        Self {
            store,
            inner,
            pending_events: Vec::new(),
            pending_inputs: Vec::new(),
            started: None,
            last_written: String::new(),
            failure: None,
            warned: false,
        }
    }

    /// Why the store lacks part of the run: the last write's error when no write succeeded
    /// after it. `None` when everything shown was saved.
    pub fn unsaved(&self) -> Option<&super::StoreError> {
        self.failure.as_ref()
    }

    /// [`StoreRecorder::unsaved`], by value.
    pub fn into_unsaved(self) -> Option<super::StoreError> {
        self.failure
    }
}

impl<O: RunOutput> StoreRecorder<'_, O> {
    /// Says the first failure once (the run goes on: its pods are not the store's) and keeps
    /// the latest for [`StoreRecorder::unsaved`].
    fn failed(&mut self, e: super::StoreError) {
        if !self.warned {
            self.warned = true;
            self.inner.status(&format!(
                "warning: the Job's state cannot be saved (the run goes on): {e}"
            ));
        }
        self.failure = Some(e);
    }
}

/// The engine containers of `pod`, oldest first.
fn pod_containers<'s>(
    snapshot: &'s Snapshot<'_>,
    pod: &'s str,
) -> impl Iterator<Item = &'s crate::job::driver::RunContainer> + 's {
    snapshot.containers.iter().filter(move |c| c.pod == pod)
}

/// The current attempt of each pod: its restarts so far and its engine containers.
fn attempts(snapshot: &Snapshot<'_>) -> Vec<PodAttempt> {
    snapshot
        .pods
        .iter()
        .map(|record| {
            let mine = snapshot.containers.iter().filter(|c| c.pod == record.name);
            let containers: Vec<(String, u32, String)> = mine
                .map(|c| (c.container.clone(), c.restart, c.id.clone()))
                .collect();
            // Each container's newest restart number, added up: counted from the containers
            // created, so a restart's row exists as soon as its container does.
            let mut newest: std::collections::BTreeMap<&str, u32> = Default::default();
            for (name, restart, _) in &containers {
                let n = newest.entry(name.as_str()).or_default();
                *n = (*n).max(*restart);
            }
            let attempt = newest.values().sum::<u32>().max(record.restart_count());
            PodAttempt {
                record: record.clone(),
                attempt,
                container_id: containers.last().map(|(_, _, id)| id.clone()),
                containers,
                // Each container's newest run that has one.
                image_ids: pod_containers(snapshot, &record.name)
                    .filter_map(|c| Some((c.container.clone(), c.image_id.clone()?)))
                    .collect(),
                // The pod's address: its newest container that has one (a pod's containers
                // share one).
                network: snapshot
                    .containers
                    .iter()
                    .rev()
                    .filter(|c| c.pod == record.name)
                    .find_map(|c| c.network.clone()),
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

    fn keep_containers(&self) -> bool {
        self.failure.is_some()
    }

    fn progress(&mut self, progress: &Progress) {
        self.inner.progress(progress);
    }

    fn event(&mut self, event: &JobEvent) {
        self.pending_events.push(event.clone());
        self.inner.event(event);
    }

    fn controller_started(&mut self, at: Timestamp, seed: u64) {
        self.started = Some((at, seed));
        self.inner.controller_started(at, seed);
    }

    fn controller_input(&mut self, input: &Input, at: Timestamp) {
        self.pending_inputs
            .push((ReplayStep::Input(input.clone()), at));
        self.inner.controller_input(input, at);
    }

    fn controller_spec_update(&mut self, job: &Job, at: Timestamp) {
        self.pending_inputs
            .push((ReplayStep::Spec(Box::new(job.clone())), at));
        self.inner.controller_spec_update(job, at);
    }

    fn snapshot(&mut self, snapshot: &Snapshot<'_>) {
        // The input log first: a state saved without its inputs would be replayed short.
        let uid = snapshot.job.metadata.uid.clone().unwrap_or_default();
        // The start is kept until it is written: inputs logged without it would be dropped
        // by the start that a later snapshot writes.
        let logged = match self.started {
            Some((at, seed)) => self.store.start_input_log(&uid, at, seed),
            None => Ok(()),
        }
        .and_then(|()| {
            self.started = None;
            self.store.append_inputs(&uid, &self.pending_inputs)
        });
        let logged = match logged {
            Ok(()) => {
                self.pending_inputs.clear();
                true
            }
            Err(e) => {
                self.failed(e);
                false
            }
        };
        let attempts = attempts(snapshot);
        // Change detection only; never shown.
        let fingerprint = format!("{:?}{attempts:?}", snapshot.status);
        if fingerprint == self.last_written && self.pending_events.is_empty() {
            if logged {
                self.failure = None;
            }
            return;
        }
        let events = std::mem::take(&mut self.pending_events);
        match self
            .store
            .save_snapshot(snapshot.job, snapshot.status, &attempts, &events)
        {
            Ok(()) => {
                self.last_written = fingerprint;
                if logged {
                    self.failure = None;
                }
            }
            Err(e) => {
                self.pending_events = events;
                self.failed(e);
            }
        }
        self.inner.snapshot(snapshot);
    }
}
