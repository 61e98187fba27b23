//! Defaults the API server applies to a `batch/v1` Job, and the labels and selector it
//! generates on create.
//!
//! Sources: kubernetes `pkg/apis/batch/v1/defaults.go` (`SetDefaults_Job`),
//! `pkg/apis/core/v1/defaults.go` (pod and container defaults) and
//! `pkg/registry/batch/job/strategy.go` (`generateSelector`). Pure: no I/O, no clock.

use std::collections::BTreeMap;

use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{Container, PodSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

/// Label with the Job's name (`batch.kubernetes.io/job-name`).
pub const LABEL_JOB_NAME: &str = "batch.kubernetes.io/job-name";
/// Label with the Job's UID (`batch.kubernetes.io/controller-uid`).
pub const LABEL_CONTROLLER_UID: &str = "batch.kubernetes.io/controller-uid";
/// Legacy job-name label, still added by the API server.
pub const LEGACY_LABEL_JOB_NAME: &str = "job-name";
/// Legacy controller-uid label, still added by the API server.
pub const LEGACY_LABEL_CONTROLLER_UID: &str = "controller-uid";
/// Label and annotation carrying an Indexed pod's index.
pub const LABEL_COMPLETION_INDEX: &str = "batch.kubernetes.io/job-completion-index";

/// Namespace kubectl uses when the manifest has none.
pub const DEFAULT_NAMESPACE: &str = "default";
/// `terminationGracePeriodSeconds` default.
pub const DEFAULT_GRACE_SECONDS: i64 = 30;

/// Applies `SetDefaults_Job` and the pod template defaults, in place.
pub fn apply_defaults(job: &mut Job) {
    let meta = &mut job.metadata;
    if meta.namespace.as_deref().unwrap_or("").is_empty() {
        meta.namespace = Some(DEFAULT_NAMESPACE.to_string());
    }
    let Some(spec) = job.spec.as_mut() else {
        return;
    };
    if spec.completions.is_none() && spec.parallelism.is_none() {
        spec.completions = Some(1);
        spec.parallelism = Some(1);
    }
    spec.parallelism.get_or_insert(1);
    if spec.backoff_limit.is_none() {
        // MaxInt32 when backoffLimitPerIndex is set, so only the per-index limit applies.
        let limit = if spec.backoff_limit_per_index.is_some() {
            i32::MAX
        } else {
            6
        };
        spec.backoff_limit = Some(limit);
    }
    spec.completion_mode
        .get_or_insert_with(|| "NonIndexed".to_string());
    spec.suspend.get_or_insert(false);
    spec.manual_selector.get_or_insert(false);
    if let Some(policy) = spec.pod_failure_policy.as_mut() {
        for rule in &mut policy.rules {
            for pattern in rule.on_pod_conditions.iter_mut().flatten() {
                if pattern.status.is_empty() {
                    pattern.status = "True".to_string();
                }
            }
        }
    }
    if spec.pod_replacement_policy.is_none() {
        let policy = if spec.pod_failure_policy.is_some() {
            "Failed"
        } else {
            "TerminatingOrFailed"
        };
        spec.pod_replacement_policy = Some(policy.to_string());
    }
    if let Some(pod) = spec.template.spec.as_mut() {
        apply_pod_defaults(pod);
    }
}

/// Pod defaults from `SetDefaults_PodSpec` and `SetDefaults_Container`.
fn apply_pod_defaults(pod: &mut PodSpec) {
    if pod.restart_policy.as_deref().unwrap_or("").is_empty() {
        pod.restart_policy = Some("Always".to_string());
    }
    pod.termination_grace_period_seconds
        .get_or_insert(DEFAULT_GRACE_SECONDS);
    pod.dns_policy
        .get_or_insert_with(|| "ClusterFirst".to_string());
    pod.scheduler_name
        .get_or_insert_with(|| "default-scheduler".to_string());
    for container in pod
        .containers
        .iter_mut()
        .chain(pod.init_containers.iter_mut().flatten())
    {
        apply_container_defaults(container);
    }
    // `SetDefaults_SecretVolumeSource`, `…ConfigMapVolumeSource`, `…ProjectedVolumeSource`,
    // `…DownwardAPIVolumeSource`: files are 0644 (420) unless told otherwise.
    for volume in pod.volumes.iter_mut().flatten() {
        if let Some(s) = volume.secret.as_mut() {
            s.default_mode.get_or_insert(DEFAULT_FILE_MODE);
        }
        if let Some(c) = volume.config_map.as_mut() {
            c.default_mode.get_or_insert(DEFAULT_FILE_MODE);
        }
        if let Some(p) = volume.projected.as_mut() {
            p.default_mode.get_or_insert(DEFAULT_FILE_MODE);
        }
        if let Some(d) = volume.downward_api.as_mut() {
            d.default_mode.get_or_insert(DEFAULT_FILE_MODE);
        }
    }
}

/// The API server's default mode of files in secret, configMap, projected and downwardAPI
/// volumes (0644).
pub const DEFAULT_FILE_MODE: i32 = 0o644;

fn apply_container_defaults(container: &mut Container) {
    if container
        .image_pull_policy
        .as_deref()
        .unwrap_or("")
        .is_empty()
    {
        let image = container.image.as_deref().unwrap_or("");
        container.image_pull_policy = Some(default_pull_policy(image).to_string());
    }
    container
        .termination_message_path
        .get_or_insert_with(|| "/dev/termination-log".to_string());
    container
        .termination_message_policy
        .get_or_insert_with(|| "File".to_string());
}

/// `Always` for `:latest` or an untagged, undigested reference, else `IfNotPresent`
/// (`SetDefaults_Container` with `parsers.ParseImageName`).
pub fn default_pull_policy(image: &str) -> &'static str {
    let (without_digest, has_digest) = match image.split_once('@') {
        Some((name, _)) => (name, true),
        None => (image, false),
    };
    // A tag is the part after the last ':' that follows the last '/'.
    let last_segment = without_digest.rsplit('/').next().unwrap_or(without_digest);
    let tag = last_segment.split_once(':').map(|(_, tag)| tag);
    match (tag, has_digest) {
        (Some("latest"), _) => "Always",
        (None, false) => "Always",
        _ => "IfNotPresent",
    }
}

