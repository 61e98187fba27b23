//! Validation of completion mode, per-index limits, selector, podFailurePolicy,
//! successPolicy and podReplacementPolicy, with kubernetes
//! `pkg/apis/batch/validation/validation.go` messages.

use std::collections::BTreeMap;

use k8s_openapi::api::batch::v1::{JobSpec, PodFailurePolicyOnPodConditionsPattern, SuccessPolicy};

use super::super::field::{FieldError, FieldValue};
use super::super::indexes::parse_intervals;
use super::is_dns1123_label;

const MAX_PARALLELISM_INDEXED: i32 = 100_000;
const MAX_FAILED_INDEXES_LIMIT: i32 = 100_000;
const MAX_RULES: usize = 20;
const COMPLETIONS_SOFT_LIMIT: i32 = 100_000;
const HIGH_COMPLETIONS_LIMIT: i32 = 10_000;
const MAX_EXIT_CODES: usize = 255;
const MAX_POD_CONDITIONS_PATTERNS: usize = 20;
/// `maxSuccessPolicyRule`.
const MAX_SUCCESS_POLICY_RULES: usize = 20;
/// `maxJobSuccessPolicySucceededIndexesLimit`, in bytes.
const MAX_SUCCEEDED_INDEXES_BYTES: usize = 64 * 1024;

fn is_indexed(spec: &JobSpec) -> bool {
    spec.completion_mode.as_deref() == Some("Indexed")
}

/// `metadata.name` must leave room for the last index in pod hostnames (`ValidateJob`).
pub(super) fn validate_indexed_name(spec: &JobSpec, name: &str, errs: &mut Vec<FieldError>) {
    let Some(completions) = spec.completions.filter(|c| is_indexed(spec) && *c > 0) else {
        return;
    };
    let host = format!("{name}-{}", completions - 1);
    if !name.is_empty() && !is_dns1123_label(&host) {
        errs.push(FieldError::invalid(
            "metadata.name",
            FieldValue::Str(name.to_string()),
            format!("will not able to create pod with invalid DNS label: {host}"),
        ));
    }
}

/// completionMode and the per-index limits, in `validateJobSpec`'s order.
pub(super) fn validate_modes(spec: &JobSpec, errs: &mut Vec<FieldError>) {
    if spec.max_failed_indexes.is_some() && spec.backoff_limit_per_index.is_none() {
        errs.push(FieldError::required(
            "spec.backoffLimitPerIndex",
            "when maxFailedIndexes is specified",
        ));
    }
    let mode = spec.completion_mode.as_deref().unwrap_or("NonIndexed");
    if !matches!(mode, "NonIndexed" | "Indexed") {
        errs.push(FieldError::not_supported(
            "spec.completionMode",
            mode,
            &["NonIndexed", "Indexed"],
        ));
    }
    if mode == "Indexed" {
        if spec.completions.is_none() {
            errs.push(FieldError::required(
                "spec.completions",
                "when completion mode is Indexed",
            ));
        }
        if let Some(p) = spec.parallelism.filter(|p| *p > MAX_PARALLELISM_INDEXED) {
            errs.push(FieldError::invalid(
                "spec.parallelism",
                FieldValue::Int(p.into()),
                format!("must be less than or equal to {MAX_PARALLELISM_INDEXED} when completion mode is Indexed"),
            ));
        }
        if let Some(max) = spec.max_failed_indexes {
            if spec.completions.is_some_and(|c| max > c) {
                errs.push(FieldError::invalid(
                    "spec.maxFailedIndexes",
                    FieldValue::Int(max.into()),
                    "must be less than or equal to completions",
                ));
            }
            if max > MAX_FAILED_INDEXES_LIMIT {
                errs.push(FieldError::invalid(
                    "spec.maxFailedIndexes",
                    FieldValue::Int(max.into()),
                    format!("must be less than or equal to {MAX_FAILED_INDEXES_LIMIT}"),
                ));
            }
        }
        let high = spec.completions.is_some_and(|c| c > COMPLETIONS_SOFT_LIMIT);
        if high && spec.backoff_limit_per_index.is_some() {
            validate_high_completions(spec, errs);
        }
    }
    if mode == "NonIndexed" {
        for (field, value) in [
            ("spec.backoffLimitPerIndex", spec.backoff_limit_per_index),
            ("spec.maxFailedIndexes", spec.max_failed_indexes),
        ] {
            if let Some(v) = value {
                errs.push(FieldError::invalid(
                    field,
                    FieldValue::Int(v.into()),
                    "requires indexed completion mode",
                ));
            }
        }
    }
}

