//! `moby.sshforward.v1.SSH`: `--ssh` agents for `RUN --mount=type=ssh`.
//!
//! Each connection a build step makes to its agent socket becomes one `ForwardAgent` stream;
//! dockjob copies its bytes to and from the agent's unix socket (BuildKit
//! `session/sshforward/copy.go`). The agent is `$SSH_AUTH_SOCK` (`--ssh default`) or a socket
//! given by path. Private key files (`--ssh id=~/.ssh/id_ed25519`) are loaded into a private
//! `ssh-agent` (OpenSSH) that lives as long as the build, where buildx runs an agent in-process.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bollard_buildkit_proto::moby::sshforward::v1::ssh_server::Ssh;
use bollard_buildkit_proto::moby::sshforward::v1::{
    BytesMessage, CheckAgentRequest, CheckAgentResponse,
};
use futures_util::{Stream, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tonic::{Request, Response, Status, Streaming};

use crate::buildkit::options::SshSpec;

/// The metadata key that names the agent of a `ForwardAgent` stream (BuildKit
/// `session/sshforward/ssh.go` `KeySSHID`).
const KEY_SSH_ID: &str = "buildkit.ssh.id";

/// The id a mount without `id=` asks for.
const DEFAULT_ID: &str = "default";

/// The agents of one build, by id.
#[derive(Clone, Default)]
pub struct SshAgents {
    sockets: Arc<HashMap<String, PathBuf>>,
    /// Private agents started for key files; killed when the last clone is dropped.
    _private: Arc<Vec<PrivateAgent>>,
}

impl SshAgents {
    /// Resolves every `--ssh`: sockets are checked, key files loaded into a private agent.
    pub fn start(specs: &[SshSpec]) -> Result<Self, String> {
        let mut sockets = HashMap::new();
        let mut private = Vec::new();
        for spec in specs {
            let paths = if spec.paths.is_empty() {
                let sock = std::env::var_os("SSH_AUTH_SOCK")
                    .filter(|s| !s.is_empty())
                    .ok_or_else(|| {
                        format!(
                            "--ssh {}: invalid empty ssh agent socket, make sure SSH_AUTH_SOCK \
                             is set",
                            spec.id
                        )
                    })?;
                vec![PathBuf::from(sock)]
            } else {
                spec.paths.clone()
            };
            let (sockets_given, keys): (Vec<_>, Vec<_>) = paths.iter().partition(|p| is_socket(p));
            let socket = match (sockets_given.as_slice(), keys.as_slice()) {
                ([socket], []) => socket.to_path_buf(),
                ([], keys) => {
                    for key in keys {
                        std::fs::metadata(key).map_err(|e| {
                            format!("--ssh {}: cannot read {}: {e}", spec.id, key.display())
                        })?;
                    }
                    let agent =
                        PrivateAgent::start(keys).map_err(|e| format!("--ssh {}: {e}", spec.id))?;
                    let socket = agent.socket.clone();
                    private.push(agent);
                    socket
                }
                _ => {
                    return Err(format!(
                        "--ssh {}: give one agent socket or key files, not both",
                        spec.id
                    ))
                }
            };
            sockets.insert(spec.id.clone(), socket);
        }
        Ok(SshAgents {
            sockets: Arc::new(sockets),
            _private: Arc::new(private),
        })
    }

    /// Whether no `--ssh` was given (the service is then not announced).
    pub fn is_empty(&self) -> bool {
        self.sockets.is_empty()
    }

    fn socket(&self, id: &str) -> Result<&Path, Status> {
        self.sockets
            .get(id)
            .map(PathBuf::as_path)
            .ok_or_else(|| Status::not_found(format!("unset ssh forward key {id}")))
    }
}

#[tonic::async_trait]
impl Ssh for SshAgents {
    async fn check_agent(
        &self,
        request: Request<CheckAgentRequest>,
    ) -> Result<Response<CheckAgentResponse>, Status> {
        let id = request.into_inner().id;
        let id = if id.is_empty() { DEFAULT_ID } else { &id };
        self.socket(id)?;
        Ok(Response::new(CheckAgentResponse {}))
    }

    type ForwardAgentStream =
        Pin<Box<dyn Stream<Item = Result<BytesMessage, Status>> + Send + 'static>>;

    async fn forward_agent(
        &self,
        request: Request<Streaming<BytesMessage>>,
    ) -> Result<Response<Self::ForwardAgentStream>, Status> {
        let id = request
            .metadata()
            .get(KEY_SSH_ID)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty())
            .unwrap_or(DEFAULT_ID)
            .to_string();
        let socket = self.socket(&id)?.to_path_buf();
        let agent = tokio::net::UnixStream::connect(&socket)
            .await
            .map_err(|e| Status::unavailable(format!("ssh agent {id}: {e}")))?;
        let (agent_reader, mut agent_writer) = agent.into_split();
        let mut incoming = request.into_inner();
        // Build step → agent.
        tokio::spawn(async move {
            while let Some(Ok(message)) = incoming.next().await {
                if agent_writer.write_all(&message.data).await.is_err() {
                    break;
                }
            }
            let _ = agent_writer.shutdown().await;
        });
        // Agent → build step.
        let outgoing = futures_util::stream::unfold(agent_reader, |mut reader| async move {
            let mut buf = vec![0u8; 32 * 1024];
            match reader.read(&mut buf).await {
                Ok(0) | Err(_) => None,
                Ok(n) => {
                    buf.truncate(n);
                    Some((Ok(BytesMessage { data: buf }), reader))
                }
            }
        });
        Ok(Response::new(Box::pin(outgoing)))
    }
}

