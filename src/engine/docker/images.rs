//! Images on the Docker Engine: import a root filesystem, build, pull, tag, remove (push is
//! in `push.rs`).

use std::collections::HashMap;

use bollard::errors::Error as BollardError;
use bollard::query_parameters::{
    BuildImageOptionsBuilder, CreateImageOptionsBuilder, RemoveImageOptionsBuilder,
    TagImageOptionsBuilder,
};
use bytes::Bytes;
use futures_util::{Stream, StreamExt};

use super::{build_args, engine_error, registry_auth_to_base64url, DockerEngine, NotFound};
use crate::engine::{BuildEvent, BuildRequest, EngineError, ImageRemoval, PushEvent};

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
        let activity = Activity::default();
        let rootfs = activity.watch(rootfs);
        let mut stream =
            self.streams
                .create_image(Some(options), Some(bollard::body_try_stream(rootfs)), None);
        let mut image_id = None;
        let mut next = self.first_item(&mut stream, Some(&activity)).await?;
        while let Some(item) = next {
            match item {
                Ok(info) => {
                    if let Some(status) = info.status.filter(|s| s.starts_with("sha256:")) {
                        image_id = Some(status);
                    }
                }
                Err(e) if image_id.is_some() && is_trailing_stream_noise(&e) => break,
                Err(e) => return Err(engine_error(e, NotFound::Other)),
            }
            next = stream.next().await;
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
        if let Some(tag) = request.tags.first() {
            options = options.t(tag);
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
        // `buildargs` is written by a modifier on this call's client: bollard's map cannot hold
        // the `null` of a bare, unset `--build-arg K` (see `build_args.rs`). So are the tags
        // after the first: bollard sends one `t`, the engine takes several and reports each
        // (`Successfully tagged NAME`, moby `builder/dockerfile/imagebuildtagger.go`).
        let more_tags: Vec<String> = request.tags.iter().skip(1).cloned().collect();
        let docker = if request.build_args.is_empty() && more_tags.is_empty() {
            self.streams.clone()
        } else {
            let value = (!request.build_args.is_empty())
                .then(|| build_args::buildargs_json(&request.build_args));
            self.streams.clone().with_request_modifier(move |request| {
                let mut request = registry_auth_to_base64url(request);
                if let Some(value) = &value {
                    *request.uri_mut() =
                        build_args::with_query_param(request.uri(), "buildargs", value);
                }
                *request.uri_mut() =
                    build_args::with_repeated_param(request.uri(), "t", &more_tags);
                request
            })
        };
        let body = bollard::body_try_stream(context);
        let mut stream = docker.build_image(options.build(), None, Some(body));
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
        on_event: impl FnMut(PushEvent),
    ) -> Result<(), EngineError> {
        self.pull_image_as(reference, None, on_event).await
    }

    /// [`Self::pull_image_with_progress`] with `credentials` for the image's registry (sent
    /// as `X-Registry-Auth`, as `docker pull` does after `docker login`): the user's, or a
    /// pod's `imagePullSecrets`.
    pub async fn pull_image_as(
        &self,
        reference: &str,
        credentials: Option<bollard::auth::DockerCredentials>,
        mut on_event: impl FnMut(PushEvent),
    ) -> Result<(), EngineError> {
        let options = CreateImageOptionsBuilder::default()
            .from_image(reference)
            .build();
        let mut stream = self.streams.create_image(Some(options), None, credentials);
        let mut next = self.first_item(&mut stream, None).await?;
        while let Some(item) = next {
            let info = item.map_err(|e| engine_error(e, NotFound::Image(reference)))?;
            if let Some(status) = info.status {
                let detail = info.progress_detail.unwrap_or_default();
                let layer = info.id.filter(|id| !id.is_empty());
                on_event(PushEvent::new(layer, status, detail.current, detail.total));
            }
            next = stream.next().await;
        }
        Ok(())
    }

    /// The first item of an import or a pull, whose headers come late (see
    /// `STREAM_REQUEST_TIMEOUT`): given up on once the engine has neither answered nor taken a
    /// chunk of the request body (`activity`) for the engine timeout. Found by the red team:
    /// against an engine that answers `/_ping` and then stalls, `image import` and `image
    /// pull` waited 24 h whatever `DOCKJOB_ENGINE_TIMEOUT` said. Once it answers, the stream
    /// is not limited.
    async fn first_item<S: Stream + Unpin>(
        &self,
        stream: &mut S,
        activity: Option<&Activity>,
    ) -> Result<Option<S::Item>, EngineError> {
        let started = tokio::time::Instant::now();
        loop {
            let last = activity.map_or(started, |a| a.last().max(started));
            match tokio::time::timeout_at(last + self.timeout, stream.next()).await {
                Ok(item) => return Ok(item),
                // The body moved on meanwhile: wait from its last chunk.
                Err(_) if activity.is_some_and(|a| a.last() > last) => {}
                Err(_) => return Err(super::timed_out(self.endpoint.clone(), self.timeout)),
            }
        }
    }

    /// Adds the tag `repo:tag` to an existing image.
    pub async fn tag_image(&self, image: &str, repo: &str, tag: &str) -> Result<(), EngineError> {
        let options = TagImageOptionsBuilder::default()
            .repo(repo)
            .tag(tag)
            .build();
        self.bounded(std::time::Duration::ZERO, async {
            self.docker
                .tag_image(image, Some(options))
                .await
                .map_err(|e| engine_error(e, NotFound::Image(image)))
        })
        .await
    }

    /// Removes an image reference (and the image when it was the last one), as `docker rmi`
    /// does: without `force`, an image ID with several tags or one a container uses stays.
    /// Returns what the engine did, in its order: each reference untagged, each image (and
    /// parent layer image) deleted.
    pub async fn remove_image(
        &self,
        image: &str,
        force: bool,
    ) -> Result<Vec<ImageRemoval>, EngineError> {
        let options = RemoveImageOptionsBuilder::default().force(force).build();
        let items = self
            .bounded(std::time::Duration::ZERO, async {
                self.docker
                    .remove_image(image, Some(options), None)
                    .await
                    .map_err(|e| engine_error(e, NotFound::Image(image)))
            })
            .await?;
        Ok(items
            .into_iter()
            .filter_map(|item| match (item.deleted, item.untagged) {
                (Some(deleted), _) if !deleted.is_empty() => Some(ImageRemoval::Deleted(deleted)),
                (_, Some(untagged)) => Some(ImageRemoval::Untagged(untagged)),
                _ => None,
            })
            .collect())
    }
}

/// bollard 0.21 may end a JSON stream with an I/O error when the final `}` and `\r\n` land in
/// different chunks (bollard #560); after a success marker it means nothing.
fn is_trailing_stream_noise(error: &BollardError) -> bool {
    matches!(error, BollardError::IOError { .. })
}

/// When the engine last took a chunk of a request body.
#[derive(Clone)]
struct Activity(std::sync::Arc<std::sync::Mutex<tokio::time::Instant>>);

impl Default for Activity {
    fn default() -> Self {
        Activity(std::sync::Arc::new(std::sync::Mutex::new(
            tokio::time::Instant::now(),
        )))
    }
}

impl Activity {
    fn last(&self) -> tokio::time::Instant {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `body`, noting the time each chunk is taken.
    fn watch(&self, body: impl BodyStream) -> impl BodyStream {
        let activity = self.clone();
        body.inspect(move |_| {
            *activity.0.lock().unwrap_or_else(|p| p.into_inner()) = tokio::time::Instant::now();
        })
    }
}
