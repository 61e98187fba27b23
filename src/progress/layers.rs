//! What a push (or pull) shows, layer by layer, decided without a terminal.
//!
//! Owns [`PlainLines`] (which engine messages become lines when stderr is not a terminal) and
//! [`layer_line`] (the text of one layer's line on a terminal). `push.rs` only draws what these
//! return. Pure.
//!
//! Plain output follows `docker push` to a pipe: `<id>: <status>` per layer message and the
//! other messages as they are (moby `pkg/jsonmessage` `Display`). The CLI drops every message
//! that carries a byte count there; dockjob keeps the first `Pushing` of each layer (so a log
//! shows when the upload started) and drops the repeats, one per chunk.

use std::collections::HashMap;

use crate::engine::{LayerPhase, PushEvent};

use super::human_bytes;

/// Width of the `[===>   ]` box on a layer's terminal line, as `docker push` on a wide terminal.
const BAR_WIDTH: usize = 50;

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

/// One layer's line on a terminal, without the id: the status, and while bytes move a
/// `[====>    ]` box and `done/total`, as `docker push` draws it.
pub fn layer_line(event: &PushEvent) -> String {
    let counts = match (event.current, event.total) {
        (Some(current), Some(total)) if total > 0 => Some((current.max(0), total)),
        _ => None,
    };
    match (event.phase, counts) {
        (LayerPhase::Transferring, Some((current, total))) => {
            let done = ((current as f64 / total as f64) * BAR_WIDTH as f64) as usize;
            let done = done.min(BAR_WIDTH);
            let bar = if done == BAR_WIDTH {
                "=".repeat(BAR_WIDTH)
            } else {
                format!("{}>{}", "=".repeat(done), " ".repeat(BAR_WIDTH - done - 1))
            };
            format!(
                "{} [{bar}] {}/{}",
                event.status,
                human_bytes(current),
                human_bytes(total)
            )
        }
        (LayerPhase::Transferring, None) => match event.current.filter(|c| *c > 0) {
            Some(current) => format!("{} {}", event.status, human_bytes(current)),
            None => event.status.clone(),
        },
        _ => event.status.clone(),
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
    fn terminal_lines_show_a_bar_and_bytes_while_pushing() {
        let half = layer_line(&event(Some("a"), "Pushing", Some((512, 1024))));
        assert_eq!(
            half,
            format!(
                "Pushing [{}>{}] 512 B/1.0 KiB",
                "=".repeat(25),
                " ".repeat(24)
            )
        );
        let full = layer_line(&event(Some("a"), "Pushing", Some((1024, 1024))));
        assert!(full.contains(&format!("[{}]", "=".repeat(50))), "{full}");
        let over = layer_line(&event(Some("a"), "Pushing", Some((4096, 1024))));
        assert!(over.contains(&format!("[{}]", "=".repeat(50))), "{over}");
        assert_eq!(layer_line(&event(Some("a"), "Pushed", None)), "Pushed");
        assert_eq!(
            layer_line(&event(Some("a"), "Pushing", Some((2048, 0)))),
            "Pushing 2.0 KiB"
        );
    }
}
