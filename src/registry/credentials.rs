//! Registry credentials and how they are found, in the docker CLI's order.
//!
//! Owns [`Credentials`] (whose `Debug` never shows a secret) and [`resolve`]. The selection is
//! the CLI's (`cli/config/configfile/file.go` `GetCredentialsStore`): `credHelpers[key]` if
//! present, else `credsStore` if set, else the `auths` entries of the file. It is a choice, not a
//! fallback chain: when a helper is selected its answer is final, and its "credentials not
//! found" means anonymous (`cli/config/credentials/native_store.go`).
//!
//! No bollard, no tokio: helper processes run synchronously.

use std::fmt;
use std::path::PathBuf;

use base64::Engine as _;

use super::config::{AuthEntry, DockerConfig};
use super::helper::{HelperError, HelperLauncher};
use crate::image_ref::convert_to_hostname;

/// The username a credential helper returns when its secret is an identity token
/// (`native_store.go` `tokenUsername`).
pub const TOKEN_USERNAME: &str = "<token>";

/// The secret half of [`Credentials`].
#[derive(Clone, PartialEq, Eq)]
enum Secret {
    Password(String),
    IdentityToken(String),
}

/// Credentials for one registry: a username and password, or an identity (refresh) token.
///
/// `Debug` prints `***` in place of the secret; there is deliberately no `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    server_address: String,
    username: String,
    secret: Secret,
}

impl Credentials {
    /// Username and password for `server_address` (a `config.json` key such as
    /// `https://index.docker.io/v1/` or `127.0.0.1:5000`).
    pub fn basic(
        server_address: impl Into<String>,
        username: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        Credentials {
            server_address: server_address.into(),
            username: username.into(),
            secret: Secret::Password(password.into()),
        }
    }

    /// An identity token (OAuth refresh token) for `server_address`; `username` may be empty.
    pub fn identity_token(
        server_address: impl Into<String>,
        username: impl Into<String>,
        token: impl Into<String>,
    ) -> Self {
        Credentials {
            server_address: server_address.into(),
            username: username.into(),
            secret: Secret::IdentityToken(token.into()),
        }
    }

    /// The registry these credentials are for, as stored (the `config.json` key).
    pub fn server_address(&self) -> &str {
        &self.server_address
    }

    /// The username; `None` when empty (token credentials from a helper have none).
    pub fn username(&self) -> Option<&str> {
        Some(self.username.as_str()).filter(|u| !u.is_empty())
    }

    /// The password, for username/password credentials.
    pub fn password(&self) -> Option<&str> {
        match &self.secret {
            Secret::Password(password) => Some(password),
            Secret::IdentityToken(_) => None,
        }
    }

    /// The identity token, for token credentials.
    pub fn identity_token_value(&self) -> Option<&str> {
        match &self.secret {
            Secret::IdentityToken(token) => Some(token),
            Secret::Password(_) => None,
        }
    }

    /// The secret itself, whichever kind it is; used to redact it from helper messages.
    pub(crate) fn secret(&self) -> &str {
        match &self.secret {
            Secret::Password(s) | Secret::IdentityToken(s) => s,
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.secret {
            Secret::Password(_) => "password",
            Secret::IdentityToken(_) => "identity_token",
        };
        f.debug_struct("Credentials")
            .field("server_address", &self.server_address)
            .field("username", &self.username)
            .field(kind, &"***")
            .finish()
    }
}

/// Why credentials could not be found. Never contains a secret.
#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    /// A credential helper failed (other than "not found").
    #[error(transparent)]
    Helper(#[from] HelperError),
    /// A file entry cannot be decoded.
    #[error("{file}: auths[{key:?}]: {reason}")]
    InvalidEntry {
        /// The `config.json` that holds the entry.
        file: PathBuf,
        /// The entry's key.
        key: String,
        /// What is wrong with it (never its value).
        reason: &'static str,
    },
}

/// Finds the credentials for `auth_key` (see [`crate::image_ref::ImageRef::auth_key`]), running
/// credential helpers found on the process `PATH`. `Ok(None)` means push anonymously.
pub fn resolve(
    config: &DockerConfig,
    auth_key: &str,
) -> Result<Option<Credentials>, CredentialError> {
    resolve_with(config, auth_key, &HelperLauncher::from_env())
}

/// [`resolve`] with an explicit helper launcher (tests pass a private helper directory).
pub fn resolve_with(
    config: &DockerConfig,
    auth_key: &str,
    launcher: &HelperLauncher,
) -> Result<Option<Credentials>, CredentialError> {
    if let Some(helper) = config.helper_for(auth_key) {
        return Ok(launcher.get(helper, auth_key)?);
    }
    let Some((key, entry)) = find_entry(config, auth_key) else {
        return Ok(None);
    };
    entry_credentials(entry, auth_key).map_err(|reason| CredentialError::InvalidEntry {
        file: config.path().to_path_buf(),
        key: key.to_owned(),
        reason,
    })
}

/// The file entry for `auth_key`: the exact key, else a legacy key (`https://host/…`) whose
/// hostname is `auth_key` (`cli/config/credentials/file_store.go` `Get`).
fn find_entry<'a>(config: &'a DockerConfig, auth_key: &str) -> Option<(&'a str, &'a AuthEntry)> {
    let auths = config.auths();
    if let Some((key, entry)) = auths.get_key_value(auth_key) {
        return Some((key, entry));
    }
    auths
        .iter()
        .find(|(key, _)| convert_to_hostname(key) == auth_key)
        .map(|(key, entry)| (key.as_str(), entry))
}

/// Turns one `auths` entry into credentials, as `ConfigFile.LoadFromReader` does: a non-empty
/// `auth` overrides `username`/`password`; an `identitytoken` wins over a password; an entry
/// with nothing in it (`{}`, left by a `credsStore` login) means no credentials.
fn entry_credentials(
    entry: &AuthEntry,
    server_address: &str,
) -> Result<Option<Credentials>, &'static str> {
    let (username, password) = match entry.auth.as_deref().filter(|a| !a.is_empty()) {
        Some(auth) => decode_auth(auth)?,
        None => (
            entry.username.clone().unwrap_or_default(),
            entry.password.clone().unwrap_or_default(),
        ),
    };
    if let Some(token) = entry.identitytoken.as_deref().filter(|t| !t.is_empty()) {
        return Ok(Some(Credentials::identity_token(
            server_address,
            username,
            token,
        )));
    }
    if username.is_empty() && password.is_empty() {
        return Ok(None);
    }
    Ok(Some(Credentials::basic(server_address, username, password)))
}

/// `decodeAuth` from `cli/config/configfile/file.go`: standard base64 of `user:pass`, split at
/// the first `:`, trailing NULs trimmed from the password. Unpadded input is accepted too.
pub fn decode_auth(auth: &str) -> Result<(String, String), &'static str> {
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    let bytes = engine
        .decode(auth.trim())
        .map_err(|_| "the \"auth\" value is not valid base64")?;
    let text = String::from_utf8(bytes).map_err(|_| "the \"auth\" value is not UTF-8 text")?;
    match text.split_once(':') {
        Some((user, pass)) if !user.is_empty() => {
            Ok((user.to_owned(), pass.trim_matches('\0').to_owned()))
        }
        _ => Err("the \"auth\" value is not \"username:password\" (invalid auth configuration)"),
    }
}

/// `encodeAuth` from `cli/config/configfile/file.go`: standard base64 of `user:pass`, or
/// nothing when both are empty.
pub fn encode_auth(username: &str, password: &str) -> Option<String> {
    if username.is_empty() && password.is_empty() {
        return None;
    }
    Some(base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}")))
}
