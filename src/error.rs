//! Exit codes and how errors are shown to people.
//!
//! | code | meaning |
//! |------|---------|
//! | 0    | success |
//! | 1    | the Job failed, lint found errors, a build step or push failed |
//! | 2    | bad input or usage (flags, Dockerfile, job.yaml, missing file or image) |
//! | 3    | the engine (or, for `login`, the registry) could not be reached |
//! | 130  | interrupted (Ctrl-C; `run` also after SIGTERM once its pods are stopped) |
//! | 143  | terminated by SIGTERM (every command but `run`) |
//!
//! A closed stdout (`dockjob … | head`) is success, as in ripgrep.

use std::process::ExitCode;

use crate::engine::EngineError;
use crate::job::driver::DriverError;

/// How a command ended, as the process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: it did what was asked.
    Success,
    /// 1: the work ran and failed (Job failed, build step failed, lint errors).
    Failure,
    /// 2: the input was wrong; nothing was run.
    Usage,
    /// 3: the engine or registry did not answer.
    Unreachable,
    /// 130: interrupted by the user.
    Interrupted,
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> Self {
        ExitCode::from(match status {
            ExitStatus::Success => 0,
            ExitStatus::Failure => 1,
            ExitStatus::Usage => 2,
            ExitStatus::Unreachable => 3,
            ExitStatus::Interrupted => 130,
        })
    }
}

/// Bad input the user can fix: a flag, a file, a reference. Exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UserError(pub String);

/// Stdout was closed by its reader: `main` treats this as success.
#[derive(Debug, thiserror::Error)]
#[error("stdout is closed")]
pub struct StdoutClosed;

/// Whether `error` comes from writing to a stdout whose reader has gone
/// (`dockjob logs … | head -1`): [`StdoutClosed`] anywhere in the chain, or a broken pipe
/// while stdout is indeed a pipe (or socket) nobody reads any more. Decided here, once for
/// every command, rather than at each write: a broken pipe to the engine or a registry is
/// still an error.
pub fn is_closed_stdout(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause.downcast_ref::<StdoutClosed>().is_some()
            || cause
                .downcast_ref::<std::io::Error>()
                .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe && stdout_is_closed())
    })
}

/// Whether stdout is a pipe or socket whose reading end is closed (poll(2) says `POLLERR`
/// for such a pipe, `POLLHUP` for such a socket).
pub fn stdout_is_closed() -> bool {
    let mut fd = libc::pollfd {
        fd: libc::STDOUT_FILENO,
        events: libc::POLLOUT,
        revents: 0,
    };
    // SAFETY: one valid pollfd, no timeout.
    let ready = unsafe { libc::poll(&mut fd, 1, 0) };
    ready == 1 && fd.revents & (libc::POLLERR | libc::POLLHUP) != 0
}

/// Makes a [`UserError`] from anything printable.
pub fn user_error(message: impl Into<String>) -> anyhow::Error {
    UserError(message.into()).into()
}

/// The exit status an error deserves, from the first classified error in its chain.
pub fn exit_status_for(error: &anyhow::Error) -> ExitStatus {
    for cause in error.chain() {
        // A pod that cannot start is the manifest's (or its missing Secret's) fault.
        if cause.downcast_ref::<UserError>().is_some()
            || matches!(
                cause.downcast_ref::<DriverError>(),
                Some(DriverError::CannotStart { .. })
            )
        {
            return ExitStatus::Usage;
        }
        if let Some(engine) = as_engine_error(cause) {
            return match engine {
                EngineError::Unreachable { .. } => ExitStatus::Unreachable,
                EngineError::ImageNotFound(_) => ExitStatus::Usage,
                _ => ExitStatus::Failure,
            };
        }
    }
    ExitStatus::Failure
}

