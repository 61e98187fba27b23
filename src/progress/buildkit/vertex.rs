//! One vertex as accumulated: its latest state, its run intervals, its statuses and warnings,
//! and the tail of its logs stamped as buildx stamps them. Filled in by [`super::Trace`].

use std::collections::{BTreeMap, HashMap, VecDeque};

use bollard_buildkit_proto::moby::buildkit::v1::{Vertex, VertexStatus, VertexWarning};
use jiff::Timestamp;

use super::trace::{Changes, LogPiece};
use super::{go_seconds, nanos_between, timestamp};

/// How many of a vertex's last log lines are kept (buildkit `logsBufferSize`: the lines shown
/// when the vertex fails).
pub(super) const LOG_TAIL: usize = 10;

/// One vertex (a build step, `[internal] load …`, `exporting to image`) as accumulated.
#[derive(Debug)]
pub struct VertexState {
    /// The latest state the engine sent.
    pub vertex: Vertex,
    /// The last started state, to tell a change from a repeat (`triggerVertexEvent`).
    pub(super) prev: Option<Vertex>,
    /// `#n`, numbered as vertexes first start.
    pub(super) number: Option<usize>,
    /// Run intervals by start (a cache check and the run are two), merged when they overlap.
    pub(super) intervals: BTreeMap<i128, Interval>,
    pub(super) merged: Vec<Interval>,
    /// Status ids in the order they started, and each one's latest value.
    pub(super) status_order: Vec<String>,
    pub(super) statuses: HashMap<String, VertexStatus>,
    /// Warnings in arrival order.
    pub warnings: Vec<VertexWarning>,
    /// The last [`LOG_TAIL`] log lines; the last one is open when `logs_partial`.
    pub(super) logs: VecDeque<LogLine>,
    pub(super) logs_partial: bool,
    /// Log bytes received, to pick which running vertexes show their output.
    pub(super) log_bytes: usize,
}

/// One log line of a vertex.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// Seconds from the vertex's start to the line, as buildx prints it (`0.312`, `12.31`).
    pub elapsed: String,
    /// The line's bytes, without the newline.
    pub text: Vec<u8>,
}

impl LogLine {
    /// `0.312 text`, the form buildx keeps and prints after `#n `.
    pub fn stamped(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.elapsed.len() + 1 + self.text.len());
        out.extend_from_slice(self.elapsed.as_bytes());
        out.push(b' ');
        out.extend_from_slice(&self.text);
        out
    }
}

/// A run of a vertex; `stop` is `None` while it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Interval {
    pub start: Timestamp,
    pub stop: Option<Timestamp>,
}

impl Interval {
    /// Its length in nanoseconds, up to `now` while it runs.
    pub fn nanos(&self, now: Timestamp) -> i64 {
        nanos_between(self.start, self.stop.unwrap_or(now))
    }
}

impl VertexState {
    pub(super) fn new(vertex: Vertex) -> Self {
        VertexState {
            vertex,
            prev: None,
            number: None,
            intervals: BTreeMap::new(),
            merged: Vec::new(),
            status_order: Vec::new(),
            statuses: HashMap::new(),
            warnings: Vec::new(),
            logs: VecDeque::new(),
            logs_partial: false,
            log_bytes: 0,
        }
    }

    /// `triggerVertexEvent`: is this message news? A set `completed` always is (buildkit
    /// compares the pointers, which differ for every message).
    pub(super) fn changed_by(&self, vertex: &Vertex) -> bool {
        let Some(old) = &self.prev else { return true };
        vertex.digest != old.digest
            || vertex.name != old.name
            || timestamp(vertex.started.as_ref()) != timestamp(old.started.as_ref())
            || vertex.completed.is_some()
            || vertex.cached != old.cached
            || vertex.error != old.error
    }

    /// Splits a log chunk into lines: the first piece continues the open line, each new line
    /// is stamped with the seconds since the vertex's latest run started, three decimals below
    /// 10 s, two below 100 s, then one (`trace.update`).
    pub(super) fn accept_log(
        &mut self,
        data: &[u8],
        at: Timestamp,
        index: usize,
        changes: &mut Changes,
    ) {
        self.log_bytes += data.len();
        // buildkit's `split`: empty data leaves the line open; a trailing newline closes it.
        let complete = !data.is_empty() && data.ends_with(b"\n");
        let body = if complete {
            &data[..data.len() - 1]
        } else {
            data
        };
        if !data.is_empty() {
            for (i, piece) in body.split(|&b| b == b'\n').enumerate() {
                match self.logs.back_mut() {
                    Some(open) if i == 0 && self.logs_partial => {
                        open.text.extend_from_slice(piece);
                        changes.logs.push((index, LogPiece::More(piece.to_vec())));
                    }
                    _ => {
                        let line = LogLine {
                            elapsed: self.elapsed_at(at),
                            text: piece.to_vec(),
                        };
                        changes.logs.push((index, LogPiece::Line(line.stamped())));
                        if self.logs.len() == LOG_TAIL {
                            self.logs.pop_front();
                        }
                        self.logs.push_back(line);
                    }
                }
            }
        }
        self.logs_partial = !complete;
    }

