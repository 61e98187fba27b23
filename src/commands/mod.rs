//! One async function per verb: resolved arguments in, work done through the engine,
//! an [`ExitStatus`] out. Data goes to stdout, everything else to stderr.

mod build;
mod git_files;
mod image;
mod lint;
mod push;
mod run;

use crate::cli::{Cli, Command, ImageCommand};
use crate::engine::docker::DockerEngine;
use crate::error::ExitStatus;
use crate::progress::ProgressMode;

/// Runs the command the user asked for.
pub async fn dispatch(cli: Cli) -> anyhow::Result<ExitStatus> {
    let progress = ProgressMode::resolve(cli.global.progress);
    let host = cli.global.host.as_deref();
    match cli.command {
        Command::Lint(args) => lint::lint(&args),
        Command::Build(args) => build::build(&connect(host).await?, &args, progress).await,
        Command::Push(args) => push::push(&connect(host).await?, &args.refs, progress).await,
        Command::Image(args) => {
            let engine = connect(host).await?;
            match args.command {
                ImageCommand::Import(args) => image::import(&engine, &args, progress).await,
                ImageCommand::Pull(args) => image::pull(&engine, &args.reference, progress).await,
                ImageCommand::Inspect(args) => image::inspect(&engine, &args.reference).await,
                ImageCommand::Rm(args) => image::remove(&engine, &args.references).await,
            }
        }
        Command::Run(args) => run::run(&connect(host).await?, &args, progress).await,
    }
}

async fn connect(host: Option<&str>) -> anyhow::Result<DockerEngine> {
    Ok(DockerEngine::connect(host).await?)
}

/// Writes one line of data to stdout; a closed pipe surfaces as an error `main` treats as success.
fn print_data(line: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{line}")?;
    stdout.flush()?;
    Ok(())
}
