//! `kubectl get` tables for Jobs, Pods and Events, computed as the API server's printers do
//! (`kubernetes/pkg/printers/internalversion/printers.go`: `printJob`, `printPod`,
//! `printEvent`) and laid out with kubectl's tabwriter. Pure: objects and `now` in, text out.

use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{Container, Event, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, Time};
use k8s_openapi::jiff::Timestamp;

use super::duration::{age, human_between};
use super::tabwriter::{align, TABLE};

/// Table options shared by every kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TableOptions {
    /// `-o wide`: the priority-1 columns too.
    pub wide: bool,
    /// `-A`: a leading NAMESPACE column.
    pub all_namespaces: bool,
    /// `--no-headers`.
    pub no_headers: bool,
    /// Names as `KIND/NAME` (`job.batch/pi`), as kubectl prints them when a `get` lists more
    /// than one kind (`get/get.go` `multipleGVKsRequested`, `printers.FormatResourceName`).
    pub with_kind: bool,
}

/// `job.batch/pi` for `with_kind`, else `pi`.
pub(super) fn name_cell(group_kind: &str, name: Option<&String>, opts: TableOptions) -> String {
    let name = name.cloned().unwrap_or_default();
    if opts.with_kind {
        format!("{group_kind}/{name}")
    } else {
        name
    }
}

/// One table: upper-case headers and rows of cells.
pub(super) struct Table {
    pub(super) headers: Vec<&'static str>,
    pub(super) rows: Vec<Vec<String>>,
}

impl Table {
    pub(super) fn render(self, opts: TableOptions, namespaces: &[String]) -> String {
        let mut text = String::new();
        let mut push = |cells: &mut dyn Iterator<Item = String>| {
            let line: Vec<String> = cells.collect();
            text.push_str(&line.join("\t"));
            text.push('\n');
        };
        if !opts.no_headers {
            let ns = opts.all_namespaces.then(|| "NAMESPACE".to_string());
            push(
                &mut ns
                    .into_iter()
                    .chain(self.headers.iter().map(|h| h.to_string())),
            );
        }
        for (row, ns) in self.rows.into_iter().zip(namespaces) {
            let ns = opts.all_namespaces.then(|| ns.clone());
            push(&mut ns.into_iter().chain(row));
        }
        align(&text, TABLE)
    }
}

pub(super) fn namespace_of(
    meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
) -> String {
    meta.namespace
        .clone()
        .unwrap_or_else(|| "default".to_string())
}

/// `kubectl get jobs`: `NAME STATUS COMPLETIONS DURATION AGE` (+ `CONTAINERS IMAGES SELECTOR`).
pub fn jobs_table(jobs: &[Job], now: Timestamp, opts: TableOptions) -> String {
    let mut headers = vec!["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"];
    if opts.wide {
        headers.extend(["CONTAINERS", "IMAGES", "SELECTOR"]);
    }
    let rows = jobs.iter().map(|job| job_row(job, now, opts)).collect();
    let namespaces: Vec<String> = jobs.iter().map(|j| namespace_of(&j.metadata)).collect();
    Table { headers, rows }.render(opts, &namespaces)
}

/// The STATUS column of a Job (first match: Complete, Failed, Terminating, Suspended,
/// FailureTarget, Running).
pub fn job_status(job: &Job) -> &'static str {
    let has = |type_: &str| {
        job.status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())
            .is_some_and(|cs| cs.iter().any(|c| c.type_ == type_ && c.status == "True"))
    };
    if has("Complete") {
        "Complete"
    } else if has("Failed") {
        "Failed"
    } else if job.metadata.deletion_timestamp.is_some() {
        "Terminating"
    } else if has("Suspended") {
        "Suspended"
    } else if has("FailureTarget") {
        "FailureTarget"
    } else {
        "Running"
    }
}

fn job_row(job: &Job, now: Timestamp, opts: TableOptions) -> Vec<String> {
    let spec = job.spec.clone().unwrap_or_default();
    let status = job.status.clone().unwrap_or_default();
    let succeeded = status.succeeded.unwrap_or(0);
    let completions = match spec.completions {
        Some(c) => format!("{succeeded}/{c}"),
        None if spec.parallelism.unwrap_or(0) > 1 => {
            format!("{succeeded}/1 of {}", spec.parallelism.unwrap_or(0))
        }
        None => format!("{succeeded}/1"),
    };
    let duration = match (&status.start_time, &status.completion_time) {
        (None, _) => String::new(),
        (Some(start), None) => human_between(start.0, now),
        (Some(start), Some(end)) => human_between(start.0, end.0),
    };
    let mut row = vec![
        name_cell("job.batch", job.metadata.name.as_ref(), opts),
        job_status(job).to_string(),
        completions,
        duration,
        age(job.metadata.creation_timestamp.as_ref(), now),
    ];
    if opts.wide {
        let containers = spec
            .template
            .spec
            .as_ref()
            .map(|p| p.containers.as_slice())
            .unwrap_or_default();
        let (names, images) = container_cells(containers);
        row.extend([names, images, format_selector(spec.selector.as_ref())]);
    }
    row
}

