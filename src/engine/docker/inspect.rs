//! A container's inspect (`GET /containers/{id}/json`) as dockjob reads it: the handful of
//! fields it uses (state, network mode, addresses, mount names), decoded alone.
//!
//! A pod costs two inspects (its addresses once it runs, its exit state once it ends), and
//! decoding bollard's whole `ContainerInspectResponse` (config, host config, graph driver,
//! every network's settings, all into owned strings and maps) for them was a tenth of the
//! CPU of a Job run (docs/performance.md). serde skips the fields not named here without
//! building them.

use std::collections::HashMap;

use http_body_util::BodyExt;
use serde::Deserialize;

use bollard::errors::Error as BollardError;

use super::{engine_error, DockerEngine, NotFound};
use crate::engine::EngineError;

/// What dockjob reads of a container's inspect.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub(super) struct ContainerFacts {
    pub state: Option<StateFacts>,
    pub host_config: Option<HostConfigFacts>,
    pub network_settings: Option<NetworkFacts>,
    pub mounts: Option<Vec<MountFacts>>,
}

/// `State`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub(super) struct StateFacts {
    /// `created`, `running`, `exited`, …
    pub status: Option<String>,
    pub running: Option<bool>,
    pub exit_code: Option<i64>,
    #[serde(rename = "OOMKilled")]
    pub oom_killed: Option<bool>,
    pub error: Option<String>,
}

/// `HostConfig`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub(super) struct HostConfigFacts {
    pub network_mode: Option<String>,
}

/// `NetworkSettings`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub(super) struct NetworkFacts {
    pub networks: Option<HashMap<String, EndpointFacts>>,
}

/// One network's endpoint in `NetworkSettings.Networks`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub(super) struct EndpointFacts {
    #[serde(rename = "IPAddress")]
    pub ip_address: Option<String>,
    #[serde(rename = "GlobalIPv6Address")]
    pub global_ipv6_address: Option<String>,
    #[serde(rename = "Gateway")]
    pub gateway: Option<String>,
    #[serde(rename = "IPv6Gateway")]
    pub ipv6_gateway: Option<String>,
}

/// One of `Mounts`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub(super) struct MountFacts {
    /// The volume's name (none for a bind mount).
    pub name: Option<String>,
}

impl DockerEngine {
    /// The inspect of container `id`: [`EngineError::ContainerNotFound`] when the engine
    /// has no such container. Unbounded: callers bound it with the call it is part of.
    pub(super) async fn inspect_container(&self, id: &str) -> Result<ContainerFacts, EngineError> {
        let body = self
            .container_call(http::Method::GET, &format!("/containers/{id}/json"))
            .await
            .map_err(|e| engine_error(e, NotFound::Container(id)))?;
        decode(&body)
            .map_err(|e| EngineError::Daemon(format!("unreadable inspect of container {id}: {e}")))
    }

    /// `method path` (no request body) on the pooled transport, its body read whole: the
    /// calls every pod makes (create, start, wait, inspect, remove) go here rather than through
    /// bollard, whose building of each request (URL parsing and query encoding) was ~10 % of
    /// a run's CPU. Answers are judged as bollard judges them (below 400 is success, as the
    /// engine's 304 for a container already started or stopped) and failures come back as
    /// bollard's errors, so callers map them as they map every other call.
    pub(super) async fn container_call(
        &self,
        method: http::Method,
        path: &str,
    ) -> Result<bytes::Bytes, BollardError> {
        self.call_with_body(method, path, None).await
    }

    /// [`Self::container_call`] with a JSON request body.
    pub(super) async fn json_call(
        &self,
        method: http::Method,
        path: &str,
        body: Vec<u8>,
    ) -> Result<bytes::Bytes, BollardError> {
        self.call_with_body(method, path, Some(body)).await
    }

