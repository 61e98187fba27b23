//! Reading `batch/v1` Job manifests: YAML documents → defaulted, admitted, validated
//! [`Job`]s plus warnings, and the `v1` ConfigMaps and Secrets beside them
//! ([`super::objects`]). Pure: takes text, returns data (file reading is in [`super::input`]).
//!
//! Before parsing, the nesting and the aliases' expansion are bounded ([`super::yaml_depth`]);
//! each document is then read into JSON ([`super::yaml_json`]), where every mapping key must be
//! a string, number or boolean (as kubectl's YAML-to-JSON conversion), so the unknown-field
//! check always sees the whole document.

use k8s_openapi::api::batch::v1::Job;
use rand::Rng;
use serde::Deserialize;

use super::defaults::{admit, apply_defaults};
use super::field::JobInputError;
use super::names::random_uid;
use super::objects::{DataObject, ObjectKind};
use super::validate::{ignored_field_warnings, validate_job};
use super::yaml_depth::{Refusal, MAX_DEPTH};

/// A Job ready to run: defaults applied, UID and selector assigned, validation passed.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedJob {
    /// The Job as the API server would store it.
    pub job: Job,
    /// One line per ignored or dubious field, kubectl-style (`Warning: …` is added by the printer).
    pub warnings: Vec<String>,
    /// The document as written (keys as kubectl's YAML-to-JSON conversion makes them), with
    /// `-n`'s namespace when it named none: what `--dry-run=client` prints.
    pub given: serde_json::Value,
    /// Where it was read: the file (or `-`), kubectl's `info.Source` in error messages.
    pub origin: String,
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
    load_jobs_in(source, origin, None, rng)
}

/// One document of a manifest.
#[derive(Debug, Clone, PartialEq)]
pub enum Manifest {
    /// A Job.
    Job(Box<LoadedJob>),
    /// A ConfigMap or Secret (defaulted and validated, its namespace set).
    Object(Box<DataObject>),
}

/// Splits documents into Jobs and data objects, each in input order.
pub fn split(manifests: Vec<Manifest>) -> (Vec<LoadedJob>, Vec<DataObject>) {
    let (mut jobs, mut objects) = (Vec::new(), Vec::new());
    for manifest in manifests {
        match manifest {
            Manifest::Job(job) => jobs.push(*job),
            Manifest::Object(object) => objects.push(*object),
        }
    }
    (jobs, objects)
}

/// [`load_jobs_with_rng`] with `-n`: the namespace of every Job that names none (before
/// defaulting, so it is validated like one written in the manifest); a Job that names another
/// is kubectl's mismatch error. ConfigMaps and Secrets are refused: see [`load_manifests_in`].
pub fn load_jobs_in(
    source: &str,
    origin: &str,
    namespace: Option<&str>,
    rng: &mut impl Rng,
) -> Result<Vec<LoadedJob>, JobInputError> {
    jobs_only(load_manifests_in(source, origin, namespace, rng)?, origin)
}

/// The Jobs of `manifests`; a ConfigMap or Secret among them is [`JobInputError::WrongKind`]
/// (numbered among the non-empty documents), no Job at all [`JobInputError::Empty`].
pub fn jobs_only(manifests: Vec<Manifest>, origin: &str) -> Result<Vec<LoadedJob>, JobInputError> {
    let object = manifests.iter().enumerate().find_map(|(i, m)| match m {
        Manifest::Object(object) => Some((i + 1, object.kind())),
        Manifest::Job(_) => None,
    });
    if let Some((document, kind)) = object {
        return Err(JobInputError::WrongKind {
            origin: origin.to_string(),
            document,
            found: format!("apiVersion \"v1\", kind {:?}", kind.kind()),
        });
    }
    let (jobs, _) = split(manifests);
    if jobs.is_empty() {
        return Err(JobInputError::Empty {
            origin: origin.to_string(),
        });
    }
    Ok(jobs)
}

