//! kubectl's views of ConfigMaps and Secrets: `get` tables (`printConfigMap`: `NAME DATA AGE`,
//! `printSecret`: `NAME TYPE DATA AGE`), `describe` (`describeConfigMap`, `describeSecret`:
//! sizes, never a Secret's values) and the `-o name` resource names. Pure.

use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use k8s_openapi::jiff::Timestamp;

use super::describe::{annotations_multiline, header, labels_multiline, Writer};
use super::duration::age;
use super::output::Named;
use super::tables::TableOptions;
use super::tabwriter::{align, TABLE};

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

fn table(headers: &[&str], rows: Vec<(String, Vec<String>)>, opts: TableOptions) -> String {
    let mut text = String::new();
    if !opts.no_headers {
        if opts.all_namespaces {
            text.push_str("NAMESPACE\t");
        }
        text.push_str(&headers.join("\t"));
        text.push('\n');
    }
    for (namespace, row) in rows {
        if opts.all_namespaces {
            text.push_str(&namespace);
            text.push('\t');
        }
        text.push_str(&row.join("\t"));
        text.push('\n');
    }
    align(&text, TABLE)
}

fn namespace(meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta) -> String {
    meta.namespace
        .clone()
        .unwrap_or_else(|| "default".to_string())
}

/// `kubectl get configmaps`.
pub fn config_maps_table(items: &[ConfigMap], now: Timestamp, opts: TableOptions) -> String {
    let rows = items
        .iter()
        .map(|c| {
            let data = c.data.as_ref().map_or(0, |d| d.len())
                + c.binary_data.as_ref().map_or(0, |d| d.len());
            (
                namespace(&c.metadata),
                vec![
                    c.name(),
                    data.to_string(),
                    age(c.metadata.creation_timestamp.as_ref(), now),
                ],
            )
        })
        .collect();
    table(&["NAME", "DATA", "AGE"], rows, opts)
}

/// `kubectl get secrets`.
pub fn secrets_table(items: &[Secret], now: Timestamp, opts: TableOptions) -> String {
    let rows = items
        .iter()
        .map(|s| {
            (
                namespace(&s.metadata),
                vec![
                    s.name(),
                    s.type_.clone().unwrap_or_default(),
                    s.data.as_ref().map_or(0, |d| d.len()).to_string(),
                    age(s.metadata.creation_timestamp.as_ref(), now),
                ],
            )
        })
        .collect();
    table(&["NAME", "TYPE", "DATA", "AGE"], rows, opts)
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
