//! The docker CLI's `config.json`: where it lives, reading it, and writing it back safely.
//!
//! Owns [`DockerConfig`] and [`AuthEntry`]. Format and write rules are the CLI's
//! (`cli/config/configfile/file.go`, `cli/config/types/authconfig.go`): a missing file is an
//! empty config, the directory is created 0700, the file is written through a temp file and a
//! rename (through a symlink to its target), tab-indented. Unlike the CLI, fields dockjob does not
//! know are kept rather than dropped, and the file is always 0600 because it holds secrets.
//!
//! No bollard, no tokio. Parse errors never quote values from the file, of any JSON type (they
//! may be secrets): they name the line, the column and the field.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt;
use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

/// File name inside the config directory.
pub const CONFIG_FILE_NAME: &str = "config.json";

/// One `auths` entry. `auth` is standard base64 of `user:pass`; the CLI writes only `auth`
/// (plus `identitytoken` and `email` when present). `Debug` hides every secret.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AuthEntry {
    /// base64(`username:password`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<String>,
    /// Plain username (read only when `auth` is empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Plain password (read only when `auth` is empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// OAuth refresh token returned by a registry's `/auth`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identitytoken: Option<String>,
    /// Fields dockjob does not use (`email`, `serveraddress`, `registrytoken`, …), kept as read.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl fmt::Debug for AuthEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hide = |v: &Option<String>| v.as_ref().map(|_| "***");
        f.debug_struct("AuthEntry")
            .field("auth", &hide(&self.auth))
            .field("username", &self.username)
            .field("password", &hide(&self.password))
            .field("identitytoken", &hide(&self.identitytoken))
            .field("other_fields", &self.other.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// The file's top level: what dockjob reads, plus everything else, kept verbatim.
#[derive(Clone, Default, Serialize, Deserialize)]
struct ConfigFile {
    #[serde(default, deserialize_with = "null_as_default")]
    auths: BTreeMap<String, AuthEntry>,
    #[serde(
        rename = "credsStore",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    creds_store: Option<String>,
    #[serde(
        rename = "credHelpers",
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    cred_helpers: BTreeMap<String, String>,
    #[serde(flatten)]
    other: Map<String, Value>,
}

/// Go decodes `null` into an empty map; serde would reject it.
fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// Why `config.json` could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file exists but could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// The file is not a valid docker config. Says where and which field, never a value.
    #[error("{path} is not a valid docker config file: {message}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// Line and column, then what is wrong: the field and the JSON types, no value.
        message: String,
    },
    /// Writing the file (or its directory, or the temp file) failed.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// Neither `DOCKER_CONFIG` nor `HOME` is set.
    #[error("cannot find the docker config directory: neither DOCKER_CONFIG nor HOME is set")]
    NoConfigDir,
}

/// A loaded `config.json`, remembered with its path so it can be saved back.
#[derive(Clone)]
pub struct DockerConfig {
    path: PathBuf,
    file: ConfigFile,
}

