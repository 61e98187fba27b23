//! Pure controller tests: inputs and times in, actions, status, conditions and events out.

use std::time::Duration;

use k8s_openapi::jiff::Timestamp;
use rand::SeedableRng;

use super::*;
use crate::engine::ContainerExit;
use crate::job::load::load_jobs_with_rng;

mod indexed;
mod phases;
mod properties;

fn t(secs: u64) -> Timestamp {
    time::add(
        Timestamp::UNIX_EPOCH,
        Duration::from_secs(1_700_000_000 + secs),
    )
}

fn controller(yaml: &str) -> (Controller, Vec<Action>) {
    let mut rng = StdRng::seed_from_u64(1);
    let job = load_jobs_with_rng(yaml, "t.yaml", &mut rng)
        .unwrap()
        .remove(0)
        .job;
    Controller::new(job, ControllerConfig::default(), t(0))
}

fn job(spec: &str, restart: &str) -> String {
    format!("apiVersion: batch/v1\nkind: Job\nmetadata: {{name: j}}\nspec:\n{spec}  template:\n    spec:\n      restartPolicy: {restart}\n      containers: [{{name: main, image: 'img:1'}}]\n")
}

fn created(actions: &[Action]) -> Vec<String> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::CreatePod { pod } => Some(pod.clone()),
            _ => None,
        })
        .collect()
}

fn exit(c: &mut Controller, pod: &str, code: i64, at: u64) -> Vec<Action> {
    let exit = ContainerExit {
        code,
        oom_killed: false,
        error: None,
    };
    c.step(
        Input::ContainerExited {
            pod: pod.to_string(),
            container: String::new(),
            exit,
        },
        t(at),
    )
}

fn start(c: &mut Controller, pod: &str, at: u64) {
    let actions = c.step(
        Input::ContainerStarted {
            pod: pod.to_string(),
            container: String::new(),
        },
        t(at),
    );
    assert!(actions.is_empty(), "{actions:?}");
}

fn reasons(c: &Controller) -> Vec<(String, String, String)> {
    c.conditions()
        .iter()
        .map(|x| {
            (
                x.type_.clone(),
                x.status.clone(),
                x.reason.clone().unwrap_or_default(),
            )
        })
        .collect()
}

#[test]
fn parallelism_caps_active_pods_and_completions_count_up() {
    let (mut c, actions) = controller(&job("  completions: 5\n  parallelism: 2\n", "Never"));
    let mut running = created(&actions);
    assert_eq!(running.len(), 2);
    let mut done = 0;
    let mut now = 1;
    while let Some(pod) = running.first().cloned() {
        start(&mut c, &pod, now);
        let actions = exit(&mut c, &pod, 0, now + 1);
        running.remove(0);
        running.extend(created(&actions));
        done += 1;
        now += 2;
        assert!(c.status().active.unwrap_or(0) <= 2);
        assert_eq!(c.status().succeeded, Some(done));
    }
    assert_eq!(done, 5);
    assert_eq!(
        c.outcome().map(|o| o.kind.clone()),
        Some(OutcomeKind::Complete)
    );
}

#[test]
fn work_queue_job_completes_after_first_success_and_all_pods_end() {
    let (mut c, actions) = controller(&job("  parallelism: 3\n", "Never"));
    let pods = created(&actions);
    assert_eq!(pods.len(), 3);
    assert!(
        created(&exit(&mut c, &pods[0], 0, 5)).is_empty(),
        "no new pods after a success"
    );
    assert!(c.outcome().is_none());
    assert!(created(&exit(&mut c, &pods[1], 0, 6)).is_empty());
    exit(&mut c, &pods[2], 0, 7);
    assert_eq!(c.outcome().unwrap().reason, "CompletionsReached");
    assert_eq!(c.status().succeeded, Some(3));
}

