//! ConfigMaps and Secrets: create, apply (created / unchanged / configured, or the API
//! server's update validation), read, list, delete. Secret data is kept in the database
//! file, which only its owner can read (see [`super::files`]); nowhere else.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;
use rusqlite::{params, OptionalExtension};

use super::{Store, StoreError};
use crate::job::field::FieldError;
use crate::job::objects::validate::validate_update;
use crate::job::objects::{DataObject, ObjectKind};

/// What applying a ConfigMap or Secret did.
#[derive(Debug, Clone, PartialEq)]
pub enum ObjectApplyOutcome {
    /// New (`secret/NAME created`).
    Created(DataObject),
    /// Same as stored (`unchanged`).
    Unchanged(DataObject),
    /// Changed (`configured`).
    Configured(DataObject),
    /// The update is invalid (an immutable object's data, a Secret's type).
    Invalid(Vec<FieldError>),
}

impl Store {
    /// `kubectl create`: stores `object` (its namespace set) or returns `Ok(None)` when one
    /// of that kind and name exists.
    pub fn create_object(
        &mut self,
        object: &DataObject,
        now: Timestamp,
    ) -> Result<Option<DataObject>, StoreError> {
        let fresh = admitted(object, now);
        let (ns, kind, name) = key(&fresh);
        let text = fresh.to_value().to_string();
        let inserted = self.write(|tx| {
            tx.execute(
                "INSERT OR IGNORE INTO data_objects (namespace, kind, name, object, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![ns, kind, name, text, now.to_string()],
            )
        })?;
        Ok((inserted == 1).then_some(fresh))
    }

    /// `kubectl apply`: creates, or compares with the stored object and replaces it.
    pub fn apply_object(
        &mut self,
        object: &DataObject,
        now: Timestamp,
    ) -> Result<ObjectApplyOutcome, StoreError> {
        let (ns, kind, name) = key(object);
        let path = self.path.display().to_string();
        let result = self.write(|tx| {
            let existing: Option<String> = tx
                .query_row(
                    "SELECT object FROM data_objects WHERE namespace = ?1 AND kind = ?2 AND name = ?3",
                    params![ns, kind, name],
                    |r| r.get(0),
                )
                .optional()?;
            let Some(existing) = existing else {
                let fresh = admitted(object, now);
                tx.execute(
                    "INSERT INTO data_objects (namespace, kind, name, object, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![ns, kind, name, fresh.to_value().to_string(), now.to_string()],
                )?;
                return Ok(Ok(ObjectApplyOutcome::Created(fresh)));
            };
            let old = match decode(object.kind(), &existing) {
                Ok(old) => old,
                Err(e) => return Ok(Err(e)),
            };
            if old.without_server_fields() == object.without_server_fields() {
                return Ok(Ok(ObjectApplyOutcome::Unchanged(old)));
            }
            let errors = validate_update(&old, object);
            if !errors.is_empty() {
                return Ok(Ok(ObjectApplyOutcome::Invalid(errors)));
            }
            let mut new = object.clone();
            let meta = new.metadata_mut();
            meta.uid.clone_from(&old.metadata().uid);
            meta.creation_timestamp
                .clone_from(&old.metadata().creation_timestamp);
            tx.execute(
                "UPDATE data_objects SET object = ?1 WHERE namespace = ?2 AND kind = ?3 AND name = ?4",
                params![new.to_value().to_string(), ns, kind, name],
            )?;
            Ok(Ok(ObjectApplyOutcome::Configured(new)))
        })?;
        result.map_err(|detail| StoreError::Corrupt {
            path,
            what: format!("{} {ns}/{name}", object.kind().resource()),
            detail,
        })
    }

    /// One ConfigMap or Secret by name.
    pub fn get_object(
        &self,
        kind: ObjectKind,
        namespace: &str,
        name: &str,
    ) -> Result<Option<DataObject>, StoreError> {
        let text: Option<String> = self
            .conn
            .query_row(
                "SELECT object FROM data_objects WHERE namespace = ?1 AND kind = ?2 AND name = ?3",
                params![namespace, kind.as_str(), name],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.sqlite(e))?;
        text.map(|t| {
            decode(kind, &t)
                .map_err(|e| self.corrupt(&format!("{} {namespace}/{name}", kind.resource()), e))
        })
        .transpose()
    }

    /// The objects of a kind in a namespace (`None`: all), sorted by namespace then name.
    pub fn list_objects(
        &self,
        kind: ObjectKind,
        namespace: Option<&str>,
    ) -> Result<Vec<DataObject>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT object FROM data_objects WHERE kind = ?1 AND (?2 IS NULL OR namespace = ?2) ORDER BY namespace, name",
            )
            .map_err(|e| self.sqlite(e))?;
        let rows: Vec<String> = stmt
            .query_map(params![kind.as_str(), namespace], |r| r.get(0))
            .and_then(|rows| rows.collect())
            .map_err(|e| self.sqlite(e))?;
        rows.iter()
            .map(|t| decode(kind, t).map_err(|e| self.corrupt(kind.plural(), e)))
            .collect()
    }

    /// Deletes one; `false` when there was none.
    pub fn delete_object(
        &mut self,
        kind: ObjectKind,
        namespace: &str,
        name: &str,
    ) -> Result<bool, StoreError> {
        let n = self.write(|tx| {
            tx.execute(
                "DELETE FROM data_objects WHERE namespace = ?1 AND kind = ?2 AND name = ?3",
                params![namespace, kind.as_str(), name],
            )
        })?;
        Ok(n == 1)
    }
}