/// What `PrepareForCreate` adds: the UID, the selector (unless `manualSelector`) and the
/// controller labels on the pod template (`generateSelector`). Then, as a re-read through
/// defaulting would, the Job's labels are copied from the template when it has none.
pub fn admit(job: &mut Job, uid: String) {
    job.metadata.uid = Some(uid.clone());
    let name = job.metadata.name.clone().unwrap_or_default();
    let Some(spec) = job.spec.as_mut() else {
        return;
    };
    if !spec.manual_selector.unwrap_or(false) {
        let labels = spec.template.metadata.get_or_insert_with(Default::default);
        let map = labels.labels.get_or_insert_with(BTreeMap::new);
        for (key, value) in [
            (LABEL_CONTROLLER_UID, &uid),
            (LABEL_JOB_NAME, &name),
            (LEGACY_LABEL_CONTROLLER_UID, &uid),
            (LEGACY_LABEL_JOB_NAME, &name),
        ] {
            map.entry(key.to_string()).or_insert_with(|| value.clone());
        }
        // The controller-uid label is added to whatever selector is there; validation then
        // refuses a selector that is not exactly the generated one.
        let selector = spec.selector.get_or_insert_with(LabelSelector::default);
        selector
            .match_labels
            .get_or_insert_with(BTreeMap::new)
            .entry(LABEL_CONTROLLER_UID.to_string())
            .or_insert(uid);
    }
    let template_labels = spec
        .template
        .metadata
        .as_ref()
        .and_then(|m| m.labels.clone());
    if job.metadata.labels.as_ref().is_none_or(BTreeMap::is_empty) {
        if let Some(labels) = template_labels.filter(|l| !l.is_empty()) {
            job.metadata.labels = Some(labels);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pull_policy_by_tag() {
        for (image, want) in [
            ("busybox", "Always"),
            ("busybox:latest", "Always"),
            ("busybox:1.36", "IfNotPresent"),
            ("busybox@sha256:abcd", "IfNotPresent"),
            ("localhost:5000/busybox", "Always"),
            ("localhost:5000/busybox:1", "IfNotPresent"),
            ("uzimihsr/uzimihsr-sample-image:0.1", "IfNotPresent"),
        ] {
            assert_eq!(default_pull_policy(image), want, "{image}");
        }
    }
}
