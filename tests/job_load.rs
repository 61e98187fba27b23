//! Loading Job manifests: defaults, admission, validation messages (kubectl wording) and
//! warnings, against the fixtures in `tests/fixtures/jobs`.

use std::path::Path;

use dockjob::job::field::JobInputError;
use dockjob::job::input::load_path;
use dockjob::job::load_jobs;

fn fixture(rel: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/jobs")
        .join(rel)
        .display()
        .to_string()
}

fn error_of(yaml: &str) -> String {
    load_jobs(yaml, "job.yaml")
        .expect_err("must be refused")
        .to_string()
}

fn job(spec: &str, pod: &str, container: &str) -> String {
    format!("apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: x\nspec:\n{spec}  template:\n    spec:\n{pod}      containers:\n      - name: c\n        image: busybox:1.36\n{container}")
}

#[test]
fn sample_job_gets_api_server_defaults() {
    let loaded = load_path(&fixture("valid/sample.yaml")).unwrap();
    assert_eq!(loaded.len(), 1);
    assert!(loaded[0].warnings.is_empty(), "{:?}", loaded[0].warnings);
    let job = &loaded[0].job;
    let spec = job.spec.as_ref().unwrap();
    assert_eq!(
        (spec.completions, spec.parallelism, spec.backoff_limit),
        (Some(1), Some(1), Some(1))
    );
    assert_eq!(spec.completion_mode.as_deref(), Some("NonIndexed"));
    assert_eq!(spec.suspend, Some(false));
    assert_eq!(
        spec.pod_replacement_policy.as_deref(),
        Some("TerminatingOrFailed")
    );
    let pod = spec.template.spec.as_ref().unwrap();
    assert_eq!(pod.termination_grace_period_seconds, Some(30));
    assert_eq!(
        pod.containers[0].image_pull_policy.as_deref(),
        Some("IfNotPresent")
    );
    let uid = job.metadata.uid.clone().unwrap();
    assert_eq!(uid.len(), 36);
    let selector = spec
        .selector
        .as_ref()
        .unwrap()
        .match_labels
        .clone()
        .unwrap();
    assert_eq!(
        selector.get("batch.kubernetes.io/controller-uid"),
        Some(&uid)
    );
    let labels = job.metadata.labels.clone().unwrap();
    assert_eq!(
        labels
            .get("batch.kubernetes.io/job-name")
            .map(String::as_str),
        Some("uzimihsr-echo-number")
    );
    assert_eq!(
        labels.get("job-name").map(String::as_str),
        Some("uzimihsr-echo-number")
    );
    assert_eq!(job.metadata.namespace.as_deref(), Some("default"));
}

#[test]
fn several_documents_load_in_order_and_empty_ones_are_skipped() {
    let loaded = load_path(&fixture("valid/indexed-and-pi.yaml")).unwrap();
    let names: Vec<_> = loaded
        .iter()
        .map(|l| l.job.metadata.name.clone().unwrap())
        .collect();
    assert_eq!(names, vec!["indexed", "pi"]);
    let pi = loaded[1].job.spec.as_ref().unwrap();
    assert_eq!(pi.backoff_limit, Some(6));
    let dir = load_path(&fixture("valid")).unwrap();
    assert_eq!(dir.len(), 3, "a directory loads every manifest in it");
}

#[test]
fn invalid_fixtures_print_kubectl_messages() {
    for name in ["no-restart-policy", "many-causes"] {
        let err = load_path(&fixture(&format!("invalid/{name}.yaml"))).unwrap_err();
        let want = std::fs::read_to_string(fixture(&format!("invalid/{name}.expected"))).unwrap();
        assert_eq!(err.to_string(), want, "{name}");
        assert!(matches!(err, JobInputError::Invalid { .. }));
    }
}

