//! kubernetes `pkg/apis/batch/validation/validation_test.go` (`TestValidateJob`), ported.
//!
//! Each upstream case is an already-defaulted internal Job given straight to `ValidateJob`;
//! here it is the same object as a `batch/v1` Job given to [`validate_job`] (no defaulting,
//! no admission, as upstream). An error case passes as upstream's loop decides: the first
//! error's field is the part of the key before the first `:`, and its text contains the rest.
//!
//! Texts are those of Kubernetes 1.33 (dockjob's `k8s-openapi` version): the test file these
//! cases come from predates apimachinery commit 51cdbebd ("Kill TooLongMaxLength() in favor
//! of TooLong()", Kubernetes 1.32), so its two `Too long` keys read `may not be longer than
//! 63` and `must have at most 65536 bytes`; since 1.32 both are `may not be more than N bytes`.
//! Values rendered with Go's `%#v` (`batch.SuccessPolicy{…}`, `map[string]string{…}`,
//! `[]int32{…}`) are pre-1.34 `field.Error.ErrorBody`.
//!
//! Left out, with the reason: `"do not allow new batch labels"` (a success case only with
//! `RequirePrefixedLabels: false`, the option for Jobs created by servers before 1.27; every
//! Job dockjob admits gets the prefixed labels).

use dockjob::job::validate::validate_job;
use k8s_openapi::api::batch::v1::Job;
use serde_json::{json, Value};

fn container(name: &str) -> Value {
    json!({"name": name, "image": "image", "imagePullPolicy": "IfNotPresent", "terminationMessagePolicy": "File"})
}

/// `podtest.MakePod("", SetRestartPolicy(policy), SetContainers(MakeContainer("abc")),
/// SetInitContainers(MakeContainer("def"))).Spec`.
fn pod_spec(restart: &str) -> Value {
    json!({"restartPolicy": restart, "dnsPolicy": "ClusterFirst", "containers": [container("abc")], "initContainers": [container("def")]})
}

/// `podtest.MakePod("", SetRestartPolicy(policy), SetContainers(MakeContainer("abc")))`.
fn pod_abc(restart: &str) -> Value {
    json!({"restartPolicy": restart, "dnsPolicy": "ClusterFirst", "containers": [container("abc")]})
}

fn generated_labels() -> Value {
    json!({"batch.kubernetes.io/controller-uid": "1a2b3c", "controller-uid": "1a2b3c", "batch.kubernetes.io/job-name": "myjob", "job-name": "myjob"})
}

/// `validPodTemplateSpecForGenerated` (OnFailure) or `…RestartPolicyNever`.
fn generated_template(restart: &str) -> Value {
    json!({"metadata": {"labels": generated_labels()}, "spec": pod_spec(restart)})
}

/// A spec with the generated selector and template, then `extra`'s fields.
fn spec(restart: &str, extra: Value) -> Value {
    let mut spec = json!({"selector": {"matchLabels": generated_labels()}, "template": generated_template(restart)});
    merge(&mut spec, extra);
    spec
}

fn merge(into: &mut Value, extra: Value) {
    if let (Value::Object(into), Value::Object(extra)) = (into, extra) {
        for (k, v) in extra {
            into.insert(k, v);
        }
    }
}

/// `validJobObjectMeta` and a spec.
fn job(spec: Value) -> Job {
    job_meta(
        json!({"name": "myjob", "namespace": "default", "uid": "1a2b3c"}),
        spec,
    )
}

fn job_meta(metadata: Value, spec: Value) -> Job {
    serde_json::from_value(
        json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": metadata, "spec": spec}),
    )
    .expect("a batch/v1 Job")
}

fn manual_spec(labels: Value, restart: &str) -> Value {
    json!({"selector": {"matchLabels": {"a": "b"}}, "manualSelector": true, "template": {"metadata": {"labels": labels}, "spec": pod_abc(restart)}})
}

