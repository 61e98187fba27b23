//! Reading Job manifests from a file, a directory (its `.yaml`, `.yml` and `.json` files,
//! sorted by name) or `-` (stdin). The only file I/O of the job module; parsing is [`super::load`].

use std::io::Read;
use std::path::Path;

use super::field::JobInputError;
use super::load::{load_jobs_with_rng, LoadedJob};

/// [`load_jobs_with_rng`] with UIDs from the operating system's randomness.
pub fn load_jobs(source: &str, origin: &str) -> Result<Vec<LoadedJob>, JobInputError> {
    load_jobs_with_rng(source, origin, &mut rand::rng())
}

/// Loads every Job from `path` (`-` reads stdin).
pub fn load_path(path: &str) -> Result<Vec<LoadedJob>, JobInputError> {
    let read_error = |origin: &str, e: std::io::Error| JobInputError::Read {
        origin: origin.to_string(),
        message: e.to_string(),
    };
    if path == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| read_error("-", e))?;
        return load_jobs(&text, "-");
    }
    let p = Path::new(path);
    if !p.is_dir() {
        let text = std::fs::read_to_string(p).map_err(|e| read_error(path, e))?;
        return load_jobs(&text, path);
    }
    let mut files: Vec<_> = std::fs::read_dir(p)
        .map_err(|e| read_error(path, e))?
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
        let text = std::fs::read_to_string(&file).map_err(|e| read_error(&origin, e))?;
        jobs.extend(load_jobs(&text, &origin)?);
    }
    Ok(jobs)
}
