//! Writes walked entries as tar headers and data, the way moby/go-archive `addTarFile`
//! does for the docker CLI: uid/gid 0 (`ChownOpts{0,0}`), permission bits only, symlinks as
//! links, a second path to an already-written inode as a hard link, FIFOs and device files
//! as header-only entries (`tar.FileInfoHeader` keeps them, with the device numbers), and
//! sockets left out (`FileInfoHeader` refuses them, and `addTarFile`'s caller logs and skips
//! the error). Checked against the classic `docker build` in `tests/context_oracle.rs`.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use tar::{Builder, EntryType, Header};

use super::sink::Output;
use super::walk::Entry;
use super::ContextError;

/// The tar writer of one context.
pub struct TarWriter {
    builder: Builder<Output>,
    inodes: HashMap<(u64, u64), PathBuf>,
    /// Content that replaces the walked `.dockerignore` (or is added if none was walked).
    dockerignore_override: Option<Vec<u8>>,
    /// Set when the writer is dropped unfinished (an error): the output then discards the
    /// tar trailer that `tar::Builder`'s destructor writes, so a failed context never looks
    /// complete to the engine.
    abandoned: Arc<AtomicBool>,
    finished: bool,
}

impl Drop for TarWriter {
    fn drop(&mut self) {
        if !self.finished {
            self.abandoned.store(true, Ordering::Relaxed);
        }
    }
}

impl TarWriter {
    /// A writer into `output`; `abandoned` is the flag its chunk writer checks.
    pub fn new(
        output: Output,
        dockerignore_override: Option<Vec<u8>>,
        abandoned: Arc<AtomicBool>,
    ) -> TarWriter {
        let mut builder = Builder::new(output);
        builder.follow_symlinks(false);
        TarWriter {
            builder,
            inodes: HashMap::new(),
            dockerignore_override,
            abandoned,
            finished: false,
        }
    }

    /// Writes one walked entry.
    pub fn add(&mut self, entry: Entry<'_>) -> Result<(), ContextError> {
        let file_type = entry.meta.file_type();
        let write_error = |source| ContextError::Write {
            path: entry.abs.to_path_buf(),
            source,
        };
        let mut header = Header::new_gnu();
        header.set_metadata_in_mode(entry.meta, tar::HeaderMode::Complete);
        header.set_uid(0);
        header.set_gid(0);
        header.set_mode(entry.meta.mode() & 0o7777);
        header.set_size(0);
        if file_type.is_dir() {
            header.set_entry_type(EntryType::Directory);
            self.builder
                .append_data(&mut header, entry.rel, io::empty())
                .map_err(write_error)
        } else if file_type.is_symlink() {
            let target =
                std::fs::read_link(entry.abs).map_err(|source| ContextError::Unreadable {
                    path: entry.abs.to_path_buf(),
                    source,
                })?;
            header.set_entry_type(EntryType::Symlink);
            self.builder
                .append_link(&mut header, entry.rel, target)
                .map_err(write_error)
        } else if file_type.is_file() {
            self.add_file(entry, header)
        } else if file_type.is_fifo() || file_type.is_char_device() || file_type.is_block_device() {
            self.add_special(entry, header)
        } else {
            // Sockets are never sent.
            Ok(())
        }
    }

    /// A FIFO or device node: a header without data (never opened: reading a FIFO would
    /// block), a hard link to an earlier path of the same inode as for files.
    fn add_special(&mut self, entry: Entry<'_>, mut header: Header) -> Result<(), ContextError> {
        let write_error = |source| ContextError::Write {
            path: entry.abs.to_path_buf(),
            source,
        };
        if let Some(first) = self.earlier_path(&entry) {
            header.set_entry_type(EntryType::Link);
            return self
                .builder
                .append_link(&mut header, entry.rel, first)
                .map_err(write_error);
        }
        let file_type = entry.meta.file_type();
        if file_type.is_fifo() {
            header.set_entry_type(EntryType::Fifo);
        } else {
            header.set_entry_type(if file_type.is_char_device() {
                EntryType::Char
            } else {
                EntryType::Block
            });
            let rdev = entry.meta.rdev();
            header
                .set_device_major(libc::major(rdev))
                .and_then(|()| header.set_device_minor(libc::minor(rdev)))
                .map_err(write_error)?;
        }
        self.builder
            .append_data(&mut header, entry.rel, io::empty())
            .map_err(write_error)
    }

