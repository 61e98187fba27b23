//! The filesystem walk shared by the pre-upload check and the tar writer: lexical byte
//! order like Go's `filepath.Walk`, a directory before its children, symlinks never
//! followed, and every entry decided by [`crate::context::plan::decide`].

use std::ffi::OsString;
use std::fs::{self, Metadata};
use std::io;
use std::path::Path;
use std::time::SystemTime;

use crate::context::plan::{self, WalkDecision};
use crate::context::{IgnoreFile, ParentMatches};

use super::ContextError;

/// One entry the walk hands to its visitor.
pub struct Entry<'a> {
    /// Absolute path on disk.
    pub abs: &'a Path,
    /// Path relative to the walk root (the tar name).
    pub rel: &'a Path,
    /// `lstat` metadata (symlinks not followed).
    pub meta: &'a Metadata,
}

/// Walks `root` (not included itself) and calls `visit` for every entry that is not
/// excluded. An entry that disappears during the walk is skipped (like Go's walk);
/// directories that cannot be listed are errors.
pub fn walk(
    root: &Path,
    ignore: Option<&IgnoreFile>,
    visit: &mut dyn FnMut(Entry<'_>) -> Result<(), ContextError>,
) -> Result<(), ContextError> {
    walk_dir(
        root,
        Path::new(""),
        &ParentMatches::default(),
        ignore,
        visit,
    )
}

fn walk_dir(
    root: &Path,
    rel_dir: &Path,
    parent: &ParentMatches,
    ignore: Option<&IgnoreFile>,
    visit: &mut dyn FnMut(Entry<'_>) -> Result<(), ContextError>,
) -> Result<(), ContextError> {
    let dir_abs = root.join(rel_dir);
    for name in sorted_names(&dir_abs)? {
        let rel = rel_dir.join(&name);
        let abs = root.join(&rel);
        let meta = match fs::symlink_metadata(&abs) {
            Ok(meta) => meta,
            Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
            Err(source) => return Err(ContextError::Stat { path: abs, source }),
        };
        let (decision, info) = match ignore {
            Some(rules) => plan::decide(rules, &rel.to_string_lossy(), meta.is_dir(), parent),
            None => (WalkDecision::Include, ParentMatches::default()),
        };
        match decision {
            WalkDecision::Skip | WalkDecision::SkipDir => {}
            WalkDecision::DescendOnly => walk_dir(root, &rel, &info, ignore, visit)?,
            WalkDecision::Include => {
                visit(Entry {
                    abs: &abs,
                    rel: &rel,
                    meta: &meta,
                })?;
                if meta.is_dir() {
                    walk_dir(root, &rel, &info, ignore, visit)?;
                }
            }
        }
    }
    Ok(())
}

/// The names in `dir`, sorted by bytes (Go `filepath.Walk` sorts with `sort.Strings`).
fn sorted_names(dir: &Path) -> Result<Vec<OsString>, ContextError> {
    let error = |source| ContextError::ReadDir {
        path: dir.to_path_buf(),
        source,
    };
    let mut names = Vec::new();
    for entry in fs::read_dir(dir).map_err(error)? {
        names.push(entry.map_err(error)?.file_name());
    }
    names.sort();
    Ok(names)
}

/// The pre-upload check (docker/cli `ValidateContextDirectory`): every regular file that
/// will be sent must open for reading. Run before the upload starts so that the error is a
/// clear message instead of a truncated body. Returns the newest modification time among
/// the entries that will be sent (`None` for an empty tree), which dates the sources when
/// git cannot.
pub fn check_readable(
    root: &Path,
    ignore: Option<&IgnoreFile>,
) -> Result<Option<SystemTime>, ContextError> {
    let mut newest: Option<SystemTime> = None;
    walk(root, ignore, &mut |entry| {
        if entry.meta.file_type().is_file() {
            fs::File::open(entry.abs).map_err(|source| ContextError::Unreadable {
                path: entry.abs.to_path_buf(),
                source,
            })?;
        }
        if let Ok(modified) = entry.meta.modified() {
            newest = newest.max(Some(modified));
        }
        Ok(())
    })?;
    Ok(newest)
}
