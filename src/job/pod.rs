//! Pod template → [`ContainerSpec`] per container (and a [`SandboxSpec`] for pods with
//! several containers or data volumes): command/args against the image, `$(VAR)` expansion,
//! env (`fieldRef`, and ConfigMap/Secret values resolved by [`crate::job::objects::resolve`]),
//! workingDir, resources, emptyDir and data volumes, hostname and labels.
//!
//! Sources: kubelet `pkg/kubelet/kubelet_pods.go` (`makeEnvironmentVariables`,
//! `podFieldSelectorRuntimeValue`), `pkg/kubelet/container/helpers.go`
//! (`ExpandContainerCommandAndArgs`), `pkg/kubelet/kuberuntime/helpers_linux.go`, and
//! kubernetes `pkg/controller/job/indexed_job_utils.go`. Pure: no engine calls, no I/O.

use std::collections::BTreeMap;

use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{Container, EnvVar};

use super::defaults::{LABEL_COMPLETION_INDEX, LABEL_CONTROLLER_UID, LABEL_JOB_NAME};
use super::expansion::expand;
use super::objects::resolve::EnvSources;
use super::objects::volumes::is_data_volume;
use super::quantity::{cpu_quota, cpu_shares, memory_bytes, milli_cpu, CPU_PERIOD_US};
use crate::engine::{ContainerExit, ContainerSpec, DataMount, SandboxSpec, LABEL_MANAGED};

/// dockjob's label with the pod name.
pub const LABEL_POD: &str = "io.dockjob.pod";
/// dockjob's label with the pod's namespace.
pub const LABEL_NAMESPACE: &str = "io.dockjob.namespace";
/// dockjob's label with the pod's UID.
pub const LABEL_POD_UID: &str = "io.dockjob.pod-uid";
/// dockjob's label with the container name from the pod template.
pub const LABEL_CONTAINER: &str = "io.dockjob.container";
/// dockjob's label with the container's restart number inside the pod (0 for the first run).
pub const LABEL_RESTART: &str = "io.dockjob.restart";
/// dockjob's label on a pod's sandbox container (pods with several containers).
pub const LABEL_SANDBOX: &str = "io.dockjob.sandbox";
/// Environment variable with the index of an Indexed Job's pod.
pub const ENV_COMPLETION_INDEX: &str = "JOB_COMPLETION_INDEX";

/// Which pod (and which run of which of its containers) a container is created for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodIdentity {
    /// Pod name (`<job>-xxxxx` or `<job>-<i>-xxxxx`).
    pub name: String,
    /// Pod UID.
    pub uid: String,
    /// Completion index of an Indexed Job's pod.
    pub index: Option<i32>,
    /// The template container's name (`""`: the first).
    pub container: String,
    /// How many times the container was restarted in place before this run.
    pub restart: u32,
}

/// The pod's labels: the template's (with the generated controller labels) plus the
/// completion index label for Indexed Jobs.
pub fn pod_labels(job: &Job, index: Option<i32>) -> BTreeMap<String, String> {
    let mut labels = template_map(job, |m| m.labels.as_ref());
    if let Some(i) = index {
        labels.insert(LABEL_COMPLETION_INDEX.to_string(), i.to_string());
    }
    labels
}

/// The pod's annotations: the template's plus the completion index for Indexed Jobs.
pub fn pod_annotations(job: &Job, index: Option<i32>) -> BTreeMap<String, String> {
    let mut annotations = template_map(job, |m| m.annotations.as_ref());
    if let Some(i) = index {
        annotations.insert(LABEL_COMPLETION_INDEX.to_string(), i.to_string());
    }
    annotations
}

fn template_map(
    job: &Job,
    pick: impl Fn(
        &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
    ) -> Option<&BTreeMap<String, String>>,
) -> BTreeMap<String, String> {
    job.spec
        .as_ref()
        .and_then(|s| s.template.metadata.as_ref())
        .and_then(pick)
        .cloned()
        .unwrap_or_default()
}

/// The pod template's containers, in order (validation guarantees at least one).
pub fn template_containers(job: &Job) -> &[Container] {
    job.spec
        .as_ref()
        .and_then(|s| s.template.spec.as_ref())
        .map_or(&[], |p| p.containers.as_slice())
}

/// The template container named `name` (`""`: the first).
pub fn template_container<'a>(job: &'a Job, name: &str) -> Option<&'a Container> {
    let containers = template_containers(job);
    match name {
        "" => containers.first(),
        _ => containers.iter().find(|c| c.name == name),
    }
}

