//! A real CNCF distribution registry (Debian's `docker-registry`) on a free loopback port.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;

/// A running registry; stopped when dropped.
pub struct Registry {
    /// `127.0.0.1:<port>`.
    pub address: String,
    credentials: Option<(String, String)>,
    child: Child,
}

impl Registry {
    /// Starts a registry storing under `dir`, with htpasswd auth when `credentials` is given.
    pub fn start(dir: &Path, credentials: Option<(&str, &str)>) -> Registry {
        let port = free_port();
        let address = format!("127.0.0.1:{port}");
        std::fs::create_dir_all(dir.join("storage")).expect("registry storage dir");
        let auth = match credentials {
            Some((user, password)) => {
                let hash = bcrypt::hash_with_result(password, 5)
                    .expect("bcrypt")
                    .format_for_version(bcrypt::Version::TwoB);
                let htpasswd = dir.join("htpasswd");
                std::fs::write(&htpasswd, format!("{user}:{hash}\n")).expect("write htpasswd");
                format!(
                    "auth:\n  htpasswd:\n    realm: dockjob-test\n    path: {}\n",
                    htpasswd.display()
                )
            }
            None => String::new(),
        };
        let config = dir.join("config.yml");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n\
                 storage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\n\
                 http:\n  addr: {address}\n{auth}",
                dir.join("storage").display()
            ),
        )
        .expect("write registry config");
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("registry.log")).expect("registry log"))
            .spawn()
            .expect("start docker-registry (Debian package docker-registry; .ci/run installs it)");
        let registry = Registry {
            address,
            credentials: credentials.map(|(u, p)| (u.to_string(), p.to_string())),
            child,
        };
        registry.wait_until_ready();
        registry
    }

    fn wait_until_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if TcpStream::connect(&self.address).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("docker-registry did not listen on {} in 20 s", self.address);
    }

    /// The `Docker-Content-Digest` the registry serves for `repository:tag`, if any.
    pub fn manifest_digest(&self, repository: &str, tag: &str) -> Option<String> {
        let response = self.request("HEAD", &format!("/v2/{repository}/manifests/{tag}"));
        if !response.starts_with("HTTP/1.1 200") {
            return None;
        }
        response.lines().find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("docker-content-digest")
                .then(|| value.trim().to_string())
        })
    }

    /// A raw HTTP/1.1 request (with basic auth when configured); returns the response head.
    fn request(&self, method: &str, path: &str) -> String {
        let mut stream = TcpStream::connect(&self.address).expect("connect to registry");
        stream.set_read_timeout(Some(Duration::from_secs(10))).ok();
        let auth = self
            .credentials
            .as_ref()
            .map(|(u, p)| {
                let token = base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"));
                format!("Authorization: Basic {token}\r\n")
            })
            .unwrap_or_default();
        let accept = "application/vnd.docker.distribution.manifest.v2+json, \
                      application/vnd.oci.image.manifest.v1+json";
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nAccept: {accept}\r\n{auth}Connection: close\r\n\r\n",
            self.address
        )
        .expect("send request");
        let mut response = String::new();
        let _ = stream.read_to_string(&mut response);
        response
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}
