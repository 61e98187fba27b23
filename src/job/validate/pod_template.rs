//! Validation of the pod template (restartPolicy, containers, labels) and the warnings for
//! pod fields that mean nothing on one machine. Messages from kubernetes
//! `pkg/apis/batch/validation/validation.go` and `pkg/apis/core/validation/validation.go`.

use std::collections::BTreeMap;

use k8s_openapi::api::batch::v1::{Job, JobSpec};

use super::super::field::{FieldError, FieldValue};
use super::{dns1123_label_errors, is_dns1123_label};

const TEMPLATE: &str = "spec.template.spec";

/// restartPolicy, containers, images, names and label values of the template.
pub(super) fn validate_template(spec: &JobSpec, errs: &mut Vec<FieldError>) {
    if let Some(labels) = spec
        .template
        .metadata
        .as_ref()
        .and_then(|m| m.labels.as_ref())
    {
        validate_label_values(labels, "spec.template.labels", errs);
    }
    // `ValidatePodTemplateSpec`: the annotations come after the labels, under the same
    // path (`spec.template.annotations`, not `…metadata.annotations`).
    if let Some(annotations) = spec
        .template
        .metadata
        .as_ref()
        .and_then(|m| m.annotations.as_ref())
    {
        super::validate_annotations(annotations, "spec.template.annotations", errs);
    }
    let Some(pod) = spec.template.spec.as_ref() else {
        errs.push(FieldError::required(format!("{TEMPLATE}.containers"), ""));
        return;
    };
    // Pod-level validation (`validateRestartPolicy`) knows Always as well.
    let policy = pod.restart_policy.as_deref().unwrap_or("");
    if !matches!(policy, "" | "Always" | "OnFailure" | "Never") {
        errs.push(FieldError::not_supported(
            format!("{TEMPLATE}.restartPolicy"),
            policy,
            &["Always", "OnFailure", "Never"],
        ));
    }
    // `ValidateVolumes` comes before the containers.
    errs.extend(crate::job::objects::validate::validate_volume_sources(
        pod.volumes.as_deref().unwrap_or_default(),
        TEMPLATE,
    ));
    if pod.containers.is_empty() {
        errs.push(FieldError::required(format!("{TEMPLATE}.containers"), ""));
    }
    let mut seen = Vec::new();
    let groups = [
        ("containers", pod.containers.as_slice()),
        (
            "initContainers",
            pod.init_containers.as_deref().unwrap_or(&[]),
        ),
    ];
    for (group, containers) in groups {
        for (i, c) in containers.iter().enumerate() {
            let path = format!("{TEMPLATE}.{group}[{i}]");
            if c.name.is_empty() {
                errs.push(FieldError::required(format!("{path}.name"), ""));
            } else if !is_dns1123_label(&c.name) {
                // `ValidateDNS1123Label`: one error per message of `IsDNS1123Label` (a name
                // of 64 a's is "must be no more than 63 characters", `a.b` "must not
                // contain dots"; not the regex text for both).
                for msg in dns1123_label_errors(&c.name) {
                    errs.push(FieldError::invalid(
                        format!("{path}.name"),
                        FieldValue::Str(c.name.clone()),
                        msg,
                    ));
                }
            } else if seen.contains(&c.name) {
                errs.push(FieldError::duplicate(
                    format!("{path}.name"),
                    FieldValue::Str(c.name.clone()),
                ));
            }
            seen.push(c.name.clone());
            if c.image.as_deref().unwrap_or("").trim().is_empty() {
                errs.push(FieldError::required(format!("{path}.image"), ""));
            }
            let policy = c.image_pull_policy.as_deref().unwrap_or("");
            if !matches!(policy, "Always" | "IfNotPresent" | "Never") {
                errs.push(FieldError::not_supported(
                    format!("{path}.imagePullPolicy"),
                    policy,
                    &["Always", "IfNotPresent", "Never"],
                ));
            }
            for (j, env) in c.env.iter().flatten().enumerate() {
                if env.name.is_empty() {
                    errs.push(FieldError::required(format!("{path}.env[{j}].name"), ""));
                }
                let field_ref = env.value_from.as_ref().and_then(|f| f.field_ref.as_ref());
                if let Some(field_ref) = field_ref {
                    validate_field_path(
                        &field_ref.field_path,
                        &format!("{path}.env[{j}].valueFrom.fieldRef.fieldPath"),
                        errs,
                    );
                }
            }
            validate_resources(c, &path, errs);
            let volumes: Vec<&str> = pod
                .volumes
                .iter()
                .flatten()
                .map(|v| v.name.as_str())
                .collect();
            for (j, mount) in c.volume_mounts.iter().flatten().enumerate() {
                if !volumes.contains(&mount.name.as_str()) {
                    errs.push(FieldError::not_found(
                        format!("{path}.volumeMounts[{j}].name"),
                        FieldValue::Str(mount.name.clone()),
                    ));
                }
                if let Some(sub) = mount.sub_path.as_deref().filter(|s| !s.is_empty()) {
                    errs.extend(crate::job::objects::validate::local_descending_path_errors(
                        sub,
                        &format!("{path}.volumeMounts[{j}].subPath"),
                    ));
                }
            }
        }
    }
}

