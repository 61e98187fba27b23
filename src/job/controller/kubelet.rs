//! The kubelet's half of a pod's life: each container's start, exit, in-place restarts with
//! its own 10 s → 300 s backoff (restartPolicy OnFailure), image waits, the pod phase from
//! its containers, and pod removal.
//!
//! Sources: kubelet `pkg/kubelet/kuberuntime/kuberuntime_manager.go` (`doBackOff`, restart
//! count), `pkg/kubelet/status/generate.go` (phases), events from `pkg/kubelet/events`.

use k8s_openapi::jiff::Timestamp;

use super::time;
use super::types::{Action, ContainerRecord, EventType, Input, PodPhase, PodRecord, Termination};
use super::Controller;
use crate::engine::ContainerExit;
use crate::job::backoff::container_restart_delay;
use crate::job::pod::exit_reason;

impl Controller {
    /// Updates pods from what the driver saw; returns restarts that are due.
    pub(super) fn apply_input(&mut self, input: Input, now: Timestamp) -> Vec<Action> {
        match input {
            Input::ContainerStarted { pod, container } => {
                self.container_started(&pod, &container, now);
            }
            Input::ContainerWaiting {
                pod,
                container,
                reason,
                message,
            } => self.container_waiting(&pod, &container, reason, message, now),
            Input::ContainerExited {
                pod,
                container,
                exit,
            } => self.container_exited(&pod, &container, &exit, now),
            Input::PodRemoved { pod } => {
                if let Some(p) = self.pods.iter_mut().find(|p| p.name == pod) {
                    if !p.phase.is_terminal() {
                        p.phase = PodPhase::Failed;
                        end_pod(p, now);
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
            Input::GiveUp { reason, message } => {
                self.interrupted = true;
                self.given_up.get_or_insert((reason, message));
            }
        }
        self.due_restarts(now)
    }

    fn container_started(&mut self, pod_name: &str, container: &str, now: Timestamp) {
        let on_failure = self.plan.on_failure;
        let Some(pod) = self.pods.iter_mut().find(|p| p.name == pod_name) else {
            return;
        };
        if pod.phase.is_terminal() {
            return;
        }
        let Some(c) = pod.container_mut(container) else {
            return;
        };
        promote_restart(c);
        c.running_since = Some(now);
        c.waiting_reason = None;
        c.waiting_message = None;
        let name = c.name.clone();
        update_phase(pod, on_failure, now);
        self.record_pod_event(
            pod_name,
            EventType::Normal,
            "Started",
            format!("Started container {name}"),
            "kubelet",
            now,
        );
    }

    fn container_waiting(
        &mut self,
        pod_name: &str,
        container: &str,
        reason: String,
        message: String,
        now: Timestamp,
    ) {
        let scale = self.scale;
        let Some(pod) = self.pods.iter_mut().find(|p| p.name == pod_name) else {
            return;
        };
        if pod.phase.is_terminal() {
            return;
        }
        let Some(c) = pod.container_mut(container) else {
            return;
        };
        // A container that cannot be configured (a ConfigMap or Secret, or a volume's, is
        // missing) is retried by the pod worker every 10 s (`pkg/kubelet/pod_workers.go`,
        // `backOffPeriod`), not with the growing image or crash backoff.
        let config_error = matches!(
            reason.as_str(),
            "CreateContainerConfigError" | "ContainerCreating"
        );
        let delay = if config_error {
            container_restart_delay(1, scale)
        } else {
            c.backoff_steps += 1;
            container_restart_delay(c.backoff_steps, scale)
        };
        c.retry_due = Some(time::add(now, delay));
        // Kubelet events (`pkg/kubelet/images/image_manager.go`, `kuberuntime_container.go`):
        // a failed pull is `Failed`, then the pod waits in ImagePullBackOff.
        let (waiting, event_reason, event_message) = match reason.as_str() {
            "ErrImagePull" => ("ImagePullBackOff", "Failed", message.clone()),
            "ErrImageNeverPull" => ("ErrImageNeverPull", "ErrImageNeverPull", message.clone()),
            // `EnsureImageExists` (events.FailedToInspectImage) and the volume manager.
            "InvalidImageName" => ("InvalidImageName", "InspectFailed", message.clone()),
            "ContainerCreating" => ("ContainerCreating", "FailedMount", message.clone()),
            other => (other, "Failed", format!("Error: {message}")),
        };
        c.waiting_reason = Some(waiting.to_string());
        c.waiting_message = Some(message);
        let name = c.name.clone();
        self.record_pod_event(
            pod_name,
            EventType::Warning,
            event_reason,
            event_message,
            "kubelet",
            now,
        );
        if reason == "ErrImagePull" {
            let message = format!("Back-off pulling image {:?}", self.plan.image_of(&name));
            self.record_pod_event(
                pod_name,
                EventType::Normal,
                "BackOff",
                message,
                "kubelet",
                now,
            );
        }
    }

    fn container_exited(
        &mut self,
        pod_name: &str,
        container: &str,
        exit: &ContainerExit,
        now: Timestamp,
    ) {
        let (on_failure, scale) = (self.plan.on_failure, self.scale);
        let namespace = self.plan.namespace.clone();
        let Some(pod) = self.pods.iter_mut().find(|p| p.name == pod_name) else {
            return;
        };
        if pod.phase.is_terminal() {
            return;
        }
        let (deleting, uid) = (pod.deleting.is_some(), pod.uid.clone());
        let Some(c) = pod.container_mut(container) else {
            return;
        };
        // A restart whose container failed to start still counts as a restart.
        promote_restart(c);
        let reason = exit_reason(exit).to_string();
        let termination = Termination {
            exit_code: exit.code,
            reason: reason.clone(),
            message: exit.error.clone(),
            started_at: c.running_since.take(),
            finished_at: now,
        };
        let previous_exit = c
            .terminated
            .as_ref()
            .or(c.last_termination.as_ref())
            .map(|t| t.finished_at);
        c.terminated = Some(termination);
        c.waiting_reason = None;
        c.waiting_message = None;
        let name = c.name.clone();
        let mut backoff_message = None;
        // restartPolicy OnFailure: the kubelet restarts this container alone when it failed
        // (`ShouldContainerBeRestarted`), keyed by pod UID and container name; the other
        // containers of the pod go on.
        if !deleting && exit.code != 0 && on_failure {
            // In-place restart after the kubelet backoff; it resets once the previous exit is
            // more than 2 × the cap in the past (flowcontrol `hasExpired`).
            let max = container_restart_delay(u32::MAX, scale);
            let expired =
                previous_exit.is_some_and(|t| time::since(now, t) > max.saturating_mul(2));
            c.backoff_steps = if expired { 1 } else { c.backoff_steps + 1 };
            c.retry_due = Some(time::add(
                now,
                container_restart_delay(c.backoff_steps, scale),
            ));
            c.waiting_reason = Some("CrashLoopBackOff".to_string());
            backoff_message = Some(format!(
                "Back-off restarting failed container {name} in pod {pod_name}_{namespace}({uid})"
            ));
        } else {
            c.retry_due = None;
        }
        update_phase(pod, on_failure, now);
        // Beyond Kubernetes (kubernetes#123176): an event for every exit of a container that ran.
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
            "Container {name} exited with code {} ({reason}){detail}",
            exit.code
        );
        // A container that never ran did not die: the kubelet's `Failed` event for its start
        // (recorded by the driver) tells what happened.
        if reason != "StartError" {
            self.record_pod_event(pod_name, type_, "ContainerDied", message, "dockjob", now);
        }
        if let Some(message) = backoff_message {
            self.record_pod_event(
                pod_name,
                EventType::Warning,
                "BackOff",
                message,
                "kubelet",
                now,
            );
        }
    }

    /// Restarts (or image retries) whose backoff has elapsed, one per container.
    fn due_restarts(&mut self, now: Timestamp) -> Vec<Action> {
        let mut actions = Vec::new();
        for pod in &mut self.pods {
            if pod.deleting.is_some() || pod.phase.is_terminal() {
                continue;
            }
            for c in &mut pod.containers {
                if c.retry_due.is_none_or(|t| t > now) {
                    continue;
                }
                c.retry_due = None;
                let restart = c.restart_count + u32::from(c.terminated.is_some());
                c.waiting_reason = Some("ContainerCreating".to_string());
                actions.push(Action::StartContainer {
                    pod: pod.name.clone(),
                    container: c.name.clone(),
                    restart,
                });
            }
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
fn promote_restart(c: &mut ContainerRecord) {
    let restarting = c.waiting_reason.as_deref() == Some("ContainerCreating");
    if restarting && c.terminated.is_some() {
        c.last_termination = c.terminated.take();
        c.restart_count += 1;
    }
}

/// Sets the pod's phase from its containers; a pod that turns terminal ends now.
fn update_phase(pod: &mut PodRecord, on_failure: bool, now: Timestamp) {
    pod.phase = pod_phase(pod, on_failure);
    if pod.phase.is_terminal() {
        end_pod(pod, now);
    }
}

fn end_pod(pod: &mut PodRecord, now: Timestamp) {
    pod.ended = Some(now);
    for c in &mut pod.containers {
        c.retry_due = None;
    }
}

/// The kubelet's `getPhase` (`pkg/kubelet/kubelet_pods.go`) for a pod without init
/// containers: Pending while a container has never run; Running while one runs; once all
/// have stopped, Succeeded if every one exited 0, else Failed (Never) or Running (OnFailure:
/// the failed ones are being restarted). A deleted pod is terminal once none runs.
pub(super) fn pod_phase(pod: &PodRecord, on_failure: bool) -> PodPhase {
    let (mut running, mut waiting, mut stopped, mut succeeded) = (0, 0, 0, 0);
    for c in &pod.containers {
        if c.is_running() {
            running += 1;
        } else if c.waiting_reason.is_some() {
            // Waiting with a last termination (CrashLoopBackOff, a restart being created)
            // counts as stopped; waiting before the first run as waiting.
            if c.terminated.is_some() || c.last_termination.is_some() {
                stopped += 1;
            } else {
                waiting += 1;
            }
        } else if let Some(t) = &c.terminated {
            stopped += 1;
            if t.exit_code == 0 {
                succeeded += 1;
            }
        } else {
            waiting += 1;
        }
    }
    let all_succeeded = stopped == succeeded && waiting == 0;
    if pod.deleting.is_some() && running == 0 {
        return if all_succeeded {
            PodPhase::Succeeded
        } else {
            PodPhase::Failed
        };
    }
    if waiting > 0 {
        PodPhase::Pending
    } else if running > 0 {
        PodPhase::Running
    } else if stopped == succeeded {
        PodPhase::Succeeded
    } else if on_failure {
        PodPhase::Running
    } else {
        PodPhase::Failed
    }
}
