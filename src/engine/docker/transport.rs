//! A unix-socket transport for bollard that keeps connections open between requests.
//!
//! bollard 0.21's `connect_with_unix` builds its hyper client with
//! `pool_max_idle_per_host(0)` (bollard `src/docker.rs`), so every request opens a new
//! socket and dockerd starts a new connection handler for it. A Job run makes about eight
//! requests per pod and a 50-pod Job runs eight at once, so the pool here keeps up to
//! [`IDLE_PER_HOST`] connections warm instead.

use std::sync::Arc;
use std::time::Duration;

use bollard::{BollardRequest, ClientVersion, Docker};
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use hyperlocal::UnixConnector;

/// Idle connections kept per engine: one per pod that a parallel Job may run at once,
/// within reason.
const IDLE_PER_HOST: usize = 16;

/// How long an idle connection is kept before it is closed.
const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// A bollard client on the unix socket at `path`, with a connection pool.
pub fn connect_unix_pooled(
    path: &str,
    version: &ClientVersion,
) -> Result<Docker, bollard::errors::Error> {
    let client = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(IDLE_PER_HOST)
        .pool_idle_timeout(IDLE_TIMEOUT)
        .pool_timer(TokioTimer::new())
        .build(UnixConnector);
    let client = Arc::new(client);
    // hyperlocal's URI form: scheme `unix`, the socket path hex-encoded as the host, which is
    // also what bollard writes for its own unix transport (bollard `src/uri.rs`).
    let address = format!("unix://{}", hex_encode(path.as_bytes()));
    Docker::connect_with_custom_transport(
        move |request: BollardRequest| {
            let client = Arc::clone(&client);
            async move {
                client
                    .request(request)
                    .await
                    .map_err(bollard::errors::Error::from)
            }
        },
        Some(address),
        120,
        version,
    )
}

/// Lower-case hex, as hyperlocal decodes it.
fn hex_encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socket_path_is_hex_encoded_as_hyperlocal_expects() {
        // hyperlocal's own test: `Uri::new("foo.sock", "/")` is `unix://666f6f2e736f636b:0/`.
        assert_eq!(hex_encode(b"foo.sock"), "666f6f2e736f636b");
    }
}
