//! The API server's validation of a Job (the subset of fields dockjob runs), with its exact
//! messages, and warnings for fields that have no meaning on one machine.
//!
//! Sources: kubernetes `pkg/apis/batch/validation/validation.go` (`ValidateJob`,
//! `validateJobSpec`, `validatePodFailurePolicy…`, `validateSuccessPolicy`) and
//! `pkg/apis/core/validation/validation.go` for the pod parts. Pure: no I/O.

use std::sync::LazyLock;

use k8s_openapi::api::batch::v1::{Job, JobSpec};
use regex::Regex;

use super::field::{FieldError, FieldValue};

mod pod_template;
mod policies;

/// Every validation error of `job`, in the API server's order (defaults must be applied).
pub fn validate_job(job: &Job) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let name = job.metadata.name.as_deref().unwrap_or("");
    validate_name(name, &mut errs);
    // `ValidateObjectMeta`: name, namespace, labels, annotations.
    let namespace = job.metadata.namespace.as_deref().unwrap_or("");
    if namespace.is_empty() {
        errs.push(FieldError::required("metadata.namespace", ""));
    }
    for msg in dns1123_label_errors(namespace)
        .into_iter()
        .filter(|_| !namespace.is_empty())
    {
        errs.push(FieldError::invalid(
            "metadata.namespace",
            FieldValue::Str(namespace.to_string()),
            msg,
        ));
    }
    if let Some(labels) = job.metadata.labels.as_ref() {
        validate_labels(labels, "metadata.labels", &mut errs);
    }
    if let Some(annotations) = job.metadata.annotations.as_ref() {
        validate_annotations(annotations, "metadata.annotations", &mut errs);
    }
    let Some(spec) = job.spec.as_ref() else {
        errs.push(FieldError::required("spec", ""));
        return errs;
    };
    policies::validate_indexed_name(spec, name, &mut errs);
    policies::validate_generated_selector(job, &mut errs);
    validate_spec(spec, &mut errs);
    policies::validate_selector(spec, &mut errs);
    errs
}

fn validate_name(name: &str, errs: &mut Vec<FieldError>) {
    if name.is_empty() {
        errs.push(FieldError::required(
            "metadata.name",
            "name or generateName is required",
        ));
        return;
    }
    if let Some(msg) = dns1123_subdomain_error(name) {
        errs.push(FieldError::invalid(
            "metadata.name",
            FieldValue::Str(name.to_string()),
            msg,
        ));
    }
}

/// `validateJobSpec`, in its order.
fn validate_spec(spec: &JobSpec, errs: &mut Vec<FieldError>) {
    for (field, value) in [
        ("spec.parallelism", spec.parallelism.map(i64::from)),
        ("spec.completions", spec.completions.map(i64::from)),
        ("spec.activeDeadlineSeconds", spec.active_deadline_seconds),
        ("spec.backoffLimit", spec.backoff_limit.map(i64::from)),
        (
            "spec.ttlSecondsAfterFinished",
            spec.ttl_seconds_after_finished.map(i64::from),
        ),
        (
            "spec.backoffLimitPerIndex",
            spec.backoff_limit_per_index.map(i64::from),
        ),
        (
            "spec.maxFailedIndexes",
            spec.max_failed_indexes.map(i64::from),
        ),
    ] {
        if let Some(v) = value.filter(|v| *v < 0) {
            errs.push(FieldError::invalid(
                field,
                FieldValue::Int(v),
                "must be greater than or equal to 0",
            ));
        }
    }
    policies::validate_managed_by(spec, errs);
    policies::validate_modes(spec, errs);
    policies::validate_pod_failure_policy(spec, errs);
    policies::validate_success_policy(spec, errs);
    policies::validate_replacement_policy(spec, errs);
    pod_template::validate_template(spec, errs);
    pod_template::validate_restart_policy(spec, errs);
}

/// The DNS-1123 subdomain rule (apimachinery `IsDNS1123Subdomain`), or `None` when it holds.
pub fn dns1123_subdomain_error(value: &str) -> Option<String> {
    if value.len() > 253 {
        return Some("must be no more than 253 characters".to_string());
    }
    (!DNS1123_SUBDOMAIN_RE.is_match(value)).then(|| {
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')".to_string()
    })
}