fn pfp(rules: Value) -> Value {
    json!({"podFailurePolicy": {"rules": rules}})
}

fn success_policy(rules: Value) -> Value {
    json!({"completionMode": "Indexed", "completions": 5, "successPolicy": {"rules": rules}})
}

fn exit_codes(action: &str, operator: &str, values: Value) -> Value {
    json!({"action": action, "onExitCodes": {"operator": operator, "values": values}})
}

fn success_cases() -> Vec<(&'static str, Job)> {
    let never = "Never";
    vec![
        ("valid success policy", job(spec(never, json!({"completionMode": "Indexed", "completions": 10, "successPolicy": {"rules": [{"succeededCount": 1, "succeededIndexes": "0,2,4"}, {"succeededIndexes": "1,3,5-9"}]}})))),
        ("valid pod failure policy with negative exitCodes - need for Windows support", job(spec(never, pfp(json!([exit_codes("FailJob", "NotIn", json!([-1073741819, -1073741676, -1073741510]))]))))),
        ("valid pod failure policy", job(spec(never, pfp(json!([
            {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}]},
            {"action": "FailJob", "onPodConditions": [{"type": "CustomConditionType", "status": "False"}]},
            {"action": "Count", "onExitCodes": {"containerName": "abc", "operator": "In", "values": [1, 2, 3]}},
            {"action": "Ignore", "onExitCodes": {"containerName": "def", "operator": "In", "values": [4]}},
            {"action": "FailJob", "onExitCodes": {"operator": "NotIn", "values": [5, 6, 7]}},
        ]))))),
        ("valid pod failure policy with FailIndex", job(spec(never, json!({"completionMode": "Indexed", "completions": 2, "backoffLimitPerIndex": 1, "manualSelector": true, "podFailurePolicy": {"rules": [exit_codes("FailIndex", "In", json!([10]))]}})))),
        ("valid manual selector", job_meta(json!({"name": "myjob", "namespace": "default", "uid": "1a2b3c", "annotations": {"foo": "bar"}}), json!({"selector": {"matchLabels": {"a": "b"}}, "manualSelector": true, "template": {"metadata": {"labels": {"a": "b"}}, "spec": {"restartPolicy": "OnFailure", "dnsPolicy": "ClusterFirst", "containers": [container("abc")]}}}))),
        ("valid generated selector", job(spec("OnFailure", json!({})))),
        ("valid pod replacement", job(spec("OnFailure", json!({"podReplacementPolicy": "TerminatingOrFailed"})))),
        ("valid pod replacement with failed", job(spec("OnFailure", json!({"podReplacementPolicy": "Failed"})))),
        ("valid hostnet", job(spec("OnFailure", json!({"template": {"metadata": {"labels": generated_labels()}, "spec": {"restartPolicy": "OnFailure", "dnsPolicy": "ClusterFirst", "hostNetwork": true, "containers": [{"name": "abc", "image": "image", "imagePullPolicy": "IfNotPresent", "terminationMessagePolicy": "File", "ports": [{"containerPort": 12345, "protocol": "TCP"}]}], "initContainers": [container("def")]}}})))),
        ("valid NonIndexed completion mode", job(spec("OnFailure", json!({"completionMode": "NonIndexed"})))),
        ("valid Indexed completion mode", job(spec("OnFailure", json!({"completionMode": "Indexed", "completions": 2, "parallelism": 100000})))),
        ("valid parallelism and maxFailedIndexes for high completions when backoffLimitPerIndex is used", job(spec("OnFailure", json!({"completions": 100_000, "parallelism": 100_000, "maxFailedIndexes": 100_000, "backoffLimitPerIndex": 1, "completionMode": "Indexed"})))),
        ("valid parallelism and maxFailedIndexes for unlimited completions when backoffLimitPerIndex is used", job(spec("OnFailure", json!({"completions": 1_000_000_000, "parallelism": 10_000, "maxFailedIndexes": 10_000, "backoffLimitPerIndex": 1, "completionMode": "Indexed"})))),
        ("valid job tracking annotation", job(spec("OnFailure", json!({})))),
        ("valid batch labels", job(spec("OnFailure", json!({})))),
        ("valid managedBy field", job(spec("OnFailure", json!({"managedBy": "example.com/foo"})))),
    ]
}

