//! Progress of an image transfer (push or pull) as the engine reports it, layer by layer.
//!
//! Owns [`PushEvent`] and [`LayerPhase`]: the engine adapter turns each JSON message of
//! `POST /images/{name}/push` (and `/images/create`) into one event, and the progress
//! renderers key their lines and bars by [`PushEvent::layer`]. The status texts are moby's
//! (`distribution/push_v2.go`, `distribution/xfer/upload.go`, `distribution/pull_v2.go`,
//! `distribution/xfer/download.go` at v20.10.24).

/// One message of a push or pull stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushEvent {
    /// The layer (short ID, `5f70bf18a086`) the message is about; `None` for messages about
    /// the whole transfer (`The push refers to repository […]`, the final digest line).
    pub layer: Option<String>,
    /// Where the layer is, read from [`PushEvent::status`].
    pub phase: LayerPhase,
    /// The engine's status text, verbatim (`Pushing`, `Mounted from library/busybox`, …).
    pub status: String,
    /// Bytes done so far for the layer, when the engine reports them.
    pub current: Option<i64>,
    /// Total bytes of the layer, when known.
    pub total: Option<i64>,
}

impl PushEvent {
    /// An event for `status` about `layer`, its phase read from the status.
    pub fn new(
        layer: Option<String>,
        status: String,
        current: Option<i64>,
        total: Option<i64>,
    ) -> Self {
        let phase = match &layer {
            Some(_) => LayerPhase::of_status(&status),
            None => LayerPhase::Other,
        };
        PushEvent {
            layer,
            phase,
            status,
            current,
            total,
        }
    }
}

/// Where one layer of a transfer is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayerPhase {
    /// `Preparing` (push), `Pulling fs layer` (pull).
    Preparing,
    /// `Waiting`: queued behind the engine's concurrent-transfer limit or a parent layer.
    Waiting,
    /// `Pushing`, `Downloading`, `Verifying Checksum`, `Download complete`, `Extracting`:
    /// bytes are moving (with counts, mostly).
    Transferring,
    /// `Retrying in N seconds`: the engine retries this layer itself.
    Retrying,
    /// `Pushed`, `Pull complete`.
    Done,
    /// `Layer already exists` (push), `Already exists` (pull): nothing to send.
    AlreadyExists,
    /// `Mounted from REPO`: the registry linked the blob from another repository.
    Mounted,
    /// Anything else, and every message that is not about a layer.
    Other,
}

impl LayerPhase {
    /// The phase a layer's status text means.
    pub fn of_status(status: &str) -> Self {
        match status {
            "Preparing" | "Pulling fs layer" => LayerPhase::Preparing,
            "Waiting" => LayerPhase::Waiting,
            "Pushing" | "Downloading" | "Verifying Checksum" | "Download complete"
            | "Extracting" => LayerPhase::Transferring,
            "Pushed" | "Pull complete" => LayerPhase::Done,
            "Layer already exists" | "Already exists" => LayerPhase::AlreadyExists,
            s if s.starts_with("Mounted from ") => LayerPhase::Mounted,
            s if s.starts_with("Retrying in ") => LayerPhase::Retrying,
            _ => LayerPhase::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_and_pull_statuses_have_phases() {
        let cases = [
            ("Preparing", LayerPhase::Preparing),
            ("Waiting", LayerPhase::Waiting),
            ("Pushing", LayerPhase::Transferring),
            ("Pushed", LayerPhase::Done),
            ("Layer already exists", LayerPhase::AlreadyExists),
            ("Mounted from library/busybox", LayerPhase::Mounted),
            ("Retrying in 5 seconds", LayerPhase::Retrying),
            ("Pulling fs layer", LayerPhase::Preparing),
            ("Downloading", LayerPhase::Transferring),
            ("Pull complete", LayerPhase::Done),
            ("Already exists", LayerPhase::AlreadyExists),
            ("something new", LayerPhase::Other),
        ];
        for (status, phase) in cases {
            assert_eq!(LayerPhase::of_status(status), phase, "{status}");
        }
    }

    #[test]
    fn messages_without_a_layer_have_no_phase() {
        let event = PushEvent::new(None, "Pushed".into(), None, None);
        assert_eq!(event.phase, LayerPhase::Other);
        let event = PushEvent::new(Some("5f70bf18a086".into()), "Pushed".into(), None, None);
        assert_eq!(event.phase, LayerPhase::Done);
    }
}
