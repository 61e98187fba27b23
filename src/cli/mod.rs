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
/// and exits as clap does. A usage error of `login` never repeats what was typed (see
/// [`without_typed_values`]).
pub fn parse() -> Cli {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let mut cmd = command();
    let parsed = cmd
        .try_get_matches_from_mut(&args)
        .and_then(|matches| Cli::from_arg_matches(&matches).map_err(|e| e.format(&mut cmd)));
    match parsed {
        Ok(cli) => cli,
        Err(error) if is_login(&args) && error.use_stderr() => {
            let shown = without_typed_values(&error.render().to_string());
            // "tip: to pass '***' as a value, use '***'" helps no one.
            for line in shown
                .lines()
                .filter(|l| !(l.contains("tip:") && l.contains("'***'")))
            {
                eprintln!("{line}");
            }
            std::process::exit(error.exit_code())
        }
        Err(error) => error.exit(),
    }
}

/// Whether the command is `login`: its first word that is neither an option nor the value of
/// a global option.
fn is_login(args: &[std::ffi::OsString]) -> bool {
    let mut words = args.iter().skip(1).filter_map(|word| word.to_str());
    while let Some(word) = words.next() {
        match word {
            "-H" | "--host" | "--progress" | "--state-dir" | "-n" | "--namespace"
            | "--scheduler" => {
                words.next();
            }
            option if option.starts_with('-') => {}
            command => return command == "login",
        }
    }
    false
}

/// clap's usage error with every value it quotes from the command line replaced by `***`:
/// the word it shows may be the password (`login -u me -- -p PASSWORD` says "unexpected
/// argument 'PASSWORD'"; docker says "accepts at most 1 arg(s)" without it). Option names
/// (`'--password <PASSWORD>'`, `'--help'`) are kept.
pub fn without_typed_values(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(start) = rest.find('\'') {
        let Some(len) = rest[start + 1..].find('\'') else {
            break;
        };
        let quoted = &rest[start + 1..start + 1 + len];
        out.push_str(&rest[..=start]);
        out.push_str(if is_option_name(quoted) {
            quoted
        } else {
            "***"
        });
        out.push('\'');
        rest = &rest[start + len + 2..];
    }
    out.push_str(rest);
    out
}

/// `--password`, `--password <PASSWORD>`, `-u`, `--help`: a name of one of `login`'s
/// options (or a global one), as clap quotes it.
fn is_option_name(quoted: &str) -> bool {
    const NAMES: &[&str] = &[
        "-u",
        "--username",
        "-p",
        "--password",
        "--password-stdin",
        "-h",
        "--help",
        "-V",
        "--version",
        "-H",
        "--host",
        "--progress",
        "--state-dir",
        "-n",
        "--namespace",
        "--scheduler",
    ];
    let name = quoted.split(' ').next().unwrap_or_default();
    NAMES.contains(&name)
        && quoted[name.len()..]
            .trim()
            .strip_prefix('<')
            .map_or(quoted.len() == name.len(), |v| v.ends_with('>'))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_usage_errors_keep_option_names_and_hide_typed_words() {
        let message =
            "error: unexpected argument 'hunter2' found\n\n  tip: to pass '-x' as a value, \
                       use '-- -x'\n\nUsage: dockjob login --username <USER> --password <PASSWORD> \
                       [SERVER]\n\nFor more information, try '--help'.\n";
        let shown = without_typed_values(message);
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(!shown.contains("'-x'"), "{shown}");
        assert!(shown.contains("unexpected argument '***' found"), "{shown}");
        assert!(shown.contains("try '--help'"), "{shown}");
        let kept =
            "error: the argument '--password <PASSWORD>' cannot be used with '--password-stdin'";
        assert_eq!(without_typed_values(kept), kept);
        assert_eq!(
            without_typed_values("error: invalid value 'x y' for '--progress <PROGRESS>'"),
            "error: invalid value '***' for '--progress <PROGRESS>'"
        );
    }

    #[test]
    fn login_is_found_after_global_options_only() {
        let args = |words: &[&str]| -> Vec<std::ffi::OsString> {
            std::iter::once("dockjob")
                .chain(words.iter().copied())
                .map(Into::into)
                .collect()
        };
        assert!(is_login(&args(&["login", "-u", "a"])));
        assert!(is_login(&args(&[
            "-H",
            "tcp://h:1",
            "--progress",
            "plain",
            "login"
        ])));
        assert!(!is_login(&args(&["-n", "login", "get", "jobs"])));
        assert!(!is_login(&args(&["get", "login"])));
    }
}
