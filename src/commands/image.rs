//! `image import|pull|inspect|rm`.

use anyhow::Context;
use futures_util::StreamExt;

use crate::archive;
use crate::cli::ImportArgs;
use crate::engine::docker::DockerEngine;
use crate::engine::{EngineError, ImageRemoval, PodRuntime};
use crate::error::{user_error, ExitStatus};
use crate::image_ref::ImageRef;
use crate::progress::{ProgressMode, PushProgress};

use super::print_data;

/// Imports a root filesystem (directory or tar) as an image and prints its ID.
pub async fn import(
    engine: &DockerEngine,
    args: &ImportArgs,
    progress: ProgressMode,
) -> anyhow::Result<ExitStatus> {
    let reference = super::build::parse_tag(&args.tag)?;
    if !args.rootfs.exists() {
        return Err(user_error(format!(
            "{}: no such file or directory",
            args.rootfs.display()
        )));
    }
    let rootfs = args.rootfs.clone();
    let body = tokio::task::spawn_blocking(move || -> Result<_, archive::ContextError> {
        Ok(if rootfs.is_dir() {
            archive::dir_body(&rootfs, archive::Compression::default())?.boxed()
        } else {
            archive::file_body(&rootfs)?.boxed()
        })
    })
    .await?
    .with_context(|| format!("reading {}", args.rootfs.display()))?;
    let tag = reference.push_tag();
    let id = engine
        .import_image(body, &reference.name_without_tag(), tag, &args.changes)
        .await
        .with_context(|| format!("importing {}", args.rootfs.display()))?;
    progress.note(&format!(
        "imported {} as {}:{tag}",
        args.rootfs.display(),
        reference.name_without_tag()
    ));
    print_data(&id)?;
    Ok(ExitStatus::Success)
}

/// Pulls an image from its registry.
pub async fn pull(
    engine: &DockerEngine,
    reference: &str,
    progress: ProgressMode,
) -> anyhow::Result<ExitStatus> {
    let parsed = ImageRef::parse(reference).map_err(|e| user_error(e.to_string()))?;
    let mut shown = PushProgress::new(progress, &format!("pulling {reference}"));
    let result = engine
        .pull_image_with_progress(&parsed.to_string(), |event| shown.event(&event))
        .await;
    shown.finish();
    result.with_context(|| format!("pulling {reference}"))?;
    Ok(ExitStatus::Success)
}

/// Prints what the Job runner needs to know about an image, as JSON.
pub async fn inspect(engine: &DockerEngine, reference: &str) -> anyhow::Result<ExitStatus> {
    let Some(info) = engine.inspect_image(reference).await? else {
        return Err(user_error(format!("no such image: {reference}")));
    };
    let json = serde_json::json!({
        "Id": info.id,
        "Entrypoint": info.entrypoint,
        "Cmd": info.cmd,
        "RepoDigests": info.repo_digests,
    });
    print_data(&serde_json::to_string_pretty(&json)?)?;
    Ok(ExitStatus::Success)
}

/// Removes image references; like `docker rmi`, a missing one is an error (exit 2) after
/// the others are removed. Prints what the engine did as `docker image rm` does (docker/cli
/// `cli/command/image/remove.go` `runRemove`): `Untagged: REF` for each reference it
/// removed, `Deleted: sha256:…` for each image that went.
pub async fn remove(
    engine: &DockerEngine,
    references: &[String],
    force: bool,
) -> anyhow::Result<ExitStatus> {
    let mut missing = Vec::new();
    for reference in references {
        match engine.remove_image(reference, force).await {
            Ok(removals) => {
                for removal in removals {
                    print_data(&removal_line(&removal))?;
                }
            }
            Err(EngineError::ImageNotFound(_)) => missing.push(reference.as_str()),
            Err(e) => return Err(anyhow::Error::new(e).context(format!("removing {reference}"))),
        }
    }
    if !missing.is_empty() {
        return Err(user_error(format!("no such image: {}", missing.join(", "))));
    }
    Ok(ExitStatus::Success)
}

/// `Untagged: busybox:1` / `Deleted: sha256:…` (`fmt.Fprintln(out, "Deleted:", id)`).
fn removal_line(removal: &ImageRemoval) -> String {
    match removal {
        ImageRemoval::Untagged(reference) => format!("Untagged: {reference}"),
        ImageRemoval::Deleted(id) => format!("Deleted: {id}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removals_read_as_docker_prints_them() {
        assert_eq!(
            removal_line(&ImageRemoval::Untagged("a/b:1".into())),
            "Untagged: a/b:1"
        );
        assert_eq!(
            removal_line(&ImageRemoval::Deleted("sha256:ab".into())),
            "Deleted: sha256:ab"
        );
    }
}
