//! Jobs: create, apply (created / unchanged / configured / immutable), read, status updates,
//! delete.

use k8s_openapi::api::batch::v1::{Job, JobStatus};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;
use rusqlite::{params, OptionalExtension};

use super::objects::{immutable_change, normalize_uid};
use super::{Store, StoreError};

/// A Job as stored, with its bookkeeping.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredJob {
    /// The Job with `metadata` (namespace, uid, creationTimestamp, generation) and `status`.
    pub job: Job,
    /// The Job's UID.
    pub uid: String,
    /// Bumped on every `configured` apply.
    pub generation: i64,
    /// Set while `delete` is removing it.
    pub deleted_at: Option<Timestamp>,
    /// The engine endpoint it was created on (`None` for Jobs stored by an older dockjob).
    pub engine: Option<String>,
}

/// See [`Store::job_liveness`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobLiveness {
    /// `delete` has marked it.
    pub deleting: bool,
    /// Bumped on every `configured` apply.
    pub generation: i64,
}

/// A Job that may need a (new) controller: see [`Store::jobs_needing_controllers`].
#[derive(Debug, Clone, PartialEq)]
pub struct ControllerCheck {
    /// The Job's UID.
    pub uid: String,
    /// It has its terminal condition (so only its TTL is left to enforce).
    pub finished: bool,
    /// When its lease was last renewed; `None` when nobody holds it.
    pub lease_renewed_at: Option<Timestamp>,
    /// When it was stored.
    pub created_at: Timestamp,
    /// No controller (detached or `run`) ever started on it.
    pub never_ran: bool,
}

/// What `apply` did.
#[derive(Debug, Clone, PartialEq)]
pub enum ApplyOutcome {
    /// A new Job (`job.batch/NAME created`).
    Created(StoredJob),
    /// Same as stored (`unchanged`).
    Unchanged(StoredJob),
    /// Mutable fields changed (`configured`).
    Configured(StoredJob),
    /// An immutable field changed: its path (`spec.template.spec.containers[0].image`) and new
    /// value.
    Immutable {
        /// The field path, kubectl-style.
        field: String,
        /// The new value, as JSON.
        value: String,
    },
}

const COLUMNS: &str = "manifest, status, uid, generation, deleted_at, created_at, engine";

impl Store {
    /// `kubectl create`: stores `job` in `namespace` or returns `Ok(None)` when the name exists.
    pub fn create_job(
        &mut self,
        namespace: &str,
        job: &Job,
        now: Timestamp,
    ) -> Result<Option<StoredJob>, StoreError> {
        let mut stored = prepare(namespace, job, now);
        stored.engine.clone_from(&self.engine);
        let manifest = to_json(&stored.job);
        let name = job.metadata.name.clone().unwrap_or_default();
        let inserted = self.write(|tx| {
            tx.execute(
                "INSERT OR IGNORE INTO jobs (namespace, name, uid, manifest, created_at, engine) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![namespace, name, stored.uid, manifest, now.to_string(), stored.engine],
            )
        })?;
        Ok((inserted == 1).then_some(stored))
    }