fn container_cells(containers: &[Container]) -> (String, String) {
    let names: Vec<&str> = containers.iter().map(|c| c.name.as_str()).collect();
    let images: Vec<&str> = containers
        .iter()
        .map(|c| c.image.as_deref().unwrap_or(""))
        .collect();
    (names.join(","), images.join(","))
}

/// `metav1.FormatLabelSelector`: requirements sorted by key, `<none>` when empty.
pub fn format_selector(selector: Option<&LabelSelector>) -> String {
    let text = selector_string(selector);
    if text.is_empty() {
        "<none>".to_string()
    } else {
        text
    }
}

/// `labels.Selector.String()` of `LabelSelectorAsSelector` (empty when there is none).
pub fn selector_string(selector: Option<&LabelSelector>) -> String {
    let Some(selector) = selector else {
        return String::new();
    };
    let mut requirements: Vec<(String, String)> = Vec::new();
    for (k, v) in selector.match_labels.iter().flatten() {
        requirements.push((k.clone(), format!("{k}={v}")));
    }
    for expr in selector.match_expressions.iter().flatten() {
        let mut values = expr.values.clone().unwrap_or_default();
        values.sort();
        let key = &expr.key;
        let text = match expr.operator.as_str() {
            "In" => format!("{key} in ({})", values.join(",")),
            "NotIn" => format!("{key} notin ({})", values.join(",")),
            "Exists" => key.clone(),
            "DoesNotExist" => format!("!{key}"),
            other => format!("{key} {other} ({})", values.join(",")),
        };
        requirements.push((key.clone(), text));
    }
    requirements.sort_by(|a, b| a.0.cmp(&b.0));
    requirements
        .into_iter()
        .map(|(_, t)| t)
        .collect::<Vec<_>>()
        .join(",")
}

/// `kubectl get pods`: `NAME READY STATUS RESTARTS AGE` (+ `IP NODE NOMINATED NODE READINESS GATES`).
pub fn pods_table(pods: &[Pod], now: Timestamp, opts: TableOptions) -> String {
    let mut headers = vec!["NAME", "READY", "STATUS", "RESTARTS", "AGE"];
    if opts.wide {
        headers.extend(["IP", "NODE", "NOMINATED NODE", "READINESS GATES"]);
    }
    let rows = pods.iter().map(|pod| pod_row(pod, now, opts)).collect();
    let namespaces: Vec<String> = pods.iter().map(|p| namespace_of(&p.metadata)).collect();
    Table { headers, rows }.render(opts, &namespaces)
}

/// What `printPod` computes for one pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodSummary {
    /// READY: `ready/containers`.
    pub ready: String,
    /// STATUS: the reason shown.
    pub status: String,
    /// Total restarts.
    pub restarts: i32,
    /// When the last restart's container ended.
    pub last_restart: Option<Timestamp>,
}

