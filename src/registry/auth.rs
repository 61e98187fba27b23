//! The `X-Registry-Auth` header value the Engine API expects on push (and pull).
//!
//! Owns [`encode_registry_auth`] (push) and [`encode_registry_config`] (`X-Registry-Config` on
//! `/build`, so `FROM` can pull private images). The daemon decodes the header as **base64url**
//! (moby `api/server/router/image/image_routes.go`, `registry.DecodeAuthConfig` /
//! `authconfig.Decode`) and silently pushes anonymously when that fails. bollard 0.21 encodes
//! with standard base64, which breaks whenever the JSON's base64 holds `+` or `/` (passwords
//! with `?`, `>`, `~` …). The docker CLI uses `base64.URLEncoding` (padded), as here.
//!
//! Pure: no I/O.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde::Serialize;

use super::credentials::Credentials;

/// The JSON body of the header (moby `api/types/registry.AuthConfig`, the fields dockjob sends).
#[derive(Serialize)]
struct AuthConfigJson<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    username: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    password: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    identitytoken: Option<&'a str>,
    serveraddress: &'a str,
}

impl<'a> AuthConfigJson<'a> {
    fn of(credentials: &'a Credentials) -> Self {
        match credentials.identity_token_value() {
            Some(token) => AuthConfigJson {
                username: None,
                password: None,
                identitytoken: Some(token),
                serveraddress: credentials.server_address(),
            },
            None => AuthConfigJson {
                username: Some(credentials.username().unwrap_or_default()),
                password: Some(credentials.password().unwrap_or_default()),
                identitytoken: None,
                serveraddress: credentials.server_address(),
            },
        }
    }
}

/// The JSON the daemon expects, before encoding: `{"username","password","serveraddress"}` or
/// `{"identitytoken","serveraddress"}`. Exposed for tests; it contains the secret.
pub fn registry_auth_json(credentials: &Credentials) -> String {
    serde_json::to_string(&AuthConfigJson::of(credentials)).expect("string fields always serialise")
}

/// The `X-Registry-Auth` header value: base64url (with padding, as Go's `URLEncoding`) of
/// [`registry_auth_json`].
pub fn encode_registry_auth(credentials: &Credentials) -> String {
    base64::engine::general_purpose::URL_SAFE.encode(registry_auth_json(credentials))
}

/// The header value for an anonymous push: base64url of `{}` (20.10 rejects a missing header).
pub fn encode_anonymous_registry_auth() -> String {
    base64::engine::general_purpose::URL_SAFE.encode("{}")
}

/// The `X-Registry-Config` header value for `POST /build`: base64url of a JSON map from each
/// credential's server address to its auth config (moby `build_routes.go` decodes it with
/// `base64.URLEncoding` into `map[string]AuthConfig`, as the CLI's `GetAllCredentials` sends).
pub fn encode_registry_config(all: &[Credentials]) -> String {
    let map: BTreeMap<&str, AuthConfigJson<'_>> = all
        .iter()
        .map(|c| (c.server_address(), AuthConfigJson::of(c)))
        .collect();
    let json = serde_json::to_string(&map).expect("string fields always serialise");
    base64::engine::general_purpose::URL_SAFE.encode(json)
}
