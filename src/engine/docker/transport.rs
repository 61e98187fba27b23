//! The HTTP transport under bollard: pooled connections, and raw requests for what bollard
//! does not model.
//!
//! bollard 0.21's `connect_with_unix` and `connect_with_http` build their hyper clients with
//! `pool_max_idle_per_host(0)` (bollard `src/docker.rs`), so every request opens a new
//! connection and dockerd starts a new handler for it. A Job run makes about eight requests
//! per pod and a 50-pod Job runs eight at once, so the clients here keep up to
//! [`IDLE_PER_HOST`] connections warm instead.
//!
//! The same client also serves [`RawTransport`]: requests dockjob writes itself because
//! bollard's response types drop fields it needs (the layer `id` of push progress, see
//! `push.rs`). Both `unix://` and `tcp://` engines go through it.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bollard::{BollardRequest, ClientVersion, Docker};
use hyper::body::Incoming;
use hyper::Response;
use hyper_util::client::legacy::connect::{Connect, HttpConnector};
use hyper_util::client::legacy::{Client, Error as ClientError};
use hyper_util::rt::{TokioExecutor, TokioTimer};

use super::engine_socket::EngineSocketConnector;

/// Idle connections kept per engine: one per pod that a parallel Job may run at once,
/// within reason.
const IDLE_PER_HOST: usize = 16;

/// How long an idle connection is kept before it is closed.
const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// bollard's per-request header timeout in seconds; the caller replaces it with its own.
const BOLLARD_TIMEOUT_SECS: u64 = 120;

type Sent = Pin<Box<dyn Future<Output = Result<Response<Incoming>, ClientError>> + Send>>;
type SendFn = dyn Fn(BollardRequest) -> Sent + Send + Sync;

/// Sends requests dockjob builds itself over the engine connection bollard uses.
#[derive(Clone)]
pub struct RawTransport {
    send: Arc<SendFn>,
    /// `unix://<hex path>:0` or `http://host:port`: what a request path is appended to.
    base: String,
}

impl RawTransport {
    /// The absolute URI for `path_and_query` (which starts with `/`) on this engine.
    pub fn uri(&self, path_and_query: &str) -> Result<hyper::Uri, String> {
        format!("{}{path_and_query}", self.base)
            .parse()
            .map_err(|e| format!("invalid request path {path_and_query:?}: {e}"))
    }

    /// Sends `request` (whose URI came from [`RawTransport::uri`]).
    pub fn send(&self, request: BollardRequest) -> Sent {
        (self.send)(request)
    }
}

/// A bollard client and a raw transport on the unix socket at `path`, sharing one pool.
pub fn connect_unix_pooled(
    path: &str,
    version: &ClientVersion,
) -> Result<(Docker, RawTransport), bollard::errors::Error> {
    // hyperlocal's URI form: scheme `unix`, the socket path hex-encoded as the host, which is
    // also what bollard writes for its own unix transport (bollard `src/uri.rs`) and what
    // `EngineSocketConnector` decodes.
    let host = hex_encode(path.as_bytes());
    let raw = raw_transport(EngineSocketConnector, format!("unix://{host}:0"));
    let docker = bollard_on(&raw, format!("unix://{host}"), version)?;
    Ok((docker, raw))
}

/// A bollard client and a raw transport on `tcp://host:port` (or `http://`), sharing one pool.
pub fn connect_tcp_pooled(
    endpoint: &str,
    version: &ClientVersion,
) -> Result<(Docker, RawTransport), bollard::errors::Error> {
    // As bollard's `connect_with_http`: docker-machine style `tcp://` means plain HTTP.
    let authority = endpoint
        .trim_start_matches("tcp://")
        .trim_start_matches("http://")
        .trim_end_matches('/');
    let raw = raw_transport(HttpConnector::new(), format!("http://{authority}"));
    let docker = bollard_on(&raw, format!("http://{authority}"), version)?;
    Ok((docker, raw))
}