/// Every Job, ConfigMap and Secret of `source`, in order (see [`load_jobs_in`] for `-n`).
/// An input with none of them is [`JobInputError::Empty`].
pub fn load_manifests_in(
    source: &str,
    origin: &str,
    namespace: Option<&str>,
    rng: &mut impl Rng,
) -> Result<Vec<Manifest>, JobInputError> {
    let yaml_error = |e: serde_yaml_ng::Error| JobInputError::Yaml {
        origin: origin.to_string(),
        message: e.to_string(),
    };
    match super::yaml_depth::check(source, MAX_DEPTH) {
        Some(Refusal::TooDeep(line, column)) => {
            return Err(JobInputError::TooDeep {
                origin: origin.to_string(),
                line,
                column,
                limit: MAX_DEPTH,
            })
        }
        Some(Refusal::ExcessiveAliasing(line, column)) => {
            return Err(JobInputError::ExcessiveAliasing {
                origin: origin.to_string(),
                line,
                column,
            })
        }
        None => {}
    }
    // First pass: untyped, to check kinds and keys and skip empty documents.
    let mut wanted = Vec::new();
    for (i, document) in serde_yaml_ng::Deserializer::from_str(source).enumerate() {
        let (json, bad_key) = super::yaml_json::document(document).map_err(yaml_error)?;
        if json.is_null() {
            wanted.push(None);
            continue;
        }
        let kind = check_kind(&json, origin, i + 1)?;
        if let Some((path, key)) = bad_key {
            return Err(JobInputError::BadKey {
                origin: origin.to_string(),
                path: if path.is_empty() {
                    "<root>".to_string()
                } else {
                    path
                },
                key,
            });
        }
        if let Some(message) = metadata_type_error(&json) {
            return Err(JobInputError::MetadataType {
                origin: origin.to_string(),
                message,
            });
        }
        wanted.push(Some((kind, json)));
    }
    // Second pass: typed (see `typed`).
    let mut jobs = Vec::new();
    for (index, wanted) in wanted.into_iter().enumerate() {
        let Some((kind, untyped)) = wanted else {
            continue;
        };
        if kind.is_none() {
            // A ConfigMap or Secret: its namespace is the manifest's, else `-n`'s, else
            // `default`; a manifest that names another than `-n` is the mismatch error.
            let object_kind = if untyped.get("kind").and_then(|k| k.as_str()) == Some("Secret") {
                ObjectKind::Secret
            } else {
                ObjectKind::ConfigMap
            };
            let kind_name = match object_kind {
                ObjectKind::Secret => "Secret",
                ObjectKind::ConfigMap => "ConfigMap",
            };
            if let Some(message) = super::go_types::object_error(kind_name, &untyped) {
                return Err(JobInputError::Undecodable {
                    origin: origin.to_string(),
                    kind: kind_name,
                    message,
                });
            }
            let typed = match object_kind {
                ObjectKind::Secret => typed(&untyped, source, index).map(DataObject::Secret),
                ObjectKind::ConfigMap => typed(&untyped, source, index).map(DataObject::ConfigMap),
            }
            .map_err(|e| e.to_string());
            let declared = untyped
                .pointer("/metadata/namespace")
                .and_then(|n| n.as_str())
                .filter(|n| !n.is_empty());
            if let (Some(found), Some(flag)) = (declared, namespace) {
                if found != flag {
                    return Err(JobInputError::NamespaceMismatch {
                        found: found.to_string(),
                        flag: flag.to_string(),
                    });
                }
            }
            let ns = namespace.unwrap_or("default");
            let object = super::objects::decode(object_kind, &untyped, typed, origin, ns)?;
            jobs.push(Manifest::Object(Box::new(object)));
            continue;
        }
        let mut untyped = untyped;
        // The API server's decoder refuses what serde_yaml_ng would read as a string.
        if let Some(message) = super::go_types::job_error(&untyped) {
            return Err(JobInputError::Undecodable {
                origin: origin.to_string(),
                kind: "Job",
                message,
            });
        }
        let mut job = if octal_modes(&mut untyped) {
            // Read from the converted document: the text's `0400` is a string in YAML 1.2.
            Job::deserialize(untyped.clone()).map_err(|e| JobInputError::Yaml {
                origin: origin.to_string(),
                message: e.to_string(),
            })?
        } else {
            typed::<Job>(&untyped, source, index).map_err(yaml_error)?
        };
        reject_unknown_fields(&untyped, &job, origin)?;
        if let Some(flag) = namespace {
            match job.metadata.namespace.as_deref().filter(|n| !n.is_empty()) {
                None => job.metadata.namespace = Some(flag.to_string()),
                Some(found) if found != flag => {
                    return Err(JobInputError::NamespaceMismatch {
                        found: found.to_string(),
                        flag: flag.to_string(),
                    })
                }
                Some(_) => {}
            }
        }
        if let (Some(ns), Some(meta)) = (
            job.metadata.namespace.as_deref(),
            untyped.get_mut("metadata").and_then(|m| m.as_object_mut()),
        ) {
            meta.insert("namespace".to_string(), ns.into());
        }
        let warnings = prepare(&mut job, origin, rng)?;
        jobs.push(Manifest::Job(Box::new(LoadedJob {
            job,
            warnings,
            given: untyped,
            origin: origin.to_string(),
        })));
    }
    if jobs.is_empty() {
        return Err(JobInputError::Empty {
            origin: origin.to_string(),
        });
    }
    Ok(jobs)
}

