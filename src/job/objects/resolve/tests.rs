//! The kubelet's consumption of ConfigMaps and Secrets (env and volume files), with its
//! messages.

use std::collections::HashMap;

use k8s_openapi::api::core::v1::{Container, Volume};

use super::*;
use crate::job::objects::volumes::{atomic_layout, volume_payload, FileProjection};

struct Objects(HashMap<(ObjectKind, String), DataObject>);

impl ObjectLookup for Objects {
    fn get(&self, kind: ObjectKind, ns: &str, name: &str) -> Result<Option<DataObject>, String> {
        assert_eq!(ns, "default");
        Ok(self.0.get(&(kind, name.to_string())).cloned())
    }
}

fn objects() -> Objects {
    let yaml = "apiVersion: v1\nkind: Secret\nmetadata: {name: db}\nstringData: {user: admin, password: s3cret, 1bad: x}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {level: debug, app.conf: 'a=1'}\n";
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(1);
    let manifests = crate::job::load::load_manifests_in(yaml, "o.yaml", None, &mut rng).unwrap();
    let (_, list) = crate::job::load::split(manifests);
    Objects(
        list.into_iter()
            .map(|o| ((o.kind(), o.name().to_string()), o))
            .collect(),
    )
}

fn container(yaml: &str) -> Container {
    serde_yaml_ng::from_str(yaml).unwrap()
}

#[test]
fn env_from_with_prefix_skips_invalid_names_with_the_kubelets_event() {
    let c = container("name: c\nenvFrom:\n- secretRef: {name: db}\n- configMapRef: {name: settings}\n  prefix: CFG_\n");
    let env = env_sources(&c, "default", &objects()).unwrap();
    assert_eq!(
        env.from,
        [
            ("password".to_string(), "s3cret".to_string()),
            ("user".to_string(), "admin".to_string()),
            ("CFG_app.conf".to_string(), "a=1".to_string()),
            ("CFG_level".to_string(), "debug".to_string()),
        ]
    );
    assert_eq!(
        env.invalid_names,
        ["Keys [1bad] from the EnvFrom secret default/db were skipped since they are considered invalid environment variable names."]
    );
    assert_eq!(env.secret_names, ["password", "user"]);
}

#[test]
fn missing_objects_and_keys_are_the_kubelets_messages_and_optional_ones_are_skipped() {
    let o = objects();
    let missing = container(
        "name: c\nenv:\n- name: P\n  valueFrom: {secretKeyRef: {name: nope, key: password}}\n",
    );
    assert_eq!(
        env_sources(&missing, "default", &o).unwrap_err(),
        "secret \"nope\" not found"
    );
    let key =
        container("name: c\nenv:\n- name: P\n  valueFrom: {secretKeyRef: {name: db, key: pass}}\n");
    assert_eq!(
        env_sources(&key, "default", &o).unwrap_err(),
        "couldn't find key pass in Secret default/db"
    );
    let cm_key = container(
        "name: c\nenv:\n- name: P\n  valueFrom: {configMapKeyRef: {name: settings, key: nope}}\n",
    );
    assert_eq!(
        env_sources(&cm_key, "default", &o).unwrap_err(),
        "couldn't find key nope in ConfigMap default/settings"
    );
    let optional = container("name: c\nenv:\n- name: A\n  valueFrom: {secretKeyRef: {name: nope, key: k, optional: true}}\n- name: B\n  valueFrom: {configMapKeyRef: {name: settings, key: nope, optional: true}}\n- name: C\n  valueFrom: {configMapKeyRef: {name: settings, key: level}}\nenvFrom:\n- configMapRef: {name: nope, optional: true}\n");
    let env = env_sources(&optional, "default", &o).unwrap();
    assert_eq!(env.values, BTreeMap::from([(2, "debug".to_string())]));
    assert!(env.from.is_empty());
    assert!(env.secret_names.is_empty());
}

fn volume(yaml: &str) -> Volume {
    let mut v: Volume = serde_yaml_ng::from_str(yaml).unwrap();
    if let Some(s) = v.secret.as_mut() {
        s.default_mode.get_or_insert(0o644);
    }
    v
}

fn fields(path: &str) -> String {
    match path {
        "metadata.name" => "pod-1".to_string(),
        _ => String::new(),
    }
}