    /// `kubectl apply`: creates, or compares with the stored Job and updates mutable fields.
    pub fn apply_job(
        &mut self,
        namespace: &str,
        job: &Job,
        now: Timestamp,
    ) -> Result<ApplyOutcome, StoreError> {
        let name = job.metadata.name.clone().unwrap_or_default();
        let path = self.path.display().to_string();
        let mut fresh = prepare(namespace, job, now);
        fresh.engine.clone_from(&self.engine);
        let outcome = self.write(|tx| {
            let existing: Option<ExistingRow> = tx
                .query_row(
                    "SELECT manifest, uid, generation, engine FROM jobs WHERE namespace = ?1 AND name = ?2",
                    params![namespace, name],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )
                .optional()?;
            let outcome = match compare_with_stored(existing, &fresh) {
                Ok(outcome) => outcome,
                Err(detail) => return Ok(Err(detail)),
            };
            match &outcome {
                ApplyOutcome::Created(new) => {
                    tx.execute(
                        "INSERT INTO jobs (namespace, name, uid, manifest, created_at, engine) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                        params![namespace, name, new.uid, to_json(&new.job), now.to_string(), new.engine],
                    )?;
                }
                ApplyOutcome::Configured(new) => {
                    tx.execute(
                        "UPDATE jobs SET manifest = ?1, generation = ?2 WHERE namespace = ?3 AND name = ?4",
                        params![to_json(&new.job), new.generation, namespace, name],
                    )?;
                }
                ApplyOutcome::Unchanged(_) | ApplyOutcome::Immutable { .. } => {}
            }
            Ok(Ok(outcome))
        })?;
        outcome.map_err(|detail| StoreError::Corrupt {
            path,
            what: format!("job {namespace}/{name}"),
            detail,
        })
    }

    /// What [`Self::apply_job`] would do, without storing anything (`apply --dry-run`).
    pub fn preview_apply(
        &self,
        namespace: &str,
        job: &Job,
        now: Timestamp,
    ) -> Result<ApplyOutcome, StoreError> {
        let name = job.metadata.name.clone().unwrap_or_default();
        let mut fresh = prepare(namespace, job, now);
        fresh.engine.clone_from(&self.engine);
        let existing = self
            .conn
            .query_row(
                "SELECT manifest, uid, generation, engine FROM jobs WHERE namespace = ?1 AND name = ?2",
                params![namespace, name],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()
            .map_err(|e| self.sqlite(e))?;
        compare_with_stored(existing, &fresh).map_err(|detail| StoreError::Corrupt {
            path: self.path.display().to_string(),
            what: format!("job {namespace}/{name}"),
            detail,
        })
    }

    /// One Job by name.
    pub fn get_job(&self, namespace: &str, name: &str) -> Result<Option<StoredJob>, StoreError> {
        let row = self
            .conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM jobs WHERE namespace = ?1 AND name = ?2"),
                params![namespace, name],
                row_tuple,
            )
            .optional()
            .map_err(|e| self.sqlite(e))?;
        row.map(|r| self.decode(r)).transpose()
    }

