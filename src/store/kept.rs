//! What a process keeps of the store files it has opened: that they are set up (WAL,
//! migrated), one connection to each held until the command ends, and the connections of
//! closed [`super::Store`]s, for the next open to take.
//!
//! A command opens its store several times (the run, its lease heartbeat, its recorder, its
//! cleanup). In WAL mode the last connection to close checkpoints the log into the database
//! and deletes it, with four fsyncs; the next open makes the log and its shared-memory index
//! again. A `run` did that once per open, about a fifth of its fixed CPU cost
//! (docs/performance.md). The kept connection makes every other close a plain close: the
//! checkpoint happens once, when [`close_kept_connections`] runs at the end of the command,
//! or earlier when the log reaches SQLite's automatic checkpoint size.
//!
//! A `run` still opened and closed seven connections, each opening its files, setting its
//! pragmas and parsing the schema at its first statement. A closed store's connection is
//! now kept idle ([`give_back`]) and the next open of the same file takes it ([`take_idle`]).

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::Connection;

/// A database file by path and inode: a file removed and made again is new.
type Identity = (PathBuf, u64);

/// Idle connections kept per file: more than a command ever holds at once.
const MAX_IDLE: usize = 4;

/// One database file this process has opened and set up.
struct Kept {
    identity: Identity,
    /// Held open until the command ends (none if it could not be opened a second time: the
    /// store still works, its closes checkpoint).
    #[expect(dead_code, reason = "held for its open file and lock, never read")]
    holder: Option<Connection>,
    /// Connections of closed stores, set up and ready for the next open.
    idle: Vec<Connection>,
}

static KEPT: Mutex<Vec<Kept>> = Mutex::new(Vec::new());

fn identity(path: &Path) -> Option<Identity> {
    use std::os::unix::fs::MetadataExt;
    let inode = std::fs::metadata(path).ok()?.ino();
    Some((path.to_path_buf(), inode))
}

/// Whether this process has already set up the database at `path` (WAL, migrations).
pub(super) fn opened_in_this_process(path: &Path) -> bool {
    let Some(identity) = identity(path) else {
        return false;
    };
    KEPT.lock()
        .map(|kept| kept.iter().any(|k| k.identity == identity))
        .unwrap_or(false)
}

/// Records that the database at `path` is set up, and keeps a connection to it open.
pub(super) fn remember_opened(path: &Path) {
    let (Some(identity), Ok(mut kept)) = (identity(path), KEPT.lock()) else {
        return;
    };
    if !kept.iter().any(|k| k.identity == identity) {
        // A connection takes its lasting shared lock on the file at its first read, not at
        // open: without that read the others' closes would still see themselves as last.
        let holder = Connection::open(path).ok().filter(|conn| {
            conn.query_row("PRAGMA user_version", [], |row| row.get::<_, i64>(0))
                .is_ok()
        });
        kept.push(Kept {
            identity,
            holder,
            idle: Vec::new(),
        });
    }
}

/// An idle connection to the database at `path`, set up by an earlier open in this process.
pub(super) fn take_idle(path: &Path) -> Option<Connection> {
    let identity = identity(path)?;
    let mut kept = KEPT.lock().ok()?;
    kept.iter_mut().find(|k| k.identity == identity)?.idle.pop()
}

/// Keeps the connection of a closed store for the next open, unless the file is not one
/// this process set up (or is gone), enough are kept, or it is inside a transaction; then
/// it is closed.
pub(super) fn give_back(path: &Path, conn: Connection) {
    if !conn.is_autocommit() {
        return;
    }
    let (Some(identity), Ok(mut kept)) = (identity(path), KEPT.lock()) else {
        return;
    };
    if let Some(k) = kept.iter_mut().find(|k| k.identity == identity) {
        if k.idle.len() < MAX_IDLE {
            k.idle.push(conn);
        }
    }
}

/// Closes the kept connections: the last close of each store checkpoints its log into the
/// database and removes it, so the files are left as a finished command leaves them. Called
/// when a command ends, however it ends (`main`, and the exits on a stop signal).
pub fn close_kept_connections() {
    let kept = match KEPT.lock() {
        Ok(mut kept) => std::mem::take(&mut *kept),
        Err(_) => return,
    };
    drop(kept);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tests that close every kept connection run one at a time: the list is the
    /// process's, shared by the test threads.
    static CLOSING: Mutex<()> = Mutex::new(());

    fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
        CLOSING
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether the file named as `db` plus `suffix` exists.
    fn exists(db: &Path, suffix: &str) -> bool {
        let mut name = db.as_os_str().to_os_string();
        name.push(suffix);
        Path::new(&name).exists()
    }

    #[test]
    fn a_store_closed_while_one_is_kept_leaves_its_log_until_the_command_ends() {
        let _serial = one_at_a_time();
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join(super::super::DB_FILE);
        drop(super::super::Store::open(dir.path()).unwrap());
        // Another open and close in the same process: no checkpoint, the log stays.
        drop(super::super::Store::open(dir.path()).unwrap());
        assert!(exists(&db, "-wal"), "the kept connection keeps the log");
        assert!(opened_in_this_process(&db));
        close_kept_connections();
        assert!(
            !exists(&db, "-wal"),
            "the last close checkpoints and removes the log"
        );
        assert!(!exists(&db, "-shm"));
        assert!(!opened_in_this_process(&db));
    }

    #[test]
    fn a_closed_stores_connection_is_taken_by_the_next_open() {
        let _serial = one_at_a_time();
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join(super::super::DB_FILE);
        drop(super::super::Store::open(dir.path()).unwrap());
        assert!(
            take_idle(&db).is_some(),
            "the closed store's connection is kept"
        );
        drop(super::super::Store::open(dir.path()).unwrap());
        let store = super::super::Store::open(dir.path()).unwrap();
        assert!(take_idle(&db).is_none(), "the open took it");
        assert_eq!(
            store.schema_version().unwrap(),
            super::super::MIGRATIONS.len() as i64
        );
        drop(store);
        // A file removed and made again is another database: its connections are not the
        // old file's.
        close_kept_connections();
        std::fs::remove_file(&db).unwrap();
        drop(super::super::Store::open(dir.path()).unwrap());
        assert!(take_idle(&db).is_some());
        close_kept_connections();
        assert!(take_idle(&db).is_none(), "closed at the end of the command");
        assert!(!exists(&db, "-wal"));
    }

    #[test]
    fn a_connection_inside_a_transaction_is_not_kept() {
        let _serial = one_at_a_time();
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join(super::super::DB_FILE);
        drop(super::super::Store::open(dir.path()).unwrap());
        let conn = take_idle(&db).unwrap();
        conn.execute_batch("BEGIN").unwrap();
        give_back(&db, conn);
        assert!(take_idle(&db).is_none());
        close_kept_connections();
    }
}
