//! How long a registry that rate-limited a push wants us to wait.
//!
//! When a registry answers a push with `429 Too Many Requests`, the engine passes on only the
//! error text (`toomanyrequests: …`): its `Retry-After` header is lost on the way (moby
//! `distribution/push_v2.go` keeps the error code and message). So after such a failure dockjob
//! asks the registry itself, with the same credentials, the way the engine would start a push:
//! `GET /v2/`, then its challenge (`Basic`, or a `Bearer` token for the repository from the
//! token realm, as in `verify.rs`), then `HEAD /v2/<repository>/manifests/<tag>`. The first
//! `429` (or `503`) carrying `Retry-After` on the way gives the wait, in seconds or as an HTTP
//! date ([`super::retry::parse_retry_after`]). Any other answer, or none, means "not said":
//! the caller falls back to its backoff.
//!
//! Blocking I/O through ureq, no tokio, no bollard. An identity token (`identitytoken` in
//! `config.json`) is not traded here; such probes ask for an anonymous token.

use std::time::{Duration, SystemTime};

use serde::Deserialize;

use super::credentials::Credentials;
use super::retry::parse_retry_after;
use super::verify::{agent_with_timeout, basic_header, is_loopback, parse_challenge};
use super::verify::{registry_endpoint, Challenge};
use crate::image_ref::convert_to_hostname;

/// How long each request of the probe may take: the probe only refines a wait.
const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// The manifest types a registry may hold for a pushed tag (as the engine asks for them).
const MANIFEST_TYPES: &str = "application/vnd.docker.distribution.manifest.v2+json, \
     application/vnd.docker.distribution.manifest.list.v2+json, \
     application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json";

/// What the registry whose `config.json` key is `auth_key` asks a client of
/// `repository:tag` to wait before trying again, if it says; `now` dates an HTTP-date answer.
pub fn probe_retry_after(
    auth_key: &str,
    repository: &str,
    tag: &str,
    credentials: Option<&Credentials>,
    now: SystemTime,
) -> Option<Duration> {
    let endpoint = registry_endpoint(auth_key);
    let agent = agent_with_timeout(is_loopback(convert_to_hostname(&endpoint)), PROBE_TIMEOUT);
    let basic = credentials
        .filter(|c| c.password().is_some())
        .map(basic_header);
    let with_basic = |request: ureq::RequestBuilder<ureq::typestate::WithoutBody>| match &basic {
        Some(value) => request.header("Authorization", value),
        None => request,
    };

    let first = with_basic(agent.get(format!("{endpoint}/v2/")))
        .call()
        .ok()?;
    if let Some(wait) = asked_wait(&first, now) {
        return Some(wait);
    }
    let authorization = match first.status().as_u16() {
        200..=299 => basic.clone(),
        401 => match first
            .headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok())
            .and_then(parse_challenge)?
        {
            Challenge::Basic => basic.clone(),
            Challenge::Bearer { realm, service } => {
                let mut request = with_basic(agent.get(&realm))
                    .query("scope", format!("repository:{repository}:pull"));
                if let Some(service) = &service {
                    request = request.query("service", service);
                }
                let mut answer = request.call().ok()?;
                if let Some(wait) = asked_wait(&answer, now) {
                    return Some(wait);
                }
                if !answer.status().is_success() {
                    return None;
                }
                let body = answer.body_mut().read_to_string().ok()?;
                Some(format!("Bearer {}", bearer_token(&body)?))
            }
        },
        _ => return None,
    };
    let mut head = agent
        .head(format!("{endpoint}/v2/{repository}/manifests/{tag}"))
        .header("Accept", MANIFEST_TYPES);
    if let Some(value) = &authorization {
        head = head.header("Authorization", value);
    }
    asked_wait(&head.call().ok()?, now)
}

/// The `Retry-After` of a `429` or `503` answer.
fn asked_wait(response: &http::Response<ureq::Body>, now: SystemTime) -> Option<Duration> {
    if !matches!(response.status().as_u16(), 429 | 503) {
        return None;
    }
    let value = response.headers().get("retry-after")?.to_str().ok()?;
    parse_retry_after(value, now)
}

/// The token in a token endpoint's answer (`token`, or OAuth2's `access_token`; the
/// distribution token spec, `docs/spec/auth/token.md`).
fn bearer_token(body: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct TokenAnswer {
        token: Option<String>,
        access_token: Option<String>,
    }
    let answer: TokenAnswer = serde_json::from_str(body).ok()?;
    answer
        .token
        .or(answer.access_token)
        .filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_read_from_either_field() {
        assert_eq!(bearer_token(r#"{"token":"a"}"#).as_deref(), Some("a"));
        assert_eq!(
            bearer_token(r#"{"access_token":"b","expires_in":300}"#).as_deref(),
            Some("b")
        );
        assert_eq!(bearer_token(r#"{"token":""}"#), None);
        assert_eq!(bearer_token("not json"), None);
    }
}