/// The engine error `cause` is or wraps transparently (a run's [`DriverError`] shows its
/// engine error as its own text, so the chain never lists the inner one).
fn as_engine_error<'a>(cause: &'a (dyn std::error::Error + 'static)) -> Option<&'a EngineError> {
    match cause.downcast_ref::<DriverError>() {
        Some(DriverError::Engine(engine)) => Some(engine),
        Some(DriverError::CannotStart { .. }) => None,
        None => cause.downcast_ref::<EngineError>(),
    }
}

/// A `hint:` line for errors where the next step is not obvious.
pub fn hint_for(error: &anyhow::Error) -> Option<String> {
    let cannot_start = error.chain().find_map(|cause| match cause.downcast_ref() {
        Some(DriverError::CannotStart {
            reason,
            message,
            hint,
            ..
        }) => Some((reason.as_str(), message.as_str(), hint)),
        _ => None,
    });
    if let Some((reason, message, hint)) = cannot_start {
        if let Some(hint) = hint {
            return Some(hint.clone());
        }
        let hint = if reason == "InvalidImageName" {
            "fix the image reference in the pod template (the kubelet does not pull it; on a \
             cluster the pod would wait in InvalidImageName)"
        } else if message.contains("secret \"")
            || message.contains("configmap \"")
            || message.contains("couldn't find key")
            || message.contains("non-existent")
        {
            "add the Secret or ConfigMap (or the key) with `dockjob apply -f` (put its manifest \
             in the Job's file, or apply it while the run waits), or mark the reference \
             optional: true; a detached Job (apply -f) waits for it as the kubelet does"
        } else {
            return None;
        };
        return Some(hint.to_string());
    }
    error
        .chain()
        .find_map(|cause| match as_engine_error(cause)? {
            EngineError::Unreachable { endpoint, .. } => Some(format!(
                "is the Docker engine running and is {endpoint} the right endpoint? \
             Check `systemctl status docker` (or start dockerd), the socket's permissions, \
             and DOCKER_HOST or -H."
            )),
            EngineError::Unauthorized { registry, .. } => Some(format!(
                "log in with `dockjob login {registry}` (or `docker login`), \
             or check the credentials in your Docker config.json"
            )),
            _ => None,
        })
}

/// An error chain as one line, `outer: cause: cause`, each cause said once.
///
/// Many errors name their cause in their own message and also return it as their
/// `source()` (`cannot read X: No such file or directory`, a `.dockerignore` pattern
/// error), so anyhow's `{:#}` said it twice; a cause whose text the line already holds is
/// left out. Use it wherever a whole chain is shown.
pub struct Causes<'a>(pub &'a anyhow::Error);

impl std::fmt::Display for Causes<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut line = String::new();
        for cause in self.0.chain() {
            let text = cause.to_string();
            if text.is_empty() || line.contains(&text) {
                continue;
            }
            if !line.is_empty() {
                line.push_str(": ");
            }
            line.push_str(&text);
        }
        f.write_str(&line)
    }
}

/// Prints an error chain (each cause once, see [`Causes`]) and its hint on stderr, without
/// Rust debug output.
pub fn report(error: &anyhow::Error) {
    let text = Causes(error).to_string();
    if is_api_server_text(&text) {
        eprintln!("{text}");
    } else {
        eprintln!("error: {text}");
    }
    if let Some(hint) = hint_for(error) {
        eprintln!("hint: {hint}");
    }
}

/// Whether `text` is one of the API server's errors that kubectl prints as they are, with no
/// `error: ` in front (`checkErr` in staging/src/k8s.io/kubectl/pkg/cmd/util/helpers.go:
/// `StandardErrorMessage`'s `Error from server (Reason): …`, and an Invalid error's
/// `The Job "x" is invalid: …`).
fn is_api_server_text(text: &str) -> bool {
    text.starts_with("Error from server (")
        || (text.starts_with("The ") && text.contains(" is invalid: "))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bug: `create -f` of an invalid Job said `error: The Job "x" is invalid: …`, and a bad
    /// selector `error: Error from server (BadRequest): …`; kubectl prints neither prefix.
    #[test]
    fn api_server_errors_are_printed_as_kubectl_prints_them() {
        assert!(is_api_server_text(
            "Error from server (BadRequest): Unable to find \"batch/v1, Resource=jobs\" …"
        ));
        assert!(is_api_server_text(
            "The Job \"a\" is invalid: spec.completions: Invalid value: -1: must be greater than or equal to 0"
        ));
        assert!(!is_api_server_text(
            "cannot read job.yaml: No such file or directory"
        ));
        assert!(!is_api_server_text("The file is invalid"));
    }

    #[derive(Debug, thiserror::Error)]
    #[error("cannot read {path}: {source}")]
    struct Read {
        path: String,
        source: std::io::Error,
    }

    #[test]
    fn each_cause_is_said_once() {
        let io = std::io::Error::from(std::io::ErrorKind::NotFound);
        let error = anyhow::Error::new(Read {
            path: "/x".into(),
            source: io,
        })
        .context("building .");
        assert_eq!(
            Causes(&error).to_string(),
            "building .: cannot read /x: entity not found"
        );
        let plain = anyhow::anyhow!("inner").context("outer");
        assert_eq!(Causes(&plain).to_string(), "outer: inner");
    }
}
