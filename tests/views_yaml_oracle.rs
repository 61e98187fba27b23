//! `-o yaml` byte for byte against kubectl: scalars that go-yaml v2 quotes, escapes, folds
//! or writes as blocks, as values, keys and list items at several depths; numbers; key order;
//! empty collections. (The seeded Jobs, Pods and Events are compared in `views_render.rs`.)

mod common;

use common::kubectl::{annotate, kubectl_yaml};
use dockjob::render::yaml::to_yaml;
use serde_json::{json, Map, Value};

// Key sets on which go-yaml's comparison is cyclic (`a10 < a1b < a2 < a10`) are left out:
// kubectl's order for them changes from run to run (Go's map order feeds the sort).

/// Strings whose YAML form depends on go-yaml's resolver, indicators, whitespace, special
/// characters and line breaks.
const SCALARS: &[&str] = &[
    // Resolve to other types: double-quoted.
    "",
    "123",
    "-123",
    "+1",
    "0x1F",
    "0o17",
    "017",
    "08",
    "1_000",
    "1e3",
    "1.5",
    ".5",
    "1.",
    "-.5",
    "1e400",
    "99999999999999999999",
    "-0x8000000000000001",
    "0b101",
    "-0b11",
    "12:30",
    "1:2:3.5",
    "190:20:30",
    "1:60",
    "true",
    "True",
    "TRUE",
    "tRue",
    "yes",
    "Yes",
    "no",
    "NO",
    "on",
    "Off",
    "y",
    "Y",
    "n",
    "N",
    "null",
    "Null",
    "NULL",
    "~",
    "nan",
    ".nan",
    ".NaN",
    ".inf",
    "-.inf",
    "+.INF",
    ".Inf_",
    "<<",
    "0",
    "00",
    "0.0",
    "-",
    "+",
    "1e",
    "1e+",
    "0x",
    // Timestamps as go-yaml's parseTimestamp (Go's time.Parse) reads them.
    "2024-05-01T10:55:00Z",
    "2024-05-01",
    "2024-5-1",
    "2024-02-30",
    "2024-02-29",
    "2023-02-29",
    "2024-05-01 10:55:00",
    "2024-05-01t10:55:00.123456789+02:00",
    "2024-05-01T10:55:00,5Z",
    "2024-05-01T24:00:00Z",
    "2024-05-01T10:60:00Z",
    "2024-05-01T10:55:00+25:00",
    "2024-05-01T10:55:00+24:00",
    "2024-05-01T1:2:3Z",
    "20240-05-01",
    "2024-05-01T10:55:00",
    "2024-05-01 10:55:00Z",
    "2024-13-01",
    "2024-05-1x",
    // Indicators.
    "- x",
    "-x",
    "--",
    "---",
    "--- x",
    "...",
    "..",
    ": x",
    ":x",
    "a: b",
    "a:b",
    "a:",
    "#x",
    "a #b",
    "a#b",
    "a\t#b",
    "*x",
    "&x",
    "!x",
    "%x",
    "@x",
    "`x",
    "|x",
    ">x",
    "[x",
    "]x",
    "{x",
    "}x",
    ",x",
    "'x",
    "\"x",
    "?x",
    "? x",
    "?",
    "x'y",
    "x\"y",
    "a,b",
    "a[b]",
    "a{b}",
    "a - b",
    // Whitespace.
    " lead",
    "trail ",
    " ",
    "  ",
    "a  b",
    // Characters go-yaml escapes.
    // (Not DEL, C1 controls or U+FFFE: kubectl's JSON-to-YAML step refuses them, and folds a
    // NEL into a space; the unit tests cover go-yaml's emitter for those.)
    "a\tb",
    "\t",
    "a\rb",
    "é",
    "日本語",
    "😀",
    "\u{a0}",
    "\u{2028}",
    "a\u{2029}b",
    "\u{feff}abc",
    "a\u{feff}",
    "\u{1b}[0m",
    "\0",
    "back\\slash",
    "quote\"",
    "\u{d7ff}\u{e000}\u{fffd}",
    // Line breaks: literal blocks, or double quotes where a block cannot hold them.
    "a\nb",
    "a\n",
    "a\n\n",
    "\n",
    "\n\n",
    " a\nb",
    "\na",
    "a \nb",
    "a\n b",
    "a\tb\nc",
    "a\r\nb",
    "a\n\u{2028}b",
    "line1\nline2\n\nline4\n",
    "  indented\n  lines\n",
    "a\n\n\nb",
    "x\n ",
    "é\nü",
];

