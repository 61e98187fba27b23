//! SIGINT and SIGTERM for every command, so dockjob behaves as PID 1 in its own image.
//!
//! The kernel drops SIGTERM sent to PID 1 unless the process installed a handler
//! (`man 2 kill`: "the only signals that can be sent to process ID 1 … are signals for which
//! init has explicitly installed signal handlers"), so `docker stop` on an image whose
//! ENTRYPOINT is dockjob would wait out its 10 s and SIGKILL it. Owns [`StopSignals`] (both
//! signals as one stream, used by `run` for its graceful two-stage stop) and
//! [`exit_on_stop_signal`] (every other command: exit at once with 128 + the signal number, as
//! a shell reports a process killed by it), and [`count_presses`] (`run`: every signal counted
//! from the command's first moment, see [`Presses`]).

use tokio::signal::unix::{signal, Signal, SignalKind};

/// Blocks SIGINT and SIGTERM on the calling thread (call it first in `main`, before any
/// thread starts: threads inherit the mask). They stay pending until [`StopSignals::install`]
/// has installed the handlers and unblocks them on the thread that runs the command, so one
/// sent at any moment reaches a handler. Child processes start with an empty mask (Rust's
/// `Command` resets it).
pub fn hold_stop_signals() {
    set_stop_signal_mask(libc::SIG_BLOCK);
}

fn set_stop_signal_mask(how: libc::c_int) {
    // SAFETY: plain libc calls on a local, initialised sigset_t.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGINT);
        libc::sigaddset(&mut set, libc::SIGTERM);
        libc::pthread_sigmask(how, &set, std::ptr::null_mut());
    }
}

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
        let signals = StopSignals {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
        };
        // Held since `main` started (see [`hold_stop_signals`]); pending ones arrive now.
        set_stop_signal_mask(libc::SIG_UNBLOCK);
        Ok(signals)
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
            crate::store::close_kept_connections();
            std::process::exit(stop.exit_code());
        }
    });
    Ok(())
}

/// Every SIGINT and SIGTERM since the command started, counted (`run`'s two-stage stop: the
/// driver stops the pods gracefully on the first and kills them on the second). The
/// handlers are installed before anything else runs, so a signal in the command's first
/// milliseconds is counted rather than lost; until the Job's driver takes the count over,
/// [`Presses::unless_pressed`] ends whatever the command waits for.
pub struct Presses {
    /// Pressed once more by the run's heartbeat when the Job is deleted meanwhile.
    pub sender: tokio::sync::watch::Sender<u32>,
    /// The count; unseen presses are pending.
    pub receiver: tokio::sync::watch::Receiver<u32>,
}

impl Presses {
    /// Runs `work` unless a signal came (or comes) first: `None` then.
    pub async fn unless_pressed<T>(&self, work: impl std::future::Future<Output = T>) -> Option<T> {
        let mut presses = self.receiver.clone();
        if *presses.borrow_and_update() > 0 {
            return None;
        }
        tokio::select! {
            done = work => Some(done),
            Ok(()) = presses.changed() => None,
        }
    }
}

/// Installs the SIGINT and SIGTERM handlers and counts each delivery.
pub fn count_presses() -> std::io::Result<Presses> {
    let mut signals = StopSignals::install()?;
    let (sender, receiver) = tokio::sync::watch::channel(0);
    let counter = sender.clone();
    tokio::spawn(async move {
        while signals.recv().await.is_some() {
            counter.send_modify(|presses| *presses += 1);
        }
    });
    Ok(Presses { sender, receiver })
}
