//! Checking a username and password against a registry before `login` stores them, as
//! `docker login` does.
//!
//! Owns [`verify_credentials`], [`registry_endpoint`] and the `WWW-Authenticate` parsing
//! ([`parse_challenge`]). The docker CLI asks the engine (`POST /auth`), which bollard 0.21 does
//! not expose; the engine's own check (moby `registry/auth.go` `loginV2`) is a plain HTTP
//! exchange, reproduced here with ureq: `GET /v2/`, then answer its challenge — `Basic` with the
//! credentials on `/v2/` again, `Bearer` by asking the token realm for a token with them (the
//! distribution token spec, `docs/spec/auth/token.md`). Docker Hub's key
//! (`https://index.docker.io/v1/`) is checked at `https://registry-1.docker.io` (moby
//! `registry/config.go` `DefaultV2Registry`). Loopback registries are spoken to over plain
//! HTTP, as the engine treats `127.0.0.0/8` as insecure by default; all others over HTTPS.
//!
//! Blocking I/O, no tokio, no bollard. Errors never contain the password.

use std::time::Duration;

use super::credentials::Credentials;
use crate::image_ref::{convert_to_hostname, DOCKER_HUB_AUTH_KEY};

/// How long one verification may take in all.
const TIMEOUT: Duration = Duration::from_secs(30);

/// Why the registry did not accept the credentials. Never contains a secret.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The registry (or its token service) refused the username and password.
    #[error("{registry}: unauthorized: incorrect username or password")]
    Unauthorized {
        /// The registry as given to `login`.
        registry: String,
    },
    /// Nothing answered, or not over HTTP(S).
    #[error("cannot reach the registry {registry} at {url}: {detail}")]
    Unreachable {
        /// The registry as given to `login`.
        registry: String,
        /// The URL that was tried.
        url: String,
        /// The transport error.
        detail: String,
    },
    /// The registry answered something a registry should not.
    #[error("{registry}: unexpected answer from {url}: {detail}")]
    Unexpected {
        /// The registry as given to `login`.
        registry: String,
        /// The URL that was asked.
        url: String,
        /// What was wrong with the answer.
        detail: String,
    },
}

/// A registry's answer to an unauthenticated `GET /v2/` (the `WWW-Authenticate` header).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Challenge {
    /// `Basic realm=…`: send the credentials on every request.
    Basic,
    /// `Bearer realm=…,service=…[,scope=…]`: trade the credentials for a token at `realm`.
    Bearer {
        /// The token endpoint.
        realm: String,
        /// The `service` parameter to send back, if the registry named one.
        service: Option<String>,
    },
}

/// Parses a `WWW-Authenticate` value (RFC 7235 auth-params, quoted or not). `None` when the
/// scheme is neither Basic nor Bearer, or a Bearer challenge has no realm.
pub fn parse_challenge(header: &str) -> Option<Challenge> {
    let header = header.trim();
    let (scheme, params) = header.split_once(' ').unwrap_or((header, ""));
    let params = parse_auth_params(params);
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    if scheme.eq_ignore_ascii_case("basic") {
        Some(Challenge::Basic)
    } else if scheme.eq_ignore_ascii_case("bearer") {
        Some(Challenge::Bearer {
            realm: get("realm").filter(|r| !r.is_empty())?,
            service: get("service"),
        })
    } else {
        None
    }
}

/// `k=v, k="v, with comma"` → pairs, with `\"` unescaped inside quotes.
fn parse_auth_params(text: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    let mut rest = text.trim_start();
    while let Some(eq) = rest.find('=') {
        let key = rest[..eq].trim().trim_start_matches(',').trim().to_owned();
        rest = &rest[eq + 1..];
        let mut value = String::new();
        if let Some(quoted) = rest.strip_prefix('"') {
            let mut chars = quoted.char_indices();
            let mut end = quoted.len();
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next().map(|(_, c)| c)),
                    '"' => {
                        end = i + 1;
                        break;
                    }
                    c => value.push(c),
                }
            }
            rest = &quoted[end..];
        } else {
            let end = rest.find(',').unwrap_or(rest.len());
            value = rest[..end].trim().to_owned();
            rest = &rest[end..];
        }
        pairs.push((key, value));
        rest = rest.trim_start().trim_start_matches(',').trim_start();
    }
    pairs
}

/// The base URL (`scheme://host[:port]`, no trailing slash) where the registry whose
/// `config.json` key is `auth_key` serves `/v2/`.
pub fn registry_endpoint(auth_key: &str) -> String {
    if auth_key == DOCKER_HUB_AUTH_KEY {
        return "https://registry-1.docker.io".to_owned();
    }
    let host = convert_to_hostname(auth_key);
    let scheme = if is_loopback(host) { "http" } else { "https" };
    format!("{scheme}://{host}")
}

