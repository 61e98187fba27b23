//! [`StoreRecorder`]: a [`RunOutput`] that forwards everything to another output and saves the
//! Job's status, pods and events to the store after each controller step, so `get`,
//! `describe` and `logs` see a Job while it runs.

use std::collections::{BTreeMap, HashMap};

use k8s_openapi::api::batch::v1::{Job, JobStatus};
use k8s_openapi::jiff::Timestamp;

use crate::engine::{LogStream, PodNetwork};
use crate::job::controller::{Input, JobEvent, PodRecord};
use crate::job::driver::{Progress, ReplayStep, RunContainer, RunOutput, Snapshot};

use super::events::{EventKey, EventRows};
use super::inputs::{append_inputs_in, start_input_log_in};
use super::pods::{PodAttempt, SnapshotRows};
use super::Store;

/// Persists a running Job; writes only when something changed.
pub struct StoreRecorder<'a, O: RunOutput> {
    store: Store,
    inner: &'a mut O,
    pending_events: Vec<JobEvent>,
    pending_inputs: Vec<(ReplayStep, Timestamp)>,
    started: Option<(Timestamp, u64)>,
    /// Each pod's row as last saved, by its place in [`Snapshot::pods`] (which only grows,
    /// oldest first; see [`RunOutput::snapshot`]).
    saved_pods: Vec<Option<PodAttempt>>,
    /// Which containers belong to which pod: indexes into [`Snapshot::containers`], by the
    /// pod's place in [`Snapshot::pods`], kept up to date as both lists grow.
    pod_containers: PodContainers,
    /// The Job status as last saved.
    saved_status: Option<JobStatus>,
    /// The events saved, to aggregate identical ones ([`EventRows`]).
    stored_events: EventRows,
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
            saved_pods: Vec::new(),
            pod_containers: PodContainers::default(),
            saved_status: None,
            stored_events: EventRows::default(),
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

/// Each pod's containers, in creation order, as indexes into [`Snapshot::containers`] by the
/// pod's place in [`Snapshot::pods`]. Both lists only grow, so each snapshot looks at its new
/// pods and containers only: regrouping every container by pod name at every snapshot (a
/// hash per container and per pod, after every engine event) was a tenth of a run's CPU.
#[derive(Default)]
struct PodContainers {
    /// By pod place: the pod's containers.
    of_pod: Vec<Vec<usize>>,
    /// Pod name → place, for placing new containers.
    place: HashMap<String, usize>,
    /// Containers placed so far (a prefix of [`Snapshot::containers`]).
    placed: usize,
}

impl PodContainers {
    /// Takes in the pods and containers added since the last call.
    fn sync(&mut self, snapshot: &Snapshot<'_>) {
        for (i, pod) in snapshot.pods.iter().enumerate().skip(self.of_pod.len()) {
            self.place.insert(pod.name.clone(), i);
            self.of_pod.push(Vec::new());
        }
        for (i, c) in snapshot.containers.iter().enumerate().skip(self.placed) {
            // Containers are made for pods the controller created, which come first.
            if let Some(&pod) = self.place.get(&c.pod) {
                self.of_pod[pod].push(i);
            }
        }
        self.placed = snapshot.containers.len();
    }

    /// The containers of the pod at `place`, oldest first.
    fn of<'s>(&self, place: usize, snapshot: &Snapshot<'s>) -> Vec<&'s RunContainer> {
        self.of_pod
            .get(place)
            .map(|indexes| indexes.iter().map(|&i| &snapshot.containers[i]).collect())
            .unwrap_or_default()
    }

    /// Whether the pod at `place` has exactly the containers `saved` lists, in order.
    fn same(&self, place: usize, snapshot: &Snapshot<'_>, saved: &PodAttempt) -> bool {
        let indexes = self.of_pod.get(place).map_or(&[][..], Vec::as_slice);
        saved.containers.len() == indexes.len()
            && saved
                .containers
                .iter()
                .zip(indexes)
                .all(|((name, restart, id), &i)| {
                    let c = &snapshot.containers[i];
                    *name == c.container && *restart == c.restart && *id == c.id
                })
    }
}

