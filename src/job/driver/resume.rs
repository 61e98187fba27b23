//! Resuming a Job in a new process after its controller died: the controller is rebuilt by
//! replaying its recorded inputs (it is a deterministic state machine given its seed), then
//! the Job's containers are adopted by label (`batch.kubernetes.io/controller-uid`), so no
//! completion is lost or counted twice:
//! - a container whose exit was already applied stays as it is (counted per pod and
//!   container name, from the `io.dockjob.container` label);
//! - a pod's sandbox (`io.dockjob.sandbox`) is the pod's again;
//! - any other container is watched again (an exited one reports its exit at once);
//! - an action issued but not confirmed by an input before the crash is carried out now
//!   (a create whose container exists is confirmed instead of repeated).

use std::collections::HashMap;

use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::jiff::Timestamp;

use super::{Clock, Driver, DriverError, JobRun, Live, RunOptions, RunOutput};
use crate::engine::PodRuntime;
use crate::job::controller::{Action, Controller, ControllerConfig, Input};
use crate::job::defaults::LABEL_CONTROLLER_UID;
use crate::job::pod::{
    template_containers, LABEL_CONTAINER, LABEL_POD, LABEL_RESTART, LABEL_SANDBOX,
};

/// A controller's recorded history.
#[derive(Debug, Clone, PartialEq)]
pub struct Replay {
    /// When the controller was created.
    pub started: Timestamp,
    /// Its seed (pod names and UIDs).
    pub seed: u64,
    /// Every input and spec update applied, in order, with its time.
    pub inputs: Vec<(ReplayStep, Timestamp)>,
}

/// One recorded step of a controller.
#[derive(Debug, Clone, PartialEq)]
pub enum ReplayStep {
    /// An input ([`Controller::step`]).
    Input(Input),
    /// A spec update ([`Controller::update_spec`]).
    Spec(Box<Job>),
}

/// Actions as the resume tracks them: a new pod is one start per container.
fn expand(job: &Job, actions: Vec<Action>) -> Vec<Action> {
    actions
        .into_iter()
        .flat_map(|action| match action {
            Action::CreatePod { pod } => template_containers(job)
                .iter()
                .map(|c| Action::StartContainer {
                    pod: pod.clone(),
                    container: c.name.clone(),
                    restart: 0,
                })
                .collect(),
            other => vec![other],
        })
        .collect()
}

/// A recorded input's container name; inputs logged before pods had several containers say
/// `""`, meaning the first.
fn container_of(job: &Job, container: &str) -> String {
    match container {
        "" => template_containers(job)
            .first()
            .map(|c| c.name.clone())
            .unwrap_or_default(),
        name => name.to_string(),
    }
}

/// Marks the start an input confirms as done (stops are settled against the pods' phases
/// after the replay: one stop covers all of a pod's containers).
fn confirm(job: &Job, pending: &mut Vec<Action>, input: &Input) {
    let (pod, container) = match input {
        Input::ContainerStarted { pod, container }
        | Input::ContainerWaiting { pod, container, .. }
        // A start error is confirmed by its exit alone.
        | Input::ContainerExited { pod, container, .. } => (pod, container_of(job, container)),
        _ => return,
    };
    let started = |a: &Action| matches!(a, Action::StartContainer { pod: p, container: c, .. } if p == pod && *c == container);
    if let Some(i) = pending.iter().position(started) {
        pending.remove(i);
    }
}