    /// The path this inode was first written under when it has several links (go-archive
    /// `hasHardlinks`), remembering this one otherwise.
    fn earlier_path(&mut self, entry: &Entry<'_>) -> Option<PathBuf> {
        if entry.meta.nlink() <= 1 {
            return None;
        }
        let key = (entry.meta.dev(), entry.meta.ino());
        if let Some(first) = self.inodes.get(&key) {
            return Some(first.clone());
        }
        self.inodes.insert(key, entry.rel.to_path_buf());
        None
    }

    fn add_file(&mut self, entry: Entry<'_>, mut header: Header) -> Result<(), ContextError> {
        let write_error = |source| ContextError::Write {
            path: entry.abs.to_path_buf(),
            source,
        };
        if entry.rel == Path::new(crate::context::plan::DOCKERIGNORE) {
            if let Some(content) = self.dockerignore_override.take() {
                header.set_size(content.len() as u64);
                return self
                    .builder
                    .append_data(&mut header, entry.rel, content.as_slice())
                    .map_err(write_error);
            }
        }
        if let Some(first) = self.earlier_path(&entry) {
            header.set_entry_type(EntryType::Link);
            return self
                .builder
                .append_link(&mut header, entry.rel, first)
                .map_err(write_error);
        }
        let file = File::open(entry.abs).map_err(|source| ContextError::Unreadable {
            path: entry.abs.to_path_buf(),
            source,
        })?;
        let size = entry.meta.len();
        header.set_entry_type(EntryType::Regular);
        header.set_size(size);
        let reader = ExactReader {
            inner: file.take(size),
            remaining: size,
        };
        self.builder
            .append_data(&mut header, entry.rel, reader)
            .map_err(write_error)
    }

    /// Adds a regular file that is not on disk (mode 0600, mtime now, as docker/cli
    /// `AddDockerfileToBuildContext` does).
    pub fn add_generated(&mut self, name: &str, content: &[u8]) -> Result<(), ContextError> {
        let mut header = Header::new_gnu();
        header.set_entry_type(EntryType::Regular);
        header.set_mode(0o600);
        header.set_uid(0);
        header.set_gid(0);
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        header.set_mtime(now);
        header.set_size(content.len() as u64);
        self.builder
            .append_data(&mut header, name, content)
            .map_err(|source| ContextError::Write {
                path: PathBuf::from(name),
                source,
            })
    }

    /// Adds the `.dockerignore` override if no `.dockerignore` was walked, writes the tar
    /// trailer and returns the output.
    pub fn finish(mut self) -> Result<Output, ContextError> {
        if let Some(content) = self.dockerignore_override.take() {
            self.add_generated(crate::context::plan::DOCKERIGNORE, &content)?;
        }
        self.builder
            .finish()
            .map_err(|source| ContextError::Write {
                path: PathBuf::from("<tar trailer>"),
                source,
            })?;
        self.finished = true;
        let placeholder = Builder::new(Output::Discard);
        std::mem::replace(&mut self.builder, placeholder)
            .into_inner()
            .map_err(|source| ContextError::Write {
                path: PathBuf::from("<tar trailer>"),
                source,
            })
    }
}

/// Reads exactly `remaining` bytes: a file that shrank while it was read is an error
/// instead of a corrupt archive (the header already announced its size).
struct ExactReader {
    inner: io::Take<File>,
    remaining: u64,
}

impl Read for ExactReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buf)?;
        if read == 0 && self.remaining > 0 && !buf.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the file shrank while it was being sent",
            ));
        }
        self.remaining -= read as u64;
        Ok(read)
    }
}
