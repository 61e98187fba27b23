//! Arguments of `build`, `push` and `lint`.

use std::path::PathBuf;

/// `dockjob build`.
#[derive(Debug, clap::Args)]
pub struct BuildArgs {
    /// The build context directory
    #[arg(value_name = "CONTEXT")]
    pub context: PathBuf,
    /// Name and optionally a tag (NAME[:TAG]); repeat to apply several
    #[arg(short = 't', long = "tag", value_name = "REF")]
    pub tags: Vec<String>,
    /// Path of the Dockerfile [default: CONTEXT/Dockerfile]; `-` reads it from stdin
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Build-time variable (K=V, or K to take the value from the environment)
    #[arg(long = "build-arg", value_name = "K=V")]
    pub build_args: Vec<String>,
    /// Replace the image of a matching FROM: NAME=docker-image://REF (as buildx does)
    #[arg(long = "build-context", value_name = "NAME=docker-image://REF")]
    pub build_contexts: Vec<String>,
    /// Set metadata on the image (K=V)
    #[arg(long = "label", value_name = "K=V")]
    pub labels: Vec<String>,
    /// Build this stage and stop
    #[arg(long)]
    pub target: Option<String>,
    /// Do not use the build cache
    #[arg(long)]
    pub no_cache: bool,
    /// Always try to pull newer versions of the base images
    #[arg(long)]
    pub pull: bool,
    /// Networking mode for RUN instructions
    #[arg(long)]
    pub network: Option<String>,
    /// Target platform (os/arch[/variant])
    #[arg(long)]
    pub platform: Option<String>,
    /// Write the image ID to this file
    #[arg(long, value_name = "FILE")]
    pub iidfile: Option<PathBuf>,
    /// Push every tag after the build
    #[arg(long)]
    pub push: bool,
}

/// `dockjob push`.
#[derive(Debug, clap::Args)]
pub struct PushArgs {
    /// Images to push (NAME[:TAG])
    #[arg(value_name = "REF", required = true)]
    pub refs: Vec<String>,
    /// Also write the NAME:TAG@sha256:… lines to this file (for release pipelines)
    #[arg(long = "digest-file", value_name = "FILE")]
    pub digest_file: Option<PathBuf>,
}

/// `dockjob lint`.
#[derive(Debug, clap::Args)]
pub struct LintArgs {
    /// Dockerfiles to check [default: ./Dockerfile]
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
}