#[test]
fn volumes_with_items_and_modes() {
    let o = objects();
    let v = volume("name: cfg\nsecret:\n  secretName: db\n  defaultMode: 256\n  items: [{key: password, path: pw/file, mode: 288}, {key: user, path: user}]\n");
    let files = volume_payload(&v, "default", &fields, &o).unwrap().unwrap();
    let shown: Vec<(String, u32, Vec<u8>)> = files
        .iter()
        .map(|f| (f.path.clone(), f.mode, f.data.clone()))
        .collect();
    assert_eq!(
        shown,
        [
            ("pw/file".to_string(), 0o440, b"s3cret".to_vec()),
            ("user".to_string(), 0o400, b"admin".to_vec())
        ]
    );
    let bad = volume("name: cfg\nsecret:\n  secretName: db\n  items: [{key: nope, path: x}]\n");
    assert_eq!(
        volume_payload(&bad, "default", &fields, &o)
            .unwrap()
            .unwrap_err(),
        "MountVolume.SetUp failed for volume \"cfg\" : references non-existent secret key: nope"
    );
    let gone = volume("name: cfg\nconfigMap: {name: nope}\n");
    assert_eq!(
        volume_payload(&gone, "default", &fields, &o)
            .unwrap()
            .unwrap_err(),
        "MountVolume.SetUp failed for volume \"cfg\" : configmap \"nope\" not found"
    );
    let optional = volume("name: cfg\nconfigMap: {name: nope, optional: true}\n");
    assert_eq!(
        volume_payload(&optional, "default", &fields, &o)
            .unwrap()
            .unwrap(),
        []
    );
    let empty_dir = volume("name: scratch\nemptyDir: {}\n");
    assert!(volume_payload(&empty_dir, "default", &fields, &o).is_none());
}

#[test]
fn projected_volumes_merge_their_sources() {
    let o = objects();
    let v = volume("name: all\nprojected:\n  defaultMode: 292\n  sources:\n  - secret: {name: db, items: [{key: user, path: u}]}\n  - configMap: {name: settings}\n  - downwardAPI: {items: [{path: name, fieldRef: {fieldPath: metadata.name}}]}\n");
    let files = volume_payload(&v, "default", &fields, &o).unwrap().unwrap();
    let paths: Vec<(&str, u32)> = files.iter().map(|f| (f.path.as_str(), f.mode)).collect();
    assert_eq!(
        paths,
        [
            ("u", 0o444),
            ("app.conf", 0o444),
            ("level", 0o444),
            ("name", 0o444)
        ]
    );
    assert_eq!(files[3].data, b"pod-1");
    let both_missing = volume(
        "name: all\nprojected:\n  sources:\n  - secret: {name: a}\n  - configMap: {name: b}\n",
    );
    assert_eq!(
        volume_payload(&both_missing, "default", &fields, &o).unwrap().unwrap_err(),
        "MountVolume.SetUp failed for volume \"all\" : [secret \"a\" not found, configmap \"b\" not found]"
    );
}

#[test]
fn the_atomic_writer_layout_links_top_level_names_through_data() {
    let files = [
        FileProjection {
            path: "b/c".into(),
            mode: 0o400,
            data: b"1".to_vec(),
        },
        FileProjection {
            path: "a".into(),
            mode: 0o644,
            data: b"2".to_vec(),
        },
    ];
    let shown: Vec<String> = atomic_layout(&files, "stamp")
        .iter()
        .map(|e| format!("{e:?}"))
        .collect();
    assert_eq!(
        shown,
        [
            "Dir(\"..stamp\", 755)",
            "FileProjection(\"..stamp/a\", 644, 1 bytes)",
            "Dir(\"..stamp/b\", 755)",
            "FileProjection(\"..stamp/b/c\", 400, 1 bytes)",
            "Symlink(\"..data\" -> \"..stamp\")",
            "Symlink(\"a\" -> \"..data/a\")",
            "Symlink(\"b\" -> \"..data/b\")",
        ]
    );
}

#[test]
fn env_var_names() {
    assert!(is_env_var_name("A_b.c-1"));
    assert!(is_env_var_name("-x"));
    assert!(!is_env_var_name("1bad"));
    assert!(!is_env_var_name("a b"));
    assert!(!is_env_var_name(""));
}
