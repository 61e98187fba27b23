//! What a push (or pull) shows, layer by layer, decided without a terminal.
//!
//! Owns [`PlainLines`] (which engine messages become lines when stderr is not a terminal) and
//! [`layer_line`] (what one layer's line on a terminal shows). `push.rs` only draws what these
//! return. Pure.
//!
//! Plain output follows `docker push` to a pipe: `<id>: <status>` per layer message and the
//! other messages as they are (moby `pkg/jsonmessage` `Display`). The CLI drops every message
//! that carries a byte count there; dockjob keeps the first `Pushing` of each layer (so a log
//! shows when the upload started) and drops the repeats, one per chunk.

use std::collections::HashMap;

use crate::engine::{LayerPhase, PushEvent};

use super::human_bytes;

/// Turns engine messages into plain lines, each layer's status once per change.
#[derive(Debug, Default)]
pub struct PlainLines {
    /// The status last printed for each layer.
    shown: HashMap<String, String>,
    /// The last message printed that was not about a layer.
    last_general: Option<String>,
}

impl PlainLines {
    /// The line to print for `event`, or `None` when it repeats what the layer last said.
    pub fn line(&mut self, event: &PushEvent) -> Option<String> {
        match &event.layer {
            Some(layer) => {
                if self.shown.get(layer) == Some(&event.status) {
                    return None;
                }
                self.shown.insert(layer.clone(), event.status.clone());
                Some(format!("{layer}: {}", event.status))
            }
            None => {
                if self.last_general.as_ref() == Some(&event.status) {
                    return None;
                }
                self.last_general = Some(event.status.clone());
                Some(event.status.clone())
            }
        }
    }
}

/// What one layer's line on a terminal shows after its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LayerLine {
    /// Just text: `Preparing`, `Pushed`, `Mounted from library/busybox`, `Pushing 2.0 KiB`.
    Text(String),
    /// Bytes moving with a known total: drawn as `Pushing [====>    ] 1.2 MiB/3.4 MiB`, the box
    /// as wide as the terminal allows (`docker push` draws a fixed 50-column box when the
    /// terminal is wider than 110 columns, moby `pkg/jsonmessage`).
    Transfer {
        /// `Pushing`, `Downloading`, …
        status: String,
        /// Bytes done, never more than `total` (the engine's counts may overshoot).
        current: u64,
        /// Total bytes.
        total: u64,
    },
}

/// One layer's line on a terminal, after its id.
pub fn layer_line(event: &PushEvent) -> LayerLine {
    if event.phase != LayerPhase::Transferring {
        return LayerLine::Text(event.status.clone());
    }
    let current = event.current.unwrap_or(0).max(0) as u64;
    match event.total.filter(|t| *t > 0) {
        Some(total) => LayerLine::Transfer {
            status: event.status.clone(),
            current: current.min(total as u64),
            total: total as u64,
        },
        None if current > 0 => {
            LayerLine::Text(format!("{} {}", event.status, human_bytes(current as i64)))
        }
        None => LayerLine::Text(event.status.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(layer: Option<&str>, status: &str, bytes: Option<(i64, i64)>) -> PushEvent {
        PushEvent::new(
            layer.map(str::to_string),
            status.to_string(),
            bytes.map(|b| b.0),
            bytes.map(|b| b.1),
        )
    }

    #[test]
    fn plain_output_has_one_line_per_layer_status() {
        let stream = [
            event(None, "The push refers to repository [r/a]", None),
            event(Some("aaa"), "Preparing", None),
            event(Some("bbb"), "Preparing", None),
            event(Some("aaa"), "Waiting", None),
            event(Some("bbb"), "Layer already exists", None),
            event(Some("aaa"), "Pushing", Some((1, 10))),
            event(Some("aaa"), "Pushing", Some((5, 10))),
            event(Some("aaa"), "Pushing", Some((10, 10))),
            event(Some("aaa"), "Pushed", None),
            event(None, "1: digest: sha256:0 size: 2", None),
        ];
        let mut plain = PlainLines::default();
        let lines: Vec<String> = stream.iter().filter_map(|e| plain.line(e)).collect();
        assert_eq!(
            lines,
            [
                "The push refers to repository [r/a]",
                "aaa: Preparing",
                "bbb: Preparing",
                "aaa: Waiting",
                "bbb: Layer already exists",
                "aaa: Pushing",
                "aaa: Pushed",
                "1: digest: sha256:0 size: 2",
            ]
        );
    }

    #[test]
    fn a_layer_that_goes_back_to_a_status_says_so_again() {
        // The engine retries a layer on its own: Pushing, Retrying in N seconds, Pushing.
        let mut plain = PlainLines::default();
        let lines: Vec<Option<String>> = [
            event(Some("a"), "Pushing", Some((1, 9))),
            event(Some("a"), "Retrying in 5 seconds", None),
            event(Some("a"), "Pushing", Some((2, 9))),
        ]
        .iter()
        .map(|e| plain.line(e))
        .collect();
        assert!(lines.iter().all(Option::is_some), "{lines:?}");
    }

    #[test]
    fn terminal_lines_show_bytes_while_pushing() {
        assert_eq!(
            layer_line(&event(Some("a"), "Pushing", Some((512, 1024)))),
            LayerLine::Transfer {
                status: "Pushing".into(),
                current: 512,
                total: 1024
            }
        );
        assert_eq!(
            layer_line(&event(Some("a"), "Pushing", Some((4096, 1024)))),
            LayerLine::Transfer {
                status: "Pushing".into(),
                current: 1024,
                total: 1024
            },
            "an overshooting count is capped"
        );
        assert_eq!(
            layer_line(&event(Some("a"), "Pushed", None)),
            LayerLine::Text("Pushed".into())
        );
        assert_eq!(
            layer_line(&event(Some("a"), "Pushing", Some((2048, 0)))),
            LayerLine::Text("Pushing 2.0 KiB".into())
        );
        assert_eq!(
            layer_line(&event(Some("a"), "Pushing", None)),
            LayerLine::Text("Pushing".into())
        );
    }
}
