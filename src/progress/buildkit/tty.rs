//! What buildx's live terminal view shows at one moment (`ttyDisplay.print` and
//! `trace.displayInfo` in buildkit `util/progress/progressui/display.go`), as lines for the
//! caller to draw:
//!
//! ```text
//! [+] Building 3.2s (5/7)
//!  => [internal] load metadata for docker.io/library/alpine:3.19      0.4s
//!  => CACHED [1/3] FROM docker.io/library/alpine:3.19                 0.0s
//!  => [2/3] RUN make                                                  1.2s
//!  => => # compiling foo.c
//! ```
//!
//! Kept from buildx: the header, one line per started vertex (`CACHED `, `ERROR `, `CANCELED `
//! before the name) followed by its statuses (`=> exporting layers`) and warnings, the timer
//! right-aligned, names cut to the width, the last lines of running steps' output under them
//! while the screen has room, and the height limit that keeps running steps visible. buildx
//! shows that output through a terminal emulator; here a line shows what follows its last
//! carriage return, cut to the width.

use jiff::Timestamp;

use super::trace::Trace;
use super::vertex::{merge_intervals, Interval, VertexState};
use super::{go_seconds, timestamp, units_bytes};

/// Rows of output shown under a running step (`termHeightMin`, `termHeightInitial`).
const TERM_HEIGHT: usize = 6;
/// Columns the output lines give up to their ` => => # ` prefix (`termPad`).
const TERM_PAD: usize = 10;

/// The terminal's size, in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Screen {
    /// Columns.
    pub width: usize,
    /// Rows.
    pub height: usize,
}

/// How a line is drawn (buildx's colours: blue when done, red on error, yellow when
/// cancelled or a warning, faint for a step's output).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// The header and running steps: default colour.
    Running,
    /// Completed.
    Done,
    /// Failed.
    Error,
    /// Cancelled, or a warning.
    Warning,
    /// A running step's output.
    Output,
}

/// One line to draw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TtyLine {
    /// The text, at most `width - 1` characters (buildx leaves the last column free).
    pub text: String,
    /// How to draw it.
    pub tone: Tone,
}

/// The lines of the live view at `now` (on the engine's clock). `finished` is the last
/// frame after the stream ended: it says `FINISHED` when everything completed and shows
/// every line regardless of the height, as buildx's last frame does.
pub fn tty_lines(trace: &Trace, now: Timestamp, screen: Screen, finished: bool) -> Vec<TtyLine> {
    let mut jobs = jobs(trace);
    let in_use = jobs.iter().filter(|j| !j.completed).count();
    let mut free = screen.height as isize - 2 - in_use as isize;
    let mut hidden = 0;
    let mut candidates: Vec<usize> = (0..jobs.len())
        .filter(|&i| jobs[i].vertex.is_some_and(|v| v.log_bytes() > 0) && !jobs[i].completed)
        .collect();
    // buildx also favours steps that already showed output; this keeps to their volume.
    candidates.sort_by_key(|&i| std::cmp::Reverse(jobs[i].vertex.map_or(0, |v| v.log_bytes())));
    for i in candidates {
        if free <= (TERM_HEIGHT + 3) as isize {
            break;
        }
        jobs[i].show_output = true;
        hidden += jobs[i]
            .vertex
            .map_or(0, |v| output_lines(v, screen.width).len());
        free -= (TERM_HEIGHT + 3) as isize;
    }
    if !finished {
        let limit = screen.height as isize - 2 - hidden as isize;
        jobs = wrap_height(jobs, limit);
    }

    let completed = trace.vertexes().iter().filter(|v| v.is_completed()).count();
    let total = trace.vertexes().len();
    let elapsed = trace
        .start_time()
        .map_or(0.0, |start| go_seconds(super::nanos_between(start, now)));
    let status = if finished && completed > 0 && completed == total {
        " FINISHED"
    } else {
        ""
    };
    let header = format!("[+] Building {elapsed:.1}s ({completed}/{total}){status}");
    let mut lines = vec![TtyLine {
        text: cut(&header, screen.width),
        tone: Tone::Running,
    }];
    for job in &jobs {
        // a row too narrow to draw takes its output with it
        let Some(line) = job_line(job, now, screen.width) else {
            continue;
        };
        lines.push(line);
        if let (true, Some(v)) = (job.show_output, job.vertex) {
            lines.extend(output_lines(v, screen.width).into_iter().map(|l| TtyLine {
                text: format!(" => => # {l}"),
                tone: Tone::Output,
            }));
        }
    }
    lines
}

/// One row of the view before layout (buildkit's `job`).
#[derive(Debug)]
struct Job<'a> {
    name: String,
    status: String,
    intervals: Vec<Interval>,
    completed: bool,
    tone: Tone,
    /// The step whose output may show under this row (vertex rows only).
    vertex: Option<&'a VertexState>,
    show_output: bool,
}

