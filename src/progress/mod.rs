//! Progress for people, plain text for machines: indicatif on a terminal, the engine's lines
//! verbatim otherwise, nothing with `--progress quiet`. Everything here writes to stderr.
//!
//! Builds are shown here; pushes and pulls, layer by layer, in [`push`] (drawing) and
//! [`layers`] (what to draw, pure).

use std::io::{IsTerminal, Write};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::ProgressArg;
use crate::engine::BuildEvent;

pub mod buildkit;
mod layers;
mod push;

pub use push::PushProgress;

/// The resolved `--progress` mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressMode {
    /// Animated bars (stderr is a terminal, or `--progress tty`).
    Tty,
    /// One plain line per engine message.
    Plain,
    /// Nothing.
    Quiet,
}

impl ProgressMode {
    /// `auto` becomes `tty` when stderr is a terminal (and `TERM` is not `dumb`), else `plain`.
    pub fn resolve(arg: ProgressArg) -> Self {
        match arg {
            ProgressArg::Tty => ProgressMode::Tty,
            ProgressArg::Plain | ProgressArg::Rawjson => ProgressMode::Plain,
            ProgressArg::Quiet => ProgressMode::Quiet,
            ProgressArg::Auto => {
                let dumb = std::env::var("TERM").is_ok_and(|t| t == "dumb");
                if std::io::stderr().is_terminal() && !dumb {
                    ProgressMode::Tty
                } else {
                    ProgressMode::Plain
                }
            }
        }
    }

    /// A status line for humans (`Pushed …`, notices); shown unless quiet.
    pub fn note(self, message: &str) {
        if self != ProgressMode::Quiet {
            eprintln!("{message}");
        }
    }
}

/// Shows a build's output: the current step on a spinner (tty) or the text verbatim (plain).
pub struct BuildProgress {
    mode: ProgressMode,
    spinner: Option<ProgressBar>,
}

impl BuildProgress {
    /// Starts showing a build.
    pub fn new(mode: ProgressMode, title: &str) -> Self {
        let spinner = (mode == ProgressMode::Tty).then(|| spinner(title));
        BuildProgress { mode, spinner }
    }

    /// Shows one engine message.
    pub fn event(&mut self, event: &BuildEvent) {
        match (self.mode, event) {
            (ProgressMode::Quiet, _) | (_, BuildEvent::ImageId(_)) | (_, BuildEvent::Trace(_)) => {}
            (ProgressMode::Plain, BuildEvent::Output(text)) => {
                // Chunks are not line-aligned: write them as they come, adding nothing.
                let mut stderr = std::io::stderr().lock();
                let _ = stderr.write_all(text.as_bytes());
                let _ = stderr.flush();
            }
            (ProgressMode::Plain, BuildEvent::Status { id, status }) => match id {
                Some(id) => eprintln!("{id}: {status}"),
                None => eprintln!("{status}"),
            },
            (ProgressMode::Tty, BuildEvent::Output(text)) => {
                let Some(spinner) = &self.spinner else { return };
                for line in text.lines().map(str::trim_end).filter(|l| !l.is_empty()) {
                    if line.starts_with("Step ") {
                        spinner.set_message(line.to_string());
                    }
                    spinner.println(line);
                }
            }
            (ProgressMode::Tty, BuildEvent::Status { status, .. }) => {
                if let Some(spinner) = &self.spinner {
                    spinner.set_message(status.clone());
                }
            }
        }
    }

    /// Stops the spinner.
    pub fn finish(self) {
        if let Some(spinner) = self.spinner {
            spinner.finish_and_clear();
        }
    }
}

pub(crate) fn spinner(title: &str) -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {prefix} {elapsed:>4} {wide_msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.set_prefix(title.to_string());
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// `1.5 MiB`-style sizes for progress lines.
pub fn human_bytes(bytes: i64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::human_bytes;

    #[test]
    fn sizes_are_human() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(3 * 1024 * 1024), "3.0 MiB");
    }
}