/// A pooled hyper client on `connector`, wrapped so that its body type (bollard's, which is
/// crate-private there) never has to be named.
fn raw_transport<C>(connector: C, base: String) -> RawTransport
where
    C: Connect + Clone + Send + Sync + 'static,
{
    let client = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(IDLE_PER_HOST)
        .pool_idle_timeout(IDLE_TIMEOUT)
        .pool_timer(TokioTimer::new())
        .build(connector);
    let client = Arc::new(client);
    let send = move |request: BollardRequest| -> Sent {
        let client = Arc::clone(&client);
        Box::pin(async move { client.request(request).await })
    };
    RawTransport {
        send: Arc::new(send),
        base,
    }
}

/// bollard on top of `raw`'s client. `address` is what bollard puts in front of its paths.
fn bollard_on(
    raw: &RawTransport,
    address: String,
    version: &ClientVersion,
) -> Result<Docker, bollard::errors::Error> {
    let raw = raw.clone();
    Docker::connect_with_custom_transport(
        move |request: BollardRequest| {
            let sent = raw.send(request);
            async move { sent.await.map_err(bollard::errors::Error::from) }
        },
        Some(address),
        BOLLARD_TIMEOUT_SECS,
        version,
    )
}

/// Reads a JSON-message response body (`push`, BuildKit's `build`) to its end, handing each
/// complete message to `accept` in order; an unreadable message is [`EngineError::Daemon`].
pub async fn each_json_message<T: serde::de::DeserializeOwned>(
    mut body: Incoming,
    mut accept: impl FnMut(T) -> Result<(), crate::engine::EngineError>,
) -> Result<(), crate::engine::EngineError> {
    use crate::engine::EngineError;
    use http_body_util::BodyExt;
    let mut lines = super::json_lines::JsonLines::default();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(super::push::transport_failure)?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        for message in lines.push::<T>(&data) {
            accept(message.map_err(EngineError::Daemon)?)?;
        }
    }
    match lines.finish::<T>() {
        Some(message) => accept(message.map_err(EngineError::Daemon)?),
        None => Ok(()),
    }
}

/// The `message` of an engine error response (`{"message": "…"}`), else its text.
pub async fn error_message(body: Incoming) -> String {
    use http_body_util::BodyExt;
    let bytes = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    error_text(&bytes)
}

/// [`error_message`] of a body already read.
pub fn error_text(body: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct ErrorBody {
        message: String,
    }
    serde_json::from_slice::<ErrorBody>(body)
        .map(|e| e.message)
        .unwrap_or_else(|_| String::from_utf8_lossy(body).trim().to_string())
}

/// Connection errors nest their cause (e.g. "Connection refused (os error 111)"); the innermost
/// one is what the user can act on.
pub fn innermost_cause(error: &dyn std::error::Error) -> String {
    let mut source = error;
    while let Some(next) = source.source() {
        source = next;
    }
    source.to_string()
}

/// Lower-case hex, as hyperlocal and `EngineSocketConnector` decode it.
pub(super) fn hex_encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_are_read_as_json_or_text() {
        assert_eq!(
            error_text(br#"{"message":"no such image"}"#),
            "no such image"
        );
        assert_eq!(error_text(b"plain text\n"), "plain text");
    }

    #[test]
    fn socket_path_is_hex_encoded_as_hyperlocal_expects() {
        // hyperlocal's own test: `Uri::new("foo.sock", "/")` is `unix://666f6f2e736f636b:0/`.
        assert_eq!(hex_encode(b"foo.sock"), "666f6f2e736f636b");
    }

    #[tokio::test]
    async fn raw_uris_keep_the_path_and_query() {
        let (_, unix) = connect_unix_pooled("foo.sock", bollard::API_DEFAULT_VERSION).unwrap();
        let uri = unix.uri("/images/127.0.0.1:5000/a/b/push?tag=1").unwrap();
        assert_eq!(
            uri.to_string(),
            "unix://666f6f2e736f636b:0/images/127.0.0.1:5000/a/b/push?tag=1"
        );
        let (_, tcp) =
            connect_tcp_pooled("tcp://10.0.0.1:2375", bollard::API_DEFAULT_VERSION).unwrap();
        assert_eq!(
            tcp.uri("/version").unwrap().to_string(),
            "http://10.0.0.1:2375/version"
        );
    }
}