/// Continues a Job whose controller stopped (killed, or the engine restarted): replays
/// `replay`, adopts the Job's containers and pod sandboxes, and runs until the Job ends as
/// [`super::run_foreground`] does. Replayed events are not reported again.
pub async fn resume_foreground<E: PodRuntime>(
    engine: &E,
    job: Job,
    opts: RunOptions,
    replay: Replay,
    spec_updates: Option<tokio::sync::watch::Receiver<Option<Job>>>,
    out: &mut impl RunOutput,
) -> Result<JobRun, DriverError> {
    let uid = job.metadata.uid.clone().unwrap_or_default();
    let config = ControllerConfig {
        backoff_scale: opts.backoff_scale,
        seed: replay.seed,
    };
    let template = job.clone();
    let (mut ctl, first) = Controller::new(job, config, replay.started);
    let mut pending = expand(&template, first);
    let mut exits_applied: HashMap<(String, String), usize> = HashMap::new();
    for (step, at) in replay.inputs {
        let input = match step {
            ReplayStep::Input(input) => input,
            ReplayStep::Spec(job) => {
                pending.extend(expand(&template, ctl.update_spec(&job, at)));
                continue;
            }
        };
        confirm(&template, &mut pending, &input);
        if let Input::ContainerExited { pod, container, .. } = &input {
            let key = (pod.clone(), container_of(&template, container));
            *exits_applied.entry(key).or_default() += 1;
        }
        pending.extend(expand(&template, ctl.step(input, at)));
    }
    // A stop is done once its pod has ended.
    pending.retain(|a| match a {
        Action::StopPod { pod, .. } => ctl.pod(pod).is_some_and(|p| !p.phase.is_terminal()),
        _ => true,
    });
    let events_seen = ctl.events().len();
    let mut driver = Driver::new(
        engine,
        ctl,
        Clock::start(),
        out,
        opts,
        spec_updates,
        events_seen,
    );
    let mut found = engine
        .list_containers(&[(LABEL_CONTROLLER_UID.to_string(), uid)])
        .await?;
    let restart_of = |labels: &std::collections::BTreeMap<String, String>| {
        labels
            .get(LABEL_RESTART)
            .and_then(|r| r.parse::<u32>().ok())
            .unwrap_or(0)
    };
    found.sort_by_key(|c| restart_of(&c.labels));
    let mut seen: HashMap<(String, String), usize> = HashMap::new();
    for container in found {
        let Some(pod) = container.labels.get(LABEL_POD).cloned() else {
            continue;
        };
        let known = driver.ctl.pod(&pod).is_some();
        if container.labels.contains_key(LABEL_SANDBOX) {
            if known {
                let stopped = container.state != "running";
                driver.adopt_sandbox(pod, container.id, stopped);
            } else {
                driver
                    .adoptable
                    .push((pod, String::new(), 0, container.id, String::new()));
            }
            continue;
        }
        let name = container_of(
            &template,
            container
                .labels
                .get(LABEL_CONTAINER)
                .map_or("", String::as_str),
        );
        let restart = restart_of(&container.labels);
        if !known {
            // Created just before the crash for a pod the replay has not reached: claimed when
            // the controller creates that pod again (same seed, same name).
            driver
                .adoptable
                .push((pod, name, restart, container.id, container.image));
            continue;
        }
        let key = (pod.clone(), name.clone());
        let nth = seen.entry(key.clone()).or_default();
        let applied = *nth < exits_applied.get(&key).copied().unwrap_or(0);
        *nth += 1;
        if !applied && container.state == "created" {
            // Created but never started before the crash: start it as the driver would have.
            let _ = engine.start_container(&container.id).await;
        }
        driver
            .adopt(pod, name, restart, container.id, &container.image, applied)
            .await;
    }
    for action in pending {
        if let Action::StartContainer {
            pod,
            container,
            restart,
        } = &action
        {
            let exists = driver
                .live
                .iter()
                .any(|c| c.pod == *pod && c.container == *container && c.restart == *restart);
            if exists {
                let input = Input::ContainerStarted {
                    pod: pod.clone(),
                    container: container.clone(),
                };
                let now = driver.clock.now();
                let actions = driver.step(input, now);
                driver.run_actions(actions).await?;
                continue;
            }
        }
        driver.run_actions(vec![action]).await?;
    }
    driver.main_loop().await
}

