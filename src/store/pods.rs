//! Pods, one row per attempt (`attempt` = restarts of the pod's containers so far), each
//! holding the `core/v1` Pod as it was after that attempt, with every container's engine ID;
//! views read the latest attempt.
//! Where an attempt ran (node, host IP, pod IPs) has its own columns, written once known and
//! never cleared, and goes into the Pod when it is read: a pod keeps the addresses of its
//! newest attempt that had any, as a Kubernetes pod keeps its IP across container restarts
//! and after it ends.

use std::collections::BTreeMap;

use k8s_openapi::api::batch::v1::{Job, JobStatus};
use k8s_openapi::api::core::v1::Pod;
use rusqlite::params;

use super::events::{EventKey, EventRows};
use super::{Store, StoreError};
use crate::engine::PodNetwork;
use crate::job::controller::{JobEvent, PodRecord};

/// A pod as the views see it: its latest attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredPod {
    /// The Pod object (status as of the latest attempt).
    pub pod: Pod,
    /// Owning Job's UID.
    pub job_uid: String,
    /// The latest attempt's restart number.
    pub attempt: i64,
    /// Engine container of the latest attempt (none if it was never created).
    pub container_id: Option<String>,
    /// Engine container of the attempt before it (for `logs --previous`).
    pub previous_container_id: Option<String>,
}

/// One attempt of a pod to save (a new one each time one of its containers restarts).
#[derive(Debug, Clone, PartialEq)]
pub struct PodAttempt {
    /// The controller's record of the pod.
    pub record: PodRecord,
    /// Restarts of the pod's containers so far (the row's `attempt`).
    pub attempt: u32,
    /// Engine container created last for the pod.
    pub container_id: Option<String>,
    /// Engine containers of the pod: (container name, restart number, ID).
    pub containers: Vec<(String, u32, String)>,
    /// Where the pod's containers ran, once the engine told.
    pub network: Option<PodNetwork>,
    /// Each container's `imageID` (its newest run's), as the kubelet reports it.
    pub image_ids: BTreeMap<String, String>,
}

/// The pod of `record` as stored: the Pod object with each container's current engine
/// container (`containerID: docker://…`) and, after a restart, the previous one
/// (`lastState.terminated.containerID`, what `logs --previous` reads), and the `imageID` of
/// each container that was created.
pub fn pod_object(
    job: &Job,
    record: &PodRecord,
    containers: &[(String, u32, String)],
    image_ids: &BTreeMap<String, String>,
) -> Pod {
    let mut pod = record.to_pod(job);
    let statuses = pod
        .status
        .iter_mut()
        .flat_map(|s| s.container_statuses.iter_mut().flatten());
    for status in statuses {
        let state = status.state.get_or_insert_with(Default::default);
        if state.waiting.is_none() && state.terminated.is_none() && state.running.is_none() {
            // Created but not started yet: the kubelet reports `ContainerCreating`.
            state.waiting = Some(k8s_openapi::api::core::v1::ContainerStateWaiting {
                reason: Some("ContainerCreating".to_string()),
                message: None,
            });
        }
        let mut runs: Vec<&(String, u32, String)> = containers
            .iter()
            .filter(|(n, _, _)| *n == status.name)
            .collect();
        runs.sort_by_key(|(_, restart, _)| *restart);
        if let Some((_, _, id)) = runs.last() {
            status.container_id = Some(format!("docker://{id}"));
        }
        if let Some(image_id) = image_ids.get(&status.name) {
            status.image_id = image_id.clone();
        }
        let last = status
            .last_state
            .as_mut()
            .and_then(|s| s.terminated.as_mut());
        if let (Some(last), Some((_, _, id))) = (last, runs.len().checked_sub(2).map(|i| runs[i])) {
            last.container_id = Some(format!("docker://{id}"));
        }
    }
    pod
}

/// Puts `network` into the Pod as the kubelet and scheduler report it: `spec.nodeName`,
/// `status.hostIP(s)`, `status.podIP(s)`.
fn place(pod: &mut Pod, network: &PodNetwork) {
    use k8s_openapi::api::core::v1::{HostIP, PodIP};
    let spec = pod.spec.get_or_insert_with(Default::default);
    spec.node_name = Some(network.node_name.clone()).filter(|n| !n.is_empty());
    let status = pod.status.get_or_insert_with(Default::default);
    if !network.host_ip.is_empty() {
        status.host_ip = Some(network.host_ip.clone());
        status.host_ips = Some(vec![HostIP {
            ip: network.host_ip.clone(),
        }]);
    }
    status.pod_ip = network.pod_ips.first().cloned();
    status.pod_ips = Some(
        network
            .pod_ips
            .iter()
            .map(|ip| PodIP { ip: ip.clone() })
            .collect(),
    )
    .filter(|ips: &Vec<PodIP>| !ips.is_empty());
}

