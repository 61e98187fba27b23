//! The solve status accumulated message after message: every vertex by digest (each one a
//! [`VertexState`]), the order they started, and the stream's clock.
//!
//! The merge rules are buildkit's `trace.update` (`util/progress/progressui/display.go`);
//! merging also reports what changed ([`Changes`]), which is what the plain printer reacts to.
//! Progress groups (BuildKit ≥ 0.10 merges `COPY --link` vertexes under one) are not merged:
//! engine 20.10 does not send them, and their vertexes show one by one.

use std::collections::HashMap;

use bollard_buildkit_proto::moby::buildkit::v1::{StatusResponse, Vertex};
use jiff::Timestamp;

use super::timestamp;
use super::vertex::{merge_intervals, Interval, VertexState};

/// The accumulated status of one build.
#[derive(Debug, Default)]
pub struct Trace {
    vertexes: Vec<VertexState>,
    by_digest: HashMap<String, usize>,
    /// Vertexes in the order they first started (buildkit's `trace.vertexes`).
    started: Vec<usize>,
    /// The first vertex's start: the build's start for the live view's timer.
    start_time: Option<Timestamp>,
    /// The latest time any message mentioned: the stream's own clock.
    latest: Option<Timestamp>,
}

/// A vertex that failed, for [`super::failure_excerpt`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedStep {
    /// Its `#n`.
    pub number: usize,
    /// Its name (`[3/3] RUN echo about to fail && exit 3`).
    pub name: String,
    /// The engine's error for it.
    pub error: String,
    /// Its last log lines, stamped (`0.235 about to fail`).
    pub logs: Vec<String>,
}

/// What merging one message changed, in the terms the plain printer needs.
#[derive(Debug, Default)]
pub(super) struct Changes {
    /// Vertexes with something new to print (buildkit's `trace.updates`), each once.
    pub updated: Vec<usize>,
    /// One entry per event on a vertex (buildkit's `vertex.update(1)`): activity for the
    /// printer's choice between concurrent vertexes.
    pub events: Vec<usize>,
    /// Status ids that changed.
    pub statuses: Vec<(usize, String)>,
    /// Log pieces: a new stamped line, or more of the open line.
    pub logs: Vec<(usize, LogPiece)>,
}

/// A piece of log output.
#[derive(Debug)]
pub(super) enum LogPiece {
    /// A new line, stamped (`0.312 text`).
    Line(Vec<u8>),
    /// More bytes of the line still open.
    More(Vec<u8>),
}

impl Changes {
    fn updated(&mut self, index: usize) {
        if !self.updated.contains(&index) {
            self.updated.push(index);
        }
    }
}

impl Trace {
    /// Merges one status message.
    pub fn accept(&mut self, status: &StatusResponse) {
        self.accept_changes(status);
    }

    /// Merges one status message; returns what changed.
    pub(super) fn accept_changes(&mut self, status: &StatusResponse) -> Changes {
        let mut changes = Changes::default();
        self.advance_clock(status);
        for vertex in &status.vertexes {
            self.accept_vertex(vertex, &mut changes);
        }
        for s in &status.statuses {
            let Some(&index) = self.by_digest.get(&s.vertex) else {
                continue; // "shouldn't happen" (buildkit ignores it too)
            };
            let v = &mut self.vertexes[index];
            let had_start = v.statuses.get(&s.id).is_some_and(|p| p.started.is_some());
            if s.started.is_some() && !had_start {
                v.status_order.push(s.id.clone());
            }
            v.statuses.insert(s.id.clone(), s.clone());
            changes.statuses.push((index, s.id.clone()));
            changes.updated(index);
            changes.events.push(index);
        }
        for w in &status.warnings {
            if let Some(&index) = self.by_digest.get(&w.vertex) {
                // Not an update by itself: buildkit prints warnings with the vertex's next
                // change.
                self.vertexes[index].warnings.push(w.clone());
                changes.events.push(index);
            }
        }
        for log in &status.logs {
            let Some(&index) = self.by_digest.get(&log.vertex) else {
                continue;
            };
            let at = timestamp(log.timestamp.as_ref()).unwrap_or(Timestamp::UNIX_EPOCH);
            self.vertexes[index].accept_log(&log.msg, at, index, &mut changes);
            changes.updated(index);
            changes.events.push(index);
        }
        changes
    }