/// `ValidateGeneratedSelector`: without manualSelector the selector must only select the
/// generated labels.
pub(super) fn validate_generated_selector(
    job: &k8s_openapi::api::batch::v1::Job,
    errs: &mut Vec<FieldError>,
) {
    use crate::job::defaults::{
        LABEL_CONTROLLER_UID, LABEL_JOB_NAME, LEGACY_LABEL_CONTROLLER_UID, LEGACY_LABEL_JOB_NAME,
    };
    let Some(spec) = job.spec.as_ref() else {
        return;
    };
    if spec.manual_selector.unwrap_or(false) {
        return;
    }
    let Some(selector) = spec.selector.as_ref() else {
        return;
    };
    let uid = job.metadata.uid.clone().unwrap_or_default();
    let name = job.metadata.name.clone().unwrap_or_default();
    if uid.is_empty() {
        errs.push(FieldError::required("metadata.uid", ""));
    }
    // `ValidateHasLabel`, legacy labels first: a label the manifest set on the template is
    // kept by selector generation, and refused here when it is not the generated value.
    let empty = BTreeMap::new();
    let template_labels = spec
        .template
        .metadata
        .as_ref()
        .and_then(|m| m.labels.as_ref())
        .unwrap_or(&empty);
    for (key, want) in [
        (LEGACY_LABEL_CONTROLLER_UID, &uid),
        (LEGACY_LABEL_JOB_NAME, &name),
        (LABEL_CONTROLLER_UID, &uid),
        (LABEL_JOB_NAME, &name),
    ] {
        let field = format!("spec.template.metadata.labels[{key}]");
        match template_labels.get(key) {
            None => errs.push(FieldError::required(field, format!("must be '{want}'"))),
            Some(actual) if actual != want => errs.push(FieldError::invalid(
                field,
                FieldValue::Raw(go_string_map(template_labels)),
                format!("must be '{want}'"),
            )),
            Some(_) => {}
        }
    }
    let expected: BTreeMap<&str, &str> = BTreeMap::from([
        (LABEL_CONTROLLER_UID, uid.as_str()),
        (LABEL_JOB_NAME, name.as_str()),
        (LEGACY_LABEL_CONTROLLER_UID, uid.as_str()),
        (LEGACY_LABEL_JOB_NAME, name.as_str()),
    ]);
    let matches = selector
        .match_labels
        .iter()
        .flatten()
        .all(|(k, v)| expected.get(k.as_str()) == Some(&v.as_str()))
        && selector
            .match_expressions
            .as_ref()
            .is_none_or(Vec::is_empty);
    if !matches {
        errs.push(FieldError::invalid(
            "spec.selector",
            FieldValue::Raw(go_label_selector(selector)),
            "`selector` not auto-generated",
        ));
    }
}

