//! Issue 17, points 5 and 8, through the built binary: hostile or wrong input is refused with
//! the API server's (or kubectl's) text and exit code 2, and nothing is recorded.
//!
//! Point 5: size limits (files, stdin, devices, Dockerfiles, repeated `-f`), YAML nesting and
//! alias expansion, non-string keys, annotations and labels (the Job's, its pod template's,
//! ConfigMaps' and Secrets'), `metadata.namespace`, `-l` selectors, `-n` on create/apply. Point 8: the
//! validation texts that were missing (the upstream table itself is in
//! `job_validation_upstream.rs`). None of these asserts a duration; the times are measured
//! by hand (see the report).

mod common;

use std::io::Write;
use std::process::{Output, Stdio};

use common::{stderr, stdout, TestEnv};
use dockjob::store::Store;

const LIMIT: &str = "3145728";

/// A valid Job named `name`, `extra` appended to its metadata.
fn manifest(name: &str, metadata_extra: &str) -> String {
    format!("apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {name}\n{metadata_extra}spec:\n  suspend: true\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: c\n        image: busybox:1.36\n")
}

fn assert_refused(output: &Output, want: &str) {
    assert_eq!(
        output.status.code(),
        Some(2),
        "stdout:\n{}\nstderr:\n{}",
        stdout(output),
        stderr(output)
    );
    // kubectl prints the API server's errors without `error: ` (its `checkErr`).
    let api_server = want.starts_with("Error from server (")
        || (want.starts_with("The ") && want.contains(" is invalid: "));
    let want = if api_server {
        want.to_string()
    } else {
        format!("error: {want}")
    };
    assert_eq!(stderr(output).trim_end(), want);
}

/// No Job in any namespace: the state store is empty or was never created.
fn assert_nothing_recorded(env: &TestEnv) {
    let dir = env.dir.path().join("state");
    if !dir.join("dockjob.db").exists() {
        return;
    }
    let store = Store::open(&dir).expect("open the store");
    assert!(store.list_jobs(None).expect("list jobs").is_empty());
}

/// `dockjob ARGS` with `input` written to its stdin (a writer that may be cut off early).
fn with_stdin(
    env: &TestEnv,
    args: &[&str],
    input: impl Fn(&mut dyn Write) + Send + 'static,
) -> Output {
    let mut child = env
        .dockjob()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn dockjob");
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || input(&mut stdin));
    let output = child.wait_with_output().expect("wait");
    let _ = writer.join();
    output
}

#[test]
fn point5_inputs_over_3_mib_are_refused_unread() {
    let env = TestEnv::new("size");
    // A device that never ends.
    let zero = env.run(&["create", "-f", "/dev/zero"]);
    assert_refused(&zero, &format!("Error from server (RequestEntityTooLarge): error when creating \"/dev/zero\": Request entity too large: limit is {LIMIT}"));
    // `yes | dockjob create -f -`: endless stdin (the writer stops on the closed pipe).
    let yes = with_stdin(&env, &["create", "-f", "-"], |w| {
        let line = [b'y', b'\n'].repeat(4096);
        while w.write_all(&line).is_ok() {}
    });
    assert_refused(&yes, &format!("Error from server (RequestEntityTooLarge): error when creating \"-\": Request entity too large: limit is {LIMIT}"));
    // A valid manifest padded with a comment past 3 MiB, and one just under the limit.
    let big = format!("{}# {}\n", manifest("big", ""), "x".repeat(3 * 1024 * 1024));
    let path = env.write("big.yaml", &big);
    let out = env.run(&["apply", "-f", path.to_str().unwrap()]);
    assert_refused(&out, &format!("Error from server (RequestEntityTooLarge): error when creating {:?}: Request entity too large: limit is {LIMIT}", path.display().to_string()));
    // Dockerfiles: lint and build read at most as much.
    let lint = env.run(&["lint", "/dev/zero"]);
    assert_refused(
        &lint,
        "/dev/zero: larger than 3145728 bytes (3 MiB), the most dockjob reads of a Dockerfile",
    );
    let context = env.dir.path().join("ctx");
    std::fs::create_dir_all(&context).unwrap();
    let build = env.run(&[
        "build",
        "-f",
        "/dev/zero",
        "-t",
        "x:1",
        context.to_str().unwrap(),
    ]);
    assert_refused(&build, "cannot read the Dockerfile /dev/zero: larger than 3145728 bytes (3 MiB), the most dockjob reads of a Dockerfile");
    let stdin_build = with_stdin(
        &env,
        &["build", "-f", "-", "-t", "x:1", context.to_str().unwrap()],
        |w| {
            let chunk = [b'#'; 65536];
            while w.write_all(&chunk).is_ok() {}
        },
    );
    assert_refused(&stdin_build, "cannot read the Dockerfile from stdin: larger than 3145728 bytes (3 MiB), the most dockjob reads of a Dockerfile");
    assert_nothing_recorded(&env);
}