#[test]
fn validation_table() {
    let cases: Vec<(String, &str)> = vec![
        (job("", "      restartPolicy: Always\n", ""), "spec.template.spec.restartPolicy: Required value: valid values: \"OnFailure\", \"Never\""),
        (job("", "      restartPolicy: Foo\n", ""), "spec.template.spec.restartPolicy: Unsupported value: \"Foo\": supported values: \"OnFailure\", \"Never\""),
        (job("  completions: -2\n", "      restartPolicy: Never\n", ""), "spec.completions: Invalid value: -2: must be greater than or equal to 0"),
        (job("  backoffLimit: -1\n", "      restartPolicy: Never\n", ""), "spec.backoffLimit: Invalid value: -1: must be greater than or equal to 0"),
        (job("  activeDeadlineSeconds: -5\n", "      restartPolicy: Never\n", ""), "spec.activeDeadlineSeconds: Invalid value: -5: must be greater than or equal to 0"),
        (job("  ttlSecondsAfterFinished: -1\n", "      restartPolicy: Never\n", ""), "spec.ttlSecondsAfterFinished: Invalid value: -1: must be greater than or equal to 0"),
        (job("  completionMode: Indexed\n  parallelism: 2\n", "      restartPolicy: Never\n", ""), "spec.completions: Required value: when completion mode is Indexed"),
        (job("  completionMode: X\n", "      restartPolicy: Never\n", ""), "spec.completionMode: Unsupported value: \"X\": supported values: \"NonIndexed\", \"Indexed\""),
        (job("  completions: 3\n  parallelism: 100001\n  completionMode: Indexed\n", "      restartPolicy: Never\n", ""), "spec.parallelism: Invalid value: 100001: must be less than or equal to 100000 when completion mode is Indexed"),
        (job("  backoffLimitPerIndex: 1\n", "      restartPolicy: Never\n", ""), "spec.backoffLimitPerIndex: Invalid value: 1: requires indexed completion mode"),
        (job("  completions: 10\n  completionMode: Indexed\n  maxFailedIndexes: 2\n", "      restartPolicy: Never\n", ""), "spec.backoffLimitPerIndex: Required value: when maxFailedIndexes is specified"),
        (job("  completions: 10\n  completionMode: Indexed\n  backoffLimitPerIndex: 1\n  maxFailedIndexes: 11\n", "      restartPolicy: Never\n", ""), "spec.maxFailedIndexes: Invalid value: 11: must be less than or equal to completions"),
        (job("  podFailurePolicy:\n    rules:\n    - onExitCodes: {operator: In, values: [1]}\n", "      restartPolicy: Never\n", ""), "spec.podFailurePolicy.rules[0].action: Required value: valid values: [\"Count\" \"FailIndex\" \"FailJob\" \"Ignore\"]"),
        (job("  podFailurePolicy:\n    rules:\n    - action: UnknownAction\n      onExitCodes: {operator: In, values: [1]}\n", "      restartPolicy: Never\n", ""), "spec.podFailurePolicy.rules[0].action: Unsupported value: \"UnknownAction\": supported values: \"Count\", \"FailIndex\", \"FailJob\", \"Ignore\""),
        (job("  podFailurePolicy:\n    rules:\n    - action: FailIndex\n      onExitCodes: {operator: In, values: [1]}\n", "      restartPolicy: Never\n", ""), "spec.podFailurePolicy.rules[0].action: Invalid value: \"FailIndex\": requires the backoffLimitPerIndex to be set"),
        (job("  podFailurePolicy:\n    rules:\n    - action: Count\n      onExitCodes: {operator: Maybe, values: [1]}\n", "      restartPolicy: Never\n", ""), "spec.podFailurePolicy.rules[0].onExitCodes.operator: Unsupported value: \"Maybe\": supported values: \"In\", \"NotIn\""),
        (job("  podFailurePolicy:\n    rules:\n    - action: Count\n      onExitCodes: {operator: In, values: [11, 11]}\n", "      restartPolicy: Never\n", ""), "spec.podFailurePolicy.rules[0].onExitCodes.values[1]: Duplicate value: 11"),
        (job("  podFailurePolicy:\n    rules:\n    - action: Count\n      onExitCodes: {operator: In, values: []}\n", "      restartPolicy: Never\n", ""), "spec.podFailurePolicy.rules[0].onExitCodes.values: Invalid value: []int32{}: at least one value is required"),
        (job("  podFailurePolicy:\n    rules:\n    - action: Count\n", "      restartPolicy: Never\n", ""), "spec.podFailurePolicy.rules[0]: Invalid value: specifying one of OnExitCodes and OnPodConditions is required"),
        (job("  podFailurePolicy:\n    rules:\n    - action: Count\n      onExitCodes: {operator: In, values: [1]}\n      onPodConditions: [{type: DisruptionTarget}]\n", "      restartPolicy: Never\n", ""), "spec.podFailurePolicy.rules[0]: Invalid value: specifying both OnExitCodes and OnPodConditions is not supported"),
        (job("  podFailurePolicy:\n    rules: []\n  podReplacementPolicy: TerminatingOrFailed\n", "      restartPolicy: Never\n", ""), "spec.podReplacementPolicy: Unsupported value: \"TerminatingOrFailed\": supported values: \"Failed\""),
        (job("  successPolicy:\n    rules:\n    - succeededCount: 1\n", "      restartPolicy: Never\n", ""), "requires indexed completion mode"),
        (job("  completions: 5\n  completionMode: Indexed\n  successPolicy:\n    rules: []\n", "      restartPolicy: Never\n", ""), "spec.successPolicy.rules: Required value: at least one rules must be specified when the successPolicy is specified"),
        (job("  completions: 5\n  completionMode: Indexed\n  successPolicy:\n    rules:\n    - {}\n", "      restartPolicy: Never\n", ""), "spec.successPolicy.rules[0]: Required value: at least one of succeededCount or succeededIndexes must be specified"),
        (job("  completions: 5\n  completionMode: Indexed\n  successPolicy:\n    rules:\n    - succeededCount: 6\n", "      restartPolicy: Never\n", ""), "spec.successPolicy.rules[0].succeededCount: Invalid value: 6: must be less than or equal to 5 (the number of specified completions)"),
        (job("  manualSelector: true\n", "      restartPolicy: Never\n", ""), "spec.selector: Required value"),
        (job("", "      restartPolicy: Never\n", "        imagePullPolicy: Sometimes\n"), "spec.template.spec.containers[0].imagePullPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"IfNotPresent\", \"Never\""),
        (job("", "      restartPolicy: Never\n", "        resources: {limits: {memory: 12 MB}}\n"), "spec.template.spec.containers[0].resources.limits.memory: Invalid value: \"12 MB\": quantities must match the regular expression"),
        (job("", "      restartPolicy: Never\n", "        resources: {limits: {cpu: '1'}, requests: {cpu: '2'}}\n"), "spec.template.spec.containers[0].resources.requests: Invalid value: \"2\": must be less than or equal to cpu limit of 1"),
        (job("", "      restartPolicy: Never\n", "        volumeMounts: [{name: data, mountPath: /data}]\n"), "spec.template.spec.containers[0].volumeMounts[0].name: Not found: \"data\""),
        (job("", "      restartPolicy: Never\n", "        env: [{name: N, valueFrom: {fieldRef: {fieldPath: spec.foo}}}]\n"), "spec.template.spec.containers[0].env[0].valueFrom.fieldRef.fieldPath: Unsupported value: \"spec.foo\": supported values: \"metadata.name\""),
        (job("", "      restartPolicy: Never\n", "").replace("image: busybox:1.36", "image: ''"), "spec.template.spec.containers[0].image: Required value"),
        (job("", "      restartPolicy: Never\n", "").replace("name: x", "name: My_Job"), "metadata.name: Invalid value: \"My_Job\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"),
        (job("", "      restartPolicy: Never\n", "").replace("name: x", "name: ''"), "metadata.name: Required value: name or generateName is required"),
        (job("  completions: 10\n  completionMode: Indexed\n", "      restartPolicy: Never\n", "").replace("name: x", &format!("name: {}", "a".repeat(62))), "will not able to create pod with invalid DNS label: "),
    ];
    for (yaml, want) in cases {
        let err = error_of(&yaml);
        assert!(err.starts_with("The Job \""), "{err}");
        assert!(err.contains(want), "want {want:?} in\n{err}\nfor\n{yaml}");
    }
}

