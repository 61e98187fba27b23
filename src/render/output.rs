//! `-o yaml|json|name` as kubectl prints them: keys sorted at every level (kubectl prints
//! unstructured objects), JSON indented by four spaces, YAML through go-yaml v2's rules
//! ([`super::yaml`]), several objects wrapped in a `List`.

use serde::Serialize;

/// `-o` formats other than the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectFormat {
    /// `-o yaml`.
    Yaml,
    /// `-o json`.
    Json,
    /// `-o name`: `job.batch/pi`.
    Name,
}

/// An object with the `resource/name` kubectl prints for `-o name` and in messages.
pub trait Named: Serialize {
    /// `job.batch`, `pod`, `event`.
    fn resource() -> &'static str;
    /// `metadata.name`.
    fn name(&self) -> String;
}

impl Named for k8s_openapi::api::batch::v1::Job {
    fn resource() -> &'static str {
        "job.batch"
    }
    fn name(&self) -> String {
        self.metadata.name.clone().unwrap_or_default()
    }
}

impl Named for k8s_openapi::api::core::v1::Pod {
    fn resource() -> &'static str {
        "pod"
    }
    fn name(&self) -> String {
        self.metadata.name.clone().unwrap_or_default()
    }
}

impl Named for k8s_openapi::api::core::v1::Event {
    fn resource() -> &'static str {
        "event"
    }
    fn name(&self) -> String {
        self.metadata.name.clone().unwrap_or_default()
    }
}

/// Renders `objects` in `format`; `single` prints one object bare (`get job NAME`) instead of
/// a `List`.
pub fn render_objects<T: Named>(objects: &[T], format: ObjectFormat, single: bool) -> String {
    if format == ObjectFormat::Name {
        return objects
            .iter()
            .map(|o| format!("{}/{}\n", T::resource(), o.name()))
            .collect();
    }
    let values: Vec<serde_json::Value> = objects
        .iter()
        .map(|o| serde_json::to_value(o).unwrap_or(serde_json::Value::Null))
        .collect();
    let value = match (single, values.as_slice()) {
        (true, [one]) => one.clone(),
        _ => serde_json::json!({
            "apiVersion": "v1",
            "items": values,
            "kind": "List",
            "metadata": {"resourceVersion": ""},
        }),
    };
    match format {
        ObjectFormat::Json => {
            let mut out = Vec::new();
            let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
            let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
            if value.serialize(&mut serializer).is_err() {
                return String::new();
            }
            let mut text = String::from_utf8(out).unwrap_or_default();
            text.push('\n');
            text
        }
        _ => super::yaml::to_yaml(&value),
    }
}
