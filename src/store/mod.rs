//! The state store: one SQLite database (WAL) in the XDG state directory holding Jobs,
//! pods (one row per container attempt), events, controller leases, ConfigMaps and Secrets, so Jobs outlive the
//! command that started them and several dockjob processes can read and write at once.
//!
//! Writes are transactions (`BEGIN IMMEDIATE`, so two writers queue instead of failing);
//! readers never block writers (WAL). The schema is versioned with `PRAGMA user_version`
//! and migrated forward on open. No engine, no tokio: callers on async code use
//! `spawn_blocking` or keep calls short.

mod data_objects;
mod events;
pub mod files;
mod inputs;
mod jobs;
mod kept;
mod lease;
pub mod objects;
mod pods;
mod recorder;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, TransactionBehavior};

pub use data_objects::{ObjectApplyOutcome, StoreObjects};
pub use jobs::{as_created, ApplyOutcome, ControllerCheck, JobLiveness, StoredJob};
pub use kept::close_kept_connections;
pub use lease::Lease;
pub use pods::{pod_object, PodAttempt, StoredPod};
pub use recorder::StoreRecorder;

/// File name of the database inside the state directory.
pub const DB_FILE: &str = "dockjob.db";
/// How long a writer waits for another writer's transaction before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(15);

/// Migrations, in order; `user_version` is the number applied. Never edit one that shipped.
const MIGRATIONS: &[&str] = &[
    // 1: jobs, pods (one row per container attempt), events, leases.
    "CREATE TABLE jobs (
        namespace   TEXT NOT NULL,
        name        TEXT NOT NULL,
        uid         TEXT NOT NULL UNIQUE,
        manifest    TEXT NOT NULL,
        status      TEXT,
        created_at  TEXT NOT NULL,
        deleted_at  TEXT,
        generation  INTEGER NOT NULL DEFAULT 1,
        PRIMARY KEY (namespace, name)
    );
    CREATE TABLE pods (
        namespace    TEXT NOT NULL,
        name         TEXT NOT NULL,
        attempt      INTEGER NOT NULL,
        job_uid      TEXT NOT NULL,
        uid          TEXT NOT NULL,
        container_id TEXT,
        phase        TEXT NOT NULL,
        exit_code    INTEGER,
        reason       TEXT,
        restarts     INTEGER NOT NULL,
        created_at   TEXT NOT NULL,
        started_at   TEXT,
        finished_at  TEXT,
        object       TEXT NOT NULL,
        PRIMARY KEY (namespace, name, attempt)
    );
    CREATE INDEX pods_by_job ON pods (job_uid);
    CREATE TABLE events (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        namespace   TEXT NOT NULL,
        job_uid     TEXT NOT NULL,
        object_kind TEXT NOT NULL,
        object_name TEXT NOT NULL,
        type        TEXT NOT NULL,
        reason      TEXT NOT NULL,
        message     TEXT NOT NULL,
        source      TEXT NOT NULL,
        count       INTEGER NOT NULL DEFAULT 1,
        first_seen  TEXT NOT NULL,
        last_seen   TEXT NOT NULL
    );
    CREATE INDEX events_by_object ON events (namespace, object_kind, object_name);
    CREATE INDEX events_by_job ON events (job_uid);
    CREATE TABLE leases (
        job_uid    TEXT PRIMARY KEY,
        holder     TEXT NOT NULL,
        pid        INTEGER NOT NULL,
        renewed_at TEXT NOT NULL
    );",
    // 2: the controller's input log, replayed by a new controller after a crash.
    "ALTER TABLE jobs ADD COLUMN controller_seed TEXT;
    ALTER TABLE jobs ADD COLUMN controller_started TEXT;
    CREATE TABLE controller_inputs (
        job_uid TEXT NOT NULL,
        seq     INTEGER NOT NULL,
        at      TEXT NOT NULL,
        input   TEXT NOT NULL,
        PRIMARY KEY (job_uid, seq)
    );",
    // 3: where each container attempt ran (`describe pod`'s Node and IPs), kept apart from
    // the object so that a resumed controller, which finds exited containers without
    // addresses, does not erase them.
    "ALTER TABLE pods ADD COLUMN node_name TEXT;
    ALTER TABLE pods ADD COLUMN host_ip TEXT;
    ALTER TABLE pods ADD COLUMN pod_ips TEXT;",
    // 4: the engine endpoint a Job was created on, so that every later command (a restarted
    // controller, logs, delete) talks to that engine and not to whatever -H or DOCKER_HOST
    // says at the time.
    "ALTER TABLE jobs ADD COLUMN engine TEXT;",
    // 5: ConfigMaps and Secrets (the object as the API server stores it, Secret data base64),
    // read by pods at each container start.
    "CREATE TABLE data_objects (
        namespace  TEXT NOT NULL,
        kind       TEXT NOT NULL,
        name       TEXT NOT NULL,
        object     TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (namespace, kind, name)
    );",
];