pub(super) fn validate_selector(spec: &JobSpec, errs: &mut Vec<FieldError>) {
    let Some(selector) = spec.selector.as_ref() else {
        errs.push(FieldError::required("spec.selector", ""));
        return;
    };
    let empty = BTreeMap::new();
    let labels = spec
        .template
        .metadata
        .as_ref()
        .and_then(|m| m.labels.as_ref())
        .unwrap_or(&empty);
    let matches_labels = selector
        .match_labels
        .iter()
        .flatten()
        .all(|(k, v)| labels.get(k) == Some(v));
    let matches_expressions = selector.match_expressions.iter().flatten().all(|e| {
        let values = e.values.as_deref().unwrap_or(&[]);
        match e.operator.as_str() {
            "In" => labels.get(&e.key).is_some_and(|v| values.contains(v)),
            "NotIn" => labels.get(&e.key).is_none_or(|v| !values.contains(v)),
            "Exists" => labels.contains_key(&e.key),
            "DoesNotExist" => !labels.contains_key(&e.key),
            _ => false,
        }
    });
    if !(matches_labels && matches_expressions) {
        errs.push(FieldError::invalid(
            "spec.template.metadata.labels",
            FieldValue::Raw(go_string_map(labels)),
            "`selector` does not match template `labels`",
        ));
    }
}

/// A `map[string]string` as Go's `%#v` prints it (keys sorted).
fn go_string_map(map: &BTreeMap<String, String>) -> String {
    let shown: Vec<String> = map
        .iter()
        .map(|(k, v)| {
            format!(
                "{}:{}",
                super::super::field::go_quote(k),
                super::super::field::go_quote(v)
            )
        })
        .collect();
    format!("map[string]string{{{}}}", shown.join(", "))
}

/// A `metav1.LabelSelector` as Go's `%#v` prints it (the value `field.Invalid` is given).
fn go_label_selector(
    selector: &k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector,
) -> String {
    use super::super::field::go_quote;
    let labels = selector
        .match_labels
        .as_ref()
        .map_or("map[string]string(nil)".to_string(), go_string_map);
    let expressions = match selector.match_expressions.as_ref() {
        None => "[]v1.LabelSelectorRequirement(nil)".to_string(),
        Some(list) => {
            let items: Vec<String> = list
                .iter()
                .map(|e| {
                    let values = e.values.as_ref().map_or("[]string(nil)".to_string(), |v| {
                        let quoted: Vec<String> = v.iter().map(|s| go_quote(s)).collect();
                        format!("[]string{{{}}}", quoted.join(", "))
                    });
                    format!(
                        "v1.LabelSelectorRequirement{{Key:{}, Operator:{}, Values:{values}}}",
                        go_quote(&e.key),
                        go_quote(&e.operator)
                    )
                })
                .collect();
            format!("[]v1.LabelSelectorRequirement{{{}}}", items.join(", "))
        }
    };
    format!("v1.LabelSelector{{MatchLabels:{labels}, MatchExpressions:{expressions}}}")
}

/// Extra limits when completions exceed 100000 with backoffLimitPerIndex.
fn validate_high_completions(spec: &JobSpec, errs: &mut Vec<FieldError>) {
    let suffix = format!(
        "when completions are above {COMPLETIONS_SOFT_LIMIT} and used with backoff limit per index"
    );
    if spec.max_failed_indexes.is_none() {
        errs.push(FieldError::required(
            "spec.maxFailedIndexes",
            format!("must be specified when completions is above {COMPLETIONS_SOFT_LIMIT}"),
        ));
    }
    for (field, value) in [
        ("spec.parallelism", spec.parallelism),
        ("spec.maxFailedIndexes", spec.max_failed_indexes),
    ] {
        if let Some(v) = value.filter(|v| *v > HIGH_COMPLETIONS_LIMIT) {
            errs.push(FieldError::invalid(
                field,
                FieldValue::Int(v.into()),
                format!("must be less than or equal to {HIGH_COMPLETIONS_LIMIT} {suffix}"),
            ));
        }
    }
}

