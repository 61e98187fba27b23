//! `create secret generic|docker-registry` and `create configmap`: building the object from
//! `--from-literal`, `--from-file` and `--from-env-file` sources as kubectl does, with its
//! error texts. Pure: file contents are read by the caller.
//!
//! Sources: kubectl `pkg/cmd/create/create_secret.go`, `create_configmap.go`,
//! `create_secret_docker.go` (`handleDockerCfgJSONContent`), `pkg/cmd/util/env_file.go`
//! (`processEnvFileLine`), `pkg/util/hash` not used (no `--append-hash`).

use std::collections::BTreeMap;

use base64::Engine;
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use k8s_openapi::ByteString;

use super::resolve::is_env_var_name;
use super::validate::config_map_key_errors;
use super::{DataObject, ObjectKind};

/// `--from-literal=key=value` → `(key, value)`.
pub fn parse_literal(source: &str) -> Result<(String, String), String> {
    match source.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_string(), value.to_string())),
        _ => Err(format!(
            "invalid literal source {source}, expected key=value"
        )),
    }
}

/// `--from-file=[key=]path` → `(key, path)` (`None`: the file's base name).
pub fn parse_file_source(source: &str) -> Result<(Option<String>, String), String> {
    match source.split_once('=') {
        None => Ok((None, source.to_string())),
        Some((key, path)) if !key.is_empty() && !path.is_empty() => {
            Ok((Some(key.to_string()), path.to_string()))
        }
        Some(_) => Err("key names or file paths cannot contain '='".to_string()),
    }
}

/// The `key=value` pairs of an env file (`processEnvFileLine`): blank lines and `#` comments
/// skipped, leading spaces trimmed, a line without `=` takes its value from `getenv`.
pub fn env_file_pairs(
    text: &str,
    getenv: impl Fn(&str) -> String,
) -> Result<Vec<(String, String)>, String> {
    let mut pairs = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = if i == 0 {
            line.trim_start_matches('\u{feff}')
        } else {
            line
        };
        let line = line.trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = match line.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (line.to_string(), getenv(line)),
        };
        if !is_env_var_name(&key) {
            return Err(format!(
                "{} is not a valid key name: a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')",
                crate::job::field::go_quote(&key)
            ));
        }
        pairs.push((key, value));
    }
    Ok(pairs)
}

/// Keys and values gathered for a new object, checked as kubectl adds them.
#[derive(Debug, Default)]
pub struct Entries {
    kind: Option<ObjectKind>,
    entries: BTreeMap<String, Vec<u8>>,
}

impl Entries {
    /// Entries for a `kind`.
    pub fn new(kind: ObjectKind) -> Self {
        Self {
            kind: Some(kind),
            entries: BTreeMap::new(),
        }
    }

    /// Adds one key (`addKeyFromLiteralToSecret`, `addKeyFromLiteralToConfigMap`).
    pub fn add(&mut self, key: &str, value: Vec<u8>) -> Result<(), String> {
        let kind = self.kind.unwrap_or(ObjectKind::Secret);
        let errs = config_map_key_errors(key);
        if !errs.is_empty() {
            return Err(format!(
                "{} is not a valid key name for a {}: {}",
                crate::job::field::go_quote(key),
                kind.kind(),
                errs.join(";")
            ));
        }
        if self.entries.contains_key(key) {
            return Err(format!(
                "cannot add key {key}, another key by that name already exists"
            ));
        }
        self.entries.insert(key.to_string(), value);
        Ok(())
    }

    /// The Secret (`type` only when given, as kubectl leaves it to the API server's
    /// default).
    pub fn into_secret(self, name: &str, type_: Option<&str>) -> DataObject {
        let mut secret = Secret::default();
        secret.metadata.name = Some(name.to_string());
        secret.type_ = type_.filter(|t| !t.is_empty()).map(str::to_string);
        secret.data = Some(
            self.entries
                .into_iter()
                .map(|(k, v)| (k, ByteString(v)))
                .collect(),
        );
        DataObject::Secret(secret)
    }

