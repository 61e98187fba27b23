//! Unit tests of the pod mapping: the command/args table, expansion, env, resources, labels.

use super::*;
use crate::job::load::load_jobs_with_rng;
use rand::SeedableRng;

fn load(yaml: &str) -> Job {
    let mut rng = rand::rngs::StdRng::seed_from_u64(3);
    load_jobs_with_rng(yaml, "t.yaml", &mut rng)
        .unwrap()
        .remove(0)
        .job
}

fn job_with(container: &str) -> Job {
    load(&format!(
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: pi\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: c\n        image: img:1\n{container}"
    ))
}

fn pod(restart: u32, index: Option<i32>) -> PodIdentity {
    PodIdentity {
        name: "pi-abcde".into(),
        uid: "pod-uid".into(),
        index,
        container: String::new(),
        restart,
    }
}

fn strings(v: &[&str]) -> Option<Vec<String>> {
    Some(v.iter().map(|s| s.to_string()).collect())
}

#[test]
fn command_args_four_cases_map_to_entrypoint_and_cmd() {
    // Docs table "Define a Command and Arguments for a Container": command → Entrypoint,
    // args → Cmd; unset stays None so the engine keeps the image's (moby merge()).
    let cases = [
        ("", None, None),
        ("        command: [/ep-2]\n", strings(&["/ep-2"]), None),
        ("        args: [zoo, boo]\n", None, strings(&["zoo", "boo"])),
        (
            "        command: [/ep-2]\n        args: [zoo, boo]\n",
            strings(&["/ep-2"]),
            strings(&["zoo", "boo"]),
        ),
        ("        command: []\n", None, None),
    ];
    for (yaml, entrypoint, cmd) in cases {
        let spec = container_spec(&job_with(yaml), &pod(0, None));
        assert_eq!(spec.entrypoint, entrypoint, "{yaml}");
        assert_eq!(spec.cmd, cmd, "{yaml}");
    }
}

#[test]
fn expansion_uses_earlier_env_and_field_refs() {
    let spec = container_spec(
        &job_with(concat!(
            "        args: [\"$(GREETING) $(POD) $$(POD) $(NUMBER)\"]\n",
            "        env:\n",
            "        - {name: WHO, value: world}\n",
            "        - {name: GREETING, value: \"hello $(WHO) $(LATER)\"}\n",
            "        - {name: LATER, value: late}\n",
            "        - name: POD\n          valueFrom: {fieldRef: {fieldPath: metadata.name}}\n",
            "        - name: NS\n          valueFrom: {fieldRef: {fieldPath: metadata.namespace}}\n",
            "        - name: UID\n          valueFrom: {fieldRef: {fieldPath: metadata.uid}}\n",
            "        - name: JOBNAME\n          valueFrom: {fieldRef: {fieldPath: \"metadata.labels['batch.kubernetes.io/job-name']\"}}\n",
        )),
        &pod(0, None),
    );
    assert_eq!(
        spec.cmd,
        strings(&["hello world $(LATER) pi-abcde $(POD) $(NUMBER)"])
    );
    assert!(spec.env.contains(&"NS=default".to_string()));
    assert!(spec.env.contains(&"UID=pod-uid".to_string()));
    assert!(spec.env.contains(&"JOBNAME=pi".to_string()));
}

#[test]
fn indexed_pods_get_index_env_hostname_and_label() {
    let job = load("apiVersion: batch/v1\nkind: Job\nmetadata: {name: idx}\nspec:\n  completions: 3\n  completionMode: Indexed\n  template:\n    spec:\n      restartPolicy: Never\n      containers: [{name: c, image: 'img:1', args: ['$(JOB_COMPLETION_INDEX)']}]\n");
    let spec = container_spec(&job, &pod(0, Some(2)));
    assert_eq!(spec.hostname.as_deref(), Some("idx-2"));
    assert!(spec.env.contains(&"JOB_COMPLETION_INDEX=2".to_string()));
    assert_eq!(spec.cmd, strings(&["2"]));
    assert_eq!(
        spec.labels.get(LABEL_COMPLETION_INDEX).map(String::as_str),
        Some("2")
    );
}

#[test]
fn labels_resources_volumes_and_names() {
    let job = job_with(concat!(
        "        workingDir: /work\n",
        "        resources:\n          limits: {memory: 64Mi, cpu: 500m}\n          requests: {cpu: 250m}\n",
        "        volumeMounts: [{name: scratch, mountPath: /scratch}, {name: other, mountPath: /x}]\n",
        "      volumes: [{name: scratch, emptyDir: {}}, {name: other, hostPath: {path: /tmp}}]\n",
    ));
    let spec = container_spec(&job, &pod(2, None));
    assert_eq!(spec.name, "pi-abcde.2");
    assert_eq!(spec.hostname.as_deref(), Some("pi-abcde"));
    assert_eq!(spec.working_dir.as_deref(), Some("/work"));
    assert_eq!(spec.memory_bytes, Some(64 * 1024 * 1024));
    assert_eq!(
        (spec.cpu_quota, spec.cpu_period),
        (Some(50_000), Some(100_000))
    );
    assert_eq!(spec.cpu_shares, Some(256));
    assert_eq!(spec.empty_dirs, vec!["/scratch".to_string()]);
    let uid = job.metadata.uid.clone().unwrap();
    for (k, v) in [
        ("batch.kubernetes.io/job-name", "pi"),
        ("job-name", "pi"),
        ("batch.kubernetes.io/controller-uid", uid.as_str()),
        ("controller-uid", uid.as_str()),
        (LABEL_MANAGED, "true"),
        (LABEL_POD, "pi-abcde"),
        (LABEL_RESTART, "2"),
    ] {
        assert_eq!(spec.labels.get(k).map(String::as_str), Some(v), "{k}");
    }
}

