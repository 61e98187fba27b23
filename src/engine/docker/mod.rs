//! The bollard adapter: the only module in dockjob that imports `bollard`.
//!
//! Owns the connection (`DOCKER_HOST`, timeouts, the `X-Registry-Auth` encoding fix) and the
//! translation of bollard's types and errors into the engine seam's types. Nothing above this
//! module sees a bollard type.

mod attach;
mod build_args;
mod buildkit;
mod data_volumes;
mod engine_socket;
mod exits;
mod images;
mod inspect;
mod json_lines;
mod network;
mod pods;
mod push;
mod sandbox;
pub mod scheduled;
pub mod swarm;
mod transport;

pub use images::BodyStream;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use bollard::errors::Error as BollardError;
use bollard::Docker;

use super::EngineError;

/// Where the engine is when `DOCKER_HOST` is unset.
pub const DEFAULT_SOCKET: &str = "unix:///var/run/docker.sock";

/// How long a build, import or pull request may wait for response headers.
///
/// On 20.10 `/build` sends no headers until the whole context has been uploaded (moby
/// `wrapOutputBufferedUntilRequestRead`), an import none until its tar is read, and a pull
/// none until the registry answered, so a slow upload or a long quiet build would be cut off.
/// Only those calls get it ([`DockerEngine::streams`]); their streams, once they have
/// headers, are not limited by it.
const STREAM_REQUEST_TIMEOUT: Duration = Duration::from_secs(24 * 60 * 60);

/// How long any other engine call may take to answer (its response headers), unless
/// [`ENGINE_TIMEOUT_ENV`] says otherwise.
///
/// Without a bound, an engine that accepts connections and then stalls (a wedged dockerd, a
/// proxy in front of a dead one) keeps every command waiting forever. Calls that stream
/// (followed logs, attach, wait) send their headers at once (moby flushes them before it
/// waits), so the bound only limits how long the engine takes to start answering; a stop
/// adds its grace period to it.
pub const DEFAULT_ENGINE_TIMEOUT: Duration = Duration::from_secs(120);

/// The environment variable that sets the engine call timeout in seconds.
pub const ENGINE_TIMEOUT_ENV: &str = "DOCKJOB_ENGINE_TIMEOUT";

/// The engine call timeout: [`ENGINE_TIMEOUT_ENV`] when it holds a whole number of seconds
/// (at least 1: bollard counts its timeout in whole seconds), else
/// [`DEFAULT_ENGINE_TIMEOUT`].
pub fn engine_timeout() -> Duration {
    std::env::var(ENGINE_TIMEOUT_ENV)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|s| *s > 0)
        .map(Duration::from_secs)
        .unwrap_or(DEFAULT_ENGINE_TIMEOUT)
}

/// The error of an engine call that did not finish within `limit`.
fn timed_out(endpoint: String, limit: Duration) -> EngineError {
    EngineError::Unreachable {
        endpoint,
        detail: format!(
            "the engine accepted the request but did not answer within {} s \
             (set {ENGINE_TIMEOUT_ENV} to wait longer)",
            limit.as_secs()
        ),
    }
}

/// How long the first ping may take before the engine counts as unreachable.
const PING_TIMEOUT: Duration = Duration::from_secs(15);

/// A connection to a Docker Engine.
#[derive(Clone)]
pub struct DockerEngine {
    /// Ordinary calls, each answered within [`engine_timeout`].
    docker: Docker,
    /// Build, import and pull, whose headers may come late ([`STREAM_REQUEST_TIMEOUT`]).
    streams: Docker,
    /// The bound of ordinary calls.
    timeout: Duration,
    /// The same connection, for requests bollard cannot make (push with layer ids).
    raw: transport::RawTransport,
    endpoint: String,
    /// Stops asked for containers whose start may still be in flight: the Job driver starts
    /// containers in the background, so a stop can overtake its start (see `pods.rs`).
    stop_requested: Arc<Mutex<HashMap<String, Duration>>>,
    /// The engine host's name (`/info`), the node of every pod (see `network.rs`).
    node_name: Arc<OnceLock<String>>,
    /// Containers this connection created with no `emptyDir` volume: their removal needs no
    /// inspect to find volumes (one engine request and a large JSON decode less per pod).
    /// Others (sandboxes, containers of an earlier process) are inspected first.
    without_volumes: Arc<Mutex<HashSet<String>>>,
    /// The exits of the containers this connection creates, from one event stream.
    exits: exits::ExitWatch,
}