impl fmt::Debug for DockerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DockerConfig")
            .field("path", &self.path)
            .field("auths", &self.file.auths)
            .field("creds_store", &self.file.creds_store)
            .field("cred_helpers", &self.file.cred_helpers)
            .field("other_fields", &self.file.other.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// The config directory as the CLI finds it (`cli/config/config.go` `Dir`): `$DOCKER_CONFIG`
/// if set and non-empty, else `$HOME/.docker`. Values are parameters so tests never read the
/// real environment; see [`config_dir_from_env`].
pub fn config_dir(docker_config: Option<OsString>, home: Option<OsString>) -> Option<PathBuf> {
    let non_empty = |v: Option<OsString>| v.filter(|v| !v.is_empty());
    non_empty(docker_config)
        .map(PathBuf::from)
        .or_else(|| non_empty(home).map(|h| PathBuf::from(h).join(".docker")))
}

/// [`config_dir`] from this process's `DOCKER_CONFIG` and `HOME`.
pub fn config_dir_from_env() -> Result<PathBuf, ConfigError> {
    config_dir(std::env::var_os("DOCKER_CONFIG"), std::env::var_os("HOME"))
        .ok_or(ConfigError::NoConfigDir)
}

impl DockerConfig {
    /// An empty config that will be saved to `dir/config.json`.
    pub fn empty(dir: &Path) -> Self {
        DockerConfig {
            path: dir.join(CONFIG_FILE_NAME),
            file: ConfigFile::default(),
        }
    }

    /// Reads `dir/config.json`. A missing or empty file is an empty config, as in the CLI.
    pub fn load(dir: &Path) -> Result<Self, ConfigError> {
        let path = dir.join(CONFIG_FILE_NAME);
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Self::empty(dir)),
            Err(source) => return Err(ConfigError::Read { path, source }),
        };
        Self::from_json(path, &text)
    }

    /// Parses `text` as the contents of `path` (which is only remembered, not read).
    pub fn from_json(path: PathBuf, text: &str) -> Result<Self, ConfigError> {
        if text.trim().is_empty() {
            return Ok(DockerConfig {
                path,
                file: ConfigFile::default(),
            });
        }
        match serde_json::from_str(text) {
            Ok(file) => Ok(DockerConfig { path, file }),
            Err(e) => Err(ConfigError::Malformed {
                path,
                message: describe_parse_error(text, &e),
            }),
        }
    }

    /// The file this config was read from and is saved to.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The `auths` entries by key.
    pub fn auths(&self) -> &BTreeMap<String, AuthEntry> {
        &self.file.auths
    }

    /// Adds or replaces the entry for `key`.
    pub fn set_auth(&mut self, key: &str, entry: AuthEntry) {
        self.file.auths.insert(key.to_owned(), entry);
    }

    /// Removes the entry for `key`; says whether there was one.
    pub fn remove_auth(&mut self, key: &str) -> bool {
        self.file.auths.remove(key).is_some()
    }

    /// The default credential store (`credsStore`), if set and non-empty.
    pub fn creds_store(&self) -> Option<&str> {
        self.file.creds_store.as_deref().filter(|s| !s.is_empty())
    }

    /// Sets or clears `credsStore`.
    pub fn set_creds_store(&mut self, helper: Option<&str>) {
        self.file.creds_store = helper.map(str::to_owned);
    }

    /// The per-registry helpers (`credHelpers`).
    pub fn cred_helpers(&self) -> &BTreeMap<String, String> {
        &self.file.cred_helpers
    }

    /// Sets the helper for one registry key.
    pub fn set_cred_helper(&mut self, key: &str, helper: &str) {
        self.file
            .cred_helpers
            .insert(key.to_owned(), helper.to_owned());
    }

    /// The helper that owns `key`'s credentials (`getConfiguredCredentialStore`):
    /// `credHelpers[key]` (exact key, as the CLI), else `credsStore`, else `None` (the file).
    pub fn helper_for(&self, key: &str) -> Option<&str> {
        match self.file.cred_helpers.get(key) {
            Some(helper) => Some(helper.as_str()).filter(|h| !h.is_empty()),
            None => self.creds_store(),
        }
    }

    /// The file contents as the CLI writes them: tab-indented JSON.
    pub fn to_json(&self) -> String {
        let mut out = Vec::new();
        let formatter = serde_json::ser::PrettyFormatter::with_indent(b"\t");
        let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
        self.file
            .serialize(&mut serializer)
            .expect("a JSON value always serialises");
        String::from_utf8(out).expect("serde_json writes UTF-8")
    }

    /// Writes the file atomically with mode 0600: a temp file in the same directory, then a
    /// rename over the target (the symlink's target when `config.json` is a symlink).
    pub fn save(&self) -> Result<(), ConfigError> {
        let target = fs::canonicalize(&self.path).unwrap_or_else(|_| self.path.clone());
        let dir = target.parent().map(Path::to_path_buf).unwrap_or_default();
        create_private_dir(&dir)?;
        let write_err = |source| ConfigError::Write {
            path: target.clone(),
            source,
        };
        let temp = temp_path(&target);
        let written = write_private(&temp, self.to_json().as_bytes())
            .and_then(|()| fs::rename(&temp, &target));
        if let Err(source) = written {
            let _ = fs::remove_file(&temp);
            return Err(write_err(source));
        }
        Ok(())
    }
}

/// `os.MkdirAll(dir, 0o700)`.
fn create_private_dir(dir: &Path) -> Result<(), ConfigError> {
    if dir.as_os_str().is_empty() || dir.is_dir() {
        return Ok(());
    }
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(|source| ConfigError::Write {
        path: dir.to_path_buf(),
        source,
    })
}

/// A name next to `target` that no other writer uses at the same time.
fn temp_path(target: &Path) -> PathBuf {
    let name = target.file_name().unwrap_or_default().to_string_lossy();
    let unique: u64 = rand::random();
    target.with_file_name(format!(".{name}.{}.{unique:016x}.tmp", std::process::id()))
}