#[test]
fn long_names_fail_on_the_job_name_label() {
    let name = "n".repeat(64);
    let err = error_of(
        &job("", "      restartPolicy: Never\n", "").replace("name: x", &format!("name: {name}")),
    );
    assert!(
        err.contains(&format!(
            "spec.template.labels: Invalid value: \"{name}\": must be no more than 63 characters"
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "metadata.labels: Invalid value: \"{name}\": must be no more than 63 characters"
        )),
        "{err}"
    );
}

#[test]
fn other_kinds_and_bad_yaml_are_refused_clearly() {
    let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n";
    assert_eq!(
        error_of(pod),
        "job.yaml: document 1 is apiVersion \"v1\", kind \"Pod\": dockjob runs only apiVersion \"batch/v1\", kind \"Job\" (and reads apiVersion \"v1\" kinds \"ConfigMap\" and \"Secret\")"
    );
    let old = "apiVersion: batch/v1beta1\nkind: Job\nmetadata: {name: p}\n";
    assert!(error_of(old).contains("document 1 is apiVersion \"batch/v1beta1\", kind \"Job\""));
    let second = format!(
        "{}---\nkind: ConfigMap\n",
        job("", "      restartPolicy: Never\n", "")
    );
    assert!(error_of(&second).contains("document 2 is apiVersion missing, kind \"ConfigMap\""));
    let broken = job(
        "",
        "      restartPolicy: Never\n",
        "        args: [unclosed\n",
    );
    let err = error_of(&broken);
    assert!(
        err.starts_with("job.yaml: ") && err.contains("line"),
        "{err}"
    );
    let wrong_type = job("  parallelism: lots\n", "      restartPolicy: Never\n", "");
    assert!(
        error_of(&wrong_type).contains("line 6"),
        "{}",
        error_of(&wrong_type)
    );
    assert_eq!(error_of(""), "job.yaml: no Job found (the input is empty)");
}

