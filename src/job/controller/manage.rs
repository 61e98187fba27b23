//! `manageJob`: how many pods should run, creating them after the pod-failure backoff or
//! deleting the surplus (kubernetes `pkg/controller/job/job_controller.go` `manageJob`,
//! `pkg/controller/job/indexed_job_utils.go` for Indexed Jobs).

use k8s_openapi::jiff::Timestamp;

use super::types::{Action, ContainerRecord, DeleteCause, EventType, PodPhase, PodRecord};
use super::{time, Controller};
use crate::job::backoff::pod_failure_delay;
use crate::job::names::{generate_name, pod_generate_name};

impl Controller {
    /// `manageJob`: how many pods should be active, then create (after backoff) or delete.
    pub(super) fn manage_pods(&mut self, now: Timestamp) -> Vec<Action> {
        self.creation_due = None;
        let active: Vec<String> = self
            .pods
            .iter()
            .filter(|p| p.is_active())
            .map(|p| p.name.clone())
            .collect();
        let parallelism = self.plan.parallelism.max(0) as usize;
        if self.plan.indexed {
            return self.manage_indexed(active.len(), parallelism, now);
        }
        let want = match self.plan.completions {
            // Work queue: no new pods after the first success.
            None if self.succeeded > 0 => active.len(),
            None => parallelism,
            Some(c) => ((c - self.succeeded).max(0) as usize).min(parallelism),
        };
        if active.len() > want {
            // Surplus: newest first (all our pods are scheduled; pending ones first).
            let mut surplus = active;
            surplus.reverse();
            surplus.sort_by_key(|n| self.pod(n).map(|p| p.phase != PodPhase::Pending));
            let excess = surplus.len() - want;
            return surplus[..excess]
                .iter()
                .map(|n| self.delete_pod(&n.clone(), DeleteCause::Surplus, now))
                .collect();
        }
        if active.len() == want {
            return Vec::new();
        }
        if let Some(due) = self.backoff_due(
            self.failures_since_success.len(),
            self.failures_since_success.iter().max().copied(),
        ) {
            if due > now {
                self.creation_due = Some(due);
                return Vec::new();
            }
        }
        (active.len()..want)
            .map(|_| self.create_pod(None, now))
            .collect()
    }

    fn manage_indexed(&mut self, active: usize, parallelism: usize, now: Timestamp) -> Vec<Action> {
        let completions = self.plan.completions.unwrap_or(0).max(0);
        let busy: Vec<i32> = self
            .pods
            .iter()
            .filter(|p| p.is_active())
            .filter_map(|p| p.index)
            .collect();
        let pending: Vec<i32> = (0..completions)
            .filter(|i| {
                !self.completed_indexes.contains(i)
                    && !self.failed_indexes.contains(i)
                    && !busy.contains(i)
            })
            .collect();
        let mut room = parallelism.saturating_sub(active);
        let mut actions = Vec::new();
        let global_due = self.backoff_due(
            self.failures_since_success.len(),
            self.failures_since_success.iter().max().copied(),
        );
        for index in pending {
            if room == 0 {
                break;
            }
            let due = match self.plan.backoff_limit_per_index {
                Some(_) => self.index_failures.get(&index).and_then(|f| {
                    self.backoff_due((f.failed + f.ignored).max(0) as usize, f.last_failure)
                }),
                None => global_due,
            };
            if let Some(due) = due.filter(|d| *d > now) {
                self.creation_due = Some(self.creation_due.map_or(due, |c| c.min(due)));
                if self.plan.backoff_limit_per_index.is_none() {
                    break;
                }
                continue;
            }
            actions.push(self.create_pod(Some(index), now));
            room -= 1;
        }
        actions
    }

    /// When the next pod may be created after `failures` consecutive failures, the last at `last`.
    fn backoff_due(&self, failures: usize, last: Option<Timestamp>) -> Option<Timestamp> {
        let last = last?;
        let n = u32::try_from(failures).unwrap_or(u32::MAX);
        (n > 0).then(|| time::add(last, pod_failure_delay(n, self.scale)))
    }

    fn create_pod(&mut self, index: Option<i32>, now: Timestamp) -> Action {
        let name = generate_name(&pod_generate_name(&self.plan.name, index), &mut self.rng);
        let uid = crate::job::names::random_uid(&mut self.rng);
        let failures = index
            .and_then(|i| self.index_failures.get(&i))
            .copied()
            .unwrap_or_default();
        self.pods.push(PodRecord {
            name: name.clone(),
            uid,
            index,
            phase: PodPhase::Pending,
            created: now,
            containers: self
                .plan
                .containers
                .iter()
                .map(|(name, _)| ContainerRecord::new(name))
                .collect(),
            ended: None,
            deleting: None,
            index_failure_count: failures.failed,
            index_ignored_failure_count: failures.ignored,
            counted: false,
        });
        self.record_job_event(
            EventType::Normal,
            "SuccessfulCreate",
            format!("Created pod: {name}"),
            now,
        );
        Action::CreatePod { pod: name }
    }
}