/// The pod's address: its newest container that has one (a pod's containers share one).
fn newest_network<'c>(mine: &[&'c RunContainer]) -> Option<&'c PodNetwork> {
    mine.iter().rev().find_map(|c| c.network.as_ref())
}

/// The current attempt of a pod: its restarts so far and its engine containers (`mine`).
fn attempt(record: &PodRecord, mine: &[&RunContainer]) -> PodAttempt {
    let containers: Vec<(String, u32, String)> = mine
        .iter()
        .map(|c| (c.container.clone(), c.restart, c.id.clone()))
        .collect();
    // Each container's newest restart number, added up: counted from the containers
    // created, so a restart's row exists as soon as its container does.
    let mut newest: BTreeMap<&str, u32> = BTreeMap::new();
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
        image_ids: image_ids(mine).collect(),
        network: newest_network(mine).cloned(),
    }
}

/// Whether `saved` is what [`image_ids`] makes of `mine`, without building it (this runs for
/// every pod at every step).
fn same_image_ids(saved: &BTreeMap<String, String>, mine: &[&RunContainer]) -> bool {
    let mut matched = 0;
    for (i, c) in mine.iter().enumerate() {
        let Some(id) = &c.image_id else { continue };
        let newer = mine[i + 1..]
            .iter()
            .any(|n| n.container == c.container && n.image_id.is_some());
        if newer {
            continue;
        }
        if saved.get(&c.container) != Some(id) {
            return false;
        }
        matched += 1;
    }
    matched == saved.len()
}

/// Each container's image ID: its newest run's that has one (runs come oldest first).
fn image_ids<'c>(mine: &'c [&'c RunContainer]) -> impl Iterator<Item = (String, String)> + 'c {
    mine.iter()
        .filter_map(|c| Some((c.container.clone(), c.image_id.clone()?)))
}

/// Whether `saved` is what [`attempt`] makes of the pod at `place` (every field of an
/// attempt follows from its record and containers), compared in place without collecting
/// the containers: most pods do not change in a step.
fn is_saved(
    saved: &PodAttempt,
    record: &PodRecord,
    place: usize,
    containers: &PodContainers,
    snapshot: &Snapshot<'_>,
) -> bool {
    if saved.record != *record || !containers.same(place, snapshot, saved) {
        return false;
    }
    let mine = containers.of(place, snapshot);
    saved.network.as_ref() == newest_network(&mine) && same_image_ids(&saved.image_ids, &mine)
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
        // The stored Pod objects are made from the Job (labels, owner, template): with a new
        // Job, the next snapshot writes them all again.
        self.saved_pods.clear();
        self.saved_status = None;
        self.pending_inputs
            .push((ReplayStep::Spec(Box::new(job.clone())), at));
        self.inner.controller_spec_update(job, at);
    }

    fn snapshot(&mut self, snapshot: &Snapshot<'_>) {
        // Only the pods that changed since the last save are written: rewriting every pod
        // (its whole Pod object as JSON) after every step made a Job's store work grow with
        // the square of its pods (issue 17; docs/performance.md).
        self.pod_containers.sync(snapshot);
        let containers = &self.pod_containers;
        let (places, changed): (Vec<usize>, Vec<PodAttempt>) = snapshot
            .pods
            .iter()
            .enumerate()
            .filter_map(|(place, record)| {
                match self.saved_pods.get(place).and_then(Option::as_ref) {
                    Some(saved) if is_saved(saved, record, place, containers, snapshot) => None,
                    _ => Some((place, attempt(record, &containers.of(place, snapshot)))),
                }
            })
            .collect();
        let state_changed = !changed.is_empty()
            || self.saved_status.as_ref() != Some(snapshot.status)
            || !self.pending_events.is_empty();
        if !state_changed && self.started.is_none() && self.pending_inputs.is_empty() {
            // Everything shown is saved.
            self.failure = None;
            return;
        }
        let uid = snapshot.job.metadata.uid.clone().unwrap_or_default();
        let events = std::mem::take(&mut self.pending_events);
        let changes = state_changed.then_some(StepChanges {
            job: snapshot.job,
            status: snapshot.status,
            pods: &changed,
            events: &events,
            stored_events: &self.stored_events,
        });
        // The start and inputs are kept until written: inputs logged without the start would
        // be dropped by the start that a later write makes, and a state saved without its
        // inputs would be replayed short.
        match self
            .store
            .save_step(&uid, self.started, &self.pending_inputs, changes)
        {
            Ok(added) => {
                self.stored_events.keep(added);
                self.started = None;
                self.pending_inputs.clear();
                if state_changed {
                    self.saved_status = Some(snapshot.status.clone());
                    for (place, a) in places.into_iter().zip(changed) {
                        if self.saved_pods.len() <= place {
                            self.saved_pods.resize(place + 1, None);
                        }
                        self.saved_pods[place] = Some(a);
                    }
                }
                self.failure = None;
            }
            Err(e) => {
                self.pending_events = events;
                self.failed(e);
            }
        }
        if state_changed {
            self.inner.snapshot(snapshot);
        }
    }
}

