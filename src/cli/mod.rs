//! Command-line types (clap derive) and their help text. No logic lives here: `commands/`
//! turns these into work.

mod build;
pub mod create;
mod image;
mod login;
mod run;
mod views;

use clap::{Parser, Subcommand, ValueEnum};

pub use build::{BuildArgs, BuilderArg, FailOn, LintArgs, LintFormat, PushArgs};
pub use create::{CreateArgs, CreateSecret, CreateWhat};
pub use image::{ImageArgs, ImageCommand, ImportArgs, RefArgs, RefsArgs, RmArgs};
pub use login::{LoginArgs, LogoutArgs};
pub use run::RunArgs;
pub use views::{ApplyArgs, ControllerArgs, DeleteArgs, DescribeArgs, GetArgs, LogsArgs, WaitArgs};

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
    /// How to show progress: auto (bars on a terminal, plain lines otherwise), tty, plain, quiet, rawjson (build)
    #[arg(long, global = true, value_enum, default_value_t = ProgressArg::Auto)]
    pub progress: ProgressArg,
    /// Where Jobs, pods and events are kept [default: $DOCKJOB_STATE_DIR, else $XDG_STATE_HOME/dockjob, else ~/.local/state/dockjob]
    #[arg(long, global = true, value_name = "DIR")]
    pub state_dir: Option<std::path::PathBuf>,
    /// Namespace of the Jobs [default: the manifest's, else default]
    #[arg(short = 'n', long, global = true, value_name = "NAMESPACE")]
    pub namespace: Option<String>,
    /// Where `run` places pods: local (the engine at -H) or swarm (tasks on the swarm whose
    /// manager is at -H)
    #[arg(
        long,
        global = true,
        value_enum,
        env = "DOCKJOB_SCHEDULER",
        default_value_t = SchedulerArg::Local
    )]
    pub scheduler: SchedulerArg,
}

/// The `--scheduler` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchedulerArg {
    /// Pods are containers on the engine at -H.
    Local,
    /// Pods are tasks of a Docker Swarm; -H names a manager.
    Swarm,
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
    /// `build` with BuildKit: each progress update as a JSON line (as buildx); plain elsewhere.
    Rawjson,
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
    /// Create or update Jobs, ConfigMaps and Secrets from a manifest; Jobs run in the background
    Apply(ApplyArgs),
    /// Create Jobs, ConfigMaps and Secrets from a manifest (an existing name is an error), or
    /// a Secret or ConfigMap from flags
    Create(CreateArgs),
    /// List jobs, pods, events, configmaps or secrets
    Get(GetArgs),
    /// Show a job, pod, configmap or secret in detail (a secret's sizes, never its values)
    Describe(DescribeArgs),
    /// Print a pod's logs (POD or job/NAME)
    Logs(LogsArgs),
    /// Wait for a Job condition (complete, failed) or its deletion
    Wait(WaitArgs),
    /// Delete Jobs and their containers, ConfigMaps and Secrets
    Delete(DeleteArgs),
    /// Runs one stored Job (started detached by apply)
    #[command(name = "__controller", hide = true)]
    Controller(ControllerArgs),
    /// Check credentials with a registry and store them where the docker CLI reads them
    Login(LoginArgs),
    /// Remove a registry's stored credentials
    Logout(LogoutArgs),
}
