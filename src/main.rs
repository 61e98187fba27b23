//! The `dockjob` binary: parse arguments, run the command, map the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser;
use dockjob::cli::Cli;
use dockjob::error::{exit_status_for, report, ExitStatus};

fn main() -> ExitCode {
    // Arguments are parsed before the runtime starts: `--help` and usage errors cost nothing.
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitStatus::Failure.into();
        }
    };
    match runtime.block_on(dockjob::commands::dispatch(cli)) {
        Ok(status) => status.into(),
        Err(error) if is_broken_pipe(&error) => ExitStatus::Success.into(),
        Err(error) => {
            report(&error);
            exit_status_for(&error).into()
        }
    }
}

/// `dockjob … | head` closes stdout early; that is success, not an error (as in ripgrep).
fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
