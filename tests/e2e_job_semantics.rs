//! The Job controller's rules on the real engine (issue: the Job controller): retries,
//! restarts, deadlines, Indexed Jobs, pod failure policy and OOM, with `--backoff-scale`
//! shrinking Kubernetes' delays so each case takes seconds.

mod common;

use common::{stderr, stdout, TestEnv};

/// A Job on this test's busybox base; `spec` and `container` are indented YAML fragments.
fn run_job(
    env: &TestEnv,
    name: &str,
    spec: &str,
    pod_spec: &str,
    container: &str,
) -> std::process::Output {
    let base = env.base_image();
    let manifest = format!(
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {name}\nspec:\n{spec}  template:\n    \
         metadata:\n      labels:\n        io.dockjob.test: {id}\n    spec:\n{pod_spec}      \
         containers:\n      - name: main\n        image: {base}\n{container}",
        id = env.id
    );
    let path = env.write(&format!("{name}.yaml"), &manifest);
    env.run_job_fast(path.to_str().unwrap())
}

fn pods_of(env: &TestEnv, job: &str) -> usize {
    env.containers(&[&format!("batch.kubernetes.io/job-name={job}")])
        .len()
}

#[test]
fn never_with_a_failing_command_makes_backoff_limit_plus_one_pods() {
    let env = TestEnv::new("jobnever");
    let output = run_job(
        &env,
        "fails",
        "  backoffLimit: 2\n",
        "      restartPolicy: Never\n",
        "        command: [\"sh\", \"-c\", \"echo try; exit 3\"]\n",
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert_eq!(stdout(&output).matches("try").count(), 3);
    assert_eq!(pods_of(&env, "fails"), 3, "exactly backoffLimit + 1 pods");
    let status = stderr(&output);
    assert!(status.contains("Error (exit code 3)"), "{status}");
    assert!(
        status.contains("job.batch/fails Failed: BackoffLimitExceeded: Job has reached the specified backoff limit"),
        "{status}"
    );
}

#[test]
fn on_failure_restarts_in_place_until_the_command_succeeds() {
    let env = TestEnv::new("jobonfailure");
    // The emptyDir survives the pod's container restarts, so the third run succeeds.
    let output = run_job(
        &env,
        "flaky",
        "  backoffLimit: 6\n",
        "      restartPolicy: OnFailure\n      volumes:\n      - name: scratch\n        emptyDir: {}\n",
        "        volumeMounts:\n        - name: scratch\n          mountPath: /scratch\n        \
         command: [\"sh\", \"-c\", \"echo x >> /scratch/n; test $(wc -l < /scratch/n) -ge 3\"]\n",
    );
    let status = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{status}");
    assert!(status.contains("restarted (restart 2)"), "{status}");
    assert!(status.contains("Complete: CompletionsReached"), "{status}");
}

#[test]
fn active_deadline_stops_the_running_pod() {
    let env = TestEnv::new("jobdeadline");
    let started = std::time::Instant::now();
    let output = run_job(
        &env,
        "slow",
        "  activeDeadlineSeconds: 2\n",
        "      restartPolicy: Never\n      terminationGracePeriodSeconds: 1\n",
        "        command: [\"sleep\", \"60\"]\n",
    );
    let status = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{status}");
    assert!(
        status.contains("DeadlineExceeded: Job was active longer than specified deadline"),
        "{status}"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(30),
        "the pod was stopped"
    );
}

#[test]
fn indexed_job_gives_each_pod_its_index() {
    let env = TestEnv::new("jobindexed");
    let output = run_job(
        &env,
        "indexed",
        "  completions: 3\n  parallelism: 2\n  completionMode: Indexed\n",
        "      restartPolicy: Never\n",
        "        command: [\"sh\", \"-c\", \"echo index=$JOB_COMPLETION_INDEX host=$(hostname)\"]\n",
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let printed = stdout(&output);
    let mut lines: Vec<&str> = printed.lines().collect();
    lines.sort();
    assert_eq!(
        lines,
        [
            "index=0 host=indexed-0",
            "index=1 host=indexed-1",
            "index=2 host=indexed-2"
        ]
    );
}

#[test]
fn pod_failure_policy_fail_job_on_exit_42() {
    let env = TestEnv::new("jobpolicy");
    let output = run_job(
        &env,
        "policy",
        "  backoffLimit: 5\n  podFailurePolicy:\n    rules:\n    - action: FailJob\n      \
         onExitCodes:\n        containerName: main\n        operator: In\n        values: [42]\n",
        "      restartPolicy: Never\n",
        "        command: [\"sh\", \"-c\", \"exit 42\"]\n",
    );
    let status = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{status}");
    assert!(status.contains("PodFailurePolicy"), "{status}");
    assert_eq!(pods_of(&env, "policy"), 1, "FailJob stops at the first pod");
}

#[test]
fn a_small_memory_limit_ends_in_oom_killed() {
    let env = TestEnv::new("joboom");
    let output = run_job(
        &env,
        "hungry",
        "  backoffLimit: 0\n",
        "      restartPolicy: Never\n",
        "        resources:\n          limits:\n            memory: 16Mi\n        \
         command: [\"sh\", \"-c\", \"x=$(head -c 200000000 /dev/zero | tr '\\\\0' a); echo survived\"]\n",
    );
    let status = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{status}");
    assert!(status.contains("OOMKilled (exit code 137)"), "{status}");
    assert!(!stdout(&output).contains("survived"));
}
