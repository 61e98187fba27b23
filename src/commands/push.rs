//! `push`: send local images to their registries with the user's Docker credentials.

use anyhow::Context;

use crate::engine::docker::DockerEngine;
use crate::engine::{PodRuntime, RegistryAuth};
use crate::error::{user_error, ExitStatus};
use crate::image_ref::ImageRef;
use crate::progress::{ProgressMode, PushProgress};
use crate::registry::{config::DockerConfig, credentials};

use super::print_data;

/// Pushes each reference and prints `NAME:TAG@sha256:…` for it.
pub async fn push(
    engine: &DockerEngine,
    references: &[String],
    progress: ProgressMode,
) -> anyhow::Result<ExitStatus> {
    let parsed = references
        .iter()
        .map(|r| ImageRef::parse(r).map_err(|e| user_error(format!("{r}: {e}"))))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let config = DockerConfig::load_default().context("reading the Docker credentials")?;
    for (typed, reference) in references.iter().zip(&parsed) {
        let digest = push_one(engine, &config, typed, reference, progress).await?;
        print_data(&format!("{}@{digest}", reference.familiar()))?;
    }
    Ok(ExitStatus::Success)
}

/// Pushes one reference and returns the manifest digest.
pub(crate) async fn push_one(
    engine: &DockerEngine,
    config: &DockerConfig,
    typed: &str,
    reference: &ImageRef,
    progress: ProgressMode,
) -> anyhow::Result<String> {
    let tag = reference.tag().unwrap_or("latest");
    let local = format!("{}:{tag}", reference.name_without_tag());
    if engine.inspect_image(&local).await?.is_none() {
        return Err(user_error(format!(
            "{typed}: an image does not exist locally with this tag (build or tag it first)"
        )));
    }
    let auth = credentials::resolve(config, &reference.auth_key())
        .with_context(|| format!("looking up credentials for {}", reference.registry()))?
        .map(|c| RegistryAuth {
            username: c.username.clone(),
            password: c.password.clone(),
            identity_token: c.identity_token.clone(),
            server_address: reference.auth_key(),
        });
    let mut shown = PushProgress::new(progress, typed);
    let result = engine
        .push_image(
            &reference.name_without_tag(),
            tag,
            auth.as_ref(),
            reference.registry(),
            |event| shown.event(&event),
        )
        .await;
    shown.finish();
    Ok(result.with_context(|| format!("pushing {typed}"))?)
}
