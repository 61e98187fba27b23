//! One async function per verb: resolved arguments in, work done through the engine,
//! an [`ExitStatus`] out. Data goes to stdout, everything else to stderr.

mod apply;
mod build;
mod buildkit;
mod controller;
mod create;
mod create_data;
mod delete;
mod describe;
mod dry_run;
mod generate;
mod get;
mod get_watch;
mod git_files;
mod image;
mod lint;
mod login;
mod logs;
mod manifest;
mod push;
mod resources;
mod run;
mod signals;
mod state;
mod wait;

use crate::cli::{Cli, Command, ImageCommand, SchedulerArg};
use crate::engine::docker::scheduled::Scheduler;
use crate::engine::docker::DockerEngine;
use crate::error::{ExitStatus, StdoutClosed};
use crate::progress::ProgressMode;

pub use signals::hold_stop_signals;

/// Runs the command the user asked for.
pub async fn dispatch(cli: Cli) -> anyhow::Result<ExitStatus> {
    // First of all, so that no moment of a command leaves a signal to its default action:
    // `run` stops its pods gracefully on the first signal; every other verb exits at once.
    let presses = if matches!(cli.command, Command::Run(_)) {
        Some(signals::count_presses()?)
    } else {
        signals::exit_on_stop_signal()?;
        None
    };
    let progress = ProgressMode::resolve(cli.global.progress);
    let host = cli.global.host.as_deref();
    match cli.command {
        Command::Lint(args) => lint::lint(&args),
        Command::Build(args) => {
            let raw_json = cli.global.progress == crate::cli::ProgressArg::Rawjson;
            build::build(host, &args, progress, raw_json).await
        }
        Command::Push(args) => {
            let engine = connect(host).await?;
            push::push(&engine, &args.refs, args.digest_file.as_deref(), progress).await
        }
        Command::Image(args) => {
            let engine = connect(host).await?;
            match args.command {
                ImageCommand::Import(args) => image::import(&engine, &args, progress).await,
                ImageCommand::Pull(args) => image::pull(&engine, &args.reference, progress).await,
                ImageCommand::Inspect(args) => image::inspect(&engine, &args.reference).await,
                ImageCommand::Rm(args) => {
                    image::remove(&engine, &args.references, args.force).await
                }
            }
        }
        Command::Run(args) => {
            let presses = presses.map_or_else(signals::count_presses, Ok)?;
            run::run(&cli.global, host, &args, progress, presses).await
        }
        Command::Apply(args) => apply::apply(&cli.global, &args).await,
        Command::Create(args) => create::create(&cli.global, &args).await,
        Command::Get(args) => get::get(&cli.global, &args).await,
        Command::Describe(args) => describe::describe(&cli.global, &args).await,
        Command::Logs(args) => {
            // The engine the Job was created on, whatever -H or DOCKER_HOST say now.
            let endpoint = state::logs_endpoint(&cli.global, &args.target);
            let scheduler = scheduler(cli.global.scheduler);
            let engine = controller::pod_engine(endpoint.as_deref().or(host), scheduler).await?;
            logs::logs(&engine, &cli.global, &args).await
        }
        Command::Wait(args) => wait::wait(&cli.global, &args).await,
        Command::Delete(args) => delete::delete(&cli.global, &args).await,
        Command::Controller(args) => controller::run_controller(&cli.global, &args).await,
        Command::Login(args) => login::login(&args).await,
        Command::Logout(args) => login::logout(&args).await,
        Command::Completion(args) => generate::completion(&args),
        Command::Man(args) => generate::man(&args),
    }
}

async fn connect(host: Option<&str>) -> anyhow::Result<DockerEngine> {
    Ok(DockerEngine::connect(host).await?)
}

/// `--scheduler` as the engine layer names it.
fn scheduler(arg: SchedulerArg) -> Scheduler {
    match arg {
        SchedulerArg::Local => Scheduler::Local,
        SchedulerArg::Swarm => Scheduler::Swarm,
    }
}

/// Writes one line of data to stdout; a closed pipe becomes [`StdoutClosed`], which `main`
/// treats as success.
fn print_data(line: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{line}")
        .and_then(|()| stdout.flush())
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::BrokenPipe => anyhow::Error::new(StdoutClosed),
            _ => anyhow::Error::new(e).context("writing to stdout"),
        })
}