/// fieldRef paths the API server accepts for env (`validEnvDownwardAPIFieldPathExpressions`).
fn validate_field_path(field_path: &str, path: &str, errs: &mut Vec<FieldError>) {
    const SUPPORTED: [&str; 9] = [
        "metadata.name",
        "metadata.namespace",
        "metadata.uid",
        "spec.nodeName",
        "spec.serviceAccountName",
        "status.hostIP",
        "status.hostIPs",
        "status.podIP",
        "status.podIPs",
    ];
    let subscripted = ["metadata.labels[", "metadata.annotations["]
        .iter()
        .any(|p| field_path.starts_with(p) && field_path.ends_with(']'));
    if !subscripted && !SUPPORTED.contains(&field_path) {
        errs.push(FieldError::not_supported(path, field_path, &SUPPORTED));
    }
}

/// Quantities must parse; a request may not exceed its limit (core `ValidateResourceRequirements`).
fn validate_resources(
    c: &k8s_openapi::api::core::v1::Container,
    path: &str,
    errs: &mut Vec<FieldError>,
) {
    use super::super::quantity::parse_scaled;
    let Some(resources) = c.resources.as_ref() else {
        return;
    };
    let mut parsed = BTreeMap::new();
    for (kind, map) in [
        ("limits", &resources.limits),
        ("requests", &resources.requests),
    ] {
        for (name, quantity) in map.iter().flatten() {
            let field = format!("{path}.resources.{kind}.{name}");
            match parse_scaled(&quantity.0, 1000) {
                Ok(v) if v < 0 => errs.push(FieldError::invalid(
                    field,
                    FieldValue::Str(quantity.0.clone()),
                    "must be greater than or equal to 0",
                )),
                Ok(v) => {
                    parsed.insert((kind, name.clone()), v);
                }
                Err(msg) => errs.push(FieldError::invalid(
                    field,
                    FieldValue::Str(quantity.0.clone()),
                    msg,
                )),
            }
        }
    }
    for ((kind, name), request) in &parsed {
        if *kind != "requests" {
            continue;
        }
        if let Some(limit) = parsed.get(&("limits", name.clone())) {
            if request > limit {
                let shown = resources
                    .requests
                    .as_ref()
                    .and_then(|r| r.get(name))
                    .map(|q| q.0.clone())
                    .unwrap_or_default();
                let limit_text = resources
                    .limits
                    .as_ref()
                    .and_then(|r| r.get(name))
                    .map(|q| q.0.clone())
                    .unwrap_or_default();
                errs.push(FieldError::invalid(
                    format!("{path}.resources.requests"),
                    FieldValue::Str(shown),
                    format!("must be less than or equal to {name} limit of {limit_text}"),
                ));
            }
        }
    }
}

/// The Job-level restartPolicy chain at the end of `validateJobSpec`.
pub(super) fn validate_restart_policy(spec: &JobSpec, errs: &mut Vec<FieldError>) {
    let policy = spec
        .template
        .spec
        .as_ref()
        .and_then(|p| p.restart_policy.as_deref())
        .unwrap_or("");
    let field = format!("{TEMPLATE}.restartPolicy");
    match policy {
        // `Always` is the pod default, so an omitted restartPolicy lands here too.
        "" | "Always" => errs.push(FieldError::required(
            field,
            "valid values: \"OnFailure\", \"Never\"",
        )),
        "OnFailure" | "Never" => {
            if spec.pod_failure_policy.is_some() && policy != "Never" {
                errs.push(FieldError::invalid(
                    field,
                    FieldValue::Str(policy.to_string()),
                    "only \"Never\" is supported when podFailurePolicy is specified",
                ));
            }
        }
        other => errs.push(FieldError::not_supported(
            field,
            other,
            &["OnFailure", "Never"],
        )),
    }
}