/// The schema [`MIGRATIONS`] make, written out whole for a new store: one pass, where the
/// migrations' `ALTER TABLE`s each made SQLite parse the whole schema again (a new store cost
/// 6 M instructions, 7 % of a 40-pod `run` in a new state directory). Columns come in the
/// order the migrations add them; `tests.rs` checks that both give the same tables, columns
/// and indexes. A new migration is added to both.
const SCHEMA: &str = "CREATE TABLE jobs (
        namespace   TEXT NOT NULL,
        name        TEXT NOT NULL,
        uid         TEXT NOT NULL UNIQUE,
        manifest    TEXT NOT NULL,
        status      TEXT,
        created_at  TEXT NOT NULL,
        deleted_at  TEXT,
        generation  INTEGER NOT NULL DEFAULT 1,
        controller_seed TEXT,
        controller_started TEXT,
        engine TEXT,
        PRIMARY KEY (namespace, name)
    );
    CREATE TABLE pods (
        namespace    TEXT NOT NULL,
        name         TEXT NOT NULL,
        attempt      INTEGER NOT NULL,
        job_uid      TEXT NOT NULL,
        uid          TEXT NOT NULL,
        container_id TEXT,
        phase        TEXT NOT NULL,
        exit_code    INTEGER,
        reason       TEXT,
        restarts     INTEGER NOT NULL,
        created_at   TEXT NOT NULL,
        started_at   TEXT,
        finished_at  TEXT,
        object       TEXT NOT NULL,
        node_name TEXT,
        host_ip TEXT,
        pod_ips TEXT,
        PRIMARY KEY (namespace, name, attempt)
    );
    CREATE INDEX pods_by_job ON pods (job_uid);
    CREATE TABLE events (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        namespace   TEXT NOT NULL,
        job_uid     TEXT NOT NULL,
        object_kind TEXT NOT NULL,
        object_name TEXT NOT NULL,
        type        TEXT NOT NULL,
        reason      TEXT NOT NULL,
        message     TEXT NOT NULL,
        source      TEXT NOT NULL,
        count       INTEGER NOT NULL DEFAULT 1,
        first_seen  TEXT NOT NULL,
        last_seen   TEXT NOT NULL
    );
    CREATE INDEX events_by_object ON events (namespace, object_kind, object_name);
    CREATE INDEX events_by_job ON events (job_uid);
    CREATE TABLE leases (
        job_uid    TEXT PRIMARY KEY,
        holder     TEXT NOT NULL,
        pid        INTEGER NOT NULL,
        renewed_at TEXT NOT NULL
    );
    CREATE TABLE controller_inputs (
        job_uid TEXT NOT NULL,
        seq     INTEGER NOT NULL,
        at      TEXT NOT NULL,
        input   TEXT NOT NULL,
        PRIMARY KEY (job_uid, seq)
    );
    CREATE TABLE data_objects (
        namespace  TEXT NOT NULL,
        kind       TEXT NOT NULL,
        name       TEXT NOT NULL,
        object     TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (namespace, kind, name)
    );";

