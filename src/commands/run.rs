//! `run`: Jobs in the foreground, with Ctrl-C or SIGTERM stopping pods gracefully (twice: at
//! once).

use super::controller::{spawn_controller, store_foreground_job};
use crate::cli::{GlobalArgs, RunArgs};
use crate::engine::docker::DockerEngine;
use crate::error::{user_error, ExitStatus};
use crate::job::driver::{
    run_foreground, DriverError, JobRun, PlainOutput, RunOptions, RunOutput, TerminalOutput,
};
use crate::job::{input, OutcomeKind};
use crate::progress::ProgressMode;
use crate::store::StoreRecorder;

use super::signals::Presses;

/// Runs every Job in `args.file`, one after the other; the exit status is the worst outcome.
pub async fn run(
    global: &GlobalArgs,
    host: Option<&str>,
    args: &RunArgs,
    progress: ProgressMode,
    presses: Presses,
) -> anyhow::Result<ExitStatus> {
    if !(args.backoff_scale.is_finite() && args.backoff_scale > 0.0) {
        return Err(user_error(format!(
            "--backoff-scale {}: must be a positive number",
            args.backoff_scale
        )));
    }
    // Until a Job is recorded, a signal ends the command at once: nothing was made yet.
    let interrupted = || {
        eprintln!("Interrupted");
        Ok(ExitStatus::Interrupted)
    };
    let Some(engine) = presses.unless_pressed(DockerEngine::connect(host)).await else {
        return interrupted();
    };
    let engine = &engine?;
    let path = args.file.to_string_lossy().into_owned();
    let load = tokio::task::spawn_blocking(move || input::load_path(&path));
    let Some(loaded) = presses.unless_pressed(load).await else {
        return interrupted();
    };
    let loaded = loaded?.map_err(|e| user_error(e.to_string()))?;
    // The driver says what each stage does ("stopping N pod(s) gracefully…", "killing…").
    let Presses {
        sender: interrupt_sender,
        receiver: interrupts,
    } = presses;
    let mut status = ExitStatus::Success;
    for job in loaded {
        for warning in &job.warnings {
            eprintln!("Warning: {warning}");
        }
        // Stored like an applied Job, so `get`, `describe` and `logs` see it while it runs.
        let mut manifest = job.job;
        let foreground = match store_foreground_job(global, &mut manifest, interrupt_sender.clone())
        {
            Ok(foreground) => Some(foreground),
            // A live Job of that name: kubectl's AlreadyExists.
            Err(e) if e.downcast_ref::<crate::error::UserError>().is_some() => return Err(e),
            // No usable state directory (read-only home in a container…): run unrecorded.
            Err(e) => {
                eprintln!(
                    "warning: the Job is not recorded (get/describe/logs will not see it): {e:#}"
                );
                None
            }
        };
        let options = RunOptions {
            rm: args.rm,
            backoff_scale: args.backoff_scale,
            interrupts: Some(interrupts.clone()),
            prefix: args.prefix,
            ..RunOptions::default()
        };
        let store = foreground.as_ref().and_then(|f| f.recorder_store().ok());
        let run = match progress {
            ProgressMode::Tty => {
                let mut out = TerminalOutput::new();
                run_recorded(engine, manifest, options, store, &mut out).await
            }
            ProgressMode::Plain => {
                let mut out = PlainOutput::new(std::io::stdout(), std::io::stderr());
                run_recorded(engine, manifest, options, store, &mut out).await
            }
            // Pod logs only: the status lines and the final condition are left out.
            ProgressMode::Quiet => {
                let mut out = PlainOutput::new(std::io::stdout(), std::io::sink());
                run_recorded(engine, manifest, options, store, &mut out).await
            }
        }?;
        if let Some(foreground) = foreground {
            let uid = foreground.uid().to_string();
            drop(foreground); // releases the lease
            if let Some(expiry) = run.ttl_expires_at {
                expire_later(global, &uid, expiry, args.backoff_scale, progress);
            }
        }
        let this = match run.outcome.kind {
            OutcomeKind::Complete | OutcomeKind::Suspended => ExitStatus::Success,
            OutcomeKind::Failed => ExitStatus::Failure,
            OutcomeKind::Interrupted => return Ok(ExitStatus::Interrupted),
        };
        if this != ExitStatus::Success {
            status = this;
        }
    }
    Ok(status)
}

/// `ttlSecondsAfterFinished`: a Job whose time has come (TTL 0: the run already removed its
/// containers) is deleted now; otherwise a detached controller waits for the time and
/// deletes the Job and its containers then, as Kubernetes' TTL controller would.
fn expire_later(
    global: &GlobalArgs,
    uid: &str,
    expiry: jiff::Timestamp,
    backoff_scale: f64,
    progress: ProgressMode,
) {
    let result = if expiry <= jiff::Timestamp::now() {
        super::state::open_store(global)
            .and_then(|mut store| Ok(store.remove_job(uid)?))
            .map(|_| None)
    } else {
        spawn_controller(global, uid, backoff_scale).map(Some)
    };
    match result {
        Ok(Some(_)) => progress.note(&format!(
            "the Job and its pods will be deleted at {expiry} (ttlSecondsAfterFinished)"
        )),
        Ok(None) => {}
        Err(e) => eprintln!("warning: ttlSecondsAfterFinished will not be enforced: {e:#}"),
    }
}

/// Runs the Job, saving its state to `store` when there is one.
async fn run_recorded(
    engine: &DockerEngine,
    job: k8s_openapi::api::batch::v1::Job,
    options: RunOptions,
    store: Option<crate::store::Store>,
    out: &mut impl RunOutput,
) -> Result<JobRun, DriverError> {
    match store {
        Some(store) => {
            let mut recorder = StoreRecorder::new(store, out);
            run_foreground(engine, job, options, &mut recorder).await
        }
        None => run_foreground(engine, job, options, out).await,
    }
}
