//! `--progress plain`: buildkit's `textMux` (`util/progress/progressui/printer.go`), fed one
//! status message at a time.
//!
//! ```text
//! #5 [2/3] RUN echo before
//! #5 0.185 before
//! #5 DONE 0.2s
//!
//! #6 [3/3] RUN echo about to fail && exit 3
//! ```
//!
//! One vertex is "current"; its lines follow its header until it completes or another vertex
//! takes over (`#5 ...` marks the hand-over, a blank line separates groups). Which of several
//! running vertexes gets the floor follows `textMux.print`, with the stream's own latest
//! timestamp where buildkit reads the clock. Two differences, both for determinism: buildx
//! redraws at most every 100 ms and batches what came meanwhile, this prints after every
//! message; and where buildkit walks a Go map (random order), this walks vertexes in the order
//! they started.

use std::collections::{HashMap, HashSet};

use bollard_buildkit_proto::moby::buildkit::v1::StatusResponse;
use jiff::Timestamp;

use super::trace::{Changes, FailedStep, LogPiece, Trace};
use super::{go_seconds, nanos_between, timestamp, units_bytes};

/// A vertex that has not printed for this long gets the floor (`maxDelay`).
const MAX_DELAY_NANOS: i64 = 10_000_000_000;
/// The current vertex keeps the floor at least this long (`antiFlicker`).
const ANTI_FLICKER_SECONDS: f64 = 5.0;
/// A running status prints again after this long (`minTimeDelta`) …
const MIN_TIME_DELTA_NANOS: i64 = 5_000_000_000;
/// … or after this much progress (`minProgressDelta`).
const MIN_PROGRESS_DELTA: f64 = 0.05;

/// Turns status messages into buildx's plain text.
#[derive(Debug, Default)]
pub struct PlainPrinter {
    trace: Trace,
    /// Printer state per trace vertex index.
    shown: Vec<Shown>,
    /// Vertexes with something not yet printed, in the order they changed.
    pending: Vec<usize>,
    current: Option<usize>,
    /// Each status's last printed progress, by status id.
    last_status: HashMap<String, (i64, Timestamp)>,
    not_first: bool,
    next_number: usize,
}

/// What has been printed of one vertex.
#[derive(Debug, Default, Clone)]
struct Shown {
    /// `#n`, given when first printed (buildx numbers in print order).
    number: Option<usize>,
    /// Stamped log lines not printed yet; the last may be open.
    logs: Vec<Vec<u8>>,
    /// Bytes of the first pending line already printed (it was open then).
    logs_offset: usize,
    statuses: HashSet<String>,
    warnings_shown: usize,
    /// Events since it last had the floor, and when the first of them came.
    events: usize,
    blocked_since: Option<Timestamp>,
}

impl PlainPrinter {
    /// A printer for one build.
    pub fn new() -> Self {
        PlainPrinter::default()
    }

    /// Merges one status message and returns the text to print for it (possibly empty).
    pub fn print(&mut self, status: &StatusResponse) -> String {
        let changes = self.trace.accept_changes(status);
        self.absorb(changes);
        let mut out = Vec::new();
        self.refresh(&mut out);
        String::from_utf8_lossy(&out).into_owned()
    }

    /// The text to print when the stream ends (buildx's last refresh). The failed steps'
    /// logs are not part of it: see [`PlainPrinter::failed_steps`] and
    /// [`super::failure_excerpt`].
    pub fn finish(&mut self) -> String {
        let mut out = Vec::new();
        self.refresh(&mut out);
        String::from_utf8_lossy(&out).into_owned()
    }

    /// The accumulated status.
    pub fn trace(&self) -> &Trace {
        &self.trace
    }

    /// The failed steps, numbered as this printer numbered them.
    pub fn failed_steps(&self) -> Vec<FailedStep> {
        let mut steps = self.trace.failed_steps();
        for step in &mut steps {
            let printed = self.trace.started_order().iter().find_map(|&i| {
                let v = self.trace.at(i);
                let number = self.shown.get(i).and_then(|s| s.number)?;
                (v.vertex.name == step.name && v.vertex.error == step.error).then_some(number)
            });
            if let Some(number) = printed {
                step.number = number;
            }
        }
        steps
    }