/// `spec.managedBy`: a domain-prefixed path of at most 63 characters.
pub(super) fn validate_managed_by(spec: &JobSpec, errs: &mut Vec<FieldError>) {
    let Some(managed_by) = spec.managed_by.as_deref() else {
        return;
    };
    let domain_prefixed = managed_by.split_once('/').is_some_and(|(domain, path)| {
        !path.is_empty() && domain.contains('.') && super::dns1123_subdomain_error(domain).is_none()
    });
    if !domain_prefixed {
        errs.push(FieldError::invalid(
            "spec.managedBy",
            FieldValue::Str(managed_by.to_string()),
            "must be a domain-prefixed path (such as \"acme.io/foo\")",
        ));
    }
    if managed_by.len() > 63 {
        errs.push(FieldError::new_too_long("spec.managedBy", 63));
    }
}

pub(super) fn validate_pod_failure_policy(spec: &JobSpec, errs: &mut Vec<FieldError>) {
    let Some(policy) = spec.pod_failure_policy.as_ref() else {
        return;
    };
    if policy.rules.len() > MAX_RULES {
        errs.push(FieldError::too_many(
            "spec.podFailurePolicy.rules",
            policy.rules.len(),
            MAX_RULES,
        ));
    }
    let container_names: Vec<&str> = spec
        .template
        .spec
        .iter()
        .flat_map(|p| {
            p.containers
                .iter()
                .chain(p.init_containers.iter().flatten())
        })
        .map(|c| c.name.as_str())
        .collect();
    for (i, rule) in policy.rules.iter().enumerate() {
        let path = format!("spec.podFailurePolicy.rules[{i}]");
        match rule.action.as_str() {
            "" => errs.push(FieldError::required(
                format!("{path}.action"),
                "valid values: [\"Count\" \"FailIndex\" \"FailJob\" \"Ignore\"]",
            )),
            "Count" | "FailJob" | "Ignore" => {}
            "FailIndex" => {
                if spec.backoff_limit_per_index.is_none() {
                    errs.push(FieldError::invalid(
                        format!("{path}.action"),
                        FieldValue::Str("FailIndex".into()),
                        "requires the backoffLimitPerIndex to be set",
                    ));
                }
            }
            other => errs.push(FieldError::not_supported(
                format!("{path}.action"),
                other,
                &["Count", "FailIndex", "FailJob", "Ignore"],
            )),
        }
        if let Some(codes) = rule.on_exit_codes.as_ref() {
            let path = format!("{path}.onExitCodes");
            match codes.operator.as_str() {
                "In" | "NotIn" => {}
                "" => errs.push(FieldError::required(
                    format!("{path}.operator"),
                    "valid values: [\"In\" \"NotIn\"]",
                )),
                other => errs.push(FieldError::not_supported(
                    format!("{path}.operator"),
                    other,
                    &["In", "NotIn"],
                )),
            }
            if let Some(name) = codes.container_name.as_deref() {
                if !container_names.contains(&name) {
                    errs.push(FieldError::invalid(
                        format!("{path}.containerName"),
                        FieldValue::Str(name.into()),
                        "must be one of the container or initContainer names in the pod template",
                    ));
                }
            }
            validate_exit_code_values(&codes.values, &codes.operator, &path, errs);
        }
        let conditions = rule.on_pod_conditions.as_deref().unwrap_or(&[]);
        if !conditions.is_empty() {
            validate_on_pod_conditions(conditions, &format!("{path}.onPodConditions"), errs);
        }
        if rule.on_exit_codes.is_some() && !conditions.is_empty() {
            errs.push(FieldError::invalid(
                path.clone(),
                FieldValue::Raw(
                    "specifying both OnExitCodes and OnPodConditions is not supported".into(),
                ),
                "",
            ));
        }
        if rule.on_exit_codes.is_none() && conditions.is_empty() {
            errs.push(FieldError::invalid(
                path.clone(),
                FieldValue::Raw(
                    "specifying one of OnExitCodes and OnPodConditions is required".into(),
                ),
                "",
            ));
        }
    }
}