/// Whether the pod has several containers, which then share a sandbox (network namespace,
/// hostname, IPC) as a Kubernetes pod's containers do, and are named `<pod>_<container>`.
pub fn has_sandbox(job: &Job) -> bool {
    template_containers(job).len() > 1
}

/// Whether the pod runs a sandbox: several containers, or data volumes (secret, configMap,
/// downwardAPI, projected), whose tmpfs the sandbox holds for the pod's life.
pub fn needs_sandbox(job: &Job) -> bool {
    has_sandbox(job) || !data_volumes(job).is_empty()
}

/// The pod's data volumes that some container mounts.
pub fn data_volumes(job: &Job) -> Vec<&k8s_openapi::api::core::v1::Volume> {
    let mounted = |name: &str| {
        template_containers(job)
            .iter()
            .flat_map(|c| c.volume_mounts.iter().flatten())
            .any(|m| m.name == name)
    };
    template_spec(job)
        .and_then(|p| p.volumes.as_ref())
        .into_iter()
        .flatten()
        .filter(|v| is_data_volume(v) && mounted(&v.name))
        .collect()
}

/// The engine volume that holds a pod's data volume `volume`.
pub fn data_volume_name(pod_uid: &str, volume: &str) -> String {
    format!("dockjob-data-{pod_uid}-{volume}")
}

/// The engine container for one run of one of a pod's containers. Each container keeps its
/// own command, args, env (`$(VAR)` expanded against its own env), workingDir and resources;
/// emptyDir volumes are the pod's, shared by all its containers. ConfigMap and Secret
/// references are left out (see [`container_spec_with`]).
pub fn container_spec(job: &Job, pod: &PodIdentity) -> ContainerSpec {
    container_spec_with(job, pod, &EnvSources::default())
}

/// The value of a pod field (`fieldRef.fieldPath`), as the kubelet's
/// `podFieldSelectorRuntimeValue` gives it.
pub fn pod_field(job: &Job, pod: &PodIdentity, path: &str) -> String {
    let namespace = job.metadata.namespace.as_deref().unwrap_or("default");
    let labels = pod_labels(job, pod.index);
    let annotations = pod_annotations(job, pod.index);
    let all = |map: &BTreeMap<String, String>| {
        // `fieldpath.FormatMap`: `key="value"` lines, sorted (downwardAPI volume files).
        map.iter()
            .map(|(k, v)| format!("{k}={}\n", super::field::go_quote(v)))
            .collect::<String>()
    };
    match path {
        "metadata.name" => pod.name.clone(),
        "metadata.namespace" => namespace.to_string(),
        "metadata.uid" => pod.uid.clone(),
        "metadata.labels" => all(&labels),
        "metadata.annotations" => all(&annotations),
        "spec.serviceAccountName" => String::new(),
        _ => subscript(path, "metadata.labels")
            .map(|k| labels.get(k).cloned().unwrap_or_default())
            .or_else(|| {
                subscript(path, "metadata.annotations")
                    .map(|k| annotations.get(k).cloned().unwrap_or_default())
            })
            .unwrap_or_default(),
    }
}