    async fn call_with_body(
        &self,
        method: http::Method,
        path: &str,
        json: Option<Vec<u8>>,
    ) -> Result<bytes::Bytes, BollardError> {
        let uri =
            self.raw
                .uri(path)
                .map_err(|message| BollardError::DockerResponseServerError {
                    status_code: 400,
                    message,
                })?;
        let mut request = http::Request::builder().method(method).uri(uri);
        if json.is_some() {
            // The engine refuses a body of any other type.
            request = request.header(http::header::CONTENT_TYPE, "application/json");
        }
        let request = request
            .body(bollard::body_full(json.unwrap_or_default().into()))
            .map_err(BollardError::from)?;
        let response = self.raw.send(request).await.map_err(BollardError::from)?;
        let status = response.status();
        if status.as_u16() >= 400 {
            let message = super::transport::error_message(response.into_body()).await;
            return Err(BollardError::DockerResponseServerError {
                status_code: status.as_u16(),
                message,
            });
        }
        Ok(response
            .into_body()
            .collect()
            .await
            .map_err(BollardError::from)?
            .to_bytes())
    }
}

fn decode(body: &[u8]) -> Result<ContainerFacts, serde_json::Error> {
    serde_json::from_slice(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An inspect as engine 20.10 answers it (abridged where dockjob reads nothing), with the
    /// nulls it writes for absent values.
    const INSPECT: &str = r#"{
        "Id": "4f0d", "Created": "2026-12-06T10:00:00Z", "Path": "/bin/sh", "Args": ["-c"],
        "State": {"Status": "exited", "Running": false, "Paused": false, "OOMKilled": true,
                  "Dead": false, "Pid": 0, "ExitCode": 137, "Error": "",
                  "StartedAt": "2026-12-06T10:00:01Z", "FinishedAt": "2026-12-06T10:00:02Z"},
        "HostConfig": {"NetworkMode": "container:abc", "Binds": null, "LogConfig": {"Type": "json-file", "Config": {}}},
        "Mounts": [{"Type": "volume", "Name": "dockjob-emptydir-x", "Source": "/v", "Destination": "/d"},
                   {"Type": "bind", "Source": "/h", "Destination": "/b"}],
        "Config": {"Env": ["A=1"], "Labels": {"k": "v"}},
        "NetworkSettings": {"Bridge": "", "Ports": {}, "Networks": {
            "bridge": {"IPAMConfig": null, "Links": null, "Aliases": null, "Gateway": "172.17.0.1",
                       "IPAddress": "172.17.0.3", "IPv6Gateway": "", "GlobalIPv6Address": "",
                       "MacAddress": "02:42:ac:11:00:03", "DriverOpts": null}}}
    }"#;

    #[test]
    fn reads_the_fields_dockjob_uses_and_skips_the_rest() {
        let facts = decode(INSPECT.as_bytes()).unwrap();
        let state = facts.state.unwrap();
        assert_eq!(state.status.as_deref(), Some("exited"));
        assert_eq!(state.running, Some(false));
        assert_eq!(state.exit_code, Some(137));
        assert_eq!(state.oom_killed, Some(true));
        assert_eq!(state.error.as_deref(), Some(""));
        assert_eq!(
            facts.host_config.unwrap().network_mode.as_deref(),
            Some("container:abc")
        );
        let names: Vec<Option<String>> =
            facts.mounts.unwrap().into_iter().map(|m| m.name).collect();
        assert_eq!(names, [Some("dockjob-emptydir-x".to_string()), None]);
        let networks = facts.network_settings.unwrap().networks.unwrap();
        let bridge = &networks["bridge"];
        assert_eq!(bridge.ip_address.as_deref(), Some("172.17.0.3"));
        assert_eq!(bridge.gateway.as_deref(), Some("172.17.0.1"));
        assert_eq!(bridge.global_ipv6_address.as_deref(), Some(""));
    }

    #[test]
    fn nulls_and_missing_sections_read_as_absent() {
        let facts =
            decode(br#"{"State": null, "NetworkSettings": {"Networks": null}, "Mounts": null}"#)
                .unwrap();
        assert!(facts.state.is_none() && facts.mounts.is_none() && facts.host_config.is_none());
        assert!(facts.network_settings.unwrap().networks.is_none());
    }
}
