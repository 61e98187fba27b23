//! How the kubelet hands ConfigMaps and Secrets to a container: environment variables
//! (`envFrom`, `env[].valueFrom.configMapKeyRef/secretKeyRef`) and the files of `secret`,
//! `configMap`, `downwardAPI` and `projected` volumes, with the kubelet's messages when an
//! object or key is missing. Pure: objects come through an [`ObjectLookup`].
//!
//! Sources: kubelet `pkg/kubelet/kubelet_pods.go` (`makeEnvironmentVariables`),
//! `pkg/volume/secret/secret.go` and `pkg/volume/configmap/configmap.go` (`MakePayload`,
//! `SetUpAt`), `pkg/volume/projected/projected.go` (`collectData`),
//! `pkg/volume/downwardapi/downwardapi.go` (`CollectData`), `pkg/volume/util/atomic_writer.go`
//! (the `..data` layout), and `pkg/kubelet/util/manager` (`secret "x" not found`).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    ConfigMap, Container, DownwardAPIVolumeFile, EnvVarSource, KeyToPath, Secret, Volume,
};

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

/// One file of a volume's payload (`FileProjection`).
#[derive(Clone, PartialEq, Eq)]
pub struct FileProjection {
    /// Path inside the volume (`items[].path`, or the key).
    pub path: String,
    /// Permission bits.
    pub mode: u32,
    /// Content.
    pub data: Vec<u8>,
}

impl std::fmt::Debug for FileProjection {
    // Never the content: it may be a secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "FileProjection({:?}, {:o}, {} bytes)",
            self.path,
            self.mode,
            self.data.len()
        )
    }
}

/// What the pod's fields are, for `downwardAPI` files.
pub trait PodFields {
    /// The value of a `fieldRef.fieldPath`.
    fn field(&self, path: &str) -> String;
}

impl<F: Fn(&str) -> String> PodFields for F {
    fn field(&self, path: &str) -> String {
        self(path)
    }
}

/// Whether the volume is one whose files dockjob writes (secret, configMap, downwardAPI,
/// projected).
pub fn is_data_volume(volume: &Volume) -> bool {
    volume.secret.is_some()
        || volume.config_map.is_some()
        || volume.downward_api.is_some()
        || volume.projected.is_some()
}

/// The files of a data volume (`None` for another kind of volume), or the kubelet's
/// `MountVolume.SetUp failed for volume "x" : …` message.
pub fn volume_payload(
    volume: &Volume,
    namespace: &str,
    pod: &dyn PodFields,
    lookup: &dyn ObjectLookup,
) -> Option<Result<Vec<FileProjection>, String>> {
    let result = if let Some(s) = &volume.secret {
        let name = s.secret_name.as_deref().unwrap_or_default();
        let mode = mode_of(s.default_mode);
        source_payload(
            ObjectKind::Secret,
            name,
            s.items.as_deref(),
            mode,
            s.optional == Some(true),
            namespace,
            lookup,
        )
    } else if let Some(c) = &volume.config_map {
        let mode = mode_of(c.default_mode);
        source_payload(
            ObjectKind::ConfigMap,
            &c.name,
            c.items.as_deref(),
            mode,
            c.optional == Some(true),
            namespace,
            lookup,
        )
    } else if let Some(d) = &volume.downward_api {
        Ok(downward_payload(
            d.items.as_deref().unwrap_or_default(),
            mode_of(d.default_mode),
            pod,
        ))
    } else if let Some(p) = &volume.projected {
        let mode = mode_of(p.default_mode);
        let mut files = Vec::new();
        let mut errors = Vec::new();
        for source in p.sources.iter().flatten() {
            let part = if let Some(s) = &source.secret {
                source_payload(
                    ObjectKind::Secret,
                    &s.name,
                    s.items.as_deref(),
                    mode,
                    s.optional == Some(true),
                    namespace,
                    lookup,
                )
            } else if let Some(c) = &source.config_map {
                source_payload(
                    ObjectKind::ConfigMap,
                    &c.name,
                    c.items.as_deref(),
                    mode,
                    c.optional == Some(true),
                    namespace,
                    lookup,
                )
            } else if let Some(d) = &source.downward_api {
                Ok(downward_payload(
                    d.items.as_deref().unwrap_or_default(),
                    mode,
                    pod,
                ))
            } else {
                // serviceAccountToken, clusterTrustBundle: warned about at load.
                continue;
            };
            match part {
                Ok(part) => {
                    for file in part {
                        files.retain(|f: &FileProjection| f.path != file.path);
                        files.push(file);
                    }
                }
                Err(e) => errors.push(e),
            }
        }
        // utilerrors.NewAggregate: one message alone, several in brackets.
        match errors.len() {
            0 => Ok(files),
            1 => Err(errors.remove(0)),
            _ => Err(format!("[{}]", errors.join(", "))),
        }
    } else {
        return None;
    };
    Some(result.map_err(|e| {
        format!(
            "MountVolume.SetUp failed for volume {:?} : {e}",
            volume.name
        )
    }))
}

fn mode_of(mode: Option<i32>) -> u32 {
    mode.map_or(0o644, |m| (m & 0o7777) as u32)
}

