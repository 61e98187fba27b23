//! Pure conversions between the controller's records and stored Kubernetes objects: UID
//! normalisation and immutable-field detection for `apply`, events as `core/v1` Events.
//! No SQLite, no clock.

use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{Event, EventSource, ObjectReference};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use k8s_openapi::jiff::Timestamp;
use serde_json::Value;

/// Spec fields `kubectl apply` may change on an existing Job (`ValidateJobSpecUpdate` lets
/// these through; the pod template and the rest are immutable).
pub const MUTABLE_SPEC_FIELDS: &[&str] = &[
    "parallelism",
    "activeDeadlineSeconds",
    "backoffLimit",
    "suspend",
    "ttlSecondsAfterFinished",
];

/// `job` as if it had been admitted with `uid`: the UID and every label or selector value that
/// carried the fresh UID are replaced, so a re-applied manifest compares equal.
pub fn normalize_uid(job: &Job, uid: &str) -> Job {
    let mut job = job.clone();
    let Some(old) = job.metadata.uid.replace(uid.to_string()) else {
        return job;
    };
    let swap = |map: &mut Option<std::collections::BTreeMap<String, String>>| {
        for value in map.iter_mut().flat_map(|m| m.values_mut()) {
            if *value == old {
                *value = uid.to_string();
            }
        }
    };
    swap(&mut job.metadata.labels);
    if let Some(spec) = job.spec.as_mut() {
        if let Some(meta) = spec.template.metadata.as_mut() {
            swap(&mut meta.labels);
        }
        if let Some(selector) = spec.selector.as_mut() {
            swap(&mut selector.match_labels);
        }
    }
    job
}

/// The first immutable field that differs between the stored and the applied Job, as a
/// kubectl field path and the new value (JSON).
pub fn immutable_change(old: &Job, new: &Job) -> Option<(String, String)> {
    let spec_value = |job: &Job| {
        let mut v = serde_json::to_value(&job.spec).unwrap_or(Value::Null);
        if let Value::Object(map) = &mut v {
            for field in MUTABLE_SPEC_FIELDS {
                map.remove(*field);
            }
        }
        v
    };
    let (a, b) = (spec_value(old), spec_value(new));
    first_difference(&a, &b, "spec".to_string())
}

fn first_difference(a: &Value, b: &Value, path: String) -> Option<(String, String)> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            keys.into_iter().find_map(|k| {
                first_difference(
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                    format!("{path}.{k}"),
                )
            })
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (p, q))| first_difference(p, q, format!("{path}[{i}]"))),
        _ if a == b => None,
        _ => Some((path, b.to_string())),
    }
}

/// One event as stored (aggregated: `count` occurrences between `first_seen` and `last_seen`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    /// Row id (orders events and names them).
    pub id: i64,
    /// Namespace.
    pub namespace: String,
    /// `Job` or `Pod`.
    pub object_kind: String,
    /// Involved object's name.
    pub object_name: String,
    /// `Normal` or `Warning`.
    pub type_: String,
    /// Reason.
    pub reason: String,
    /// Message.
    pub message: String,
    /// Reporting component.
    pub source: String,
    /// Occurrences.
    pub count: i32,
    /// First occurrence.
    pub first_seen: Timestamp,
    /// Last occurrence.
    pub last_seen: Timestamp,
}

impl EventRow {
    /// The event's name as the recorder makes it: `<object>.<hex UnixNano>` (the row id is
    /// added to the nanoseconds so events recorded in the same instant stay distinct).
    pub fn name(&self) -> String {
        let nanos = self.first_seen.as_nanosecond() + i128::from(self.id);
        format!("{}.{:x}", self.object_name, nanos)
    }

    /// As a `core/v1` Event.
    pub fn to_event(&self) -> Event {
        Event {
            metadata: ObjectMeta {
                name: Some(self.name()),
                namespace: Some(self.namespace.clone()),
                creation_timestamp: Some(Time(self.first_seen)),
                ..Default::default()
            },
            involved_object: ObjectReference {
                api_version: Some(
                    if self.object_kind == "Job" {
                        "batch/v1"
                    } else {
                        "v1"
                    }
                    .to_string(),
                ),
                kind: Some(self.object_kind.clone()),
                name: Some(self.object_name.clone()),
                namespace: Some(self.namespace.clone()),
                ..Default::default()
            },
            type_: Some(self.type_.clone()),
            reason: Some(self.reason.clone()),
            message: Some(self.message.clone()),
            source: Some(EventSource {
                component: Some(self.source.clone()),
                host: None,
            }),
            count: Some(self.count),
            first_timestamp: Some(Time(self.first_seen)),
            last_timestamp: Some(Time(self.last_seen)),
            event_time: None,
            reporting_component: Some(self.source.clone()),
            reporting_instance: None,
            action: None,
            related: None,
            series: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::load_jobs;

    fn load(yaml: &str) -> Job {
        load_jobs(yaml, "job.yaml").unwrap().remove(0).job
    }

    const PI: &str = "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: pi\nspec:\n  backoffLimit: 4\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: pi\n        image: busybox:1.36\n        command: [echo, hi]\n";

    #[test]
    fn a_reloaded_manifest_equals_the_stored_one_once_the_uid_is_normalized() {
        let (a, b) = (load(PI), load(PI));
        assert_ne!(a.metadata.uid, b.metadata.uid);
        let uid = a.metadata.uid.clone().unwrap();
        assert_eq!(normalize_uid(&b, &uid), a);
    }

    #[test]
    fn mutable_fields_are_not_immutable_changes_but_the_image_is() {
        let old = load(PI);
        let uid = old.metadata.uid.clone().unwrap();
        let more = normalize_uid(
            &load(&PI.replace("backoffLimit: 4", "backoffLimit: 9")),
            &uid,
        );
        assert_ne!(more, old);
        assert_eq!(immutable_change(&old, &more), None);
        let image = normalize_uid(&load(&PI.replace("busybox:1.36", "busybox:1.37")), &uid);
        assert_eq!(
            immutable_change(&old, &image),
            Some((
                "spec.template.spec.containers[0].image".to_string(),
                "\"busybox:1.37\"".to_string()
            ))
        );
    }
}
