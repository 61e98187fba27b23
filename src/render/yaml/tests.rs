//! go-yaml v2's output for scalars, collections, key order and a whole Job. The scalar table
//! was taken from kubectl 1.32's `-o yaml` (go-yaml v2.4.0 behind `sigs.k8s.io/yaml`); the
//! cases kubectl cannot print (it refuses DEL, C1 controls and U+FFFE when it reads the JSON
//! back, and folds a NEL) follow go-yaml's emitter source. `tests/views_yaml_oracle.rs`
//! compares many more cases with kubectl itself.

use serde_json::json;

use super::{key_less, to_yaml};

/// (string, what follows `k: ` for it).
const SCALARS: &[(&str, &str)] = &[
    ("", "\"\""),
    ("123", "\"123\""),
    ("+1", "\"+1\""),
    ("0x1F", "\"0x1F\""),
    ("0o17", "\"0o17\""),
    ("017", "\"017\""),
    ("08", "\"08\""),
    ("1_000", "\"1_000\""),
    ("1e3", "\"1e3\""),
    (".5", "\".5\""),
    ("1.", "\"1.\""),
    ("1e400", "1e400"),
    ("99999999999999999999", "\"99999999999999999999\""),
    ("-0x8000000000000001", "-0x8000000000000001"),
    ("12:30", "\"12:30\""),
    ("190:20:30", "\"190:20:30\""),
    ("1:60", "1:60"),
    ("true", "\"true\""),
    ("True", "\"True\""),
    ("tRue", "tRue"),
    ("yes", "\"yes\""),
    ("NO", "\"NO\""),
    ("on", "\"on\""),
    ("y", "\"y\""),
    ("N", "\"N\""),
    ("null", "\"null\""),
    ("~", "\"~\""),
    ("nan", "nan"),
    (".inf", "\".inf\""),
    ("-.Inf", "\"-.Inf\""),
    ("<<", "<<"),
    ("2024-05-01T10:55:00Z", "\"2024-05-01T10:55:00Z\""),
    ("2024-05-01", "\"2024-05-01\""),
    ("2024-5-1", "\"2024-5-1\""),
    ("2024-02-30", "2024-02-30"),
    ("2024-02-29", "\"2024-02-29\""),
    ("2023-02-29", "2023-02-29"),
    ("2024-05-01 10:55:00", "\"2024-05-01 10:55:00\""),
    (
        "2024-05-01t10:55:00.123456789+02:00",
        "\"2024-05-01t10:55:00.123456789+02:00\"",
    ),
    ("2024-05-01T10:55:00,5Z", "\"2024-05-01T10:55:00,5Z\""),
    ("2024-05-01T24:00:00Z", "2024-05-01T24:00:00Z"),
    ("2024-05-01T10:55:00+24:00", "\"2024-05-01T10:55:00+24:00\""),
    ("2024-05-01T10:55:00+25:00", "2024-05-01T10:55:00+25:00"),
    ("2024-05-01T10:55:00", "2024-05-01T10:55:00"),
    ("- x", "'- x'"),
    ("-", "'-'"),
    ("-x", "-x"),
    ("---", "'---'"),
    ("...", "'...'"),
    (": x", "': x'"),
    (":x", ":x"),
    ("a: b", "'a: b'"),
    ("a:b", "a:b"),
    ("#x", "'#x'"),
    ("a #b", "'a #b'"),
    ("a#b", "a#b"),
    ("*x", "'*x'"),
    ("&x", "'&x'"),
    ("!x", "'!x'"),
    ("%x", "'%x'"),
    ("@x", "'@x'"),
    ("`x", "'`x'"),
    ("|x", "'|x'"),
    (">x", "'>x'"),
    ("[x", "'[x'"),
    ("{x", "'{x'"),
    (",x", "',x'"),
    ("'x", "'''x'"),
    ("\"x", "'\"x'"),
    ("?x", "?x"),
    ("? x", "'? x'"),
    ("x'y", "x'y"),
    ("a,b", "a,b"),
    (" lead", "' lead'"),
    ("trail ", "'trail '"),
    ("a  b", "a  b"),
    ("a\tb", "\"a\\tb\""),
    ("é", "é"),
    ("😀", "\"\\U0001F600\""),
    ("\u{a0}", "\u{a0}"),
    ("\u{feff}abc", "\"\\uFEFF\\x61\\x62\\x63\""),
    ("\u{1b}[0m", "\"\\e[0m\""),
    ("\u{0}", "\"\\0\""),
    ("back\\slash", "back\\slash"),
    ("it's \"q\"", "it's \"q\""),
    ("a\nb", "|-\n  a\n  b"),
    ("a\n", "|\n  a"),
    ("a\n\n", "|+\n  a\n"),
    ("\n", "|2+\n"),
    (" a\nb", "|2-\n   a\n  b"),
    ("a \nb", "\"a \\nb\""),
    ("a\tb\nc", "\"a\\tb\\nc\""),
    ("a\r\nb", "\"a\\r\\nb\""),
    ("a\u{2028}b", "'a\u{2028}  b'"),
    ("x\n ", "\"x\\n \""),
];

