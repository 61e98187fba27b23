//! Decoding and validation of ConfigMaps and Secrets against the API server's texts.

use super::*;
use crate::job::load::{load_manifests_in, split};
use rand::SeedableRng;

fn load(yaml: &str) -> Result<Vec<DataObject>, String> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    load_manifests_in(yaml, "s.yaml", None, &mut rng)
        .map(|m| split(m).1)
        .map_err(|e| e.to_string())
}

#[test]
fn string_data_is_merged_into_data_and_the_type_defaults_to_opaque() {
    let objects = load(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: db}\ndata: {user: YWRtaW4=, password: b2xk}\nstringData: {password: new}\n",
    )
    .unwrap();
    let DataObject::Secret(secret) = &objects[0] else {
        panic!("a Secret");
    };
    let data = secret.data.as_ref().unwrap();
    assert_eq!(data["user"].0, b"admin");
    assert_eq!(data["password"].0, b"new", "stringData wins");
    assert_eq!(secret.string_data, None);
    assert_eq!(secret.type_.as_deref(), Some("Opaque"));
    assert_eq!(secret.metadata.namespace.as_deref(), Some("default"));
}

#[test]
fn data_that_is_not_base64_is_the_api_servers_decode_error() {
    let err = load(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: db}\ndata: {password: 'not base64!'}\n",
    )
    .unwrap_err();
    assert_eq!(
        err,
        "Error from server (BadRequest): error when creating \"s.yaml\": Secret in version \"v1\" cannot be handled as a Secret: illegal base64 data at input byte 3"
    );
}

#[test]
fn key_names_follow_is_config_map_key() {
    let err = load(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata: {'a b': x, '..x': y}\n",
    )
    .unwrap_err();
    assert_eq!(
        err,
        "The ConfigMap \"cfg\" is invalid: \n\
         * data[..x]: Invalid value: \"..x\": must not start with '..'\n\
         * data[a b]: Invalid value: \"a b\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"
    );
    assert!(config_map_key_errors_ok("key.name_-1"));
}

fn config_map_key_errors_ok(key: &str) -> bool {
    validate::config_map_key_errors(key).is_empty()
}

#[test]
fn more_than_one_mib_is_too_long() {
    let big = "x".repeat(validate::MAX_SECRET_SIZE + 1);
    let err = load(&format!(
        "apiVersion: v1\nkind: Secret\nmetadata: {{name: big}}\nstringData: {{k: {big}}}\n"
    ))
    .unwrap_err();
    assert_eq!(
        err,
        "The Secret \"big\" is invalid: data: Too long: may not be more than 1048576 bytes"
    );
    let at_limit = "x".repeat(validate::MAX_SECRET_SIZE);
    load(&format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: big}}\ndata: {{k: {at_limit}}}\n"
    ))
    .unwrap();
}

#[test]
fn typed_secrets_need_their_keys() {
    let err = load("apiVersion: v1\nkind: Secret\nmetadata: {name: reg}\ntype: kubernetes.io/dockerconfigjson\nstringData: {x: y}\n").unwrap_err();
    assert_eq!(
        err,
        "The Secret \"reg\" is invalid: data[.dockerconfigjson]: Required value"
    );
    let err = load("apiVersion: v1\nkind: Secret\nmetadata: {name: reg}\ntype: kubernetes.io/dockerconfigjson\nstringData: {.dockerconfigjson: '[1]'}\n").unwrap_err();
    assert!(
        err.starts_with("The Secret \"reg\" is invalid: data[.dockerconfigjson]: Invalid value: \"<secret contents redacted>\": "),
        "{err}"
    );
    assert!(!err.contains("[1]"), "the value stays out of the message");
    let err =
        load("apiVersion: v1\nkind: Secret\nmetadata: {name: b}\ntype: kubernetes.io/basic-auth\n")
            .unwrap_err();
    assert_eq!(
        err,
        "The Secret \"b\" is invalid: \n* data[%s][username]: Required value\n* data[%s][password]: Required value"
    );
    let err = load("apiVersion: v1\nkind: Secret\nmetadata: {name: t}\ntype: kubernetes.io/tls\nstringData: {tls.crt: c}\n")
        .unwrap_err();
    assert_eq!(
        err,
        "The Secret \"t\" is invalid: data[tls.key]: Required value"
    );
    load("apiVersion: v1\nkind: Secret\nmetadata: {name: b}\ntype: kubernetes.io/basic-auth\nstringData: {username: u}\n").unwrap();
}