fn error_cases() -> Vec<(String, Job)> {
    let never = "Never";
    let legacy_only = |selector: Value, labels: Value| json!({"selector": {"matchLabels": selector}, "template": {"metadata": {"labels": labels}, "spec": {"restartPolicy": "OnFailure", "dnsPolicy": "ClusterFirst", "containers": [container("abc")], "initContainers": [container("def")]}}});
    let many_pfp_rules: Vec<Value> = (1..=21)
        .map(|i| exit_codes("FailJob", "In", json!([i])))
        .collect();
    let many_patterns: Vec<Value> = (0..21)
        .map(|i| json!({"type": format!("CustomType_{i}"), "status": "True"}))
        .collect();
    let many_values: Vec<i32> = (0..256).collect();
    let many_success_rules: Vec<Value> = (0..21).map(|_| json!({"succeededCount": 5})).collect();
    let cases: Vec<(&str, Job)> = vec![
        // Upstream: `may not be longer than 63` (TooLongMaxLength, before 1.32).
        ("spec.managedBy: Too long: may not be more than 63 bytes", job(spec("OnFailure", json!({"managedBy": format!("example.com/{}", "x".repeat(60))})))),
        ("spec.managedBy: Invalid value: \"invalid custom controller name\": must be a domain-prefixed path (such as \"acme.io/foo\")", job(spec("OnFailure", json!({"managedBy": "invalid custom controller name"})))),
        ("spec.successPolicy: Invalid value: batch.SuccessPolicy{Rules:[]batch.SuccessPolicyRule{}}: requires indexed completion mode", job(spec(never, json!({"successPolicy": {"rules": []}})))),
        ("spec.successPolicy.rules: Required value: at least one rules must be specified when the successPolicy is specified", job(spec(never, success_policy(json!([]))))),
        ("spec.successPolicy.rules[0]: Required value: at least one of succeededCount or succeededIndexes must be specified", job(spec(never, success_policy(json!([{}]))))),
        ("spec.successPolicy.rules[0].succeededIndexes: Invalid value: \"invalid-format\": error parsing succeededIndexes: cannot convert string to integer for index: \"invalid\"", job(spec(never, success_policy(json!([{"succeededIndexes": "invalid-format"}]))))),
        // Upstream: `must have at most 65536 bytes` (TooLong, before 1.32).
        ("spec.successPolicy.rules[0].succeededIndexes: Too long: may not be more than 65536 bytes", job(spec(never, success_policy(json!([{"succeededIndexes": "1".repeat(65537)}]))))),
        ("spec.successPolicy.rules[0].succeededCount: must be greater than or equal to 0", job(spec(never, success_policy(json!([{"succeededCount": -1}]))))),
        ("spec.successPolicy.rules[0].succeededCount: Invalid value: 6: must be less than or equal to 5 (the number of specified completions)", job(spec(never, success_policy(json!([{"succeededCount": 6}]))))),
        ("spec.successPolicy.rules[0].succeededCount: Invalid value: 4: must be less than or equal to 3 (the number of indexes in the specified succeededIndexes field)", job(spec(never, success_policy(json!([{"succeededCount": 4, "succeededIndexes": "0-2"}]))))),
        ("spec.successPolicy.rules: Too many: 21: must have at most 20 items", job(spec(never, success_policy(json!(many_success_rules))))),
        ("spec.podFailurePolicy.rules[0]: Invalid value: specifying one of OnExitCodes and OnPodConditions is required", job(spec(never, pfp(json!([{"action": "FailJob"}]))))),
        ("spec.podFailurePolicy.rules[0].onExitCodes.values[1]: Duplicate value: 11", job(spec(never, pfp(json!([exit_codes("FailJob", "In", json!([11, 11]))]))))),
        ("spec.podFailurePolicy.rules[0].onExitCodes.values: Too many: 256: must have at most 255 items", job(spec(never, pfp(json!([exit_codes("FailJob", "In", json!(many_values))]))))),
        ("spec.podFailurePolicy.rules: Too many: 21: must have at most 20 items", job(spec(never, pfp(json!(many_pfp_rules))))),
        ("spec.podFailurePolicy.rules[0].onPodConditions: Too many: 21: must have at most 20 items", job(spec(never, pfp(json!([{"action": "FailJob", "onPodConditions": many_patterns}]))))),
        ("spec.podFailurePolicy.rules[0].onExitCodes.values[2]: Duplicate value: 13", job(spec(never, pfp(json!([exit_codes("FailJob", "In", json!([12, 13, 13, 13]))]))))),
        ("spec.podFailurePolicy.rules[0].onExitCodes.values: Invalid value: []int32{19, 11}: must be ordered", job(spec(never, pfp(json!([exit_codes("FailJob", "In", json!([19, 11]))]))))),
        ("spec.podFailurePolicy.rules[0].onExitCodes.values: Invalid value: []int32{}: at least one value is required", job(spec(never, pfp(json!([exit_codes("FailJob", "In", json!([]))]))))),
        ("spec.podFailurePolicy.rules[0].action: Required value: valid values: [\"Count\" \"FailIndex\" \"FailJob\" \"Ignore\"]", job(spec(never, pfp(json!([exit_codes("", "In", json!([1, 2, 3]))]))))),
        ("spec.podFailurePolicy.rules[0].onExitCodes.operator: Required value: valid values: [\"In\" \"NotIn\"]", job(spec(never, pfp(json!([exit_codes("FailJob", "", json!([1, 2, 3]))]))))),
        ("spec.podFailurePolicy.rules[0]: Invalid value: specifying both OnExitCodes and OnPodConditions is not supported", job(spec(never, pfp(json!([{"action": "FailJob", "onExitCodes": {"containerName": "abc", "operator": "In", "values": [1, 2, 3]}, "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}]}]))))),
        ("spec.podFailurePolicy.rules[0].onExitCodes.values[1]: Invalid value: 0: must not be 0 for the In operator", job(spec(never, pfp(json!([exit_codes("Ignore", "In", json!([1, 0, 2]))]))))),
        ("spec.podFailurePolicy.rules[1].onExitCodes.containerName: Invalid value: \"xyz\": must be one of the container or initContainer names in the pod template", job(spec(never, pfp(json!([
            {"action": "Ignore", "onExitCodes": {"containerName": "abc", "operator": "In", "values": [1, 2, 3]}},
            {"action": "FailJob", "onExitCodes": {"containerName": "xyz", "operator": "In", "values": [5, 6, 7]}},
        ]))))),
        ("spec.podFailurePolicy.rules[0].action: Unsupported value: \"UnknownAction\": supported values: \"Count\", \"FailIndex\", \"FailJob\", \"Ignore\"", job(spec(never, pfp(json!([{"action": "UnknownAction", "onExitCodes": {"containerName": "abc", "operator": "In", "values": [1, 2, 3]}}]))))),
        ("spec.podFailurePolicy.rules[0].onExitCodes.operator: Unsupported value: \"UnknownOperator\": supported values: \"In\", \"NotIn\"", job(spec(never, pfp(json!([exit_codes("Ignore", "UnknownOperator", json!([1, 2, 3]))]))))),
        ("spec.podFailurePolicy.rules[0].onPodConditions[0].status: Required value: valid values: [\"False\" \"True\" \"Unknown\"]", job(spec(never, pfp(json!([{"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget", "status": ""}]}]))))),
        ("spec.podFailurePolicy.rules[0].onPodConditions[0].status: Unsupported value: \"UnknownStatus\": supported values: \"False\", \"True\", \"Unknown\"", job(spec(never, pfp(json!([{"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget", "status": "UnknownStatus"}]}]))))),
        ("spec.podFailurePolicy.rules[0].onPodConditions[0].type: Invalid value: \"\": name part must be non-empty", job(spec(never, pfp(json!([{"action": "Ignore", "onPodConditions": [{"type": "", "status": "True"}]}]))))),
        ("spec.podFailurePolicy.rules[0].onPodConditions[0].type: Invalid value: \"Invalid Condition Type\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')", job(spec(never, pfp(json!([{"action": "Ignore", "onPodConditions": [{"type": "Invalid Condition Type", "status": "True"}]}]))))),
        ("spec.podReplacementPolicy: Unsupported value: \"TerminatingOrFailed\": supported values: \"Failed\"", job(spec(never, json!({"podReplacementPolicy": "TerminatingOrFailed", "podFailurePolicy": {"rules": [{"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}]}]}})))),
        ("spec.podReplacementPolicy: Unsupported value: \"\": supported values: \"Failed\", \"TerminatingOrFailed\"", job(spec(never, json!({"podReplacementPolicy": ""})))),
        ("spec.template.spec.restartPolicy: Invalid value: \"OnFailure\": only \"Never\" is supported when podFailurePolicy is specified", job(json!({"selector": {"matchLabels": generated_labels()}, "template": {"metadata": {"labels": generated_labels()}, "spec": pod_abc("OnFailure")}, "podFailurePolicy": {"rules": []}}))),
        ("spec.parallelism:must be greater than or equal to 0", job(spec("OnFailure", json!({"parallelism": -1})))),
        ("spec.backoffLimit:must be greater than or equal to 0", job(spec("OnFailure", json!({"backoffLimit": -1})))),
        ("spec.backoffLimitPerIndex: Invalid value: 1: requires indexed completion mode", job(spec("OnFailure", json!({"backoffLimitPerIndex": 1})))),
        ("spec.backoffLimitPerIndex:must be greater than or equal to 0", job(spec("OnFailure", json!({"backoffLimitPerIndex": -1, "completionMode": "Indexed"})))),
        ("spec.maxFailedIndexes: Invalid value: 11: must be less than or equal to completions", job(spec("OnFailure", json!({"completions": 10, "maxFailedIndexes": 11, "backoffLimitPerIndex": 1, "completionMode": "Indexed"})))),
        ("spec.maxFailedIndexes: Required value: must be specified when completions is above 100000", job(spec("OnFailure", json!({"completions": 100_001, "backoffLimitPerIndex": 1, "completionMode": "Indexed"})))),
        ("spec.parallelism: Invalid value: 50000: must be less than or equal to 10000 when completions are above 100000 and used with backoff limit per index", job(spec("OnFailure", json!({"completions": 100_001, "parallelism": 50_000, "backoffLimitPerIndex": 1, "maxFailedIndexes": 1, "completionMode": "Indexed"})))),
        ("spec.maxFailedIndexes: Invalid value: 100001: must be less than or equal to 100000", job(spec("OnFailure", json!({"completions": 100_001, "backoffLimitPerIndex": 1, "maxFailedIndexes": 100_001, "completionMode": "Indexed"})))),
        ("spec.maxFailedIndexes: Invalid value: 50000: must be less than or equal to 10000 when completions are above 100000 and used with backoff limit per index", job(spec("OnFailure", json!({"completions": 100_001, "backoffLimitPerIndex": 1, "maxFailedIndexes": 50_000, "completionMode": "Indexed"})))),
        ("spec.maxFailedIndexes:must be greater than or equal to 0", job(spec("OnFailure", json!({"backoffLimitPerIndex": 1, "maxFailedIndexes": -1, "completionMode": "Indexed"})))),
        ("spec.backoffLimitPerIndex: Required value: when maxFailedIndexes is specified", job(spec("OnFailure", json!({"maxFailedIndexes": 1, "completionMode": "Indexed"})))),
        ("spec.completions:must be greater than or equal to 0", job(spec("OnFailure", json!({"completions": -1})))),
        ("spec.activeDeadlineSeconds:must be greater than or equal to 0", job(spec("OnFailure", json!({"activeDeadlineSeconds": -1})))),
        ("spec.selector:Required value", job(json!({"template": generated_template("OnFailure")}))),
        ("spec.template.metadata.labels: Invalid value: map[string]string{\"y\":\"z\"}: `selector` does not match template `labels`", job(manual_spec(json!({"y": "z"}), "OnFailure"))),
        ("spec.template.metadata.labels: Invalid value: map[string]string{\"controller-uid\":\"4d5e6f\"}: `selector` does not match template `labels`", job(manual_spec(json!({"controller-uid": "4d5e6f"}), "OnFailure"))),
        ("spec.template.spec.restartPolicy: Required value", job(manual_spec(json!({"a": "b"}), "Always"))),
        ("spec.template.spec.restartPolicy: Unsupported value", job(manual_spec(json!({"a": "b"}), "Invalid"))),
        ("spec.ttlSecondsAfterFinished: must be greater than or equal to 0", job(spec("OnFailure", json!({"ttlSecondsAfterFinished": -1})))),
        ("spec.completions: Required value: when completion mode is Indexed", job(spec("OnFailure", json!({"completionMode": "Indexed"})))),
        ("spec.parallelism: must be less than or equal to 100000 when completion mode is Indexed", job(spec("OnFailure", json!({"completionMode": "Indexed", "completions": 2, "parallelism": 100001})))),
        ("spec.template.metadata.labels[controller-uid]: Required value: must be '1a2b3c'", job(legacy_only(json!({"controller-uid": "1a2b3c"}), json!({"job-name": "myjob"})))),
        ("metadata.uid: Required value", job_meta(json!({"name": "myjob", "namespace": "default"}), legacy_only(json!({"controller-uid": "test"}), json!({"job-name": "myjob"})))),
        ("spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"a\":\"b\"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: `selector` not auto-generated", job(json!({"selector": {"matchLabels": {"a": "b"}}, "template": generated_template("OnFailure")}))),
        ("spec.template.metadata.labels[batch.kubernetes.io/controller-uid]: Required value: must be '1a2b3c'", job(legacy_only(json!({"batch.kubernetes.io/controller-uid": "1a2b3c"}), json!({"batch.kubernetes.io/job-name": "myjob", "controller-uid": "1a2b3c", "job-name": "myjob"})))),
    ];
    cases.into_iter().map(|(k, j)| (k.to_string(), j)).collect()
}

#[test]
fn upstream_success_cases_have_no_errors() {
    for (name, job) in success_cases() {
        let errs = validate_job(&job);
        assert!(errs.is_empty(), "{name}: unexpected errors {errs:?}");
    }
}

#[test]
fn upstream_error_cases_fail_on_the_expected_first_error() {
    let cases = error_cases();
    let mut failed = Vec::new();
    for (key, job) in &cases {
        let (field, text) = key.split_once(':').unwrap_or((key, ""));
        let errs = validate_job(job);
        match errs.first() {
            None => failed.push(format!("{key}: no error")),
            Some(first) if first.field != field || !first.to_string().contains(text) => {
                failed.push(format!("{key}: got {first}"))
            }
            Some(_) => {}
        }
    }
    assert!(
        failed.is_empty(),
        "{} of {} upstream cases fail:\n{}",
        failed.len(),
        cases.len(),
        failed.join("\n")
    );
}
