//! A push's (or pull's) progress on stderr: one line per layer on a terminal, as `docker push`
//! draws it, or the engine's messages as plain lines (see [`super::layers`] for which).

use std::collections::HashMap;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use super::layers::{layer_line, LayerLine, PlainLines};
use super::{start_spinner, ProgressMode};
use crate::engine::PushEvent;

/// Shows the messages of one push or pull.
pub struct PushProgress {
    mode: ProgressMode,
    plain: PlainLines,
    terminal: Option<TerminalView>,
}

/// The bars on a terminal: a spinner with the title and the elapsed time, then one line per
/// layer in the order the engine first named them.
struct TerminalView {
    multi: MultiProgress,
    title: ProgressBar,
    layers: HashMap<String, ProgressBar>,
    /// Lines about the whole image that came after the layers (push: `1: digest: sha256:…
    /// size: 528`; pull: `Digest: …`, `Status: …`): printed below the layers once they are
    /// done, where docker prints them.
    after: Vec<String>,
}

impl PushProgress {
    /// Starts showing a transfer under `title` (`pushing REF`, `pulling REF`).
    pub fn new(mode: ProgressMode, title: &str) -> Self {
        let terminal = (mode == ProgressMode::Tty).then(|| {
            let multi = MultiProgress::new();
            let spinner = multi.add(ProgressBar::new_spinner());
            start_spinner(&spinner, title);
            TerminalView {
                multi,
                title: spinner,
                layers: HashMap::new(),
                after: Vec::new(),
            }
        });
        PushProgress {
            mode,
            plain: PlainLines::default(),
            terminal,
        }
    }

    /// Shows one engine message.
    pub fn event(&mut self, event: &PushEvent) {
        match (self.mode, &mut self.terminal) {
            (ProgressMode::Quiet, _) => {}
            (ProgressMode::Tty, Some(view)) => view.show(event),
            _ => {
                if let Some(line) = self.plain.line(event) {
                    eprintln!("{line}");
                }
            }
        }
    }

    /// Stops the spinner; the layers' last lines stay on the screen, as with `docker push`,
    /// followed by the lines about the whole image (the digest).
    pub fn finish(self) {
        if let Some(view) = self.terminal {
            view.finish();
        }
    }
}

impl TerminalView {
    fn show(&mut self, event: &PushEvent) {
        let Some(layer) = &event.layer else {
            if self.layers.is_empty() {
                // `The push refers to repository […]`: above the layers, as docker prints it.
                let _ = self.multi.println(&event.status);
            } else {
                self.after.push(event.status.clone());
            }
            return;
        };
        let bar = self.layers.entry(layer.clone()).or_insert_with(|| {
            let bar = self.multi.add(ProgressBar::new(0));
            bar.set_prefix(layer.clone());
            bar
        });
        match layer_line(event) {
            LayerLine::Text(text) => {
                bar.set_style(text_style());
                bar.set_message(text);
            }
            LayerLine::Transfer {
                status,
                current,
                total,
            } => {
                // Counts first: a style change redraws, and a bar of length 0 looks full.
                bar.set_length(total);
                bar.set_position(current);
                bar.set_message(status);
                bar.set_style(transfer_style());
            }
        }
    }

    /// The spinner goes (its line with it), the layers' last lines stay, then the lines held
    /// back. The spinner is cleared first, while the layers are still drawn below it, so
    /// that the redraw that removes its line also moves the layers up.
    fn finish(self) {
        self.title.finish_and_clear();
        self.multi.remove(&self.title);
        for bar in self.layers.values() {
            bar.finish();
        }
        for line in &self.after {
            eprintln!("{line}");
        }
    }
}

/// `5f70bf18a086: Pushed`.
fn text_style() -> ProgressStyle {
    ProgressStyle::with_template("{prefix}: {wide_msg}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
}

/// `5f70bf18a086: Pushing [=====>      ] 1.20 MiB/3.40 MiB`, the box filling the terminal's
/// width.
fn transfer_style() -> ProgressStyle {
    ProgressStyle::with_template("{prefix}: {msg} [{wide_bar}] {bytes}/{total_bytes}")
        .map(|style| style.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar())
}
