//! `run`: a Job in the foreground.

use crate::cli::RunArgs;
use crate::engine::docker::DockerEngine;
use crate::error::ExitStatus;
use crate::progress::ProgressMode;

/// Runs the Job in `args.file` to its end.
pub async fn run(
    _engine: &DockerEngine,
    _args: &RunArgs,
    _progress: ProgressMode,
) -> anyhow::Result<ExitStatus> {
    anyhow::bail!("interim: wired when the controller lands")
}