/// `object` as the API server admits it: a fresh UID and the creation time.
fn admitted(object: &DataObject, now: Timestamp) -> DataObject {
    let mut fresh = object.clone();
    let meta = fresh.metadata_mut();
    meta.uid = Some(crate::job::names::random_uid(&mut rand::rng()));
    meta.creation_timestamp = Some(Time(now));
    fresh
}

fn key(object: &DataObject) -> (String, &'static str, String) {
    (
        object
            .metadata()
            .namespace
            .clone()
            .unwrap_or_else(|| "default".to_string()),
        object.kind().as_str(),
        object.name().to_string(),
    )
}

fn decode(kind: ObjectKind, text: &str) -> Result<DataObject, String> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    DataObject::from_value(kind, value).map_err(|e| e.to_string())
}

/// The store as the kubelet's source of ConfigMaps and Secrets: each lookup opens the
/// database anew, so an object applied by another dockjob process is seen at the next try.
pub struct StoreObjects {
    dir: std::path::PathBuf,
}

impl StoreObjects {
    /// Lookups in the store in `dir`.
    pub fn new(dir: &std::path::Path) -> Self {
        Self {
            dir: dir.to_path_buf(),
        }
    }
}

impl crate::job::objects::resolve::ObjectLookup for StoreObjects {
    fn get(
        &self,
        kind: ObjectKind,
        namespace: &str,
        name: &str,
    ) -> Result<Option<DataObject>, String> {
        let store = Store::open(&self.dir).map_err(|e| e.to_string())?;
        store
            .get_object(kind, namespace, name)
            .map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::objects::resolve::ObjectLookup;
    use rand::SeedableRng;

    fn object(yaml: &str) -> DataObject {
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let manifests = crate::job::load::load_manifests_in(yaml, "o.yaml", None, &mut rng);
        crate::job::load::split(manifests.unwrap()).1.remove(0)
    }

    fn t(s: i64) -> Timestamp {
        Timestamp::from_second(1_700_000_000 + s).unwrap()
    }

    const SECRET: &str =
        "apiVersion: v1\nkind: Secret\nmetadata: {name: db}\nstringData: {password: a}\n";

    #[test]
    fn apply_creates_then_keeps_or_replaces_and_create_refuses_a_second() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let ObjectApplyOutcome::Created(first) = store.apply_object(&object(SECRET), t(0)).unwrap()
        else {
            panic!("created");
        };
        assert!(first.metadata().uid.is_some());
        assert!(matches!(
            store.apply_object(&object(SECRET), t(5)).unwrap(),
            ObjectApplyOutcome::Unchanged(_)
        ));
        let changed = object(&SECRET.replace("password: a", "password: b"));
        let ObjectApplyOutcome::Configured(second) = store.apply_object(&changed, t(9)).unwrap()
        else {
            panic!("configured");
        };
        // The same object: its UID and creation time are kept.
        assert_eq!(second.metadata().uid, first.metadata().uid);
        assert_eq!(
            second.metadata().creation_timestamp,
            first.metadata().creation_timestamp
        );
        assert_eq!(store.create_object(&changed, t(10)).unwrap(), None);
        let stored = store
            .get_object(ObjectKind::Secret, "default", "db")
            .unwrap();
        let Some(DataObject::Secret(secret)) = stored else {
            panic!("stored");
        };
        assert_eq!(secret.data.unwrap()["password"].0, b"b");
        // A typed change of an existing Secret is refused.
        let typed = object("apiVersion: v1\nkind: Secret\nmetadata: {name: db}\ntype: kubernetes.io/tls\nstringData: {tls.crt: c, tls.key: k}\n");
        assert!(matches!(
            store.apply_object(&typed, t(11)).unwrap(),
            ObjectApplyOutcome::Invalid(_)
        ));
        // The kubelet's view: the store, read anew at each lookup.
        let lookup = StoreObjects::new(dir.path());
        assert!(lookup
            .get(ObjectKind::Secret, "default", "db")
            .unwrap()
            .is_some());
        assert!(lookup
            .get(ObjectKind::ConfigMap, "default", "db")
            .unwrap()
            .is_none());
        assert!(store
            .delete_object(ObjectKind::Secret, "default", "db")
            .unwrap());
        assert!(!store
            .delete_object(ObjectKind::Secret, "default", "db")
            .unwrap());
        assert!(store
            .list_objects(ObjectKind::Secret, None)
            .unwrap()
            .is_empty());
    }
}
