//! `build` with the engine's BuildKit: which builder to use, the BuildKit-only flags, and the
//! session that serves a build's credentials, secrets, SSH agents and exports.

use anyhow::Context;

use crate::buildkit::options::{self, OutputSpec, SecretSpec, SshSpec};
use crate::buildkit::session::{self, auth, export, secrets, ssh, SessionServices};
use crate::cli::{BuildArgs, BuilderArg};
use crate::engine::docker::DockerEngine;
use crate::engine::{BuildEvent, BuildKitRequest, BuildRequest};
use crate::error::user_error;
use crate::progress::ProgressMode;

/// The BuildKit-only flags of one `build`, parsed.
#[derive(Debug)]
pub(super) struct BuildKitFlags {
    secrets: Vec<SecretSpec>,
    ssh: Vec<SshSpec>,
    pub(super) output: OutputSpec,
    cache_from: Vec<String>,
    /// `--cache-to type=inline`: `BUILDKIT_INLINE_CACHE=1`.
    pub(super) inline_cache: bool,
    /// The first BuildKit-only flag given, for the classic builder's refusal.
    first_given: Option<&'static str>,
}

/// Parses the BuildKit-only flags; a malformed one is bad input naming it.
pub(super) fn parse_flags(args: &BuildArgs) -> anyhow::Result<BuildKitFlags> {
    let env_is_set = |name: &str| std::env::var_os(name).is_some();
    let secrets = args
        .secrets
        .iter()
        .map(|s| options::parse_secret(s, env_is_set))
        .collect::<Result<Vec<_>, _>>()
        .map_err(user_error)?;
    let ssh = args
        .ssh
        .iter()
        .map(|s| options::parse_ssh(s))
        .collect::<Result<Vec<_>, _>>()
        .map_err(user_error)?;
    let output = match &args.output {
        Some(value) => options::parse_output(value).map_err(user_error)?,
        None => OutputSpec::Image,
    };
    let cache_from = args
        .cache_from
        .iter()
        .map(|c| options::parse_cache_from(c))
        .collect::<Result<Vec<_>, _>>()
        .map_err(user_error)?;
    if let Some(value) = &args.cache_to {
        options::parse_cache_to(value).map_err(user_error)?;
    }
    if let Some(stage) = args.no_cache_filter.first() {
        return Err(user_error(format!(
            "--no-cache-filter {stage}: Docker Engine 20.10's BuildKit cannot skip the cache \
             per stage (its /build API has no such parameter); use --no-cache"
        )));
    }
    if output != OutputSpec::Image && args.push {
        return Err(user_error(format!(
            "--push needs an image; --output {} writes files instead",
            args.output.as_deref().unwrap_or_default()
        )));
    }
    let first_given = [
        (!secrets.is_empty(), "--secret"),
        (!ssh.is_empty(), "--ssh"),
        (output != OutputSpec::Image, "--output"),
        (!cache_from.is_empty(), "--cache-from"),
        (args.cache_to.is_some(), "--cache-to"),
    ]
    .into_iter()
    .find_map(|(given, flag)| given.then_some(flag));
    Ok(BuildKitFlags {
        secrets,
        ssh,
        output,
        cache_from,
        inline_cache: args.cache_to.is_some(),
        first_given,
    })
}

/// The engine API version that came with Docker 20.10, whose built-in Dockerfile frontend
/// lacks heredocs, `COPY --link` and more (`dockerfile::frontend_support`); 22.06 (API 1.42)
/// ships a frontend that has them.
const API_OF_THE_OLD_FRONTEND: (u32, u32) = (1, 41);

/// Which builder a `build` uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Builder {
    /// The classic builder.
    Classic,
    /// BuildKit; `old_frontend` when its built-in Dockerfile frontend is 20.10's.
    BuildKit { old_frontend: bool },
}

/// Which builder to use: `--builder`, else `DOCKER_BUILDKIT` (as the docker CLI reads it),
/// else BuildKit wherever the engine has it, saying so when it has not.
pub(super) async fn choose_builder(
    engine: &DockerEngine,
    args: &BuildArgs,
    flags: &BuildKitFlags,
    progress: ProgressMode,
) -> anyhow::Result<Builder> {
    let from_env = std::env::var("DOCKER_BUILDKIT")
        .ok()
        .filter(|v| !v.is_empty());
    let asked = match (args.builder, from_env.as_deref()) {
        (Some(builder), _) => Some(builder),
        (None, Some(value)) => match value.to_ascii_lowercase().as_str() {
            "1" | "true" => Some(BuilderArg::Buildkit),
            "0" | "false" => Some(BuilderArg::Classic),
            _ => {
                return Err(user_error(format!(
                    "DOCKER_BUILDKIT={value}: expected 0 or 1 (true or false)"
                )))
            }
        },
        (None, None) => None,
    };
    if asked == Some(BuilderArg::Classic) {
        if let Some(flag) = flags.first_given {
            return Err(user_error(format!(
                "{flag} needs BuildKit, but the classic builder was selected \
                 (--builder classic or DOCKER_BUILDKIT=0)"
            )));
        }
        return Ok(Builder::Classic);
    }
    let api = engine.buildkit_api_version().await?;
    match (api, asked) {
        (Some(api), _) => Ok(Builder::BuildKit {
            old_frontend: api <= API_OF_THE_OLD_FRONTEND,
        }),
        (None, Some(_)) => Err(user_error(format!(
            "the engine at {} has no BuildKit (it needs a Linux engine with API 1.39 or newer); \
             use --builder classic",
            engine.endpoint()
        ))),
        (None, None) => {
            if let Some(flag) = flags.first_given {
                return Err(user_error(format!(
                    "{flag} needs BuildKit, which the engine at {} does not have",
                    engine.endpoint()
                )));
            }
            progress.note("the engine has no BuildKit: building with the classic builder");
            Ok(Builder::Classic)
        }
    }
}

/// Builds `request` with BuildKit, serving its session for the length of the build. Returns
/// the image ID, or `None` for a build exported as files.
pub(super) async fn build(
    engine: &DockerEngine,
    mut request: BuildRequest,
    flags: &BuildKitFlags,
    context: impl crate::engine::docker::BodyStream,
    on_event: impl FnMut(BuildEvent),
) -> anyhow::Result<Option<String>> {
    let config = super::push::load_docker_config()?;
    let services = SessionServices {
        auth: auth::RegistryAuth::new(Some(config)),
        secrets: secrets::SecretStore::load(&flags.secrets).map_err(user_error)?,
        ssh: ssh::SshAgents::start(&flags.ssh).map_err(user_error)?,
        export: match &flags.output {
            OutputSpec::Image => None,
            OutputSpec::Local(dir) => Some(export::ExportTarget::Local(export::LocalExport::new(
                dir.clone(),
            ))),
            OutputSpec::Tar(dest) => Some(export::ExportTarget::Tar(export::TarExport::new(
                dest.clone(),
            ))),
        },
    };
    let session_id = session::new_session_id();
    let connection = engine
        .open_build_session(&session_id, &session_id, &services.methods())
        .await
        .context("opening the BuildKit session")?;
    let server = services.serve(connection);
    let buildkit = BuildKitRequest {
        session_id,
        exporter: flags.output.exporter(),
        cache_from: flags.cache_from.clone(),
    };
    request.buildkit = Some(buildkit.clone());
    let result = engine
        .build_image_buildkit(&request, &buildkit, context, on_event)
        .await;
    // The session ends with the build: the engine needs nothing more from it.
    server.abort();
    Ok(result?)
}
