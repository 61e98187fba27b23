//! Command-line types (clap derive) and their help text. No logic lives here: `commands/`
//! turns these into work.

mod build;
pub mod create;
mod examples;
mod generate;
mod image;
mod login;
mod run;
mod scope;
mod views;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

pub use build::{BuildArgs, BuilderArg, FailOn, LintArgs, LintFormat, PushArgs};
pub use create::{
    CreateArgs, CreateJobArgs, CreateKind, CreateSecret, DryRunArgs, PodFlags, RestartArg,
};
pub use examples::all as all_examples;
pub use generate::{CompletionArgs, ManArgs};
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

/// The command line as `dockjob` parses it: the derive definitions, with each command's
/// `Examples:` and only the global options it reads in its help (see `scope`). Built, so
/// that every subcommand holds the global options too.
pub fn command() -> clap::Command {
    let mut cmd = Cli::command();
    scope::scope_globals(&mut cmd);
    examples::add_examples(&mut cmd);
    cmd.build();
    cmd
}

/// The command line the completion scripts are made from: as [`command`], but each command
/// offers only the global options it reads, and hidden commands are left out.
pub fn completion_command() -> clap::Command {
    scope::for_completion(&Cli::command())
}

/// Parses the process's arguments with [`command`]; prints help, the version or a usage error
/// and exits as clap does.
pub fn parse() -> Cli {
    let mut cmd = command();
    let matches = cmd.get_matches_mut();
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.format(&mut cmd).exit())
}

/// Options that apply to every command. They may come before the command or after it; each
/// command's help lists the ones it reads (see `scope`).
#[derive(Debug, clap::Args)]
#[command(next_help_heading = "Global Options")]
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
    /// Run a Job in the foreground on the local engine: from a manifest (-f) or an image
    /// (run [NAME] --image IMG -- CMD)
    Run(RunArgs),
    /// Create or update Jobs, ConfigMaps and Secrets from a manifest; Jobs run in the background
    Apply(ApplyArgs),
    /// Create Jobs, ConfigMaps and Secrets from a manifest (-f), a Job from an image (create job
    /// NAME --image IMG), or a Secret or ConfigMap from flags; an existing name is an error
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
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish)
    Completion(CompletionArgs),
    /// Print the manual page dockjob(1), or write one page per command into a directory
    Man(ManArgs),
}
