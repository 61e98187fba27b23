//! The state directory's files and what is said when they fail.
//!
//! Owns the privacy of the state directory — it holds the pods' environment values in clear —
//! and the wording of store errors. The directory is 0700 and every file dockjob puts in it
//! (the database, its `-wal` and `-shm`, the controllers' logs) 0600 whatever the umask, as
//! kubectl writes its kubeconfig and docker its `config.json`; directories and files left
//! looser by an older dockjob are tightened when the store is opened. A directory that cannot
//! be made private (shared with the sticky bit, like `/tmp`, or owned by someone else) is
//! refused rather than changed.
//!
//! Store errors say once what happened and what to do: SQLite's own text says the same thing
//! three times through its error chain (`file is not a database: file is not a database: Error
//! code 26…`), so it is translated here and not passed on as a source.

use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt as _;
use std::os::unix::fs::{DirBuilderExt as _, MetadataExt as _, OpenOptionsExt as _};
use std::path::Path;

use super::{StoreError, DB_FILE};

/// Mode of the state directory and of the directories in it.
pub const DIR_MODE: u32 = 0o700;
/// Mode of every file in the state directory.
pub const FILE_MODE: u32 = 0o600;
/// SQLite's companions of the database file (WAL mode, and a rollback journal before it).
const COMPANIONS: &[&str] = &["-wal", "-shm", "-journal"];

/// Creates `dir` (0700) or checks and tightens an existing one, then tightens the database
/// and its companions and creates the database file 0600 when it is missing, so that SQLite
/// (which gives the `-wal` and `-shm` files the database file's mode) never makes a file
/// others can read.
pub fn prepare_state_dir(dir: &Path) -> Result<(), StoreError> {
    let dir_error = |error: io::Error| StoreError::Dir {
        path: dir.display().to_string(),
        error,
    };
    if !dir.exists() {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(DIR_MODE)
            .create(dir)
            .map_err(dir_error)?;
    }
    let meta = fs::metadata(dir).map_err(dir_error)?;
    if !meta.is_dir() {
        return Err(StoreError::Unusable {
            path: dir.display().to_string(),
            reason: "is not a directory".to_string(),
        });
    }
    if meta.mode() & 0o1000 != 0 {
        return Err(StoreError::Unusable {
            path: dir.display().to_string(),
            reason: "is a shared directory (sticky bit, like /tmp), which cannot be made private"
                .to_string(),
        });
    }
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if meta.uid() != me {
        return Err(StoreError::Unusable {
            path: dir.display().to_string(),
            reason: format!(
                "belongs to another user (uid {}), so it cannot be made private",
                meta.uid()
            ),
        });
    }
    if let Some(other) = foreign_entry(dir).map_err(dir_error)? {
        return Err(StoreError::Unusable {
            path: dir.display().to_string(),
            reason: format!(
                "holds other files ({other}) and no dockjob store ({DB_FILE}): dockjob makes \
                 its directory private (0700, files 0600), so it takes an empty or new one"
            ),
        });
    }
    // A state directory given as a symlink (`--state-dir ~/jobs` -> elsewhere) is the
    // directory it points to that must be private: `tighten` leaves symlinks alone.
    let real = fs::canonicalize(dir).map_err(dir_error)?;
    tighten(&real, DIR_MODE).map_err(dir_error)?;
    let db = dir.join(DB_FILE);
    for companion in COMPANIONS {
        let mut name = db.clone().into_os_string();
        name.push(companion);
        tighten(Path::new(&name), FILE_MODE).map_err(dir_error)?;
    }
    if tighten(&db, FILE_MODE).map_err(dir_error)? == Presence::Missing {
        create_private_file(&db, false).map_err(|error| StoreError::Dir {
            path: db.display().to_string(),
            error,
        })?;
    }
    // Everything else in it, one level down (the controllers' logs, a file left by an older
    // dockjob or by hand): a loose log in a private directory stayed loose. One `lstat` per
    // file; best effort, as the directory itself is already private.
    tighten_entries(dir, 1);
    Ok(())
}

/// A file of an existing directory without a store that is none of dockjob's: such a
/// directory is someone else's (`--state-dir .` in a project, `DOCKJOB_STATE_DIR=$HOME`), and
/// was made 0700 (as root, `--state-dir /etc` made /etc 0700).
fn foreign_entry(dir: &Path) -> io::Result<Option<String>> {
    if fs::symlink_metadata(dir.join(DB_FILE)).is_ok() {
        return Ok(None);
    }
    for entry in fs::read_dir(dir)?.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        // `dockjob.db.bad` too: what the damaged-store message tells the user to do.
        let ours = name == CONTROLLERS_DIR || name.starts_with(DB_FILE);
        if !ours {
            return Ok(Some(name.into_owned()));
        }
    }
    Ok(None)
}

/// Tightens every entry of `dir` (files 0600, directories 0700), and those of its
/// directories down to `depth` more levels. Symlinks are left alone (see [`tighten`]); an
/// entry that cannot be changed (another user's, or gone meanwhile) is left as it is.
fn tighten_entries(dir: &Path, depth: u32) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let path = entry.path();
        if kind.is_dir() {
            let _ = tighten(&path, DIR_MODE);
            if depth > 0 {
                tighten_entries(&path, depth - 1);
            }
        } else if !kind.is_symlink() {
            let _ = tighten(&path, FILE_MODE);
        }
    }
}

