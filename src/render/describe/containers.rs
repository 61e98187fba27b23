//! The container and volume blocks of `describe` (`describeContainers`,
//! `describeContainerBasicInfo`, `describeContainerCommand`, `describeContainerState`,
//! `describeResources`, `describeContainerEnvVars`, `describeContainerVolumes`,
//! `describeVolumes` in `kubectl/pkg/describe/describe.go`).

use k8s_openapi::api::core::v1::{
    Container, ContainerState, ContainerStatus, EnvVar, Pod, ResourceRequirements, Volume,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::tz::TimeZone;

use super::super::duration::rfc1123z;
use super::Writer;

/// What the container block needs besides the containers.
pub(crate) struct ContainerContext<'a> {
    /// The pod, to resolve `fieldRef` values (`None` for a pod template).
    pub pod: Option<&'a Pod>,
    /// Zone for dates.
    pub tz: TimeZone,
}

pub(crate) fn describe_containers(
    w: &mut Writer,
    label: &str,
    containers: &[Container],
    statuses: &[ContainerStatus],
    ctx: &ContainerContext<'_>,
    space: &str,
) {
    let none = if containers.is_empty() { " <none>" } else { "" };
    w.write(0, &format!("{space}{label}:{none}\n"));
    for container in containers {
        let status = statuses.iter().find(|s| s.name == container.name);
        let name_indent = if space.is_empty() { "" } else { " " };
        w.write(1, &format!("{name_indent}{}:\n", container.name));
        if let Some(s) = status {
            w.write(
                2,
                &format!(
                    "Container ID:\t{}\n",
                    s.container_id.as_deref().unwrap_or_default()
                ),
            );
        }
        w.write(
            2,
            &format!(
                "Image:\t{}\n",
                container.image.as_deref().unwrap_or_default()
            ),
        );
        if let Some(s) = status {
            w.write(2, &format!("Image ID:\t{}\n", s.image_id));
        }
        let ports = container.ports.as_deref().unwrap_or_default();
        let port_list = |f: &dyn Fn(&k8s_openapi::api::core::v1::ContainerPort) -> i32| {
            ports
                .iter()
                .map(|p| format!("{}/{}", f(p), p.protocol.as_deref().unwrap_or("TCP")))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let container_ports = port_list(&|p| p.container_port);
        let host_ports = port_list(&|p| p.host_port.unwrap_or(0));
        port_line(w, "Port", "Ports", &container_ports);
        port_line(w, "Host Port", "Host Ports", &host_ports);
        command_lines(w, "Command", container.command.as_deref());
        command_lines(w, "Args", container.args.as_deref());
        if let Some(s) = status {
            container_state(w, s, &ctx.tz);
        }
        resources(w, container.resources.as_ref());
        if container.env_from.as_ref().is_some_and(|e| !e.is_empty()) {
            env_from(w, container);
        }
        env_vars(w, container, ctx.pod);
        mounts(w, container);
    }
}

fn port_line(w: &mut Writer, one: &str, many: &str, list: &str) {
    if list.contains(',') {
        w.write(2, &format!("{many}:\t{list}\n"));
    } else if list.is_empty() {
        w.write(2, &format!("{one}:\t<none>\n"));
    } else {
        w.write(2, &format!("{one}:\t{list}\n"));
    }
}

fn command_lines(w: &mut Writer, title: &str, words: Option<&[String]>) {
    let Some(words) = words.filter(|w| !w.is_empty()) else {
        return;
    };
    w.write(2, &format!("{title}:\n"));
    for word in words {
        for line in word.split('\n') {
            w.write(3, &format!("{line}\n"));
        }
    }
}

fn time_or_zero(t: Option<&Time>, tz: &TimeZone) -> String {
    match t {
        Some(t) => rfc1123z(t.0, tz),
        // Go formats a zero time.Time.
        None => "Mon, 01 Jan 0001 00:00:00 +0000".to_string(),
    }
}

fn container_state(w: &mut Writer, status: &ContainerStatus, tz: &TimeZone) {
    state_lines(w, "State", status.state.as_ref(), tz);
    if let Some(last) = status
        .last_state
        .as_ref()
        .filter(|s| s.terminated.is_some())
    {
        state_lines(w, "Last State", Some(last), tz);
    }
    let ready = if status.ready { "True" } else { "False" };
    w.write(2, &format!("Ready:\t{ready}\n"));
    w.write(2, &format!("Restart Count:\t{}\n", status.restart_count));
}

fn state_lines(w: &mut Writer, name: &str, state: Option<&ContainerState>, tz: &TimeZone) {
    let state = state.cloned().unwrap_or_default();
    if let Some(running) = &state.running {
        w.write(2, &format!("{name}:\tRunning\n"));
        w.write(
            3,
            &format!(
                "Started:\t{}\n",
                time_or_zero(running.started_at.as_ref(), tz)
            ),
        );
    } else if let Some(waiting) = &state.waiting {
        w.write(2, &format!("{name}:\tWaiting\n"));
        if let Some(reason) = waiting.reason.as_ref().filter(|r| !r.is_empty()) {
            w.write(3, &format!("Reason:\t{reason}\n"));
        }
    } else if let Some(t) = &state.terminated {
        w.write(2, &format!("{name}:\tTerminated\n"));
        if let Some(reason) = t.reason.as_ref().filter(|r| !r.is_empty()) {
            w.write(3, &format!("Reason:\t{reason}\n"));
        }
        if let Some(message) = t.message.as_ref().filter(|m| !m.is_empty()) {
            w.write(3, &format!("Message:\t{message}\n"));
        }
        w.write(3, &format!("Exit Code:\t{}\n", t.exit_code));
        if let Some(signal) = t.signal.filter(|s| *s > 0) {
            w.write(3, &format!("Signal:\t{signal}\n"));
        }
        w.write(
            3,
            &format!("Started:\t{}\n", time_or_zero(t.started_at.as_ref(), tz)),
        );
        w.write(
            3,
            &format!("Finished:\t{}\n", time_or_zero(t.finished_at.as_ref(), tz)),
        );
    } else {
        w.write(2, &format!("{name}:\tWaiting\n"));
    }
}

fn resources(w: &mut Writer, resources: Option<&ResourceRequirements>) {
    let Some(r) = resources else {
        return;
    };
    for (title, map) in [("Limits", &r.limits), ("Requests", &r.requests)] {
        let Some(map) = map.as_ref().filter(|m| !m.is_empty()) else {
            continue;
        };
        w.write(2, &format!("{title}:\n"));
        for (name, quantity) in map {
            w.write(3, &format!("{name}:\t{}\n", quantity.0));
        }
    }
}

/// `describeContainerEnvFrom`: each ConfigMap or Secret source, never its values.
fn env_from(w: &mut Writer, container: &Container) {
    w.write(2, "Environment Variables from:\n");
    for e in container.env_from.iter().flatten() {
        let (name, from, optional) = if let Some(r) = &e.config_map_ref {
            (r.name.as_str(), "ConfigMap", r.optional.unwrap_or(false))
        } else if let Some(r) = &e.secret_ref {
            (r.name.as_str(), "Secret", r.optional.unwrap_or(false))
        } else {
            ("", "", false)
        };
        match e.prefix.as_deref().filter(|p| !p.is_empty()) {
            None => w.write(3, &format!("{name}\t{from}\tOptional: {optional}\n")),
            Some(prefix) => w.write(
                3,
                &format!("{name}\t{from} with prefix '{prefix}'\tOptional: {optional}\n"),
            ),
        }
    }
}

fn env_vars(w: &mut Writer, container: &Container, pod: Option<&Pod>) {
    let env = container.env.as_deref().unwrap_or_default();
    let none = if env.is_empty() { "\t<none>" } else { "" };
    w.write(2, &format!("Environment:{none}\n"));
    for e in env {
        let Some(from) = &e.value_from else {
            for (i, line) in e
                .value
                .as_deref()
                .unwrap_or_default()
                .split('\n')
                .enumerate()
            {
                if i == 0 {
                    w.write(3, &format!("{}:\t{line}\n", e.name));
                } else {
                    w.write(3, &format!("\t{line}\n"));
                }
            }
            continue;
        };
        if let Some(field) = &from.field_ref {
            let value = pod.map(|p| field_value(p, e)).unwrap_or_default();
            let api = field.api_version.as_deref().unwrap_or("v1");
            w.write(
                3,
                &format!("{}:\t{value} ({api}:{})\n", e.name, field.field_path),
            );
        } else if let Some(res) = &from.resource_field_ref {
            let limits = container.resources.as_ref().and_then(|r| r.limits.as_ref());
            let resource = res.resource.as_str();
            let value = resource
                .strip_prefix("limits.")
                .and_then(|name| limits.and_then(|l| l.get(name)))
                .map(|q| q.0.clone())
                .unwrap_or_else(|| "node allocatable".to_string());
            w.write(3, &format!("{}:\t{value} ({resource})\n", e.name));
        } else if let Some(secret) = &from.secret_key_ref {
            w.write(
                3,
                &format!(
                    "{}:\t<set to the key '{}' in secret '{}'>\tOptional: {}\n",
                    e.name,
                    secret.key,
                    secret.name,
                    secret.optional.unwrap_or(false)
                ),
            );
        } else if let Some(cm) = &from.config_map_key_ref {
            w.write(
                3,
                &format!(
                    "{}:\t<set to the key '{}' of config map '{}'>\tOptional: {}\n",
                    e.name,
                    cm.key,
                    cm.name,
                    cm.optional.unwrap_or(false)
                ),
            );
        }
    }
}

/// The downward-API values a pod has (`fieldpath.ExtractFieldPathAsString`).
fn field_value(pod: &Pod, env: &EnvVar) -> String {
    let Some(path) = env
        .value_from
        .as_ref()
        .and_then(|f| f.field_ref.as_ref())
        .map(|f| f.field_path.as_str())
    else {
        return String::new();
    };
    let meta = &pod.metadata;
    let lookup = |map: &Option<std::collections::BTreeMap<String, String>>, key: &str| {
        map.as_ref()
            .and_then(|m| m.get(key))
            .cloned()
            .unwrap_or_default()
    };
    let bracketed = |prefix: &str| {
        path.strip_prefix(prefix)
            .and_then(|rest| rest.strip_suffix("']"))
            .map(str::to_string)
    };
    if let Some(key) = bracketed("metadata.labels['") {
        return lookup(&meta.labels, &key);
    }
    if let Some(key) = bracketed("metadata.annotations['") {
        return lookup(&meta.annotations, &key);
    }
    match path {
        "metadata.name" => meta.name.clone().unwrap_or_default(),
        "metadata.namespace" => meta.namespace.clone().unwrap_or_default(),
        "metadata.uid" => meta.uid.clone().unwrap_or_default(),
        "spec.nodeName" => pod
            .spec
            .as_ref()
            .and_then(|s| s.node_name.clone())
            .unwrap_or_default(),
        "spec.serviceAccountName" => pod
            .spec
            .as_ref()
            .and_then(|s| s.service_account_name.clone())
            .unwrap_or_default(),
        _ => String::new(),
    }
}

fn mounts(w: &mut Writer, container: &Container) {
    let mut mounts = container.volume_mounts.clone().unwrap_or_default();
    let none = if mounts.is_empty() { "\t<none>" } else { "" };
    w.write(2, &format!("Mounts:{none}\n"));
    mounts.sort_by(|a, b| a.mount_path.cmp(&b.mount_path));
    for m in mounts {
        let mut flags = vec![if m.read_only.unwrap_or(false) {
            "ro"
        } else {
            "rw"
        }
        .to_string()];
        if let Some(sub) = m.sub_path.as_ref().filter(|s| !s.is_empty()) {
            flags.push(format!("path={sub:?}"));
        }
        w.write(
            3,
            &format!("{} from {} ({})\n", m.mount_path, m.name, flags.join(",")),
        );
    }
}

pub(crate) fn describe_volumes(w: &mut Writer, volumes: &[Volume], space: &str) {
    if volumes.is_empty() {
        w.write(0, &format!("{space}Volumes:\t<none>\n"));
        return;
    }
    w.write(0, &format!("{space}Volumes:\n"));
    for volume in volumes {
        let name_indent = if space.is_empty() { "" } else { " " };
        w.write(1, &format!("{name_indent}{}:\n", volume.name));
        if let Some(dir) = &volume.empty_dir {
            let size = dir
                .size_limit
                .as_ref()
                .map(|q| q.0.clone())
                .filter(|q| !q.is_empty() && q != "0")
                .unwrap_or_else(|| "<unset>".to_string());
            w.write(
                2,
                &format!(
                    "Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n    Medium:\t{}\n    SizeLimit:\t{size}\n",
                    dir.medium.as_deref().unwrap_or_default()
                ),
            );
        } else if let Some(host) = &volume.host_path {
            w.write(
                2,
                &format!(
                    "Type:\tHostPath (bare host directory volume)\n    Path:\t{}\n    HostPathType:\t{}\n",
                    host.path,
                    host.type_.as_deref().unwrap_or("<none>")
                ),
            );
        } else if let Some(secret) = &volume.secret {
            w.write(
                2,
                &format!(
                    "Type:\tSecret (a volume populated by a Secret)\n    SecretName:\t{}\n    Optional:\t{}\n",
                    secret.secret_name.as_deref().unwrap_or_default(),
                    secret.optional.unwrap_or(false)
                ),
            );
        } else if let Some(cm) = &volume.config_map {
            w.write(
                2,
                &format!(
                    "Type:\tConfigMap (a volume populated by a ConfigMap)\n    Name:\t{}\n    Optional:\t{}\n",
                    cm.name,
                    cm.optional.unwrap_or(false)
                ),
            );
        } else if let Some(projected) = &volume.projected {
            // `printProjectedVolumeSource`.
            w.write(
                2,
                "Type:\tProjected (a volume that contains injected data from multiple sources)\n",
            );
            for source in projected.sources.iter().flatten() {
                if let Some(s) = &source.secret {
                    w.write(
                        2,
                        &format!(
                            "SecretName:\t{}\n    SecretOptionalName:\t{}\n",
                            s.name,
                            s.optional.map_or("<nil>".to_string(), |o| o.to_string())
                        ),
                    );
                } else if let Some(c) = &source.config_map {
                    w.write(
                        2,
                        &format!(
                            "ConfigMapName:\t{}\n    ConfigMapOptional:\t{}\n",
                            c.name,
                            c.optional.map_or("<nil>".to_string(), |o| o.to_string())
                        ),
                    );
                } else if source.downward_api.is_some() {
                    w.write(2, "DownwardAPI:\ttrue\n");
                }
            }
        } else if let Some(d) = &volume.downward_api {
            w.write(
                2,
                "Type:\tDownwardAPI (a volume populated by information about the pod)\n    Items:\n",
            );
            for item in d.items.iter().flatten() {
                if let Some(field) = &item.field_ref {
                    w.write(3, &format!("{} -> {}\n", field.field_path, item.path));
                }
            }
        } else {
            w.write(2, "<unknown>\n");
        }
    }
}
