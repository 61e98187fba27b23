//! Resolving a build context from the command line: the context directory, the Dockerfile
//! (in the context, outside it, or from stdin) and the ignore file that applies.

use std::path::{Path, PathBuf};

use crate::context::plan::{self, DOCKERIGNORE};
use crate::context::{BuildContext, DockerfileSource, IgnoreFile};

use super::ContextError;

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