#[test]
fn ignored_fields_get_one_warning_each() {
    let pod = "      restartPolicy: Never\n      nodeSelector: {disk: ssd}\n      tolerations: [{key: k, operator: Exists}]\n      serviceAccountName: robot\n";
    let loaded = load_jobs(
        &job("", pod, "        ports: [{containerPort: 80}]\n"),
        "job.yaml",
    )
    .unwrap();
    let warnings = &loaded[0].warnings;
    assert_eq!(warnings.len(), 4, "{warnings:?}");
    assert!(warnings
        .iter()
        .any(|w| w.starts_with("spec.template.spec.nodeSelector: ignored by dockjob")));
    assert!(warnings
        .iter()
        .any(|w| w.starts_with("spec.template.spec.tolerations: ignored by dockjob")));
    assert!(warnings
        .iter()
        .any(|w| w.starts_with("spec.template.spec.serviceAccountName: ignored by dockjob")));
    assert!(warnings
        .iter()
        .any(|w| w.starts_with("spec.template.spec.containers[0].ports: ignored by dockjob")));
}

#[test]
fn on_pod_conditions_rules_are_said_never_to_match() {
    let spec = "  podFailurePolicy:\n    rules:\n    - action: FailJob\n      onExitCodes: {operator: In, values: [42]}\n    - action: Ignore\n      onPodConditions: [{type: DisruptionTarget}]\n";
    let loaded = load_jobs(&job(spec, "      restartPolicy: Never\n", ""), "job.yaml").unwrap();
    assert_eq!(
        loaded[0].warnings,
        vec!["spec.podFailurePolicy.rules[1].onPodConditions: ignored by dockjob (no pod on one engine is preempted, evicted or disrupted, so it never matches)".to_string()]
    );
}

#[test]
fn multi_container_pods_load_with_each_container() {
    let yaml = format!(
        "{}      - name: side\n        image: busybox:1.36\n",
        job("", "      restartPolicy: Never\n", "")
    );
    let loaded = load_jobs(&yaml, "job.yaml").expect("two containers are a valid pod");
    let pod = loaded[0].job.spec.clone().unwrap().template.spec.unwrap();
    let names: Vec<&str> = pod.containers.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names.len(), 2);
    assert_eq!(names[1], "side");
}

#[test]
fn init_containers_and_native_sidecars_are_refused_with_a_reason() {
    let base = job("", "      restartPolicy: Never\n", "");
    let init = base.replace(
        "      containers:\n",
        "      initContainers:\n      - name: prep\n        image: busybox:1.36\n      containers:\n",
    );
    assert_ne!(init, base, "the template has a containers line");
    let err = error_of(&init);
    assert!(
        err.contains("spec.template.spec.initContainers: dockjob does not run initContainers"),
        "{err}"
    );
    let sidecar = init.replace(
        "      - name: prep\n",
        "      - name: prep\n        restartPolicy: Always\n",
    );
    let err = error_of(&sidecar);
    assert!(err.contains("native sidecars"), "{err}");
}

#[test]
fn generate_name_gets_a_random_suffix() {
    let yaml = job("", "      restartPolicy: Never\n", "")
        .replace("  name: x\n", "  generateName: batch-\n");
    let loaded = load_jobs(&yaml, "job.yaml").unwrap();
    let name = loaded[0].job.metadata.name.clone().unwrap();
    assert!(
        regex::Regex::new("^batch-[bcdfghjklmnpqrstvwxz2456789]{5}$")
            .unwrap()
            .is_match(&name),
        "{name}"
    );
}

#[test]
fn misspelt_fields_are_refused_like_strict_field_validation() {
    let yaml = job(
        "",
        "      restartpolicy: Never\n",
        "        imagePullPolicy: IfNotPresent\n        comand: [sh]\n",
    );
    assert_eq!(
        error_of(&yaml),
        "Error from server (BadRequest): error when creating \"job.yaml\": Job in version \"v1\" cannot be handled as a Job: strict decoding error: unknown field \"spec.template.spec.containers[0].comand\", unknown field \"spec.template.spec.restartpolicy\""
    );
    // Nulls, empty maps, numbers for quantities and labels survive the round trip.
    let fine = job(
        "",
        "      restartPolicy: Never\n      volumes: null\n",
        "        resources: {limits: {cpu: 1, memory: 64Mi}, requests: {}}\n        env: []\n",
    );
    assert!(load_jobs(&fine, "job.yaml").is_ok(), "{}", error_of(&fine));
}