impl<'a, E: PodRuntime, O: RunOutput> Driver<'a, E, O> {
    /// Claims a container found at resume for `pod`'s `container`, attempt `restart`.
    pub(super) async fn claim_adoptable(
        &mut self,
        pod: &str,
        container: &str,
        restart: u32,
    ) -> bool {
        let Some(i) = self
            .adoptable
            .iter()
            .position(|(p, c, r, _, _)| p == pod && c == container && *r == restart)
        else {
            return false;
        };
        let (pod, container, restart, id, image) = self.adoptable.remove(i);
        // Starting an already running or exited container is harmless; a created one needs it.
        let _ = self.engine.start_container(&id).await;
        self.adopt(pod, container, restart, id, &image, false).await;
        true
    }

    /// Watches an existing container again; `applied` ones (exit already counted) are only
    /// remembered. Its `imageID` is read again from its image (`image`: as the engine lists
    /// it), as for a new container.
    async fn adopt(
        &mut self,
        pod: String,
        container: String,
        restart: u32,
        id: String,
        image: &str,
        applied: bool,
    ) {
        let image_id = self.adopted_image_id(image).await;
        let live = Live {
            pod,
            container,
            restart,
            id: id.clone(),
            exited: applied,
            logs_done: applied,
            pending_exit: None,
            removed: false,
            network: None,
            image_id,
        };
        if !applied {
            self.watch_container(id, false);
        }
        self.live.push(live);
    }