impl Store {
    /// Saves one controller step in one transaction: the Job's status, the current attempt of
    /// the given pods (others keep their rows), and new events (identical events are
    /// aggregated into a count).
    pub fn save_snapshot(
        &mut self,
        job: &Job,
        status: &JobStatus,
        attempts: &[PodAttempt],
        events: &[JobEvent],
    ) -> Result<(), StoreError> {
        let rows = SnapshotRows::new(job, status, attempts);
        self.write(|tx| rows.save(tx, events, None))
    }
}

/// A controller step's Job status and pods, serialised, ready to be written in a transaction
/// ([`Store::save_snapshot`], or with the step's inputs by the recorder).
pub(super) struct SnapshotRows<'a> {
    uid: String,
    namespace: String,
    status_json: String,
    /// Each pod attempt with its Pod object as JSON.
    rows: Vec<(&'a PodAttempt, String)>,
}

impl<'a> SnapshotRows<'a> {
    pub(super) fn new(job: &Job, status: &JobStatus, attempts: &'a [PodAttempt]) -> Self {
        let uid = job.metadata.uid.clone().unwrap_or_default();
        let namespace = job
            .metadata
            .namespace
            .clone()
            .unwrap_or_else(|| "default".into());
        let status_json = serde_json::to_string(status).unwrap_or_default();
        let rows = attempts
            .iter()
            .map(|a| {
                let pod = pod_object(job, &a.record, &a.containers, &a.image_ids);
                (a, serde_json::to_string(&pod).unwrap_or_default())
            })
            .collect();
        SnapshotRows {
            uid,
            namespace,
            status_json,
            rows,
        }
    }

    /// Writes the status, the pod rows and `events` (identical events aggregated) in `tx`:
    /// with those a writer stored before (`events_to`: its [`EventRows`] and where to list
    /// new rows), else with any stored one.
    pub(super) fn save(
        &self,
        tx: &rusqlite::Transaction<'_>,
        events: &[JobEvent],
        events_to: Option<(&EventRows, &mut Vec<(EventKey, i64)>)>,
    ) -> Result<(), rusqlite::Error> {
        let SnapshotRows {
            uid,
            namespace,
            status_json,
            rows,
        } = self;
        // Cached statements: this runs after every controller step, and preparing (parsing)
        // the SQL anew each time was a fifth of the CPU of a 40-pod run.
        tx.prepare_cached("UPDATE jobs SET status = ?1 WHERE uid = ?2")?
            .execute(params![status_json, uid])?;
        let mut upsert = tx.prepare_cached(
            "INSERT INTO pods (namespace, name, attempt, job_uid, uid, container_id, phase,
                exit_code, reason, restarts, created_at, started_at, finished_at, object,
                node_name, host_ip, pod_ips)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,
                ?15, ?16, ?17)
             ON CONFLICT (namespace, name, attempt) DO UPDATE SET
                container_id = excluded.container_id, phase = excluded.phase,
                exit_code = excluded.exit_code, reason = excluded.reason,
                restarts = excluded.restarts, started_at = excluded.started_at,
                finished_at = excluded.finished_at, object = excluded.object,
                node_name = COALESCE(excluded.node_name, pods.node_name),
                host_ip = COALESCE(excluded.host_ip, pods.host_ip),
                pod_ips = COALESCE(excluded.pod_ips, pods.pod_ips)",
        )?;
        for (a, object) in rows {
            let r = &a.record;
            // The columns summarise the first container (the object has them all).
            let first = r.containers.first();
            let term = first.and_then(|c| c.terminated.as_ref());
            upsert.execute(params![
                namespace,
                r.name,
                a.attempt,
                uid,
                r.uid,
                a.container_id,
                r.phase.as_str(),
                term.map(|t| t.exit_code),
                term.map(|t| t.reason.clone())
                    .or_else(|| first.and_then(|c| c.waiting_reason.clone())),
                r.restart_count(),
                r.created.to_string(),
                first.and_then(|c| c.running_since).map(|t| t.to_string()),
                term.map(|t| t.finished_at.to_string()),
                object,
                // Unknown parts stay NULL so that they never blank a known value.
                a.network
                    .as_ref()
                    .map(|n| n.node_name.clone())
                    .filter(|v| !v.is_empty()),
                a.network
                    .as_ref()
                    .map(|n| n.host_ip.clone())
                    .filter(|v| !v.is_empty()),
                a.network
                    .as_ref()
                    .map(|n| n.pod_ips.join(","))
                    .filter(|v| !v.is_empty()),
            ])?;
        }
        match events_to {
            Some((stored, added)) => {
                for event in events {
                    stored.insert(tx, uid, event, added)?;
                }
            }
            None => {
                for event in events {
                    super::events::insert_event(tx, uid, event)?;
                }
            }
        }
        Ok(())
    }
}

