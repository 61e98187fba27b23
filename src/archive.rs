//! Packing a directory into the request body the engine wants: the build context for
//! `POST /build` (with `.dockerignore` applied, the Dockerfile and `.dockerignore` always
//! sent, a Dockerfile from outside the context or stdin added under a random name) and a
//! root filesystem for `POST /images/create?fromSrc=-`.
//!
//! The tree is walked, tarred and compressed on a dedicated thread while the engine reads:
//! the thread writes into a bounded channel of 64 KiB chunks, so memory stays flat whatever
//! the size of the tree. Owns the filesystem I/O; the rules come from [`crate::context`].
//! Must not import bollard (the engine adapter turns the stream into a body).

mod gzip;
mod sink;
mod tar_writer;
mod walk;

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use futures_util::Stream;

use crate::context::plan::{self, DOCKERIGNORE};
use crate::context::{IgnoreFile, PatternError};

pub use crate::context::{BuildContext, DockerfileSource};
pub use sink::{Compression, CHANNEL_SLOTS, CHUNK_SIZE};

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

/// Resolves the context directory, the Dockerfile and the ignore file, the way docker/cli
/// `GetContextFromLocalDir`, `getDockerfileRelPath` and `runBuild` do; BuildKit's
/// `<Dockerfile>.dockerignore` next to the Dockerfile takes precedence over
/// `<context>/.dockerignore`. When it applies, the tar's `.dockerignore` carries its
/// patterns, because the classic builder reads `.dockerignore` from the archive to hide the
/// Dockerfile and `.dockerignore` from `COPY`.
pub fn prepare_context(
    context_dir: &Path,
    dockerfile: &DockerfileSource,
) -> Result<BuildContext, ContextError> {
    let context_error = |source| ContextError::ContextDir {
        path: context_dir.to_path_buf(),
        source,
    };
    let root = std::path::absolute(context_dir)
        .and_then(std::fs::canonicalize)
        .map_err(context_error)?;
    if !std::fs::metadata(&root).map_err(context_error)?.is_dir() {
        return Err(ContextError::NotADirectory { path: root });
    }

    let given = match dockerfile {
        DockerfileSource::Default => Some(default_dockerfile(&root)),
        DockerfileSource::Path(path) => {
            Some(
                std::path::absolute(path).map_err(|source| ContextError::Dockerfile {
                    path: path.clone(),
                    source,
                })?,
            )
        }
        DockerfileSource::Contents(_) => None,
    };

    // In-context Dockerfile: its slash path; outside: its content goes inline.
    let mut in_context: Option<String> = None;
    let mut inline: Option<Vec<u8>> = None;
    if let Some(given) = &given {
        let resolved = std::fs::canonicalize(given).map_err(|source| ContextError::Dockerfile {
            path: given.clone(),
            source,
        })?;
        match resolved.strip_prefix(&root) {
            Ok(rel) => in_context = Some(rel.to_string_lossy().into_owned()),
            Err(_) => {
                inline =
                    Some(
                        std::fs::read(&resolved).map_err(|source| ContextError::Dockerfile {
                            path: resolved.clone(),
                            source,
                        })?,
                    );
            }
        }
    }
    if let DockerfileSource::Contents(content) = dockerfile {
        inline = Some(content.clone());
    }

    let specific = given.as_ref().and_then(|path| {
        let name = path.file_name()?.to_string_lossy().into_owned();
        let candidate = path.with_file_name(plan::dockerfile_specific_ignore_name(&name));
        candidate.is_file().then_some(candidate)
    });
    let root_ignore = root.join(DOCKERIGNORE);
    let ignore_file = specific
        .clone()
        .or_else(|| root_ignore.exists().then_some(root_ignore));
    let ignore_text = match &ignore_file {
        Some(path) => Some(
            std::fs::read(path).map_err(|source| ContextError::IgnoreFileRead {
                path: path.clone(),
                source,
            })?,
        ),
        None => None,
    };

    let pattern_error = |source| ContextError::IgnorePattern {
        path: ignore_file
            .clone()
            .unwrap_or_else(|| PathBuf::from(DOCKERIGNORE)),
        source,
    };
    let mut ignore = match &ignore_text {
        Some(text) => IgnoreFile::parse(&String::from_utf8_lossy(text)).map_err(pattern_error)?,
        None => IgnoreFile::default(),
    };
    plan::keep_build_files(&mut ignore, in_context.as_deref()).map_err(pattern_error)?;

    let (dockerfile_name, dockerignore_override) = match &inline {
        Some(_) => {
            let name = plan::inline_dockerfile_name(&random_hex());
            let content = plan::dockerignore_with_inline_dockerfile(ignore_text.as_deref(), &name);
            (name, Some(content))
        }
        None => {
            let name = in_context.unwrap_or_else(|| plan::DEFAULT_DOCKERFILE.to_string());
            (
                name,
                specific
                    .is_some()
                    .then(|| ignore_text.clone().unwrap_or_default()),
            )
        }
    };
    Ok(BuildContext {
        root,
        dockerfile_name,
        ignore_file,
        ignore,
        dockerignore_override,
        inline_dockerfile: inline,
    })
}

/// docker/cli `getDockerfileRelPath`: `Dockerfile`, or `dockerfile` if only that exists.
fn default_dockerfile(root: &Path) -> PathBuf {
    let upper = root.join(plan::DEFAULT_DOCKERFILE);
    let lower = root.join(plan::DEFAULT_DOCKERFILE.to_lowercase());
    if std::fs::symlink_metadata(&upper).is_err() && std::fs::symlink_metadata(&lower).is_ok() {
        lower
    } else {
        upper
    }
}

/// 20 random lowercase hex digits (docker uses `stringid.GenerateRandomID()[:20]`).
fn random_hex() -> String {
    rand::random::<[u8; 10]>()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Walks once and fails on the first file that would be sent but cannot be opened
/// (docker/cli `ValidateContextDirectory`, restricted to what is really sent).
pub fn check_readable(context: &BuildContext) -> Result<(), ContextError> {
    walk::check_readable(&context.root, Some(&context.ignore))
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

/// The build context body for `POST /build`: returns the `dockerfile=` value and the
/// stream. Blocks for the pre-upload readability walk when
/// [`PackOptions::check_readable_first`] is set (call it from `spawn_blocking` for huge
/// trees); the packing itself runs on its own thread.
pub fn context_body(
    context_dir: &Path,
    dockerfile: DockerfileSource,
    options: PackOptions,
) -> Result<(String, impl Stream<Item = BodyItem> + Send + 'static), ContextError> {
    let context = prepare_context(context_dir, &dockerfile)?;
    if options.check_readable_first {
        check_readable(&context)?;
    }
    let name = context.dockerfile_name.clone();
    Ok((name, pack_context(context, options.compression)?))
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
