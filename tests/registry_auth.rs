//! `X-Registry-Auth` encoding (base64url, the bollard 0.21 standard-base64 bug) and secret
//! hygiene of `Credentials`.

use base64::Engine as _;
use dockjob::registry::auth::{
    encode_anonymous_registry_auth, encode_registry_auth, encode_registry_config,
    registry_auth_json,
};
use dockjob::registry::credentials::Credentials;
use serde_json::{json, Value};

const STANDARD: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
const URL_SAFE: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE;

/// Passwords whose JSON encodes to `+` or `/` in standard base64: `?` is 0x3F and `>` 0x3E,
/// `~` 0x7E; all produce 6-bit groups 62/63 in the right positions.
const NASTY_PASSWORDS: [&str; 6] = ["p?ss>word~", "???", ">>>", "~~~", "a?b>c~d", "?>~?>~?>~"];

fn decode_header(header: &str) -> Value {
    let bytes = URL_SAFE.decode(header).expect("header is padded base64url");
    serde_json::from_slice(&bytes).expect("header is JSON")
}

#[test]
fn nasty_passwords_would_break_standard_base64_but_not_ours() {
    for password in NASTY_PASSWORDS {
        let credentials = Credentials::basic("127.0.0.1:5000", "user", password);
        let json = registry_auth_json(&credentials);
        let standard = STANDARD.encode(&json);
        assert!(
            standard.contains(['+', '/']),
            "test premise: standard base64 of {json} has + or /: {standard}"
        );
        let header = encode_registry_auth(&credentials);
        assert!(!header.contains(['+', '/']), "{password:?} gave {header}");
        assert_eq!(
            decode_header(&header),
            json!({"username": "user", "password": password, "serveraddress": "127.0.0.1:5000"})
        );
    }
}

#[test]
fn header_is_what_the_docker_cli_sends() {
    // Go: base64.URLEncoding.EncodeToString([]byte(`{"username":"u","password":"p?>~","serveraddress":"h"}`))
    let credentials = Credentials::basic("h", "u", "p?>~");
    assert_eq!(
        registry_auth_json(&credentials),
        r#"{"username":"u","password":"p?>~","serveraddress":"h"}"#
    );
    assert_eq!(
        encode_registry_auth(&credentials),
        "eyJ1c2VybmFtZSI6InUiLCJwYXNzd29yZCI6InA_Pn4iLCJzZXJ2ZXJhZGRyZXNzIjoiaCJ9"
    );
}

#[test]
fn padding_is_kept_as_go_url_encoding_does() {
    // 49 bytes of JSON -> not a multiple of 3 -> padded output.
    let credentials = Credentials::basic("h", "u", "pw1");
    let json = registry_auth_json(&credentials);
    assert_ne!(json.len() % 3, 0);
    assert!(encode_registry_auth(&credentials).ends_with('='));
}

#[test]
fn identity_tokens_are_sent_without_username_or_password() {
    let credentials = Credentials::identity_token("https://index.docker.io/v1/", "me", "tok?>~en");
    assert_eq!(
        decode_header(&encode_registry_auth(&credentials)),
        json!({"identitytoken": "tok?>~en", "serveraddress": "https://index.docker.io/v1/"})
    );
}

#[test]
fn anonymous_header_is_an_empty_object() {
    assert_eq!(decode_header(&encode_anonymous_registry_auth()), json!({}));
}

#[test]
fn debug_output_never_shows_a_secret() {
    let basic = Credentials::basic("127.0.0.1:5000", "alice", "s3cr3t?>~");
    let token = Credentials::identity_token("ghcr.io", "", "tokentokentoken");
    for (credentials, secret) in [(&basic, "s3cr3t?>~"), (&token, "tokentokentoken")] {
        for rendered in [format!("{credentials:?}"), format!("{credentials:#?}")] {
            assert!(!rendered.contains(secret), "{rendered}");
            assert!(rendered.contains("***"), "{rendered}");
        }
    }
    assert!(
        format!("{basic:?}").contains("alice"),
        "the username is not a secret"
    );
}

#[test]
fn accessors_expose_the_right_half() {
    let basic = Credentials::basic("h", "alice", "pw");
    assert_eq!(
        (basic.username(), basic.password()),
        (Some("alice"), Some("pw"))
    );
    assert_eq!(basic.identity_token_value(), None);
    let token = Credentials::identity_token("h", "", "t");
    assert_eq!((token.username(), token.password()), (None, None));
    assert_eq!(token.identity_token_value(), Some("t"));
}

#[test]
fn build_registry_config_maps_each_registry_to_its_auth() {
    let all = [
        Credentials::basic("127.0.0.1:5000", "user", "p?ss>word~"),
        Credentials::identity_token("https://index.docker.io/v1/", "me", "tok"),
    ];
    let header = encode_registry_config(&all);
    assert!(!header.contains(['+', '/']), "{header}");
    assert_eq!(
        decode_header(&header),
        json!({
            "127.0.0.1:5000": {"username": "user", "password": "p?ss>word~", "serveraddress": "127.0.0.1:5000"},
            "https://index.docker.io/v1/": {"identitytoken": "tok", "serveraddress": "https://index.docker.io/v1/"}
        })
    );
    assert_eq!(decode_header(&encode_registry_config(&[])), json!({}));
}
