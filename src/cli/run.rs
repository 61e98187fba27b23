//! Arguments of `run`.

use std::path::PathBuf;

use super::create::{DryRunArgs, PodFlags};

/// `dockjob run -f FILE` / `dockjob run [NAME] --image IMG [-- CMD ARGS…]`.
#[derive(Debug, clap::Args)]
#[command(
    override_usage = "dockjob run -f FILE [OPTIONS]\n       dockjob run [NAME] --image=IMAGE [--restart=Never|OnFailure] [OPTIONS] [-- COMMAND [ARGS...]]",
    after_help = "A Job whose name is taken (even finished) is kubectl's AlreadyExists error; \
`--replace` deletes it and its pods first, for the edit-and-run-again loop. \
Without NAME, `--image` names the Job after the image plus 5 random characters \
(busybox-x7k2p), so every run is a new Job."
)]
pub struct RunArgs {
    /// The Job's name (with --image; default: the image's name plus 5 random characters)
    #[arg(value_name = "NAME", requires = "image")]
    pub name: Option<String>,
    /// The Job manifest (YAML); `-` reads it from stdin
    #[arg(
        short = 'f',
        long = "filename",
        value_name = "FILE",
        required_unless_present = "image",
        conflicts_with = "image"
    )]
    pub file: Option<PathBuf>,
    /// Run this image as a Job of one pod (kubectl create job's object)
    #[arg(long, value_name = "IMAGE")]
    pub image: Option<String>,
    /// The Job's pods and how they restart (with --image)
    #[command(flatten)]
    pub pod: PodFlags,
    /// Delete a Job of the same name (and its pods) first, instead of kubectl's AlreadyExists
    /// error
    #[arg(long)]
    pub replace: bool,
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
    /// `--dry-run`, `-o` (only with --dry-run: a run prints pod logs)
    #[command(flatten)]
    pub output: DryRunArgs,
}
