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

mod build_view;
pub mod buildkit;
mod layers;
mod push;

pub use build_view::BuildKitView;
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

/// Shows a build's output. The classic builder's: the current step on a spinner (tty) or the
/// text verbatim (plain). BuildKit's: as buildx shows it ([`BuildKitView`]).
pub struct BuildProgress {
    mode: ProgressMode,
    spinner: Option<ProgressBar>,
    buildkit: Option<BuildKitView>,
}

impl BuildProgress {
    /// Starts showing a classic build.
    pub fn classic(mode: ProgressMode, title: &str) -> Self {
        let spinner = (mode == ProgressMode::Tty).then(|| spinner(title));
        BuildProgress {
            mode,
            spinner,
            buildkit: None,
        }
    }

    /// Starts showing a BuildKit build; `raw_json` is `--progress rawjson`.
    pub fn buildkit(mode: ProgressMode, raw_json: bool) -> Self {
        let view = match mode {
            ProgressMode::Plain if raw_json => BuildKitView::RawJson(Default::default()),
            ProgressMode::Plain => BuildKitView::Plain(Default::default()),
            ProgressMode::Tty => BuildKitView::Tty(build_view::LiveView::start()),
            ProgressMode::Quiet => BuildKitView::Quiet(Default::default()),
        };
        BuildProgress {
            mode,
            spinner: None,
            buildkit: Some(view),
        }
    }

    /// The failed steps' logs and the failing instruction's lines, for a BuildKit build that
    /// failed (empty for the classic builder, whose output already showed them).
    pub fn failure_context(&self, dockerfile: Option<buildkit::DockerfileText<'_>>) -> String {
        self.buildkit
            .as_ref()
            .map(|view| view.failure_context(dockerfile))
            .unwrap_or_default()
    }

    /// Shows one engine message.
    pub fn event(&mut self, event: &BuildEvent) {
        if let Some(view) = &mut self.buildkit {
            match event {
                BuildEvent::Trace(status) => view.accept(status),
                BuildEvent::Output(text) => view.note(text),
                BuildEvent::Status { .. } | BuildEvent::ImageId(_) => {}
            }
            return;
        }
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

    /// Stops the spinner, or ends the BuildKit view.
    pub fn finish(&mut self) {
        if let Some(spinner) = self.spinner.take() {
            spinner.finish_and_clear();
        }
        if let Some(view) = &mut self.buildkit {
            view.finish();
        }
    }
}

/// A spinner drawing on stderr at once.
pub(crate) fn spinner(title: &str) -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    start_spinner(&bar, title);
    bar
}

/// Gives `bar` the spinner's look and starts its ticks. A bar that goes into a
/// `MultiProgress` must be added there first: one set up alone draws its first frame on its
/// own, a line the `MultiProgress` never clears (issue 15: a stale spinner frame stayed on
/// the screen above `docker push`-like output).
pub(crate) fn start_spinner(bar: &ProgressBar, title: &str) {
    bar.set_style(
        ProgressStyle::with_template("{spinner} {prefix} {elapsed:>4} {wide_msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.set_prefix(title.to_string());
    bar.enable_steady_tick(Duration::from_millis(120));
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
