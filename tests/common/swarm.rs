//! A throwaway 3-node Docker Swarm for a test (`tests/swarm/harness`): private dockerds in
//! their own network namespaces and a registry on their bridge. Torn down when dropped, even
//! when the test fails.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;

/// A running test swarm.
pub struct TestSwarm {
    dir: PathBuf,
    id: String,
    /// `unix://…` of the manager (node1).
    pub manager: String,
    /// `unix://…` of every node, node1 first.
    pub nodes: Vec<String>,
    /// `ADDRESS:PORT` of the registry the nodes pull from (reachable from the nodes only).
    pub registry: String,
}

impl TestSwarm {
    /// Starts `n` nodes; needs root, iproute2, util-linux, Debian's docker.io and
    /// docker-registry (as `.ci/run` installs).
    pub fn start(n: usize) -> TestSwarm {
        let id = (std::process::id() % 250).to_string();
        let dir = std::env::temp_dir().join(format!("dockjob-swarm-{}", std::process::id()));
        let mut swarm = TestSwarm {
            dir,
            id,
            manager: String::new(),
            nodes: Vec::new(),
            registry: String::new(),
        };
        let output = Command::new(harness())
            .args(["up"])
            .arg(&swarm.dir)
            .arg(&swarm.id)
            .arg(n.to_string())
            .output()
            .expect("tests/swarm/harness");
        // From here on, `drop` tears down whatever came up.
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(
            output.status.success(),
            "the test swarm did not come up:\n{text}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let values: HashMap<&str, &str> = text.lines().filter_map(|l| l.split_once('=')).collect();
        swarm.manager = values["MANAGER"].to_string();
        swarm.registry = values["REGISTRY"].to_string();
        swarm.nodes = (1..=n)
            .map(|k| values[format!("NODE{k}").as_str()].to_string())
            .collect();
        swarm
    }

    /// Stops node `k`'s engine and everything it ran (a worker going down).
    pub fn stop_node(&self, k: usize) {
        let status = Command::new(harness())
            .arg("stop-node")
            .arg(&self.dir)
            .arg(&self.id)
            .arg(k.to_string())
            .status()
            .expect("tests/swarm/harness stop-node");
        assert!(status.success());
    }

    /// `docker -H MANAGER ARGS…`'s stdout (checks the CLI offers and dockjob does not).
    pub fn docker(&self, args: &[&str]) -> String {
        let output = Command::new("docker")
            .arg("-H")
            .arg(&self.manager)
            .args(args)
            .output()
            .expect("docker CLI");
        String::from_utf8_lossy(&output.stdout).into_owned()
    }
}

impl Drop for TestSwarm {
    fn drop(&mut self) {
        let _ = Command::new(harness())
            .arg("down")
            .arg(&self.dir)
            .arg(&self.id)
            .status();
    }
}

fn harness() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/swarm/harness")
}
