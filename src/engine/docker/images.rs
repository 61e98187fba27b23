//! Images on the Docker Engine: import a root filesystem, build, tag, push.

use std::collections::HashMap;

use bollard::auth::DockerCredentials;
use bollard::errors::Error as BollardError;
use bollard::query_parameters::{
    BuildImageOptionsBuilder, CreateImageOptionsBuilder, PushImageOptionsBuilder,
    RemoveImageOptionsBuilder, TagImageOptionsBuilder,
};
use bytes::Bytes;
use futures_util::{Stream, StreamExt};

use super::{engine_error, DockerEngine, NotFound};
use crate::engine::{BuildEvent, BuildRequest, EngineError, PushEvent};
use crate::registry::credentials::Credentials;
use crate::registry::retry::{self, FailureKind};

/// A byte stream that becomes a request body (a tar, possibly gzip-compressed).
pub trait BodyStream: Stream<Item = std::io::Result<Bytes>> + Send + 'static {}
impl<T: Stream<Item = std::io::Result<Bytes>> + Send + 'static> BodyStream for T {}

impl DockerEngine {
    /// Imports a root filesystem tar (plain, gzip, bzip2 or xz) as the image `repo:tag`
    /// (`POST /images/create?fromSrc=-`), applying Dockerfile-style `changes`
    /// such as `CMD ["/bin/sh"]`. Returns the new image ID.
    pub async fn import_image(
        &self,
        rootfs: impl BodyStream,
        repo: &str,
        tag: &str,
        changes: &[String],
    ) -> Result<String, EngineError> {
        let options = CreateImageOptionsBuilder::default()
            .from_src("-")
            .repo(repo)
            .tag(tag)
            .changes(changes.to_vec())
            .build();
        let mut stream =
            self.docker
                .create_image(Some(options), Some(bollard::body_try_stream(rootfs)), None);
        let mut image_id = None;
        while let Some(item) = stream.next().await {
            match item {
                Ok(info) => {
                    if let Some(status) = info.status.filter(|s| s.starts_with("sha256:")) {
                        image_id = Some(status);
                    }
                }
                Err(e) if image_id.is_some() && is_trailing_stream_noise(&e) => break,
                Err(e) => return Err(engine_error(e, NotFound::Other)),
            }
        }
        image_id.ok_or_else(|| EngineError::Daemon("the engine did not report an image ID".into()))
    }