#[test]
fn point5_deep_nesting_is_refused_before_parsing() {
    let env = TestEnv::new("depth");
    // 100 000 nested flow mappings (~49 s of CPU before this bound) and 3 million `[`.
    for (name, text, column) in [
        ("flow.yaml", "{a: ".repeat(100_000), 513),
        ("seq.yaml", "[".repeat(3_000_000), 129),
        ("dash.yaml", format!("{}x\n", "- ".repeat(1_000_000)), 257),
    ] {
        let path = env.write(name, &text);
        let out = env.run(&["create", "-f", path.to_str().unwrap()]);
        assert_refused(&out, &format!("{}: line 1 column {column}: the YAML nests deeper than 128 levels (a Job manifest needs about 20; deeper input is refused before it is parsed)", path.display()));
    }
    assert_nothing_recorded(&env);
}

#[test]
fn point5_alias_expansion_is_bounded_as_go_yaml_bounds_it() {
    // Regression: 100 000 aliases of a 121-node anchor (400 KB) made the parser replay 24
    // million events (600 000 of them, 2 MiB, ran for minutes and gigabytes); kubectl's
    // go-yaml refuses such a document, and so does dockjob, before parsing it.
    let env = TestEnv::new("aliases");
    let nested = format!("{}1{}", "[".repeat(120), "]".repeat(120));
    let bomb = format!(
        "apiVersion: batch/v1\nkind: Job\nx: &x {nested}\ny: [{}]\n",
        vec!["*x"; 100_000].join(",")
    );
    let path = env.write("aliases.yaml", &bomb);
    let out = env.run(&["create", "-f", path.to_str().unwrap()]);
    assert_refused(&out, &format!("{}: line 4 column 1745: error converting YAML to JSON: yaml: document contains excessive aliasing", path.display()));
    // An anchor reused a few times is ordinary YAML and still runs through to validation.
    let reuse = manifest("reuse", "  labels: &l {app: x}\n  annotations: *l\n");
    let path = env.write("reuse.yaml", &reuse);
    let out = env.run(&["create", "--dry-run=client", "-f", path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_nothing_recorded(&env);
}

#[test]
fn point5_every_metadata_is_validated_as_object_meta() {
    // Regression: the pod template's annotations, label keys, and the labels and annotations
    // of ConfigMaps and Secrets were not validated (a 256 KiB template annotation and a
    // label key `a b` were accepted).
    let env = TestEnv::new("metadata");
    let note = "x".repeat(256 * 1024);
    let template = manifest("t", "").replace(
        "    spec:\n      restartPolicy",
        &format!("    metadata:\n      annotations:\n        note: {note}\n    spec:\n      restartPolicy"),
    );
    let name_part = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
    for (file, text, want) in [
        ("template.yaml", template, "The Job \"t\" is invalid: spec.template.annotations: Too long: may not be more than 262144 bytes".to_string()),
        ("label.yaml", manifest("l", "  labels:\n    'a b': x\n"), format!("The Job \"l\" is invalid: metadata.labels: Invalid value: \"a b\": {name_part}")),
        ("cm.yaml", format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  annotations:\n    note: {note}\n"), "The ConfigMap \"c\" is invalid: metadata.annotations: Too long: may not be more than 262144 bytes".to_string()),
        ("secret.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  labels: {'-a': b}\n".to_string(), format!("The Secret \"s\" is invalid: metadata.labels: Invalid value: \"-a\": {name_part}")),
    ] {
        let path = env.write(file, &text);
        let out = env.run(&["create", "-f", path.to_str().unwrap()]);
        assert_refused(&out, &want);
    }
    assert_nothing_recorded(&env);
}

#[test]
fn point5_metadata_values_must_be_what_kubectl_decodes() {
    // Regression: `labels: {app: 1}` and `annotations: {note: true}` were read as the strings
    // "1" and "true"; kubectl refuses them before sending (texts checked against kubectl 1.32).
    let env = TestEnv::new("meta-types");
    for (extra, want) in [
        (
            "  labels: {app: 1}\n",
            "number into Go struct field ObjectMeta.metadata.labels of type string",
        ),
        (
            "  annotations: {note: true}\n",
            "bool into Go struct field ObjectMeta.metadata.annotations of type string",
        ),
        (
            "  annotations: [a]\n",
            "array into Go struct field ObjectMeta.metadata.annotations of type map[string]string",
        ),
        (
            "  namespace: 7\n",
            "number into Go struct field ObjectMeta.metadata.namespace of type string",
        ),
    ] {
        let path = env.write("m.yaml", &manifest("m", extra));
        let out = env.run(&["create", "-f", path.to_str().unwrap()]);
        assert_refused(
            &out,
            &format!(
                "unable to decode {:?}: json: cannot unmarshal {want}",
                path.display().to_string()
            ),
        );
    }
    // A null value is an empty string to Go's decoder, as here.
    let path = env.write("null.yaml", &manifest("m", "  annotations: {note: null}\n"));
    let out = env.run(&["create", "--dry-run=client", "-f", path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_nothing_recorded(&env);
}

#[test]
fn point5_repeated_dash_f_reads_every_file_each_bounded() {
    // Regression: `-f a.yaml -f b.yaml` was clap's "cannot be used multiple times" (kubectl
    // takes several); a file over 3 MiB among them refuses them all, nothing half-created.
    let env = TestEnv::new("multi-f");
    let a = env.write("a.yaml", &manifest("multi-a", ""));
    let b = env.write("b.yaml", &manifest("multi-b", ""));
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
    let out = env.run(&["create", "-f", a, "-f", "/dev/zero"]);
    assert_refused(&out, &format!("Error from server (RequestEntityTooLarge): error when creating \"/dev/zero\": Request entity too large: limit is {LIMIT}"));
    assert_nothing_recorded(&env);
    let out = env.run_ok(&["create", "-f", a, "-f", b]);
    assert_eq!(
        stdout(&out),
        "job.batch/multi-a created\njob.batch/multi-b created\n"
    );
    let out = env.run_ok(&["apply", "-f", a, "-f", b]);
    assert_eq!(
        stdout(&out),
        "job.batch/multi-a unchanged\njob.batch/multi-b unchanged\n"
    );
    let out = env.run_ok(&["delete", "-f", a, "-f", b]);
    assert_eq!(
        stdout(&out),
        "job.batch \"multi-a\" deleted\njob.batch \"multi-b\" deleted\n"
    );
    assert_nothing_recorded(&env);
}

#[test]
fn point5_non_string_keys_are_refused_and_typos_still_found() {
    let env = TestEnv::new("keys");
    // A null key used to switch the unknown-field check off for the whole object.
    let null_key = manifest("k", "").replace(
        "spec:\n  suspend: true\n",
        "spec:\n  ~: 1\n  suspend: true\n  completionz: 3\n",
    );
    let path = env.write("null.yaml", &null_key);
    let out = env.run(&["create", "-f", path.to_str().unwrap()]);
    assert_refused(&out, &format!("{}: error converting YAML to JSON: spec: unsupported map key null (keys must be strings)", path.display()));
    // A numeric key is converted to a string key, as kubectl does, and is an unknown field;
    // the typo beside it is reported too.
    let number_key = manifest("k", "").replace(
        "spec:\n  suspend: true\n",
        "spec:\n  1: x\n  suspend: true\n  completionz: 3\n",
    );
    let path = env.write("number.yaml", &number_key);
    let out = env.run(&["create", "-f", path.to_str().unwrap()]);
    assert_refused(&out, &format!("Error from server (BadRequest): error when creating {:?}: Job in version \"v1\" cannot be handled as a Job: strict decoding error: unknown field \"spec.1\", unknown field \"spec.completionz\"", path.display().to_string()));
    assert_nothing_recorded(&env);
}

#[test]
fn point5_annotations_and_namespace_are_validated() {
    let env = TestEnv::new("meta");
    let big = manifest(
        "a",
        &format!("  annotations:\n    note: {}\n", "x".repeat(256 * 1024)),
    );
    let path = env.write("annotations.yaml", &big);
    let out = env.run(&["create", "-f", path.to_str().unwrap()]);
    // Kubernetes 1.32+ wording of field.TooLong (1.31 and older: "must have at most 262144 bytes").
    assert_refused(&out, "The Job \"a\" is invalid: metadata.annotations: Too long: may not be more than 262144 bytes");
    let label = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
    for ns in ["../../x", "UPPER"] {
        let path = env.write("ns.yaml", &manifest("n", &format!("  namespace: {ns:?}\n")));
        let out = env.run(&["apply", "-f", path.to_str().unwrap()]);
        assert_refused(
            &out,
            &format!(
                "The Job \"n\" is invalid: metadata.namespace: Invalid value: {ns:?}: {label}"
            ),
        );
        // The same through -n, for a manifest without a namespace.
        let path = env.write("plain.yaml", &manifest("n", ""));
        let out = env.run(&["-n", ns, "create", "-f", path.to_str().unwrap()]);
        assert_refused(
            &out,
            &format!(
                "The Job \"n\" is invalid: metadata.namespace: Invalid value: {ns:?}: {label}"
            ),
        );
    }
    assert_nothing_recorded(&env);
}

#[test]
fn point5_selectors_parse_as_the_api_server() {
    let env = TestEnv::new("selector");
    for (selector, kind, resource, error) in [
        ("app:x", "jobs", "batch/v1, Resource=jobs", "unable to parse requirement: <nil>: Invalid value: \"app:x\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"),
        ("!!!", "jobs", "batch/v1, Resource=jobs", "unable to parse requirement: found '!', expected: identifier"),
        ("a=b c", "pods", "/v1, Resource=pods", "found 'c', expected: ',' or 'end of string'"),
    ] {
        let out = env.run(&["get", kind, "-l", selector]);
        assert_refused(&out, &format!("Error from server (BadRequest): Unable to find {resource:?} that match label selector {selector:?}, field selector \"\": {error}"));
    }
    // A valid selector that matches nothing is no error.
    let out = env.run(&["get", "jobs", "-l", "app in (x,y),!tier"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stderr(&out).trim(),
        "No resources found in default namespace."
    );
    assert_nothing_recorded(&env);
}

#[test]
fn point5_delete_takes_a_selector_as_kubectl() {
    // Regression: `delete jobs -l app=x` was clap's "unexpected argument '-l'".
    let env = TestEnv::new("delete-l");
    let a = env.write("a.yaml", &manifest("sel-a", "  labels: {app: x}\n"));
    let b = env.write("b.yaml", &manifest("sel-b", "  labels: {app: y}\n"));
    env.run_ok(&[
        "create",
        "-f",
        a.to_str().unwrap(),
        "-f",
        b.to_str().unwrap(),
    ]);
    let out = env.run(&["delete", "jobs", "-l", "a b"]);
    assert_refused(&out, "Error from server (BadRequest): Unable to find \"batch/v1, Resource=jobs\" that match label selector \"a b\", field selector \"\": unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt");
    let out = env.run(&["delete", "jobs", "sel-a", "-l", "app=x"]);
    assert_refused(&out, "name cannot be provided when a selector is specified");
    let out = env.run_ok(&["delete", "jobs", "-l", "app in (z)"]);
    assert_eq!(stdout(&out), "No resources found\n");
    let out = env.run_ok(&["delete", "jobs", "-l", "app=x"]);
    assert_eq!(stdout(&out), "job.batch \"sel-a\" deleted\n");
    let left = env.run_ok(&["get", "jobs", "-o", "name"]);
    assert_eq!(stdout(&left), "job.batch/sel-b\n");
    let out = env.run_ok(&["delete", "jobs", "-l", "app"]);
    assert_eq!(stdout(&out), "job.batch \"sel-b\" deleted\n");
    assert_nothing_recorded(&env);
}

#[test]
fn point5_dash_n_is_the_namespace_of_manifests_without_one() {
    let env = TestEnv::new("dashn");
    let path = env.write("job.yaml", &manifest("in-team", ""));
    let path = path.to_str().unwrap();
    let out = env.run_ok(&["-n", "team", "create", "-f", path]);
    assert_eq!(stdout(&out).trim(), "job.batch/in-team created");
    let listed = env.run_ok(&["-n", "team", "get", "jobs", "-o", "name"]);
    assert_eq!(stdout(&listed).trim(), "job.batch/in-team");
    let out = env.run_ok(&["-n", "team", "apply", "-f", path]);
    assert_eq!(stdout(&out).trim(), "job.batch/in-team unchanged");
    // A manifest that names another namespace is still kubectl's mismatch.
    let other = env.write("other.yaml", &manifest("elsewhere", "  namespace: prod\n"));
    let out = env.run(&["-n", "team", "apply", "-f", other.to_str().unwrap()]);
    assert_refused(&out, "the namespace from the provided object \"prod\" does not match the namespace \"team\". You must pass '--namespace=prod' to perform this operation.");
    env.run_ok(&["-n", "team", "delete", "job", "in-team"]);
}

#[test]
fn point8_missing_validation_texts() {
    let env = TestEnv::new("validation");
    let job = |spec: &str| {
        format!("apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: v\nspec:\n{spec}  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: c\n        image: busybox:1.36\n")
    };
    let patterns: String = (0..21)
        .map(|i| format!("      - {{type: T{i}, status: \"True\"}}\n"))
        .collect();
    let rules: String = (0..21)
        .map(|_| "    - succeededCount: 1\n".to_string())
        .collect();
    for (spec, want) in [
        (format!("  podFailurePolicy:\n    rules:\n    - action: Ignore\n      onPodConditions:\n{patterns}"), "The Job \"v\" is invalid: spec.podFailurePolicy.rules[0].onPodConditions: Too many: 21: must have at most 20 items".to_string()),
        ("  podFailurePolicy:\n    rules:\n    - action: Ignore\n      onPodConditions: [{type: DisruptionTarget, status: Maybe}]\n".to_string(), "The Job \"v\" is invalid: spec.podFailurePolicy.rules[0].onPodConditions[0].status: Unsupported value: \"Maybe\": supported values: \"False\", \"True\", \"Unknown\"".to_string()),
        ("  podFailurePolicy:\n    rules:\n    - action: Ignore\n      onPodConditions: [{type: 'Bad Type', status: 'True'}]\n".to_string(), "The Job \"v\" is invalid: spec.podFailurePolicy.rules[0].onPodConditions[0].type: Invalid value: \"Bad Type\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')".to_string()),
        (format!("  completions: 5\n  completionMode: Indexed\n  successPolicy:\n    rules:\n{rules}"), "The Job \"v\" is invalid: spec.successPolicy.rules: Too many: 21: must have at most 20 items".to_string()),
        ("  successPolicy:\n    rules: []\n".to_string(), "The Job \"v\" is invalid: spec.successPolicy: Invalid value: batch.SuccessPolicy{Rules:[]batch.SuccessPolicyRule{}}: requires indexed completion mode".to_string()),
    ] {
        let path = env.write("v.yaml", &job(&spec));
        let out = env.run(&["create", "-f", path.to_str().unwrap()]);
        assert_refused(&out, &want);
    }
    // A missing status is defaulted to True by the API server (SetDefaults_Job), as here.
    let path = env.write("ok.yaml", &job("  podFailurePolicy:\n    rules:\n    - action: Ignore\n      onPodConditions: [{type: DisruptionTarget}]\n  suspend: true\n"));
    let out = env
        .dockjob()
        .env("DOCKJOB_STATE_DIR", env.dir.path().join("other-state"))
        .args(["run", "-f", path.to_str().unwrap()])
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_nothing_recorded(&env);
}