/// Store failures. Each says once what happened and what to do; SQLite's error is kept for
/// callers that look at it but is not shown as a separate cause (see [`files`]).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed (locked past the timeout, disk full, corrupt file, read-only, …).
    #[error("state store {path}: {}", files::describe_sqlite(.path, .error))]
    Sqlite {
        /// The database file.
        path: String,
        /// What SQLite said.
        error: rusqlite::Error,
    },
    /// The state directory could not be created or read.
    #[error("state directory {path}: {error}; use --state-dir DIR (or DOCKJOB_STATE_DIR) for one you can write")]
    Dir {
        /// The directory.
        path: String,
        /// The I/O error.
        error: std::io::Error,
    },
    /// The state directory exists but cannot be made private.
    #[error("state directory {path} {reason}: use --state-dir DIR (or DOCKJOB_STATE_DIR) for a directory of your own")]
    Unusable {
        /// The directory.
        path: String,
        /// Why it cannot be used.
        reason: String,
    },
    /// The database was migrated by a newer dockjob.
    #[error("state store {path} has schema version {found}; this dockjob knows up to {known} (upgrade dockjob)")]
    TooNew {
        /// The database file.
        path: String,
        /// Its version.
        found: i64,
        /// The newest this build knows.
        known: i64,
    },
    /// A stored object could not be decoded.
    #[error("state store {path}: corrupt {what} ({detail}): delete that Job, or move the file aside (mv {path} {path}.bad) to start a new store")]
    Corrupt {
        /// The database file.
        path: String,
        /// Which object.
        what: String,
        /// The decoding error.
        detail: String,
    },
}

impl StoreError {
    /// Whether the store could not be written because its disk is full.
    pub fn is_disk_full(&self) -> bool {
        matches!(self, StoreError::Sqlite { error: rusqlite::Error::SqliteFailure(f, _), .. }
            if f.code == rusqlite::ErrorCode::DiskFull)
    }
}

/// An open state store.
pub struct Store {
    /// Given back to [`kept`] when the store is dropped, for the next open to take.
    conn: std::mem::ManuallyDrop<Connection>,
    path: PathBuf,
    /// The engine endpoint Jobs created through this handle are recorded with.
    engine: Option<String>,
}

/// The state directory: `--state-dir`, else `$DOCKJOB_STATE_DIR`, else `$XDG_STATE_HOME/dockjob`,
/// else `~/.local/state/dockjob` (XDG base directory spec).
pub fn state_dir(flag: Option<&Path>) -> PathBuf {
    if let Some(dir) = flag {
        return dir.to_path_buf();
    }
    let env = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    if let Some(dir) = env("DOCKJOB_STATE_DIR") {
        return PathBuf::from(dir);
    }
    if let Some(dir) = env("XDG_STATE_HOME") {
        return PathBuf::from(dir).join("dockjob");
    }
    let home = env("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."));
    home.join(".local/state/dockjob")
}

/// Switches to WAL, retrying while another process holds the lock: SQLite does not call the
/// busy handler for a journal-mode change, so two dockjob processes opening a new store at
/// the same moment would otherwise fail with "database is locked" (seen with two concurrent
/// `apply`s of one name).
fn set_wal_mode(conn: &Connection) -> Result<(), rusqlite::Error> {
    let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
    loop {
        match conn.pragma_update(None, "journal_mode", "WAL") {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            other => return other,
        }
    }
}

