//! Scenario tests: the driver and controller against the scripted fake engine on a paused
//! tokio clock, with Kubernetes' real timings.

mod basics;
mod events;
mod kubelet;
mod multi;
mod objects;
mod parallel;
mod signals;

use std::time::Duration;

use crate::engine::fake::{Call, FakeEngine};
use crate::engine::LogStream;
use crate::job::controller::JobEvent;
use crate::job::driver::{run_foreground, JobRun, Progress, RunOptions, RunOutput};
use crate::job::load::load_jobs_with_rng;
use rand::SeedableRng;

/// Everything a run printed.
#[derive(Default)]
pub(super) struct Captured {
    pub stdout: Vec<String>,
    pub stderr: Vec<String>,
    pub events: Vec<JobEvent>,
}

impl RunOutput for Captured {
    fn pod_log(&mut self, _pod: &str, stream: LogStream, line: &[u8]) {
        let line = String::from_utf8_lossy(line).into_owned();
        match stream {
            LogStream::Stdout => self.stdout.push(line),
            LogStream::Stderr => self.stderr.push(line),
        }
    }
    fn status(&mut self, line: &str) {
        self.stderr.push(line.to_string());
    }
    fn progress(&mut self, _progress: &Progress) {}
    fn event(&mut self, event: &JobEvent) {
        self.events.push(event.clone());
    }
}

/// A Job manifest with the given spec lines and container lines (restartPolicy included by caller).
pub(super) fn manifest(name: &str, spec: &str, pod: &str, container: &str) -> String {
    format!(
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {name}\nspec:\n{spec}  template:\n    spec:\n{pod}      containers:\n      - name: main\n        image: busybox:1.36\n{container}"
    )
}

/// The manifest's first Job, with UIDs drawn from a fixed seed.
fn test_job(yaml: &str) -> k8s_openapi::api::batch::v1::Job {
    let mut rng = rand::rngs::StdRng::seed_from_u64(11);
    load_jobs_with_rng(yaml, "job.yaml", &mut rng)
        .expect("valid manifest")
        .remove(0)
        .job
}

/// `opts` with the fixed seed of every test run.
fn seeded(opts: RunOptions) -> RunOptions {
    RunOptions {
        seed: Some(5),
        ..opts
    }
}

/// Waits for `run`, bounded by a day of (paused) time: a run that never ends is a deadlock.
async fn bounded<T>(run: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(24 * 3600), run)
        .await
        .expect("the run never finished: likely deadlocked waiting on the engine")
}

pub(super) async fn run(engine: &FakeEngine, yaml: &str, opts: RunOptions) -> (JobRun, Captured) {
    let mut out = Captured::default();
    let run = bounded(run_foreground(
        engine,
        test_job(yaml),
        seeded(opts),
        &mut out,
    ))
    .await
    .expect("no engine error");
    (run, out)
}

/// [`run`] as a detached controller runs it (`apply`): with a channel of spec updates, so a
/// pod that cannot start waits as the kubelet would instead of ending the run.
pub(super) async fn run_detached(
    engine: &FakeEngine,
    yaml: &str,
    opts: RunOptions,
) -> (JobRun, Captured) {
    let mut out = Captured::default();
    let (_updates_sender, updates) = tokio::sync::watch::channel(None);
    let running = crate::job::driver::run_foreground_updating(
        engine,
        test_job(yaml),
        seeded(opts),
        updates,
        &mut out,
    );
    let run = bounded(running).await.expect("no engine error");
    (run, out)
}

/// [`run`] of a run that ends in an error, with the error.
pub(super) async fn run_failing(
    engine: &FakeEngine,
    yaml: &str,
) -> (crate::job::driver::DriverError, Captured) {
    let mut out = Captured::default();
    let opts = seeded(RunOptions::default());
    let result = bounded(run_foreground(engine, test_job(yaml), opts, &mut out)).await;
    match result {
        Ok(run) => panic!("the run ended {:?} instead of failing", run.outcome),
        Err(e) => (e, out),
    }
}

/// Times (since the fake was built) at which containers were created.
pub(super) fn creation_times(engine: &FakeEngine) -> Vec<Duration> {
    engine.created().into_iter().map(|(t, _)| t).collect()
}

/// Gaps between consecutive creations, in whole seconds.
pub(super) fn gaps_secs(times: &[Duration]) -> Vec<u64> {
    times.windows(2).map(|w| (w[1] - w[0]).as_secs()).collect()
}

pub(super) fn engine_with_image(script: crate::engine::fake::Script) -> FakeEngine {
    let engine = FakeEngine::with_script(script);
    engine.add_image("busybox:1.36", None, Some(&["sh"]));
    engine
}

pub(super) fn condition_summary(run: &JobRun) -> Vec<(String, String, String)> {
    run.job
        .status
        .as_ref()
        .and_then(|s| s.conditions.clone())
        .unwrap_or_default()
        .into_iter()
        .map(|c| {
            (
                c.type_,
                c.reason.unwrap_or_default(),
                c.message.unwrap_or_default(),
            )
        })
        .collect()
}

pub(super) fn stops(engine: &FakeEngine) -> Vec<Duration> {
    engine
        .calls()
        .into_iter()
        .filter_map(|(t, c)| matches!(c, Call::Stop(..)).then_some(t))
        .collect()
}