    fn elapsed_at(&self, at: Timestamp) -> String {
        let nanos = self
            .most_recent_interval()
            .map_or(0, |ival| nanos_between(ival.start, at));
        let seconds = go_seconds(nanos);
        let precision = if seconds < 10.0 {
            3
        } else if seconds < 100.0 {
            2
        } else {
            1
        };
        format!("{seconds:.precision$}")
    }

    /// `#n`: the order in which it first started (buildx numbers as it first prints, which
    /// is the same order unless concurrent steps start together; see [`super::PlainPrinter`]).
    pub fn number(&self) -> Option<usize> {
        self.number
    }

    /// Whether it has run (or is running).
    pub fn is_started(&self) -> bool {
        !self.merged.is_empty()
    }

    /// Whether its latest run finished.
    pub fn is_completed(&self) -> bool {
        self.merged.last().is_some_and(|ival| ival.stop.is_some())
    }

    /// Whether it failed (a cancellation is not a failure).
    pub fn failed(&self) -> bool {
        !self.vertex.error.is_empty() && !self.canceled()
    }

    /// Whether it was cancelled (buildkit: the error ends with `context canceled`).
    pub fn canceled(&self) -> bool {
        self.vertex.error.ends_with("context canceled")
    }

    /// The time it ran, in nanoseconds: its merged intervals, up to `now` while running.
    pub fn run_nanos(&self, now: Timestamp) -> i64 {
        self.merged.iter().map(|ival| ival.nanos(now)).sum()
    }

    pub(super) fn merged(&self) -> &[Interval] {
        &self.merged
    }

    pub(super) fn most_recent_interval(&self) -> Option<&Interval> {
        self.merged.last()
    }

    /// Its statuses (`transferring context`, `exporting layers`, layer digests) in the order
    /// they started; statuses that never started are not shown by buildx and not listed.
    pub fn statuses(&self) -> impl Iterator<Item = &VertexStatus> {
        self.status_order
            .iter()
            .filter_map(|id| self.statuses.get(id))
    }

    /// Its last log lines (at most ten); the last one may still be open.
    pub fn logs(&self) -> &VecDeque<LogLine> {
        &self.logs
    }

    /// Whether the last log line is still open (no newline yet).
    pub fn logs_partial(&self) -> bool {
        self.logs_partial
    }

    /// Log bytes received.
    pub fn log_bytes(&self) -> usize {
        self.log_bytes
    }
}

/// buildkit `mergeIntervals`: overlapping runs become one; a run that has not stopped swallows
/// every later one.
pub(super) fn merge_intervals(intervals: impl IntoIterator<Item = Interval>) -> Vec<Interval> {
    let mut sorted: Vec<Interval> = intervals.into_iter().collect();
    sorted.sort_by_key(|ival| ival.start);
    let mut merged = Vec::new();
    let mut iter = sorted.into_iter();
    let Some(mut current) = iter.next() else {
        return merged;
    };
    for next in iter {
        let Some(stop) = current.stop else {
            merged.push(current);
            return merged;
        };
        if stop < next.start {
            merged.push(current);
            current = next;
            continue;
        }
        match next.stop {
            None => {
                merged.push(Interval {
                    start: current.start,
                    stop: None,
                });
                return merged;
            }
            Some(next_stop) if stop >= next_stop => {}
            Some(next_stop) => current.stop = Some(next_stop),
        }
    }
    merged.push(current);
    merged
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::at;
    use super::*;

    #[test]
    fn intervals_merge_as_buildkit_merges_them() {
        let ival = |start, stop: Option<i64>| Interval {
            start: at(start),
            stop: stop.map(at),
        };
        assert_eq!(
            merge_intervals([ival(10, Some(20)), ival(0, Some(5)), ival(15, Some(30))]),
            vec![ival(0, Some(5)), ival(10, Some(30))]
        );
        assert_eq!(
            merge_intervals([ival(0, None), ival(10, Some(20))]),
            vec![ival(0, None)]
        );
        assert_eq!(
            merge_intervals([ival(0, Some(12)), ival(10, None)]),
            vec![ival(0, None)]
        );
        assert_eq!(
            merge_intervals([ival(0, Some(30)), ival(10, Some(20))]).len(),
            1
        );
    }
}
