//! Reading `batch/v1` Job manifests: YAML documents → defaulted, admitted, validated
//! [`Job`]s plus warnings. Pure: takes text, returns data (file reading is in [`super::input`]).

use k8s_openapi::api::batch::v1::Job;
use rand::Rng;
use serde::Deserialize;

use super::defaults::{admit, apply_defaults};
use super::field::JobInputError;
use super::names::random_uid;
use super::validate::{ignored_field_warnings, validate_job};

/// A Job ready to run: defaults applied, UID and selector assigned, validation passed.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedJob {
    /// The Job as the API server would store it.
    pub job: Job,
    /// One line per ignored or dubious field, kubectl-style (`Warning: …` is added by the printer).
    pub warnings: Vec<String>,
}

/// Parses every YAML document of `source` (named `origin` in messages) as a Job, drawing
/// UIDs from `rng` (the caller owns the randomness: [`super::input::load_jobs`] seeds it from
/// the OS, tests seed it fixed).
///
/// Empty documents are skipped; any other `apiVersion`/`kind` is refused. The first invalid
/// Job stops loading (its error lists every cause).
pub fn load_jobs_with_rng(
    source: &str,
    origin: &str,
    rng: &mut impl Rng,
) -> Result<Vec<LoadedJob>, JobInputError> {
    let yaml_error = |e: serde_yaml_ng::Error| JobInputError::Yaml {
        origin: origin.to_string(),
        message: e.to_string(),
    };
    // First pass: untyped, to check kinds and skip empty documents.
    let mut wanted = Vec::new();
    for (i, document) in serde_yaml_ng::Deserializer::from_str(source).enumerate() {
        let value = serde_yaml_ng::Value::deserialize(document).map_err(yaml_error)?;
        if value.is_null() {
            wanted.push(None);
            continue;
        }
        check_kind(&value, origin, i + 1)?;
        wanted.push(Some(value));
    }
    // Second pass: typed, straight from the text so errors keep their line and column.
    let mut jobs = Vec::new();
    for (document, wanted) in serde_yaml_ng::Deserializer::from_str(source).zip(wanted) {
        let Some(untyped) = wanted else {
            continue;
        };
        let mut job = Job::deserialize(document).map_err(yaml_error)?;
        reject_unknown_fields(&untyped, &job, origin)?;
        jobs.push(prepare(&mut job, origin, rng).map(|warnings| LoadedJob { job, warnings })?);
    }
    if jobs.is_empty() {
        return Err(JobInputError::Empty {
            origin: origin.to_string(),
        });
    }
    Ok(jobs)
}

/// Defaults, admission and validation of one decoded Job, as the API server's create path.
fn prepare(job: &mut Job, origin: &str, rng: &mut impl Rng) -> Result<Vec<String>, JobInputError> {
    apply_defaults(job);
    // generateName: the API server appends 5 random characters (apiserver `names.SimpleNameGenerator`).
    let generate = job.metadata.generate_name.clone().filter(|g| !g.is_empty());
    if job.metadata.name.as_deref().unwrap_or("").is_empty() {
        if let Some(prefix) = generate {
            job.metadata.name = Some(super::names::generate_name(&prefix, rng));
        }
    }
    admit(job, random_uid(rng));
    let causes = validate_job(job);
    if !causes.is_empty() {
        return Err(JobInputError::Invalid {
            origin: origin.to_string(),
            name: job.metadata.name.clone().unwrap_or_default(),
            causes,
        });
    }
    let init = job
        .spec
        .as_ref()
        .and_then(|s| s.template.spec.as_ref())
        .and_then(|p| p.init_containers.as_ref())
        .filter(|c| !c.is_empty());
    if let Some(init) = init {
        // Running the app containers without them would be a different program; say so.
        let sidecar = init
            .iter()
            .any(|c| c.restart_policy.as_deref() == Some("Always"));
        let what = if sidecar {
            "native sidecars (initContainers with restartPolicy: Always)"
        } else {
            "initContainers"
        };
        return Err(JobInputError::Unsupported {
            origin: origin.to_string(),
            name: job.metadata.name.clone().unwrap_or_default(),
            message: format!("spec.template.spec.initContainers: dockjob does not run {what}; move them into spec.template.spec.containers (which start together) or into the first container's command"),
        });
    }
    Ok(ignored_field_warnings(job))
}

/// Strict field validation: a misspelt field is an error, not silently dropped.
fn reject_unknown_fields(
    untyped: &serde_yaml_ng::Value,
    job: &Job,
    origin: &str,
) -> Result<(), JobInputError> {
    let (Ok(input), Ok(typed)) = (serde_json::to_value(untyped), serde_json::to_value(job)) else {
        return Ok(());
    };
    let fields = super::strict::unknown_fields(&input, &typed);
    if fields.is_empty() {
        return Ok(());
    }
    Err(JobInputError::UnknownFields {
        origin: origin.to_string(),
        fields,
    })
}

fn check_kind(
    value: &serde_yaml_ng::Value,
    origin: &str,
    document: usize,
) -> Result<(), JobInputError> {
    let api_version = value.get("apiVersion").and_then(|v| v.as_str());
    let kind = value.get("kind").and_then(|v| v.as_str());
    if api_version == Some("batch/v1") && kind == Some("Job") {
        return Ok(());
    }
    let show = |v: Option<&str>| v.map_or("missing".to_string(), super::field::go_quote);
    Err(JobInputError::WrongKind {
        origin: origin.to_string(),
        document,
        found: format!("apiVersion {}, kind {}", show(api_version), show(kind)),
    })
}
