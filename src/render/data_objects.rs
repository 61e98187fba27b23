//! kubectl's views of ConfigMaps and Secrets: `get` tables (`printConfigMap`: `NAME DATA AGE`,
//! `printSecret`: `NAME TYPE DATA AGE`), `describe` (`describeConfigMap`, `describeSecret`:
//! sizes, never a Secret's values) and the `-o name` resource names. Pure.

use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use k8s_openapi::jiff::Timestamp;

use super::describe::{annotations_multiline, header, labels_multiline, Writer};
use super::duration::age;
use super::output::Named;
use super::tables::{name_cell, namespace_of, Table, TableOptions};

impl Named for ConfigMap {
    fn resource() -> &'static str {
        "configmap"
    }
    fn name(&self) -> String {
        self.metadata.name.clone().unwrap_or_default()
    }
}

impl Named for Secret {
    fn resource() -> &'static str {
        "secret"
    }
    fn name(&self) -> String {
        self.metadata.name.clone().unwrap_or_default()
    }
}

/// `kubectl get configmaps`.
pub fn config_maps_table(items: &[ConfigMap], now: Timestamp, opts: TableOptions) -> String {
    let rows = items
        .iter()
        .map(|c| {
            let data = c.data.as_ref().map_or(0, |d| d.len())
                + c.binary_data.as_ref().map_or(0, |d| d.len());
            vec![
                name_cell("configmap", c.metadata.name.as_ref(), opts),
                data.to_string(),
                age(c.metadata.creation_timestamp.as_ref(), now),
            ]
        })
        .collect();
    let namespaces: Vec<String> = items.iter().map(|c| namespace_of(&c.metadata)).collect();
    let headers = vec!["NAME", "DATA", "AGE"];
    Table { headers, rows }.render(opts, &namespaces)
}

/// `kubectl get secrets`.
pub fn secrets_table(items: &[Secret], now: Timestamp, opts: TableOptions) -> String {
    let rows = items
        .iter()
        .map(|s| {
            vec![
                name_cell("secret", s.metadata.name.as_ref(), opts),
                s.type_.clone().unwrap_or_default(),
                s.data.as_ref().map_or(0, |d| d.len()).to_string(),
                age(s.metadata.creation_timestamp.as_ref(), now),
            ]
        })
        .collect();
    let namespaces: Vec<String> = items.iter().map(|s| namespace_of(&s.metadata)).collect();
    let headers = vec!["NAME", "TYPE", "DATA", "AGE"];
    Table { headers, rows }.render(opts, &namespaces)
}

/// `kubectl describe secret`: each key's size (a service account token's value, as kubectl,
/// is the one exception).
pub fn describe_secret(secret: &Secret) -> String {
    let mut w = Writer::default();
    header(&mut w, &secret.metadata);
    labels_multiline(&mut w, "", "Labels", secret.metadata.labels.as_ref());
    annotations_multiline(&mut w, "Annotations", secret.metadata.annotations.as_ref());
    let type_ = secret.type_.clone().unwrap_or_default();
    w.write(0, &format!("\nType:\t{type_}\n"));
    w.write(0, "\nData\n====\n");
    for (key, value) in secret.data.iter().flatten() {
        if key == "token" && type_ == "kubernetes.io/service-account-token" {
            w.write(
                0,
                &format!("{key}:\t{}\n", String::from_utf8_lossy(&value.0)),
            );
        } else {
            w.write(0, &format!("{key}:\t{} bytes\n", value.0.len()));
        }
    }
    w.finish()
}

/// `kubectl describe configmap`: its data in full (ConfigMaps are not secret), binary data
/// by size, and its events (dockjob records none).
pub fn describe_config_map(cm: &ConfigMap) -> String {
    let mut w = Writer::default();
    header(&mut w, &cm.metadata);
    labels_multiline(&mut w, "", "Labels", cm.metadata.labels.as_ref());
    annotations_multiline(&mut w, "Annotations", cm.metadata.annotations.as_ref());
    w.write(0, "\nData\n====\n");
    for (key, value) in cm.data.iter().flatten() {
        w.write(0, &format!("{key}:\n----\n"));
        w.write(0, &format!("{value}\n"));
        w.write(0, "\n");
    }
    w.write(0, "\nBinaryData\n====\n");
    for (key, value) in cm.binary_data.iter().flatten() {
        w.write(0, &format!("{key}: {} bytes\n", value.0.len()));
    }
    w.write(0, "\n");
    w.write(0, "Events:\t<none>\n");
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::ByteString;

    /// `get secrets,cm` printed bare names: the data tables ignored `with_kind`.
    #[test]
    fn tables_name_their_kind_when_several_kinds_are_listed() {
        let meta = |name: &str| k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
            name: Some(name.into()),
            namespace: Some("default".into()),
            ..Default::default()
        };
        let now = Timestamp::UNIX_EPOCH;
        let opts = TableOptions {
            with_kind: true,
            ..Default::default()
        };
        let secret = Secret {
            metadata: meta("db"),
            type_: Some("Opaque".into()),
            ..Default::default()
        };
        let map = ConfigMap {
            metadata: meta("cfg"),
            ..Default::default()
        };
        let secrets = secrets_table(&[secret], now, opts);
        assert!(
            secrets.lines().nth(1).unwrap().starts_with("secret/db "),
            "{secrets}"
        );
        let maps = config_maps_table(&[map], now, opts);
        assert!(
            maps.lines().nth(1).unwrap().starts_with("configmap/cfg "),
            "{maps}"
        );
    }

    #[test]
    fn describe_secret_shows_sizes_never_values() {
        let secret = Secret {
            metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
                name: Some("db".into()),
                namespace: Some("default".into()),
                ..Default::default()
            },
            type_: Some("Opaque".into()),
            data: Some(
                [
                    ("password".to_string(), ByteString(b"s3cret".to_vec())),
                    ("user".to_string(), ByteString(b"admin".to_vec())),
                ]
                .into(),
            ),
            ..Default::default()
        };
        let text = describe_secret(&secret);
        assert_eq!(
            text,
            "Name:         db\nNamespace:    default\nLabels:       <none>\nAnnotations:  <none>\n\nType:  Opaque\n\nData\n====\npassword:  6 bytes\nuser:      5 bytes\n"
        );
        assert!(!text.contains("s3cret"));
    }

    #[test]
    fn tables_have_kubectls_columns() {
        let now = Timestamp::from_second(1_700_000_100).unwrap();
        let created = k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(
            Timestamp::from_second(1_700_000_000).unwrap(),
        );
        let mut secret = Secret::default();
        secret.metadata.name = Some("db".into());
        secret.metadata.creation_timestamp = Some(created.clone());
        secret.type_ = Some("Opaque".into());
        secret.data = Some([("a".to_string(), ByteString(vec![1]))].into());
        assert_eq!(
            secrets_table(&[secret], now, TableOptions::default()),
            "NAME   TYPE     DATA   AGE\ndb     Opaque   1      100s\n"
        );
        let mut cm = ConfigMap::default();
        cm.metadata.name = Some("settings".into());
        cm.metadata.creation_timestamp = Some(created);
        assert_eq!(
            config_maps_table(&[cm], now, TableOptions::default()),
            "NAME       DATA   AGE\nsettings   0      100s\n"
        );
    }
}
