//! The API server's validation of ConfigMaps and Secrets, and of the pod volumes that read
//! them, with its messages.
//!
//! Sources: kubernetes `pkg/apis/core/validation/validation.go` (`ValidateConfigMap`,
//! `ValidateConfigMapUpdate`, `ValidateSecret`, `ValidateSecretUpdate`), apimachinery
//! `pkg/util/validation/validation.go` (`IsConfigMapKey`, `hasChDirPrefix`, `RegexError`).

use k8s_openapi::api::core::v1::{DownwardAPIVolumeFile, KeyToPath, Volume};

use super::DataObject;
use crate::job::field::{FieldError, FieldValue};
use crate::job::validate::{dns1123_label_errors, dns1123_subdomain_error};

/// `core.MaxSecretSize`: the total size of a Secret's or ConfigMap's values.
pub const MAX_SECRET_SIZE: usize = 1024 * 1024;

const CONFIG_MAP_KEY_FMT: &str = "[-._a-zA-Z0-9]+";
const CONFIG_MAP_KEY_MSG: &str =
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.'";

/// apimachinery `IsConfigMapKey`: the messages for a key that is not a valid file name
/// (empty when it is one).
pub fn config_map_key_errors(key: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if key.len() > 253 {
        errs.push("must be no more than 253 characters".to_string());
    }
    let valid = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'));
    if !valid {
        errs.push(format!("{CONFIG_MAP_KEY_MSG} (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '{CONFIG_MAP_KEY_FMT}')"));
    }
    if key == "." {
        errs.push("must not be '.'".to_string());
    } else if key == ".." {
        errs.push("must not be '..'".to_string());
    } else if key.starts_with("..") {
        errs.push("must not start with '..'".to_string());
    }
    errs
}

/// `ValidateConfigMap` / `ValidateSecret` (with `ValidateObjectMeta` for the name and
/// namespace), in the API server's order; keys in sorted order.
pub fn validate(object: &DataObject) -> Vec<FieldError> {
    let mut errs = Vec::new();
    validate_meta(object, &mut errs);
    match object {
        DataObject::ConfigMap(cm) => {
            let mut total = 0;
            let binary = cm.binary_data.as_ref();
            for (key, value) in cm.data.iter().flatten() {
                let path = format!("data[{key}]");
                for msg in config_map_key_errors(key) {
                    errs.push(FieldError::invalid(&path, str_value(key), msg));
                }
                if binary.is_some_and(|b| b.contains_key(key)) {
                    errs.push(FieldError::invalid(
                        &path,
                        str_value(key),
                        "duplicate of key present in binaryData",
                    ));
                }
                total += value.len();
            }
            for (key, value) in binary.into_iter().flatten() {
                for msg in config_map_key_errors(key) {
                    errs.push(FieldError::invalid(
                        format!("binaryData[{key}]"),
                        str_value(key),
                        msg,
                    ));
                }
                total += value.0.len();
            }
            if total > MAX_SECRET_SIZE {
                errs.push(FieldError::new_too_long("", MAX_SECRET_SIZE));
            }
        }
        DataObject::Secret(secret) => {
            let data = secret.data.as_ref();
            let mut total = 0;
            for (key, value) in data.into_iter().flatten() {
                for msg in config_map_key_errors(key) {
                    errs.push(FieldError::invalid(
                        format!("data[{key}]"),
                        str_value(key),
                        msg,
                    ));
                }
                total += value.0.len();
            }
            if total > MAX_SECRET_SIZE {
                errs.push(FieldError::new_too_long("data", MAX_SECRET_SIZE));
            }
            let has = |key: &str| data.is_some_and(|d| d.contains_key(key));
            let value = |key: &str| data.and_then(|d| d.get(key)).map(|v| v.0.as_slice());
            match secret.type_.as_deref().unwrap_or("Opaque") {
                "kubernetes.io/service-account-token" => {
                    let named = secret
                        .metadata
                        .annotations
                        .as_ref()
                        .and_then(|a| a.get("kubernetes.io/service-account.name"))
                        .is_some_and(|v| !v.is_empty());
                    if !named {
                        errs.push(FieldError::required(
                            "metadata.annotations[kubernetes.io/service-account.name]",
                            "",
                        ));
                    }
                }
                kind @ ("kubernetes.io/dockercfg" | "kubernetes.io/dockerconfigjson") => {
                    let key = if kind == "kubernetes.io/dockercfg" {
                        ".dockercfg"
                    } else {
                        ".dockerconfigjson"
                    };
                    match value(key) {
                        None => errs.push(FieldError::required(format!("data[{key}]"), "")),
                        Some(bytes) => {
                            if let Err(e) = serde_json::from_slice::<
                                serde_json::Map<String, serde_json::Value>,
                            >(bytes)
                            {
                                errs.push(FieldError::invalid(
                                    format!("data[{key}]"),
                                    str_value("<secret contents redacted>"),
                                    json_error(&e),
                                ));
                            }
                        }
                    }
                }
                // The API server's own path text (`field.NewPath("data[%s]")`).
                "kubernetes.io/basic-auth" if !has("username") && !has("password") => {
                    errs.push(FieldError::required("data[%s][username]", ""));
                    errs.push(FieldError::required("data[%s][password]", ""));
                }
                "kubernetes.io/ssh-auth"
                    if value("ssh-privatekey").is_none_or(<[u8]>::is_empty) =>
                {
                    errs.push(FieldError::required("data[%s][ssh-privatekey]", ""));
                }
                "kubernetes.io/tls" => {
                    for key in ["tls.crt", "tls.key"] {
                        if !has(key) {
                            errs.push(FieldError::required(format!("data[{key}]"), ""));
                        }
                    }
                }
                _ => {}
            }
        }
    }
    errs
}

