//! Packing a directory into the request body the engine wants: the build context for
//! `POST /build` (with `.dockerignore` applied, the Dockerfile and `.dockerignore` always
//! sent, a Dockerfile from outside the context or stdin added under a random name) and a
//! root filesystem for `POST /images/create?fromSrc=-`.
//!
//! The tree is walked, tarred and compressed on a dedicated thread while the engine reads:
//! the thread writes into a bounded channel of 64 KiB chunks, so memory stays flat whatever
//! the size of the tree. Owns the filesystem I/O; the rules come from [`crate::context`].
//! Must not import bollard (the engine adapter turns the stream into a body).

mod error;
mod gzip;
mod resolve;
mod sink;
mod tar_writer;
mod walk;

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use futures_util::Stream;

pub use crate::context::{BuildContext, DockerfileSource};
pub use error::ContextError;
pub use resolve::{ignore_file_for, prepare_context};
pub use sink::{Compression, CHANNEL_SLOTS, CHUNK_SIZE};

/// The body stream: chunks of tar (gzip-compressed unless asked otherwise); an error
/// while packing arrives as the last item.
pub type BodyItem = io::Result<Bytes>;

/// Options of [`context_body`].
#[derive(Debug, Clone, Copy)]
pub struct PackOptions {
    /// How the tar is compressed.
    pub compression: Compression,
    /// Walk once before the upload and fail if a file that would be sent cannot be opened
    /// (docker/cli `ValidateContextDirectory`), so the error comes before any byte is sent.
    pub check_readable_first: bool,
}

impl Default for PackOptions {
    fn default() -> Self {
        PackOptions {
            compression: Compression::default(),
            check_readable_first: true,
        }
    }
}

/// Walks once and fails on the first file that would be sent but cannot be opened
/// (docker/cli `ValidateContextDirectory`, restricted to what is really sent); returns the
/// newest modification time of what will be sent.
pub fn check_readable(context: &BuildContext) -> Result<Option<SystemTime>, ContextError> {
    walk::check_readable(&context.root, Some(&context.ignore))
}

/// A build context ready to stream: what [`context_body`] returns.
pub struct ContextBody<S> {
    /// The `dockerfile=` value of `POST /build`.
    pub dockerfile_name: String,
    /// The newest modification time among the entries sent (known when the readability
    /// walk ran, see [`PackOptions::check_readable_first`]).
    pub newest_mtime: Option<SystemTime>,
    /// The tar stream.
    pub stream: S,
}

impl<S> ContextBody<S> {
    /// The `dockerfile=` value and the stream.
    pub fn into_parts(self) -> (String, S) {
        (self.dockerfile_name, self.stream)
    }
}

/// Starts packing `context` on a new thread and returns the body stream.
pub fn pack_context(
    context: BuildContext,
    compression: Compression,
) -> Result<impl Stream<Item = BodyItem> + Send + 'static, ContextError> {
    spawn_packer(compression, move |writer, abandoned| {
        let mut tar = tar_writer::TarWriter::new(writer, context.dockerignore_override, abandoned);
        walk::walk(&context.root, Some(&context.ignore), &mut |entry| {
            tar.add(entry)
        })?;
        if let Some(content) = &context.inline_dockerfile {
            tar.add_generated(&context.dockerfile_name, content)?;
        }
        tar.finish()
    })
}

/// The build context body for `POST /build`. Blocks for the pre-upload readability walk
/// when [`PackOptions::check_readable_first`] is set (call it from `spawn_blocking` for huge
/// trees); the packing itself runs on its own thread.
pub fn context_body(
    context_dir: &Path,
    dockerfile: DockerfileSource,
    options: PackOptions,
) -> Result<ContextBody<impl Stream<Item = BodyItem> + Send + 'static>, ContextError> {
    let context = prepare_context(context_dir, &dockerfile)?;
    let newest_mtime = if options.check_readable_first {
        check_readable(&context)?
    } else {
        None
    };
    Ok(ContextBody {
        dockerfile_name: context.dockerfile_name.clone(),
        newest_mtime,
        stream: pack_context(context, options.compression)?,
    })
}

/// A root filesystem directory as a tar body (for `docker image import`): every entry,
/// symlinks as links, modes kept, uid/gid 0, sockets, FIFOs and devices left out.
pub fn dir_body(
    root: &Path,
    compression: Compression,
) -> Result<impl Stream<Item = BodyItem> + Send + 'static, ContextError> {
    let root = root.to_path_buf();
    let meta = std::fs::metadata(&root).map_err(|source| ContextError::ContextDir {
        path: root.clone(),
        source,
    })?;
    if !meta.is_dir() {
        return Err(ContextError::NotADirectory { path: root });
    }
    walk::check_readable(&root, None)?;
    spawn_packer(compression, move |writer, abandoned| {
        let mut tar = tar_writer::TarWriter::new(writer, None, abandoned);
        walk::walk(&root, None, &mut |entry| tar.add(entry))?;
        tar.finish()
    })
}

/// An existing archive (`.tar`, `.tar.gz`, …) streamed as is; the engine detects the
/// compression.
pub fn file_body(
    path: &Path,
) -> Result<impl Stream<Item = BodyItem> + Send + 'static, ContextError> {
    use std::io::Read;
    let mut file = std::fs::File::open(path).map_err(|source| ContextError::Unreadable {
        path: path.to_path_buf(),
        source,
    })?;
    let path = path.to_path_buf();
    let (sender, stream) = sink::channel();
    std::thread::Builder::new()
        .name("dockjob-archive".into())
        .spawn(move || {
            let mut buffer = vec![0u8; CHUNK_SIZE];
            loop {
                let item = match file.read(&mut buffer) {
                    Ok(0) => return,
                    Ok(read) => Ok(Bytes::copy_from_slice(&buffer[..read])),
                    Err(source) => Err(io::Error::other(
                        ContextError::Unreadable {
                            path: path.clone(),
                            source,
                        }
                        .to_string(),
                    )),
                };
                let failed = item.is_err();
                if sender.blocking_send(item).is_err() || failed {
                    return;
                }
            }
        })
        .map_err(ContextError::Spawn)?;
    Ok(stream)
}

/// Runs `pack` on a new thread writing into the bounded channel; an error becomes the last
/// stream item (after discarding whatever trailers destructors would still write).
fn spawn_packer<F>(
    compression: Compression,
    pack: F,
) -> Result<impl Stream<Item = BodyItem> + Send + 'static, ContextError>
where
    F: FnOnce(sink::Output, Arc<AtomicBool>) -> Result<sink::Output, ContextError> + Send + 'static,
{
    let (sender, stream) = sink::channel();
    let abandoned = Arc::new(AtomicBool::new(false));
    let writer = sink::ChunkWriter::new(sender.clone(), abandoned.clone());
    std::thread::Builder::new()
        .name("dockjob-context".into())
        .stack_size(8 * 1024 * 1024)
        .spawn(move || {
            let output = sink::Output::new(writer, compression);
            let result = pack(output, abandoned.clone()).and_then(|output| {
                let trailer = |source| ContextError::Write {
                    path: PathBuf::from("<end>"),
                    source,
                };
                output.finish().map_err(trailer)?.finish().map_err(trailer)
            });
            if let Err(error) = result {
                abandoned.store(true, Ordering::Relaxed);
                // A closed receiver means the upload is gone; nobody is left to tell.
                let _ = sender.blocking_send(Err(io::Error::other(error.to_string())));
            }
        })
        .map_err(ContextError::Spawn)?;
    Ok(stream)
}