/// `validatePodFailurePolicyRuleOnPodConditions`: at most 20 patterns, each with a qualified
/// condition type and a status of True, False or Unknown. They are validated although no
/// pod on one engine ever gets such a condition (see `ignored_field_warnings`).
fn validate_on_pod_conditions(
    conditions: &[PodFailurePolicyOnPodConditionsPattern],
    path: &str,
    errs: &mut Vec<FieldError>,
) {
    if conditions.len() > MAX_POD_CONDITIONS_PATTERNS {
        errs.push(FieldError::too_many(
            path,
            conditions.len(),
            MAX_POD_CONDITIONS_PATTERNS,
        ));
    }
    const STATUSES: [&str; 3] = ["False", "True", "Unknown"];
    for (j, pattern) in conditions.iter().enumerate() {
        let pattern_path = format!("{path}[{j}]");
        for msg in super::qualified_name_errors(&pattern.type_) {
            errs.push(FieldError::invalid(
                format!("{pattern_path}.type"),
                FieldValue::Str(pattern.type_.clone()),
                msg,
            ));
        }
        let status_path = format!("{pattern_path}.status");
        match pattern.status.as_str() {
            "" => errs.push(FieldError::required(
                status_path,
                "valid values: [\"False\" \"True\" \"Unknown\"]",
            )),
            s if STATUSES.contains(&s) => {}
            other => errs.push(FieldError::not_supported(status_path, other, &STATUSES)),
        }
    }
}

fn validate_exit_code_values(
    values: &[i32],
    operator: &str,
    path: &str,
    errs: &mut Vec<FieldError>,
) {
    let go_slice = |v: &[i32]| {
        let items: Vec<String> = v.iter().map(i32::to_string).collect();
        FieldValue::Raw(format!("[]int32{{{}}}", items.join(", ")))
    };
    if values.is_empty() {
        errs.push(FieldError::invalid(
            format!("{path}.values"),
            go_slice(values),
            "at least one value is required",
        ));
    } else if values.len() > MAX_EXIT_CODES {
        errs.push(FieldError::too_many(
            format!("{path}.values"),
            values.len(),
            MAX_EXIT_CODES,
        ));
    }
    let mut ordered = true;
    let mut seen = std::collections::BTreeSet::new();
    for (i, v) in values.iter().enumerate() {
        if operator == "In" && *v == 0 {
            errs.push(FieldError::invalid(
                format!("{path}.values[{i}]"),
                FieldValue::Int(0),
                "must not be 0 for the In operator",
            ));
        }
        if !seen.insert(*v) {
            errs.push(FieldError::duplicate(
                format!("{path}.values[{i}]"),
                FieldValue::Int((*v).into()),
            ));
        }
        if i > 0 && values[i - 1] > *v {
            ordered = false;
        }
    }
    if !ordered {
        errs.push(FieldError::invalid(
            format!("{path}.values"),
            go_slice(values),
            "must be ordered",
        ));
    }
}