#[test]
fn scalars_are_quoted_escaped_and_blocked_as_go_yaml_does() {
    for (input, expected) in SCALARS {
        assert_eq!(
            to_yaml(&json!({ "k": input })),
            format!("k: {expected}\n"),
            "{input:?}"
        );
    }
}

#[test]
fn characters_kubectl_cannot_read_back_are_escaped_by_the_emitter() {
    // emitterc.go yaml_emitter_write_double_quoted_scalar: \x for up to 0xFF, \N for NEL,
    // \u for the rest of the BMP; none of them is printable, so plain and single quotes are
    // out (yaml_emitter_analyze_scalar: special_characters).
    for (input, expected) in [
        ("\u{7f}", "\"\\x7F\""),
        ("\u{80}x", "\"\\x80x\""),
        ("a\u{85}b", "\"a\\Nb\""),
        ("\u{fffe}", "\"\\uFFFE\""),
        ("\u{2029}", "'\u{2029}'"),
    ] {
        assert_eq!(to_yaml(&json!({ "k": input })), format!("k: {expected}\n"));
    }
}

#[test]
fn long_scalars_fold_at_a_space_past_column_80() {
    let words = |n: usize, w: &str| vec![w; n].join(" ");
    let doc = json!({
        "k1": words(40, "word"),
        "k2": words(30, "a: b"),
        "k3": format!("{}\t{}", words(20, "tab"), words(20, "tab")),
        "k5": "x".repeat(100),
    });
    let line = |w: &str, n: usize| words(n, w);
    assert_eq!(
        to_yaml(&doc),
        format!(
            "k1: {}\n  {}\n  {}\n\
             k2: 'a: b a: b a: b a: b a: b a: b a: b a: b a: b a: b a: b a: b a: b a: b a: b a:\n  b {}'\n\
             k3: \"{}\\t{}\n  {}\"\n\
             k5: {}\n",
            line("word", 16),
            line("word", 16),
            line("word", 8),
            line("a: b", 14),
            line("tab", 20),
            "tab",
            line("tab", 19),
            "x".repeat(100),
        )
    );
}

#[test]
fn collections_are_block_style_with_unindented_sequences_and_flow_empties() {
    let doc = json!({
        "spec": {"containers": [{"command": ["sh", "-c"], "name": "main", "env": []}]},
        "nested": [[1, 2], [], {}, [{"a": null, "b": [true]}]],
        "empty": {},
        "numbers": [0, -2, 1.5, 1e-5, 2.0, 1e21, 1234567.5, u64::MAX],
    });
    assert_eq!(
        to_yaml(&doc),
        "empty: {}\n\
         nested:\n\
         - - 1\n\
         \x20 - 2\n\
         - []\n\
         - {}\n\
         - - a: null\n\
         \x20   b:\n\
         \x20   - true\n\
         numbers:\n\
         - 0\n\
         - -2\n\
         - 1.5\n\
         - 1e-05\n\
         - 2\n\
         - 1e+21\n\
         - 1.2345675e+06\n\
         - 1.8446744073709552e+19\n\
         spec:\n\
         \x20 containers:\n\
         \x20 - command:\n\
         \x20   - sh\n\
         \x20   - -c\n\
         \x20   env: []\n\
         \x20   name: main\n"
    );
}

