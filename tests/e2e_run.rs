//! End to end on the real engine: `dockjob run -f job.yaml` with the Job's semantics.

mod common;

use common::{stderr, stdout, TestEnv};

const SAMPLE_DOCKERFILE: &str = include_str!("../images/uzimihsr-sample-image/Dockerfile");

/// Builds the sample image on the busybox base under a test-unique name.
fn sample_image(env: &TestEnv) -> String {
    let base = env.base_image();
    let dockerfile = env.write("sample/Dockerfile", SAMPLE_DOCKERFILE);
    let image = format!("dockjob-test/sample-{}:0.1", env.id);
    env.run_ok(&[
        "--progress",
        "quiet",
        "build",
        dockerfile.parent().unwrap().to_str().unwrap(),
        "-t",
        &image,
        "--build-context",
        &format!("alpine:3.10.3=docker-image://{base}"),
    ]);
    image
}

/// A Job manifest whose pods carry this test's label, so cleanup finds their containers.
fn job_yaml(env: &TestEnv, name: &str, image: &str, container: &str, backoff_limit: u32) -> String {
    format!(
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {name}\nspec:\n  backoffLimit: {backoff_limit}\n  \
         template:\n    metadata:\n      labels:\n        io.dockjob.test: {id}\n    spec:\n      \
         restartPolicy: Never\n      containers:\n      - name: main\n        image: {image}\n{container}",
        id = env.id
    )
}

#[test]
fn the_sample_job_prints_777_and_exits_0() {
    let env = TestEnv::new("runsample");
    let image = sample_image(&env);
    let manifest = job_yaml(
        &env,
        "echo-number",
        &image,
        "        args: [\"-c\", \"echo ${NUMBER}\"]\n",
        1,
    );
    let path = env.write("job.yaml", &manifest);
    let output = env.run_ok(&["run", "-f", path.to_str().unwrap()]);
    assert_eq!(stdout(&output).trim(), "777", "stderr: {}", stderr(&output));
    // As in Kubernetes, the finished pod stays (until deleted) so its logs can be read.
    assert_eq!(
        env.containers(&["batch.kubernetes.io/job-name=echo-number"])
            .len(),
        1
    );
}

#[test]
fn command_replaces_the_image_entrypoint_and_cmd() {
    let env = TestEnv::new("runcommand");
    let image = sample_image(&env);
    let container =
        "        command: [\"/bin/echo\"]\n        args: [\"from\", \"$(AUTHOR_NAME)\"]\n        \
                     env:\n        - name: AUTHOR_NAME\n          value: uzimihsr\n";
    let path = env.write(
        "job.yaml",
        &job_yaml(&env, "echo-args", &image, container, 0),
    );
    let output = env.run_ok(&["run", "--rm", "-f", path.to_str().unwrap()]);
    assert_eq!(stdout(&output).trim(), "from uzimihsr");
    assert!(
        env.containers(&[]).is_empty(),
        "--rm removes the pods' containers"
    );
}

#[test]
fn a_failing_pod_is_retried_backoff_limit_times_then_the_job_fails() {
    let env = TestEnv::new("runfail");
    let image = sample_image(&env);
    let container = "        args: [\"-c\", \"echo attempt; exit 3\"]\n";
    let path = env.write(
        "job.yaml",
        &job_yaml(&env, "always-fails", &image, container, 1),
    );
    let output = env.run(&[
        "run",
        "--backoff-scale",
        "0.01",
        "-f",
        path.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1), "stderr: {}", stderr(&output));
    assert_eq!(
        stdout(&output).matches("attempt").count(),
        2,
        "one retry: two pods ran"
    );
    assert!(
        stderr(&output).contains("BackoffLimitExceeded"),
        "{}",
        stderr(&output)
    );
    assert_eq!(
        env.containers(&["batch.kubernetes.io/job-name=always-fails"])
            .len(),
        2
    );
}

#[test]
fn an_invalid_manifest_exits_2_naming_the_field() {
    let env = TestEnv::new("runinvalid");
    let manifest = "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: bad\nspec:\n  template:\n    spec:\n      \
                    containers:\n      - name: main\n        image: busybox:1\n";
    let path = env.write("job.yaml", manifest);
    let output = env.run(&["run", "-f", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("spec.template.spec.restartPolicy"),
        "{}",
        stderr(&output)
    );
}

/// Issue 17, point 9: a pod's exit comes from the one event stream the run reads, not from a
/// wait and an inspect per pod; a failed pod still gets its exit code (from the inspect that
/// a non-zero exit is followed by).
#[test]
fn pod_exits_come_from_one_event_stream() {
    let env = TestEnv::new("exitstream");
    let image = env.base_image();
    let (address, requests) = common::recording_engine_proxy();
    let host = format!("tcp://{address}");
    let manifest = |name: &str, script: &str, pods: u32| {
        let container = format!("        command: [\"sh\", \"-c\", \"{script}\"]\n");
        job_yaml(&env, name, &image, &container, 0).replace(
            "  backoffLimit: 0\n",
            &format!("  backoffLimit: 0\n  completions: {pods}\n  parallelism: {pods}\n"),
        )
    };
    let ok = env.write("ok.yaml", &manifest("exits-zero", "echo done", 3));
    let output = env.run(&["-H", &host, "run", "--rm", "-f", ok.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stdout(&output).matches("done").count(), 3);
    let asked = std::mem::take(&mut *requests.lock().unwrap());
    let count = |suffix: &str| asked.iter().filter(|r| r.ends_with(suffix)).count();
    assert_eq!(count("/containers/create"), 3, "{asked:#?}");
    assert_eq!(count(" /events"), 1, "{asked:#?}");
    assert_eq!(count("/wait"), 0, "no per-pod wait: {asked:#?}");

    let failing = env.write("fail.yaml", &manifest("exits-three", "exit 3", 1));
    let output = env.run(&["-H", &host, "run", "-f", failing.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let asked = std::mem::take(&mut *requests.lock().unwrap());
    assert_eq!(
        asked.iter().filter(|r| r.ends_with("/wait")).count(),
        0,
        "{asked:#?}"
    );
    let pods = env.run_ok(&["get", "pods", "-o", "json"]);
    let pods: serde_json::Value = serde_json::from_slice(&pods.stdout).unwrap();
    let codes: Vec<i64> = pods["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["metadata"]["labels"]["batch.kubernetes.io/job-name"] == "exits-three")
        .map(|p| {
            p["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"]
                .as_i64()
                .unwrap()
        })
        .collect();
    assert_eq!(codes, [3]);
}