#[test]
fn on_failure_restarts_in_place_until_restarts_reach_backoff_limit() {
    let (mut c, actions) = controller(&job("  backoffLimit: 2\n", "OnFailure"));
    let pod = created(&actions).remove(0);
    start(&mut c, &pod, 0);
    assert!(exit(&mut c, &pod, 1, 1).is_empty());
    assert_eq!(
        c.pod(&pod).unwrap().containers[0].waiting_reason.as_deref(),
        Some("CrashLoopBackOff")
    );
    assert_eq!(c.next_wakeup(), Some(t(11)));
    assert_eq!(
        c.step(Input::Tick, t(11)),
        vec![Action::StartContainer {
            pod: pod.clone(),
            container: "main".into(),
            restart: 1
        }]
    );
    start(&mut c, &pod, 11);
    exit(&mut c, &pod, 1, 12);
    assert_eq!(c.next_wakeup(), Some(t(32)), "second kubelet delay is 20s");
    assert_eq!(
        c.step(Input::Tick, t(32)),
        vec![Action::StartContainer {
            pod: pod.clone(),
            container: "main".into(),
            restart: 2
        }]
    );
    // restartCount reaches 2 once the new container exists: then the job controller acts.
    let actions = c.step(
        Input::ContainerStarted {
            pod: pod.clone(),
            container: "main".into(),
        },
        t(32),
    );
    assert!(matches!(&actions[..], [Action::StopPod { pod: p, .. }] if *p == pod));
    assert_eq!(
        reasons(&c),
        vec![(
            "FailureTarget".into(),
            "True".into(),
            "BackoffLimitExceeded".into()
        )]
    );
    c.step(Input::PodRemoved { pod: pod.clone() }, t(33));
    assert_eq!(c.outcome().unwrap().kind, OutcomeKind::Failed);
    assert_eq!(c.pods().len(), 1, "OnFailure keeps one pod");
    assert_eq!(c.status().failed, Some(1));
    let backoff = c.events().iter().find(|e| e.reason == "BackOff").unwrap();
    let uid = &c.pod(&pod).unwrap().uid;
    assert_eq!(
        backoff.message,
        format!("Back-off restarting failed container main in pod {pod}_default({uid})")
    );
}

#[test]
fn kubelet_restart_backoff_caps_at_300s() {
    let (mut c, actions) = controller(&job("  backoffLimit: 100\n", "OnFailure"));
    let pod = created(&actions).remove(0);
    let mut now = 0;
    let mut delays = Vec::new();
    for _ in 0..8 {
        start(&mut c, &pod, now);
        exit(&mut c, &pod, 1, now);
        let due = c.next_wakeup().unwrap();
        delays.push(time::since(due, t(now)).as_secs());
        now += time::since(due, t(now)).as_secs();
        c.step(Input::Tick, t(now));
    }
    assert_eq!(delays, vec![10, 20, 40, 80, 160, 300, 300, 300]);
    start(&mut c, &pod, now);
    assert_eq!(c.pod(&pod).unwrap().restart_count(), 8);
}

#[test]
fn pod_failure_policy_fail_job_on_exit_42() {
    let spec = "  podFailurePolicy:\n    rules:\n    - action: FailJob\n      onExitCodes: {containerName: main, operator: In, values: [42]}\n";
    let (mut c, actions) = controller(&job(spec, "Never"));
    let pod = created(&actions).remove(0);
    start(&mut c, &pod, 0);
    exit(&mut c, &pod, 42, 3);
    let outcome = c.outcome().unwrap();
    assert_eq!(outcome.reason, "PodFailurePolicy");
    assert_eq!(outcome.message, format!("Container main for pod default/{pod} failed with exit code 42 matching FailJob rule at index 0"));
}

#[test]
fn pod_failure_policy_ignore_does_not_count_and_count_does() {
    let spec = "  backoffLimit: 0\n  podFailurePolicy:\n    rules:\n    - action: Ignore\n      onExitCodes: {operator: In, values: [3]}\n    - action: Count\n      onExitCodes: {operator: NotIn, values: [3]}\n";
    let (mut c, actions) = controller(&job(spec, "Never"));
    let first = created(&actions).remove(0);
    let actions = exit(&mut c, &first, 3, 1);
    assert_eq!(c.status().failed, None, "ignored failures are not counted");
    assert!(c.outcome().is_none());
    let second = match created(&actions).pop() {
        Some(p) => p,
        None => {
            let due = c.next_wakeup().unwrap();
            created(&c.step(Input::Tick, due)).remove(0)
        }
    };
    exit(&mut c, &second, 5, 30);
    assert_eq!(c.status().failed, Some(1));
    assert_eq!(c.outcome().unwrap().reason, "BackoffLimitExceeded");
}

