//! BuildKit build progress as `docker buildx build --progress=…` prints it, computed without a
//! terminal, a clock or any I/O.
//!
//! The engine answers `POST /build?version=2` with `moby.buildkit.trace` messages whose `aux`
//! is a base64 `moby.buildkit.v1.StatusResponse` ([`decode_trace_aux`]). This module owns:
//! - [`Trace`]: the solve status merged message after message, by vertex digest
//!   (buildkit `util/progress/progressui/display.go`, `trace.update`);
//! - [`PlainPrinter`]: `--progress plain` text (`printer.go`, `textMux`);
//! - [`rawjson_line`]: `--progress rawjson` lines (`client.SolveStatus` as JSON);
//! - [`tty_lines`]: what a live terminal view shows now (`display.go`, `ttyDisplay.print`);
//! - [`failure_excerpt`]: the failed step's last logs and the Dockerfile lines around it, as
//!   buildx prints them when a build fails.
//!
//! Time comes from the engine's own timestamps (and a `now` for the live view), so the same
//! messages always give the same text.
//!
//! Upstream references are moby/buildkit `util/progress/progressui` (checked at 73ed6825) and
//! docker/buildx (461836ba); where buildx behaviour changed over the years, the rule followed
//! is named at the place it applies.

use base64::Engine as _;
use bollard_buildkit_proto::google::protobuf::Timestamp as ProtoTimestamp;
use bollard_buildkit_proto::moby::buildkit::v1::StatusResponse;
use jiff::Timestamp;
use prost::Message as _;

mod excerpt;
mod plain;
mod rawjson;
mod trace;
mod tty;
mod vertex;

pub use excerpt::{failure_context, failure_excerpt, DockerfileText};
pub use plain::PlainPrinter;
pub use rawjson::rawjson_line;
pub use trace::{FailedStep, Trace};
pub use tty::{tty_lines, Screen, Tone, TtyLine};
pub use vertex::{LogLine, VertexState};

/// Decodes the `aux` of a `moby.buildkit.trace` message.
pub fn decode_trace_aux(aux: &str) -> Result<StatusResponse, String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(aux.trim())
        .map_err(|e| format!("BuildKit trace is not base64: {e}"))?;
    StatusResponse::decode(bytes.as_slice())
        .map_err(|e| format!("BuildKit trace is not a StatusResponse: {e}"))
}

/// A protobuf timestamp as a [`Timestamp`]; `None` when absent or out of range.
fn timestamp(t: Option<&ProtoTimestamp>) -> Option<Timestamp> {
    t.and_then(|t| Timestamp::new(t.seconds, t.nanos).ok())
}

/// Nanoseconds from `from` to `to`, as Go's `time.Time.Sub` (saturating at Go's limits).
fn nanos_between(from: Timestamp, to: Timestamp) -> i64 {
    let nanos = to.as_nanosecond() - from.as_nanosecond();
    nanos.clamp(i64::MIN as i128, i64::MAX as i128) as i64
}

/// Go's `time.Duration.Seconds()`, computed the same way so the float (and the digits printed
/// from it) match buildx's bit for bit.
fn go_seconds(nanos: i64) -> f64 {
    const SECOND: i64 = 1_000_000_000;
    (nanos / SECOND) as f64 + (nanos % SECOND) as f64 / 1e9
}

/// `%.2f` of tonistiigi/units `Bytes`: whole bytes below 1 kB (`2B`), else two decimals and a
/// decimal unit (`1.23MB`), as buildx prints transfer sizes.
fn units_bytes(bytes: i64) -> String {
    const UNITS: [&str; 7] = ["B", "kB", "MB", "GB", "TB", "PB", "EB"];
    let mut unit = 0;
    let mut base: i64 = 1;
    while unit + 1 < UNITS.len() && bytes.unsigned_abs() >= base.unsigned_abs() * 1000 {
        base *= 1000;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes}B")
    } else {
        format!("{:.2}{}", bytes as f64 / base as f64, UNITS[unit])
    }
}

#[cfg(test)]
pub(crate) mod fixtures {
    //! The recorded engine streams, decoded.

    use super::*;

    pub const SUCCESS: &str = include_str!("../../../tests/fixtures/buildkit/success.jsonl");
    pub const CACHED: &str = include_str!("../../../tests/fixtures/buildkit/cached.jsonl");
    pub const FAILED_RUN: &str = include_str!("../../../tests/fixtures/buildkit/failed-run.jsonl");

    /// The `moby.buildkit.trace` messages of a recorded stream, decoded.
    pub fn statuses(stream: &str) -> Vec<StatusResponse> {
        stream
            .lines()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .filter(|message| message["id"] == "moby.buildkit.trace")
            .map(|message| decode_trace_aux(message["aux"].as_str().unwrap_or_default()))
            .collect::<Result<_, _>>()
            .expect("fixture traces decode")
    }

    /// Milliseconds since the epoch as a [`Timestamp`].
    pub fn at(ms: i64) -> Timestamp {
        Timestamp::from_millisecond(ms).unwrap()
    }

    /// Milliseconds since the epoch as a protobuf timestamp.
    pub fn proto(ms: i64) -> Option<ProtoTimestamp> {
        Some(ProtoTimestamp {
            seconds: ms.div_euclid(1000),
            nanos: (ms.rem_euclid(1000) * 1_000_000) as i32,
        })
    }

    /// A vertex named `name`, started and completed at those milliseconds.
    pub fn vertex(
        digest: &str,
        name: &str,
        started: Option<i64>,
        completed: Option<i64>,
    ) -> bollard_buildkit_proto::moby::buildkit::v1::Vertex {
        bollard_buildkit_proto::moby::buildkit::v1::Vertex {
            digest: digest.into(),
            name: name.into(),
            started: started.and_then(proto),
            completed: completed.and_then(proto),
            ..Default::default()
        }
    }

    /// The stream's final error message, if it failed.
    pub fn error(stream: &str) -> Option<String> {
        stream
            .lines()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .find_map(|message| {
                message["errorDetail"]["message"]
                    .as_str()
                    .map(str::to_owned)
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_every_recorded_trace() {
        for stream in [fixtures::SUCCESS, fixtures::CACHED, fixtures::FAILED_RUN] {
            assert!(!fixtures::statuses(stream).is_empty());
        }
        assert!(decode_trace_aux("not base64!").is_err());
        assert!(decode_trace_aux("/w==").is_err());
    }

    #[test]
    fn seconds_and_sizes_print_as_go_does() {
        assert_eq!(go_seconds(1_500_000_000), 1.5);
        assert_eq!(go_seconds(-250_000_000), -0.25);
        assert_eq!(units_bytes(2), "2B");
        assert_eq!(units_bytes(999), "999B");
        assert_eq!(units_bytes(1234), "1.23kB");
        assert_eq!(units_bytes(2_810_000), "2.81MB");
    }
}
