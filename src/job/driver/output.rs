//! Where a foreground run writes: pod logs (stdout), status lines and progress (stderr).
//! [`RunOutput`] is the seam; [`PlainOutput`] writes to any two writers (tests use buffers).

use std::io::Write;

use crate::engine::LogStream;
use crate::job::controller::JobEvent;

/// Completion counters after a controller step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Pods (or indexes) that succeeded.
    pub succeeded: i32,
    /// `spec.completions` (`None` for a work-queue Job).
    pub completions: Option<i32>,
    /// Active pods.
    pub active: i32,
    /// Failed pods counted.
    pub failed: i32,
}

/// Receives everything a foreground run shows.
pub trait RunOutput {
    /// One complete line (without its newline) a pod's container wrote.
    fn pod_log(&mut self, pod: &str, stream: LogStream, line: &[u8]);
    /// A status line for stderr (`pod/x Completed`, the final condition, …).
    fn status(&mut self, line: &str);
    /// Counters changed.
    fn progress(&mut self, progress: &Progress);
    /// Every event the controller records (for stores); ignored by default.
    fn event(&mut self, _event: &JobEvent) {}
}

/// Plain text: logs to `stdout`, status and progress lines to `stderr`.
pub struct PlainOutput<O: Write, E: Write> {
    /// Log destination.
    pub stdout: O,
    /// Status destination.
    pub stderr: E,
    /// Prefix log lines with `[pod/NAME] `.
    pub prefix: bool,
    last: Option<Progress>,
}

impl<O: Write, E: Write> PlainOutput<O, E> {
    /// Writes to the given streams.
    pub fn new(stdout: O, stderr: E, prefix: bool) -> Self {
        Self {
            stdout,
            stderr,
            prefix,
            last: None,
        }
    }
}

impl<O: Write, E: Write> RunOutput for PlainOutput<O, E> {
    fn pod_log(&mut self, pod: &str, stream: LogStream, line: &[u8]) {
        // A closed pipe must not abort the run: write errors are dropped.
        let out: &mut dyn Write = match stream {
            LogStream::Stdout => &mut self.stdout,
            LogStream::Stderr => &mut self.stderr,
        };
        if self.prefix {
            let _ = write!(out, "[pod/{pod}] ");
        }
        let _ = out.write_all(line);
        let _ = out.write_all(b"\n");
        let _ = out.flush();
    }

    fn status(&mut self, line: &str) {
        let _ = writeln!(self.stderr, "{line}");
    }

    fn progress(&mut self, progress: &Progress) {
        let changed = self.last.is_none_or(|l| l.succeeded != progress.succeeded);
        self.last = Some(*progress);
        if changed {
            let total = progress
                .completions
                .map_or_else(|| "1".to_string(), |c| c.to_string());
            let _ = writeln!(self.stderr, "completions: {}/{total}", progress.succeeded);
        }
    }
}