/// Whether `value` is a DNS-1123 label (≤ 63 characters, no dots).
pub fn is_dns1123_label(value: &str) -> bool {
    dns1123_label_errors(value).is_empty()
}

const DNS1123_LABEL: &str = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";

// Compiled once: compiling them per call took most of the time of a manifest of many Jobs or
// labels (16 000 small Jobs, 3 MiB, took 6 s of CPU).
static DNS1123_LABEL_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!("^{DNS1123_LABEL}$")).expect("static regex"));
static DNS1123_SUBDOMAIN_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!("^{DNS1123_LABEL}(\\.{DNS1123_LABEL})*$")).expect("static regex")
});
static QUALIFIED_NAME_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!("^{QUALIFIED_NAME}$")).expect("static regex"));

/// apimachinery `IsDNS1123Label`'s messages (empty when `value` is a label). An empty value
/// is refused by the regex, as there.
pub fn dns1123_label_errors(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > 63 {
        errs.push("must be no more than 63 characters".to_string());
    }
    if !DNS1123_LABEL_RE.is_match(value) {
        if DNS1123_SUBDOMAIN_RE.is_match(value) {
            // A valid subdomain that is not a label: the length was checked, so it is the dots.
            errs.push("must not contain dots".to_string());
        } else {
            errs.push(format!("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '{DNS1123_LABEL}')"));
        }
    }
    errs
}

/// apimachinery `ValidateLabels`: every key a qualified name, every value a label value.
pub(crate) fn validate_labels(
    labels: &std::collections::BTreeMap<String, String>,
    path: &str,
    errs: &mut Vec<FieldError>,
) {
    pod_template::validate_label_values(labels, path, errs);
}

/// apimachinery `TotalAnnotationSizeLimitB`: keys and values together, in bytes.
pub const TOTAL_ANNOTATION_SIZE_LIMIT: usize = 256 * 1024;

/// apimachinery `ValidateAnnotations`: every key a qualified name (case-insensitive), and
/// keys plus values at most 256 KiB.
pub(crate) fn validate_annotations(
    annotations: &std::collections::BTreeMap<String, String>,
    path: &str,
    errs: &mut Vec<FieldError>,
) {
    for key in annotations.keys() {
        for msg in qualified_name_errors(&key.to_lowercase()) {
            errs.push(FieldError::invalid(path, FieldValue::Str(key.clone()), msg));
        }
    }
    let total: usize = annotations.iter().map(|(k, v)| k.len() + v.len()).sum();
    if total > TOTAL_ANNOTATION_SIZE_LIMIT {
        errs.push(FieldError::new_too_long(path, TOTAL_ANNOTATION_SIZE_LIMIT));
    }
}

const QUALIFIED_NAME: &str = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const QUALIFIED_NAME_MSG: &str = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

/// apimachinery `IsQualifiedName`: an optional DNS-subdomain prefix and `/`, then a name of
/// at most 63 characters; the messages in its order.
pub fn qualified_name_errors(value: &str) -> Vec<String> {
    let regex_error = format!("{QUALIFIED_NAME_MSG} (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '{QUALIFIED_NAME}')");
    let mut errs = Vec::new();
    let parts: Vec<&str> = value.split('/').collect();
    let name = match parts.as_slice() {
        [name] => *name,
        [prefix, name] => {
            if prefix.is_empty() {
                errs.push("prefix part must be non-empty".to_string());
            } else if let Some(msg) = dns1123_subdomain_error(prefix) {
                errs.push(format!("prefix part {msg}"));
            }
            *name
        }
        _ => {
            errs.push(format!("a qualified name {regex_error} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"));
            return errs;
        }
    };
    if name.is_empty() {
        errs.push("name part must be non-empty".to_string());
    } else if name.len() > 63 {
        errs.push("name part must be no more than 63 characters".to_string());
    }
    if !QUALIFIED_NAME_RE.is_match(name) {
        errs.push(format!("name part {regex_error}"));
    }
    errs
}

/// One warning per set field that dockjob cannot honour on a single machine.
pub fn ignored_field_warnings(job: &Job) -> Vec<String> {
    pod_template::ignored_field_warnings(job)
}
