//! Issue 18: `get`, `describe` and `delete` of ConfigMaps and Secrets as kubectl shows them;
//! `-o yaml` byte for byte against kubectl itself (`common::kubectl`), Secret data base64.
//! Objects alone need no engine: `apply` stores them without asking one.

mod common;

use common::kubectl::{kubectl_yaml, ORACLE_ANNOTATION};
use common::{assert_ok, TestEnv};

const OBJECTS: &str = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  annotations: {dockjob.test/oracle: '1'}\n  labels: {app: demo}\ntype: kubernetes.io/basic-auth\nstringData: {username: admin, password: 'p@ss: word'}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  annotations: {dockjob.test/oracle: '1'}\ndata:\n  level: debug\n  app.conf: |\n    a = 1\n    b: \"two\"\nbinaryData: {blob: AAEC}\nimmutable: true\n";

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn yaml_and_json_are_kubectls() {
    let env = TestEnv::new("cs-views");
    let path = env.write("objects.yaml", OBJECTS);
    let applied = env.run_ok(&["apply", "-f", path.to_str().expect("utf-8")]);
    assert_eq!(
        stdout(&applied),
        "secret/db created\nconfigmap/settings created\n"
    );
    for (kind, name) in [("secret", "db"), ("configmap", "settings")] {
        let json = env.run_ok(&["get", kind, name, "-o", "json"]);
        let value: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
        assert!(value["metadata"]["annotations"][ORACLE_ANNOTATION].is_string());
        let yaml = env.run_ok(&["get", kind, name, "-o", "yaml"]);
        assert_eq!(stdout(&yaml), kubectl_yaml(&[value])[0], "{kind}");
    }
    let json = env.run_ok(&["get", "secret", "db", "-o", "json"]);
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
    // The API server's form: data base64, stringData merged and gone, the type kept.
    assert_eq!(value["data"]["password"], "cEBzczogd29yZA==");
    assert_eq!(value["data"]["username"], "YWRtaW4=");
    assert!(value.get("stringData").is_none());
    assert_eq!(value["type"], "kubernetes.io/basic-auth");
    // A second apply of the same file changes nothing.
    let again = env.run_ok(&["apply", "-f", path.to_str().expect("utf-8")]);
    assert_eq!(
        stdout(&again),
        "secret/db unchanged\nconfigmap/settings unchanged\n"
    );
}

#[test]
fn tables_describe_and_delete() {
    let env = TestEnv::new("cs-tables");
    let path = env.write("objects.yaml", OBJECTS);
    env.run_ok(&["apply", "-f", path.to_str().expect("utf-8")]);
    let secrets = stdout(&env.run_ok(&["get", "secrets"]));
    let mut lines = secrets.lines();
    assert_eq!(
        lines.next(),
        Some("NAME   TYPE                       DATA   AGE")
    );
    assert!(
        lines
            .next()
            .is_some_and(|l| l.starts_with("db     kubernetes.io/basic-auth   2      ")),
        "{secrets}"
    );
    let maps = stdout(&env.run_ok(&["get", "cm"]));
    assert!(
        maps.starts_with("NAME       DATA   AGE\nsettings   3      "),
        "{maps}"
    );
    let described = stdout(&env.run_ok(&["describe", "secret", "db"]));
    assert!(
        described.ends_with("Type:  kubernetes.io/basic-auth\n\nData\n====\npassword:  10 bytes\nusername:  5 bytes\n"),
        "{described}"
    );
    assert!(!described.contains("p@ss"), "{described}");
    let described = stdout(&env.run_ok(&["describe", "configmap", "settings"]));
    assert!(
        described.contains("Data\n====\napp.conf:\n----\na = 1\nb: \"two\"\n\n\nlevel:\n----\ndebug\n\n\nBinaryData\n====\nblob: 3 bytes\n\nEvents:  <none>\n"),
        "{described}"
    );
    // immutable: a change of its data is the API server's Forbidden.
    let changed = env.write(
        "changed.yaml",
        &OBJECTS.replace("level: debug", "level: info"),
    );
    let refused = env.run(&["apply", "-f", changed.to_str().expect("utf-8")]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&refused.stderr)
            .contains("The ConfigMap \"settings\" is invalid: data: Forbidden: field is immutable when `immutable` is set"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    // create -f of an existing object is kubectl's AlreadyExists.
    let again = env.run(&["create", "-f", path.to_str().expect("utf-8")]);
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("secrets \"db\" already exists"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let deleted = env.run(&["delete", "secret", "db"]);
    assert_ok("delete", &deleted);
    assert_eq!(stdout(&deleted), "secret \"db\" deleted\n");
    let gone = env.run(&["get", "secret", "db"]);
    assert_eq!(
        String::from_utf8_lossy(&gone.stderr),
        "Error from server (NotFound): secrets \"db\" not found\n"
    );
    let deleted = env.run_ok(&[
        "delete",
        "-f",
        path.to_str().expect("utf-8"),
        "--ignore-not-found",
    ]);
    assert_eq!(stdout(&deleted), "configmap \"settings\" deleted\n");
}

/// Dry runs of ConfigMaps and Secrets: a client dry run says `created (dry run)`; a server
/// dry run compares with the store as `apply` would (unchanged, configured) and as `create`
/// would (AlreadyExists). Bug: every dry run said `created`, even of a stored object.
#[test]
fn dry_runs_compare_with_the_store() {
    let env = TestEnv::new("cs-dry-run");
    let path = env.write("objects.yaml", OBJECTS);
    let file = path.to_str().expect("utf-8");
    env.run_ok(&["apply", "-f", file]);
    let unchanged = env.run_ok(&["apply", "-f", file, "--dry-run=server"]);
    assert_eq!(
        stdout(&unchanged),
        "secret/db unchanged (server dry run)\nconfigmap/settings unchanged (server dry run)\n"
    );
    let changed = env.write(
        "changed.yaml",
        &OBJECTS.replace("level: debug", "level: info"),
    );
    let changed = env.run_ok(&[
        "apply",
        "-f",
        changed.to_str().expect("utf-8"),
        "--dry-run=server",
    ]);
    assert_eq!(
        stdout(&changed),
        "secret/db unchanged (server dry run)\nconfigmap/settings configured (server dry run)\n"
    );
    let create = env.run(&["create", "-f", file, "--dry-run=server"]);
    assert_eq!(create.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&create.stderr),
        format!(
            "Error from server (AlreadyExists): error when creating \"{file}\": secrets \"db\" already exists\n\
             Error from server (AlreadyExists): error when creating \"{file}\": configmaps \"settings\" already exists\n"
        )
    );
    let client = env.run_ok(&["create", "-f", file, "--dry-run=client"]);
    assert_eq!(
        stdout(&client),
        "secret/db created (dry run)\nconfigmap/settings created (dry run)\n"
    );
    // Nothing changed in the store.
    let level = env.run_ok(&["get", "cm", "settings", "-o", "jsonpath={.data.level}"]);
    assert_eq!(stdout(&level), "debug");
}