    fn absorb(&mut self, changes: Changes) {
        let count = self.trace.vertexes().len();
        if self.shown.len() < count {
            self.shown.resize_with(count, Shown::default);
        }
        let now = self.now();
        for index in changes.events {
            let shown = &mut self.shown[index];
            if shown.events == 0 {
                shown.blocked_since = Some(now);
            }
            shown.events += 1;
        }
        for (index, id) in changes.statuses {
            self.shown[index].statuses.insert(id);
        }
        for (index, piece) in changes.logs {
            let logs = &mut self.shown[index].logs;
            match piece {
                LogPiece::More(bytes) if !logs.is_empty() => {
                    if let Some(open) = logs.last_mut() {
                        open.extend_from_slice(&bytes);
                    }
                }
                LogPiece::More(line) | LogPiece::Line(line) => logs.push(line),
            }
        }
        for index in changes.updated {
            if !self.pending.contains(&index) {
                self.pending.push(index);
            }
        }
    }

    /// The stream's clock: where buildkit reads `time.Now()`.
    fn now(&self) -> Timestamp {
        self.trace.latest().unwrap_or(Timestamp::UNIX_EPOCH)
    }

    /// `textMux.print`: completed vertexes first (in the order they finished), then the
    /// running one that should have the floor.
    fn refresh(&mut self, out: &mut Vec<u8>) {
        let (mut completed, rest): (Vec<usize>, Vec<usize>) = self
            .pending
            .iter()
            .partition(|&&i| self.trace.at(i).is_completed());
        let current = self.current;
        if let Some(c) = current.filter(|c| completed.contains(c)) {
            self.print_vertex(c, out);
        }
        completed.sort_by_key(|&i| self.trace.at(i).most_recent_interval().and_then(|v| v.stop));
        for &index in &completed {
            if Some(index) != current {
                self.print_vertex(index, out);
            }
        }

        if rest.is_empty() {
            if let Some(c) = current {
                let v = self.trace.at(c);
                if v.is_started() && !v.is_completed() {
                    return;
                }
            }
            // "make any open vertex active"
            let open = self.trace.started_order().iter().copied().find(|&i| {
                let v = self.trace.at(i);
                v.is_started() && !v.is_completed()
            });
            if let Some(index) = open {
                self.print_vertex(index, out);
            }
            return;
        }

        if let Some(c) = current.filter(|c| rest.contains(c)) {
            self.print_vertex(c, out);
        }
        let stats = self.floor_stats(&rest, current);
        let busiest = stats.busiest;
        if current.is_none() || current.is_some_and(|c| completed.contains(&c)) {
            if let Some(index) = busiest {
                self.print_vertex(index, out);
            }
            return;
        }
        // "show items that were hidden"
        if let Some(&index) = rest.iter().find(|i| stats.over_limit.contains(i)) {
            self.print_vertex(index, out);
            return;
        }
        // "fair split between vertexes"
        if let (Some((share, blocked)), Some(index)) = (stats.current, busiest) {
            if 1.0 / (1.0 - share) * ANTI_FLICKER_SECONDS < blocked {
                self.print_vertex(index, out);
            }
        }
    }

    /// Which running vertex is busiest, which waited too long, and the current one's share.
    fn floor_stats(&self, rest: &[usize], current: Option<usize>) -> FloorStats {
        let now = self.now();
        let mut candidates = rest.to_vec();
        if let Some(c) = current.filter(|c| !rest.contains(c)) {
            candidates.push(c);
        }
        let mut speeds = Vec::new();
        let mut stats = FloorStats::default();
        for index in candidates {
            let shown = &self.shown[index];
            let Some(since) = shown.blocked_since else {
                continue; // "shouldn't happen, but not worth crashing over"
            };
            let blocked = nanos_between(since, now);
            let speed = shown.events as f64 / go_seconds(blocked);
            if blocked > MAX_DELAY_NANOS && Some(index) != current {
                stats.over_limit.push(index);
            }
            let over = stats.over_limit.last() == Some(&index);
            let faster = stats
                .busiest
                .and_then(|b| speeds.iter().find(|(i, _, _)| *i == b))
                .is_none_or(|(_, s, _)| *s < speed);
            if over || faster {
                stats.busiest = Some(index);
            }
            speeds.push((index, speed, go_seconds(blocked)));
        }
        let sum: f64 = speeds.iter().map(|(_, s, _)| s).sum();
        stats.current = current.and_then(|c| {
            let (_, speed, blocked) = speeds.iter().find(|(i, _, _)| *i == c)?;
            Some((speed / sum, *blocked))
        });
        stats
    }

