//! Docker credential helpers (`docker-credential-<name> get|store|erase`).
//!
//! Owns [`HelperLauncher`] and [`HelperError`]. The protocol is
//! `docker/docker-credential-helpers` `client/client.go`: the server URL (or a JSON
//! `{"ServerURL","Username","Secret"}` for `store`) on stdin, JSON on stdout, and on failure a
//! non-zero exit with a message on stdout; `credentials not found in native keychain` means
//! there is nothing stored. A `Username` of `<token>` marks an identity token.
//!
//! No bollard, no tokio: helpers are short synchronous processes, run under a timeout
//! (`DOCKJOB_HELPER_TIMEOUT`, see [`crate::external`]) and killed when they do not answer.
//! Secrets are never put in an error: a helper's message is redacted, and unparsable output is
//! not quoted at all.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::{Deserialize, Serialize};

use super::credentials::{Credentials, TOKEN_USERNAME};
use crate::external;

/// Prefix of every helper program name (`native_store.go` `remoteCredentialsPrefix`).
pub const HELPER_PREFIX: &str = "docker-credential-";

/// What helpers print when they hold nothing for a server (`credentials.errCredentialsNotFound`).
const NOT_FOUND_MESSAGE: &str = "credentials not found in native keychain";

/// Longest helper message kept in an error.
const MAX_MESSAGE_LEN: usize = 300;

/// A credential helper could not be run or reported a failure.
#[derive(Debug, thiserror::Error)]
pub enum HelperError {
    /// The helper's name would escape the search path (contains `/`), or is empty.
    #[error("invalid credential helper name {name:?} in the docker config")]
    InvalidName {
        /// The configured name.
        name: String,
    },
    /// No executable `docker-credential-<name>` on the search path.
    #[error("credential helper {program} not found in PATH")]
    NotFound {
        /// The program name that was looked for.
        program: String,
    },
    /// Starting it or waiting for it failed, or it did not answer in time (then it was
    /// killed, with what it started).
    #[error("credential helper {0}")]
    Run(crate::external::ExternalError),
    /// `DOCKJOB_HELPER_TIMEOUT` cannot be read.
    #[error("{0}")]
    Timeout(String),
    /// It exited non-zero (with its message, secrets removed).
    #[error("credential helper {program} failed to {action} credentials for {server}: {message}")]
    Failed {
        /// The program.
        program: String,
        /// `get`, `store` or `erase`.
        action: &'static str,
        /// The server address asked about.
        server: String,
        /// The helper's message (stdout, else stderr), trimmed, redacted and shortened.
        message: String,
    },
    /// It succeeded but printed something that is not the expected JSON (not quoted here).
    #[error(
        "credential helper {program} returned output that is not credentials JSON for {server}"
    )]
    BadOutput {
        /// The program.
        program: String,
        /// The server address asked about.
        server: String,
    },
}

/// The helper wire format (`credentials.Credentials`).
#[derive(Serialize, Deserialize)]
struct HelperCredentials {
    #[serde(rename = "ServerURL", default)]
    server_url: String,
    #[serde(rename = "Username", default)]
    username: String,
    #[serde(rename = "Secret", default)]
    secret: String,
}

/// Finds and runs credential helpers on a given search path (default: this process's `PATH`).
///
/// The search path is a value, not the environment, so parallel tests can each use their own
/// helper directory without mutating `PATH`. It is used only to find the helper; the helper
/// itself runs with this process's environment.
#[derive(Debug, Clone)]
pub struct HelperLauncher {
    search_path: OsString,
}

impl HelperLauncher {
    /// Searches this process's `PATH`.
    pub fn from_env() -> Self {
        HelperLauncher {
            search_path: std::env::var_os("PATH").unwrap_or_default(),
        }
    }

    /// Searches `search_path` (a `PATH`-style list of directories).
    pub fn with_search_path(search_path: impl Into<OsString>) -> Self {
        HelperLauncher {
            search_path: search_path.into(),
        }
    }

