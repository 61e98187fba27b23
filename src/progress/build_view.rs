//! Drawing a BuildKit build's progress on stderr, as `docker buildx build --progress=…` does:
//! `plain` lines, `rawjson` lines, a live `tty` view redrawn ten times a second, or nothing
//! (`quiet`). What to draw is decided in the pure [`super::buildkit`]; this file only writes.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bollard_buildkit_proto::moby::buildkit::v1::StatusResponse;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::buildkit::{self, DockerfileText, PlainPrinter, Screen, Trace};

/// How often the terminal view redraws (buildx: `tickerTimeout`, 150 ms; timers show tenths).
const REDRAW_EVERY: Duration = Duration::from_millis(100);

/// One build's BuildKit progress.
pub enum BuildKitView {
    /// `--progress plain`.
    Plain(PlainPrinter),
    /// `--progress rawjson`; the trace is kept for a failure's excerpt.
    RawJson(Trace),
    /// `--progress tty`: the view is redrawn by a thread until [`BuildKitView::finish`].
    Tty(LiveView),
    /// `--progress quiet`; the trace is kept for a failure's excerpt.
    Quiet(Trace),
}

impl BuildKitView {
    /// Shows one progress update.
    pub fn accept(&mut self, status: &StatusResponse) {
        match self {
            BuildKitView::Plain(printer) => write_stderr(&printer.print(status)),
            BuildKitView::RawJson(trace) => {
                trace.accept(status);
                write_stderr(&buildkit::rawjson_line(status));
            }
            BuildKitView::Tty(view) => view.accept(status),
            BuildKitView::Quiet(trace) => trace.accept(status),
        }
    }

    /// Text that is not a progress update (the engine's `Successfully tagged …`).
    pub fn note(&mut self, text: &str) {
        match self {
            BuildKitView::Plain(_) | BuildKitView::RawJson(_) => write_stderr(text),
            BuildKitView::Tty(view) => view.bar.suspend(|| write_stderr(text)),
            BuildKitView::Quiet(_) => {}
        }
    }

    /// Ends the view: plain's last lines, the tty view's final frame (left on screen).
    pub fn finish(&mut self) {
        match self {
            BuildKitView::Plain(printer) => write_stderr(&printer.finish()),
            BuildKitView::Tty(view) => view.finish(),
            BuildKitView::RawJson(_) | BuildKitView::Quiet(_) => {}
        }
    }

    /// The failed steps' last logs and the Dockerfile lines of the failing instruction, as
    /// buildx prints them above its error (the error itself is dockjob's `error:` line).
    pub fn failure_context(&self, dockerfile: Option<DockerfileText<'_>>) -> String {
        let failed = match self {
            BuildKitView::Plain(printer) => printer.failed_steps(),
            BuildKitView::RawJson(trace) | BuildKitView::Quiet(trace) => trace.failed_steps(),
            BuildKitView::Tty(view) => lock(&view.state).trace.failed_steps(),
        };
        buildkit::failure_context(&failed, dockerfile)
    }
}

/// The live terminal view: the trace and when its latest engine timestamp arrived here, so
/// running steps' timers go on between updates on the engine's clock.
pub struct LiveView {
    state: Arc<Mutex<LiveState>>,
    bar: ProgressBar,
    redraw: Option<std::thread::JoinHandle<()>>,
}

struct LiveState {
    trace: Trace,
    received: Instant,
    done: bool,
}

impl LiveView {
    /// Starts drawing on stderr.
    pub fn start() -> Self {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{msg}").unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        let state = Arc::new(Mutex::new(LiveState {
            trace: Trace::default(),
            received: Instant::now(),
            done: false,
        }));
        let redraw = {
            let (state, bar) = (Arc::clone(&state), bar.clone());
            std::thread::spawn(move || loop {
                std::thread::sleep(REDRAW_EVERY);
                let state = lock(&state);
                if state.done {
                    break;
                }
                bar.set_message(frame(&state, false));
            })
        };
        LiveView {
            state,
            bar,
            redraw: Some(redraw),
        }
    }

    fn accept(&mut self, status: &StatusResponse) {
        let mut state = lock(&self.state);
        state.trace.accept(status);
        state.received = Instant::now();
        self.bar.set_message(frame(&state, false));
    }

    fn finish(&mut self) {
        let last = {
            let mut state = lock(&self.state);
            state.done = true;
            frame(&state, true)
        };
        if let Some(redraw) = self.redraw.take() {
            let _ = redraw.join();
        }
        self.bar.set_message(last);
        self.bar.finish();
    }
}

impl Drop for LiveView {
    fn drop(&mut self) {
        if self.redraw.is_some() {
            self.finish();
        }
    }
}

/// The view's lines now: the engine's latest timestamp plus the time since it arrived.
fn frame(state: &LiveState, finished: bool) -> String {
    let Some(latest) = state.trace.latest() else {
        return "[+] Building".to_string();
    };
    let elapsed = jiff::SignedDuration::try_from(state.received.elapsed()).unwrap_or_default();
    let now = latest.checked_add(elapsed).unwrap_or(latest);
    buildkit::tty_lines(&state.trace, now, terminal_size(), finished)
        .into_iter()
        .map(|line| line.text)
        .collect::<Vec<_>>()
        .join("\n")
}

/// stderr's size, 80×24 when it is not a terminal (`--progress tty` into a file).
fn terminal_size() -> Screen {
    // SAFETY: TIOCGWINSZ writes one `winsize` into the struct passed.
    let mut size: libc::winsize = unsafe { std::mem::zeroed() };
    let ok = unsafe { libc::ioctl(libc::STDERR_FILENO, libc::TIOCGWINSZ, &mut size) } == 0;
    if ok && size.ws_col > 0 && size.ws_row > 0 {
        Screen {
            width: usize::from(size.ws_col),
            height: usize::from(size.ws_row),
        }
    } else {
        Screen {
            width: 80,
            height: 24,
        }
    }
}

fn lock(state: &Mutex<LiveState>) -> std::sync::MutexGuard<'_, LiveState> {
    // A panic while drawing leaves a trace that is still readable.
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn write_stderr(text: &str) {
    if text.is_empty() {
        return;
    }
    let mut stderr = std::io::stderr().lock();
    let _ = stderr.write_all(text.as_bytes());
    let _ = stderr.flush();
}
