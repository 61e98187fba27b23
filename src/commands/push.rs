//! `push`: send local images to their registries with the user's Docker credentials.

use std::path::Path;

use anyhow::Context;

use crate::engine::docker::DockerEngine;
use crate::engine::{LayerPhase, PodRuntime};
use crate::error::{user_error, ExitStatus};
use crate::image_ref::ImageRef;
use crate::progress::{ProgressMode, PushProgress};
use crate::registry::config::{config_dir_from_env, DockerConfig};
use crate::registry::retry::{self, retry_notice, RetryDecision, RetryPolicy};
use crate::registry::{credentials, rate_limit};

use super::print_data;

/// Pushes each reference and prints `NAME:TAG@sha256:…` for it; with `digest_file`, the same
/// lines also go to that file (rewritten after each push, so it lists what did get pushed).
pub async fn push(
    engine: &DockerEngine,
    references: &[String],
    digest_file: Option<&Path>,
    progress: ProgressMode,
) -> anyhow::Result<ExitStatus> {
    let parsed = references
        .iter()
        .map(|r| parse_pushable(r))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let config = load_docker_config()?;
    let mut pushed = String::new();
    for (typed, reference) in references.iter().zip(&parsed) {
        let digest = push_one(engine, &config, typed, reference, progress).await?;
        let line = format!("{}@{digest}", reference.familiar());
        if let Some(file) = digest_file {
            pushed.push_str(&line);
            pushed.push('\n');
            std::fs::write(file, &pushed)
                .with_context(|| format!("writing --digest-file {}", file.display()))?;
        }
        print_data(&line)?;
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
    let tag = reference.push_tag();
    let local = format!("{}:{tag}", reference.name_without_tag());
    if engine.inspect_image(&local).await?.is_none() {
        return Err(user_error(format!(
            "{typed}: an image does not exist locally with this tag (build or tag it first)"
        )));
    }
    let auth = credentials::resolve(config, &reference.auth_key())
        .with_context(|| format!("looking up credentials for {}", reference.registry()))?;
    // dockerd retries single layer uploads but not a whole push (moby#48214); transient
    // failures of the push as a whole are retried here with capped exponential backoff, or
    // after the registry's Retry-After when it rate-limited the push — but not a failure
    // whose layer uploads the engine already retried (`RetryPolicy::decide_push`).
    let policy = RetryPolicy::default();
    let mut attempts = 0;
    loop {
        attempts += 1;
        let mut shown = PushProgress::new(progress, &format!("pushing {typed}"));
        let mut engine_retried = false;
        let result = engine
            .push_image(
                &reference.name_without_tag(),
                tag,
                auth.as_ref(),
                reference.registry(),
                |event| {
                    engine_retried |= event.phase == LayerPhase::Retrying;
                    shown.event(&event)
                },
            )
            .await;
        shown.finish();
        let error = match result {
            Ok(digest) => return Ok(digest),
            Err(error) => error,
        };
        let message = error.to_string();
        let kind = retry::classify(&message, None);
        let retry_after = if kind.is_transient()
            && attempts < policy.max_attempts
            && retry::is_rate_limited(&message)
        {
            ask_retry_after(reference, auth.clone()).await
        } else {
            None
        };
        match policy.decide_push(attempts, kind, retry_after, engine_retried) {
            RetryDecision::RetryAfter(delay) => {
                let what = format!("push of {typed}");
                eprintln!(
                    "{}",
                    retry_notice(&what, delay, attempts + 1, &policy, &message, retry_after)
                );
                tokio::time::sleep(delay).await;
            }
            RetryDecision::GiveUp => {
                let error = anyhow::Error::new(error);
                let error = match retry::retry_after_refusal(&policy, retry_after) {
                    Some(reason) => error.context(reason),
                    None if engine_retried && kind.is_transient() => error.context(
                        "the engine retried the layer uploads itself (5 attempts each); \
                         not pushing again",
                    ),
                    None => error,
                };
                return Err(error.context(format!("pushing {typed}")));
            }
        }
    }
}

/// What the registry of `reference` asks to wait after a rate-limited push (the engine's error
/// does not carry its `Retry-After`): `registry::rate_limit`, off the async threads.
async fn ask_retry_after(
    reference: &ImageRef,
    auth: Option<credentials::Credentials>,
) -> Option<std::time::Duration> {
    let auth_key = reference.auth_key();
    let repository = reference.repository().to_string();
    let tag = reference.push_tag().to_string();
    tokio::task::spawn_blocking(move || {
        rate_limit::probe_retry_after(
            &auth_key,
            &repository,
            &tag,
            auth.as_ref(),
            std::time::SystemTime::now(),
        )
    })
    .await
    .ok()
    .flatten()
}

/// A reference that can be pushed: a tag, not a digest (`docker push` refuses those too).
fn parse_pushable(text: &str) -> anyhow::Result<ImageRef> {
    let reference = ImageRef::parse(text).map_err(|e| user_error(e.to_string()))?;
    if reference.digest().is_some() {
        return Err(user_error(format!(
            "{text}: cannot push a digest reference (push NAME:TAG)"
        )));
    }
    Ok(reference)
}

/// The user's Docker config (`$DOCKER_CONFIG` or `~/.docker`); a missing file is an empty one.
pub(crate) fn load_docker_config() -> anyhow::Result<DockerConfig> {
    let dir = config_dir_from_env()?;
    Ok(DockerConfig::load(&dir)?)
}