/// Creates `path` (which must not exist) readable only by its owner, and writes `bytes`.
fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Where and what is wrong with the file, without any of its values: serde's messages quote
/// them (`invalid type: integer `1234`, expected a string`), whatever their JSON type, and a
/// value in this file may be a password. A syntax error is said by its kind (serde_json's
/// fixed texts) and position; a value of the wrong type by its field, found by walking the
/// document, and the JSON types involved.
fn describe_parse_error(text: &str, error: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let at = format!("line {}, column {}", error.line(), error.column());
    match error.classify() {
        Category::Syntax | Category::Eof => {
            // serde_json's syntax messages are fixed texts (`expected `,` or `}``, `EOF while
            // parsing a string`, …) followed by the position, which is said first here.
            let full = error.to_string();
            let kind = full
                .rsplit_once(" at line ")
                .map_or(full.as_str(), |(kind, _)| kind);
            format!("{at}: not valid JSON ({kind})")
        }
        Category::Io => format!("{at}: the file could not be read"),
        Category::Data => {
            let wrong = serde_json::from_str::<Value>(text)
                .ok()
                .and_then(|document| wrong_field(&document));
            match wrong {
                Some(wrong) => format!("{at}: {wrong} (values are not shown: they may be secrets)"),
                None => format!(
                    "{at}: a value does not fit the docker config format (not shown: it may be a secret)"
                ),
            }
        }
    }
}

/// The first field of `document` whose JSON type the docker CLI would not read, as
/// `auths["r.example"].password must be a string, not a number`.
fn wrong_field(document: &Value) -> Option<String> {
    fn kind(value: &Value) -> &'static str {
        match value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
        }
    }
    let must = |field: String, want: &str, found: &Value| {
        Some(format!("{field} must be {want}, not {}", kind(found)))
    };
    let Value::Object(top) = document else {
        return must("the top level".into(), "a JSON object", document);
    };
    if let Some(auths) = top.get("auths") {
        match auths {
            Value::Null => {}
            Value::Object(entries) => {
                for (key, entry) in entries {
                    let Value::Object(fields) = entry else {
                        return must(format!("auths[{key:?}]"), "an object", entry);
                    };
                    for name in ["auth", "username", "password", "identitytoken"] {
                        match fields.get(name) {
                            None | Some(Value::Null | Value::String(_)) => {}
                            Some(other) => {
                                return must(format!("auths[{key:?}].{name}"), "a string", other)
                            }
                        }
                    }
                }
            }
            other => return must("auths".into(), "an object", other),
        }
    }
    match top.get("credsStore") {
        None | Some(Value::Null | Value::String(_)) => {}
        Some(other) => return must("credsStore".into(), "a string", other),
    }
    match top.get("credHelpers") {
        None | Some(Value::Null) => {}
        Some(Value::Object(helpers)) => {
            for (key, helper) in helpers {
                if !helper.is_string() {
                    return must(format!("credHelpers[{key:?}]"), "a string", helper);
                }
            }
        }
        Some(other) => return must("credHelpers".into(), "an object", other),
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_for(text: &str) -> String {
        DockerConfig::from_json(PathBuf::from("/cfg/config.json"), text)
            .expect_err("a malformed config")
            .to_string()
    }

    #[test]
    fn no_value_of_any_type_appears_in_a_parse_error() {
        let cases = [
            (
                r#"{"auths":{"r":{"password":987654321}}}"#,
                "987654321",
                r#"auths["r"].password must be a string, not a number"#,
            ),
            (
                r#"{"auths":{"r":{"auth":["s3cr3t-in-array"]}}}"#,
                "s3cr3t",
                r#"auths["r"].auth must be a string, not an array"#,
            ),
            (
                r#"{"auths":{"r":{"identitytoken":{"t":"tok-77"}}}}"#,
                "tok-77",
                r#"auths["r"].identitytoken must be a string, not an object"#,
            ),
            (
                r#"{"auths":{"r":{"password":true}}}"#,
                "true",
                "not a boolean",
            ),
            (
                r#"{"auths":{"r":"plain-secret"}}"#,
                "plain-secret",
                r#"auths["r"] must be an object, not a string"#,
            ),
            (
                r#"{"credHelpers":{"r":12345}}"#,
                "12345",
                r#"credHelpers["r"] must be a string, not a number"#,
            ),
            (
                r#"{"auths":{"r":{"password":"unterminated-secret}}}"#,
                "unterminated-secret",
                "not valid JSON",
            ),
            (
                r#"{"auths":{"r":{"password":"x" "leak-2"}}}"#,
                "leak-2",
                "not valid JSON",
            ),
            (r#"{"auths":{"r":{"password":-1e999}}}"#, "1e999", "line 1"),
        ];
        for (text, secret, expected) in cases {
            let message = error_for(text);
            assert!(!message.contains(secret), "{secret} leaked: {message}");
            assert!(message.contains(expected), "{expected:?} not in {message}");
            assert!(message.contains("/cfg/config.json"), "{message}");
            assert!(message.contains("line 1, column"), "{message}");
        }
    }

    #[test]
    fn the_line_and_column_are_those_of_the_bad_value() {
        let text = "{\n\t\"auths\": {\n\t\t\"r\": {\n\t\t\t\"password\": 42424242\n\t\t}\n\t}\n}\n";
        let message = error_for(text);
        assert!(message.contains("line 4, column"), "{message}");
        assert!(!message.contains("42424242"), "{message}");
    }
}