/// [`container_spec`] with the container's ConfigMap and Secret values (`envFrom` first,
/// then `env` in order, each `$(VAR)`-expanded against what precedes it).
pub fn container_spec_with(job: &Job, pod: &PodIdentity, sources: &EnvSources) -> ContainerSpec {
    let Some(container) = template_container(job, &pod.container) else {
        return ContainerSpec::default();
    };
    let job_name = job.metadata.name.as_deref().unwrap_or("");
    let namespace = job.metadata.namespace.as_deref().unwrap_or("default");
    let labels = pod_labels(job, pod.index);
    let field = |path: &str| pod_field(job, pod, path);

    let mut env_vars: Vec<EnvVar> = container.env.clone().unwrap_or_default();
    // addCompletionIndexEnvVariable: appended unless the template already sets it.
    if let Some(i) = pod.index {
        if !env_vars.iter().any(|e| e.name == ENV_COMPLETION_INDEX) {
            env_vars.push(EnvVar {
                name: ENV_COMPLETION_INDEX.to_string(),
                value: Some(i.to_string()),
                value_from: None,
            });
        }
    }
    let resolved = resolve_env(&env_vars, field, sources);
    let lookup = |name: &str| {
        resolved
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let expand_all = |list: &Option<Vec<String>>| -> Option<Vec<String>> {
        // `command: []` counts as unset, so the image ENTRYPOINT is kept (engine gets null).
        list.as_ref()
            .filter(|l| !l.is_empty())
            .map(|l| l.iter().map(|s| expand(s, lookup)).collect())
    };

    let mut container_labels = labels.clone();
    // With manualSelector the template may lack them; containers always carry them.
    let uid = job.metadata.uid.clone().unwrap_or_default();
    for (key, value) in [
        (LABEL_JOB_NAME, job_name),
        (LABEL_CONTROLLER_UID, uid.as_str()),
    ] {
        container_labels
            .entry(key.to_string())
            .or_insert_with(|| value.to_string());
    }
    container_labels.insert(LABEL_MANAGED.to_string(), "true".to_string());
    container_labels.insert(LABEL_POD.to_string(), pod.name.clone());
    container_labels.insert(LABEL_NAMESPACE.to_string(), namespace.to_string());
    container_labels.insert(LABEL_POD_UID.to_string(), pod.uid.clone());
    container_labels.insert(LABEL_CONTAINER.to_string(), container.name.clone());
    container_labels.insert(LABEL_RESTART.to_string(), pod.restart.to_string());

    let limits = container.resources.as_ref().and_then(|r| r.limits.as_ref());
    let requests = container
        .resources
        .as_ref()
        .and_then(|r| r.requests.as_ref());
    let quantity = |map: Option<
        &BTreeMap<String, k8s_openapi::apimachinery::pkg::api::resource::Quantity>,
    >,
                    key: &str,
                    parse: fn(&str) -> Result<i64, String>| {
        map.and_then(|m| m.get(key)).and_then(|q| parse(&q.0).ok())
    };
    let limit_cpu = quantity(limits, "cpu", milli_cpu);
    // The API server defaults requests to limits when only limits are given.
    let request_cpu = quantity(requests, "cpu", milli_cpu).or(limit_cpu);
    let quota = limit_cpu.and_then(cpu_quota);

    let shared = has_sandbox(job);
    ContainerSpec {
        name: container_name(
            &pod.name,
            shared.then_some(container.name.as_str()),
            pod.restart,
        ),
        image: container.image.clone().unwrap_or_default(),
        entrypoint: expand_all(&container.command),
        cmd: expand_all(&container.args),
        env: resolved.iter().map(|(k, v)| format!("{k}={v}")).collect(),
        working_dir: container.working_dir.clone().filter(|w| !w.is_empty()),
        hostname: Some(match pod.index {
            Some(i) => format!("{job_name}-{i}"),
            None => pod.name.clone(),
        }),
        labels: container_labels,
        memory_bytes: quantity(limits, "memory", memory_bytes).filter(|m| *m > 0),
        cpu_quota: quota,
        cpu_period: quota.map(|_| CPU_PERIOD_US),
        cpu_shares: Some(cpu_shares(request_cpu)),
        empty_dirs: empty_dir_mounts(job, container),
        data_mounts: data_mounts(job, container, &pod.uid),
        // Set by the driver once the pod's sandbox runs.
        sandbox: None,
        node_selector: template_spec(job)
            .and_then(|spec| spec.node_selector.clone())
            .unwrap_or_default(),
        node_name: template_spec(job)
            .and_then(|spec| spec.node_name.clone())
            .filter(|n| !n.is_empty()),
    }
}

fn template_spec(job: &Job) -> Option<&k8s_openapi::api::core::v1::PodSpec> {
    job.spec.as_ref().and_then(|s| s.template.spec.as_ref())
}

/// Engine container name of a pod's container run: the pod name (`<pod>_<container>` when
/// the pod has several containers), then `.<restart>` for restarts. `_` appears in neither
/// pod nor container names, so the names cannot collide.
pub fn container_name(pod: &str, container: Option<&str>, restart: u32) -> String {
    let base = match container {
        Some(c) => format!("{pod}_{c}"),
        None => pod.to_string(),
    };
    if restart == 0 {
        base
    } else {
        format!("{base}.{restart}")
    }
}

/// What the engine needs to run the sandbox of a pod with several containers: the container
/// that owns the network namespace, hostname and IPC namespace the pod's containers join
/// (the kubelet's `RunPodSandbox`; dockershim named it `k8s_POD_…`).
pub fn sandbox_spec(job: &Job, pod: &PodIdentity) -> SandboxSpec {
    let job_name = job.metadata.name.as_deref().unwrap_or("");
    let mut labels = container_spec(job, pod).labels;
    labels.remove(LABEL_CONTAINER);
    labels.remove(LABEL_RESTART);
    labels.insert(LABEL_SANDBOX.to_string(), "true".to_string());
    SandboxSpec {
        data_volumes: data_volumes(job)
            .iter()
            .map(|v| data_volume_name(&pod.uid, &v.name))
            .collect(),
        name: format!("{}_POD", pod.name),
        hostname: match pod.index {
            Some(i) => format!("{job_name}-{i}"),
            None => pod.name.clone(),
        },
        labels,
    }
}

/// `makeEnvironmentVariables`: `envFrom` variables first, then each `env` value expanded
/// against the variables defined before it; `fieldRef` values come from `field`, ConfigMap
/// and Secret values from `sources` (a reference without a value there is a skipped optional
/// one: a required one that is missing stops the container before it is created, see
/// [`crate::job::objects::resolve::env_sources`]); `resourceFieldRef` is skipped (warned at
/// load).
fn resolve_env(
    env: &[EnvVar],
    field: impl Fn(&str) -> String,
    sources: &EnvSources,
) -> Vec<(String, String)> {
    let mut resolved: Vec<(String, String)> = sources.from.clone();
    for (i, var) in env.iter().enumerate() {
        let value = if let Some(value) = var.value.as_deref().filter(|v| !v.is_empty()) {
            expand(value, |name| {
                resolved
                    .iter()
                    .rev()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.clone())
            })
        } else if let Some(field_ref) = var.value_from.as_ref().and_then(|f| f.field_ref.as_ref()) {
            field(&field_ref.field_path)
        } else if let Some(value) = sources.values.get(&i) {
            value.clone()
        } else if var.value_from.is_some() {
            continue;
        } else {
            String::new()
        };
        resolved.retain(|(k, _)| k != &var.name);
        resolved.push((var.name.clone(), value));
    }
    resolved
}

