//! What a process keeps of the store files it has opened: that they are set up (WAL,
//! migrated), and one idle connection to each, held until the command ends.
//!
//! A command opens its store several times (the run, its lease heartbeat, its recorder, its
//! cleanup). In WAL mode the last connection to close checkpoints the log into the database
//! and deletes it, with four fsyncs; the next open makes the log and its shared-memory index
//! again. A `run` did that once per open, about a fifth of its fixed CPU cost
//! (docs/performance.md). The kept connection makes every other close a plain close: the
//! checkpoint happens once, when [`close_kept_connections`] runs at the end of the command,
//! or earlier when the log reaches SQLite's automatic checkpoint size.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::Connection;

/// A database file by path and inode: a file removed and made again is new.
type Identity = (PathBuf, u64);

/// The files this process has opened and set up, each with its kept connection (none if it
/// could not be opened a second time: the store still works, its closes checkpoint).
static KEPT: Mutex<Vec<(Identity, Option<Connection>)>> = Mutex::new(Vec::new());

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
        .map(|kept| kept.iter().any(|(known, _)| *known == identity))
        .unwrap_or(false)
}

/// Records that the database at `path` is set up, and keeps a connection to it open.
pub(super) fn remember_opened(path: &Path) {
    let (Some(identity), Ok(mut kept)) = (identity(path), KEPT.lock()) else {
        return;
    };
    if !kept.iter().any(|(known, _)| *known == identity) {
        // A connection takes its lasting shared lock on the file at its first read, not at
        // open: without that read the others' closes would still see themselves as last.
        let connection = Connection::open(path).ok().filter(|conn| {
            conn.query_row("PRAGMA user_version", [], |row| row.get::<_, i64>(0))
                .is_ok()
        });
        kept.push((identity, connection));
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

    /// Whether the file named as `db` plus `suffix` exists.
    fn exists(db: &Path, suffix: &str) -> bool {
        let mut name = db.as_os_str().to_os_string();
        name.push(suffix);
        Path::new(&name).exists()
    }

    #[test]
    fn a_store_closed_while_one_is_kept_leaves_its_log_until_the_command_ends() {
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
}