/// What a controller step changed, for [`Store::save_step`].
struct StepChanges<'a> {
    job: &'a Job,
    status: &'a JobStatus,
    /// The pods whose rows changed.
    pods: &'a [PodAttempt],
    /// Events recorded since the last save.
    events: &'a [JobEvent],
    /// The events this recorder stored before.
    stored_events: &'a EventRows,
}

impl Store {
    /// Saves a controller step in one transaction: the controller's start (`started`, which
    /// drops any older input log), its new inputs, then what the step changed. One
    /// transaction rather than one for the inputs and one for the state: every commit costs
    /// its locks and WAL frames, and a step is committed after every engine event.
    fn save_step(
        &mut self,
        job_uid: &str,
        started: Option<(Timestamp, u64)>,
        inputs: &[(ReplayStep, Timestamp)],
        changes: Option<StepChanges<'_>>,
    ) -> Result<Vec<(EventKey, i64)>, super::StoreError> {
        let rows = changes.as_ref().map(|c| {
            (
                SnapshotRows::new(c.job, c.status, c.pods),
                c.events,
                c.stored_events,
            )
        });
        self.write(|tx| {
            if let Some((at, seed)) = started {
                start_input_log_in(tx, job_uid, at, seed)?;
            }
            append_inputs_in(tx, job_uid, inputs)?;
            let mut added = Vec::new();
            if let Some((rows, events, stored)) = &rows {
                rows.save(tx, events, Some((stored, &mut added)))?;
            }
            Ok(added)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(container: &str, restart: u32, image_id: Option<&str>) -> RunContainer {
        RunContainer {
            pod: "p".into(),
            container: container.into(),
            restart,
            id: format!("{container}-{restart}"),
            removed: false,
            network: None,
            image_id: image_id.map(String::from),
        }
    }

    /// The in-place comparison agrees with the map the store keeps, for every shape of runs.
    #[test]
    fn same_image_ids_agrees_with_image_ids() {
        let cases = [
            vec![],
            vec![run("a", 0, Some("x"))],
            vec![run("a", 0, Some("x")), run("a", 1, Some("y"))],
            vec![run("a", 0, Some("x")), run("a", 1, None)],
            vec![run("a", 0, None), run("b", 0, Some("z"))],
        ];
        for (i, runs) in cases.iter().enumerate() {
            let mine: Vec<&RunContainer> = runs.iter().collect();
            let kept: BTreeMap<String, String> = image_ids(&mine).collect();
            assert!(same_image_ids(&kept, &mine), "case {i}");
            for (j, other) in cases.iter().enumerate().filter(|(j, _)| *j != i) {
                let theirs: Vec<&RunContainer> = other.iter().collect();
                let differs = kept != image_ids(&theirs).collect::<BTreeMap<_, _>>();
                assert_eq!(
                    same_image_ids(&kept, &theirs),
                    !differs,
                    "case {i} against {j}"
                );
            }
        }
    }
}