    /// The ConfigMap: UTF-8 values in `data`, others in `binaryData`.
    pub fn into_config_map(self, name: &str) -> DataObject {
        let mut cm = ConfigMap::default();
        cm.metadata.name = Some(name.to_string());
        let mut data = BTreeMap::new();
        let mut binary = BTreeMap::new();
        for (key, value) in self.entries {
            match String::from_utf8(value) {
                Ok(text) => {
                    data.insert(key, text);
                }
                Err(e) => {
                    binary.insert(key, ByteString(e.into_bytes()));
                }
            }
        }
        cm.data = (!data.is_empty()).then_some(data);
        cm.binary_data = (!binary.is_empty()).then_some(binary);
        DataObject::ConfigMap(cm)
    }
}

/// kubectl's default `--docker-server`.
pub const DOCKER_HUB_SERVER: &str = "https://index.docker.io/v1/";

/// The `.dockerconfigjson` of `create secret docker-registry` (`handleDockerCfgJSONContent`:
/// Go's field order username, password, email (omitted when empty), auth).
pub fn docker_config_json(server: &str, username: &str, password: &str, email: &str) -> Vec<u8> {
    let quote = |s: &str| serde_json::to_string(s).unwrap_or_default();
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
    // Written by hand: serde_json's maps sort their keys, Go keeps the struct's order.
    let mut fields = vec![
        format!("\"username\":{}", quote(username)),
        format!("\"password\":{}", quote(password)),
    ];
    if !email.is_empty() {
        fields.push(format!("\"email\":{}", quote(email)));
    }
    fields.push(format!("\"auth\":{}", quote(&auth)));
    format!(
        "{{\"auths\":{{{}:{{{}}}}}}}",
        quote(server),
        fields.join(",")
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_files_and_env_files_as_kubectl_reads_them() {
        assert_eq!(parse_literal("a=b=c").unwrap(), ("a".into(), "b=c".into()));
        assert_eq!(
            parse_literal("abc").unwrap_err(),
            "invalid literal source abc, expected key=value"
        );
        assert_eq!(
            parse_file_source("k=/p").unwrap(),
            (Some("k".into()), "/p".into())
        );
        assert_eq!(parse_file_source("/p").unwrap(), (None, "/p".into()));
        let pairs =
            env_file_pairs("\u{feff}A=1\n# c\n  B=2\n\nD\n", |k| format!("env-{k}")).unwrap();
        assert_eq!(
            pairs,
            [
                ("A".to_string(), "1".to_string()),
                ("B".to_string(), "2".to_string()),
                ("D".to_string(), "env-D".to_string())
            ]
        );
        let err = env_file_pairs("B =2\n", |_| String::new()).unwrap_err();
        assert!(
            err.starts_with("\"B \" is not a valid key name: a valid environment variable name"),
            "{err}"
        );
    }

    #[test]
    fn keys_are_checked_and_unique() {
        let mut entries = Entries::new(ObjectKind::ConfigMap);
        entries.add("a", b"1".to_vec()).unwrap();
        assert_eq!(
            entries.add("a", b"2".to_vec()).unwrap_err(),
            "cannot add key a, another key by that name already exists"
        );
        assert_eq!(
            entries.add("a b", b"2".to_vec()).unwrap_err(),
            "\"a b\" is not a valid key name for a ConfigMap: a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"
        );
    }

    #[test]
    fn docker_config_json_is_kubectls() {
        // kubectl create secret docker-registry reg --docker-server=localhost:5000
        //   --docker-username=u --docker-password=p --docker-email=e@x
        assert_eq!(
            base64::engine::general_purpose::STANDARD
                .encode(docker_config_json("localhost:5000", "u", "p", "e@x")),
            "eyJhdXRocyI6eyJsb2NhbGhvc3Q6NTAwMCI6eyJ1c2VybmFtZSI6InUiLCJwYXNzd29yZCI6InAiLCJlbWFpbCI6ImVAeCIsImF1dGgiOiJkVHB3In19fQ=="
        );
    }
}
