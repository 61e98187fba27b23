//! `run`: Jobs in the foreground, with Ctrl-C or SIGTERM stopping pods gracefully (twice: at
//! once).

use tokio::sync::watch;

use super::controller::store_foreground_job;
use crate::cli::{GlobalArgs, RunArgs};
use crate::engine::docker::DockerEngine;
use crate::error::{user_error, ExitStatus};
use crate::job::driver::{run_foreground, PlainOutput, RunOptions, TerminalOutput};
use crate::job::{input, OutcomeKind};
use crate::progress::ProgressMode;
use crate::store::StoreRecorder;

use super::signals::StopSignals;

/// Runs every Job in `args.file`, one after the other; the exit status is the worst outcome.
pub async fn run(
    global: &GlobalArgs,
    engine: &DockerEngine,
    args: &RunArgs,
    progress: ProgressMode,
) -> anyhow::Result<ExitStatus> {
    if !(args.backoff_scale.is_finite() && args.backoff_scale > 0.0) {
        return Err(user_error(format!(
            "--backoff-scale {}: must be a positive number",
            args.backoff_scale
        )));
    }
    let path = args.file.to_string_lossy().into_owned();
    let loaded = tokio::task::spawn_blocking(move || input::load_path(&path))
        .await?
        .map_err(|e| user_error(e.to_string()))?;
    let (interrupt_sender, interrupts) = watch_interrupts()?;
    let mut status = ExitStatus::Success;
    for job in loaded {
        for warning in &job.warnings {
            eprintln!("Warning: {warning}");
        }
        // Stored like an applied Job, so `get`, `describe` and `logs` see it while it runs.
        let mut manifest = job.job;
        let foreground = store_foreground_job(global, &mut manifest, interrupt_sender.clone())?;
        let options = RunOptions {
            rm: args.rm,
            backoff_scale: args.backoff_scale,
            interrupts: Some(interrupts.clone()),
            prefix: args.prefix,
            ..RunOptions::default()
        };
        let run = if progress == ProgressMode::Tty {
            let mut out = TerminalOutput::new();
            let mut out = StoreRecorder::new(foreground.recorder_store()?, &mut out);
            run_foreground(engine, manifest, options, &mut out).await
        } else {
            let mut out = PlainOutput::new(std::io::stdout(), std::io::stderr());
            let mut out = StoreRecorder::new(foreground.recorder_store()?, &mut out);
            run_foreground(engine, manifest, options, &mut out).await
        }?;
        drop(foreground);
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

/// Counts Ctrl-C presses and SIGTERMs alike (`docker stop` on dockjob's own image): the driver
/// stops pods gracefully on the first and kills them on the second. The sender is shared
/// with the run's heartbeat, which presses once when the Job is deleted.
fn watch_interrupts() -> anyhow::Result<(watch::Sender<u32>, watch::Receiver<u32>)> {
    // The driver says what each stage does ("stopping N pod(s) gracefully…", "killing…").
    let mut signals = StopSignals::install()?;
    let (sender, receiver) = watch::channel(0);
    let returned = sender.clone();
    tokio::spawn(async move {
        while signals.recv().await.is_some() {
            let presses = *sender.borrow() + 1;
            if sender.send(presses).is_err() {
                break;
            }
        }
    });
    Ok((returned, receiver))
}
