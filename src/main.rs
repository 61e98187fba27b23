//! The `dockjob` binary: parse arguments, run the command, map the outcome to an exit code.

use std::process::ExitCode;

use dockjob::error::{exit_status_for, is_closed_stdout, report, ExitStatus};

fn main() -> ExitCode {
    // SIGINT and SIGTERM wait (blocked) until the command has installed its handlers, which
    // then see them: a Ctrl-C in the first milliseconds is neither lost nor a kill by the
    // default action (see `commands::signals`). Only while the dynamic loader maps the
    // program, before any of its code runs, does a signal still kill it by its default
    // action (which a shell reports as 130 all the same).
    dockjob::commands::hold_stop_signals();
    // Arguments are parsed before the runtime starts: `--help` and usage errors cost nothing.
    let cli = dockjob::cli::parse();
    // `run` waits on the engine almost all the time: one thread does it all. With worker
    // threads, every engine answer was read on one thread and woke the driver on another,
    // and those wake-ups were ~15 % of a 40-pod run's CPU (docs/performance.md). The other
    // verbs keep workers: some block their own thread (a password read from stdin) while a
    // task must still act (exit on Ctrl-C, see `commands::signals`).
    let mut builder = if matches!(cli.command, dockjob::cli::Command::Run(_)) {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        builder.worker_threads(2);
        builder
    };
    let runtime = match builder.enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitStatus::Failure.into();
        }
    };
    // `dockjob … | head` closes stdout early: that is success, not an error (as in ripgrep).
    let outcome = runtime.block_on(dockjob::commands::dispatch(cli));
    // The store's log is checkpointed by whichever connection closes last: this one, or one
    // that a task still holds until the runtime ends (see `store::kept`).
    dockjob::store::close_kept_connections();
    match outcome {
        Ok(status) => status.into(),
        Err(error) if is_closed_stdout(&error) => ExitStatus::Success.into(),
        Err(error) => {
            report(&error);
            exit_status_for(&error).into()
        }
    }
}