impl Store {
    /// Pods (latest attempt each) of a namespace (`None`: all) and optionally one Job, in
    /// the API server's order (namespace, name).
    pub fn list_pods(
        &self,
        namespace: Option<&str>,
        job_uid: Option<&str>,
    ) -> Result<Vec<StoredPod>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT p.object, p.job_uid, p.attempt, p.container_id,
                    (SELECT q.container_id FROM pods q WHERE q.namespace = p.namespace
                        AND q.name = p.name AND q.attempt < p.attempt ORDER BY q.attempt DESC LIMIT 1),
                    (SELECT k.node_name FROM pods k WHERE k.namespace = p.namespace
                        AND k.name = p.name AND k.node_name IS NOT NULL
                        ORDER BY k.attempt DESC LIMIT 1),
                    n.host_ip, n.pod_ips
                 FROM pods p
                 LEFT JOIN pods n ON n.namespace = p.namespace AND n.name = p.name
                    AND n.attempt = (SELECT MAX(attempt) FROM pods k WHERE k.namespace = p.namespace
                                     AND k.name = p.name AND k.pod_ips IS NOT NULL)
                 WHERE (?1 IS NULL OR p.namespace = ?1) AND (?2 IS NULL OR p.job_uid = ?2)
                   AND p.attempt = (SELECT MAX(attempt) FROM pods m
                                    WHERE m.namespace = p.namespace AND m.name = p.name)
                 ORDER BY p.namespace, p.name",
            )
            .map_err(|e| self.sqlite(e))?;
        type Row = (
            (String, String, i64, Option<String>, Option<String>),
            Option<PodNetwork>,
        );
        let rows: Vec<Row> = stmt
            .query_map(params![namespace, job_uid], |r| {
                // The node is known from scheduling on; the addresses only if a container
                // was seen running (a pod that ends at once has a node and no IP).
                let node: Option<String> = r.get(5)?;
                let host_ip: Option<String> = r.get(6)?;
                let ips: Option<String> = r.get(7)?;
                let network = (node.is_some() || ips.is_some()).then(|| PodNetwork {
                    node_name: node.unwrap_or_default(),
                    host_ip: host_ip.unwrap_or_default(),
                    pod_ips: ips
                        .unwrap_or_default()
                        .split(',')
                        .filter(|s| !s.is_empty())
                        .map(String::from)
                        .collect(),
                });
                Ok((
                    (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?),
                    network,
                ))
            })
            .and_then(|rows| rows.collect())
            .map_err(|e| self.sqlite(e))?;
        rows.into_iter()
            .map(
                |((object, job_uid, attempt, container_id, previous), network)| {
                    let mut pod: Pod =
                        serde_json::from_str(&object).map_err(|e| self.corrupt("pod", e))?;
                    if let Some(network) = &network {
                        place(&mut pod, network);
                    }
                    Ok(StoredPod {
                        pod,
                        job_uid,
                        attempt,
                        container_id,
                        previous_container_id: previous,
                    })
                },
            )
            .collect()
    }

    /// Every engine container recorded for a Job (all attempts), for cleanup.
    pub fn job_container_ids(&self, job_uid: &str) -> Result<Vec<String>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT container_id FROM pods WHERE job_uid = ?1 AND container_id IS NOT NULL",
            )
            .map_err(|e| self.sqlite(e))?;
        let ids = stmt
            .query_map(params![job_uid], |r| r.get(0))
            .and_then(|rows| rows.collect())
            .map_err(|e| self.sqlite(e))?;
        Ok(ids)
    }
}
