//! kubectl itself as the oracle for `-o yaml`: `kubectl annotate --local -f FILE KEY- -o yaml`
//! reads a file's objects as unstructured JSON and prints them through kubectl's
//! `YAMLPrinter` (`sigs.k8s.io/yaml` over go-yaml v2, as `get -o yaml` does), without a
//! cluster. kubectl is part of the machine image the tests run on.

use std::process::Command;

use serde_json::Value;

/// The annotation the oracle's objects carry: removing an absent key from an object without
/// annotations would make kubectl add `annotations: {}`.
pub const ORACLE_ANNOTATION: &str = "dockjob.test/oracle";

/// Gives `object` the [`ORACLE_ANNOTATION`] (call it before rendering either side).
pub fn annotate(object: &mut Value) {
    let meta = object
        .as_object_mut()
        .expect("an object")
        .entry("metadata")
        .or_insert_with(|| serde_json::json!({}));
    let annotations = meta
        .as_object_mut()
        .expect("metadata is an object")
        .entry("annotations")
        .or_insert_with(|| serde_json::json!({}));
    annotations
        .as_object_mut()
        .expect("annotations are an object")
        .insert(ORACLE_ANNOTATION.to_string(), Value::from("1"));
}

/// kubectl's YAML for each object (each must carry [`ORACLE_ANNOTATION`]).
pub fn kubectl_yaml(objects: &[Value]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new("kubectl");
    cmd.env("KUBECONFIG", "/dev/null")
        .arg("annotate")
        .arg("--local");
    for (i, object) in objects.iter().enumerate() {
        let path = dir.path().join(format!("{i:04}.json"));
        std::fs::write(&path, ascii_json(object)).unwrap();
        cmd.arg("-f").arg(path);
    }
    cmd.args(["dockjob.test/absent-", "-o", "yaml"]);
    let out = cmd.output().expect(
        "kubectl (in the machine image; Debian/Google package `kubectl`) must be installed",
    );
    assert!(
        out.status.success(),
        "kubectl failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    // YAMLPrinter separates objects with a `---` line; no content line is `---` at column 0.
    let docs: Vec<String> = text
        .split("\n---\n")
        .map(|d| {
            if d.ends_with('\n') {
                d.to_string()
            } else {
                format!("{d}\n")
            }
        })
        .collect();
    assert_eq!(docs.len(), objects.len(), "{text}");
    docs
}

/// JSON with every non-ASCII character and DEL escaped: kubectl reads files through go-yaml,
/// which refuses raw control characters (`U+0085`, `U+FEFF`, …) even inside JSON strings.
fn ascii_json(object: &Value) -> String {
    let text = serde_json::to_string(object).unwrap();
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() && c != '\u{7f}' {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

/// kubectl's output for `object` printed with `-o FORMAT` (`jsonpath=…`, `jsonpath-as-json=…`,
/// `name`, …), through `kubectl annotate --local` (the same cli-runtime printers as `get`).
/// `object` must not be a list: kubectl flattens anything with `items` into its elements
/// (see [`unlisted`]).
pub fn kubectl_print(object: &Value, format: &str) -> Result<String, String> {
    let mut object = object.clone();
    annotate(&mut object);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("object.json");
    std::fs::write(&path, ascii_json(&object)).unwrap();
    let out = Command::new("kubectl")
        .env("KUBECONFIG", "/dev/null")
        .args(["annotate", "--local", "-f"])
        .arg(&path)
        .args(["dockjob.test/absent-", "-o", format])
        .output()
        .expect("kubectl (in the machine image) must be installed");
    let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
    if out.status.success() {
        Ok(text(out.stdout))
    } else {
        Err(text(out.stderr))
    }
}

/// `list` (a `v1 List`) as an object kubectl will not flatten, and `template` rewritten to
/// match: `items` becomes `listItems`, the kind a ConfigMap. Only for templates that read
/// `.items` and nothing else of the list itself.
pub fn unlisted(list: &Value, template: &str) -> (Value, String) {
    let mut object = serde_json::json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "oracle"},
    });
    object["listItems"] = list["items"].clone();
    (object, template.replace(".items", ".listItems"))
}