impl DockerEngine {
    /// Connects to `host` (`unix:///path` or `tcp://host:port`), or to `DOCKER_HOST`, or to the
    /// default socket, and checks that an engine answers.
    pub async fn connect(host: Option<&str>) -> Result<Self, EngineError> {
        let endpoint = match host {
            Some(h) if !h.is_empty() => h.to_string(),
            _ => std::env::var("DOCKER_HOST")
                .ok()
                .filter(|h| !h.is_empty())
                .unwrap_or_else(|| DEFAULT_SOCKET.to_string()),
        };
        let unreachable = |detail: String| EngineError::Unreachable {
            endpoint: endpoint.clone(),
            detail,
        };
        if let Some(path) = endpoint.strip_prefix("unix://") {
            if !std::path::Path::new(path).exists() {
                return Err(unreachable(format!("the socket {path} does not exist")));
            }
        } else if !endpoint.starts_with("tcp://") && !endpoint.starts_with("http://") {
            return Err(unreachable(
                "only unix:// and tcp:// endpoints are supported".to_string(),
            ));
        }
        let (docker, raw) = match endpoint.strip_prefix("unix://") {
            Some(path) => transport::connect_unix_pooled(path, bollard::API_DEFAULT_VERSION),
            None => transport::connect_tcp_pooled(&endpoint, bollard::API_DEFAULT_VERSION),
        }
        .map_err(|e| unreachable(e.to_string()))?;
        // A shorter DOCKJOB_ENGINE_TIMEOUT bounds the ping too: an endpoint that accepts and
        // never answers took 15 s whatever it said, and did not say how to change that.
        let timeout = engine_timeout();
        let ping_limit = PING_TIMEOUT.min(timeout);
        let docker = docker
            .with_timeout(ping_limit)
            .with_request_modifier(registry_auth_to_base64url);
        docker.ping().await.map_err(|e| match e {
            BollardError::RequestTimeoutError => unreachable(format!(
                "the engine did not answer within {} s (set {ENGINE_TIMEOUT_ENV} to wait longer)",
                ping_limit.as_secs()
            )),
            other => unreachable(describe_connect_error(&other)),
        })?;
        *CONNECTED_ENDPOINT
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(endpoint.clone());
        Ok(DockerEngine {
            streams: docker.clone().with_timeout(STREAM_REQUEST_TIMEOUT),
            docker: docker.with_timeout(timeout),
            timeout,
            raw,
            endpoint,
            stop_requested: Arc::default(),
            node_name: Arc::default(),
            without_volumes: Arc::default(),
            exits: exits::ExitWatch::default(),
        })
    }

    /// The endpoint this connection talks to, for messages.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The ordinary client with `extra` added to its bound (a stop waits out its grace
    /// period before the engine answers).
    fn docker_for_longer(&self, extra: Duration) -> Docker {
        self.docker
            .clone()
            .with_timeout(self.timeout.saturating_add(extra))
    }

    /// Runs one ordinary (non-streaming) engine call, headers and body, within the bound
    /// plus `extra`: bollard's own timeout covers only the wait for headers.
    async fn bounded<T>(
        &self,
        extra: Duration,
        call: impl std::future::Future<Output = Result<T, EngineError>>,
    ) -> Result<T, EngineError> {
        let limit = self.timeout.saturating_add(extra);
        tokio::time::timeout(limit, call)
            .await
            .unwrap_or_else(|_| Err(timed_out(self.endpoint.clone(), limit)))
    }
}

/// Rewrites the registry headers from standard base64 to base64url.
///
/// bollard 0.21 encodes `X-Registry-Auth`/`X-Registry-Config` with standard base64, while the
/// daemon decodes base64url and silently falls back to *no credentials* when that fails
/// (moby `api/server/router/image/image_routes.go`), so a password whose JSON encodes to `+`
/// or `/` would be pushed anonymously. Padding is the same in both alphabets.
fn registry_auth_to_base64url(mut request: bollard::BollardRequest) -> bollard::BollardRequest {
    for name in ["x-registry-auth", "x-registry-config"] {
        let fixed = request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .filter(|v| v.contains(['+', '/']))
            .map(|v| v.replace('+', "-").replace('/', "_"));
        if let Some(value) = fixed.and_then(|v| v.parse().ok()) {
            request.headers_mut().insert(name, value);
        }
    }
    request
}