    /// The kubelet's `imageID` of an adopted container's image; `None` when the engine did not
    /// say which image it runs, or the image is gone.
    async fn adopted_image_id(&self, image: &str) -> Option<String> {
        if image.is_empty() {
            return None;
        }
        match self
            .unless_interrupted(self.engine.inspect_image(image))
            .await
        {
            Some(Ok(Some(info))) => info.kubelet_image_id(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use k8s_openapi::jiff::Timestamp;
    use rand::SeedableRng;

    use super::*;
    use crate::engine::fake::{FakeEngine, Script};
    use crate::engine::LogStream;
    use crate::job::controller::OutcomeKind;
    use crate::job::driver::{run_foreground, Progress};
    use crate::job::load::load_jobs_with_rng;

    /// Records what a store would: the seed, the start time and every step.
    #[derive(Default)]
    struct Log {
        started: Option<(Timestamp, u64)>,
        steps: Vec<(ReplayStep, Timestamp)>,
    }

    impl RunOutput for Log {
        fn pod_log(&mut self, _pod: &str, _stream: LogStream, _line: &[u8]) {}
        fn status(&mut self, _line: &str) {}
        fn progress(&mut self, _progress: &Progress) {}
        fn controller_started(&mut self, at: Timestamp, seed: u64) {
            self.started = Some((at, seed));
        }
        fn controller_input(&mut self, input: &Input, at: Timestamp) {
            self.steps.push((ReplayStep::Input(input.clone()), at));
        }
    }

    fn job(completions: i32) -> Job {
        job_with(completions, "")
    }

    /// The Job with `more` extra container lines after its `main` container.
    fn job_with(completions: i32, more: &str) -> Job {
        let yaml = format!(
            "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: steps\nspec:\n  completions: {completions}\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: main\n        image: busybox:1.36\n{more}"
        );
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        load_jobs_with_rng(&yaml, "job.yaml", &mut rng)
            .unwrap()
            .remove(0)
            .job
    }

    /// Runs until `crash_after` (virtual time), then drops the driver like a SIGKILL would,
    /// and resumes from the recorded steps on the same engine.
    async fn crash_and_resume(crash_after: u64, lost_steps: usize) -> (JobRun, FakeEngine) {
        crash_and_resume_job(job(3), crash_after, lost_steps).await
    }

    async fn crash_and_resume_job(
        job: Job,
        crash_after: u64,
        lost_steps: usize,
    ) -> (JobRun, FakeEngine) {
        let engine = FakeEngine::with_script(Script::print("step", 5));
        engine.add_image("busybox:1.36", None, None);
        let mut log = Log::default();
        let opts = RunOptions::default();
        let first = run_foreground(&engine, job.clone(), opts.clone(), &mut log);
        let crashed = tokio::time::timeout(Duration::from_secs(crash_after), first).await;
        assert!(crashed.is_err(), "the Job ended before the crash");
        let (started, seed) = log.started.expect("controller_started was reported");
        // Steps not yet written when the process died.
        log.steps.truncate(log.steps.len() - lost_steps);
        let replay = Replay {
            started,
            seed,
            inputs: log.steps,
        };
        let mut after = Log::default();
        let run = tokio::time::timeout(
            Duration::from_secs(120),
            resume_foreground(&engine, job, opts, replay, None, &mut after),
        )
        .await
        .expect("the resumed Job ends")
        .expect("no engine error");
        (run, engine)
    }

    #[tokio::test(start_paused = true)]
    async fn a_crash_while_a_pod_runs_loses_and_repeats_nothing() {
        // Pod 1 ran 0–5s; pod 2 is running at the crash (7s).
        let (run, engine) = crash_and_resume(7, 0).await;
        assert_eq!(run.outcome.kind, OutcomeKind::Complete);
        let status = run.job.status.unwrap();
        assert_eq!((status.succeeded, status.failed), (Some(3), None));
        assert_eq!(engine.created().len(), 3, "no container was created twice");
        assert_eq!(run.pods.len(), 3);
        // Adopted containers (pods 1 and 2) show their image's ID as new ones do (issue 15:
        // `describe pod` showed a blank `Image ID:` after a resume).
        let image_id = format!("docker://sha256:{:064x}", "busybox:1.36".len());
        assert_eq!(run.containers.len(), 3);
        for c in &run.containers {
            assert_eq!(c.image_id.as_deref(), Some(image_id.as_str()), "{}", c.pod);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn an_exit_that_happened_while_no_controller_ran_is_counted_once() {
        // Crash at 4s; pod 1 exits at 5s with no controller; the resume (at 4s virtual, the
        // fake's clock keeps running) sees it exit and counts it once.
        let (run, engine) = crash_and_resume(4, 0).await;
        let status = run.job.status.unwrap();
        assert_eq!((status.succeeded, status.failed), (Some(3), None));
        assert_eq!(engine.created().len(), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn steps_lost_in_the_crash_are_redone_without_a_second_container() {
        // At 7s the log holds: started(pod 1), exited(pod 1), started(pod 2). Losing the last
        // two leaves pod 2's container unknown to the replay: it is claimed, not re-created.
        let (run, engine) = crash_and_resume(7, 2).await;
        let status = run.job.status.unwrap();
        assert_eq!((status.succeeded, status.failed), (Some(3), None));
        assert_eq!(engine.created().len(), 3, "no container was created twice");
        // The claimed container too has its image's ID.
        assert!(run.containers.iter().all(|c| c.image_id.is_some()));
    }

    #[tokio::test(start_paused = true)]
    async fn a_crash_adopts_every_container_of_a_pod_and_its_sandbox() {
        let job = job_with(3, "      - name: side\n        image: busybox:1.36\n");
        for lost in [0, 1, 2] {
            let (run, engine) = crash_and_resume_job(job.clone(), 7, lost).await;
            assert_eq!(run.outcome.kind, OutcomeKind::Complete, "lost {lost}");
            let status = run.job.status.unwrap();
            assert_eq!((status.succeeded, status.failed), (Some(3), None));
            assert_eq!(engine.created().len(), 6, "no container created twice");
            let sandboxes = engine
                .calls()
                .into_iter()
                .filter(|(_, c)| matches!(c, crate::engine::fake::Call::Sandbox(_)))
                .count();
            assert_eq!(sandboxes, 3, "no sandbox created twice (lost {lost})");
            assert!(engine.running_sandboxes().is_empty());
        }
    }
}
