//! Short-lived external programs dockjob starts and waits for: credential helpers
//! (`docker-credential-*`), `git`, and `ssh-add` (`build --ssh id=KEYFILE`; the `ssh-agent` it
//! loads into lives as long as the build, and must start within the same timeout).
//!
//! Owns [`run_bounded`], [`ExternalError`] and the timeout they run under, [`helper_timeout`]
//! (`DOCKJOB_HELPER_TIMEOUT`, 30 s by default). A program that does not answer in time is
//! killed with everything it started, never left behind: it runs in a process group of its
//! own, which is killed as a whole (a helper script's `sleep` or `gpg` would otherwise keep
//! running and keep its output pipe open), the kernel kills it if dockjob dies
//! (`PR_SET_PDEATHSIG`), and a Ctrl-C or SIGTERM that ends dockjob kills the groups still
//! running first ([`kill_running`], called by `commands::signals`). Its own group means the
//! terminal's Ctrl-C does not reach it directly, so that one dockjob decides what is stopped.
//!
//! Blocking, no tokio: callers on async code use `spawn_blocking`.

use std::collections::BTreeSet;
use std::io::Write as _;
use std::os::unix::process::CommandExt as _;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The variable that sets how long an external program may take, in seconds (`30`, `2.5`) or
/// with a unit (`500ms`, `10s`, `2m`).
pub const TIMEOUT_VARIABLE: &str = "DOCKJOB_HELPER_TIMEOUT";

/// How long an external program may take when [`TIMEOUT_VARIABLE`] is unset: long enough for
/// a helper that asks a keyring (or a hardware key) for its secret, short enough that a stuck
/// one does not hang a CI job.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Process groups of programs still running, killed when dockjob is stopped by a signal.
static RUNNING: Mutex<BTreeSet<i32>> = Mutex::new(BTreeSet::new());

/// An external program failed to give an answer. Never contains what it was sent.
#[derive(Debug, thiserror::Error)]
pub enum ExternalError {
    /// It could not be started.
    #[error("cannot run {program}: {error}")]
    Start {
        /// The program's name.
        program: String,
        /// The OS error.
        error: std::io::Error,
    },
    /// It did not finish in time and was killed (with what it started).
    #[error(
        "{program} did not answer within {}s and was stopped; set {TIMEOUT_VARIABLE}=SECONDS to give it longer",
        after.as_secs_f64()
    )]
    TimedOut {
        /// The program's name.
        program: String,
        /// The timeout.
        after: Duration,
    },
    /// Waiting for it failed.
    #[error("waiting for {program}: {error}")]
    Wait {
        /// The program's name.
        program: String,
        /// The OS error.
        error: std::io::Error,
    },
}

/// What a program that finished in time produced.
#[derive(Debug)]
pub struct Finished {
    /// Its exit status.
    pub status: ExitStatus,
    /// Everything it wrote to stdout.
    pub stdout: Vec<u8>,
    /// Everything it wrote to stderr.
    pub stderr: Vec<u8>,
}

/// The timeout for external programs: [`TIMEOUT_VARIABLE`] when set to a positive duration,
/// else [`DEFAULT_TIMEOUT`]. An unreadable value is an error naming the variable.
pub fn helper_timeout() -> Result<Duration, String> {
    match std::env::var(TIMEOUT_VARIABLE) {
        Ok(value) if !value.trim().is_empty() => parse_timeout(&value).ok_or_else(|| {
            format!(
                "{TIMEOUT_VARIABLE}={value:?}: expected a positive duration in seconds (30, 2.5) or with a unit (500ms, 10s, 2m)"
            )
        }),
        _ => Ok(DEFAULT_TIMEOUT),
    }
}

/// `30`, `2.5`, `500ms`, `10s`, `2m` as a positive duration.
pub fn parse_timeout(text: &str) -> Option<Duration> {
    let text = text.trim();
    let (number, scale) = if let Some(n) = text.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = text.strip_suffix('m') {
        (n, 60.0)
    } else {
        (text, 1.0)
    };
    let seconds = number.trim().parse::<f64>().ok()? * scale;
    (seconds.is_finite() && seconds > 0.0 && seconds < 1e9)
        .then(|| Duration::from_secs_f64(seconds))
}