/// `ValidateConfigMapUpdate` / `ValidateSecretUpdate`: what may not change (an immutable
/// object's data and its `immutable`, a Secret's `type`).
pub fn validate_update(old: &DataObject, new: &DataObject) -> Vec<FieldError> {
    const IMMUTABLE: &str = "field is immutable when `immutable` is set";
    let mut errs = Vec::new();
    match (old, new) {
        (DataObject::Secret(o), DataObject::Secret(n)) => {
            if o.type_ != n.type_ {
                let shown = n.type_.clone().unwrap_or_default();
                errs.push(FieldError::invalid(
                    "type",
                    str_value(&shown),
                    "field is immutable",
                ));
            }
            if o.immutable == Some(true) {
                if n.immutable != Some(true) {
                    errs.push(FieldError::forbidden("immutable", IMMUTABLE));
                }
                if o.data != n.data {
                    errs.push(FieldError::forbidden("data", IMMUTABLE));
                }
            }
        }
        (DataObject::ConfigMap(o), DataObject::ConfigMap(n)) if o.immutable == Some(true) => {
            if n.immutable != Some(true) {
                errs.push(FieldError::forbidden("immutable", IMMUTABLE));
            }
            if o.data != n.data {
                errs.push(FieldError::forbidden("data", IMMUTABLE));
            }
            if o.binary_data != n.binary_data {
                errs.push(FieldError::forbidden("binaryData", IMMUTABLE));
            }
        }
        _ => {}
    }
    errs
}

fn validate_meta(object: &DataObject, errs: &mut Vec<FieldError>) {
    let meta = object.metadata();
    let name = meta.name.as_deref().unwrap_or("");
    if name.is_empty() {
        errs.push(FieldError::required(
            "metadata.name",
            "name or generateName is required",
        ));
    } else if let Some(msg) = dns1123_subdomain_error(name) {
        errs.push(FieldError::invalid("metadata.name", str_value(name), msg));
    }
    let namespace = meta.namespace.as_deref().unwrap_or("");
    if namespace.is_empty() {
        errs.push(FieldError::required("metadata.namespace", ""));
    }
    for msg in dns1123_label_errors(namespace)
        .into_iter()
        .filter(|_| !namespace.is_empty())
    {
        errs.push(FieldError::invalid(
            "metadata.namespace",
            str_value(namespace),
            msg,
        ));
    }
    // The rest of `ValidateObjectMeta`: labels, then annotations (at most 256 KiB in all).
    if let Some(labels) = meta.labels.as_ref() {
        crate::job::validate::validate_labels(labels, "metadata.labels", errs);
    }
    if let Some(annotations) = meta.annotations.as_ref() {
        crate::job::validate::validate_annotations(annotations, "metadata.annotations", errs);
    }
}

fn str_value(s: &str) -> FieldValue {
    FieldValue::Str(s.to_string())
}

/// Go's `json.Unmarshal` message for the common cases (a syntax error or a value that is not
/// an object); serde's otherwise.
fn json_error(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    match e.classify() {
        Category::Eof => "unexpected end of JSON input".to_string(),
        Category::Data => {
            "json: cannot unmarshal value into Go value of type map[string]interface {}".to_string()
        }
        _ => format!("invalid character in JSON input ({e})"),
    }
}

/// `fileModeErrorMsg`.
const FILE_MODE_MSG: &str = "must be a number between 0 and 0777 (octal), both inclusive";

fn check_mode(mode: Option<i32>, path: String, errs: &mut Vec<FieldError>) {
    if let Some(m) = mode.filter(|m| !(0..=0o777).contains(m)) {
        errs.push(FieldError::invalid(
            path,
            FieldValue::Int(i64::from(m)),
            FILE_MODE_MSG,
        ));
    }
}

