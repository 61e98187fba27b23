//! Issue 17, point 6: pods as the kubelet.
//!
//! - An image reference that does not parse is `InvalidImageName`: nothing is pulled, the
//!   pod waits with the kubelet's message, and a foreground `run` ends with an error naming
//!   the image (exit 2).
//! - A Secret or ConfigMap that does not exist in `env.valueFrom`, `envFrom` or a volume
//!   never runs the container with an empty variable: the pod waits with
//!   `CreateContainerConfigError` (`ContainerCreating` and `FailedMount` for a volume) and
//!   the kubelet's message, and `run` ends with it (exit 2) after its bounded wait (here
//!   shortened with `--backoff-scale`).
//! - `optional: true` references are left out as Kubernetes leaves them out: the variable is
//!   unset, the volume mounted empty, and the pod runs.
//!
//! Each case checks that no container was created (or, for the optional one, that none is
//! left with `--rm`).

mod common;

use common::TestEnv;

fn job(name: &str, image: &str, container_extra: &str, pod_extra: &str) -> String {
    format!(
        "apiVersion: batch/v1\nkind: Job\nmetadata: {{name: {name}}}\nspec:\n  backoffLimit: 0\n  \
         template:\n    spec:\n      restartPolicy: Never\n{pod_extra}      containers:\n      \
         - name: main\n        image: {image}\n        imagePullPolicy: IfNotPresent\n        \
         command: [/bin/sh, -c, 'echo \"A=[${{A-unset}}] B=[${{B-unset}}] C=[${{C-unset}}]\"; ls /cfg; echo listed']\n\
         {container_extra}"
    )
}

/// `dockjob run` of `yaml`: (exit code, stdout, stderr).
fn run(env: &TestEnv, file: &str, yaml: &str) -> (Option<i32>, String, String) {
    let path = env.write(file, yaml);
    let output = env.run(&[
        "--progress",
        "plain",
        "run",
        "--rm",
        "--backoff-scale",
        "0.01",
        "-f",
        path.to_str().expect("utf-8"),
    ]);
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn an_invalid_image_reference_is_invalid_image_name_and_ends_the_run() {
    let env = TestEnv::new("invalid-image");
    let name = format!("badref-{}", env.id);
    let (code, _, stderr) = run(&env, "job.yaml", &job(&name, "UPPER/Bad::ref", "", ""));
    let message = "Failed to apply default image tag \"UPPER/Bad::ref\": couldn't parse image \
                   name \"UPPER/Bad::ref\": invalid reference format: repository name must be \
                   lowercase";
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("InvalidImageName: {message}")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("cannot start: InvalidImageName: {message}")),
        "{stderr}"
    );
    assert!(!stderr.contains("Pulling"), "no pull: {stderr}");
    assert!(env.containers(&[]).is_empty());
    // The pod shows the reason as kubectl would, with the kubelet's event.
    let pods = env.run_ok(&["get", "pods"]);
    assert!(
        String::from_utf8_lossy(&pods.stdout).contains("InvalidImageName"),
        "{}",
        String::from_utf8_lossy(&pods.stdout)
    );
    let events = env.run_ok(&["get", "events"]);
    let events = String::from_utf8_lossy(&events.stdout);
    assert!(events.contains("InspectFailed"), "{events}");
    // The Job does not look alive.
    let jobs = env.run_ok(&["get", "jobs", &name]);
    assert!(
        String::from_utf8_lossy(&jobs.stdout).contains("Failed"),
        "{}",
        String::from_utf8_lossy(&jobs.stdout)
    );
}

#[test]
fn a_missing_secret_or_configmap_stops_the_pod_as_the_kubelet_does() {
    let env = TestEnv::new("secret-refs");
    let base = env.base_image();
    let cases = [
        (
            "env-secret",
            "        env:\n        - {name: A, value: set}\n        - name: B\n          \
             valueFrom: {secretKeyRef: {name: db-creds, key: password}}\n",
            "",
            "CreateContainerConfigError: secret \"db-creds\" not found",
        ),
        (
            "env-configmap",
            "        env:\n        - name: B\n          \
             valueFrom: {configMapKeyRef: {name: settings, key: level}}\n",
            "",
            "CreateContainerConfigError: configmap \"settings\" not found",
        ),
        (
            "envfrom-secret",
            "        envFrom:\n        - secretRef: {name: all-creds}\n",
            "",
            "CreateContainerConfigError: secret \"all-creds\" not found",
        ),
        (
            "volume-secret",
            "        volumeMounts: [{name: cfg, mountPath: /cfg}]\n",
            "      volumes:\n      - name: cfg\n        secret: {secretName: tls}\n",
            "ContainerCreating: MountVolume.SetUp failed for volume \"cfg\" : secret \"tls\" not found",
        ),
        (
            "volume-configmap",
            "        volumeMounts: [{name: cfg, mountPath: /cfg}]\n",
            "      volumes:\n      - name: cfg\n        configMap: {name: files}\n",
            "ContainerCreating: MountVolume.SetUp failed for volume \"cfg\" : configmap \"files\" not found",
        ),
    ];
    for (case, container_extra, pod_extra, expected) in cases {
        let name = format!("{case}-{}", env.id);
        let yaml = job(&name, &base, container_extra, pod_extra);
        let (code, stdout, stderr) = run(&env, &format!("{case}.yaml"), &yaml);
        assert_eq!(code, Some(2), "{case}: {stderr}");
        assert!(
            stderr.contains(&format!("cannot start: {expected}")),
            "{case}: {stderr}"
        );
        assert!(
            stderr.contains("hint: add the Secret or ConfigMap"),
            "{case}: {stderr}"
        );
        // The container never ran with an empty variable.
        assert!(!stdout.contains("A=["), "{case}: {stdout}");
        assert!(
            env.containers(&[]).is_empty(),
            "{case}: a container was made"
        );
    }
}

#[test]
fn optional_references_are_left_out_and_the_pod_runs() {
    let env = TestEnv::new("optional-refs");
    let base = env.base_image();
    let name = format!("optional-{}", env.id);
    let container_extra = "        env:\n        - {name: A, value: set}\n        - name: B\n          \
         valueFrom: {secretKeyRef: {name: db-creds, key: password, optional: true}}\n        \
         - name: C\n          valueFrom: {configMapKeyRef: {name: settings, key: level, optional: true}}\n        \
         envFrom:\n        - configMapRef: {name: settings, optional: true}\n        \
         - secretRef: {name: all-creds, optional: true}\n        \
         volumeMounts: [{name: cfg, mountPath: /cfg}]\n";
    let pod_extra =
        "      volumes:\n      - name: cfg\n        secret: {secretName: tls, optional: true}\n";
    let (code, stdout, stderr) = run(
        &env,
        "job.yaml",
        &job(&name, &base, container_extra, pod_extra),
    );
    assert_eq!(code, Some(0), "{stderr}");
    // B and C unset (not empty strings from a missing object), /cfg mounted and empty.
    assert!(
        stdout.contains("A=[set] B=[unset] C=[unset]\nlisted\n"),
        "{stdout}\n{stderr}"
    );
    assert!(env.containers(&[]).is_empty(), "--rm left a container");
}