/// The kubelet's message for a container image that is not a valid reference, the
/// waiting reason `InvalidImageName` (`pkg/kubelet/images/image_manager.go`
/// `EnsureImageExists`, `applyDefaultImageTag`): no pull is tried. `None` for a valid one.
pub fn invalid_image_message(image: &str) -> Option<String> {
    let error = crate::image_ref::ImageRef::parse(image).err()?;
    // Our errors name the input first (`"X": reason`); Go's reference errors do not.
    let text = error.to_string();
    let prefix = format!("{:?}: ", error.input());
    let reason = text.strip_prefix(&prefix).unwrap_or(&text);
    Some(format!(
        "Failed to apply default image tag {image:?}: couldn't parse image name {image:?}: {reason}"
    ))
}

/// `metadata.labels['key']` → `key`.
fn subscript<'a>(path: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = path.strip_prefix(prefix)?;
    let inner = rest.strip_prefix('[')?.strip_suffix(']')?;
    inner
        .strip_prefix('\'')
        .and_then(|s| s.strip_suffix('\''))
        .or_else(|| inner.strip_prefix('"').and_then(|s| s.strip_suffix('"')))
}

/// Mount paths of the container's volumeMounts that refer to emptyDir volumes.
fn empty_dir_mounts(job: &Job, container: &Container) -> Vec<String> {
    let volumes = job
        .spec
        .as_ref()
        .and_then(|s| s.template.spec.as_ref())
        .and_then(|p| p.volumes.as_ref());
    let is_empty_dir = |name: &str| {
        volumes
            .into_iter()
            .flatten()
            .any(|v| v.name == name && v.empty_dir.is_some())
    };
    container
        .volume_mounts
        .iter()
        .flatten()
        .filter(|m| is_empty_dir(&m.name))
        .map(|m| m.mount_path.clone())
        .collect()
}

/// The container's mounts of the pod's data volumes.
fn data_mounts(job: &Job, container: &Container, pod_uid: &str) -> Vec<DataMount> {
    let volumes = data_volumes(job);
    container
        .volume_mounts
        .iter()
        .flatten()
        .filter(|m| volumes.iter().any(|v| v.name == m.name))
        .map(|m| DataMount {
            volume: data_volume_name(pod_uid, &m.name),
            mount_path: m.mount_path.clone(),
            sub_path: m.sub_path.clone().filter(|p| !p.is_empty()),
        })
        .collect()
}

/// The kubelet/CRI reason for a terminated container: `OOMKilled`, `Completed` or `Error`
/// (containerd `completeExitReason`, `errorExitReason`, `oomExitReason`).
pub fn exit_reason(exit: &ContainerExit) -> &'static str {
    if exit.code == 128 && exit.error.as_deref().is_some_and(|e| !e.is_empty()) {
        // The runtime could not start the process (containerd `errorStartReason`).
        "StartError"
    } else if exit.oom_killed {
        "OOMKilled"
    } else if exit.code == 0 {
        "Completed"
    } else {
        "Error"
    }
}

/// The image pull policy of the template's container `name` (defaulted at load).
pub fn pull_policy<'a>(job: &'a Job, name: &str) -> &'a str {
    template_container(job, name)
        .and_then(|c| c.image_pull_policy.as_deref())
        .unwrap_or("IfNotPresent")
}

#[cfg(test)]
mod tests;