#[test]
fn names_unknown_fields_and_namespaces_are_checked() {
    let err = load("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: Bad_Name}\n").unwrap_err();
    assert!(err.starts_with("The ConfigMap \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain"), "{err}");
    let err =
        load("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndatta: {a: b}\n").unwrap_err();
    assert!(err.contains("unknown field \"datta\""), "{err}");
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let err = load_manifests_in(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: a}\n",
        "s.yaml",
        Some("b"),
        &mut rng,
    )
    .unwrap_err();
    assert!(matches!(err, JobInputError::NamespaceMismatch { .. }));
}

#[test]
fn updates_of_immutable_objects_and_secret_types_are_refused() {
    let old = &load(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\nimmutable: true\ndata: {a: b}\n",
    )
    .unwrap()[0];
    let new =
        &load("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: c}\n").unwrap()[0];
    let errs: Vec<String> = validate::validate_update(old, new)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        errs,
        [
            "immutable: Forbidden: field is immutable when `immutable` is set",
            "data: Forbidden: field is immutable when `immutable` is set"
        ]
    );
    let old = &load("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n").unwrap()[0];
    let new = &load("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ntype: kubernetes.io/basic-auth\nstringData: {username: u}\n").unwrap()[0];
    let errs: Vec<String> = validate::validate_update(old, new)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        errs,
        ["type: Invalid value: \"kubernetes.io/basic-auth\": field is immutable"]
    );
}

#[test]
fn jobs_and_objects_load_together_in_any_order() {
    let yaml = "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n---\napiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers: [{name: c, image: busybox}]\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n";
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let (jobs, objects) = split(load_manifests_in(yaml, "a.yaml", None, &mut rng).unwrap());
    assert_eq!(jobs.len(), 1);
    let kinds: Vec<ObjectKind> = objects.iter().map(DataObject::kind).collect();
    assert_eq!(kinds, [ObjectKind::Secret, ObjectKind::ConfigMap]);
}

#[test]
fn the_jobs_only_loader_names_the_document_of_an_object() {
    let yaml = "apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers: [{name: c, image: busybox}]\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: s}\n";
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let err = crate::job::load::load_jobs_in(yaml, "a.yaml", None, &mut rng).unwrap_err();
    assert_eq!(
        err.to_string(),
        "a.yaml: document 2 is apiVersion \"v1\", kind \"Secret\": dockjob runs only apiVersion \"batch/v1\", kind \"Job\" (and reads apiVersion \"v1\" kinds \"ConfigMap\" and \"Secret\")"
    );
}

#[test]
fn octal_modes_are_read_as_kubectl_reads_them() {
    let yaml = "apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers: [{name: c, image: busybox}]\n      volumes:\n      - name: s\n        secret:\n          secretName: s\n          defaultMode: 0400\n          items: [{key: k, path: p, mode: 0o440}]\n";
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let (jobs, _) = split(load_manifests_in(yaml, "a.yaml", None, &mut rng).unwrap());
    let spec = jobs[0]
        .job
        .spec
        .as_ref()
        .unwrap()
        .template
        .spec
        .as_ref()
        .unwrap();
    let secret = spec.volumes.as_ref().unwrap()[0].secret.as_ref().unwrap();
    assert_eq!(secret.default_mode, Some(0o400));
    assert_eq!(secret.items.as_ref().unwrap()[0].mode, Some(0o440));
}

#[test]
fn volume_items_stay_inside_their_volume_and_modes_are_bounded() {
    let yaml = "apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: c\n        image: busybox\n        volumeMounts: [{name: s, mountPath: /s, subPath: ../x}]\n      volumes:\n      - name: s\n        secret:\n          secretName: s\n          defaultMode: 1024\n          items: [{key: k, path: ../../etc/passwd}, {key: k, path: /abs}, {key: k, path: ..x}]\n";
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let err = load_manifests_in(yaml, "a.yaml", None, &mut rng)
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "The Job \"j\" is invalid: \n\
         * spec.template.spec.volumes[0].secret.defaultMode: Invalid value: 1024: must be a number between 0 and 0777 (octal), both inclusive\n\
         * spec.template.spec.volumes[0].secret.items[0].path: Invalid value: \"../../etc/passwd\": must not contain '..'\n\
         * spec.template.spec.volumes[0].secret.items[1].path: Invalid value: \"/abs\": must be a relative path\n\
         * spec.template.spec.volumes[0].secret.items[2].path: Invalid value: \"..x\": must not start with '..'\n\
         * spec.template.spec.containers[0].volumeMounts[0].subPath: Invalid value: \"../x\": must not contain '..'"
    );
}