    /// `trace.update` for one vertex.
    fn accept_vertex(&mut self, vertex: &Vertex, changes: &mut Changes) {
        let started = timestamp(vertex.started.as_ref());
        if self.start_time.is_none() {
            self.start_time = started;
        }
        let index = match self.by_digest.get(&vertex.digest) {
            Some(&index) => index,
            None => {
                self.by_digest
                    .insert(vertex.digest.clone(), self.vertexes.len());
                self.vertexes.push(VertexState::new(vertex.clone()));
                self.vertexes.len() - 1
            }
        };
        let v = &mut self.vertexes[index];
        let was_started = v.is_started();
        if started.is_some() && v.changed_by(vertex) {
            changes.updated(index);
            changes.events.push(index);
        }
        if started.is_some() {
            v.prev = Some(vertex.clone());
        }
        if started.is_some() && !was_started {
            self.started.push(index);
            v.number = Some(self.started.len());
        }
        // "allow a duplicate initial vertex that shouldn't reset state"
        if !was_started || started.is_some() {
            v.vertex = vertex.clone();
        }
        if let Some(start) = started {
            let stop = timestamp(vertex.completed.as_ref());
            v.intervals
                .insert(start.as_nanosecond(), Interval { start, stop });
            v.merged = merge_intervals(v.intervals.values().copied());
        }
    }

    fn advance_clock(&mut self, status: &StatusResponse) {
        let vertex_times = status
            .vertexes
            .iter()
            .flat_map(|v| [v.started.as_ref(), v.completed.as_ref()]);
        let status_times = status.statuses.iter().flat_map(|s| {
            [
                s.timestamp.as_ref(),
                s.started.as_ref(),
                s.completed.as_ref(),
            ]
        });
        let log_times = status.logs.iter().map(|l| l.timestamp.as_ref());
        let latest = vertex_times
            .chain(status_times)
            .chain(log_times)
            .filter_map(timestamp)
            .max();
        self.latest = self.latest.max(latest);
    }

    /// The vertex at `index` (as in [`Changes`]).
    pub(super) fn at(&self, index: usize) -> &VertexState {
        &self.vertexes[index]
    }

    /// Every vertex, in the order they first appeared.
    pub fn vertexes(&self) -> &[VertexState] {
        &self.vertexes
    }

    /// The vertex with this digest.
    pub fn get(&self, digest: &str) -> Option<&VertexState> {
        self.by_digest.get(digest).map(|&i| &self.vertexes[i])
    }

    /// Indexes of the vertexes that started, in the order they first started.
    pub(super) fn started_order(&self) -> &[usize] {
        &self.started
    }

    /// When the first vertex started.
    pub fn start_time(&self) -> Option<Timestamp> {
        self.start_time
    }

    /// The latest time any message so far carried: the stream's clock, a `now` that needs no
    /// clock (the plain printer's, and the live view's last frame).
    pub fn latest(&self) -> Option<Timestamp> {
        self.latest
    }