/// The directory of the controllers' logs inside the state directory.
pub const CONTROLLERS_DIR: &str = "controllers";

/// Creates `dir` 0700 (parents included) and tightens it when it exists.
pub fn private_dir(dir: &Path) -> io::Result<()> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(DIR_MODE)
        .create(dir)?;
    tighten(dir, DIR_MODE).map(|_| ())
}

/// Opens `path` for appending (or, without `append`, for writing without truncating),
/// creating it 0600, and tightens it when it existed looser.
pub fn create_private_file(path: &Path, append: bool) -> io::Result<fs::File> {
    let mut options = fs::OpenOptions::new();
    options.create(true).mode(FILE_MODE);
    if append {
        options.append(true);
    } else {
        options.write(true);
    }
    let file = options.open(path)?;
    let mode = file.metadata()?.permissions().mode() & 0o7777;
    if mode & !FILE_MODE != 0 {
        file.set_permissions(fs::Permissions::from_mode(FILE_MODE))?;
    }
    Ok(file)
}

#[derive(Debug, PartialEq, Eq)]
enum Presence {
    Missing,
    AlreadyPrivate,
    Loosened,
}

/// Removes the group and other bits of `path` (and any bits beyond `mode`).
fn tighten(path: &Path, mode: u32) -> io::Result<Presence> {
    let meta = match fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Presence::Missing),
        Err(e) => return Err(e),
    };
    // A symlink's own mode means nothing, and its target may not be dockjob's to change.
    if meta.file_type().is_symlink() || meta.mode() & 0o7777 & !mode == 0 {
        return Ok(Presence::AlreadyPrivate);
    }
    match fs::set_permissions(path, fs::Permissions::from_mode(meta.mode() & mode)) {
        Ok(()) => Ok(Presence::Loosened),
        // A read-only filesystem cannot be changed; the store's own errors say so later.
        Err(e) if e.raw_os_error() == Some(libc::EROFS) => Ok(Presence::AlreadyPrivate),
        Err(e) => Err(e),
    }
}

/// What went wrong with the database at `path`, and what to do, in one sentence
/// (without SQLite's repeated text).
pub fn describe_sqlite(path: &str, error: &rusqlite::Error) -> String {
    use rusqlite::ErrorCode;
    let aside = format!(
        "move it aside (mv {path} {path}.bad) to start a new, empty store, or use --state-dir \
         DIR (or DOCKJOB_STATE_DIR) for another one"
    );
    let elsewhere = "or use --state-dir DIR (or DOCKJOB_STATE_DIR) on another filesystem";
    let rusqlite::Error::SqliteFailure(failure, message) = error else {
        return format!("unexpected content ({error}); it may be damaged: {aside}");
    };
    let dir = Path::new(path).parent().unwrap_or(Path::new("."));
    let detail = message.clone().unwrap_or_else(|| failure.to_string());
    match failure.code {
        ErrorCode::NotADatabase => format!("is not a SQLite database (damaged, or another program's file): {aside}"),
        ErrorCode::DatabaseCorrupt => format!("is damaged (SQLite: {detail}): {aside}"),
        ErrorCode::DiskFull => format!(
            "the disk is full, so it cannot be written: free space on {}, {elsewhere}",
            dir.display()
        ),
        ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => {
            "is locked by another dockjob process (waited 15s): try again when it is done".to_string()
        }
        ErrorCode::ReadOnly
        | ErrorCode::CannotOpen
        | ErrorCode::PermissionDenied
        | ErrorCode::SystemIoFailure => match access_problem(dir, Path::new(path)) {
            Some((problem, remedy)) => format!("{problem}: {remedy}, {elsewhere}"),
            None if failure.code == ErrorCode::SystemIoFailure => format!(
                "an I/O error (SQLite: {detail}): check the disk (dmesg), {elsewhere}"
            ),
            None => format!("cannot be opened for writing (SQLite: {detail}): check {}'s permissions, {elsewhere}", dir.display()),
        },
        _ => format!("SQLite: {detail}"),
    }
}

/// Why `file` in `dir` cannot be written, when the filesystem or the permissions say so, and
/// what would help.
fn access_problem(dir: &Path, file: &Path) -> Option<(String, &'static str)> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt as _;
    let c_dir = CString::new(dir.as_os_str().as_bytes()).ok()?;
    // SAFETY: statvfs writes only into the zeroed struct it is given; the path is a valid C
    // string that outlives the call.
    let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(c_dir.as_ptr(), &mut stat) } == 0 {
        if stat.f_flag & libc::ST_RDONLY != 0 {
            let problem = format!("it is on a read-only filesystem ({})", dir.display());
            return Some((problem, "remount it read-write"));
        }
        if stat.f_bavail == 0 {
            let problem = format!("the disk holding {} is full", dir.display());
            return Some((problem, "free space there"));
        }
    }
    // SAFETY: access only reads the path.
    if unsafe { libc::access(c_dir.as_ptr(), libc::W_OK | libc::X_OK) } != 0 {
        let problem = format!("its directory {} is not writable by you", dir.display());
        return Some((problem, "make it writable"));
    }
    let c_file = CString::new(file.as_os_str().as_bytes()).ok()?;
    // SAFETY: as above.
    if file.exists() && unsafe { libc::access(c_file.as_ptr(), libc::W_OK) } != 0 {
        return Some((
            "the file is not writable by you".to_string(),
            "make it writable",
        ));
    }
    None
}
