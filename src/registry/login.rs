//! `dockjob login` / `dockjob logout`: storing and erasing credentials where the docker CLI
//! would, in the format it reads.
//!
//! Owns [`login`], [`logout`] and [`password_from_stdin`]. Checking the credentials against the
//! registry is the caller's job ([`super::verify`]); this module only stores them.
//! Rules copied from docker/cli: `cli/command/registry/login.go` (`storeCredentials`,
//! `--password-stdin` trimming), `cli/command/registry/logout.go` (which keys are erased),
//! `cli/config/credentials/native_store.go` (a helper stores the secret, the file keeps an
//! empty entry) and `cli/config/configfile/file.go` (`auths[key].auth = base64(user:pass)`).
//!
//! No bollard, no tokio.

use std::path::PathBuf;

use super::config::{AuthEntry, ConfigError, DockerConfig};
use super::credentials::{encode_auth, Credentials};
use super::helper::{HelperError, HelperLauncher};
use crate::image_ref::{auth_key_for_server, DOCKER_HUB_AUTH_KEY};

/// Why login or logout could not store or erase credentials. Never contains a secret.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Reading or writing `config.json` failed.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The credential helper failed.
    #[error(transparent)]
    Helper(#[from] HelperError),
    /// `--password-stdin` read nothing.
    #[error("no password was given on stdin")]
    EmptyPassword,
    /// `--password-stdin` read bytes that are not UTF-8.
    #[error("the password read from stdin is not UTF-8 text")]
    PasswordNotUtf8,
}

/// Where [`login`] put the secret; the caller warns when it is the plain file, as the CLI does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoredIn {
    /// base64 in this `config.json` (not encrypted).
    File(PathBuf),
    /// In this credential helper (`docker-credential-<name>`).
    Helper(String),
}

/// The password given with `--password-stdin`: everything read, minus one trailing `\n` and then
/// one trailing `\r`, as `verifyLoginOptions` does.
pub fn password_from_stdin(input: &[u8]) -> Result<String, LoginError> {
    let text = std::str::from_utf8(input).map_err(|_| LoginError::PasswordNotUtf8)?;
    let text = text.strip_suffix('\n').unwrap_or(text);
    let text = text.strip_suffix('\r').unwrap_or(text);
    if text.is_empty() {
        return Err(LoginError::EmptyPassword);
    }
    Ok(text.to_owned())
}

/// Stores `credentials` (whose server address must be a config key, see
/// [`auth_key_for_server`]) and saves the config, with helpers found on the process `PATH`.
pub fn login(config: &mut DockerConfig, credentials: &Credentials) -> Result<StoredIn, LoginError> {
    login_with(config, credentials, &HelperLauncher::from_env())
}

/// [`login`] with an explicit helper launcher.
pub fn login_with(
    config: &mut DockerConfig,
    credentials: &Credentials,
    launcher: &HelperLauncher,
) -> Result<StoredIn, LoginError> {
    let key = credentials.server_address();
    let previous_other = config
        .auths()
        .get(key)
        .map(|entry| entry.other.clone())
        .unwrap_or_default();
    let stored_in = match config.helper_for(key).map(str::to_owned) {
        Some(helper) => {
            launcher.store(&helper, credentials)?;
            // The file keeps an empty entry so `GetAll` still lists the registry.
            config.set_auth(
                key,
                AuthEntry {
                    other: previous_other,
                    ..AuthEntry::default()
                },
            );
            StoredIn::Helper(helper)
        }
        None => {
            let username = credentials.username().unwrap_or_default();
            let entry = AuthEntry {
                auth: encode_auth(username, credentials.password().unwrap_or_default()),
                identitytoken: credentials.identity_token_value().map(str::to_owned),
                other: previous_other,
                ..AuthEntry::default()
            };
            config.set_auth(key, entry);
            StoredIn::File(config.path().to_path_buf())
        }
    };
    config.save()?;
    Ok(stored_in)
}

/// What [`logout`] did.
#[derive(Debug)]
pub struct LogoutReport {
    /// The registry, as the CLI names it in `Removing login credentials for …`.
    pub host: String,
    /// Whether an entry was removed from the file (a helper-backed login leaves an empty entry
    /// there, so this is also true after erasing from a helper).
    pub removed: bool,
    /// Every key that was tried (the registry's key and its legacy spellings).
    pub keys: Vec<String>,
    /// Helper failures for individual keys; the CLI prints `WARNING: could not erase
    /// credentials` only when every key failed (see [`LogoutReport::all_failed`]).
    pub helper_errors: Vec<HelperError>,
}

impl LogoutReport {
    /// Whether erasing failed for every key tried (the CLI's condition for its warning).
    pub fn all_failed(&self) -> bool {
        !self.keys.is_empty() && self.helper_errors.len() == self.keys.len()
    }
}

/// Erases the credentials for `server` (empty means Docker Hub) from the file and from whichever
/// helper owns each key, then saves the config if it changed. Like the CLI, a non-Hub server is
/// also erased under its legacy spellings (`host`, `http://host`, `https://host`).
pub fn logout(config: &mut DockerConfig, server: &str) -> Result<LogoutReport, LoginError> {
    logout_with(config, server, &HelperLauncher::from_env())
}

/// [`logout`] with an explicit helper launcher.
pub fn logout_with(
    config: &mut DockerConfig,
    server: &str,
    launcher: &HelperLauncher,
) -> Result<LogoutReport, LoginError> {
    let key = auth_key_for_server(server);
    let keys = logout_keys(server.trim(), &key);
    let mut report = LogoutReport {
        host: key.clone(),
        removed: false,
        keys: keys.clone(),
        helper_errors: Vec::new(),
    };
    let mut file_changed = false;
    for candidate in &keys {
        if let Some(helper) = config.helper_for(candidate).map(str::to_owned) {
            let had_helper_entry = config.auths().contains_key(candidate.as_str());
            match launcher.erase(&helper, candidate) {
                Ok(()) => report.removed |= had_helper_entry,
                Err(err) => {
                    report.helper_errors.push(err);
                    continue;
                }
            }
        }
        if config.remove_auth(candidate) {
            file_changed = true;
            report.removed = true;
        }
    }
    if file_changed {
        config.save()?;
    }
    Ok(report)
}

/// `regsToLogout` from `logout.go`, normalised key first, duplicates dropped. Unlike the CLI,
/// `docker.io` and the other Hub aliases also erase `https://index.docker.io/v1/` (the CLI's
/// `docker logout docker.io` leaves the Hub credentials in place).
fn logout_keys(typed: &str, key: &str) -> Vec<String> {
    let mut keys = Vec::new();
    let mut push = |k: String| {
        if !k.is_empty() && !keys.contains(&k) {
            keys.push(k);
        }
    };
    push(key.to_owned());
    push(typed.to_owned());
    if key != DOCKER_HUB_AUTH_KEY {
        push(format!("http://{key}"));
        push(format!("https://{key}"));
    }
    keys
}