    /// One Job by UID.
    pub fn get_job_by_uid(&self, uid: &str) -> Result<Option<StoredJob>, StoreError> {
        let row = self
            .conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM jobs WHERE uid = ?1"),
                params![uid],
                row_tuple,
            )
            .optional()
            .map_err(|e| self.sqlite(e))?;
        row.map(|r| self.decode(r)).transpose()
    }

    /// Whether the Job `uid` is being deleted, and its generation: what a controller's
    /// heartbeat checks every second, without decoding the Job (`None`: no such Job).
    pub fn job_liveness(&self, uid: &str) -> Result<Option<JobLiveness>, StoreError> {
        self.conn
            .prepare_cached("SELECT deleted_at IS NOT NULL, generation FROM jobs WHERE uid = ?1")
            .and_then(|mut stmt| {
                stmt.query_row(params![uid], |r| {
                    Ok(JobLiveness {
                        deleting: r.get(0)?,
                        generation: r.get(1)?,
                    })
                })
                .optional()
            })
            .map_err(|e| self.sqlite(e))
    }

    /// Jobs of a namespace (`None`: all), sorted by namespace then name.
    pub fn list_jobs(&self, namespace: Option<&str>) -> Result<Vec<StoredJob>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT {COLUMNS} FROM jobs WHERE ?1 IS NULL OR namespace = ?1 ORDER BY namespace, name"
            ))
            .map_err(|e| self.sqlite(e))?;
        let rows: Vec<RowTuple> = stmt
            .query_map(params![namespace], row_tuple)
            .and_then(|rows| rows.collect())
            .map_err(|e| self.sqlite(e))?;
        rows.into_iter().map(|r| self.decode(r)).collect()
    }

    /// The Jobs a controller may still have work for: not being deleted, and either without a
    /// terminal condition or with a `ttlSecondsAfterFinished` to enforce, each with its lease's
    /// last renewal. Filtered by SQLite's JSON functions and joined with the leases in one
    /// query, so that nothing is decoded: decoding every Job, then asking for each lease, made
    /// `get jobs` with 1 000 Jobs twice as slow (bench case f).
    pub fn jobs_needing_controllers(&self) -> Result<Vec<ControllerCheck>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT jobs.uid, finished, leases.renewed_at, jobs.created_at,
                        jobs.controller_started IS NULL FROM (
                    SELECT uid, deleted_at, created_at, controller_started,
                        json_extract(manifest, '$.spec.ttlSecondsAfterFinished') AS ttl,
                        EXISTS (
                            SELECT 1 FROM json_each(COALESCE(status, '{}'), '$.conditions') AS c
                            WHERE json_extract(c.value, '$.type') IN ('Complete', 'Failed')
                              AND json_extract(c.value, '$.status') = 'True') AS finished
                    FROM jobs) AS jobs
                 LEFT JOIN leases ON leases.job_uid = jobs.uid
                 WHERE jobs.deleted_at IS NULL AND (NOT finished OR ttl IS NOT NULL)",
            )
            .map_err(|e| self.sqlite(e))?;
        type Row = (String, bool, Option<String>, String, bool);
        let rows: Vec<Row> = stmt
            .query_map([], |row| {
                Ok((
                    row.get(0)?,
                    row.get(1)?,
                    row.get(2)?,
                    row.get(3)?,
                    row.get(4)?,
                ))
            })
            .and_then(|rows| rows.collect())
            .map_err(|e| self.sqlite(e))?;
        Ok(rows
            .into_iter()
            .map(
                |(uid, finished, renewed, created, never_ran)| ControllerCheck {
                    uid,
                    finished,
                    lease_renewed_at: renewed.map(|t| t.parse().unwrap_or(Timestamp::UNIX_EPOCH)),
                    created_at: created.parse().unwrap_or(Timestamp::UNIX_EPOCH),
                    never_ran,
                },
            )
            .collect())
    }

    /// Saves the Job's status (the controller's view after a step).
    pub fn set_job_status(&mut self, uid: &str, status: &JobStatus) -> Result<(), StoreError> {
        let json = to_json(status);
        self.write(|tx| {
            tx.execute(
                "UPDATE jobs SET status = ?1 WHERE uid = ?2",
                params![json, uid],
            )
        })?;
        Ok(())
    }

    /// Marks a Job as being deleted (STATUS `Terminating`); `false` when it does not exist.
    pub fn mark_deleting(&mut self, uid: &str, now: Timestamp) -> Result<bool, StoreError> {
        let n = self.write(|tx| {
            tx.execute(
                "UPDATE jobs SET deleted_at = COALESCE(deleted_at, ?1) WHERE uid = ?2",
                params![now.to_string(), uid],
            )
        })?;
        Ok(n == 1)
    }

    /// Removes a Job and its pods, events, lease and controller input log.
    pub fn remove_job(&mut self, uid: &str) -> Result<bool, StoreError> {
        let n = self.write(|tx| {
            tx.execute("DELETE FROM pods WHERE job_uid = ?1", params![uid])?;
            tx.execute("DELETE FROM events WHERE job_uid = ?1", params![uid])?;
            tx.execute(
                "DELETE FROM controller_inputs WHERE job_uid = ?1",
                params![uid],
            )?;
            tx.execute("DELETE FROM leases WHERE job_uid = ?1", params![uid])?;
            tx.execute("DELETE FROM jobs WHERE uid = ?1", params![uid])
        })?;
        Ok(n == 1)
    }

    fn decode(&self, row: RowTuple) -> Result<StoredJob, StoreError> {
        let (manifest, status, uid, generation, deleted_at, _created, engine) = row;
        let mut job: Job =
            serde_json::from_str(&manifest).map_err(|e| self.corrupt(&format!("job {uid}"), e))?;
        if let Some(status) = status {
            job.status = Some(
                serde_json::from_str(&status)
                    .map_err(|e| self.corrupt(&format!("job {uid} status"), e))?,
            );
        }
        let deleted_at = deleted_at.and_then(|t| t.parse::<Timestamp>().ok());
        job.metadata.deletion_timestamp = deleted_at.map(Time);
        Ok(StoredJob {
            job,
            uid,
            generation,
            deleted_at,
            engine,
        })
    }
}

