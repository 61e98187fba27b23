//! The pure half of the Swarm runtime: the service that runs one pod attempt, and how the
//! engine's task and node JSON reads (the fields dockjob needs; bollard 0.21's `Task` has no
//! `NetworksAttachments`).

use std::collections::HashMap;

use bollard::auth::DockerCredentials;
use bollard::models::{
    Limit, NetworkAttachmentConfig, ServiceSpec, ServiceSpecMode, ServiceSpecModeReplicatedJob,
    TaskSpec, TaskSpecContainerSpec, TaskSpecPlacement, TaskSpecResources, TaskSpecRestartPolicy,
    TaskSpecRestartPolicyConditionEnum,
};
use serde::Deserialize;

use super::POD_NETWORK;
use crate::engine::{ContainerExit, ContainerSpec};
use crate::registry::credentials::Credentials;

/// The fields of a task dockjob reads (the engine's JSON; bollard 0.21's `Task` has no
/// `NetworksAttachments`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub(super) struct TaskView {
    pub(super) version: Version,
    #[serde(rename = "NodeID")]
    pub(super) node_id: String,
    pub(super) status: TaskStatusView,
    pub(super) networks_attachments: Vec<NetworkAttachmentView>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub(super) struct Version {
    pub(super) index: u64,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub(super) struct TaskStatusView {
    pub(super) state: String,
    pub(super) err: String,
    pub(super) container_status: ContainerStatusView,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub(super) struct ContainerStatusView {
    pub(super) exit_code: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub(super) struct NetworkAttachmentView {
    pub(super) addresses: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub(super) struct NodeView {
    pub(super) description: NodeDescriptionView,
    pub(super) status: NodeStatusView,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub(super) struct NodeDescriptionView {
    pub(super) hostname: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub(super) struct NodeStatusView {
    pub(super) state: String,
    pub(super) addr: String,
}

/// How a task ended, once it has (Swarm's terminal states).
pub(super) fn task_exit(task: &TaskView) -> Option<ContainerExit> {
    let status = &task.status;
    let error = (!status.err.is_empty()).then(|| status.err.clone());
    match status.state.as_str() {
        "complete" => Some(ContainerExit {
            code: status.container_status.exit_code.unwrap_or(0),
            ..ContainerExit::default()
        }),
        "failed" => Some(ContainerExit {
            code: status
                .container_status
                .exit_code
                .filter(|c| *c != 0)
                .unwrap_or(1),
            oom_killed: false,
            error,
        }),
        // The node could not run it (no such image, no node matches the constraints after
        // all, …): as a container that never started.
        "rejected" => Some(ContainerExit {
            code: 128,
            oom_killed: false,
            error: error.or_else(|| Some("the swarm rejected the task".to_string())),
        }),
        "shutdown" | "orphaned" | "remove" => Some(ContainerExit {
            code: 137,
            oom_killed: false,
            error: error.or_else(|| Some(format!("the task was {}", status.state))),
        }),
        _ => None,
    }
}

/// Splits Swarm's `TIMESTAMP text` log line.
pub(super) fn split_timestamp(line: &[u8]) -> Option<(jiff::Timestamp, &[u8])> {
    let space = line.iter().position(|&b| b == b' ')?;
    let stamp = std::str::from_utf8(&line[..space]).ok()?.parse().ok()?;
    Some((stamp, &line[space + 1..]))
}

/// A service name from a container name: Swarm allows `[A-Za-z0-9-]`, so the `.` of a
/// restart (`pod.1`) and the `_` of a container (`pod_c`) become `--`.
pub(super) fn service_name(container: &str) -> String {
    container.replace(['.', '_'], "--")
}

/// The service that runs one container attempt.
pub(super) fn service_spec(spec: &ContainerSpec) -> ServiceSpec {
    let labels: HashMap<String, String> = spec.labels.clone().into_iter().collect();
    let mut constraints: Vec<String> = spec
        .node_selector
        .iter()
        .map(|(k, v)| format!("node.labels.{k}=={v}"))
        .collect();
    if let Some(node) = &spec.node_name {
        constraints.push(format!("node.hostname=={node}"));
    }
    let nano_cpus = match (spec.cpu_quota, spec.cpu_period) {
        (Some(quota), Some(period)) if period > 0 => Some(quota * 1_000_000_000 / period),
        _ => None,
    };
    ServiceSpec {
        name: Some(service_name(&spec.name)),
        labels: Some(labels.clone()),
        task_template: Some(TaskSpec {
            container_spec: Some(TaskSpecContainerSpec {
                image: Some(spec.image.clone()),
                labels: Some(labels),
                command: spec.entrypoint.clone(),
                args: spec.cmd.clone(),
                hostname: spec.hostname.clone(),
                env: Some(spec.env.clone()),
                dir: spec.working_dir.clone(),
                ..Default::default()
            }),
            resources: Some(TaskSpecResources {
                limits: Some(Limit {
                    nano_cpus,
                    memory_bytes: spec.memory_bytes,
                    pids: None,
                }),
                ..Default::default()
            }),
            restart_policy: Some(TaskSpecRestartPolicy {
                condition: Some(TaskSpecRestartPolicyConditionEnum::NONE),
                ..Default::default()
            }),
            placement: Some(TaskSpecPlacement {
                constraints: Some(constraints),
                ..Default::default()
            }),
            networks: Some(vec![NetworkAttachmentConfig {
                target: Some(POD_NETWORK.to_string()),
                ..Default::default()
            }]),
            ..Default::default()
        }),
        mode: Some(ServiceSpecMode {
            replicated_job: Some(ServiceSpecModeReplicatedJob {
                max_concurrent: Some(1),
                total_completions: Some(1),
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// `found` as the Engine API's `X-Registry-Auth` body.
pub(in crate::engine::docker) fn docker_credentials(found: Credentials) -> DockerCredentials {
    DockerCredentials {
        username: found.username().map(str::to_string),
        password: found.password().map(str::to_string),
        identitytoken: found.identity_token_value().map(str::to_string),
        serveraddress: Some(found.server_address().to_string()),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn restarts_and_containers_make_valid_service_names() {
        assert_eq!(service_name("job-abcde"), "job-abcde");
        assert_eq!(service_name("job-abcde.2"), "job-abcde--2");
    }

    #[test]
    fn the_service_runs_once_where_the_pod_may_go() {
        let spec = ContainerSpec {
            name: "job-x.1".into(),
            image: "r:5000/a:1".into(),
            cmd: Some(vec!["-c".into(), "echo 1".into()]),
            node_selector: BTreeMap::from([("disk".into(), "ssd".into())]),
            node_name: Some("node2".into()),
            cpu_quota: Some(50_000),
            cpu_period: Some(100_000),
            ..ContainerSpec::default()
        };
        let service = service_spec(&spec);
        assert_eq!(service.name.as_deref(), Some("job-x--1"));
        let mode = service.mode.unwrap().replicated_job.unwrap();
        assert_eq!(
            (mode.max_concurrent, mode.total_completions),
            (Some(1), Some(1))
        );
        let task = service.task_template.unwrap();
        assert_eq!(
            task.placement.unwrap().constraints.unwrap(),
            ["node.labels.disk==ssd", "node.hostname==node2"]
        );
        assert_eq!(
            task.restart_policy.unwrap().condition,
            Some(TaskSpecRestartPolicyConditionEnum::NONE)
        );
        assert_eq!(
            task.resources.unwrap().limits.unwrap().nano_cpus,
            Some(500_000_000)
        );
        let container = task.container_spec.unwrap();
        assert_eq!(container.command, None, "the image's ENTRYPOINT stays");
        assert_eq!(container.args.unwrap(), ["-c", "echo 1"]);
    }

    #[test]
    fn terminal_task_states_become_exits() {
        let task = |state: &str, code: Option<i64>, err: &str| TaskView {
            status: TaskStatusView {
                state: state.into(),
                err: err.into(),
                container_status: ContainerStatusView { exit_code: code },
            },
            ..TaskView::default()
        };
        assert_eq!(task_exit(&task("running", None, "")), None);
        assert_eq!(task_exit(&task("complete", Some(0), "")).unwrap().code, 0);
        let failed = task_exit(&task("failed", Some(3), "task: non-zero exit (3)")).unwrap();
        assert_eq!(failed.code, 3);
        let rejected = task_exit(&task("rejected", None, "No such image: x")).unwrap();
        assert_eq!(rejected.error.as_deref(), Some("No such image: x"));
    }

    #[test]
    fn log_lines_lose_their_timestamp() {
        let (stamp, text) = split_timestamp(b"2026-12-06T11:59:59.123456789Z 777\n").unwrap();
        assert_eq!(stamp.subsec_nanosecond(), 123_456_789);
        assert_eq!(text, b"777\n");
        assert!(split_timestamp(b"no-stamp").is_none());
    }
}
