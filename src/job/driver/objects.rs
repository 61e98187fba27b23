//! The kubelet's use of ConfigMaps and Secrets in the driver: the files of a pod's data
//! volumes written into its sandbox, `subPath` links, `imagePullSecrets` credentials, and
//! which waits an `apply` of an object can end (see [`crate::job::objects`]).

use super::{is_fatal, Driver, DriverError, RunOutput};
use crate::engine::PodRuntime;
use crate::job::controller::EventType;
use crate::job::objects::pull_secrets::{missing_message, pull_credentials};
use crate::job::objects::resolve::{NoObjects, ObjectLookup};
use crate::job::objects::volumes::{atomic_layout, volume_payload, FileProjection, VolumeEntry};
use crate::job::pod::{data_volume_name, data_volumes, pod_field, PodIdentity};

impl<E: PodRuntime, O: RunOutput> Driver<'_, E, O> {
    /// Where this run's pods find ConfigMaps and Secrets.
    pub(super) fn lookup(&self) -> &dyn ObjectLookup {
        match &self.opts.objects {
            Some(source) => &*source.0,
            None => &NoObjects,
        }
    }
}

impl<E: PodRuntime, O: RunOutput> Driver<'_, E, O> {
    /// The credentials the pod's `imagePullSecrets` give for `image`; a pull secret that
    /// does not exist is the kubelet's warning event, and the pull goes on without it.
    pub(super) fn pull_auth(&mut self, pod: &str, image: &str) -> Option<crate::engine::PullAuth> {
        let job = self.ctl.job();
        let secrets = job
            .spec
            .as_ref()
            .and_then(|s| s.template.spec.as_ref())
            .and_then(|p| p.image_pull_secrets.clone())
            .filter(|s| !s.is_empty())?;
        let namespace = job.metadata.namespace.clone().unwrap_or_default();
        let registry = crate::image_ref::ImageRef::parse(image)
            .ok()?
            .registry()
            .to_string();
        let lookup = self.lookup();
        let found = pull_credentials(&secrets, &namespace, &registry, lookup);
        if !found.missing.is_empty() {
            let now = self.clock.now();
            self.ctl.record_pod_event(
                pod,
                EventType::Warning,
                "FailedToRetrieveImagePullSecret",
                missing_message(&found.missing),
                "kubelet",
                now,
            );
        }
        found.auth
    }
}

/// Whether the waiting reason is a missing ConfigMap or Secret (or key), which an `apply`
/// of the object can end.
pub(super) fn waits_for_object(reason: &str, message: &str) -> bool {
    match reason {
        "CreateContainerConfigError" => {
            message.ends_with("not found") || message.starts_with("couldn't find key")
        }
        "ContainerCreating" => message.starts_with("MountVolume.SetUp failed"),
        _ => false,
    }
}

/// The symlinks that put each `subPath` mount's path into its volume (mounted at
/// [`crate::engine::sub_path_mount_point`]).
pub(super) fn sub_path_links(mounts: &[crate::engine::DataMount]) -> Vec<VolumeEntry> {
    mounts
        .iter()
        .filter_map(|m| {
            let sub = m.sub_path.as_deref()?;
            Some(VolumeEntry::Symlink {
                path: m.mount_path.trim_start_matches('/').to_string(),
                target: format!(
                    "{}/{}",
                    crate::engine::sub_path_mount_point(&m.volume),
                    sub.trim_start_matches('/')
                ),
            })
        })
        .collect()
}

impl<E: PodRuntime, O: RunOutput> Driver<'_, E, O> {
    /// The files of each of the pod's data volumes (engine volume name, volume name, files),
    /// or the kubelet's `MountVolume.SetUp failed …` message for the first that cannot be
    /// made.
    pub(super) fn volume_payloads(
        &self,
        pod: &PodIdentity,
    ) -> Result<Vec<(String, String, Vec<FileProjection>)>, String> {
        let job = self.ctl.job();
        let namespace = job.metadata.namespace.as_deref().unwrap_or("default");
        let lookup = self.lookup();
        let fields = |path: &str| pod_field(job, pod, path);
        let mut payloads = Vec::new();
        for volume in data_volumes(job) {
            if let Some(files) = volume_payload(volume, namespace, &fields, lookup) {
                let engine_volume = data_volume_name(&pod.uid, &volume.name);
                payloads.push((engine_volume, volume.name.clone(), files?));
            }
        }
        Ok(payloads)
    }

    /// Writes each data volume's files into the pod's sandbox (again at every container
    /// start, so a restarted container sees updated objects, as the kubelet's resync does).
    pub(super) async fn write_volumes(
        &mut self,
        sandbox: &str,
        payloads: Vec<(String, String, Vec<FileProjection>)>,
    ) -> Result<Result<(), String>, DriverError> {
        let stamp = self
            .clock
            .now()
            .strftime("%Y_%m_%d_%H_%M_%S.%f")
            .to_string();
        for (engine_volume, name, files) in payloads {
            let entries = atomic_layout(&files, &stamp);
            let dir = crate::engine::sandbox_volume_path(&engine_volume);
            match self.engine.write_files(sandbox, &dir, &entries).await {
                Ok(()) => {}
                Err(e) if is_fatal(&e) => return Err(e.into()),
                Err(e) => {
                    return Ok(Err(format!(
                        "MountVolume.SetUp failed for volume {name:?} : {e}"
                    )))
                }
            }
        }
        Ok(Ok(()))
    }
}
