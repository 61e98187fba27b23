//! The pod phase from several containers (kubelet `getPhase`), step by step.

use super::*;

fn two(restart: &str) -> String {
    format!("apiVersion: batch/v1\nkind: Job\nmetadata: {{name: j}}\nspec:\n  backoffLimit: 9\n  template:\n    spec:\n      restartPolicy: {restart}\n      containers: [{{name: a, image: 'img:1'}}, {{name: b, image: 'img:1'}}]\n")
}

fn step(c: &mut Controller, input: Input, at: u64) -> Vec<Action> {
    c.step(input, t(at))
}

fn started(pod: &str, container: &str) -> Input {
    Input::ContainerStarted {
        pod: pod.to_string(),
        container: container.to_string(),
    }
}

fn exited(pod: &str, container: &str, code: i64) -> Input {
    Input::ContainerExited {
        pod: pod.to_string(),
        container: container.to_string(),
        exit: ContainerExit {
            code,
            ..Default::default()
        },
    }
}

fn phase(c: &Controller, pod: &str) -> PodPhase {
    c.pod(pod).unwrap().phase
}

#[test]
fn never_pending_until_all_started_running_while_one_runs_failed_when_all_ended() {
    let (mut c, actions) = controller(&two("Never"));
    let pod = created(&actions).remove(0);
    step(&mut c, started(&pod, "a"), 0);
    assert_eq!(phase(&c, &pod), PodPhase::Pending, "b has not started");
    step(&mut c, started(&pod, "b"), 0);
    assert_eq!(phase(&c, &pod), PodPhase::Running);
    assert_eq!(c.status().ready, Some(1), "both run: the pod is ready");
    step(&mut c, exited(&pod, "b", 1), 2);
    assert_eq!(phase(&c, &pod), PodPhase::Running, "a still runs");
    assert_eq!(c.status().ready, Some(0));
    assert_eq!(c.status().failed, None, "not counted before the pod ends");
    step(&mut c, exited(&pod, "a", 0), 5);
    assert_eq!(phase(&c, &pod), PodPhase::Failed);
    assert_eq!(c.pod(&pod).unwrap().ended, Some(t(5)));
    assert_eq!(c.status().failed, Some(1));
}

#[test]
fn on_failure_restarts_only_the_failed_container_and_succeeds_when_all_exited_zero() {
    let (mut c, actions) = controller(&two("OnFailure"));
    let pod = created(&actions).remove(0);
    step(&mut c, started(&pod, "a"), 0);
    step(&mut c, started(&pod, "b"), 0);
    assert!(
        step(&mut c, exited(&pod, "a", 0), 1).is_empty(),
        "exit 0 is not restarted"
    );
    assert!(step(&mut c, exited(&pod, "b", 2), 3).is_empty());
    assert_eq!(phase(&c, &pod), PodPhase::Running, "b is being restarted");
    assert_eq!(
        c.pod(&pod).unwrap().containers[1].waiting_reason.as_deref(),
        Some("CrashLoopBackOff")
    );
    assert_eq!(c.next_wakeup(), Some(t(13)));
    let restart = step(&mut c, Input::Tick, 13);
    assert_eq!(
        restart,
        vec![Action::StartContainer {
            pod: pod.clone(),
            container: "b".into(),
            restart: 1,
        }]
    );
    step(&mut c, started(&pod, "b"), 13);
    let record = c.pod(&pod).unwrap();
    let counts: Vec<u32> = record.containers.iter().map(|x| x.restart_count).collect();
    assert_eq!(counts, vec![0, 1]);
    step(&mut c, exited(&pod, "b", 0), 14);
    assert_eq!(phase(&c, &pod), PodPhase::Succeeded);
    assert_eq!(c.status().succeeded, Some(1));
}

#[test]
fn a_container_waiting_for_its_image_keeps_the_pod_pending() {
    let (mut c, actions) = controller(&two("Never"));
    let pod = created(&actions).remove(0);
    step(&mut c, started(&pod, "a"), 0);
    let waiting = Input::ContainerWaiting {
        pod: pod.clone(),
        container: "b".into(),
        reason: "ErrImageNeverPull".into(),
        message: "m".into(),
    };
    step(&mut c, waiting, 0);
    step(&mut c, exited(&pod, "a", 0), 1);
    assert_eq!(phase(&c, &pod), PodPhase::Pending);
    let pod_object = c.pod(&pod).unwrap().to_pod(c.job());
    let statuses = pod_object.status.unwrap().container_statuses.unwrap();
    let names: Vec<&str> = statuses.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, vec!["a", "b"]);
}
