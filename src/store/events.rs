//! Events, aggregated like the kubelet's event correlator: an event identical to a stored one
//! (same object, type, reason, message, source) bumps its count and last time.

use std::collections::HashMap;

use k8s_openapi::jiff::Timestamp;
use rusqlite::{params, OptionalExtension, Transaction};

use super::objects::EventRow;
use super::{Store, StoreError};
use crate::job::controller::JobEvent;

/// What makes two events the same event (aggregated into one row with a count): object,
/// type, reason, message and source.
pub(super) type EventKey = (String, String, String, &'static str, String, String, String);

fn event_key(event: &JobEvent) -> EventKey {
    (
        event.namespace.clone(),
        event.object_kind.clone(),
        event.object_name.clone(),
        event.type_.as_str(),
        event.reason.clone(),
        event.message.clone(),
        event.source.clone(),
    )
}

/// The events one writer (a Job's controller) stored, with their rows, so that an identical
/// event is aggregated without searching the table. Kubernetes aggregates the same way, in
/// memory: client-go's event correlator keeps the recent events of its process, and a new
/// process starts new event objects. Searching the table instead cost a fifth of a run's CPU:
/// every `SuccessfulCreate` read all the Job's earlier ones (docs/performance.md).
#[derive(Default)]
pub(super) struct EventRows {
    rows: HashMap<EventKey, i64>,
}

impl EventRows {
    /// Stores `event` in `tx`: a count more on its row when this writer stored an identical
    /// one, else a new row. New rows are listed in `added`, to be [`EventRows::keep`]t once
    /// the transaction committed.
    pub(super) fn insert(
        &self,
        tx: &Transaction<'_>,
        job_uid: &str,
        event: &JobEvent,
        added: &mut Vec<(EventKey, i64)>,
    ) -> rusqlite::Result<()> {
        let key = event_key(event);
        let known = self
            .rows
            .get(&key)
            .copied()
            .or_else(|| added.iter().find(|(k, _)| *k == key).map(|(_, id)| *id));
        let time = event.time.to_string();
        if let Some(id) = known {
            let updated = tx
                .prepare_cached(
                    "UPDATE events SET count = count + 1, last_seen = ?1 WHERE id = ?2",
                )?
                .execute(params![time, id])?;
            // Gone (the Job's events were deleted meanwhile): stored anew below.
            if updated == 1 {
                return Ok(());
            }
        }
        insert_row(tx, job_uid, event, &time)?;
        added.push((key, tx.last_insert_rowid()));
        Ok(())
    }

    /// Remembers the rows of a committed transaction.
    pub(super) fn keep(&mut self, added: Vec<(EventKey, i64)>) {
        self.rows.extend(added);
    }
}

/// A new row for `event`.
fn insert_row(
    tx: &Transaction<'_>,
    job_uid: &str,
    event: &JobEvent,
    time: &str,
) -> rusqlite::Result<usize> {
    tx.prepare_cached(
        "INSERT INTO events (namespace, job_uid, object_kind, object_name, type, reason,
            message, source, first_seen, last_seen)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
    )?
    .execute(params![
        event.namespace,
        job_uid,
        event.object_kind,
        event.object_name,
        event.type_.as_str(),
        event.reason,
        event.message,
        event.source,
        time
    ])
}

/// Stores `event`, aggregated with an identical stored event of any writer (for writers
/// without an [`EventRows`]).
pub(super) fn insert_event(
    tx: &Transaction<'_>,
    job_uid: &str,
    event: &JobEvent,
) -> rusqlite::Result<()> {
    let time = event.time.to_string();
    // Cached statements: events are written after most controller steps. The namespace (a
    // Job's events all have its own) lets SQLite find the object's events by
    // `events_by_object` instead of reading every event of the Job for each new one.
    let existing: Option<i64> = tx
        .prepare_cached(
            "SELECT id FROM events WHERE namespace = ?8 AND object_kind = ?2
               AND object_name = ?3 AND job_uid = ?1
               AND type = ?4 AND reason = ?5 AND message = ?6 AND source = ?7",
        )?
        .query_row(
            params![
                job_uid,
                event.object_kind,
                event.object_name,
                event.type_.as_str(),
                event.reason,
                event.message,
                event.source,
                event.namespace
            ],
            |r| r.get(0),
        )
        .optional()?;
    match existing {
        Some(id) => tx
            .prepare_cached("UPDATE events SET count = count + 1, last_seen = ?1 WHERE id = ?2")?
            .execute(params![time, id])?,
        None => insert_row(tx, job_uid, event, &time)?,
    };
    Ok(())
}

impl Store {
    /// Events of a namespace (`None`: all), optionally about one object (`kind`, `name`),
    /// oldest first.
    pub fn list_events(
        &self,
        namespace: Option<&str>,
        object: Option<(&str, &str)>,
    ) -> Result<Vec<EventRow>, StoreError> {
        let (kind, name) = object.unzip();
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, namespace, object_kind, object_name, type, reason, message, source,
                    count, first_seen, last_seen
                 FROM events
                 WHERE (?1 IS NULL OR namespace = ?1) AND (?2 IS NULL OR object_kind = ?2)
                   AND (?3 IS NULL OR object_name = ?3)
                 ORDER BY last_seen, id",
            )
            .map_err(|e| self.sqlite(e))?;
        type Row = (
            i64,
            String,
            String,
            String,
            String,
            String,
            String,
            String,
            i32,
            String,
            String,
        );
        let rows: Vec<Row> = stmt
            .query_map(params![namespace, kind, name], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                    r.get(9)?,
                    r.get(10)?,
                ))
            })
            .and_then(|rows| rows.collect())
            .map_err(|e| self.sqlite(e))?;
        let parse = |s: &str| s.parse::<Timestamp>().unwrap_or(Timestamp::UNIX_EPOCH);
        Ok(rows
            .into_iter()
            .map(|r| EventRow {
                id: r.0,
                namespace: r.1,
                object_kind: r.2,
                object_name: r.3,
                type_: r.4,
                reason: r.5,
                message: r.6,
                source: r.7,
                count: r.8,
                first_seen: parse(&r.9),
                last_seen: parse(&r.10),
            })
            .collect())
    }

    /// Events of a namespace (`None`: all) in the API server's list order: by namespace,
    /// then name (`<object>.<time>`), not by time.
    pub fn list_events_by_name(
        &self,
        namespace: Option<&str>,
    ) -> Result<Vec<EventRow>, StoreError> {
        let mut rows = self.list_events(namespace, None)?;
        rows.sort_by_key(|e| (e.namespace.clone(), e.name()));
        Ok(rows)
    }
}
