//! Command-line types (clap derive) and their help text. No logic lives here: `commands/`
//! turns these into work.

mod build;
mod image;
mod login;
mod run;

use clap::{Parser, Subcommand, ValueEnum};

pub use build::{BuildArgs, FailOn, LintArgs, LintFormat, PushArgs};
pub use image::{ImageArgs, ImageCommand, ImportArgs, RefArgs, RefsArgs, RmArgs};
pub use login::{LoginArgs, LogoutArgs};
pub use run::RunArgs;

/// Build and push images through the Docker Engine API, and run Kubernetes Jobs locally.
#[derive(Debug, Parser)]
#[command(name = "dockjob", version, about, propagate_version = true)]
pub struct Cli {
    /// Options that apply to every command.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Options that apply to every command.
#[derive(Debug, clap::Args)]
pub struct GlobalArgs {
    /// Engine endpoint (unix:///path or tcp://host:port) [default: $DOCKER_HOST, else unix:///var/run/docker.sock]
    #[arg(short = 'H', long = "host", global = true, value_name = "HOST")]
    pub host: Option<String>,
    /// How to show progress: auto (bars on a terminal, plain lines otherwise), tty, plain, quiet
    #[arg(long, global = true, value_enum, default_value_t = ProgressArg::Auto)]
    pub progress: ProgressArg,
}

/// The `--progress` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProgressArg {
    /// Bars when stderr is a terminal, plain lines otherwise.
    Auto,
    /// Bars.
    Tty,
    /// Plain lines, the engine's output verbatim.
    Plain,
    /// Nothing but errors.
    Quiet,
}

/// The verbs.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build an image from a Dockerfile and a context directory
    Build(Box<BuildArgs>),
    /// Push images to a registry and print NAME:TAG@sha256:…
    Push(PushArgs),
    /// Check Dockerfiles for mistakes before building
    Lint(LintArgs),
    /// Manage images (import a root filesystem)
    Image(ImageArgs),
    /// Run a Kubernetes Job manifest in the foreground on the local engine
    Run(RunArgs),
    /// Check credentials with a registry and store them where the docker CLI reads them
    Login(LoginArgs),
    /// Remove a registry's stored credentials
    Logout(LogoutArgs),
}
