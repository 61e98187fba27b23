//! Where a foreground run writes: pod logs (stdout), status lines and progress (stderr).
//! [`RunOutput`] is the seam; [`PlainOutput`] writes to any two writers (tests use buffers).

use std::io::Write;

use k8s_openapi::api::batch::v1::{Job, JobStatus};

use super::RunContainer;
use crate::engine::LogStream;
use crate::job::controller::{Input, JobEvent, PodRecord};
use k8s_openapi::jiff::Timestamp;

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
    /// One complete line (without its newline) a pod's container wrote, already prefixed
    /// with `[pod/NAME] ` when [`super::RunOptions::prefix`] is set.
    fn pod_log(&mut self, pod: &str, stream: LogStream, line: &[u8]);
    /// A status line for stderr (`pod/x Completed`, the final condition, …).
    fn status(&mut self, line: &str);
    /// Counters changed.
    fn progress(&mut self, progress: &Progress);
    /// Every event the controller records (for stores); ignored by default.
    fn event(&mut self, _event: &JobEvent) {}
    /// The Job's whole state after each controller step (for stores); ignored by default.
    fn snapshot(&mut self, _snapshot: &Snapshot<'_>) {}
    /// The controller was created at `at` with `seed` (for stores that replay it); ignored by
    /// default.
    fn controller_started(&mut self, _at: Timestamp, _seed: u64) {}
    /// An input is about to be applied to the controller at `at` (for stores that replay it
    /// after a crash, see [`super::resume_foreground`]); ignored by default.
    fn controller_input(&mut self, _input: &Input, _at: Timestamp) {}
    /// The Job's mutable spec fields were updated at `at` (for stores that replay it); ignored
    /// by default.
    fn controller_spec_update(&mut self, _job: &Job, _at: Timestamp) {}
    /// Whether the run's containers must outlive it even with `--rm` or an expired TTL: a
    /// store that could not record the run's end needs them to recover it. `false` by default.
    fn keep_containers(&self) -> bool {
        false
    }
}

/// The Job's state after a controller step, as a store persists it.
#[derive(Debug, Clone, Copy)]
pub struct Snapshot<'a> {
    /// The Job (spec and metadata).
    pub job: &'a Job,
    /// Its current status.
    pub status: &'a JobStatus,
    /// Every pod so far, oldest first.
    pub pods: &'a [PodRecord],
    /// Every container created so far, in order.
    pub containers: &'a [RunContainer],
}

/// Plain text: logs to `stdout`, status and progress lines to `stderr`. Each line is one
/// write: stderr is unbuffered, and `writeln!` made one `write(2)` per piece of a line.
pub struct PlainOutput<O: Write, E: Write> {
    /// Log destination.
    pub stdout: O,
    /// Status destination.
    pub stderr: E,
    last: Option<Progress>,
}

impl<O: Write, E: Write> PlainOutput<O, E> {
    /// Writes to the given streams.
    pub fn new(stdout: O, stderr: E) -> Self {
        Self {
            stdout,
            stderr,
            last: None,
        }
    }
}

impl<O: Write, E: Write> RunOutput for PlainOutput<O, E> {
    fn pod_log(&mut self, _pod: &str, stream: LogStream, line: &[u8]) {
        // A closed pipe must not abort the run: write errors are dropped.
        let out: &mut dyn Write = match stream {
            LogStream::Stdout => &mut self.stdout,
            LogStream::Stderr => &mut self.stderr,
        };
        let _ = out.write_all(&[line, b"\n"].concat());
        let _ = out.flush();
    }

    fn status(&mut self, line: &str) {
        let _ = self.stderr.write_all(format!("{line}\n").as_bytes());
    }

    fn progress(&mut self, progress: &Progress) {
        let changed = self.last.is_none_or(|l| l.succeeded != progress.succeeded);
        self.last = Some(*progress);
        if changed {
            let total = progress
                .completions
                .map_or_else(|| "1".to_string(), |c| c.to_string());
            let line = format!("completions: {}/{total}\n", progress.succeeded);
            let _ = self.stderr.write_all(line.as_bytes());
        }
    }
}

/// A terminal: a progress bar for completions at the bottom, logs and status lines above it
/// (indicatif's `suspend` keeps them from tearing the bar).
pub struct TerminalOutput {
    bar: indicatif::ProgressBar,
}

impl TerminalOutput {
    /// A bar on stderr.
    pub fn new() -> Self {
        let bar = indicatif::ProgressBar::new(1);
        let style = indicatif::ProgressStyle::with_template(
            "{spinner} completions {pos}/{len} [{bar:30}] {msg} ({elapsed})",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> ");
        bar.set_style(style);
        bar.enable_steady_tick(std::time::Duration::from_millis(200));
        Self { bar }
    }
}

impl Default for TerminalOutput {
    fn default() -> Self {
        Self::new()
    }
}

impl RunOutput for TerminalOutput {
    fn pod_log(&mut self, _pod: &str, stream: LogStream, line: &[u8]) {
        self.bar.suspend(|| {
            let result = match stream {
                LogStream::Stdout => {
                    let mut out = std::io::stdout().lock();
                    out.write_all(line)
                        .and_then(|()| out.write_all(b"\n"))
                        .and_then(|()| out.flush())
                }
                LogStream::Stderr => {
                    let mut err = std::io::stderr().lock();
                    err.write_all(line).and_then(|()| err.write_all(b"\n"))
                }
            };
            // A closed pipe must not abort the run.
            drop(result);
        });
    }

    fn status(&mut self, line: &str) {
        self.bar.suspend(|| eprintln!("{line}"));
    }

    fn progress(&mut self, progress: &Progress) {
        self.bar
            .set_length(progress.completions.unwrap_or(1).max(0) as u64);
        self.bar.set_position(progress.succeeded.max(0) as u64);
        self.bar.set_message(format!(
            "active {}, failed {}",
            progress.active, progress.failed
        ));
    }
}

impl Drop for TerminalOutput {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_output_splits_streams_and_prints_progress_once_per_change() {
        let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
        {
            let mut out = PlainOutput::new(&mut stdout, &mut stderr);
            out.pod_log("pi-x2b4c", LogStream::Stdout, b"[pod/pi-x2b4c] 3.14");
            out.pod_log("pi-x2b4c", LogStream::Stderr, b"[pod/pi-x2b4c] warn");
            let p = Progress {
                succeeded: 0,
                completions: Some(2),
                active: 1,
                failed: 0,
            };
            out.progress(&p);
            out.progress(&Progress { active: 2, ..p });
            out.progress(&Progress { succeeded: 1, ..p });
            out.status("pod/pi-x2b4c Completed");
        }
        assert_eq!(String::from_utf8(stdout).unwrap(), "[pod/pi-x2b4c] 3.14\n");
        assert_eq!(
            String::from_utf8(stderr).unwrap(),
            "[pod/pi-x2b4c] warn\ncompletions: 0/2\ncompletions: 1/2\npod/pi-x2b4c Completed\n"
        );
    }
}
