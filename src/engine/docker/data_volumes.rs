//! Data volumes (secret, configMap, downwardAPI, projected) on the Docker Engine: one engine
//! volume per pod and volume, on tmpfs (the local driver with `type=tmpfs`), so the files
//! never reach a disk. A tmpfs volume keeps its files only while some container has it
//! mounted: the pod's sandbox mounts it for the pod's whole life, the files are written
//! into the running sandbox (`PUT /containers/{id}/archive`), and the pod's containers
//! mount the same volume read-only. When the sandbox and the containers stop, the kernel
//! drops the files; the (empty) volume goes with the pod's last container.
//!
//! (A `Tmpfs` mount on the container itself cannot be filled before the start: the engine
//! extracts an archive into a created container's root filesystem, under the mount point.)

use std::collections::HashMap;

use bollard::models::{Mount, MountType, VolumeCreateRequest};
use bollard::query_parameters::UploadToContainerOptionsBuilder;

use super::{engine_error, DockerEngine, NotFound};
use crate::engine::{sandbox_volume_path, sub_path_mount_point, ContainerSpec, EngineError};
use crate::job::objects::volumes::VolumeEntry;

/// Names of the engine volumes that hold pods' data volumes.
pub(super) const DATA_VOLUME_PREFIX: &str = "dockjob-data-";

impl DockerEngine {
    /// Creates the tmpfs volume `name` (a no-op when it exists).
    pub(super) async fn ensure_data_volume(
        &self,
        name: &str,
        labels: &std::collections::BTreeMap<String, String>,
    ) -> Result<(), EngineError> {
        let options = HashMap::from([
            ("type".to_string(), "tmpfs".to_string()),
            ("device".to_string(), "tmpfs".to_string()),
            ("o".to_string(), "mode=0755".to_string()),
        ]);
        let request = VolumeCreateRequest {
            name: Some(name.to_string()),
            driver: Some("local".to_string()),
            driver_opts: Some(options),
            labels: Some(labels.clone().into_iter().collect()),
            ..Default::default()
        };
        self.docker
            .create_volume(request)
            .await
            .map(drop)
            .map_err(|e| engine_error(e, NotFound::Other))
    }

    /// Extracts `entries` into `dir` of the container `id`.
    pub(super) async fn upload_entries(
        &self,
        id: &str,
        dir: &str,
        entries: &[VolumeEntry],
    ) -> Result<(), EngineError> {
        let tar = entries_tar(entries).map_err(|e| EngineError::Daemon(e.to_string()))?;
        let options = UploadToContainerOptionsBuilder::default().path(dir).build();
        self.docker
            .upload_to_container(id, Some(options), bollard::body_full(tar.into()))
            .await
            .map_err(|e| engine_error(e, NotFound::Container(id)))
    }
}

/// The sandbox's mounts of the pod's data volumes.
pub(super) fn sandbox_mounts(volumes: &[String]) -> Vec<Mount> {
    volumes
        .iter()
        .map(|volume| Mount {
            source: Some(volume.clone()),
            target: Some(sandbox_volume_path(volume)),
            typ: Some(MountType::VOLUME),
            ..Default::default()
        })
        .collect()
}

/// A container's read-only mounts of its pod's data volumes; a `subPath` mount goes aside,
/// reached through a link at its path (written after the create).
pub(super) fn container_mounts(spec: &ContainerSpec) -> Vec<Mount> {
    spec.data_mounts
        .iter()
        .map(|m| Mount {
            source: Some(m.volume.clone()),
            target: Some(match m.sub_path {
                Some(_) => sub_path_mount_point(&m.volume),
                None => m.mount_path.clone(),
            }),
            typ: Some(MountType::VOLUME),
            read_only: Some(true),
            ..Default::default()
        })
        .collect()
}

/// The entries as a tar archive, owned by root.
fn entries_tar(entries: &[VolumeEntry]) -> std::io::Result<Vec<u8>> {
    let mut builder = tar::Builder::new(Vec::new());
    let mtime = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    for entry in entries {
        let mut header = tar::Header::new_gnu();
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(mtime);
        match entry {
            VolumeEntry::Dir { path, mode } => {
                header.set_entry_type(tar::EntryType::Directory);
                header.set_mode(*mode);
                header.set_size(0);
                builder.append_data(&mut header, path, std::io::empty())?;
            }
            VolumeEntry::File(file) => {
                header.set_entry_type(tar::EntryType::Regular);
                header.set_mode(file.mode);
                header.set_size(file.data.len() as u64);
                builder.append_data(&mut header, &file.path, file.data.as_slice())?;
            }
            VolumeEntry::Symlink { path, target } => {
                header.set_entry_type(tar::EntryType::Symlink);
                header.set_mode(0o777);
                header.set_size(0);
                builder.append_link(&mut header, path, target)?;
            }
        }
    }
    builder.into_inner()
}