#[test]
fn exit_reasons_follow_containerd() {
    let exit = |code, oom, error: Option<&str>| ContainerExit {
        code,
        oom_killed: oom,
        error: error.map(str::to_string),
    };
    assert_eq!(exit_reason(&exit(0, false, None)), "Completed");
    assert_eq!(exit_reason(&exit(3, false, None)), "Error");
    assert_eq!(exit_reason(&exit(137, true, None)), "OOMKilled");
    assert_eq!(
        exit_reason(&exit(128, false, Some("exec: not found"))),
        "StartError"
    );
}

#[test]
fn each_container_of_a_pod_gets_its_own_spec_and_the_pod_one_sandbox() {
    let job = load(concat!(
        "apiVersion: batch/v1\nkind: Job\nmetadata: {name: duo}\nspec:\n  template:\n    spec:\n",
        "      restartPolicy: Never\n",
        "      volumes: [{name: shared, emptyDir: {}}]\n",
        "      containers:\n",
        "      - name: web\n        image: 'srv:1'\n        workingDir: /srv\n",
        "        env: [{name: PORT, value: '8080'}]\n        command: [serve, '$(PORT)']\n",
        "        resources: {limits: {memory: 32Mi}}\n",
        "        volumeMounts: [{name: shared, mountPath: /data}]\n",
        "      - name: probe\n        image: 'cli:2'\n",
        "        env: [{name: URL, value: 'http://localhost:$(PORT)'}]\n        args: ['$(URL)']\n",
        "        volumeMounts: [{name: shared, mountPath: /in}]\n",
    ));
    let identity = |container: &str, restart| PodIdentity {
        container: container.to_string(),
        ..pod(restart, None)
    };
    let web = container_spec(&job, &identity("web", 0));
    let probe = container_spec(&job, &identity("probe", 3));
    assert_eq!(
        (web.name.as_str(), probe.name.as_str()),
        ("pi-abcde_web", "pi-abcde_probe.3")
    );
    assert_eq!(
        (web.image.as_str(), probe.image.as_str()),
        ("srv:1", "cli:2")
    );
    assert_eq!(web.entrypoint, strings(&["serve", "8080"]));
    // $(PORT) is web's variable, not probe's: left as written (kubelet expansion per container).
    assert_eq!(probe.cmd, strings(&["http://localhost:$(PORT)"]));
    assert_eq!(
        (web.working_dir.as_deref(), probe.working_dir.as_deref()),
        (Some("/srv"), None)
    );
    assert_eq!(
        (web.memory_bytes, probe.memory_bytes),
        (Some(32 * 1024 * 1024), None)
    );
    assert_eq!(
        (web.empty_dirs.clone(), probe.empty_dirs.clone()),
        (vec!["/data".to_string()], vec!["/in".to_string()])
    );
    assert_eq!(
        web.labels.get(LABEL_CONTAINER).map(String::as_str),
        Some("web")
    );
    assert_eq!(
        probe.labels.get(LABEL_RESTART).map(String::as_str),
        Some("3")
    );
    assert_eq!(
        web.labels.get(LABEL_POD_UID),
        probe.labels.get(LABEL_POD_UID)
    );
    assert!(has_sandbox(&job));
    let sandbox = sandbox_spec(&job, &identity("", 0));
    assert_eq!(
        (sandbox.name.as_str(), sandbox.hostname.as_str()),
        ("pi-abcde_POD", "pi-abcde")
    );
    assert_eq!(
        sandbox.labels.get(LABEL_SANDBOX).map(String::as_str),
        Some("true")
    );
    assert_eq!(sandbox.labels.get(LABEL_CONTAINER), None);
    assert_eq!(
        sandbox.labels.get(LABEL_POD).map(String::as_str),
        Some("pi-abcde")
    );
    assert_eq!(
        sandbox
            .labels
            .get("batch.kubernetes.io/job-name")
            .map(String::as_str),
        Some("duo")
    );
    assert_eq!(pull_policy(&job, "probe"), "IfNotPresent");
}

#[test]
fn a_one_container_pod_keeps_its_plain_names_and_no_sandbox() {
    let job = job_with("");
    assert!(!has_sandbox(&job));
    assert_eq!(container_spec(&job, &pod(0, None)).name, "pi-abcde");
    assert_eq!(container_spec(&job, &pod(1, None)).name, "pi-abcde.1");
    assert_eq!(container_name("p", Some("c"), 0), "p_c");
}
