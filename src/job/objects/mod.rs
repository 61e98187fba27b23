//! `v1` ConfigMaps and Secrets: the objects a Job's pods read their environment and files
//! from. Decoding as the API server's (`data` base64, `stringData` merged into `data`,
//! `type` defaulted to `Opaque`), its validation ([`validate`]), and how the kubelet hands
//! them to a container ([`resolve`]). Pure: no I/O (they are stored by [`crate::store`]).
//!
//! Sources: kubernetes `pkg/apis/core/v1/conversion.go` (`Convert_v1_Secret_To_core_Secret`:
//! stringData overwrites data), `pkg/apis/core/v1/defaults.go` (`SetDefaults_Secret`).

pub mod create;
pub mod pull_secrets;
pub mod resolve;
pub mod validate;
pub mod volumes;

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::ByteString;
use serde_json::Value;

use super::field::JobInputError;

/// The two kinds of data objects, with the names kubectl accepts for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ObjectKind {
    /// `v1` ConfigMap.
    ConfigMap,
    /// `v1` Secret.
    Secret,
}

impl ObjectKind {
    /// `ConfigMap` / `Secret`.
    pub fn kind(self) -> &'static str {
        match self {
            ObjectKind::ConfigMap => "ConfigMap",
            ObjectKind::Secret => "Secret",
        }
    }

    /// kubectl's resource name (`configmap/NAME created`, `configmaps "x" not found`).
    pub fn resource(self) -> &'static str {
        match self {
            ObjectKind::ConfigMap => "configmap",
            ObjectKind::Secret => "secret",
        }
    }

    /// The plural resource (`configmaps`, `secrets`), as errors from the server name it.
    pub fn plural(self) -> &'static str {
        match self {
            ObjectKind::ConfigMap => "configmaps",
            ObjectKind::Secret => "secrets",
        }
    }

    /// The kind a `get`/`describe`/`delete` argument names (kubectl's short names too).
    pub fn from_resource(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "configmaps" | "configmap" | "cm" => Some(ObjectKind::ConfigMap),
            "secrets" | "secret" => Some(ObjectKind::Secret),
            _ => None,
        }
    }

    /// The name the store keeps it under.
    pub fn as_str(self) -> &'static str {
        self.kind()
    }

    /// Inverse of [`Self::as_str`].
    pub fn parse(kind: &str) -> Option<Self> {
        match kind {
            "ConfigMap" => Some(ObjectKind::ConfigMap),
            "Secret" => Some(ObjectKind::Secret),
            _ => None,
        }
    }
}

/// A ConfigMap or a Secret, as the API server stores it.
#[derive(Debug, Clone, PartialEq)]
pub enum DataObject {
    /// A ConfigMap.
    ConfigMap(ConfigMap),
    /// A Secret (`stringData` already merged into `data`).
    Secret(Secret),
}

impl DataObject {
    /// Its kind.
    pub fn kind(&self) -> ObjectKind {
        match self {
            DataObject::ConfigMap(_) => ObjectKind::ConfigMap,
            DataObject::Secret(_) => ObjectKind::Secret,
        }
    }

    /// Its metadata.
    pub fn metadata(&self) -> &ObjectMeta {
        match self {
            DataObject::ConfigMap(c) => &c.metadata,
            DataObject::Secret(s) => &s.metadata,
        }
    }

    /// Its metadata, to change.
    pub fn metadata_mut(&mut self) -> &mut ObjectMeta {
        match self {
            DataObject::ConfigMap(c) => &mut c.metadata,
            DataObject::Secret(s) => &mut s.metadata,
        }
    }

    /// `metadata.name`.
    pub fn name(&self) -> &str {
        self.metadata().name.as_deref().unwrap_or_default()
    }

    /// Whether `immutable: true`.
    pub fn immutable(&self) -> bool {
        match self {
            DataObject::ConfigMap(c) => c.immutable == Some(true),
            DataObject::Secret(s) => s.immutable == Some(true),
        }
    }

    /// The number of keys (kubectl's `DATA` column: data and binaryData together).
    pub fn data_count(&self) -> usize {
        match self {
            DataObject::ConfigMap(c) => {
                c.data.as_ref().map_or(0, BTreeMap::len)
                    + c.binary_data.as_ref().map_or(0, BTreeMap::len)
            }
            DataObject::Secret(s) => s.data.as_ref().map_or(0, BTreeMap::len),
        }
    }

    /// As JSON with `apiVersion` and `kind` (the API server's form; Secret data base64).
    pub fn to_value(&self) -> Value {
        let mut value = match self {
            DataObject::ConfigMap(c) => serde_json::to_value(c),
            DataObject::Secret(s) => serde_json::to_value(s),
        }
        .unwrap_or(Value::Null);
        if let Value::Object(map) = &mut value {
            map.insert("apiVersion".into(), Value::from("v1"));
            map.insert("kind".into(), Value::from(self.kind().kind()));
        }
        value
    }

