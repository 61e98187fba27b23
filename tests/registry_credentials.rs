//! Credential resolution in the docker CLI's order, against temp-dir configs and a fake
//! `docker-credential-test` helper on a private search path.

#[path = "common/fake_credential_helper.rs"]
mod fake_helper;

use std::fs;
use std::path::Path;

use dockjob::registry::config::DockerConfig;
use dockjob::registry::credentials::{decode_auth, resolve_with, CredentialError, Credentials};
use dockjob::registry::helper::{HelperError, HelperLauncher};
use tempfile::TempDir;

const HUB: &str = "https://index.docker.io/v1/";

/// A config dir holding `config_json`, and a launcher that sees only the fake helper.
fn setup(config_json: &str) -> (TempDir, DockerConfig, HelperLauncher) {
    let dir = TempDir::new().unwrap();
    let helpers = dir.path().join("bin");
    fs::create_dir(&helpers).unwrap();
    fake_helper::install(&helpers, "test");
    fs::write(dir.path().join("config.json"), config_json).unwrap();
    let config = DockerConfig::load(dir.path()).unwrap();
    (dir, config, HelperLauncher::with_search_path(helpers))
}

fn resolve(config_json: &str, key: &str) -> Result<Option<Credentials>, CredentialError> {
    let (_dir, config, launcher) = setup(config_json);
    resolve_with(&config, key, &launcher)
}

fn basic(key: &str, user: &str, pass: &str) -> Option<Credentials> {
    Some(Credentials::basic(key, user, pass))
}

#[test]
fn missing_config_file_means_anonymous() {
    let dir = TempDir::new().unwrap();
    let config = DockerConfig::load(dir.path()).unwrap();
    let launcher = HelperLauncher::with_search_path(dir.path());
    assert_eq!(resolve_with(&config, HUB, &launcher).unwrap(), None);
}