type RowTuple = (
    String,
    Option<String>,
    String,
    i64,
    Option<String>,
    String,
    Option<String>,
);

fn row_tuple(r: &rusqlite::Row<'_>) -> rusqlite::Result<RowTuple> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
    ))
}

fn stored(job: Job, uid: String, generation: i64, engine: Option<String>) -> StoredJob {
    StoredJob {
        job,
        uid,
        generation,
        deleted_at: None,
        engine,
    }
}

/// The Job as the API server stores it on create: namespace, creationTimestamp, generation 1.
/// A stored row's `(manifest, uid, generation, engine)`.
type ExistingRow = (String, String, i64, Option<String>);

/// `apply`'s decision for `fresh` against the stored row of its name: created, unchanged,
/// configured (generation bumped) or an immutable change; `Err` when the row cannot be read.
fn compare_with_stored(
    existing: Option<ExistingRow>,
    fresh: &StoredJob,
) -> Result<ApplyOutcome, String> {
    let Some((manifest, uid, generation, engine)) = existing else {
        return Ok(ApplyOutcome::Created(fresh.clone()));
    };
    let old: Job = match serde_json::from_str(&manifest) {
        Ok(job) => job,
        Err(e) => return Err(e.to_string()),
    };
    let mut new = normalize_uid(&fresh.job, &uid);
    new.metadata.creation_timestamp = old.metadata.creation_timestamp.clone();
    new.metadata.generation = old.metadata.generation;
    inherit_unset(&old, &mut new);
    if new == old {
        return Ok(ApplyOutcome::Unchanged(stored(
            old, uid, generation, engine,
        )));
    }
    if let Some((field, value)) = immutable_change(&old, &new) {
        return Ok(ApplyOutcome::Immutable { field, value });
    }
    new.metadata.generation = Some(generation + 1);
    Ok(ApplyOutcome::Configured(stored(
        new,
        uid,
        generation + 1,
        engine,
    )))
}

/// The Job as `create` stores it (and a server dry run returns it): in `namespace`, created
/// `now`, generation 1, no status yet.
pub fn as_created(namespace: &str, job: &Job, now: Timestamp) -> Job {
    prepare(namespace, job, now).job
}

fn prepare(namespace: &str, job: &Job, now: Timestamp) -> StoredJob {
    let mut job = job.clone();
    job.metadata.namespace = Some(namespace.to_string());
    job.metadata.creation_timestamp = Some(Time(now));
    job.metadata.generation = Some(1);
    job.status = None;
    let uid = job.metadata.uid.clone().unwrap_or_default();
    StoredJob {
        job,
        uid,
        generation: 1,
        deleted_at: None,
        engine: None,
    }
}

/// Fields the user left out that the stored Job got from create-time defaulting keep their
/// stored value, as kubectl's three-way patch leaves them untouched (`completions` is
/// defaulted to 1 only when both it and `parallelism` are unset).
fn inherit_unset(old: &Job, new: &mut Job) {
    if let (Some(old_spec), Some(new_spec)) = (old.spec.as_ref(), new.spec.as_mut()) {
        if new_spec.completions.is_none() {
            new_spec.completions = old_spec.completions;
        }
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_string())
}