    /// The vertexes that failed (not cancelled), in the order they started.
    pub fn failed_steps(&self) -> Vec<FailedStep> {
        self.started
            .iter()
            .map(|&i| &self.vertexes[i])
            .filter(|v| v.failed())
            .map(|v| FailedStep {
                number: v.number.unwrap_or_default(),
                name: v.vertex.name.clone(),
                error: v.vertex.error.clone(),
                logs: v
                    .logs
                    .iter()
                    .map(|l| String::from_utf8_lossy(&l.stamped()).into_owned())
                    .collect(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures;
    use super::super::fixtures::{at, proto};
    use super::*;
    use bollard_buildkit_proto::moby::buildkit::v1::VertexLog;

    fn vertex(digest: &str, started: Option<i64>, completed: Option<i64>) -> Vertex {
        fixtures::vertex(digest, &format!("step {digest}"), started, completed)
    }

    fn log(digest: &str, ms: i64, msg: &str) -> VertexLog {
        VertexLog {
            vertex: digest.into(),
            timestamp: proto(ms),
            stream: 1,
            msg: msg.as_bytes().to_vec(),
        }
    }

    #[test]
    fn vertexes_are_numbered_as_they_first_start() {
        let mut trace = Trace::default();
        trace.accept(&StatusResponse {
            vertexes: vec![vertex("a", None, None), vertex("b", Some(0), None)],
            ..StatusResponse::default()
        });
        trace.accept(&StatusResponse {
            vertexes: vec![vertex("a", Some(5), None)],
            ..StatusResponse::default()
        });
        assert_eq!(trace.get("b").and_then(VertexState::number), Some(1));
        assert_eq!(trace.get("a").and_then(VertexState::number), Some(2));
        assert_eq!(trace.vertexes()[0].vertex.digest, "a");
    }

    #[test]
    fn an_unstarted_repeat_does_not_reset_a_started_vertex() {
        let mut trace = Trace::default();
        let changes = trace.accept_changes(&StatusResponse {
            vertexes: vec![vertex("a", None, None)],
            ..StatusResponse::default()
        });
        assert!(changes.updated.is_empty(), "not started: nothing to print");
        trace.accept(&StatusResponse {
            vertexes: vec![vertex("a", Some(0), Some(400))],
            ..StatusResponse::default()
        });
        trace.accept(&StatusResponse {
            vertexes: vec![vertex("a", None, None)],
            ..StatusResponse::default()
        });
        let a = trace.get("a").unwrap();
        assert!(a.is_completed());
        assert_eq!(a.run_nanos(at(0)), 400_000_000);
    }

    #[test]
    fn logs_split_into_stamped_lines_and_open_lines_continue() {
        let mut trace = Trace::default();
        trace.accept(&StatusResponse {
            vertexes: vec![vertex("a", Some(1_000), None)],
            logs: vec![log("a", 1_312, "one\ntw"), log("a", 13_000, "o\nthree\n")],
            ..StatusResponse::default()
        });
        let a = trace.get("a").unwrap();
        let lines: Vec<String> = a
            .logs()
            .iter()
            .map(|l| String::from_utf8_lossy(&l.stamped()).into_owned())
            .collect();
        assert_eq!(lines, ["0.312 one", "0.312 two", "12.00 three"]);
        assert!(!a.logs_partial());
    }

    #[test]
    fn keeps_the_last_ten_lines() {
        let mut trace = Trace::default();
        let text: String = (1..=15).map(|i| format!("line {i}\n")).collect();
        trace.accept(&StatusResponse {
            vertexes: vec![vertex("a", Some(0), None)],
            logs: vec![log("a", 100, &text)],
            ..StatusResponse::default()
        });
        let logs = trace.get("a").unwrap().logs();
        assert_eq!(logs.len(), super::super::vertex::LOG_TAIL);
        assert_eq!(logs[0].text, b"line 6");
    }

    #[test]
    fn the_recorded_failure_is_one_failed_step() {
        let mut trace = Trace::default();
        for status in fixtures::statuses(fixtures::FAILED_RUN) {
            trace.accept(&status);
        }
        let failed = trace.failed_steps();
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].name, "[3/3] RUN echo about to fail && exit 3");
        assert_eq!(failed[0].logs, ["0.315 about to fail"]);
        assert!(failed[0].error.ends_with("exit code: 3"));
    }
}