    /// `docker-credential-<helper> get`: the credentials stored for `server`, or `None` when
    /// the helper has none (the CLI's behaviour: anonymous, not an error).
    pub fn get(&self, helper: &str, server: &str) -> Result<Option<Credentials>, HelperError> {
        let program = self.program(helper)?;
        let output = self.run(&program, "get", server.as_bytes())?;
        if !output.success {
            if output.message.contains(NOT_FOUND_MESSAGE) {
                return Ok(None);
            }
            return Err(output.failure(&program, "get", server, &[]));
        }
        let bad_output = || HelperError::BadOutput {
            program: program_name(&program),
            server: server.to_owned(),
        };
        let parsed: HelperCredentials =
            serde_json::from_slice(&output.stdout).map_err(|_| bad_output())?;
        if parsed.username == TOKEN_USERNAME {
            return Ok(Some(Credentials::identity_token(server, "", parsed.secret)));
        }
        if parsed.username.is_empty() && parsed.secret.is_empty() {
            return Ok(None);
        }
        Ok(Some(Credentials::basic(
            server,
            parsed.username,
            parsed.secret,
        )))
    }

    /// `docker-credential-<helper> store` (`native_store.go` `storeCredentialsInStore`): token
    /// credentials are stored with the username `<token>`.
    pub fn store(&self, helper: &str, credentials: &Credentials) -> Result<(), HelperError> {
        let program = self.program(helper)?;
        let server = credentials.server_address();
        let wire = HelperCredentials {
            server_url: server.to_owned(),
            username: match credentials.identity_token_value() {
                Some(_) => TOKEN_USERNAME.to_owned(),
                None => credentials.username().unwrap_or_default().to_owned(),
            },
            secret: credentials.secret().to_owned(),
        };
        let input = serde_json::to_vec(&wire).expect("credentials always serialise");
        let output = self.run(&program, "store", &input)?;
        if output.success {
            return Ok(());
        }
        Err(output.failure(&program, "store", server, &[credentials.secret()]))
    }

    /// `docker-credential-<helper> erase`; erasing what is not there is not an error.
    pub fn erase(&self, helper: &str, server: &str) -> Result<(), HelperError> {
        let program = self.program(helper)?;
        let output = self.run(&program, "erase", server.as_bytes())?;
        if output.success || output.message.contains(NOT_FOUND_MESSAGE) {
            return Ok(());
        }
        Err(output.failure(&program, "erase", server, &[]))
    }

    /// The helper's full path on the search path.
    fn program(&self, helper: &str) -> Result<PathBuf, HelperError> {
        if helper.is_empty() || helper.contains(['/', '\\']) {
            return Err(HelperError::InvalidName {
                name: helper.to_owned(),
            });
        }
        let name = format!("{HELPER_PREFIX}{helper}");
        std::env::split_paths(&self.search_path)
            .map(|dir| dir.join(&name))
            .find(|candidate| is_executable(candidate))
            .ok_or(HelperError::NotFound { program: name })
    }

    /// Runs `program action` with `input` on stdin, under [`external::helper_timeout`].
    fn run(&self, program: &Path, action: &str, input: &[u8]) -> Result<HelperOutput, HelperError> {
        let timeout = external::helper_timeout().map_err(HelperError::Timeout)?;
        let name = format!("{} {action}", program_name(program));
        let mut command = Command::new(program);
        command.arg(action);
        let output =
            external::run_bounded(&mut command, &name, input, timeout).map_err(HelperError::Run)?;
        let stdout_text = String::from_utf8_lossy(&output.stdout).trim().to_owned();
        let message = if stdout_text.is_empty() {
            String::from_utf8_lossy(&output.stderr).trim().to_owned()
        } else {
            stdout_text
        };
        Ok(HelperOutput {
            success: output.status.success(),
            status: output.status.to_string(),
            stdout: output.stdout,
            message,
        })
    }
}

/// What one helper run produced.
struct HelperOutput {
    success: bool,
    status: String,
    stdout: Vec<u8>,
    message: String,
}

impl HelperOutput {
    fn failure(
        &self,
        program: &Path,
        action: &'static str,
        server: &str,
        secrets: &[&str],
    ) -> HelperError {
        let mut message = self.message.clone();
        for secret in secrets.iter().filter(|s| !s.is_empty()) {
            message = message.replace(secret, "***");
        }
        if message.chars().count() > MAX_MESSAGE_LEN {
            message = message.chars().take(MAX_MESSAGE_LEN).collect::<String>() + "…";
        }
        if message.is_empty() {
            message = self.status.clone();
        }
        HelperError::Failed {
            program: program_name(program),
            action,
            server: server.to_owned(),
            message,
        }
    }
}

fn program_name(program: &Path) -> String {
    program
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        path.metadata()
            .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            .unwrap_or(false)
    }
    #[cfg(not(unix))]
    {
        path.is_file()
    }
}