impl Store {
    /// Opens (creating and migrating as needed) the store in `dir`.
    /// The directory is made private first (see [`files`]).
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        files::prepare_state_dir(dir)?;
        let path = dir.join(DB_FILE);
        // A connection kept from an earlier open has its pragmas set already; the schema
        // version is checked either way (another dockjob may have migrated the file since).
        let (conn, fresh) = match kept::take_idle(&path) {
            Some(conn) => (conn, false),
            None => {
                let conn = Connection::open(&path).map_err(|error| StoreError::Sqlite {
                    path: path.display().to_string(),
                    error,
                })?;
                (conn, true)
            }
        };
        let mut store = Self {
            conn: std::mem::ManuallyDrop::new(conn),
            path,
            engine: None,
        };
        if fresh {
            store.configure()?;
        }
        store.migrate()?;
        Ok(store)
    }

    /// Jobs created (or applied as new) through this handle from now on remember `endpoint`
    /// as their engine ([`StoredJob::engine`]).
    pub fn set_engine(&mut self, endpoint: &str) {
        self.engine = Some(endpoint.to_string());
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn configure(&mut self) -> Result<(), StoreError> {
        let conn = &self.conn;
        let first_open = !kept::opened_in_this_process(&self.path);
        let result = conn.busy_timeout(BUSY_TIMEOUT).and_then(|()| {
            // WAL is a property of the file, kept across connections: set once per process.
            if first_open {
                // A new, empty file: the switch writes its first page through a rollback
                // journal, with four fsyncs (journal, directory, journal, database) to protect
                // a database that holds nothing yet. A crash there loses no data either way.
                let empty = std::fs::metadata(&self.path).is_ok_and(|m| m.len() == 0);
                if empty {
                    conn.pragma_update(None, "synchronous", "OFF")?;
                }
                set_wal_mode(conn)?;
            }
            // These hold for this connection only.
            conn.execute_batch("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;")
        });
        result.map_err(|e| self.sqlite(e))
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        let known = MIGRATIONS.len() as i64;
        // Up to date (the usual case): no write transaction, whose lock every open took.
        // Migrations only ever raise the version, so one seen current stays current.
        if self.schema_version()? == known {
            kept::remember_opened(&self.path);
            return Ok(());
        }
        let path = self.path.display().to_string();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|error| StoreError::Sqlite {
                path: path.clone(),
                error,
            })?;
        let sqlite = |error| StoreError::Sqlite {
            path: path.clone(),
            error,
        };
        let version: i64 = tx
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(sqlite)?;
        if version > known {
            return Err(StoreError::TooNew {
                path,
                found: version,
                known,
            });
        }
        let empty = version == 0
            && tx
                .query_row("SELECT count(*) FROM sqlite_master", [], |r| {
                    r.get::<_, i64>(0)
                })
                .map_err(sqlite)?
                == 0;
        if empty {
            tx.execute_batch(SCHEMA).map_err(sqlite)?;
            tx.pragma_update(None, "user_version", known)
                .map_err(sqlite)?;
        } else {
            for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
                tx.execute_batch(sql).map_err(sqlite)?;
                tx.pragma_update(None, "user_version", i as i64 + 1)
                    .map_err(sqlite)?;
            }
        }
        tx.commit().map_err(sqlite)?;
        kept::remember_opened(&self.path);
        Ok(())
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        self.conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| self.sqlite(e))
    }

    fn sqlite(&self, error: rusqlite::Error) -> StoreError {
        StoreError::Sqlite {
            path: self.path.display().to_string(),
            error,
        }
    }

    fn corrupt(&self, what: &str, detail: impl ToString) -> StoreError {
        StoreError::Corrupt {
            path: self.path.display().to_string(),
            what: what.to_string(),
            detail: detail.to_string(),
        }
    }

    /// Runs `f` in a `BEGIN IMMEDIATE` transaction (writers queue behind each other).
    fn write<T>(
        &mut self,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T, rusqlite::Error>,
    ) -> Result<T, StoreError> {
        let path = self.path.display().to_string();
        let sqlite = |error| StoreError::Sqlite {
            path: path.clone(),
            error,
        };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sqlite)?;
        let value = f(&tx).map_err(sqlite)?;
        tx.commit().map_err(sqlite)?;
        Ok(value)
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        // SAFETY: `conn` is taken once, here, and the store is not used after its drop.
        let conn = unsafe { std::mem::ManuallyDrop::take(&mut self.conn) };
        kept::give_back(&self.path, conn);
    }
}

#[cfg(test)]
mod tests;