/// Go's `encoding/json` error for the first `metadata` field kubectl's typed `ObjectMeta`
/// cannot hold (kubectl decodes it before sending: `labels: {app: 1}` is `json: cannot
/// unmarshal number into Go struct field ObjectMeta.metadata.labels of type string`, where
/// serde_yaml_ng would read the number as the string "1"). Only the fields dockjob reads.
fn metadata_type_error(document: &serde_json::Value) -> Option<String> {
    use serde_json::Value as J;
    let kind = |v: &J| match v {
        J::Bool(_) => "bool",
        J::Number(_) => "number",
        J::String(_) => "string",
        J::Array(_) => "array",
        J::Object(_) => "object",
        J::Null => "null",
    };
    let error = |value: &J, field: &str, go_type: &str| {
        Some(format!(
            "json: cannot unmarshal {} into Go struct field ObjectMeta.metadata.{field} of type {go_type}",
            kind(value)
        ))
    };
    let meta = document.get("metadata")?.as_object()?;
    for (field, value) in meta {
        match field.as_str() {
            "name" | "generateName" | "namespace" if !matches!(value, J::String(_) | J::Null) => {
                return error(value, field, "string")
            }
            "labels" | "annotations" => match value {
                J::Object(map) => {
                    if let Some(bad) = map.values().find(|v| !matches!(v, J::String(_) | J::Null)) {
                        return error(bad, field, "string");
                    }
                }
                J::Null => {}
                other => return error(other, field, "map[string]string"),
            },
            _ => {}
        }
    }
    None
}

/// Document `index` of `source` as a `T`: from `untyped` (the first pass's JSON) when it
/// decodes, so a large manifest is not parsed a third time (a 3 MiB Job took 1.6 s of CPU
/// with three parses); otherwise from the text, whose errors keep their line and column and
/// whose plain scalars decode as serde_yaml_ng decodes them (`cpu: 1` as the Quantity "1").
fn typed<T: serde::de::DeserializeOwned>(
    untyped: &serde_json::Value,
    source: &str,
    index: usize,
) -> Result<T, serde_yaml_ng::Error> {
    if let Ok(value) = T::deserialize(untyped) {
        return Ok(value);
    }
    match serde_yaml_ng::Deserializer::from_str(source).nth(index) {
        Some(document) => T::deserialize(document),
        None => Err(<serde_yaml_ng::Error as serde::de::Error>::custom(format!(
            "document {} is missing",
            index + 1
        ))),
    }
}

/// `mode: 0400` and `defaultMode: 0644` as kubectl reads them: go-yaml (YAML 1.1) takes a
/// plain `0`-prefixed number as octal, where YAML 1.2 (serde_yaml_ng) sees a string. Such
/// values are turned into their numbers; `true` when one was.
fn octal_modes(value: &mut serde_json::Value) -> bool {
    let mut changed = false;
    match value {
        serde_json::Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                if matches!(key.as_str(), "mode" | "defaultMode") {
                    if let Some(text) = item.as_str() {
                        let digits = text.strip_prefix("0o").unwrap_or(text);
                        if text.starts_with('0') && !digits.is_empty() {
                            if let Ok(n) = i64::from_str_radix(digits, 8) {
                                *item = serde_json::Value::from(n);
                                changed = true;
                                continue;
                            }
                        }
                    }
                }
                changed |= octal_modes(item);
            }
        }
        serde_json::Value::Array(items) => {
            for item in items {
                changed |= octal_modes(item);
            }
        }
        _ => {}
    }
    changed
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
    input: &serde_json::Value,
    job: &Job,
    origin: &str,
) -> Result<(), JobInputError> {
    // A Job always serializes; were it not to, every field would be reported unknown.
    let typed = serde_json::to_value(job).unwrap_or_default();
    let fields = super::strict::unknown_fields(input, &typed);
    if fields.is_empty() {
        return Ok(());
    }
    Err(JobInputError::UnknownFields {
        origin: origin.to_string(),
        fields,
    })
}

/// `Some(())` for a Job, `None` for a ConfigMap or Secret; any other kind is refused.
fn check_kind(
    value: &serde_json::Value,
    origin: &str,
    document: usize,
) -> Result<Option<()>, JobInputError> {
    let api_version = value.get("apiVersion").and_then(|v| v.as_str());
    let kind = value.get("kind").and_then(|v| v.as_str());
    match (api_version, kind) {
        (Some("batch/v1"), Some("Job")) => return Ok(Some(())),
        (Some("v1"), Some("ConfigMap" | "Secret")) => return Ok(None),
        _ => {}
    }
    let show = |v: Option<&str>| v.map_or("missing".to_string(), super::field::go_quote);
    Err(JobInputError::WrongKind {
        origin: origin.to_string(),
        document,
        found: format!("apiVersion {}, kind {}", show(api_version), show(kind)),
    })
}