/// `secret.MakePayload` / `configmap.MakePayload` for one object: every key, or `items`.
fn source_payload(
    kind: ObjectKind,
    name: &str,
    items: Option<&[KeyToPath]>,
    mode: u32,
    optional: bool,
    namespace: &str,
    lookup: &dyn ObjectLookup,
) -> Result<Vec<FileProjection>, String> {
    let object = match fetch(lookup, kind, namespace, name)? {
        Some(object) => object,
        None if optional => return Ok(Vec::new()),
        None => return Err(not_found(kind, name)),
    };
    let data: BTreeMap<String, Vec<u8>> = match &object {
        DataObject::Secret(s) => s
            .data
            .iter()
            .flatten()
            .map(|(k, v)| (k.clone(), v.0.clone()))
            .collect(),
        DataObject::ConfigMap(c) => c
            .data
            .iter()
            .flatten()
            .map(|(k, v)| (k.clone(), v.clone().into_bytes()))
            .chain(
                c.binary_data
                    .iter()
                    .flatten()
                    .map(|(k, v)| (k.clone(), v.0.clone())),
            )
            .collect(),
    };
    let Some(items) = items.filter(|i| !i.is_empty()) else {
        return Ok(data
            .into_iter()
            .map(|(path, data)| FileProjection { path, mode, data })
            .collect());
    };
    let mut files = Vec::new();
    for item in items {
        let Some(content) = data.get(&item.key) else {
            if optional {
                continue;
            }
            return Err(match kind {
                ObjectKind::Secret => format!("references non-existent secret key: {}", item.key),
                ObjectKind::ConfigMap => {
                    format!("configmap references non-existent config key: {}", item.key)
                }
            });
        };
        files.push(FileProjection {
            path: item.path.clone(),
            mode: item.mode.map_or(mode, |m| (m & 0o7777) as u32),
            data: content.clone(),
        });
    }
    Ok(files)
}

/// `downwardapi.CollectData` for `fieldRef` items (`resourceFieldRef`: warned at load).
fn downward_payload(
    items: &[DownwardAPIVolumeFile],
    mode: u32,
    pod: &dyn PodFields,
) -> Vec<FileProjection> {
    items
        .iter()
        .filter_map(|item| {
            let field = item.field_ref.as_ref()?;
            Some(FileProjection {
                path: item.path.clone(),
                mode: item.mode.map_or(mode, |m| (m & 0o7777) as u32),
                data: pod.field(&field.field_path).into_bytes(),
            })
        })
        .collect()
}

/// One entry of a volume as the kubelet's `AtomicWriter` lays it out: the files in a
/// timestamped directory, `..data` pointing at it, and each top-level name a symlink
/// through `..data` (so a container sees every update at once).
#[derive(Clone, PartialEq, Eq)]
pub enum VolumeEntry {
    /// A directory.
    Dir {
        /// Path inside the volume.
        path: String,
        /// Permission bits.
        mode: u32,
    },
    /// A regular file.
    File(FileProjection),
    /// A symbolic link.
    Symlink {
        /// Path inside the volume.
        path: String,
        /// Where it points (relative).
        target: String,
    },
}

impl std::fmt::Debug for VolumeEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VolumeEntry::Dir { path, mode } => write!(f, "Dir({path:?}, {mode:o})"),
            VolumeEntry::File(file) => file.fmt(f),
            VolumeEntry::Symlink { path, target } => write!(f, "Symlink({path:?} -> {target:?})"),
        }
    }
}

/// The `AtomicWriter` layout of `files` (sorted, nested directories made), with the data
/// directory named `..<stamp>` (the kubelet uses the time: `..2024_05_01_10_55_00.123456789`).
pub fn atomic_layout(files: &[FileProjection], stamp: &str) -> Vec<VolumeEntry> {
    let data_dir = format!("..{stamp}");
    let mut entries = vec![VolumeEntry::Dir {
        path: data_dir.clone(),
        mode: 0o755,
    }];
    let mut files: Vec<&FileProjection> = files.iter().collect();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let mut dirs: Vec<String> = Vec::new();
    let mut top: Vec<String> = Vec::new();
    for file in files {
        let path = file.path.trim_start_matches('/');
        let mut parts: Vec<&str> = path.split('/').collect();
        parts.pop();
        for depth in 1..=parts.len() {
            let dir = parts[..depth].join("/");
            if !dirs.contains(&dir) {
                dirs.push(dir.clone());
                entries.push(VolumeEntry::Dir {
                    path: format!("{data_dir}/{dir}"),
                    mode: 0o755,
                });
            }
        }
        entries.push(VolumeEntry::File(FileProjection {
            path: format!("{data_dir}/{path}"),
            mode: file.mode,
            data: file.data.clone(),
        }));
        let first = path.split('/').next().unwrap_or(path).to_string();
        if !top.contains(&first) {
            top.push(first);
        }
    }
    entries.push(VolumeEntry::Symlink {
        path: "..data".to_string(),
        target: data_dir,
    });
    for name in top {
        entries.push(VolumeEntry::Symlink {
            target: format!("..data/{name}"),
            path: name,
        });
    }
    entries
}

#[cfg(test)]
mod tests;