/// Long strings: go-yaml folds plain and quoted scalars at a space past column 80.
fn long_strings() -> Vec<String> {
    let words = |n: usize, w: &str| vec![w; n].join(" ");
    vec![
        words(40, "word"),
        words(30, "a: b"),
        format!("{}\t{}", words(20, "tab"), words(20, "tab")),
        words(30, "two  spaces"),
        "x".repeat(200),
        format!("{} {}", "y".repeat(90), "z".repeat(90)),
        words(25, "Back-off restarting failed container main in pod"),
        format!("{}\n{}", words(30, "line"), words(30, "line")),
        format!("'{}'", words(30, "quoted")),
        words(60, "é"),
        words(35, "1 2"),
    ]
}

fn object(data: Value) -> Value {
    let mut o = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "oracle"}, "data": data});
    annotate(&mut o);
    o
}

fn compare(objects: Vec<Value>) {
    let expected = kubectl_yaml(&objects);
    for (object, kubectl) in objects.iter().zip(expected) {
        let ours = to_yaml(object);
        if ours != kubectl {
            let diff: Vec<String> = ours
                .lines()
                .zip(kubectl.lines())
                .filter(|(a, b)| a != b)
                .take(5)
                .map(|(a, b)| format!("ours:    {a:?}\nkubectl: {b:?}"))
                .collect();
            panic!(
                "-o yaml differs from kubectl:\n{}\n--- ours ---\n{ours}\n--- kubectl ---\n{kubectl}",
                diff.join("\n")
            );
        }
    }
}

#[test]
fn scalars_as_values_keys_and_items_match_kubectl() {
    let mut strings: Vec<String> = SCALARS.iter().map(|s| s.to_string()).collect();
    strings.extend(long_strings());
    let values: Map<String, Value> = strings
        .iter()
        .enumerate()
        .map(|(i, s)| (format!("v{i:03}"), Value::from(s.as_str())))
        .collect();
    // One key per map: go-yaml's key comparison is cyclic on some of these strings, and
    // kubectl's order for those varies. go-yaml reads no implicit key longer than 1024
    // characters (kubectl's input and its JSON-to-YAML step both parse with it).
    let keys: Map<String, Value> = strings
        .iter()
        .filter(|s| s.chars().count() <= 1024)
        .enumerate()
        .map(|(i, s)| (format!("k{i:03}"), json!({ s.as_str(): 1 })))
        .collect();
    let nested = json!({"a": {"b": [{"c": strings, "d": [strings]}]}});
    compare(vec![
        object(Value::Object(values)),
        object(Value::Object(keys)),
        object(nested),
    ]);
}

#[test]
fn numbers_key_order_and_empty_collections_match_kubectl() {
    let data = json!({
        "ints": [1, -2, 0, i64::MAX, i64::MIN, u64::MAX, 10_000_000_000_000_000_000u64],
        "floats": [1.5, 0.0001, 0.00001, 1e21, 1e20, 1e19, 1234567.5, 123456.5, -0.0, 2.0,
                   1e-7, 6.25, -2.5e-300, 1.7976931348623157e308, 0.1, 100.0],
        "scalars": [true, false, null],
        "empty": {}, "emptyList": [], "listOfEmpty": [{}, [], [[]], [{}]],
        "nested": [[1, 2], [[3, [4]]], [{"a": 1, "b": [3], "c": {}}]],
        "keys": {"a10": 1, "a2": 2, "a01": 3, "A": 4, "_x": 5, "1": 6, "10": 7, "9": 8,
                 "a": 9, "b0": 10, "b00": 11, "b1": 12, "x-y": 13, "x.y": 14, "x/y": 15,
                 "X": 16, "é": 17, "zz": 18, "z9z": 19, "z10z": 20, "10a": 21, "010": 22,
                 "": 23},
    });
    compare(vec![object(data)]);
}

#[test]
fn long_and_multiline_keys_match_kubectl() {
    let keys: Map<String, Value> = [
        "k".repeat(128),
        "k".repeat(129),
        format!("{} key", "long ".repeat(30)),
        "multi\nline".to_string(),
        "multi\nline\n".to_string(),
    ]
    .into_iter()
    .map(|k| (k, json!({"nested": "value", "list": [1, {"a": "b"}]})))
    .collect();
    let keyed_scalars: Map<String, Value> = [
        ("k".repeat(130), json!("v")),
        ("x\ny".to_string(), json!(["a", "b"])),
        ("y\nz".to_string(), json!({})),
    ]
    .into_iter()
    .collect();
    compare(vec![
        object(Value::Object(keys)),
        object(Value::Object(keyed_scalars)),
    ]);
}