#[test]
fn suspend_and_resume_toggle_conditions_events_and_start_time() {
    let (mut c, actions) = controller(&job(
        "  suspend: true\n  activeDeadlineSeconds: 10\n",
        "Never",
    ));
    assert!(actions.is_empty());
    assert_eq!(c.status().start_time, None);
    assert_eq!(
        reasons(&c),
        vec![("Suspended".into(), "True".into(), "JobSuspended".into())]
    );
    assert_eq!(
        c.next_wakeup(),
        None,
        "a suspended job never hits its deadline"
    );
    let actions = c.step(Input::SetSuspend(false), t(100));
    let pod = created(&actions).remove(0);
    assert_eq!(c.status().start_time.map(|s| s.0), Some(t(100)));
    assert_eq!(
        reasons(&c),
        vec![("Suspended".into(), "False".into(), "JobResumed".into())]
    );
    let actions = c.step(Input::SetSuspend(true), t(105));
    assert!(matches!(&actions[0], Action::StopPod { pod: p, .. } if *p == pod));
    c.step(Input::PodRemoved { pod }, t(106));
    assert_eq!(
        c.status().failed,
        None,
        "pods deleted by suspend are not counted"
    );
    let names: Vec<&str> = c.events().iter().map(|e| e.reason.as_str()).collect();
    assert_eq!(
        names,
        vec![
            "Suspended",
            "SuccessfulCreate",
            "Resumed",
            "SuccessfulDelete",
            "Suspended"
        ]
    );
}

#[test]
fn ttl_expiry_counts_from_the_finish_condition() {
    let (mut c, actions) = controller(&job("  ttlSecondsAfterFinished: 60\n", "Never"));
    assert_eq!(c.ttl_expiry(), None);
    exit(&mut c, &created(&actions)[0], 0, 4);
    assert_eq!(c.ttl_expiry(), Some(t(64)));
}

#[test]
fn pods_convert_to_kubernetes_pod_objects() {
    let (mut c, actions) = controller(&job("  backoffLimit: 3\n", "OnFailure"));
    let name = created(&actions).remove(0);
    start(&mut c, &name, 1);
    exit(&mut c, &name, 2, 4);
    let pod = c.pod(&name).unwrap().to_pod(c.job());
    assert_eq!(pod.metadata.name.as_deref(), Some(name.as_str()));
    let owner = &pod.metadata.owner_references.as_ref().unwrap()[0];
    assert_eq!(
        (owner.kind.as_str(), owner.name.as_str(), owner.controller),
        ("Job", "j", Some(true))
    );
    let status = pod.status.unwrap();
    assert_eq!(status.phase.as_deref(), Some("Running"));
    let container = &status.container_statuses.unwrap()[0];
    assert_eq!(container.restart_count, 0);
    let state = container.state.as_ref().unwrap();
    assert_eq!(
        state.waiting.as_ref().unwrap().reason.as_deref(),
        Some("CrashLoopBackOff")
    );
    let last = container
        .last_state
        .as_ref()
        .unwrap()
        .terminated
        .as_ref()
        .unwrap();
    assert_eq!((last.exit_code, last.reason.as_deref()), (2, Some("Error")));
}

#[test]
fn kubelet_backoff_resets_after_ten_quiet_minutes() {
    let (mut c, actions) = controller(&job("  backoffLimit: 10\n", "OnFailure"));
    let pod = created(&actions).remove(0);
    start(&mut c, &pod, 0);
    exit(&mut c, &pod, 1, 1);
    c.step(Input::Tick, t(11));
    start(&mut c, &pod, 11);
    exit(&mut c, &pod, 1, 12);
    assert_eq!(c.next_wakeup(), Some(t(32)), "second exit in a row: 20s");
    c.step(Input::Tick, t(32));
    start(&mut c, &pod, 32);
    // Runs for more than 2 × 300s before failing again: back to the first step.
    exit(&mut c, &pod, 1, 700);
    assert_eq!(c.next_wakeup(), Some(t(710)));
}
