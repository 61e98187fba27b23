//! The errors of packing a context; every variant names the path involved.

use std::io;
use std::path::PathBuf;

use crate::context::PatternError;

/// Why the context could not be prepared or packed. Every variant names the path involved.
#[derive(Debug, thiserror::Error)]
pub enum ContextError {
    /// The context directory does not exist or cannot be resolved.
    #[error("cannot use build context {path}: {source}")]
    ContextDir {
        /// The directory as given.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// The context path is not a directory.
    #[error("build context must be a directory: {path}")]
    NotADirectory {
        /// The path as resolved.
        path: PathBuf,
    },
    /// The Dockerfile is missing or unreadable.
    #[error("cannot locate Dockerfile {path}: {source}")]
    Dockerfile {
        /// The Dockerfile path.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// The ignore file exists but cannot be read.
    #[error("cannot read {path}: {source}")]
    IgnoreFileRead {
        /// The ignore file.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// A line of the ignore file is not a valid pattern.
    #[error("{path}: {source}")]
    IgnorePattern {
        /// The ignore file.
        path: PathBuf,
        /// Which line and why.
        source: PatternError,
    },
    /// A file that is not excluded cannot be read.
    #[error("cannot read {path} (it is not excluded by .dockerignore): {source}")]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// A directory that is not excluded cannot be listed.
    #[error("cannot list directory {path} (it is not excluded by .dockerignore): {source}")]
    ReadDir {
        /// The directory.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// An entry cannot be examined.
    #[error("cannot stat {path}: {source}")]
    Stat {
        /// The entry.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// Writing the archive failed (the upload stopped, or a file changed while read).
    #[error("cannot add {path} to the archive: {source}")]
    Write {
        /// The entry being written.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// The packing thread could not start.
    #[error("cannot start the packing thread: {0}")]
    Spawn(io::Error),
}
