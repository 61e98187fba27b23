//! `POST /images/{name}/push`, made by dockjob itself on bollard's connection.
//!
//! bollard 0.21's `push_image` yields `PushImageInfo`, which has no `id` (bollard-stubs
//! `models.rs`): the layer a progress message is about is lost, and so is the `aux` object with
//! the digest. The request is small, so it is sent here through the same pooled transport
//! (`transport.rs`, `unix://` and `tcp://`) and the engine's JSON messages are read whole.
//! As with bollard's call, the tag is always sent — without it, 20.10 pushes every local tag
//! of the repository (moby `distribution/push_v2.go`) — and `X-Registry-Auth` is base64url
//! (`registry::auth`).

use bytes::Bytes;
use serde::Deserialize;

use super::transport::{each_json_message, error_message};
use super::{engine_error, DockerEngine, NotFound};
use crate::engine::{EngineError, PushEvent};
use crate::registry::auth::encode_registry_auth;
use crate::registry::credentials::Credentials;
use crate::registry::retry::{self, FailureKind};

/// `X-Registry-Auth` without credentials: `{}` in base64url. The engine refuses a push with
/// no header at all ("Bad parameters and missing X-Registry-Auth", moby `image_routes.go`).
const ANONYMOUS_AUTH: &str = "e30=";

impl DockerEngine {
    /// Pushes `name:tag` (name without tag, as the engine wants it) with `auth`, reporting
    /// each engine message to `on_event`. Returns the manifest digest the registry accepted.
    pub async fn push_image(
        &self,
        name: &str,
        tag: &str,
        auth: Option<&Credentials>,
        registry: &str,
        mut on_event: impl FnMut(PushEvent),
    ) -> Result<String, EngineError> {
        let failed = |message: String| push_failure(message, registry);
        let path = format!("/images/{name}/push?tag={}", query_escape(tag));
        let uri = self.raw.uri(&path).map_err(EngineError::Daemon)?;
        let auth_header = auth.map_or_else(|| ANONYMOUS_AUTH.to_string(), encode_registry_auth);
        let request = http::Request::post(uri)
            .header(http::header::CONTENT_TYPE, "application/json")
            .header("X-Registry-Auth", auth_header)
            .body(bollard::body_full(Bytes::new()))
            .map_err(|e| EngineError::Daemon(e.to_string()))?;
        let response = self.raw.send(request).await.map_err(transport_failure)?;

        let status = response.status();
        let body = response.into_body();
        if !status.is_success() {
            let message = error_message(body).await;
            return Err(match status.as_u16() {
                404 => EngineError::ImageNotFound(format!("{name}:{tag} ({message})")),
                _ => failed(message),
            });
        }

        let mut outcome = PushOutcome::default();
        each_json_message(body, |message: JsonMessage| {
            if let Some(event) = outcome.accept(message).map_err(failed)? {
                on_event(event);
            }
            Ok(())
        })
        .await?;
        outcome
            .digest
            .ok_or_else(|| EngineError::Daemon("the push ended without a digest".into()))
    }
}

/// One message of the push stream (moby `pkg/jsonmessage.JSONMessage`, the fields used).
#[derive(Debug, Default, Deserialize)]
struct JsonMessage {
    status: Option<String>,
    id: Option<String>,
    #[serde(rename = "progressDetail")]
    progress_detail: Option<ProgressDetail>,
    #[serde(rename = "errorDetail")]
    error_detail: Option<ErrorDetail>,
    error: Option<String>,
    aux: Option<serde_json::Value>,
}