/// Runs `command` (named `program` in errors), writes `input` to its stdin, and collects its
/// output, killing its whole process group if it has not finished after `timeout`.
pub fn run_bounded(
    command: &mut Command,
    program: &str,
    input: &[u8],
    timeout: Duration,
) -> Result<Finished, ExternalError> {
    let deadline = Instant::now() + timeout;
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    // SAFETY: prctl is async-signal-safe and touches no memory of the parent.
    unsafe {
        command.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = spawn(command).map_err(|error| ExternalError::Start {
        program: program.to_string(),
        error,
    })?;
    let group = child.id() as i32;
    lock_running().insert(group);
    let _registered = Unregister(group);

    let stdin = child.stdin.take();
    let input = input.to_vec();
    // A program may exit without reading its input: a broken pipe then is not an error.
    let writer = std::thread::spawn(move || {
        if let Some(mut stdin) = stdin {
            let _ = stdin.write_all(&input);
        }
    });
    let stdout = reader(child.stdout.take());
    let stderr = reader(child.stderr.take());

    let timed_out = || ExternalError::TimedOut {
        program: program.to_string(),
        after: timeout,
    };
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                kill_group(group);
                let _ = child.wait();
                return Err(timed_out());
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(error) => {
                kill_group(group);
                let _ = child.wait();
                return Err(ExternalError::Wait {
                    program: program.to_string(),
                    error,
                });
            }
        }
    };
    // Something it started may still hold the pipes: wait for them only until the deadline.
    while !(stdout.is_finished() && stderr.is_finished() && writer.is_finished()) {
        if Instant::now() >= deadline {
            kill_group(group);
            return Err(timed_out());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    Ok(Finished {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    })
}

/// Kills every external program still running, with what it started (dockjob is exiting).
pub fn kill_running() {
    for group in lock_running().iter() {
        kill_group(*group);
    }
}

fn lock_running() -> std::sync::MutexGuard<'static, BTreeSet<i32>> {
    // A panic while holding the lock leaves a set that is still valid.
    RUNNING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

struct Unregister(i32);

impl Drop for Unregister {
    fn drop(&mut self) {
        lock_running().remove(&self.0);
    }
}

fn kill_group(group: i32) {
    // SAFETY: killpg only sends a signal; a group that is gone gives ESRCH, which is fine.
    unsafe {
        libc::killpg(group, libc::SIGKILL);
    }
}

/// How much of a program's stdout or stderr is kept: a credential answer is a few hundred
/// bytes. The rest is read and dropped, so that a program that writes without end (a broken
/// helper, `yes`) costs no memory until its timeout kills it.
const MAX_OUTPUT: usize = 1 << 20;

fn reader<R: std::io::Read + Send + 'static>(pipe: Option<R>) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let mut chunk = [0u8; 16 * 1024];
            loop {
                match pipe.read(&mut chunk) {
                    Ok(0) => break,
                    Ok(n) => {
                        let room = MAX_OUTPUT.saturating_sub(bytes.len()).min(n);
                        bytes.extend_from_slice(&chunk[..room]);
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(_) => break,
                }
            }
        }
        bytes
    })
}

/// Starts the command, retrying briefly on `ETXTBSY`: a script that was just written can be
/// "busy" while another thread's fork still holds its write handle.
fn spawn(command: &mut Command) -> std::io::Result<std::process::Child> {
    let mut tries = 0;
    loop {
        match command.spawn() {
            Err(e) if e.raw_os_error() == Some(libc::ETXTBSY) && tries < 5 => {
                tries += 1;
                std::thread::sleep(Duration::from_millis(20));
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_parse_with_and_without_units() {
        assert_eq!(parse_timeout("30"), Some(Duration::from_secs(30)));
        assert_eq!(parse_timeout("2.5"), Some(Duration::from_millis(2500)));
        assert_eq!(parse_timeout("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_timeout("10s"), Some(Duration::from_secs(10)));
        assert_eq!(parse_timeout("2m"), Some(Duration::from_secs(120)));
        for bad in ["", "0", "-1", "abc", "1h", "NaN", "inf"] {
            assert_eq!(parse_timeout(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_program_that_answers_gives_its_output() {
        let mut command = Command::new("sh");
        command.args(["-c", "cat; echo err >&2; exit 3"]);
        let done = run_bounded(&mut command, "sh", b"in", Duration::from_secs(10)).unwrap();
        assert_eq!(done.stdout, b"in");
        assert_eq!(done.stderr, b"err\n");
        assert_eq!(done.status.code(), Some(3));
    }

    /// Held by the tests that check the global set of running groups.
    static SERIAL: Mutex<()> = Mutex::new(());

    #[test]
    fn endless_output_is_kept_bounded_until_the_timeout() {
        let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
        let mut command = Command::new("sh");
        command.args(["-c", "exec yes"]);
        let error = run_bounded(&mut command, "yes", b"", Duration::from_millis(500)).unwrap_err();
        assert!(matches!(error, ExternalError::TimedOut { .. }), "{error}");
        let mut command = Command::new("sh");
        command.args(["-c", "head -c 3000000 /dev/zero"]);
        let done = run_bounded(&mut command, "head", b"", Duration::from_secs(10)).unwrap();
        assert_eq!(done.stdout.len(), MAX_OUTPUT);
    }

    #[test]
    fn a_program_that_never_answers_is_killed_with_its_children() {
        let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("pid");
        let mut command = Command::new("sh");
        // The child `sleep` holds stdout open: killing only `sh` would leave it behind.
        command.arg("-c").arg(format!(
            "sleep 300 & echo $! > {}; wait",
            pid_file.display()
        ));
        let started = Instant::now();
        let error =
            run_bounded(&mut command, "slow-helper", b"", Duration::from_millis(500)).unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(5));
        let text = error.to_string();
        assert!(
            text.contains("slow-helper did not answer within 0.5s"),
            "{text}"
        );
        assert!(text.contains(TIMEOUT_VARIABLE), "{text}");
        let pid: i32 = std::fs::read_to_string(&pid_file)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        // Reaped by init once killed; give it a moment.
        let gone = (0..100).any(|_| {
            std::thread::sleep(Duration::from_millis(20));
            // SAFETY: signal 0 only checks that the process exists.
            let exists = unsafe { libc::kill(pid, 0) } == 0;
            !exists
                || std::fs::read_to_string(format!("/proc/{pid}/stat"))
                    .is_ok_and(|s| s.contains(") Z "))
        });
        assert!(gone, "the helper's child {pid} was left running");
        assert!(lock_running().is_empty());
    }
}
