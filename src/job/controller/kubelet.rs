//! The kubelet's half of a pod's life: container start, exit, in-place restarts with the
//! 10 s → 300 s backoff (restartPolicy OnFailure), image waits, and pod removal.
//!
//! Sources: kubelet `pkg/kubelet/kuberuntime/kuberuntime_manager.go` (`doBackOff`, restart
//! count), `pkg/kubelet/status/generate.go` (phases), events from `pkg/kubelet/events`.

use k8s_openapi::jiff::Timestamp;

use super::time;
use super::types::{Action, EventType, Input, PodPhase, Termination};
use super::Controller;
use crate::engine::ContainerExit;
use crate::job::backoff::container_restart_delay;
use crate::job::pod::exit_reason;

impl Controller {
    /// Updates pods from what the driver saw; returns restarts that are due.
    pub(super) fn apply_input(&mut self, input: Input, now: Timestamp) -> Vec<Action> {
        match input {
            Input::ContainerStarted { pod } => self.container_started(&pod, now),
            Input::ContainerWaiting {
                pod,
                reason,
                message,
            } => self.container_waiting(&pod, reason, message, now),
            Input::ContainerExited { pod, exit } => self.container_exited(&pod, &exit, now),
            Input::PodRemoved { pod } => {
                if let Some(p) = self.pods.iter_mut().find(|p| p.name == pod) {
                    if !p.phase.is_terminal() {
                        p.phase = PodPhase::Failed;
                        p.ended = Some(now);
                        p.retry_due = None;
                    }
                }
            }
            Input::PodEvent {
                pod,
                type_,
                reason,
                message,
            } => self.record_pod_event(&pod, type_, &reason, message, "kubelet", now),
            Input::Tick => {}
            Input::SetSuspend(suspend) => self.set_suspend(suspend),
            Input::Interrupt => self.interrupted = true,
        }
        self.due_restarts(now)
    }

    fn container_started(&mut self, name: &str, now: Timestamp) {
        let container = self.plan.container.clone();
        let Some(pod) = self.pods.iter_mut().find(|p| p.name == name) else {
            return;
        };
        if pod.phase.is_terminal() {
            return;
        }
        promote_restart(pod);
        pod.phase = PodPhase::Running;
        pod.running_since = Some(now);
        pod.waiting_reason = None;
        pod.waiting_message = None;
        self.record_pod_event(
            name,
            EventType::Normal,
            "Started",
            format!("Started container {container}"),
            "kubelet",
            now,
        );
    }

    fn container_waiting(&mut self, name: &str, reason: String, message: String, now: Timestamp) {
        let scale = self.scale;
        let Some(pod) = self.pods.iter_mut().find(|p| p.name == name) else {
            return;
        };
        if pod.phase.is_terminal() {
            return;
        }
        pod.backoff_steps += 1;
        pod.retry_due = Some(time::add(
            now,
            container_restart_delay(pod.backoff_steps, scale),
        ));
        // Kubelet events (`pkg/kubelet/images/image_manager.go`, `kuberuntime_container.go`):
        // a failed pull is `Failed`, then the pod waits in ImagePullBackOff.
        let (waiting, event_reason, event_message) = match reason.as_str() {
            "ErrImagePull" => ("ImagePullBackOff", "Failed", message.clone()),
            "ErrImageNeverPull" => ("ErrImageNeverPull", "ErrImageNeverPull", message.clone()),
            other => (other, "Failed", format!("Error: {message}")),
        };
        pod.waiting_reason = Some(waiting.to_string());
        pod.waiting_message = Some(message);
        self.record_pod_event(
            name,
            EventType::Warning,
            event_reason,
            event_message,
            "kubelet",
            now,
        );
        if reason == "ErrImagePull" {
            let message = format!("Back-off pulling image {:?}", self.plan.image);
            self.record_pod_event(name, EventType::Normal, "BackOff", message, "kubelet", now);
        }
    }