/// `trace.displayInfo`: each started vertex, its statuses and warnings, in start order.
fn jobs(trace: &Trace) -> Vec<Job<'_>> {
    let mut jobs = Vec::new();
    for &index in trace.started_order() {
        let v = trace.at(index);
        let mut name = v.vertex.name.replace('\t', " ");
        let mut tone = Tone::Done;
        if v.canceled() {
            name = format!("CANCELED {name}");
            tone = Tone::Warning;
        } else if v.failed() {
            name = format!("ERROR {name}");
            tone = Tone::Error;
        }
        if v.vertex.cached {
            name = format!("CACHED {name}");
        }
        jobs.push(Job {
            name,
            status: String::new(),
            intervals: v.merged().to_vec(),
            completed: v.merged().iter().all(|ival| ival.stop.is_some()),
            tone,
            vertex: Some(v),
            show_output: false,
        });
        for s in v.statuses() {
            let status = if s.total != 0 {
                format!("{} / {}", units_bytes(s.current), units_bytes(s.total))
            } else if s.current != 0 {
                units_bytes(s.current)
            } else {
                String::new()
            };
            let ival = timestamp(s.started.as_ref()).map(|start| Interval {
                start,
                stop: timestamp(s.completed.as_ref()),
            });
            jobs.push(Job {
                name: format!("=> {}", s.id),
                status,
                intervals: merge_intervals(ival),
                completed: s.completed.is_some(),
                tone: Tone::Done,
                vertex: None,
                show_output: false,
            });
        }
        for w in &v.warnings {
            jobs.push(Job {
                name: format!("WARN: {}", String::from_utf8_lossy(&w.short)),
                status: String::new(),
                intervals: v.most_recent_interval().copied().into_iter().collect(),
                // buildx leaves a warning's job unfinished and draws it yellow
                completed: false,
                tone: Tone::Warning,
                vertex: None,
                show_output: false,
            });
        }
    }
    jobs
}

/// ` => name [status]        1.2s`, or nothing when the screen is too narrow
/// (`ttyDisplay.print`).
fn job_line(job: &Job<'_>, now: Timestamp, width: usize) -> Option<TtyLine> {
    if job.intervals.is_empty() {
        return None;
    }
    let mut seconds: f64 = job
        .intervals
        .iter()
        .map(|ival| go_seconds(ival.nanos(now)))
        .sum();
    if seconds < 0.05 {
        seconds = 0.0;
    }
    const PREFIX: &str = " => ";
    let timer = format!(" {seconds:3.1}s");
    // buildx counts the timer's newline too
    let mut left = width as isize - PREFIX.len() as isize - timer.len() as isize - 2;
    let status_len = job.status.chars().count() as isize;
    let show_status = !job.status.is_empty() && left + status_len > 20;
    if show_status {
        left -= status_len + 1;
    }
    if left < 12 {
        return None;
    }
    let mut text = format!("{PREFIX}{}", cut(&job.name, left as usize));
    if show_status {
        text.push(' ');
        text.push_str(&job.status);
    }
    let pad = (width as isize - timer.len() as isize - 2).max(0) as usize;
    let text = format!("{text:<pad$} {timer}");
    let tone = if job.completed {
        job.tone
    } else {
        Tone::Running
    };
    Some(TtyLine { text, tone })
}

/// The last rows of a step's output as a terminal would show them.
fn output_lines(v: &VertexState, width: usize) -> Vec<String> {
    let columns = width.saturating_sub(TERM_PAD).max(1);
    let lines: Vec<String> = v
        .logs()
        .iter()
        .map(|l| {
            let text = String::from_utf8_lossy(&l.text);
            let text = text.trim_end_matches('\r');
            let shown = text.rsplit('\r').next().unwrap_or_default();
            let printable: String = shown
                .chars()
                .map(|c| if c == '\t' { ' ' } else { c })
                .filter(|c| !c.is_control())
                .collect();
            cut(&printable, columns)
        })
        .filter(|l| !l.trim().is_empty())
        .collect();
    let skip = lines.len().saturating_sub(TERM_HEIGHT);
    lines.into_iter().skip(skip).collect()
}

