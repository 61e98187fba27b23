//! How the kubelet hands ConfigMaps and Secrets to a container's environment (`envFrom`,
//! `env[].valueFrom.configMapKeyRef/secretKeyRef`), with its messages when an object or key
//! is missing, and where it looks them up ([`ObjectLookup`]); volume files are in
//! [`super::volumes`]. Pure.
//!
//! Sources: kubelet `pkg/kubelet/kubelet_pods.go` (`makeEnvironmentVariables`) and
//! `pkg/kubelet/util/manager` (`secret "x" not found`).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{ConfigMap, Container, EnvVarSource, Secret};

use super::{DataObject, ObjectKind};

/// Where the kubelet gets ConfigMaps and Secrets from (dockjob: its store).
pub trait ObjectLookup {
    /// The object, `Ok(None)` when there is none, `Err` when the lookup itself failed.
    fn get(
        &self,
        kind: ObjectKind,
        namespace: &str,
        name: &str,
    ) -> Result<Option<DataObject>, String>;
}

/// A lookup that finds nothing (a pod that references no object needs none).
pub struct NoObjects;

impl ObjectLookup for NoObjects {
    fn get(&self, _: ObjectKind, _: &str, _: &str) -> Result<Option<DataObject>, String> {
        Ok(None)
    }
}

/// The objects of a manifest, for a run that has no store.
pub struct ManifestObjects(pub Vec<DataObject>);

impl ObjectLookup for ManifestObjects {
    fn get(
        &self,
        kind: ObjectKind,
        namespace: &str,
        name: &str,
    ) -> Result<Option<DataObject>, String> {
        Ok(self
            .0
            .iter()
            .find(|o| {
                o.kind() == kind
                    && o.name() == name
                    && o.metadata().namespace.as_deref() == Some(namespace)
            })
            .cloned())
    }
}

/// The environment a container's ConfigMap and Secret references give it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnvSources {
    /// `envFrom` variables, in source order (each source's keys sorted), prefix applied.
    pub from: Vec<(String, String)>,
    /// The value of `env[i]` where it comes from a ConfigMap or Secret; an index that is
    /// absent is a skipped optional reference.
    pub values: BTreeMap<usize, String>,
    /// `InvalidEnvironmentVariableNames` event messages.
    pub invalid_names: Vec<String>,
    /// Names of the env variables whose value came from a Secret (`describe` never shows a
    /// value, and dockjob's output never names one).
    pub secret_names: Vec<String>,
}

/// The kubelet's message for an object it cannot find.
pub fn not_found(kind: ObjectKind, name: &str) -> String {
    format!("{} {name:?} not found", kind.resource())
}

fn fetch(
    lookup: &dyn ObjectLookup,
    kind: ObjectKind,
    namespace: &str,
    name: &str,
) -> Result<Option<DataObject>, String> {
    lookup.get(kind, namespace, name)
}

/// String values of a ConfigMap's `data` or a Secret's `data` (as env values: bytes as
/// UTF-8, invalid sequences replaced, as Go's `string([]byte)` keeps them).
fn env_data(object: &DataObject) -> BTreeMap<String, String> {
    match object {
        DataObject::ConfigMap(ConfigMap { data, .. }) => data.clone().unwrap_or_default(),
        DataObject::Secret(Secret { data, .. }) => data
            .iter()
            .flatten()
            .map(|(k, v)| (k.clone(), String::from_utf8_lossy(&v.0).into_owned()))
            .collect(),
    }
}

/// apimachinery `IsEnvVarName`: `[-._a-zA-Z][-._a-zA-Z0-9]*`.
pub fn is_env_var_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || matches!(b, b'-' | b'.' | b'_'))
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
}

/// `makeEnvironmentVariables`' ConfigMap and Secret half: `envFrom` in order, then each
/// `env[].valueFrom` reference. `Err` is the container's `CreateContainerConfigError`
/// message (`secret "db" not found`, `couldn't find key password in Secret default/db`).
pub fn env_sources(
    container: &Container,
    namespace: &str,
    lookup: &dyn ObjectLookup,
) -> Result<EnvSources, String> {
    let mut out = EnvSources::default();
    for source in container.env_from.iter().flatten() {
        let (kind, name, optional) = if let Some(r) = &source.config_map_ref {
            (
                ObjectKind::ConfigMap,
                r.name.as_str(),
                r.optional == Some(true),
            )
        } else if let Some(r) = &source.secret_ref {
            (
                ObjectKind::Secret,
                r.name.as_str(),
                r.optional == Some(true),
            )
        } else {
            continue;
        };
        let Some(object) = fetch(lookup, kind, namespace, name)? else {
            if optional {
                continue;
            }
            return Err(not_found(kind, name));
        };
        let prefix = source.prefix.as_deref().unwrap_or("");
        let mut invalid = Vec::new();
        for (key, value) in env_data(&object) {
            let key = format!("{prefix}{key}");
            if !is_env_var_name(&key) {
                invalid.push(key);
                continue;
            }
            if kind == ObjectKind::Secret {
                out.secret_names.push(key.clone());
            }
            out.from.retain(|(k, _)| *k != key);
            out.from.push((key, value));
        }
        if !invalid.is_empty() {
            invalid.sort();
            out.invalid_names.push(format!(
                "Keys [{}] from the EnvFrom {} {namespace}/{name} were skipped since they are considered invalid environment variable names.",
                invalid.join(", "),
                match kind {
                    ObjectKind::ConfigMap => "configMap",
                    ObjectKind::Secret => "secret",
                },
            ));
        }
    }
    for (i, var) in container.env.iter().flatten().enumerate() {
        let Some(from) = var.value_from.as_ref() else {
            continue;
        };
        if let Some(value) = env_value(from, namespace, lookup)? {
            if from.secret_key_ref.is_some() {
                out.secret_names.push(var.name.clone());
            }
            out.values.insert(i, value);
        }
    }
    Ok(out)
}

/// One `configMapKeyRef` or `secretKeyRef`: `Ok(None)` for an optional one that is missing
/// (or any other kind of source).
fn env_value(
    from: &EnvVarSource,
    namespace: &str,
    lookup: &dyn ObjectLookup,
) -> Result<Option<String>, String> {
    let (kind, name, key, optional) = if let Some(r) = &from.config_map_key_ref {
        (
            ObjectKind::ConfigMap,
            &r.name,
            &r.key,
            r.optional == Some(true),
        )
    } else if let Some(r) = &from.secret_key_ref {
        (
            ObjectKind::Secret,
            &r.name,
            &r.key,
            r.optional == Some(true),
        )
    } else {
        return Ok(None);
    };
    let Some(object) = fetch(lookup, kind, namespace, name)? else {
        return if optional {
            Ok(None)
        } else {
            Err(not_found(kind, name))
        };
    };
    match env_data(&object).remove(key) {
        Some(value) => Ok(Some(value)),
        None if optional => Ok(None),
        None => Err(format!(
            "couldn't find key {key} in {} {namespace}/{name}",
            kind.kind()
        )),
    }
}

#[cfg(test)]
mod tests;