#[derive(Debug, Default, Deserialize)]
struct ProgressDetail {
    current: Option<i64>,
    total: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
struct ErrorDetail {
    message: Option<String>,
}

/// What the messages so far said: the digest, once known.
#[derive(Debug, Default)]
struct PushOutcome {
    digest: Option<String>,
}

impl PushOutcome {
    /// Reads one message: an error ends the push (`Err` with the engine's text), the `aux`
    /// object and the final status carry the digest, every status is an event.
    fn accept(&mut self, message: JsonMessage) -> Result<Option<PushEvent>, String> {
        let error = message
            .error_detail
            .and_then(|detail| detail.message)
            .or(message.error);
        if let Some(error) = error {
            return Err(error);
        }
        if let Some(digest) = message
            .aux
            .as_ref()
            .and_then(|aux| aux.get("Digest"))
            .and_then(|digest| digest.as_str())
        {
            self.digest = Some(digest.to_string());
        }
        let Some(status) = message.status else {
            return Ok(None);
        };
        if let Some(digest) = digest_in_status(&status) {
            self.digest.get_or_insert_with(|| digest.to_string());
        }
        let detail = message.progress_detail.unwrap_or_default();
        let layer = message.id.filter(|id| !id.is_empty());
        Ok(Some(PushEvent::new(
            layer,
            status,
            detail.current,
            detail.total,
        )))
    }
}

/// The digest in the engine's final push status, `"<tag>: digest: sha256:<hex> size: <n>"`
/// (moby `distribution/push_v2.go`), for engines that send no `aux`.
fn digest_in_status(status: &str) -> Option<&str> {
    let rest = status.split_once(": digest: ")?.1;
    let digest = rest.split_whitespace().next()?;
    digest.starts_with("sha256:").then_some(digest)
}

/// A failed push: refused credentials become [`EngineError::Unauthorized`] naming the registry.
fn push_failure(message: String, registry: &str) -> EngineError {
    if matches!(
        retry::classify(&message, None),
        FailureKind::Unauthorized | FailureKind::Denied
    ) {
        EngineError::Unauthorized {
            registry: registry.to_string(),
            detail: message,
        }
    } else {
        EngineError::Daemon(message)
    }
}

/// A failure of the connection to the engine, judged as for bollard's calls (a lost engine is
/// [`EngineError::Unreachable`]).
pub(super) fn transport_failure(error: impl Into<bollard::errors::Error>) -> EngineError {
    engine_error(error.into(), NotFound::Other)
}

/// Percent-encodes a query value (tags are `[A-Za-z0-9_.-]`, so this is a safeguard).
fn query_escape(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::LayerPhase;

    fn message(json: &str) -> JsonMessage {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn digest_is_read_from_the_final_status() {
        let status = "0.1: digest: sha256:4f0d size: 528";
        assert_eq!(digest_in_status(status), Some("sha256:4f0d"));
        assert_eq!(digest_in_status("Pushed"), None);
        assert_eq!(digest_in_status("x: digest: md5:1 size: 1"), None);
    }

    #[test]
    fn engine_messages_become_layer_events_and_a_digest() {
        // The messages of a real 20.10 push, in order.
        let stream = [
            r#"{"status":"The push refers to repository [127.0.0.1:5000/a]"}"#,
            r#"{"status":"Preparing","progressDetail":{},"id":"5f70bf18a086"}"#,
            r#"{"status":"Pushing","progressDetail":{"current":512,"total":1024},"progress":"[=>  ]","id":"5f70bf18a086"}"#,
            r#"{"status":"Pushed","progressDetail":{},"id":"5f70bf18a086"}"#,
            r#"{"status":"0.1: digest: sha256:aaa size: 528"}"#,
            r#"{"progressDetail":{},"aux":{"Tag":"0.1","Digest":"sha256:aaa","Size":528}}"#,
        ];
        let mut outcome = PushOutcome::default();
        let events: Vec<PushEvent> = stream
            .iter()
            .filter_map(|m| outcome.accept(message(m)).unwrap())
            .collect();
        assert_eq!(events.len(), 5, "the aux message is not an event");
        assert_eq!(events[0].layer, None);
        assert_eq!(events[2].layer.as_deref(), Some("5f70bf18a086"));
        assert_eq!(events[2].phase, LayerPhase::Transferring);
        assert_eq!(
            (events[2].current, events[2].total),
            (Some(512), Some(1024))
        );
        assert_eq!(events[3].phase, LayerPhase::Done);
        assert_eq!(outcome.digest.as_deref(), Some("sha256:aaa"));
    }

    #[test]
    fn the_aux_digest_wins_over_the_status_text() {
        let mut outcome = PushOutcome::default();
        outcome
            .accept(message(r#"{"aux":{"Digest":"sha256:bbb"}}"#))
            .unwrap();
        outcome
            .accept(message(r#"{"status":"t: digest: sha256:ccc size: 1"}"#))
            .unwrap();
        assert_eq!(outcome.digest.as_deref(), Some("sha256:bbb"));
    }

    #[test]
    fn an_error_message_ends_the_push_with_its_text() {
        let mut outcome = PushOutcome::default();
        let error = outcome.accept(message(
            r#"{"errorDetail":{"message":"toomanyrequests: slow down"},"error":"toomanyrequests: slow down"}"#,
        ));
        assert_eq!(error.unwrap_err(), "toomanyrequests: slow down");
        let error = outcome.accept(message(r#"{"error":"EOF"}"#));
        assert_eq!(error.unwrap_err(), "EOF");
    }

    #[test]
    fn refused_credentials_name_the_registry() {
        let refused = push_failure("unauthorized: authentication required".into(), "r:5000");
        assert!(
            matches!(refused, EngineError::Unauthorized { ref registry, .. } if registry == "r:5000")
        );
        let denied = push_failure(
            "denied: requested access to the resource is denied".into(),
            "r",
        );
        assert!(matches!(denied, EngineError::Unauthorized { .. }));
        let reset = push_failure("connection reset by peer".into(), "r");
        assert!(matches!(reset, EngineError::Daemon(_)));
    }
}
