//! BuildKit builds: `POST /session` upgraded to HTTP/2 for the session, and `POST
//! /build?version=2` made by dockjob itself on bollard's connection pool.
//!
//! bollard 0.21 without its `buildkit` feature types a build message's `aux` as an image id,
//! so BuildKit's `{"id":"moby.buildkit.trace","aux":"<base64 StatusResponse>"}` lines would not
//! parse; and its own BuildKit session serves only Auth and FileSend. The request is written
//! here, as for push (`push.rs`), and the messages are read whole.

use std::time::Duration;

use bytes::Bytes;
use serde::Deserialize;

use super::images::BodyStream;
use super::transport::{each_json_message, error_message};
use super::{build_args, DockerEngine};
use crate::engine::{BuildEvent, BuildKitRequest, BuildRequest, EngineError};

/// How long the engine may take to accept a session (it answers at once when it can).
const SESSION_TIMEOUT: Duration = Duration::from_secs(30);

/// The oldest API whose engines build with BuildKit (Docker 18.09, API 1.39).
const BUILDKIT_MIN_API: (u32, u32) = (1, 39);

impl DockerEngine {
    /// The engine's API version when it builds with BuildKit (a Linux engine with API 1.39 or
    /// newer), else `None`. The `Builder-Version` header of `/_ping` is not asked: 20.10 omits
    /// it unless BuildKit is its configured default, yet builds with `version=2` all the same.
    pub async fn buildkit_api_version(&self) -> Result<Option<(u32, u32)>, EngineError> {
        let version = self
            .docker
            .version()
            .await
            .map_err(|e| super::engine_error(e, super::NotFound::Other))?;
        let api = version.api_version.as_deref().and_then(parse_api_version);
        let linux = version.os.as_deref().is_none_or(|os| os == "linux");
        Ok(api.filter(|&api| linux && api >= BUILDKIT_MIN_API))
    }

    /// Opens the session `id` announcing `methods`, and returns the upgraded connection on
    /// which dockjob serves them (BuildKit `session/manager.go` `HandleHTTPRequest`).
    pub async fn open_build_session(
        &self,
        id: &str,
        shared_key: &str,
        methods: &[String],
    ) -> Result<hyper::upgrade::Upgraded, EngineError> {
        let uri = self.raw.uri("/session").map_err(EngineError::Daemon)?;
        let mut request = http::Request::post(uri)
            .header(http::header::CONNECTION, "Upgrade")
            .header(http::header::UPGRADE, "h2c")
            .header("X-Docker-Expose-Session-Uuid", id)
            .header("X-Docker-Expose-Session-Name", "dockjob")
            .header("X-Docker-Expose-Session-Sharedkey", shared_key);
        for method in methods {
            request = request.header("X-Docker-Expose-Session-Grpc-Method", method);
        }
        let request = request
            .body(bollard::body_full(Bytes::new()))
            .map_err(|e| EngineError::Daemon(e.to_string()))?;
        let response = tokio::time::timeout(SESSION_TIMEOUT, self.raw.send(request))
            .await
            .map_err(|_| EngineError::Daemon("the engine did not open a build session".into()))?
            .map_err(super::push::transport_failure)?;
        if response.status() != http::StatusCode::SWITCHING_PROTOCOLS {
            let status = response.status();
            let text = error_message(response.into_body()).await;
            return Err(EngineError::Daemon(format!(
                "the engine refused a BuildKit session ({status}): {text}"
            )));
        }
        hyper::upgrade::on(response)
            .await
            .map_err(|e| EngineError::Daemon(format!("the build session broke: {e}")))
    }

    /// Builds with the engine's BuildKit. Returns the image ID, or `None` when the result
    /// was exported through the session instead (`-o type=local|tar`).
    pub async fn build_image_buildkit(
        &self,
        request: &BuildRequest,
        buildkit: &BuildKitRequest,
        context: impl BodyStream,
        mut on_event: impl FnMut(BuildEvent),
    ) -> Result<Option<String>, EngineError> {
        let path = format!("/build?{}", build_query(request, buildkit));
        let uri = self.raw.uri(&path).map_err(EngineError::Daemon)?;
        let http_request = http::Request::post(uri)
            .header(http::header::CONTENT_TYPE, "application/x-tar")
            .body(bollard::body_try_stream(context))
            .map_err(|e| EngineError::Daemon(e.to_string()))?;
        let response = self
            .raw
            .send(http_request)
            .await
            .map_err(super::push::transport_failure)?;
        let status = response.status();
        let body = response.into_body();
        if !status.is_success() {
            return Err(EngineError::StepFailed(error_message(body).await));
        }
        let mut image_id = None;
        each_json_message(body, |message: BuildMessage| {
            if let Some(error) = message
                .error_detail
                .and_then(|d| d.message)
                .or(message.error)
            {
                return Err(EngineError::StepFailed(error));
            }
            match (message.id.as_deref(), message.aux) {
                (Some("moby.buildkit.trace"), Some(serde_json::Value::String(aux))) => {
                    on_event(BuildEvent::Trace(decode_trace(&aux)?));
                }
                (_, Some(aux)) => {
                    if let Some(id) = aux.get("ID").and_then(|v| v.as_str()) {
                        image_id = Some(id.to_string());
                        on_event(BuildEvent::ImageId(id.to_string()));
                    }
                }
                _ => {}
            }
            if let Some(text) = message.stream {
                on_event(BuildEvent::Output(text));
            }
            Ok(())
        })
        .await?;
        if image_id.is_none() && buildkit.exporter.is_none() {
            return Err(EngineError::Daemon(
                "the build ended without an image ID".into(),
            ));
        }
        Ok(image_id)
    }
}