/// Whether `host[:port]` names this machine (`localhost`, `127.0.0.0/8`, `::1`).
pub(crate) fn is_loopback(host_port: &str) -> bool {
    let host = match host_port.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(v6),
        None => host_port.rsplit_once(':').map_or(host_port, |(h, _)| h),
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Checks `credentials` (username and password; its server address is the `config.json` key)
/// against the registry, following its challenge. `Ok` when the registry accepts them or asks
/// for no authentication at all (as the engine's `loginV2` does).
pub fn verify_credentials(credentials: &Credentials) -> Result<(), VerifyError> {
    let registry = credentials.server_address().to_owned();
    let endpoint = registry_endpoint(&registry);
    let agent = agent(is_loopback(convert_to_hostname(&endpoint)));
    let url = format!("{endpoint}/v2/");
    let basic = basic_header(credentials);
    let unreachable = |url: &str, e: ureq::Error| VerifyError::Unreachable {
        registry: registry.clone(),
        url: url.to_owned(),
        detail: e.to_string(),
    };

    let first = agent.get(&url).call().map_err(|e| unreachable(&url, e))?;
    if first.status().is_success() {
        return Ok(());
    }
    if first.status().as_u16() != 401 {
        return Err(unexpected(&registry, &url, first.status().as_u16()));
    }
    let challenge = first
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .and_then(parse_challenge)
        .ok_or_else(|| VerifyError::Unexpected {
            registry: registry.clone(),
            url: url.clone(),
            detail: "401 without a Basic or Bearer WWW-Authenticate challenge".to_owned(),
        })?;
    let (asked, answer) = match challenge {
        Challenge::Basic => {
            let answer = agent
                .get(&url)
                .header("Authorization", &basic)
                .call()
                .map_err(|e| unreachable(&url, e))?;
            (url, answer)
        }
        Challenge::Bearer { realm, service } => {
            let mut request = agent
                .get(&realm)
                .header("Authorization", &basic)
                .query("account", credentials.username().unwrap_or_default())
                .query("client_id", "dockjob")
                .query("offline_token", "true");
            if let Some(service) = &service {
                request = request.query("service", service);
            }
            let answer = request.call().map_err(|e| unreachable(&realm, e))?;
            (realm, answer)
        }
    };
    match answer.status().as_u16() {
        200..=299 => Ok(()),
        401 | 403 => Err(VerifyError::Unauthorized { registry }),
        status => Err(unexpected(&registry, &asked, status)),
    }
}

fn unexpected(registry: &str, url: &str, status: u16) -> VerifyError {
    VerifyError::Unexpected {
        registry: registry.to_owned(),
        url: url.to_owned(),
        detail: format!("HTTP status {status}"),
    }
}

/// `Basic base64(user:pass)`.
pub(crate) fn basic_header(credentials: &Credentials) -> String {
    let encoded = super::credentials::encode_auth(
        credentials.username().unwrap_or_default(),
        credentials.password().unwrap_or_default(),
    )
    .unwrap_or_default();
    format!("Basic {encoded}")
}

/// A client that returns 4xx/5xx as answers (not errors) and, for loopback registries, ignores
/// `HTTP_PROXY` (a proxy cannot reach this machine's 127.0.0.1).
fn agent(loopback: bool) -> ureq::Agent {
    agent_with_timeout(loopback, TIMEOUT)
}

/// [`agent`] with `timeout` for each whole request.
pub(crate) fn agent_with_timeout(loopback: bool, timeout: Duration) -> ureq::Agent {
    let mut config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(timeout))
        .user_agent(concat!("dockjob/", env!("CARGO_PKG_VERSION")));
    if loopback {
        config = config.proxy(None);
    }
    config.build().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_hub_challenge_parses() {
        let header = r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io""#;
        assert_eq!(
            parse_challenge(header),
            Some(Challenge::Bearer {
                realm: "https://auth.docker.io/token".into(),
                service: Some("registry.docker.io".into()),
            })
        );
    }

    #[test]
    fn quoted_commas_escapes_and_bare_values() {
        let header = r#"bearer service=reg, realm="http://a/t?x=1,2", scope="a\"b""#;
        assert_eq!(
            parse_challenge(header),
            Some(Challenge::Bearer {
                realm: "http://a/t?x=1,2".into(),
                service: Some("reg".into()),
            })
        );
    }

    #[test]
    fn basic_and_unknown_schemes() {
        assert_eq!(
            parse_challenge(r#"Basic realm="Registry Realm""#),
            Some(Challenge::Basic)
        );
        assert_eq!(parse_challenge("Negotiate"), None);
        assert_eq!(parse_challenge("Bearer service=x"), None, "no realm");
        assert_eq!(parse_challenge(""), None);
    }

    #[test]
    fn endpoints_follow_the_engine_defaults() {
        assert_eq!(
            registry_endpoint(DOCKER_HUB_AUTH_KEY),
            "https://registry-1.docker.io"
        );
        assert_eq!(registry_endpoint("127.0.0.1:5000"), "http://127.0.0.1:5000");
        assert_eq!(registry_endpoint("localhost:5000"), "http://localhost:5000");
        assert_eq!(registry_endpoint("[::1]:5000"), "http://[::1]:5000");
        assert_eq!(registry_endpoint("ghcr.io"), "https://ghcr.io");
        assert_eq!(
            registry_endpoint("registry.example.com:5000"),
            "https://registry.example.com:5000"
        );
    }
}
