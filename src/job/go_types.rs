//! Values the API server's JSON decoder cannot put in the Go field they are written in, with
//! its text (`json: cannot unmarshal number into Go struct field
//! EnvVar.spec.template.spec.containers.env.value of type string`). serde_yaml_ng reads a plain
//! `8080` where a string is wanted as the string "8080", so without this check a manifest the
//! API server refuses would run. Only the string fields people most often write unquoted:
//! the pod template's labels and annotations, a container's name, image, command, args and
//! env, and a ConfigMap's or Secret's string data.
//!
//! Go's `encoding/json` names the innermost struct and the JSON path without indexes.

use serde_json::Value;

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
        Value::Null => "null",
    }
}

fn error(value: &Value, go_struct: &str, path: &str, go_type: &str) -> Option<String> {
    Some(format!(
        "json: cannot unmarshal {} into Go struct field {go_struct}.{path} of type {go_type}",
        kind(value)
    ))
}

fn is_string(v: &Value) -> bool {
    matches!(v, Value::String(_) | Value::Null)
}

/// A `map[string]string` field: the first value that is not a string, or the field itself.
fn string_map(value: &Value, go_struct: &str, path: &str) -> Option<String> {
    match value {
        Value::Object(map) => map
            .values()
            .find(|v| !is_string(v))
            .and_then(|bad| error(bad, go_struct, path, "string")),
        Value::Null => None,
        other => error(other, go_struct, path, "map[string]string"),
    }
}

/// A `[]string` field.
fn string_list(value: &Value, go_struct: &str, path: &str) -> Option<String> {
    match value {
        Value::Array(items) => items
            .iter()
            .find(|v| !is_string(v))
            .and_then(|bad| error(bad, go_struct, path, "string")),
        Value::Null => None,
        other => error(other, go_struct, path, "[]string"),
    }
}

/// The first such value of a Job, in the decoder's order (template metadata, then the
/// containers in order).
pub fn job_error(job: &Value) -> Option<String> {
    let template = job.pointer("/spec/template")?;
    if let Some(meta) = template.get("metadata") {
        for field in ["labels", "annotations"] {
            if let Some(v) = meta.get(field) {
                let path = format!("spec.template.metadata.{field}");
                if let Some(e) = string_map(v, "ObjectMeta", &path) {
                    return Some(e);
                }
            }
        }
    }
    let containers = template.pointer("/spec/containers")?.as_array()?;
    const C: &str = "spec.template.spec.containers";
    for container in containers {
        for field in ["name", "image", "workingDir"] {
            if let Some(v) = container.get(field).filter(|v| !is_string(v)) {
                return error(v, "Container", &format!("{C}.{field}"), "string");
            }
        }
        for field in ["command", "args"] {
            if let Some(e) = container
                .get(field)
                .and_then(|v| string_list(v, "Container", &format!("{C}.{field}")))
            {
                return Some(e);
            }
        }
        for env in container
            .get("env")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            for field in ["name", "value"] {
                if let Some(v) = env.get(field).filter(|v| !is_string(v)) {
                    return error(v, "EnvVar", &format!("{C}.env.{field}"), "string");
                }
            }
        }
    }
    None
}

/// The same for a ConfigMap's `data` or a Secret's `stringData`.
pub fn object_error(kind_name: &str, object: &Value) -> Option<String> {
    let field = if kind_name == "Secret" {
        "stringData"
    } else {
        "data"
    };
    object
        .get(field)
        .and_then(|v| string_map(v, kind_name, field))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_decoders_words_for_unquoted_values() {
        let job = |container: Value| json!({"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "i"}, container]}}}});
        assert_eq!(
            job_error(&job(json!({"name": "d", "env": [{"name": "A", "value": 8080}]}))).as_deref(),
            Some("json: cannot unmarshal number into Go struct field EnvVar.spec.template.spec.containers.env.value of type string")
        );
        assert_eq!(
            job_error(&job(json!({"name": "d", "args": ["x", true]}))).as_deref(),
            Some("json: cannot unmarshal bool into Go struct field Container.spec.template.spec.containers.args of type string")
        );
        assert_eq!(
            job_error(&job(json!({"name": "d", "command": "sh"}))).as_deref(),
            Some("json: cannot unmarshal string into Go struct field Container.spec.template.spec.containers.command of type []string")
        );
        assert_eq!(
            job_error(&json!({"spec": {"template": {"metadata": {"labels": {"a": 1}}}}})).as_deref(),
            Some("json: cannot unmarshal number into Go struct field ObjectMeta.spec.template.metadata.labels of type string")
        );
        assert_eq!(
            job_error(&job(
                json!({"name": "d", "env": [{"name": "A", "value": null}]})
            )),
            None
        );
        assert_eq!(
            object_error("ConfigMap", &json!({"data": {"a": 1}})).as_deref(),
            Some(
                "json: cannot unmarshal number into Go struct field ConfigMap.data of type string"
            )
        );
    }
}
