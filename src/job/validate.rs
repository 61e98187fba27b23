//! The API server's validation of a Job (the subset of fields dockjob runs), with its exact
//! messages, and warnings for fields that have no meaning on one machine.
//!
//! Sources: kubernetes `pkg/apis/batch/validation/validation.go` (`ValidateJob`,
//! `validateJobSpec`, `validatePodFailurePolicy…`, `validateSuccessPolicy`) and
//! `pkg/apis/core/validation/validation.go` for the pod parts. Pure: no I/O.

use k8s_openapi::api::batch::v1::{Job, JobSpec};

use super::field::{FieldError, FieldValue};

mod pod_template;
mod policies;

/// Every validation error of `job`, in the API server's order (defaults must be applied).
pub fn validate_job(job: &Job) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let name = job.metadata.name.as_deref().unwrap_or("");
    validate_name(name, &mut errs);
    if let Some(labels) = job.metadata.labels.as_ref() {
        pod_template::validate_label_values(labels, "metadata.labels", &mut errs);
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
    let label = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
    let re = regex::Regex::new(&format!("^{label}(\\.{label})*$")).ok()?;
    (!re.is_match(value)).then(|| {
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')".to_string()
    })
}

/// Whether `value` is a DNS-1123 label (≤ 63 characters, no dots).
pub fn is_dns1123_label(value: &str) -> bool {
    value.len() <= 63
        && regex::Regex::new("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$").is_ok_and(|re| re.is_match(value))
}

/// One warning per set field that dockjob cannot honour on a single machine.
pub fn ignored_field_warnings(job: &Job) -> Vec<String> {
    pod_template::ignored_field_warnings(job)
}
