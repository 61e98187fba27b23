//! Arguments of `run`.

use std::path::PathBuf;

/// `dockjob run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The Job manifest (YAML); `-` reads it from stdin
    #[arg(short = 'f', long = "filename", value_name = "FILE", required = true)]
    pub file: PathBuf,
    /// Prefix each log line with [pod/NAME]
    #[arg(long)]
    pub prefix: bool,
    /// Remove the Job's containers when the run ends
    #[arg(long)]
    pub rm: bool,
    /// Multiply every Kubernetes delay (pod-failure backoff, restart backoff) by this factor;
    /// for tests and demos, e.g. 0.01 [default: 1, Kubernetes' own timing]
    #[arg(long, value_name = "FACTOR", default_value_t = 1.0)]
    pub backoff_scale: f64,
}