/// buildkit `wrapHeight`: keep the last `limit` rows, bringing back running rows that were
/// cut off in place of finished ones.
fn wrap_height(jobs: Vec<Job<'_>>, limit: isize) -> Vec<Job<'_>> {
    if limit < 0 {
        return Vec::new();
    }
    let limit = limit as usize;
    if jobs.len() <= limit {
        return jobs;
    }
    let mut jobs = jobs;
    let kept = jobs.split_off(jobs.len() - limit);
    let invisible: Vec<Job<'_>> = jobs.into_iter().filter(|j| !j.completed).collect();
    if invisible.is_empty() {
        return kept;
    }
    let mut budget = invisible.len() as isize;
    let kept_len = kept.len();
    let mut rewrapped = Vec::with_capacity(kept_len);
    for job in kept {
        if !job.completed || budget <= 0 {
            rewrapped.push(job);
        }
        budget -= 1;
    }
    let free = kept_len - rewrapped.len();
    let skip = invisible.len().saturating_sub(free);
    let mut wrapped: Vec<Job<'_>> = invisible.into_iter().skip(skip).collect();
    wrapped.extend(rewrapped);
    wrapped
}

/// At most `width` characters of `text`.
fn cut(text: &str, width: usize) -> String {
    text.chars().take(width).collect()
}

#[cfg(test)]
mod tests {
    use super::super::fixtures;
    use super::super::fixtures::{at, proto, vertex};
    use super::*;
    use bollard_buildkit_proto::moby::buildkit::v1::{StatusResponse, VertexLog};

    const SCREEN: Screen = Screen {
        width: 60,
        height: 30,
    };

    fn texts(lines: &[TtyLine]) -> Vec<String> {
        lines.iter().map(|l| l.text.trim_end().to_owned()).collect()
    }

    fn running_build() -> Trace {
        let mut trace = Trace::default();
        let mut cached = vertex(
            "a",
            "[1/3] FROM docker.io/library/alpine",
            Some(0),
            Some(10),
        );
        cached.cached = true;
        let output: String = (1..=8).map(|i| format!("line {i}\n")).collect();
        trace.accept(&StatusResponse {
            vertexes: vec![
                cached,
                vertex("b", "[2/3] RUN make", Some(100), None),
                vertex("c", "[3/3] RUN make install", None, None),
            ],
            logs: vec![VertexLog {
                vertex: "b".into(),
                timestamp: proto(500),
                stream: 1,
                msg: format!("{output}50%\r75%\r").into_bytes(),
            }],
            ..StatusResponse::default()
        });
        trace
    }

    #[test]
    fn running_steps_show_their_timer_and_last_output() {
        let lines = tty_lines(&running_build(), at(1_300), SCREEN, false);
        assert_eq!(
            texts(&lines),
            [
                "[+] Building 1.3s (1/3)",
                " => CACHED [1/3] FROM docker.io/library/alpine         0.0s",
                " => [2/3] RUN make                                     1.2s",
                " => => # line 4",
                " => => # line 5",
                " => => # line 6",
                " => => # line 7",
                " => => # line 8",
                " => => # 75%",
            ]
        );
        assert!(lines[1..]
            .iter()
            .all(|l| l.text.chars().count() == SCREEN.width - 1 || l.tone == Tone::Output));
        assert_eq!(lines[1].tone, Tone::Done);
        assert_eq!(lines[2].tone, Tone::Running);
        assert_eq!(lines[3].tone, Tone::Output);
    }

    #[test]
    fn names_are_cut_to_the_width_and_narrow_screens_drop_rows() {
        let narrow = Screen {
            width: 30,
            height: 30,
        };
        let lines = tty_lines(&running_build(), at(1_300), narrow, false);
        assert_eq!(lines[1].text, " => CACHED [1/3] FROM d  0.0s");
        let tiny = Screen {
            width: 20,
            height: 30,
        };
        assert_eq!(tty_lines(&running_build(), at(1_300), tiny, false).len(), 1);
    }

    #[test]
    fn a_short_screen_keeps_the_running_step_and_no_output() {
        let short = Screen {
            width: 60,
            height: 3,
        };
        let lines = tty_lines(&running_build(), at(1_300), short, false);
        assert_eq!(
            texts(&lines),
            [
                "[+] Building 1.3s (1/3)",
                " => [2/3] RUN make                                     1.2s"
            ]
        );
    }

    #[test]
    fn the_last_frame_of_a_failed_build() {
        let mut trace = Trace::default();
        for status in fixtures::statuses(fixtures::FAILED_RUN) {
            trace.accept(&status);
        }
        let now = trace.latest().unwrap();
        let lines = tty_lines(
            &trace,
            now,
            Screen {
                width: 72,
                height: 20,
            },
            true,
        );
        insta::assert_snapshot!("tty_failed_run", texts(&lines).join("\n"));
        let error = lines.iter().find(|l| l.text.contains("ERROR")).unwrap();
        assert_eq!(error.tone, Tone::Error);
    }

    #[test]
    fn the_last_frame_of_a_successful_build_says_finished() {
        let mut trace = Trace::default();
        for status in fixtures::statuses(fixtures::SUCCESS) {
            trace.accept(&status);
        }
        let now = trace.latest().unwrap();
        let lines = tty_lines(
            &trace,
            now,
            Screen {
                width: 100,
                height: 40,
            },
            true,
        );
        insta::assert_snapshot!("tty_success", texts(&lines).join("\n"));
    }
}