    /// Back from [`Self::to_value`] (the store's form).
    pub fn from_value(kind: ObjectKind, value: Value) -> Result<Self, serde_json::Error> {
        Ok(match kind {
            ObjectKind::ConfigMap => DataObject::ConfigMap(serde_json::from_value(value)?),
            ObjectKind::Secret => DataObject::Secret(serde_json::from_value(value)?),
        })
    }

    /// The object without its server-set metadata (uid, creationTimestamp,
    /// resourceVersion), to compare an applied manifest with the stored object.
    pub fn without_server_fields(&self) -> DataObject {
        let mut copy = self.clone();
        let meta = copy.metadata_mut();
        meta.uid = None;
        meta.creation_timestamp = None;
        meta.resource_version = None;
        copy
    }
}

/// Decodes one `v1` ConfigMap or Secret document (`untyped` is its JSON form, `document`
/// the deserializer on its text, so that type errors keep their line), merges `stringData`,
/// applies defaults and validates. `namespace`: the namespace when the manifest names none.
pub fn decode(
    kind: ObjectKind,
    untyped: &Value,
    typed: Result<DataObject, String>,
    origin: &str,
    namespace: &str,
) -> Result<DataObject, JobInputError> {
    if kind == ObjectKind::Secret {
        // The API server decodes `data` values as base64 (Go's `[]byte` JSON encoding);
        // checked here to give its message rather than serde's.
        if let Some(Value::Object(data)) = untyped.get("data") {
            for value in data.values() {
                if let Some(text) = value.as_str() {
                    if let Err(message) = base64_go(text) {
                        return Err(JobInputError::Undecodable {
                            origin: origin.to_string(),
                            kind: kind.kind(),
                            message,
                        });
                    }
                }
            }
        }
    }
    if kind == ObjectKind::ConfigMap {
        if let Some(Value::Object(data)) = untyped.get("binaryData") {
            for value in data.values() {
                if let Some(Err(message)) = value.as_str().map(base64_go) {
                    return Err(JobInputError::Undecodable {
                        origin: origin.to_string(),
                        kind: kind.kind(),
                        message,
                    });
                }
            }
        }
    }
    let mut object = typed.map_err(|message| JobInputError::Yaml {
        origin: origin.to_string(),
        message,
    })?;
    let fields = super::strict::unknown_fields(untyped, &object.to_value());
    if !fields.is_empty() {
        return Err(JobInputError::UnknownFields {
            origin: origin.to_string(),
            fields,
        });
    }
    if let DataObject::Secret(secret) = &mut object {
        merge_string_data(secret);
        if secret.type_.as_deref().is_none_or(str::is_empty) {
            secret.type_ = Some("Opaque".to_string());
        }
    }
    let meta = object.metadata_mut();
    if meta.namespace.as_deref().is_none_or(str::is_empty) {
        meta.namespace = Some(namespace.to_string());
    }
    let causes = validate::validate(&object);
    if !causes.is_empty() {
        return Err(JobInputError::InvalidObject {
            origin: origin.to_string(),
            kind: kind.kind(),
            name: object.name().to_string(),
            causes,
        });
    }
    Ok(object)
}

/// `stringData` written into `data` (its keys win), then dropped, as the API server's
/// conversion does.
pub fn merge_string_data(secret: &mut Secret) {
    if let Some(strings) = secret.string_data.take() {
        let data = secret.data.get_or_insert_with(BTreeMap::new);
        for (key, value) in strings {
            data.insert(key, ByteString(value.into_bytes()));
        }
    }
}

/// Go's `base64.StdEncoding.DecodeString` (what `encoding/json` uses for `[]byte`): the
/// bytes, or Go's message (`illegal base64 data at input byte N`).
pub fn base64_go(text: &str) -> Result<Vec<u8>, String> {
    use base64::Engine;
    // encoding/json strips nothing; Go's decoder skips \r and \n.
    let cleaned: String = text.chars().filter(|c| *c != '\r' && *c != '\n').collect();
    base64::engine::general_purpose::STANDARD
        .decode(cleaned.as_bytes())
        .map_err(|e| {
            let at = match e {
                base64::DecodeError::InvalidByte(at, _)
                | base64::DecodeError::InvalidLastSymbol(at, _) => at,
                base64::DecodeError::InvalidLength(len) => len - len % 4,
                base64::DecodeError::InvalidPadding => cleaned.len().saturating_sub(1),
            };
            format!("illegal base64 data at input byte {at}")
        })
}

#[cfg(test)]
mod tests;