/// The READY/STATUS/RESTARTS cells of a pod, following `printPod` (containers walked last to
/// first; `Completed` with a running container turns back into `Running`/`NotReady`;
/// `Terminating` for a deleted, non-terminal pod).
pub fn pod_summary(pod: &Pod) -> PodSummary {
    let status = pod.status.clone().unwrap_or_default();
    let total = pod.spec.as_ref().map_or(0, |s| s.containers.len());
    let phase = status.phase.clone().unwrap_or_default();
    let mut reason = status.reason.clone().unwrap_or_else(|| phase.clone());
    let mut restarts = 0;
    let mut ready = 0;
    let mut last_restart: Option<Timestamp> = None;
    let mut has_running = false;
    for container in status.container_statuses.iter().flatten().rev() {
        restarts += container.restart_count;
        if let Some(t) = container
            .last_state
            .as_ref()
            .and_then(|s| s.terminated.as_ref())
        {
            if let Some(Time(at)) = t.finished_at {
                last_restart = Some(last_restart.map_or(at, |l| l.max(at)));
            }
        }
        let state = container.state.clone().unwrap_or_default();
        let waiting = state.waiting.as_ref().and_then(|w| w.reason.clone());
        let terminated = state.terminated.as_ref();
        if let Some(w) = waiting.filter(|r| !r.is_empty()) {
            reason = w;
        } else if let Some(t) = terminated {
            reason = match t.reason.as_deref() {
                Some(r) if !r.is_empty() => r.to_string(),
                _ if t.signal.unwrap_or(0) != 0 => format!("Signal:{}", t.signal.unwrap_or(0)),
                _ => format!("ExitCode:{}", t.exit_code),
            };
        } else if container.ready && state.running.is_some() {
            has_running = true;
            ready += 1;
        }
    }
    if reason == "Completed" && has_running {
        let pod_ready = status
            .conditions
            .iter()
            .flatten()
            .any(|c| c.type_ == "Ready" && c.status == "True");
        reason = if pod_ready { "Running" } else { "NotReady" }.to_string();
    }
    let terminal = phase == "Succeeded" || phase == "Failed";
    if pod.metadata.deletion_timestamp.is_some() && !terminal {
        reason = "Terminating".to_string();
    }
    PodSummary {
        ready: format!("{ready}/{total}"),
        status: reason,
        restarts,
        last_restart,
    }
}

fn pod_row(pod: &Pod, now: Timestamp, opts: TableOptions) -> Vec<String> {
    let summary = pod_summary(pod);
    let restarts = match summary.last_restart {
        Some(at) if summary.restarts != 0 => {
            format!("{} ({} ago)", summary.restarts, human_between(at, now))
        }
        _ => summary.restarts.to_string(),
    };
    let mut row = vec![
        name_cell("pod", pod.metadata.name.as_ref(), opts),
        summary.ready,
        summary.status,
        restarts,
        age(pod.metadata.creation_timestamp.as_ref(), now),
    ];
    if opts.wide {
        let none = |s: Option<String>| s.filter(|s| !s.is_empty()).unwrap_or("<none>".into());
        let status = pod.status.as_ref();
        row.extend([
            none(status.and_then(|s| s.pod_ip.clone())),
            none(pod.spec.as_ref().and_then(|s| s.node_name.clone())),
            none(status.and_then(|s| s.nominated_node_name.clone())),
            "<none>".to_string(),
        ]);
    }
    row
}

/// `kubectl get events`: `LAST SEEN TYPE REASON OBJECT MESSAGE` (wide adds `SUBOBJECT SOURCE`
/// before MESSAGE and `FIRST SEEN COUNT NAME` after it).
pub fn events_table(events: &[Event], now: Timestamp, opts: TableOptions) -> String {
    let mut headers = vec!["LAST SEEN", "TYPE", "REASON", "OBJECT"];
    if opts.wide {
        headers.extend([
            "SUBOBJECT",
            "SOURCE",
            "MESSAGE",
            "FIRST SEEN",
            "COUNT",
            "NAME",
        ]);
    } else {
        headers.push("MESSAGE");
    }
    let rows = events
        .iter()
        .map(|event| event_row(event, now, opts))
        .collect();
    let namespaces: Vec<String> = events.iter().map(|e| namespace_of(&e.metadata)).collect();
    Table { headers, rows }.render(opts, &namespaces)
}

fn event_row(event: &Event, now: Timestamp, opts: TableOptions) -> Vec<String> {
    let first = age(event.first_timestamp.as_ref(), now);
    let last = match event.last_timestamp.as_ref() {
        Some(t) => age(Some(t), now),
        None => first.clone(),
    };
    let object = &event.involved_object;
    let kind = object.kind.clone().unwrap_or_default().to_lowercase();
    let target = match object.name.as_deref() {
        Some(name) if !name.is_empty() => format!("{kind}/{name}"),
        _ => kind,
    };
    let message = event.message.clone().unwrap_or_default().trim().to_string();
    let type_ = event.type_.clone().unwrap_or_default();
    let reason = event.reason.clone().unwrap_or_default();
    if !opts.wide {
        return vec![last, type_, reason, target, message];
    }
    let source = event
        .source
        .as_ref()
        .and_then(|s| s.component.clone())
        .unwrap_or_default();
    vec![
        last,
        type_,
        reason,
        target,
        object.field_path.clone().unwrap_or_default(),
        source,
        message,
        first,
        event.count.unwrap_or(1).max(1).to_string(),
        name_cell("event", event.metadata.name.as_ref(), opts),
    ]
}
