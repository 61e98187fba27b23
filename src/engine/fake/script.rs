//! How a fake container behaves: exit after a delay, hang until stopped, fail to start.

use std::time::Duration;

/// How one container behaves.
#[derive(Debug, Clone, PartialEq)]
pub enum Script {
    /// Prints `logs` on stdout, then exits with `code` after `after`.
    Exit {
        /// Run time.
        after: Duration,
        /// Exit code.
        code: i64,
        /// Whether the exit is an OOM kill.
        oom_killed: bool,
        /// Lines printed on stdout.
        logs: Vec<String>,
    },
    /// Runs until stopped; exits 143 on SIGTERM, or only 137 at SIGKILL when `ignore_sigterm`.
    Hang {
        /// Lines printed on stdout.
        logs: Vec<String>,
        /// Keep running after SIGTERM until the grace period ends.
        ignore_sigterm: bool,
    },
    /// `start_container` fails with this message.
    StartFails(String),
}

impl Script {
    /// Exits with `code` after `secs` seconds, printing nothing.
    pub fn exit(code: i64, secs: u64) -> Self {
        Script::Exit {
            after: Duration::from_secs(secs),
            code,
            oom_killed: false,
            logs: Vec::new(),
        }
    }

    /// Prints `line` and exits 0 after `secs` seconds.
    pub fn print(line: &str, secs: u64) -> Self {
        Script::Exit {
            after: Duration::from_secs(secs),
            code: 0,
            oom_killed: false,
            logs: vec![line.to_string()],
        }
    }

    /// Runs until stopped, honouring SIGTERM.
    pub fn hang() -> Self {
        Script::Hang {
            logs: Vec::new(),
            ignore_sigterm: false,
        }
    }
}
