//! Reading Job manifests from a file, a directory (its `.yaml`, `.yml` and `.json` files,
//! sorted by name) or `-` (stdin), each at most 3 MiB ([`crate::bounded::MAX_INPUT_BYTES`],
//! the API server's request limit) and never read past that. The only file I/O of the job
//! module; parsing is [`super::load`].

use std::path::Path;

use super::field::JobInputError;
use super::load::{jobs_only, load_jobs_with_rng, load_manifests_in, LoadedJob, Manifest};
use crate::bounded::{read_at_most, read_file_at_most, Bounded, MAX_INPUT_BYTES};

/// [`load_jobs_with_rng`] with UIDs from the operating system's randomness.
pub fn load_jobs(source: &str, origin: &str) -> Result<Vec<LoadedJob>, JobInputError> {
    load_jobs_with_rng(source, origin, &mut rand::rng())
}

/// Loads every Job from `path` (`-` reads stdin).
pub fn load_path(path: &str) -> Result<Vec<LoadedJob>, JobInputError> {
    load_path_in(path, None)
}

/// [`load_path`] with `-n NAMESPACE`: it is the namespace of every manifest that names none,
/// and a manifest that names another one is kubectl's mismatch error. ConfigMaps and
/// Secrets are refused (see [`load_manifests_path_in`]).
pub fn load_path_in(path: &str, namespace: Option<&str>) -> Result<Vec<LoadedJob>, JobInputError> {
    jobs_only(load_manifests_path_in(path, namespace)?, path)
}

/// Every Job, ConfigMap and Secret of `path` (a file, a directory's files in name order, or
/// `-`), in order, with `-n` as in [`load_path_in`].
pub fn load_manifests_path_in(
    path: &str,
    namespace: Option<&str>,
) -> Result<Vec<Manifest>, JobInputError> {
    let load =
        |text: &str, origin: &str| load_manifests_in(text, origin, namespace, &mut rand::rng());
    if path == "-" {
        let text = read_text(read_at_most(std::io::stdin().lock(), MAX_INPUT_BYTES), "-")?;
        return load(&text, "-");
    }
    let p = Path::new(path);
    if !p.is_dir() {
        let text = read_text(read_file_at_most(p, MAX_INPUT_BYTES), path)?;
        return load(&text, path);
    }
    let mut files: Vec<_> = std::fs::read_dir(p)
        .map_err(|e| read_error(path, &e))?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|f| {
            f.is_file()
                && f.extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| matches!(e, "yaml" | "yml" | "json"))
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(JobInputError::Empty {
            origin: path.to_string(),
        });
    }
    let mut jobs = Vec::new();
    for file in files {
        let origin = file.display().to_string();
        let text = read_text(read_file_at_most(&file, MAX_INPUT_BYTES), &origin)?;
        jobs.extend(load(&text, &origin)?);
    }
    Ok(jobs)
}

fn read_error(origin: &str, e: &std::io::Error) -> JobInputError {
    JobInputError::Read {
        origin: origin.to_string(),
        message: e.to_string(),
    }
}

/// The text of a bounded read, or why there is none.
fn read_text(read: std::io::Result<Bounded>, origin: &str) -> Result<String, JobInputError> {
    match read.map_err(|e| read_error(origin, &e))? {
        Bounded::TooLarge => Err(JobInputError::TooLarge {
            origin: origin.to_string(),
            limit: MAX_INPUT_BYTES,
        }),
        Bounded::Whole(bytes) => String::from_utf8(bytes).map_err(|_| JobInputError::Read {
            origin: origin.to_string(),
            message: "stream did not contain valid UTF-8".to_string(),
        }),
    }
}
