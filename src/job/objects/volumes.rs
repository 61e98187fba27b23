//! The files of `secret`, `configMap`, `downwardAPI` and `projected` volumes, as the
//! kubelet's volume plugins make them (with their `MountVolume.SetUp failed …` messages), and
//! the `AtomicWriter` layout they are written in. Pure: objects come through an
//! [`ObjectLookup`].
//!
//! Sources: kubelet `pkg/volume/secret/secret.go` and `pkg/volume/configmap/configmap.go`
//! (`MakePayload`, `SetUpAt`), `pkg/volume/projected/projected.go` (`collectData`),
//! `pkg/volume/downwardapi/downwardapi.go` (`CollectData`) and
//! `pkg/volume/util/atomic_writer.go` (the `..data` layout).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{DownwardAPIVolumeFile, KeyToPath, Volume};

use super::resolve::{not_found, ObjectLookup};
use super::{DataObject, ObjectKind};

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
    let object = match lookup.get(kind, namespace, name)? {
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
