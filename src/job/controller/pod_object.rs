//! A [`PodRecord`] as a `core/v1` Pod (metadata, spec from the template, status with
//! container states), for stores and kubectl-style renderers.

use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{
    ContainerState, ContainerStateRunning, ContainerStateTerminated, ContainerStateWaiting,
    ContainerStatus, Pod, PodCondition, PodStatus,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference, Time};

use super::types::{ContainerRecord, PodPhase, PodRecord, Termination};
use crate::job::pod::{pod_annotations, pod_labels};
use k8s_openapi::jiff::Timestamp;

impl PodRecord {
    /// This pod as the API server would return it.
    pub fn to_pod(&self, job: &Job) -> Pod {
        let mut spec = job
            .spec
            .as_ref()
            .and_then(|s| s.template.spec.clone())
            .unwrap_or_default();
        let job_name = job.metadata.name.clone().unwrap_or_default();
        if let Some(i) = self.index {
            spec.hostname = Some(format!("{job_name}-{i}"));
        }
        let images = spec
            .containers
            .iter()
            .map(|c| (c.name.as_str(), c.image.as_deref()));
        let images: Vec<(&str, Option<&str>)> = images.collect();
        let container_statuses = self
            .containers
            .iter()
            .map(|c| {
                let image = images
                    .iter()
                    .find(|(n, _)| *n == c.name)
                    .and_then(|(_, i)| *i)
                    .unwrap_or_default();
                container_status(self.phase, c, image)
            })
            .collect();
        Pod {
            metadata: ObjectMeta {
                name: Some(self.name.clone()),
                namespace: job.metadata.namespace.clone(),
                uid: Some(self.uid.clone()),
                labels: Some(pod_labels(job, self.index)),
                annotations: Some(self.annotations(job)),
                creation_timestamp: Some(Time(self.created)),
                deletion_timestamp: self.deleting.map(|(at, _)| Time(at)),
                owner_references: Some(vec![OwnerReference {
                    api_version: "batch/v1".to_string(),
                    kind: "Job".to_string(),
                    name: job_name,
                    uid: job.metadata.uid.clone().unwrap_or_default(),
                    controller: Some(true),
                    block_owner_deletion: Some(true),
                }]),
                ..Default::default()
            },
            spec: Some(spec),
            status: Some(PodStatus {
                phase: Some(self.phase.as_str().to_string()),
                start_time: Some(Time(self.created)),
                conditions: Some(self.conditions()),
                container_statuses: Some(container_statuses),
                ..Default::default()
            }),
        }
    }

    /// `status.conditions` as the kubelet writes them (`generateAPIPodStatus`, k8s 1.29+), in
    /// its order: PodReadyToStartContainers, Initialized, Ready, ContainersReady,
    /// PodScheduled. No init containers and no probes: a pod is initialized at once and ready
    /// while all its containers run.
    pub fn conditions(&self) -> Vec<PodCondition> {
        let condition = |type_: &str,
                         status: bool,
                         at: Timestamp,
                         reason: Option<String>,
                         message: Option<String>| PodCondition {
            type_: type_.to_string(),
            status: if status { "True" } else { "False" }.to_string(),
            last_transition_time: Some(Time(at)),
            reason,
            message,
            ..Default::default()
        };
        let terminal = self.phase.is_terminal();
        let ended = self.ended.unwrap_or(self.created);
        let all_running = self.phase == PodPhase::Running
            && self.containers.iter().all(ContainerRecord::is_running);
        let (ready_at, reason, message) = if terminal {
            (ended, Some("PodCompleted".to_string()), None)
        } else if all_running {
            let started = self.containers.iter().filter_map(|c| c.running_since).max();
            (started.unwrap_or(self.created), None, None)
        } else {
            let unready: Vec<&str> = self
                .containers
                .iter()
                .filter(|c| !c.is_running())
                .map(|c| c.name.as_str())
                .collect();
            let message = format!("containers with unready status: [{}]", unready.join(" "));
            (
                self.created,
                Some("ContainersNotReady".to_string()),
                Some(message),
            )
        };
        vec![
            condition(
                "PodReadyToStartContainers",
                !terminal,
                if terminal { ended } else { self.created },
                None,
                None,
            ),
            condition("Initialized", true, self.created, None, None),
            condition(
                "Ready",
                all_running,
                ready_at,
                reason.clone(),
                message.clone(),
            ),
            condition("ContainersReady", all_running, ready_at, reason, message),
            condition("PodScheduled", true, self.created, None, None),
        ]
    }

    /// Template annotations, the completion index and, with backoffLimitPerIndex, the
    /// per-index failure counters (`batch.kubernetes.io/job-index-failure-count`).
    fn annotations(&self, job: &Job) -> std::collections::BTreeMap<String, String> {
        let mut annotations = pod_annotations(job, self.index);
        let per_index = job.spec.as_ref().and_then(|s| s.backoff_limit_per_index);
        if per_index.is_some() && self.index.is_some() {
            annotations.insert(
                "batch.kubernetes.io/job-index-failure-count".to_string(),
                self.index_failure_count.to_string(),
            );
            if self.index_ignored_failure_count > 0 {
                annotations.insert(
                    "batch.kubernetes.io/job-index-ignored-failure-count".to_string(),
                    self.index_ignored_failure_count.to_string(),
                );
            }
        }
        annotations
    }
}

/// `status.containerStatuses[]` entry of one container.
fn container_status(phase: PodPhase, c: &ContainerRecord, image: &str) -> ContainerStatus {
    ContainerStatus {
        name: c.name.clone(),
        image: image.to_string(),
        ready: phase == PodPhase::Running && c.is_running(),
        restart_count: i32::try_from(c.restart_count).unwrap_or(i32::MAX),
        started: Some(c.is_running()),
        state: Some(container_state(c)),
        // In CrashLoopBackOff the exit just seen is already the "last state".
        last_state: match (&c.waiting_reason, &c.terminated) {
            (Some(_), Some(t)) => Some(t),
            _ => c.last_termination.as_ref(),
        }
        .map(|t| ContainerState {
            terminated: Some(terminated(t)),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn container_state(c: &ContainerRecord) -> ContainerState {
    if let Some(reason) = c.waiting_reason.as_ref() {
        return ContainerState {
            waiting: Some(ContainerStateWaiting {
                reason: Some(reason.clone()),
                message: c.waiting_message.clone(),
            }),
            ..Default::default()
        };
    }
    if let Some(t) = c.terminated.as_ref() {
        return ContainerState {
            terminated: Some(terminated(t)),
            ..Default::default()
        };
    }
    ContainerState {
        running: Some(ContainerStateRunning {
            started_at: c.running_since.map(Time),
        }),
        ..Default::default()
    }
}

fn terminated(t: &Termination) -> ContainerStateTerminated {
    ContainerStateTerminated {
        exit_code: i32::try_from(t.exit_code).unwrap_or(-1),
        reason: Some(t.reason.clone()),
        message: t.message.clone(),
        // A container that never ran (its start failed) has the runtime's start time 0: the
        // kubelet's `toKubeContainerStatus` (`kuberuntime/kuberuntime_container.go`) makes
        // it `time.Unix(0, 0)`, which `describe` shows as `Thu, 01 Jan 1970 00:00:00 +0000`.
        started_at: Some(Time(t.started_at.unwrap_or(Timestamp::UNIX_EPOCH))),
        finished_at: Some(Time(t.finished_at)),
        ..Default::default()
    }
}