/// `validateLocalDescendingPath`: relative, without `..` elements.
pub fn local_descending_path_errors(target: &str, path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if target.starts_with('/') {
        errs.push(FieldError::invalid(
            path,
            str_value(target),
            "must be a relative path",
        ));
    }
    if target.split('/').any(|part| part == "..") {
        errs.push(FieldError::invalid(
            path,
            str_value(target),
            "must not contain '..'",
        ));
    }
    errs
}

/// `ValidateLocalNonReservedPath`: [`local_descending_path_errors`], and not `..`-prefixed.
fn local_non_reserved_path(target: &str, path: &str, errs: &mut Vec<FieldError>) {
    errs.extend(local_descending_path_errors(target, path));
    if target.starts_with("..") && !target.starts_with("../") {
        errs.push(FieldError::invalid(
            path,
            str_value(target),
            "must not start with '..'",
        ));
    }
}

/// `validateKeyToPath` for each item.
fn key_to_paths(items: Option<&[KeyToPath]>, path: &str, errs: &mut Vec<FieldError>) {
    for (i, item) in items.into_iter().flatten().enumerate() {
        let at = format!("{path}.items[{i}]");
        if item.key.is_empty() {
            errs.push(FieldError::required(format!("{at}.key"), ""));
        }
        if item.path.is_empty() {
            errs.push(FieldError::required(format!("{at}.path"), ""));
        }
        local_non_reserved_path(&item.path, &format!("{at}.path"), errs);
        check_mode(item.mode, format!("{at}.mode"), errs);
    }
}

/// `validateDownwardAPIVolumeFile` for the file paths and modes (field paths are checked
/// with the env ones).
fn downward_files(items: Option<&[DownwardAPIVolumeFile]>, path: &str, errs: &mut Vec<FieldError>) {
    for (i, item) in items.into_iter().flatten().enumerate() {
        let at = format!("{path}.items[{i}]");
        if item.path.is_empty() {
            errs.push(FieldError::required(format!("{at}.path"), ""));
        }
        local_non_reserved_path(&item.path, &format!("{at}.path"), errs);
        check_mode(item.mode, format!("{at}.mode"), errs);
    }
}

/// The API server's checks of secret, configMap, downwardAPI and projected volume sources
/// (`validateSecretVolumeSource`, `validateConfigMapVolumeSource`,
/// `validateDownwardAPIVolumeSource`, `validateProjectedVolumeSource`): names, item paths
/// that stay inside the volume, modes; `path` is the pod spec's (`spec.template.spec`).
pub fn validate_volume_sources(volumes: &[Volume], path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for (i, volume) in volumes.iter().enumerate() {
        let at = format!("{path}.volumes[{i}]");
        if let Some(s) = &volume.secret {
            let at = format!("{at}.secret");
            if s.secret_name.as_deref().unwrap_or("").is_empty() {
                errs.push(FieldError::required(format!("{at}.secretName"), ""));
            }
            check_mode(s.default_mode, format!("{at}.defaultMode"), &mut errs);
            key_to_paths(s.items.as_deref(), &at, &mut errs);
        } else if let Some(c) = &volume.config_map {
            let at = format!("{at}.configMap");
            if c.name.is_empty() {
                errs.push(FieldError::required(format!("{at}.name"), ""));
            }
            check_mode(c.default_mode, format!("{at}.defaultMode"), &mut errs);
            key_to_paths(c.items.as_deref(), &at, &mut errs);
        } else if let Some(d) = &volume.downward_api {
            let at = format!("{at}.downwardAPI");
            check_mode(d.default_mode, format!("{at}.defaultMode"), &mut errs);
            downward_files(d.items.as_deref(), &at, &mut errs);
        } else if let Some(p) = &volume.projected {
            let at = format!("{at}.projected");
            check_mode(p.default_mode, format!("{at}.defaultMode"), &mut errs);
            for (j, source) in p.sources.iter().flatten().enumerate() {
                let at = format!("{at}.sources[{j}]");
                if let Some(s) = &source.secret {
                    if s.name.is_empty() {
                        errs.push(FieldError::required(format!("{at}.secret.name"), ""));
                    }
                    key_to_paths(s.items.as_deref(), &format!("{at}.secret"), &mut errs);
                }
                if let Some(c) = &source.config_map {
                    if c.name.is_empty() {
                        errs.push(FieldError::required(format!("{at}.configMap.name"), ""));
                    }
                    key_to_paths(c.items.as_deref(), &format!("{at}.configMap"), &mut errs);
                }
                if let Some(d) = &source.downward_api {
                    downward_files(d.items.as_deref(), &format!("{at}.downwardAPI"), &mut errs);
                }
            }
        }
    }
    errs
}