#[test]
fn long_and_multiline_keys_are_complex_keys() {
    let long = "k".repeat(129);
    let doc = json!({ long.clone(): "v", "a\nb": {"x": 1}, "ok": 1 });
    assert_eq!(
        to_yaml(&doc),
        format!("? |-\n  a\n  b\n: x: 1\n? {long}\n: v\nok: 1\n")
    );
}

#[test]
fn keys_sort_as_go_yaml_sorter_does() {
    let less = |a: &str, b: &str| {
        let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
        key_less(&a, &b)
    };
    // Non-letters first, digit runs by value, letters by code point, prefixes first.
    for (a, b) in [
        ("_x", "1"),
        ("1", "9"),
        ("9", "10"),
        ("10", "010"),
        ("010", "A"),
        ("A", "a"),
        ("a", "a2"),
        ("a2", "a10"),
        ("b00", "b1"),
        ("x-y", "x.y"),
        ("z9z", "z10z"),
        ("zz", "é"),
        ("", "a"),
    ] {
        assert!(less(a, b), "{a} < {b}");
        assert!(!less(b, a), "not {b} < {a}");
    }
    // go-yaml's comparison is not transitive here (kubectl's order for these varies between
    // runs, since Go's map order feeds the sort): a10 < a1b < a2 < a10.
    assert!(less("a10", "a1b") && less("a1b", "a2") && less("a2", "a10"));
}

/// A Job as `kubectl get job -o yaml` prints it (checked against kubectl 1.32).
#[test]
fn a_whole_job_document() {
    let job = json!({
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": "pi", "namespace": "default", "generation": 1,
            "creationTimestamp": "2024-05-01T10:00:00Z",
            "labels": {"job-name": "pi", "batch.kubernetes.io/job-name": "pi"},
            "annotations": {"note": "line one\nline two\n", "owner": "team: batch"}},
        "spec": {"backoffLimit": 6, "completions": 1, "suspend": false,
            "template": {"metadata": {"labels": {"job-name": "pi"}},
                "spec": {"restartPolicy": "Never", "containers": [{"name": "pi",
                    "image": "perl:5.34.0", "command": ["perl", "-Mbignum=bpi", "-wle", "print bpi(2000)"],
                    "resources": {}, "env": [{"name": "N", "value": "10"}]}]}}},
        "status": {"conditions": [{"type": "Complete", "status": "True",
            "lastTransitionTime": "2024-05-01T10:01:05Z"}], "succeeded": 1,
            "uncountedTerminatedPods": {}, "ready": 0}
    });
    assert_eq!(
        to_yaml(&job),
        r#"apiVersion: batch/v1
kind: Job
metadata:
  annotations:
    note: |
      line one
      line two
    owner: 'team: batch'
  creationTimestamp: "2024-05-01T10:00:00Z"
  generation: 1
  labels:
    batch.kubernetes.io/job-name: pi
    job-name: pi
  name: pi
  namespace: default
spec:
  backoffLimit: 6
  completions: 1
  suspend: false
  template:
    metadata:
      labels:
        job-name: pi
    spec:
      containers:
      - command:
        - perl
        - -Mbignum=bpi
        - -wle
        - print bpi(2000)
        env:
        - name: "N"
          value: "10"
        image: perl:5.34.0
        name: pi
        resources: {}
      restartPolicy: Never
status:
  conditions:
  - lastTransitionTime: "2024-05-01T10:01:05Z"
    status: "True"
    type: Complete
  ready: 0
  succeeded: 1
  uncountedTerminatedPods: {}
"#
    );
}