pub(super) fn validate_success_policy(spec: &JobSpec, errs: &mut Vec<FieldError>) {
    let Some(policy) = spec.success_policy.as_ref() else {
        return;
    };
    if !is_indexed(spec) {
        errs.push(FieldError::invalid(
            "spec.successPolicy",
            FieldValue::Raw(go_success_policy(policy)),
            "requires indexed completion mode",
        ));
        return;
    }
    if policy.rules.is_empty() {
        errs.push(FieldError::required(
            "spec.successPolicy.rules",
            "at least one rules must be specified when the successPolicy is specified",
        ));
    }
    if policy.rules.len() > MAX_SUCCESS_POLICY_RULES {
        errs.push(FieldError::too_many(
            "spec.successPolicy.rules",
            policy.rules.len(),
            MAX_SUCCESS_POLICY_RULES,
        ));
    }
    let completions = spec.completions.unwrap_or(0);
    for (i, rule) in policy.rules.iter().enumerate() {
        let path = format!("spec.successPolicy.rules[{i}]");
        if rule.succeeded_count.is_none() && rule.succeeded_indexes.is_none() {
            errs.push(FieldError::required(
                path.clone(),
                "at least one of succeededCount or succeededIndexes must be specified",
            ));
        }
        // `validateSuccessPolicyRule`: each check independent, as there.
        let mut index_count = 0;
        if let Some(text) = rule.succeeded_indexes.as_deref() {
            let field = format!("{path}.succeededIndexes");
            if text.len() > MAX_SUCCEEDED_INDEXES_BYTES {
                errs.push(FieldError::new_too_long(
                    field.clone(),
                    MAX_SUCCEEDED_INDEXES_BYTES,
                ));
            }
            match parse_intervals(text, completions) {
                Ok(intervals) => {
                    index_count = intervals
                        .iter()
                        .map(|(lo, hi)| i64::from(*hi) - i64::from(*lo) + 1)
                        .sum();
                }
                Err(msg) => errs.push(FieldError::invalid(
                    field,
                    FieldValue::Str(text.into()),
                    format!("error parsing succeededIndexes: {msg}"),
                )),
            }
        }
        if let Some(count) = rule.succeeded_count {
            let field = format!("{path}.succeededCount");
            if count < 0 {
                errs.push(FieldError::invalid(
                    field.clone(),
                    FieldValue::Int(count.into()),
                    "must be greater than or equal to 0",
                ));
            }
            if count > completions {
                errs.push(FieldError::invalid(field.clone(), FieldValue::Int(count.into()), format!("must be less than or equal to {completions} (the number of specified completions)")));
            }
            if rule.succeeded_indexes.is_some() && i64::from(count) > index_count {
                errs.push(FieldError::invalid(field, FieldValue::Int(count.into()), format!("must be less than or equal to {index_count} (the number of indexes in the specified succeededIndexes field)")));
            }
        }
    }
}

/// `validatePodReplacementPolicy`: only a set value is checked (defaulting always sets one).
pub(super) fn validate_replacement_policy(spec: &JobSpec, errs: &mut Vec<FieldError>) {
    let Some(policy) = spec.pod_replacement_policy.as_deref() else {
        return;
    };
    if spec.pod_failure_policy.is_some() {
        if policy != "Failed" {
            errs.push(FieldError::not_supported(
                "spec.podReplacementPolicy",
                policy,
                &["Failed"],
            ));
        }
    } else if !matches!(policy, "Failed" | "TerminatingOrFailed") {
        errs.push(FieldError::not_supported(
            "spec.podReplacementPolicy",
            policy,
            &["Failed", "TerminatingOrFailed"],
        ));
    }
}

/// The API server's rendering of an invalid successPolicy: `field.Invalid` with the internal
/// `batch.SuccessPolicy`, printed with Go's `%#v` (apimachinery `ErrorBody` before 1.34, which
/// renders such values as JSON instead). Pointers print as Go prints them, with an address
/// that is meaningless outside the server (and differs on every call there).
fn go_success_policy(policy: &SuccessPolicy) -> String {
    const ADDRESS: &str = "0xc000000000";
    let pointer = |ty: &str, set: bool| {
        if set {
            format!("(*{ty})({ADDRESS})")
        } else {
            format!("(*{ty})(nil)")
        }
    };
    let rules: Vec<String> = policy
        .rules
        .iter()
        .map(|rule| {
            format!(
                "batch.SuccessPolicyRule{{SucceededIndexes:{}, SucceededCount:{}}}",
                pointer("string", rule.succeeded_indexes.is_some()),
                pointer("int32", rule.succeeded_count.is_some()),
            )
        })
        .collect();
    format!(
        "batch.SuccessPolicy{{Rules:[]batch.SuccessPolicyRule{{{}}}}}",
        rules.join(", ")
    )
}
