//! `-o yaml|json|name` as kubectl prints them: keys sorted at every level (kubectl prints
//! unstructured objects), JSON indented by four spaces, several objects wrapped in a `List`.

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
        _ => go_yaml_quoting(&serde_yaml_ng::to_string(&value).unwrap_or_default()),
    }
}

/// Quotes scalars the way kubectl's YAML encoder (go-yaml v2 through sigs.k8s.io/yaml) does
/// where serde's differs: empty strings as `""`, RFC 3339 timestamps in double quotes (go-yaml
/// would otherwise read them back as timestamps).
fn go_yaml_quoting(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    for line in text.lines() {
        let (head, value) = match line.rfind(": ") {
            Some(i) => (&line[..i + 2], &line[i + 2..]),
            None => match line.trim_start().strip_prefix("- ") {
                Some(v) => (&line[..line.len() - v.len()], v),
                None => (line, ""),
            },
        };
        out.push_str(head);
        if value == "''" {
            out.push_str("\"\"");
        } else if is_timestamp(value) {
            out.push('"');
            out.push_str(value);
            out.push('"');
        } else {
            out.push_str(value);
        }
        out.push('\n');
    }
    out
}

/// `2024-05-01T10:55:00Z` and friends (what go-yaml's resolver takes for a timestamp).
fn is_timestamp(value: &str) -> bool {
    let b = value.as_bytes();
    b.len() >= 20
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && value.ends_with('Z')
        && value[..4].bytes().all(|c| c.is_ascii_digit())
        && value[11..value.len() - 1]
            .bytes()
            .all(|c| c.is_ascii_digit() || c == b':' || c == b'.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_strings_and_timestamps_are_double_quoted_like_go_yaml() {
        let text = "metadata:\n  creationTimestamp: 2024-05-01T10:55:00Z\n  resourceVersion: ''\n  name: pi\nitems:\n- 2024-05-01T10:55:00.5Z\n";
        assert_eq!(
            go_yaml_quoting(text),
            "metadata:\n  creationTimestamp: \"2024-05-01T10:55:00Z\"\n  resourceVersion: \"\"\n  name: pi\nitems:\n- \"2024-05-01T10:55:00.5Z\"\n"
        );
    }
}
