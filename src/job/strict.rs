//! Strict decoding: fields in the manifest that the Job schema does not know, as the API
//! server reports them with `fieldValidation=Strict` (kubectl's default since 1.27).
//!
//! The typed Job is serialized back and compared with the input: any key of the input that
//! did not survive the round trip is unknown. Pure.

use serde_json::Value;

/// Dotted paths (`spec.template.spec.restartpolicy`) of input keys the schema dropped.
pub fn unknown_fields(input: &Value, typed: &Value) -> Vec<String> {
    let mut found = Vec::new();
    walk(input, typed, "", &mut found);
    found
}

fn walk(input: &Value, typed: &Value, path: &str, found: &mut Vec<String>) {
    match (input, typed) {
        (Value::Object(given), Value::Object(known)) => {
            for (key, value) in given {
                let child = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                match known.get(key) {
                    Some(kept) => walk(value, kept, &child, found),
                    // `key: null` and empty values are dropped by serialization, not unknown.
                    None if is_empty(value) => {}
                    None => found.push(child),
                }
            }
        }
        (Value::Array(given), Value::Array(known)) => {
            for (i, (value, kept)) in given.iter().zip(known).enumerate() {
                walk(value, kept, &format!("{path}[{i}]"), found);
            }
        }
        _ => {}
    }
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reports_keys_the_schema_dropped() {
        let input = json!({"spec": {"template": {"spec": {"restartpolicy": "Never", "containers": [{"name": "c", "imagee": "x"}], "volumes": null}}}});
        let typed = json!({"spec": {"template": {"spec": {"containers": [{"name": "c"}]}}}});
        assert_eq!(
            unknown_fields(&input, &typed),
            vec![
                "spec.template.spec.containers[0].imagee",
                "spec.template.spec.restartpolicy"
            ]
        );
    }
}