#[test]
fn file_entries_decode_like_the_cli() {
    // (config, key, expected)
    let cases: Vec<(&str, &str, Option<Credentials>)> = vec![
        // base64("alice:pa:ss") — split at the first colon only.
        (
            r#"{"auths":{"127.0.0.1:5000":{"auth":"YWxpY2U6cGE6c3M="}}}"#,
            "127.0.0.1:5000",
            basic("127.0.0.1:5000", "alice", "pa:ss"),
        ),
        // Unpadded base64 is accepted.
        (
            r#"{"auths":{"127.0.0.1:5000":{"auth":"YWxpY2U6cGE6c3M"}}}"#,
            "127.0.0.1:5000",
            basic("127.0.0.1:5000", "alice", "pa:ss"),
        ),
        // Plain fields when there is no auth.
        (
            r#"{"auths":{"r.example":{"username":"bob","password":"pw"}}}"#,
            "r.example",
            basic("r.example", "bob", "pw"),
        ),
        // auth wins over plain fields (LoadFromReader overwrites them).
        (
            r#"{"auths":{"r.example":{"auth":"YWxpY2U6eA==","username":"bob","password":"pw"}}}"#,
            "r.example",
            basic("r.example", "alice", "x"),
        ),
        // Identity token; the username from auth is kept.
        (
            r#"{"auths":{"r.example":{"auth":"YWxpY2U6","identitytoken":"tok"}}}"#,
            "r.example",
            Some(Credentials::identity_token("r.example", "alice", "tok")),
        ),
        // An empty entry (left by a credsStore login) and an unknown registry: anonymous.
        (r#"{"auths":{"r.example":{}}}"#, "r.example", None),
        (
            r#"{"auths":{"r.example":{"auth":"YWxpY2U6eA=="}}}"#,
            "other.example",
            None,
        ),
        // Docker Hub's key.
        (
            r#"{"auths":{"https://index.docker.io/v1/":{"auth":"dXppbWloc3I6aHVi"}}}"#,
            HUB,
            basic(HUB, "uzimihsr", "hub"),
        ),
        // A legacy key with scheme and path is found by its hostname (file_store.go Get).
        (
            r#"{"auths":{"https://127.0.0.1:5000/v2/":{"auth":"YWxpY2U6eA=="}}}"#,
            "127.0.0.1:5000",
            basic("127.0.0.1:5000", "alice", "x"),
        ),
        // `auths: null` is an empty map, as in Go.
        (r#"{"auths":null}"#, "r.example", None),
    ];
    for (json, key, expected) in cases {
        assert_eq!(resolve(json, key).unwrap(), expected, "{json} / {key}");
    }
}

#[test]
fn exact_key_wins_over_legacy_spelling() {
    let json =
        r#"{"auths":{"http://r.example":{"auth":"b2xkOng="},"r.example":{"auth":"bmV3Ong="}}}"#;
    assert_eq!(
        resolve(json, "r.example").unwrap(),
        basic("r.example", "new", "x")
    );
}

#[test]
fn trailing_nuls_are_trimmed_from_the_password() {
    assert_eq!(
        decode_auth("dXNlcjpwdwAA").unwrap(),
        ("user".into(), "pw".into())
    );
}

#[test]
fn bad_file_entries_name_file_and_key_but_not_the_value() {
    for auth in ["!!!not-base64!!!", "bm9jb2xvbg==", "OnB3"] {
        // "bm9jb2xvbg==" is "nocolon"; "OnB3" is ":pw" (empty username).
        let json = format!(r#"{{"auths":{{"r.example":{{"auth":"{auth}"}}}}}}"#);
        let err = resolve(&json, "r.example").unwrap_err();
        let message = err.to_string();
        assert!(message.contains("config.json"), "{message}");
        assert!(message.contains("r.example"), "{message}");
        assert!(!message.contains(auth), "{message}");
    }
}

#[test]
fn cred_helper_for_the_registry_is_used_and_its_answer_is_final() {
    // The file also has credentials, but a configured helper replaces the file store.
    let json = r#"{"auths":{"127.0.0.1:5000":{"auth":"ZmlsZTp1c2Vy"}},"credHelpers":{"127.0.0.1:5000":"test"}}"#;
    let (dir, config, launcher) = setup(json);
    let found = resolve_with(&config, "127.0.0.1:5000", &launcher).unwrap();
    assert_eq!(
        found,
        basic("127.0.0.1:5000", "helper-user", "helper-pass?>~")
    );
    assert_eq!(
        fake_helper::calls(&dir.path().join("bin")),
        ["get 127.0.0.1:5000"]
    );
}

#[test]
fn helper_not_found_means_anonymous_not_an_error() {
    let json = r#"{"auths":{"nothere.example":{"auth":"ZmlsZTp1c2Vy"}},"credsStore":"test"}"#;
    assert_eq!(resolve(json, "nothere.example").unwrap(), None);
}

#[test]
fn creds_store_applies_when_no_cred_helper_matches() {
    let json = r#"{"credsStore":"test","credHelpers":{"gcr.io":"gcloud"}}"#;
    assert_eq!(
        resolve(json, HUB).unwrap(),
        basic(HUB, "helper-user", "helper-pass?>~")
    );
    // gcr.io's helper is not installed: that is an error naming it, not a silent fallback.
    let err = resolve(json, "gcr.io").unwrap_err();
    assert!(
        err.to_string().contains("docker-credential-gcloud"),
        "{err}"
    );
}

#[test]
fn cred_helper_keys_match_exactly_as_in_the_cli() {
    let json = r#"{"credHelpers":{"https://127.0.0.1:5000":"test"}}"#;
    assert_eq!(resolve(json, "127.0.0.1:5000").unwrap(), None);
}

#[test]
fn token_username_from_a_helper_means_identity_token() {
    let json = r#"{"credsStore":"test"}"#;
    let found = resolve(json, "token.example").unwrap().unwrap();
    assert_eq!(found.identity_token_value(), Some("helper-token"));
    assert_eq!(found.username(), None);
}

#[test]
fn helper_failures_are_clear_and_quote_no_secret() {
    let json = r#"{"credsStore":"test"}"#;
    let err = resolve(json, "broken.example").unwrap_err();
    let message = err.to_string();
    assert!(message.contains("docker-credential-test"), "{message}");
    assert!(message.contains("broken.example"), "{message}");
    assert!(message.contains("keyring is locked"), "{message}");

    let err = resolve(json, "garbage.example").unwrap_err();
    assert!(matches!(
        err,
        CredentialError::Helper(HelperError::BadOutput { .. })
    ));
    assert!(!err.to_string().contains("leaked-secret"), "{err}");
}

#[test]
fn missing_or_unsafe_helpers_are_reported() {
    let err = resolve(r#"{"credsStore":"absent"}"#, HUB).unwrap_err();
    assert!(
        err.to_string()
            .contains("docker-credential-absent not found"),
        "{err}"
    );
    let err = resolve(r#"{"credsStore":"../../bin/sh"}"#, HUB).unwrap_err();
    assert!(
        matches!(
            err,
            CredentialError::Helper(HelperError::InvalidName { .. })
        ),
        "{err}"
    );
}

#[test]
fn an_empty_creds_store_means_the_file() {
    let json = r#"{"auths":{"r.example":{"auth":"YWxpY2U6eA=="}},"credsStore":""}"#;
    assert_eq!(
        resolve(json, "r.example").unwrap(),
        basic("r.example", "alice", "x")
    );
}

#[test]
fn malformed_config_is_a_clear_error_without_values() {
    let dir = TempDir::new().unwrap();
    let write = |text: &str| fs::write(dir.path().join("config.json"), text).unwrap();
    write(r#"{"auths": {"r.example": "c2VjcmV0OnZhbHVl"}}"#);
    let message = DockerConfig::load(dir.path()).unwrap_err().to_string();
    assert!(message.contains(&path_text(dir.path())), "{message}");
    assert!(message.contains("line 1"), "{message}");
    assert!(!message.contains("c2VjcmV0OnZhbHVl"), "{message}");
    write("{\"auths\": {\n");
    let message = DockerConfig::load(dir.path()).unwrap_err().to_string();
    assert!(
        message.contains("not a valid docker config file"),
        "{message}"
    );
}

fn path_text(dir: &Path) -> String {
    dir.join("config.json").display().to_string()
}