fn is_socket(path: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::metadata(path).is_ok_and(|m| m.file_type().is_socket())
}

/// An `ssh-agent` of dockjob's own holding the `--ssh` key files, in a private directory.
struct PrivateAgent {
    child: std::process::Child,
    socket: PathBuf,
    _dir: tempfile::TempDir,
}

impl PrivateAgent {
    fn start(keys: &[&PathBuf]) -> Result<Self, String> {
        let dir = tempfile::TempDir::new()
            .map_err(|e| format!("cannot make a directory for an ssh agent: {e}"))?;
        let socket = dir.path().join("agent.sock");
        let mut command = std::process::Command::new("ssh-agent");
        command
            .arg("-D")
            .arg("-a")
            .arg(&socket)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        // Ctrl-C exits dockjob without unwinding (`commands::signals`), so `Drop` would not
        // run: the kernel ends the agent when the thread that started it goes. The caller is a
        // runtime worker, which lives as long as the process.
        // SAFETY: prctl is async-signal-safe and touches no memory of the parent.
        unsafe {
            use std::os::unix::process::CommandExt;
            command.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = command.spawn().map_err(|e| {
            format!("key files need OpenSSH's ssh-agent to hold them, which did not start: {e}")
        })?;
        let mut agent = PrivateAgent {
            child,
            socket,
            _dir: dir,
        };
        // Dropping `agent` on an error below kills it.
        let timeout = crate::external::helper_timeout()?;
        let deadline = std::time::Instant::now() + timeout;
        while !is_socket(&agent.socket) {
            if std::time::Instant::now() > deadline {
                return Err(format!(
                    "ssh-agent did not start within {}s and was stopped; set {}=SECONDS to give it longer",
                    timeout.as_secs_f64(),
                    crate::external::TIMEOUT_VARIABLE
                ));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        for key in keys {
            agent.add(key)?;
        }
        Ok(agent)
    }

    /// Loads `key` with `ssh-add`, under the external-program timeout
    /// (`DOCKJOB_HELPER_TIMEOUT`): killed with what it started if it hangs, named if it fails.
    fn add(&mut self, key: &Path) -> Result<(), String> {
        let timeout = crate::external::helper_timeout()?;
        let mut add = std::process::Command::new("ssh-add");
        add.arg("-q")
            .arg(key)
            .env("SSH_AUTH_SOCK", &self.socket)
            // A key with a passphrase cannot be asked for here: fail instead of prompting.
            .env("SSH_ASKPASS_REQUIRE", "never");
        let done = crate::external::run_bounded(&mut add, "ssh-add", b"", timeout)
            .map_err(|e| format!("loading {}: {e}", key.display()))?;
        if done.status.success() {
            return Ok(());
        }
        Err(format!(
            "ssh-add could not load {}: {}",
            key.display(),
            String::from_utf8_lossy(&done.stderr).trim()
        ))
    }
}

impl Drop for PrivateAgent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
