//! Ctrl-C: once stops pods gracefully, twice kills them at once.

use std::time::Duration;

use tokio::sync::watch;

use super::*;
use crate::engine::fake::Script;
use crate::job::controller::OutcomeKind;

fn stubborn() -> FakeEngine {
    engine_with_image(Script::Hang {
        logs: vec![],
        ignore_sigterm: true,
    })
}

/// Runs `yaml`, pressing Ctrl-C at each of `presses` (seconds after the start, one after
/// the other); returns the run, its output and how long it took on the paused clock.
async fn run_pressing(
    engine: &FakeEngine,
    yaml: &str,
    presses: &[u64],
) -> (JobRun, Captured, Duration) {
    let (tx, rx) = watch::channel(0u32);
    let opts = RunOptions {
        interrupts: Some(rx),
        ..RunOptions::default()
    };
    let started = tokio::time::Instant::now();
    let press = async {
        for (n, at) in presses.iter().enumerate() {
            tokio::time::sleep_until(started + Duration::from_secs(*at)).await;
            tx.send_replace(n as u32 + 1);
        }
    };
    let ((run, out), ()) = tokio::join!(run(engine, yaml, opts), press);
    (run, out, started.elapsed())
}

#[tokio::test(start_paused = true)]
async fn first_ctrl_c_stops_pods_with_the_grace_period() {
    let engine = engine_with_image(Script::hang());
    let yaml = manifest(
        "int",
        "  parallelism: 2\n  completions: 2\n",
        "      restartPolicy: Never\n      terminationGracePeriodSeconds: 7\n",
        "",
    );
    let (run, out, _) = run_pressing(&engine, &yaml, &[3]).await;
    assert_eq!(run.outcome.kind, OutcomeKind::Interrupted);
    let graces: Vec<Duration> = engine
        .calls()
        .into_iter()
        .filter_map(|(_, c)| match c {
            Call::Stop(_, g) => Some(g),
            _ => None,
        })
        .collect();
    assert_eq!(graces, vec![Duration::from_secs(7); 2]);
    assert!(
        out.stderr
            .iter()
            .any(|l| l.starts_with("Interrupted: stopping 2 pod(s) gracefully")),
        "{:?}",
        out.stderr
    );
    let status = run.job.status.unwrap();
    assert_eq!(status.failed, None, "interrupted pods are not counted");
    // Bug: an interrupted `run` left its stored Job `Running` for good.
    let failed = status
        .conditions
        .unwrap_or_default()
        .into_iter()
        .find(|c| c.type_ == "Failed")
        .expect("a Failed condition");
    assert_eq!(
        (failed.status.as_str(), failed.reason.as_deref()),
        ("True", Some("Interrupted"))
    );
    assert_eq!(failed.message.as_deref(), Some("2 running pod(s) stopped"));
}

#[tokio::test(start_paused = true)]
async fn second_ctrl_c_kills_at_once() {
    let engine = stubborn();
    let yaml = manifest("kill", "", "      restartPolicy: Never\n", "");
    let (run, out, took) = run_pressing(&engine, &yaml, &[1, 3]).await;
    assert_eq!(run.outcome.kind, OutcomeKind::Interrupted);
    assert!(
        took < Duration::from_secs(10),
        "did not wait for the 30s grace period"
    );
    assert!(out.stderr.contains(&"Killing pods now".to_string()));
    let pod = &run.pods[0].name;
    assert!(
        out.stderr
            .contains(&format!("pod/{pod} Error (exit code 137)")),
        "{:?}",
        out.stderr
    );
}

#[tokio::test(start_paused = true)]
async fn interrupt_says_how_many_pods_it_stopped() {
    let engine = engine_with_image(Script::hang());
    let yaml = manifest("say", "", "      restartPolicy: Never\n", "");
    let (run, out, _) = run_pressing(&engine, &yaml, &[1]).await;
    assert_eq!(run.outcome.kind.exit_code(), 130);
    assert_eq!(
        out.stderr.last().unwrap(),
        "job.batch/say interrupted: 1 running pod(s) stopped"
    );
}

/// Issue 15: Ctrl-C of a pod waiting for its image said "stopping 0 pod(s)", then "1
/// running pod(s) stopped".
#[tokio::test(start_paused = true)]
async fn interrupt_counts_a_pod_waiting_for_its_image() {
    let engine = FakeEngine::with_script(Script::exit(0, 1));
    engine
        .allow_pull("busybox")
        .pull_takes(Duration::from_secs(600));
    let yaml = manifest("waitpull", "", "      restartPolicy: Never\n", "")
        .replace("busybox:1.36", "busybox");
    let (_, out, _) = run_pressing(&engine, &yaml, &[3]).await;
    assert!(
        out.stderr
            .iter()
            .any(|l| l.starts_with("Interrupted: stopping 1 pod(s) gracefully")),
        "{:?}",
        out.stderr
    );
    assert_eq!(
        out.stderr.last().unwrap(),
        "job.batch/waitpull interrupted: 1 running pod(s) stopped"
    );
}

/// Bug: Ctrl-C during a long pull waited for the pull to end.
#[tokio::test(start_paused = true)]
async fn ctrl_c_during_a_long_pull_does_not_wait_for_it() {
    let engine = FakeEngine::with_script(Script::exit(0, 1));
    engine
        .allow_pull("busybox")
        .pull_takes(Duration::from_secs(600));
    let yaml = manifest("slowpull", "", "      restartPolicy: Never\n", "")
        .replace("busybox:1.36", "busybox");
    let (run, out, took) = run_pressing(&engine, &yaml, &[3]).await;
    assert_eq!(run.outcome.kind, OutcomeKind::Interrupted);
    assert!(took < Duration::from_secs(10), "took {took:?}");
    assert!(
        !engine
            .calls()
            .iter()
            .any(|(_, c)| matches!(c, Call::Create(_))),
        "no container after an interrupted pull"
    );
    assert!(
        out.stderr
            .iter()
            .any(|l| l.contains("Pulling image \"busybox\" was interrupted")),
        "{:?}",
        out.stderr
    );
}