/// One message of a BuildKit build's stream (moby `pkg/jsonmessage.JSONMessage`, the fields
/// used).
#[derive(Debug, Default, Deserialize)]
struct BuildMessage {
    id: Option<String>,
    stream: Option<String>,
    aux: Option<serde_json::Value>,
    #[serde(rename = "errorDetail")]
    error_detail: Option<ErrorDetail>,
    error: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct ErrorDetail {
    message: Option<String>,
}

/// Decodes a `moby.buildkit.trace` aux value: base64 of a `StatusResponse`.
fn decode_trace(
    aux: &str,
) -> Result<bollard_buildkit_proto::moby::buildkit::v1::StatusResponse, EngineError> {
    crate::progress::buildkit::decode_trace_aux(aux)
        .map_err(|e| EngineError::Daemon(format!("unreadable BuildKit progress: {e}")))
}

/// The query of a BuildKit build: the classic parameters plus `version=2`, `session`,
/// `outputs` and `cachefrom` (moby `newImageBuildOptions`). Several `extrahosts` are
/// separate parameters there.
fn build_query(request: &BuildRequest, buildkit: &BuildKitRequest) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.append_pair("version", "2");
    query.append_pair("session", &buildkit.session_id);
    query.append_pair("dockerfile", &request.dockerfile);
    for tag in &request.tags {
        query.append_pair("t", tag);
    }
    if !request.build_args.is_empty() {
        query.append_pair(
            "buildargs",
            &build_args::buildargs_json(&request.build_args),
        );
    }
    if !request.labels.is_empty() {
        let labels = serde_json::to_string(&request.labels).unwrap_or_default();
        query.append_pair("labels", &labels);
    }
    if let Some(target) = &request.target {
        query.append_pair("target", target);
    }
    if request.no_cache {
        query.append_pair("nocache", "1");
    }
    if request.pull {
        query.append_pair("pull", "1");
    }
    if let Some(network) = &request.network {
        query.append_pair("networkmode", network);
    }
    for host in &request.extra_hosts {
        query.append_pair("extrahosts", host);
    }
    if let Some(platform) = &request.platform {
        query.append_pair("platform", platform);
    }
    if !buildkit.cache_from.is_empty() {
        let cache_from = serde_json::to_string(&buildkit.cache_from).unwrap_or_default();
        query.append_pair("cachefrom", &cache_from);
    }
    if let Some(exporter) = buildkit.exporter {
        let outputs = serde_json::json!([{ "Type": exporter, "Attrs": {} }]);
        query.append_pair("outputs", &outputs.to_string());
    }
    query.finish()
}

/// `1.41` → `(1, 41)`.
fn parse_api_version(text: &str) -> Option<(u32, u32)> {
    let (major, minor) = text.split_once('.')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_carries_what_only_buildkit_reads() {
        let request = BuildRequest {
            dockerfile: "Dockerfile".into(),
            tags: vec!["a/b:1".into(), "a/c:2".into()],
            extra_hosts: vec!["h1:10.0.0.1".into(), "h2:10.0.0.2".into()],
            ..BuildRequest::default()
        };
        let buildkit = BuildKitRequest {
            session_id: "s1".into(),
            exporter: Some("tar"),
            cache_from: vec!["r/app:1".into()],
        };
        let query = build_query(&request, &buildkit);
        let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        let get = |k: &str| {
            pairs
                .iter()
                .filter(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
                .collect::<Vec<_>>()
        };
        assert_eq!(get("version"), ["2"]);
        assert_eq!(get("session"), ["s1"]);
        assert_eq!(get("extrahosts"), ["h1:10.0.0.1", "h2:10.0.0.2"]);
        // Every name, so that BuildKit's exporter reports `naming to NAME` for each.
        assert_eq!(get("t"), ["a/b:1", "a/c:2"]);
        assert_eq!(get("cachefrom"), [r#"["r/app:1"]"#]);
        assert_eq!(get("outputs"), [r#"[{"Attrs":{},"Type":"tar"}]"#]);
    }

    #[test]
    fn api_versions_compare_numerically() {
        assert!(parse_api_version("1.41").unwrap() >= BUILDKIT_MIN_API);
        assert!(parse_api_version("1.9").unwrap() < BUILDKIT_MIN_API);
        assert!(parse_api_version("x").is_none());
    }

    #[test]
    fn recorded_traces_decode() {
        let text = include_str!("../../../tests/fixtures/buildkit/success.jsonl");
        let mut lines = super::super::json_lines::JsonLines::default();
        let messages = lines.push::<BuildMessage>(text.as_bytes());
        let traces: Vec<_> = messages
            .into_iter()
            .map(Result::unwrap)
            .filter(|m| m.id.as_deref() == Some("moby.buildkit.trace"))
            .map(|m| decode_trace(m.aux.unwrap().as_str().unwrap()).unwrap())
            .collect();
        assert!(traces
            .iter()
            .flat_map(|t| &t.vertexes)
            .any(|v| v.name.contains("RUN --mount=type=cache")));
    }
}