/// A short, human explanation of why the first request failed.
fn describe_connect_error(error: &BollardError) -> String {
    match error {
        BollardError::RequestTimeoutError => "the engine did not answer in time".to_string(),
        BollardError::DockerResponseServerError { message, .. } => message.clone(),
        other => transport::innermost_cause(other),
    }
}

/// Maps a bollard error from a call about `object` to the seam's error type.
fn engine_error(error: BollardError, object: NotFound<'_>) -> EngineError {
    match error {
        BollardError::DockerResponseServerError {
            status_code: 404,
            message,
        } => match object {
            NotFound::Image(name) => EngineError::ImageNotFound(name.to_string()),
            NotFound::Container(id) => EngineError::ContainerNotFound(id.to_string()),
            NotFound::Other => EngineError::Daemon(message),
        },
        BollardError::DockerResponseServerError { message, .. } => EngineError::Daemon(message),
        BollardError::DockerStreamError { error } => EngineError::Daemon(error),
        BollardError::RequestTimeoutError => timed_out(connected_endpoint(), engine_timeout()),
        other if lost_connection(&other) => EngineError::Unreachable {
            endpoint: connected_endpoint(),
            detail: describe_connect_error(&other),
        },
        other => EngineError::Daemon(describe_connect_error(&other)),
    }
}

/// The endpoint of this process's engine connection, for [`EngineError::Unreachable`] raised
/// after the connection was made. The latest connection's: a command that deletes Jobs of several engines connects to each
/// in turn, and named the first for a later one's stall (found by the red team: `delete job
/// A B` said `unix:///var/run/docker.sock` did not answer when B's `tcp://` engine stalled).
static CONNECTED_ENDPOINT: Mutex<Option<String>> = Mutex::new(None);

fn connected_endpoint() -> String {
    CONNECTED_ENDPOINT
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .clone()
        .unwrap_or_else(|| "its endpoint".to_string())
}

/// Whether the engine went away under a call: the socket vanished or refused (the engine
/// stopped or restarts), or the connection broke mid-request. Such a failure must end a run
/// (or make a detached controller wait and resume), never become a pod's
/// `CreateContainerError` (bug found by the engine-restart test).
fn lost_connection(error: &BollardError) -> bool {
    use std::io::ErrorKind;
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = source {
        if let Some(io) = current.downcast_ref::<std::io::Error>() {
            if matches!(
                io.kind(),
                ErrorKind::NotFound
                    | ErrorKind::ConnectionRefused
                    | ErrorKind::ConnectionReset
                    | ErrorKind::ConnectionAborted
                    | ErrorKind::BrokenPipe
                    | ErrorKind::UnexpectedEof
            ) {
                return true;
            }
        }
        if let Some(http) = current.downcast_ref::<hyper::Error>() {
            if http.is_incomplete_message() || http.is_closed() || http.is_canceled() {
                return true;
            }
        }
        if let Some(client) = current.downcast_ref::<hyper_util::client::legacy::Error>() {
            if client.is_connect() {
                return true;
            }
        }
        source = current.source();
    }
    false
}

/// What a 404 from the engine refers to.
#[derive(Clone, Copy)]
enum NotFound<'a> {
    Image(&'a str),
    Container(&'a str),
    Other,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_headers_become_base64url() {
        let mut request = bollard::BollardRequest::new(bollard::body_full(bytes::Bytes::new()));
        let headers = request.headers_mut();
        headers.insert("X-Registry-Auth", "eyJ+InA/c3M+==".parse().unwrap());
        headers.insert("Content-Type", "a/b+c".parse().unwrap());
        let fixed = registry_auth_to_base64url(request);
        assert_eq!(fixed.headers()["x-registry-auth"], "eyJ-InA_c3M-==");
        assert_eq!(fixed.headers()["content-type"], "a/b+c");
    }
}
