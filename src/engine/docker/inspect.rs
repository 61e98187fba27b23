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

use super::DockerEngine;
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
        let path = format!("/containers/{id}/json");
        let uri = self.raw.uri(&path).map_err(EngineError::Daemon)?;
        let request = http::Request::get(uri)
            .body(bollard::body_full(bytes::Bytes::new()))
            .map_err(|e| EngineError::Daemon(e.to_string()))?;
        let response = self
            .raw
            .send(request)
            .await
            .map_err(super::push::transport_failure)?;
        let status = response.status();
        if !status.is_success() {
            let message = super::transport::error_message(response.into_body()).await;
            return Err(match status.as_u16() {
                404 => EngineError::ContainerNotFound(id.to_string()),
                _ => EngineError::Daemon(message),
            });
        }
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(super::push::transport_failure)?
            .to_bytes();
        decode(&body)
            .map_err(|e| EngineError::Daemon(format!("unreadable inspect of container {id}: {e}")))
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