    fn container_exited(&mut self, name: &str, exit: &ContainerExit, now: Timestamp) {
        let (on_failure, scale, container) = (
            self.plan.on_failure,
            self.scale,
            self.plan.container.clone(),
        );
        let namespace = self.plan.namespace.clone();
        let Some(pod) = self.pods.iter_mut().find(|p| p.name == name) else {
            return;
        };
        if pod.phase.is_terminal() {
            return;
        }
        // A restart whose container failed to start still counts as a restart.
        promote_restart(pod);
        let reason = exit_reason(exit).to_string();
        let termination = Termination {
            exit_code: exit.code,
            reason: reason.clone(),
            message: exit.error.clone(),
            started_at: pod.running_since.take(),
            finished_at: now,
        };
        let previous_exit = pod
            .terminated
            .as_ref()
            .or(pod.last_termination.as_ref())
            .map(|t| t.finished_at);
        pod.terminated = Some(termination);
        let mut backoff_message = None;
        if pod.deleting.is_some() || exit.code == 0 || !on_failure {
            pod.phase = if exit.code == 0 {
                PodPhase::Succeeded
            } else {
                PodPhase::Failed
            };
            pod.ended = Some(now);
            pod.retry_due = None;
        } else {
            // In-place restart after the kubelet backoff; it resets once the previous exit is
            // more than 2 × the cap in the past (flowcontrol `hasExpired`).
            let max = container_restart_delay(u32::MAX, scale);
            let expired =
                previous_exit.is_some_and(|t| time::since(now, t) > max.saturating_mul(2));
            pod.backoff_steps = if expired { 1 } else { pod.backoff_steps + 1 };
            pod.retry_due = Some(time::add(
                now,
                container_restart_delay(pod.backoff_steps, scale),
            ));
            pod.waiting_reason = Some("CrashLoopBackOff".to_string());
            let uid = pod.uid.clone();
            backoff_message = Some(format!(
                "Back-off restarting failed container {container} in pod {name}_{namespace}({uid})"
            ));
        }
        // Beyond Kubernetes (kubernetes#123176): an event for every container exit.
        let (type_, detail) = match exit.code {
            0 => (EventType::Normal, String::new()),
            _ => (
                EventType::Warning,
                exit.error
                    .as_ref()
                    .map(|e| format!(": {e}"))
                    .unwrap_or_default(),
            ),
        };
        let message = format!(
            "Container {container} exited with code {} ({reason}){detail}",
            exit.code
        );
        self.record_pod_event(name, type_, "ContainerDied", message, "dockjob", now);
        if let Some(message) = backoff_message {
            self.record_pod_event(name, EventType::Warning, "BackOff", message, "kubelet", now);
        }
    }

    /// Restarts (or image retries) whose backoff has elapsed.
    fn due_restarts(&mut self, now: Timestamp) -> Vec<Action> {
        let mut actions = Vec::new();
        for pod in &mut self.pods {
            let due = pod.retry_due.is_some_and(|t| t <= now);
            if !due || pod.deleting.is_some() || pod.phase.is_terminal() {
                continue;
            }
            pod.retry_due = None;
            let restart = pod.restart_count + u32::from(pod.terminated.is_some());
            pod.waiting_reason = Some("ContainerCreating".to_string());
            actions.push(Action::StartContainer {
                pod: pod.name.clone(),
                restart,
            });
        }
        actions
    }

    /// Records an event about a pod without syncing (kubelet image events from the driver).
    pub fn record_pod_event(
        &mut self,
        pod: &str,
        type_: EventType,
        reason: &str,
        message: String,
        source: &'static str,
        now: Timestamp,
    ) {
        self.events.push(super::JobEvent {
            type_,
            reason: reason.to_string(),
            message,
            object_kind: "Pod".to_string(),
            object_name: pod.to_string(),
            namespace: self.plan.namespace.clone(),
            source: source.to_string(),
            time: now,
        });
    }
}

/// The kubelet counts a restart once the new container exists: the previous run becomes
/// `lastState` and `restartCount` goes up.
fn promote_restart(pod: &mut super::PodRecord) {
    let restarting = pod.waiting_reason.as_deref() == Some("ContainerCreating");
    if restarting && pod.terminated.is_some() {
        pod.last_termination = pod.terminated.take();
        pod.restart_count += 1;
    }
}