#[test]
fn selectors_and_managed_by_follow_the_api_server() {
    let own = job(
        "  selector: {matchLabels: {app: x}}\n",
        "      restartPolicy: Never\n",
        "",
    );
    // Go's %#v of the v1.LabelSelector, as `field.Invalid` renders it before Kubernetes 1.34.
    assert!(error_of(&own).contains("spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"x\", \"batch.kubernetes.io/controller-uid\":"), "{}", error_of(&own));
    assert!(error_of(&own).contains("`selector` not auto-generated"));
    let manual = job(
        "  manualSelector: true\n  selector: {matchLabels: {app: x}}\n",
        "      restartPolicy: Never\n",
        "",
    )
    .replace(
        "    spec:\n      restartPolicy",
        "    metadata: {labels: {app: x}}\n    spec:\n      restartPolicy",
    );
    assert!(
        load_jobs(&manual, "job.yaml").is_ok(),
        "{}",
        error_of(&manual)
    );
    let mismatch = manual.replace("labels: {app: x}", "labels: {app: y}");
    assert!(error_of(&mismatch).contains("spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"y\"}: `selector` does not match template `labels`"), "{}", error_of(&mismatch));
    let managed = job("  managedBy: nope\n", "      restartPolicy: Never\n", "");
    assert!(error_of(&managed).contains("spec.managedBy: Invalid value: \"nope\": must be a domain-prefixed path (such as \"acme.io/foo\")"));
    let high = job("  completions: 100001\n  completionMode: Indexed\n  backoffLimitPerIndex: 1\n  parallelism: 10001\n", "      restartPolicy: Never\n", "");
    let err = error_of(&high);
    assert!(err.contains("spec.maxFailedIndexes: Required value: must be specified when completions is above 100000"), "{err}");
    assert!(err.contains("spec.parallelism: Invalid value: 10001: must be less than or equal to 10000 when completions are above 100000 and used with backoff limit per index"), "{err}");
}

#[test]
fn json_manifests_and_read_errors() {
    let json = r#"{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"j"},"spec":{"template":{"spec":{"restartPolicy":"Never","containers":[{"name":"c","image":"busybox:1.36"}]}}}}"#;
    assert_eq!(load_jobs(json, "job.json").unwrap().len(), 1);
    let missing = load_path("/nonexistent/job.yaml").unwrap_err().to_string();
    assert!(
        missing.starts_with("/nonexistent/job.yaml: No such file"),
        "{missing}"
    );
    let empty_dir = tempfile::tempdir().unwrap();
    let err = load_path(empty_dir.path().to_str().unwrap())
        .unwrap_err()
        .to_string();
    assert!(err.ends_with("no Job found (the input is empty)"), "{err}");
}

#[test]
fn typed_decoding_from_json_keeps_yamls_scalars_and_positions() {
    // The typed Job is decoded from the first pass's JSON when it can be (one parse fewer of
    // a large manifest); a number where a Quantity is wanted, and a type error's line and
    // column, still come from the text as before.
    let yaml = job(
        "",
        "      restartPolicy: Never\n",
        "        resources: {limits: {cpu: 1}}\n",
    );
    let loaded = load_jobs(&yaml, "job.yaml").expect("loads");
    let pod = loaded[0]
        .job
        .spec
        .as_ref()
        .unwrap()
        .template
        .spec
        .as_ref()
        .unwrap();
    let cpu = &pod.containers[0]
        .resources
        .as_ref()
        .unwrap()
        .limits
        .as_ref()
        .unwrap()["cpu"];
    assert_eq!(cpu.0, "1");
    assert_eq!(
        error_of(&job(
            "  parallelism: \"2\"\n",
            "      restartPolicy: Never\n",
            ""
        )),
        "job.yaml: spec.parallelism: invalid type: string \"2\", expected i32 at line 6 column 16"
    );
    // Regression: an unquoted env value was read as a string and run; the API server's
    // decoder refuses it.
    assert_eq!(
        error_of(&job("", "      restartPolicy: Never\n", "        env: [{name: PORT, value: 8080}]\n")),
        "Error from server (BadRequest): error when creating \"job.yaml\": Job in version \"v1\" cannot be handled as a Job: json: cannot unmarshal number into Go struct field EnvVar.spec.template.spec.containers.env.value of type string"
    );
}