/// apimachinery `ValidateLabels`: each key a qualified name (`ValidateLabelName`), then its
/// value at most 63 characters of `[A-Za-z0-9._-]` (`IsValidLabelValue`).
pub(super) fn validate_label_values(
    labels: &BTreeMap<String, String>,
    path: &str,
    errs: &mut Vec<FieldError>,
) {
    static LABEL_VALUE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new("^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$").expect("static regex")
    });
    for (key, value) in labels {
        // `ValidateLabelName` first: a key that is not a qualified name (`a b`, `-x`) was
        // accepted before.
        for msg in super::qualified_name_errors(key) {
            errs.push(FieldError::invalid(path, FieldValue::Str(key.clone()), msg));
        }
        let shown = FieldValue::Str(value.clone());
        if value.len() > 63 {
            errs.push(FieldError::invalid(
                path,
                shown.clone(),
                "must be no more than 63 characters",
            ));
        }
        if !LABEL_VALUE.is_match(value) {
            errs.push(FieldError::invalid(path, shown, "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"));
        }
    }
}

/// One warning per field that is set but cannot be honoured by a single local engine.
pub(super) fn ignored_field_warnings(job: &Job) -> Vec<String> {
    let mut warnings = Vec::new();
    let name = job.metadata.name.as_deref().unwrap_or("");
    if name.contains('.') {
        warnings.push("metadata.name: this is used in Pod names and hostnames, which can result in surprising behavior; a DNS label is recommended: [must not contain dots]".to_string());
    }
    let Some(spec) = job.spec.as_ref() else {
        return warnings;
    };
    let mut ignore = |field: &str, why: &str| {
        warnings.push(format!("{field}: ignored by dockjob ({why})"));
    };
    const ONE_NODE: &str = "every pod runs on the local engine";
    if spec.managed_by.is_some() {
        ignore("spec.managedBy", "dockjob is the only controller");
    }
    // Kubernetes adds DisruptionTarget on preemption, eviction, taint-based eviction, pod GC
    // and node shutdown (`pkg/apis/core/types.go` DisruptionTarget): none of them happens to a
    // pod on one engine, so such a rule can never match.
    let policy_rules = spec.pod_failure_policy.iter().flat_map(|p| p.rules.iter());
    for (i, rule) in policy_rules.enumerate() {
        if rule
            .on_pod_conditions
            .as_ref()
            .is_some_and(|c| !c.is_empty())
        {
            ignore(
                &format!("spec.podFailurePolicy.rules[{i}].onPodConditions"),
                "no pod on one engine is preempted, evicted or disrupted, so it never matches",
            );
        }
    }
    let Some(pod) = spec.template.spec.as_ref() else {
        return warnings;
    };
    let set = |b: bool, field: &str| b.then(|| format!("{TEMPLATE}.{field}"));
    let pod_fields = [
        set(pod.node_selector.is_some(), "nodeSelector"),
        set(pod.node_name.is_some(), "nodeName"),
        set(pod.affinity.is_some(), "affinity"),
        set(pod.tolerations.is_some(), "tolerations"),
        set(
            pod.topology_spread_constraints.is_some(),
            "topologySpreadConstraints",
        ),
        set(pod.priority_class_name.is_some(), "priorityClassName"),
        set(pod.priority.is_some(), "priority"),
        set(pod.runtime_class_name.is_some(), "runtimeClassName"),
        set(pod.scheduling_gates.is_some(), "schedulingGates"),
        set(
            pod.scheduler_name
                .as_deref()
                .is_some_and(|s| s != "default-scheduler"),
            "schedulerName",
        ),
    ];
    for field in pod_fields.into_iter().flatten() {
        ignore(&field, ONE_NODE);
    }
    const NO_API: &str = "there is no API server or service account on the local engine";
    for (b, field) in [
        (pod.service_account_name.is_some(), "serviceAccountName"),
        (pod.service_account.is_some(), "serviceAccount"),
        (
            pod.automount_service_account_token.is_some(),
            "automountServiceAccountToken",
        ),
    ] {
        if b {
            ignore(&format!("{TEMPLATE}.{field}"), NO_API);
        }
    }
    const NET: &str = "pods use the engine's default network";
    for (b, field) in [
        (pod.host_network.is_some(), "hostNetwork"),
        (pod.host_pid.is_some(), "hostPID"),
        (pod.host_ipc.is_some(), "hostIPC"),
        (pod.dns_config.is_some(), "dnsConfig"),
        (
            pod.dns_policy
                .as_deref()
                .is_some_and(|p| p != "ClusterFirst"),
            "dnsPolicy",
        ),
        (pod.host_aliases.is_some(), "hostAliases"),
        (pod.subdomain.is_some(), "subdomain"),
        (pod.security_context.is_some(), "securityContext"),
        (
            pod.active_deadline_seconds.is_some(),
            "activeDeadlineSeconds",
        ),
    ] {
        if b {
            ignore(&format!("{TEMPLATE}.{field}"), pod_field_reason(field, NET));
        }
    }
    // Secret, configMap, downwardAPI and projected volumes are written by dockjob
    // (`job::objects::resolve`); emptyDir is an engine volume.
    for (i, volume) in pod.volumes.iter().flatten().enumerate() {
        let supported =
            volume.empty_dir.is_some() || crate::job::objects::volumes::is_data_volume(volume);
        if !supported {
            ignore(
                &format!("{TEMPLATE}.volumes[{i}]"),
                "only emptyDir, secret, configMap, downwardAPI and projected volumes are supported; the volume is not mounted",
            );
        }
        let projected = volume.projected.as_ref().and_then(|p| p.sources.as_ref());
        for (j, source) in projected.into_iter().flatten().enumerate() {
            let other =
                source.service_account_token.is_some() || source.cluster_trust_bundle.is_some();
            if other {
                ignore(
                    &format!("{TEMPLATE}.volumes[{i}].projected.sources[{j}]"),
                    "there is no API server to issue it; the source adds no file",
                );
            }
        }
        let downward = volume
            .downward_api
            .as_ref()
            .and_then(|d| d.items.as_ref())
            .into_iter()
            .flatten()
            .chain(
                projected
                    .into_iter()
                    .flatten()
                    .filter_map(|s| s.downward_api.as_ref()?.items.as_ref())
                    .flatten(),
            );
        if downward
            .into_iter()
            .any(|item| item.resource_field_ref.is_some())
        {
            ignore(
                &format!("{TEMPLATE}.volumes[{i}]"),
                "resourceFieldRef items are not supported; their files are not written",
            );
        }
    }
    for (i, c) in pod.containers.iter().enumerate() {
        let path = format!("{TEMPLATE}.containers[{i}]");
        for (b, field, why) in [
            (c.ports.is_some(), "ports", "ports are not published"),
            (
                c.liveness_probe.is_some(),
                "livenessProbe",
                "probes are not run",
            ),
            (
                c.readiness_probe.is_some(),
                "readinessProbe",
                "probes are not run",
            ),
            (
                c.startup_probe.is_some(),
                "startupProbe",
                "probes are not run",
            ),
            (c.lifecycle.is_some(), "lifecycle", "hooks are not run"),
            (
                c.security_context.is_some(),
                "securityContext",
                "not applied",
            ),
            (c.stdin.is_some(), "stdin", "no stdin is attached"),
            (c.tty.is_some(), "tty", "no terminal is attached"),
        ] {
            if b {
                ignore(&format!("{path}.{field}"), why);
            }
        }
        for (j, env) in c.env.iter().flatten().enumerate() {
            let Some(from) = env.value_from.as_ref() else {
                continue;
            };
            if from.resource_field_ref.is_some() {
                ignore(
                    &format!("{path}.env[{j}].valueFrom"),
                    "resourceFieldRef is not supported; the variable is not set",
                );
            }
        }
    }
    warnings
}

fn pod_field_reason(field: &str, net: &'static str) -> &'static str {
    match field {
        "securityContext" => "not applied",
        "activeDeadlineSeconds" => "only the Job's activeDeadlineSeconds is enforced",
        _ => net,
    }
}
