//! A running container's place on the network ([`PodNetwork`]), from its inspect and the
//! engine's `/info`. dockjob's "node" is the engine host: its name is `/info`'s `Name` (the
//! daemon host's hostname, right for a `tcp://` engine too), its IP the gateway of the
//! container's network (the address at which the pod reaches the node, as a Kubernetes pod
//! reaches `status.hostIP`); the pod's IPs are the container's addresses on that network, or
//! its sandbox's when the pod has several containers.

use std::collections::HashMap;

use super::inspect::{ContainerFacts, EndpointFacts};
use super::{engine_error, DockerEngine, NotFound};
use crate::engine::{EngineError, PodNetwork};

impl DockerEngine {
    /// The network of container `id` while it runs; `None` once it stopped (the engine then
    /// reports no address), when it is gone, or when it has no address (`--network none`).
    /// A container of a pod with several containers joins its sandbox's network
    /// (`NetworkMode: container:<sandbox>`, see `sandbox.rs`): the sandbox has the addresses.
    pub(super) async fn network_of(&self, id: &str) -> Result<Option<PodNetwork>, EngineError> {
        let Some(inspect) = self.running_inspect(id).await? else {
            return Ok(None);
        };
        let joined = inspect
            .host_config
            .as_ref()
            .and_then(|h| h.network_mode.as_deref())
            .and_then(|m| m.strip_prefix("container:"))
            .map(str::to_string);
        let inspect = match joined {
            Some(sandbox) => match self.running_inspect(&sandbox).await? {
                Some(inspect) => inspect,
                None => return Ok(None),
            },
            None => inspect,
        };
        let networks = inspect
            .network_settings
            .and_then(|n| n.networks)
            .unwrap_or_default();
        let Some(endpoint) = pod_endpoint(&networks) else {
            return Ok(None);
        };
        let node_name = self.node_name().await?;
        Ok(Some(pod_network(node_name, endpoint)))
    }

    /// The inspect of container `id` while it runs (`None`: stopped or gone).
    async fn running_inspect(&self, id: &str) -> Result<Option<ContainerFacts>, EngineError> {
        match self.inspect_container(id).await {
            Ok(inspect) if inspect.state.as_ref().and_then(|s| s.running) == Some(true) => {
                Ok(Some(inspect))
            }
            Ok(_) | Err(EngineError::ContainerNotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The engine host's name, asked once per connection.
    pub(super) async fn node_name(&self) -> Result<String, EngineError> {
        if let Some(name) = self.node_name.get() {
            return Ok(name.clone());
        }
        let info = self
            .docker
            .info()
            .await
            .map_err(|e| engine_error(e, NotFound::Other))?;
        let name = info.name.unwrap_or_default();
        Ok(self.node_name.get_or_init(|| name).clone())
    }
}

/// The endpoint whose addresses the pod shows: on `bridge` (the engine's default network)
/// when the container is there, else on the first network by name that gave it an address.
fn pod_endpoint(networks: &HashMap<String, EndpointFacts>) -> Option<&EndpointFacts> {
    let has_address = |e: &&EndpointFacts| {
        e.ip_address.as_deref().is_some_and(|a| !a.is_empty())
            || e.global_ipv6_address
                .as_deref()
                .is_some_and(|a| !a.is_empty())
    };
    if let Some(bridge) = networks.get("bridge").filter(has_address) {
        return Some(bridge);
    }
    let mut names: Vec<&String> = networks.keys().collect();
    names.sort();
    names.into_iter().map(|n| &networks[n]).find(has_address)
}

/// `node_name` plus the endpoint's gateway and addresses (IPv4 first, as Kubernetes lists a
/// dual-stack pod's IPs).
fn pod_network(node_name: String, endpoint: &EndpointFacts) -> PodNetwork {
    let non_empty = |s: &Option<String>| s.clone().filter(|s| !s.is_empty());
    let pod_ips = [&endpoint.ip_address, &endpoint.global_ipv6_address]
        .into_iter()
        .filter_map(non_empty)
        .collect();
    let host_ip = non_empty(&endpoint.gateway)
        .or_else(|| non_empty(&endpoint.ipv6_gateway))
        .unwrap_or_default();
    PodNetwork {
        node_name,
        host_ip,
        pod_ips,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(ip: &str, v6: &str, gateway: &str) -> EndpointFacts {
        EndpointFacts {
            ip_address: Some(ip.to_string()),
            global_ipv6_address: Some(v6.to_string()),
            gateway: Some(gateway.to_string()),
            ..Default::default()
        }
    }

    #[test]
    fn the_bridge_network_wins_then_the_first_named_network_with_an_address() {
        let mut networks = HashMap::from([
            ("zeta".to_string(), endpoint("10.9.0.2", "", "10.9.0.1")),
            ("alpha".to_string(), endpoint("", "", "")),
            ("beta".to_string(), endpoint("10.8.0.2", "", "10.8.0.1")),
        ]);
        let picked = pod_endpoint(&networks).unwrap();
        assert_eq!(picked.ip_address.as_deref(), Some("10.8.0.2"));
        networks.insert(
            "bridge".to_string(),
            endpoint("172.17.0.3", "fd00::3", "172.17.0.1"),
        );
        let network = pod_network("host-a".to_string(), pod_endpoint(&networks).unwrap());
        assert_eq!(
            network,
            PodNetwork {
                node_name: "host-a".to_string(),
                host_ip: "172.17.0.1".to_string(),
                pod_ips: vec!["172.17.0.3".to_string(), "fd00::3".to_string()],
            }
        );
    }

    #[test]
    fn no_address_means_no_network() {
        let networks = HashMap::from([("none".to_string(), endpoint("", "", ""))]);
        assert!(pod_endpoint(&networks).is_none());
        assert!(pod_endpoint(&HashMap::new()).is_none());
    }
}