    /// Builds an image from a context tar stream, reporting each output item to `on_event`
    /// as it arrives. Returns the image ID. A failing step is [`EngineError::StepFailed`].
    pub async fn build_image(
        &self,
        request: &BuildRequest,
        context: impl BodyStream,
        mut on_event: impl FnMut(BuildEvent),
    ) -> Result<String, EngineError> {
        let mut options = BuildImageOptionsBuilder::default()
            .dockerfile(&request.dockerfile)
            .rm(true)
            .nocache(request.no_cache);
        if let Some(tag) = &request.tag {
            options = options.t(tag);
        }
        let build_args: HashMap<String, String> = request
            .build_args
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), v.clone()?)))
            .collect();
        if !build_args.is_empty() {
            options = options.buildargs(&build_args);
        }
        if !request.labels.is_empty() {
            let labels: HashMap<String, String> = request.labels.clone().into_iter().collect();
            options = options.labels(&labels);
        }
        if let Some(target) = &request.target {
            options = options.target(target);
        }
        if request.pull {
            options = options.pull("1");
        }
        if let Some(network) = &request.network {
            options = options.networkmode(network);
        }
        if !request.extra_hosts.is_empty() {
            options = options.extrahosts(&request.extra_hosts.join(","));
        }
        if let Some(platform) = &request.platform {
            options = options.platform(platform);
        }
        let body = bollard::body_try_stream(context);
        let mut stream = self.docker.build_image(options.build(), None, Some(body));
        let mut image_id = None;
        while let Some(item) = stream.next().await {
            match item {
                Ok(info) => {
                    if let Some(id) = info.aux.and_then(|aux| aux.id) {
                        on_event(BuildEvent::ImageId(id.clone()));
                        image_id = Some(id);
                    }
                    if let Some(text) = info.stream {
                        on_event(BuildEvent::Output(text));
                    }
                    if let Some(status) = info.status {
                        on_event(BuildEvent::Status {
                            id: info.id,
                            status,
                        });
                    }
                }
                Err(e) if image_id.is_some() && is_trailing_stream_noise(&e) => break,
                Err(BollardError::DockerStreamError { error }) => {
                    return Err(EngineError::StepFailed(error))
                }
                Err(BollardError::DockerResponseServerError { message, .. }) => {
                    return Err(EngineError::StepFailed(message))
                }
                Err(e) => return Err(engine_error(e, NotFound::Other)),
            }
        }
        image_id.ok_or_else(|| EngineError::Daemon("the build ended without an image ID".into()))
    }

    /// Pulls `reference` (with its tag; a reference without one means `latest`),
    /// reporting progress to `on_event`.
    pub async fn pull_image_with_progress(
        &self,
        reference: &str,
        mut on_event: impl FnMut(PushEvent),
    ) -> Result<(), EngineError> {
        let options = CreateImageOptionsBuilder::default()
            .from_image(reference)
            .build();
        let mut stream = self.docker.create_image(Some(options), None, None);
        while let Some(item) = stream.next().await {
            let info = item.map_err(|e| engine_error(e, NotFound::Image(reference)))?;
            if let Some(status) = info.status {
                let detail = info.progress_detail.unwrap_or_default();
                on_event(PushEvent {
                    status,
                    current: detail.current,
                    total: detail.total,
                });
            }
        }
        Ok(())
    }

    /// Adds the tag `repo:tag` to an existing image.
    pub async fn tag_image(&self, image: &str, repo: &str, tag: &str) -> Result<(), EngineError> {
        let options = TagImageOptionsBuilder::default()
            .repo(repo)
            .tag(tag)
            .build();
        self.docker
            .tag_image(image, Some(options))
            .await
            .map_err(|e| engine_error(e, NotFound::Image(image)))
    }

    /// Removes an image reference (and the image when it was the last one).
    pub async fn remove_image(&self, image: &str) -> Result<(), EngineError> {
        let options = RemoveImageOptionsBuilder::default().force(true).build();
        match self.docker.remove_image(image, Some(options), None).await {
            Ok(_)
            | Err(BollardError::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(()),
            Err(e) => Err(engine_error(e, NotFound::Image(image))),
        }
    }

    /// Pushes `name:tag` (name without tag, as the engine wants it) with `auth`, reporting
    /// progress to `on_event`. Returns the manifest digest the registry accepted.
    ///
    /// The tag is always sent: without it, 20.10 pushes every local tag of the repository
    /// (moby `distribution/push_v2.go`).
    pub async fn push_image(
        &self,
        name: &str,
        tag: &str,
        auth: Option<&Credentials>,
        registry: &str,
        mut on_event: impl FnMut(PushEvent),
    ) -> Result<String, EngineError> {
        let options = PushImageOptionsBuilder::default().tag(tag).build();
        let credentials = auth.map(|a| DockerCredentials {
            username: a.username().map(str::to_string),
            password: a.password().map(str::to_string),
            identitytoken: a.identity_token_value().map(str::to_string),
            serveraddress: Some(a.server_address().to_string()),
            ..Default::default()
        });
        let mut stream = self.docker.push_image(name, Some(options), credentials);
        let mut digest = None;
        while let Some(item) = stream.next().await {
            match item {
                Ok(info) => {
                    let Some(status) = info.status else { continue };
                    if let Some(found) = digest_in_status(&status) {
                        digest = Some(found.to_string());
                    }
                    let detail = info.progress_detail.unwrap_or_default();
                    on_event(PushEvent {
                        status,
                        current: detail.current,
                        total: detail.total,
                    });
                }
                Err(e) if digest.is_some() && is_trailing_stream_noise(&e) => break,
                Err(BollardError::DockerResponseServerError {
                    status_code: 404,
                    message,
                }) => {
                    return Err(EngineError::ImageNotFound(format!(
                        "{name}:{tag} ({message})"
                    )))
                }
                Err(e) => {
                    let error = engine_error(e, NotFound::Image(name));
                    return Err(match error {
                        EngineError::Daemon(message) if refuses_credentials(&message) => {
                            EngineError::Unauthorized {
                                registry: registry.to_string(),
                                detail: message,
                            }
                        }
                        other => other,
                    });
                }
            }
        }
        digest.ok_or_else(|| EngineError::Daemon("the push ended without a digest".into()))
    }
}

/// The digest in the engine's final push status, `"<tag>: digest: sha256:<hex> size: <n>"`
/// (moby `distribution/push_v2.go`); bollard drops the `aux` object that also carries it.
fn digest_in_status(status: &str) -> Option<&str> {
    let rest = status.split_once(": digest: ")?.1;
    let digest = rest.split_whitespace().next()?;
    digest.starts_with("sha256:").then_some(digest)
}

/// Registry answers that mean the credentials were refused or are missing.
fn refuses_credentials(message: &str) -> bool {
    matches!(
        retry::classify(message, None),
        FailureKind::Unauthorized | FailureKind::Denied
    )
}

/// bollard 0.21 may end a JSON stream with an I/O error when the final `}` and `\r\n` land in
/// different chunks (bollard #560); after a success marker it means nothing.
fn is_trailing_stream_noise(error: &BollardError) -> bool {
    matches!(error, BollardError::IOError { .. })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_is_read_from_the_final_status() {
        let status = "0.1: digest: sha256:4f0d size: 528";
        assert_eq!(digest_in_status(status), Some("sha256:4f0d"));
        assert_eq!(digest_in_status("Pushed"), None);
        assert_eq!(digest_in_status("x: digest: md5:1 size: 1"), None);
    }

    #[test]
    fn refused_credentials_are_recognised() {
        assert!(refuses_credentials("unauthorized: authentication required"));
        assert!(refuses_credentials(
            "denied: requested access to the resource is denied"
        ));
        assert!(!refuses_credentials("connection reset by peer"));
    }
}
