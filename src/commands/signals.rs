//! SIGINT and SIGTERM for every command, so dockjob behaves as PID 1 in its own image.
//!
//! The kernel drops SIGTERM sent to PID 1 unless the process installed a handler
//! (`man 2 kill`: "the only signals that can be sent to process ID 1 … are signals for which
//! init has explicitly installed signal handlers"), so `docker stop` on an image whose
//! ENTRYPOINT is dockjob would wait out its 10 s and SIGKILL it. Owns [`StopSignals`] (both
//! signals as one stream, used by `run` for its graceful two-stage stop) and
//! [`exit_on_stop_signal`] (every other command: exit at once with 128 + the signal number, as
//! a shell reports a process killed by it).

use tokio::signal::unix::{signal, Signal, SignalKind};

/// A signal asking dockjob to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopSignal {
    /// SIGINT: Ctrl-C on the terminal.
    Interrupt,
    /// SIGTERM: `docker stop`, `kill`, a CI runner cancelling the job.
    Terminate,
}

impl StopSignal {
    /// The exit code a shell reports for a process this signal ended: 128 + its number.
    pub fn exit_code(self) -> i32 {
        match self {
            StopSignal::Interrupt => 130,
            StopSignal::Terminate => 143,
        }
    }

    /// The signal's name, for messages.
    pub fn name(self) -> &'static str {
        match self {
            StopSignal::Interrupt => "SIGINT",
            StopSignal::Terminate => "SIGTERM",
        }
    }
}

/// SIGINT and SIGTERM handlers, installed together; each delivery is one [`StopSignal`].
pub struct StopSignals {
    interrupt: Signal,
    terminate: Signal,
}

impl StopSignals {
    /// Installs the handlers (from then on neither signal kills the process by default).
    /// Must be called inside the tokio runtime.
    pub fn install() -> std::io::Result<Self> {
        Ok(StopSignals {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
        })
    }

    /// The next signal; `None` once the runtime shuts down.
    pub async fn recv(&mut self) -> Option<StopSignal> {
        tokio::select! {
            got = self.interrupt.recv() => got.map(|()| StopSignal::Interrupt),
            got = self.terminate.recv() => got.map(|()| StopSignal::Terminate),
        }
    }
}

/// For commands without a graceful stop: on the first SIGINT or SIGTERM, say so and exit with
/// 130 or 143. Exiting from a separate task works even while the command blocks its own
/// thread (reading a password from stdin). Open connections to the engine close with the
/// process, which cancels an unfinished build or push there, as the docker CLI's Ctrl-C does.
pub fn exit_on_stop_signal() -> std::io::Result<()> {
    let mut signals = StopSignals::install()?;
    tokio::spawn(async move {
        if let Some(stop) = signals.recv().await {
            eprintln!("{}: stopping", stop.name());
            // Credential helpers and git run in process groups of their own.
            crate::external::kill_running();
            std::process::exit(stop.exit_code());
        }
    });
    Ok(())
}
