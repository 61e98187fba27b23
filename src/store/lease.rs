//! Controller leases: one row per Job held by the controller process that runs it, renewed
//! by a heartbeat. A lease not renewed within its TTL is expired, and the next dockjob
//! command may start a new controller for the Job.

use std::time::Duration;

use k8s_openapi::jiff::Timestamp;
use rusqlite::{params, OptionalExtension};

use super::{Store, StoreError};
use crate::job::controller::time;

/// Who runs a Job's controller, and when it last said so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// Job UID.
    pub job_uid: String,
    /// Holder identity (`host:pid:start`).
    pub holder: String,
    /// Holder's process id.
    pub pid: u32,
    /// Last heartbeat.
    pub renewed_at: Timestamp,
}

impl Lease {
    /// Whether the heartbeat is older than `ttl` at `now`.
    pub fn is_expired(&self, now: Timestamp, ttl: Duration) -> bool {
        time::add(self.renewed_at, ttl) < now
    }
}

impl Store {
    /// Takes the Job's lease for `holder` if it is free, expired or already `holder`'s.
    pub fn acquire_lease(
        &mut self,
        job_uid: &str,
        holder: &str,
        pid: u32,
        now: Timestamp,
        ttl: Duration,
    ) -> Result<bool, StoreError> {
        self.write(|tx| {
            let current: Option<(String, String)> = tx
                .query_row(
                    "SELECT holder, renewed_at FROM leases WHERE job_uid = ?1",
                    params![job_uid],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let free = match &current {
                None => true,
                Some((h, _)) if h == holder => true,
                Some((_, renewed)) => renewed
                    .parse::<Timestamp>()
                    .map_or(true, |t| time::add(t, ttl) < now),
            };
            if free {
                tx.execute(
                    "INSERT INTO leases (job_uid, holder, pid, renewed_at) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (job_uid) DO UPDATE SET holder = excluded.holder,
                        pid = excluded.pid, renewed_at = excluded.renewed_at",
                    params![job_uid, holder, pid, now.to_string()],
                )?;
            }
            Ok(free)
        })
    }

    /// Heartbeat: `false` when the lease now belongs to someone else (stop working).
    pub fn renew_lease(
        &mut self,
        job_uid: &str,
        holder: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let n = self.write(|tx| {
            tx.execute(
                "UPDATE leases SET renewed_at = ?1 WHERE job_uid = ?2 AND holder = ?3",
                params![now.to_string(), job_uid, holder],
            )
        })?;
        Ok(n == 1)
    }

    /// Gives the lease up (the controller finished).
    pub fn release_lease(&mut self, job_uid: &str, holder: &str) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.execute(
                "DELETE FROM leases WHERE job_uid = ?1 AND holder = ?2",
                params![job_uid, holder],
            )
        })?;
        Ok(())
    }

    /// The Job's lease, if any.
    pub fn lease(&self, job_uid: &str) -> Result<Option<Lease>, StoreError> {
        let row: Option<(String, u32, String)> = self
            .conn
            .query_row(
                "SELECT holder, pid, renewed_at FROM leases WHERE job_uid = ?1",
                params![job_uid],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
            .map_err(|e| self.sqlite(e))?;
        Ok(row.map(|(holder, pid, renewed)| Lease {
            job_uid: job_uid.to_string(),
            holder,
            pid,
            renewed_at: renewed.parse().unwrap_or(Timestamp::UNIX_EPOCH),
        }))
    }
}