    /// `textMux.printVtx`.
    fn print_vertex(&mut self, index: usize, out: &mut Vec<u8>) {
        let trace = &self.trace;
        let v = trace.at(index);
        let number = match self.shown[index].number {
            Some(n) => n,
            None => {
                self.next_number += 1;
                self.shown[index].number = Some(self.next_number);
                self.next_number
            }
        };

        if self.current != Some(index) {
            if let Some(old) = self.current {
                if trace.at(old).logs_partial() {
                    out.push(b'\n');
                }
                let old_shown = &mut self.shown[old];
                old_shown.logs_offset = 0;
                old_shown.events = 0;
                let old_number = old_shown.number.unwrap_or_default();
                out.extend_from_slice(format!("#{old_number} ...\n").as_bytes());
            }
            if self.not_first {
                out.push(b'\n');
            }
            self.not_first = true;
            out.extend_from_slice(format!("#{number} {}\n", v.vertex.name).as_bytes());
        }

        let shown = &mut self.shown[index];
        let mut open_status = false;
        for s in v.statuses() {
            if !shown.statuses.contains(&s.id) {
                continue;
            }
            let at = timestamp(s.timestamp.as_ref()).unwrap_or(Timestamp::UNIX_EPOCH);
            let completed = timestamp(s.completed.as_ref());
            if let (Some(&(current, last_at)), None) = (self.last_status.get(&s.id), completed) {
                let progress = if s.total > 0 {
                    (s.current - current) as f64 / s.total as f64
                } else {
                    0.0
                };
                if progress < MIN_PROGRESS_DELTA
                    && nanos_between(last_at, at) < MIN_TIME_DELTA_NANOS
                {
                    continue;
                }
            }
            self.last_status.insert(s.id.clone(), (s.current, at));
            let bytes = if s.total != 0 {
                format!(" {} / {}", units_bytes(s.current), units_bytes(s.total))
            } else if s.current != 0 {
                format!(" {}", units_bytes(s.current))
            } else {
                String::new()
            };
            let mut time = String::new();
            if let Some(started) = timestamp(s.started.as_ref()) {
                let seconds = go_seconds(nanos_between(started, completed.unwrap_or(at)));
                if seconds > 0.01 {
                    time = format!(" {seconds:.1}s");
                }
            }
            if completed.is_some() {
                time.push_str(" done");
            } else {
                open_status = true;
            }
            out.extend_from_slice(format!("#{number} {}{bytes}{time}\n", s.id).as_bytes());
        }
        shown.statuses.clear();

        for w in &v.warnings[shown.warnings_shown.min(v.warnings.len())..] {
            out.extend_from_slice(format!("#{number} WARN: ").as_bytes());
            out.extend_from_slice(&w.short);
            out.push(b'\n');
        }
        shown.warnings_shown = v.warnings.len();

        let partial = v.logs_partial();
        let last = shown.logs.len().saturating_sub(1);
        for (i, line) in shown.logs.iter().enumerate() {
            if i == 0 && shown.logs_offset != 0 {
                // its `#n` and start were printed while it was open
                out.extend_from_slice(line.get(shown.logs_offset..).unwrap_or_default());
            } else {
                out.extend_from_slice(format!("#{number} ").as_bytes());
                out.extend_from_slice(line);
            }
            if i != last || !partial {
                out.push(b'\n');
            }
        }
        if !shown.logs.is_empty() {
            if partial {
                shown.logs.drain(..last);
                shown.logs_offset = shown.logs[0].len();
            } else {
                shown.logs.clear();
                shown.logs_offset = 0;
            }
        }

        self.current = Some(index);
        if v.is_completed() && !open_status {
            self.current = None;
            shown.events = 0;
            if partial {
                out.push(b'\n');
            }
            let end = if v.canceled() {
                "CANCELED".to_owned()
            } else if v.failed() {
                format!("ERROR: {}", v.vertex.error)
            } else if v.vertex.cached {
                "CACHED".to_owned()
            } else if v.merged().is_empty() {
                "DONE".to_owned()
            } else {
                // complete, so every merged interval has its stop and `now` is unused
                let seconds = go_seconds(v.run_nanos(Timestamp::UNIX_EPOCH));
                format!("DONE {seconds:.1}s")
            };
            out.extend_from_slice(format!("#{number} {end}\n").as_bytes());
        }
        self.pending.retain(|&i| i != index);
    }
}

/// `textMux.print`'s `vtxStat`s, reduced to what it decides with.
#[derive(Debug, Default)]
struct FloorStats {
    /// The vertex with the most events per second since it last had the floor (or the last
    /// one that waited too long).
    busiest: Option<usize>,
    /// Vertexes that waited more than `maxDelay`.
    over_limit: Vec<usize>,
    /// The current vertex's share of all the activity, and seconds since it got the floor.
    current: Option<(f64, f64)>,
}

#[cfg(test)]
mod tests {
    use super::super::fixtures;
    use super::super::fixtures::{proto, vertex};
    use super::*;
    use bollard_buildkit_proto::moby::buildkit::v1::{VertexLog, VertexStatus};

    fn plain(stream: &str) -> String {
        let mut printer = PlainPrinter::new();
        let mut text: String = fixtures::statuses(stream)
            .iter()
            .map(|s| printer.print(s))
            .collect();
        text.push_str(&printer.finish());
        text
    }

    #[test]
    fn success_prints_as_buildx() {
        insta::assert_snapshot!("success", plain(fixtures::SUCCESS));
    }

    #[test]
    fn cached_prints_as_buildx() {
        insta::assert_snapshot!("cached", plain(fixtures::CACHED));
    }

    #[test]
    fn failed_run_prints_as_buildx() {
        insta::assert_snapshot!("failed_run", plain(fixtures::FAILED_RUN));
    }

    fn transfer(current: i64, at: i64, completed: Option<i64>) -> VertexStatus {
        VertexStatus {
            id: "transferring context:".into(),
            vertex: "ctx".into(),
            current,
            timestamp: proto(at),
            started: proto(1_000),
            completed: completed.and_then(proto),
            ..VertexStatus::default()
        }
    }

    #[test]
    fn transfers_print_sizes_and_times_and_skip_small_steps() {
        let mut printer = PlainPrinter::new();
        let name = "[internal] load build context";
        let mut text = printer.print(&StatusResponse {
            vertexes: vec![vertex("ctx", name, Some(1_000), None)],
            statuses: vec![transfer(2, 1_001, None)],
            ..StatusResponse::default()
        });
        // less than 5 % and 5 s later: not printed again
        text += &printer.print(&StatusResponse {
            statuses: vec![transfer(3, 1_500, None)],
            ..StatusResponse::default()
        });
        text += &printer.print(&StatusResponse {
            vertexes: vec![vertex("ctx", name, Some(1_000), Some(1_600))],
            statuses: vec![transfer(32_000_000, 1_600, Some(1_600))],
            ..StatusResponse::default()
        });
        assert_eq!(
            text,
            "#1 [internal] load build context\n\
             #1 transferring context: 2B\n\
             #1 transferring context: 32.00MB 0.6s done\n\
             #1 DONE 0.6s\n"
        );
    }

    #[test]
    fn an_open_line_continues_and_a_hand_over_is_marked() {
        let mut printer = PlainPrinter::new();
        let log = |digest: &str, ms, msg: &str| VertexLog {
            vertex: digest.into(),
            timestamp: proto(ms),
            stream: 1,
            msg: msg.as_bytes().to_vec(),
        };
        let mut text = printer.print(&StatusResponse {
            vertexes: vec![vertex("a", "A", Some(0), None)],
            logs: vec![log("a", 100, "down")],
            ..StatusResponse::default()
        });
        text += &printer.print(&StatusResponse {
            logs: vec![log("a", 200, "loading\n")],
            ..StatusResponse::default()
        });
        text += &printer.print(&StatusResponse {
            vertexes: vec![
                vertex("a", "A", Some(0), Some(300)),
                vertex("b", "B", Some(300), Some(400)),
            ],
            ..StatusResponse::default()
        });
        assert_eq!(
            text,
            "#1 A\n#1 0.100 downloading\n#1 DONE 0.3s\n\n#2 B\n#2 DONE 0.1s\n"
        );
    }
}
