//! `config.json` location, round trip (unknown fields kept), file mode and atomic writes.

use std::ffi::OsString;
use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::path::PathBuf;

use dockjob::registry::config::{config_dir, AuthEntry, DockerConfig};
use serde_json::{json, Value};
use tempfile::TempDir;

/// A config as the docker CLI and Docker Desktop leave it, with fields dockjob never reads.
const FULL_CONFIG: &str = r#"{
	"auths": {
		"https://index.docker.io/v1/": {"auth": "dXppbWloc3I6aHVi", "email": "u@example.com"},
		"127.0.0.1:5000": {}
	},
	"credsStore": "desktop",
	"credHelpers": {"gcr.io": "gcloud"},
	"HttpHeaders": {"X-Meta": "1"},
	"proxies": {"default": {"httpProxy": "http://proxy:3128"}},
	"currentContext": "remote",
	"plugins": {"x": {"y": "z"}},
	"features": {"hooks": "true"}
}"#;

fn os(s: &str) -> Option<OsString> {
    Some(OsString::from(s))
}

#[test]
fn config_dir_prefers_docker_config_then_home() {
    assert_eq!(
        config_dir(os("/cfg"), os("/home/u")),
        Some(PathBuf::from("/cfg"))
    );
    assert_eq!(
        config_dir(os(""), os("/home/u")),
        Some(PathBuf::from("/home/u/.docker"))
    );
    assert_eq!(
        config_dir(None, os("/home/u")),
        Some(PathBuf::from("/home/u/.docker"))
    );
    assert_eq!(config_dir(None, None), None);
}

#[test]
fn missing_and_empty_files_are_empty_configs() {
    let dir = TempDir::new().unwrap();
    let config = DockerConfig::load(&dir.path().join("nonexistent")).unwrap();
    assert!(config.auths().is_empty());
    fs::write(dir.path().join("config.json"), "  \n").unwrap();
    let config = DockerConfig::load(dir.path()).unwrap();
    assert!(config.auths().is_empty());
    assert_eq!(config.creds_store(), None);
}

#[test]
fn round_trip_keeps_unknown_fields_and_values() {
    let dir = TempDir::new().unwrap();
    fs::write(dir.path().join("config.json"), FULL_CONFIG).unwrap();
    let config = DockerConfig::load(dir.path()).unwrap();
    assert_eq!(config.creds_store(), Some("desktop"));
    assert_eq!(
        config.cred_helpers().get("gcr.io").map(String::as_str),
        Some("gcloud")
    );
    config.save().unwrap();
    let written: Value =
        serde_json::from_str(&fs::read_to_string(dir.path().join("config.json")).unwrap()).unwrap();
    let original: Value = serde_json::from_str(FULL_CONFIG).unwrap();
    assert_eq!(written, original);
}

#[test]
fn edits_touch_only_their_entry() {
    let dir = TempDir::new().unwrap();
    fs::write(dir.path().join("config.json"), FULL_CONFIG).unwrap();
    let mut config = DockerConfig::load(dir.path()).unwrap();
    config.set_auth(
        "r.example",
        AuthEntry {
            auth: Some("YWxpY2U6eA==".into()),
            ..AuthEntry::default()
        },
    );
    assert!(config.remove_auth("127.0.0.1:5000"));
    assert!(!config.remove_auth("127.0.0.1:5000"));
    config.save().unwrap();
    let written: Value = serde_json::from_str(&fs::read_to_string(config.path()).unwrap()).unwrap();
    assert_eq!(
        written["auths"],
        json!({
            "https://index.docker.io/v1/": {"auth": "dXppbWloc3I6aHVi", "email": "u@example.com"},
            "r.example": {"auth": "YWxpY2U6eA=="}
        })
    );
    assert_eq!(
        written["proxies"]["default"]["httpProxy"],
        "http://proxy:3128"
    );
}

#[test]
fn saved_file_is_private_tab_indented_and_leaves_no_temp_files() {
    let dir = TempDir::new().unwrap();
    let config_dir = dir.path().join("new").join(".docker");
    let mut config = DockerConfig::load(&config_dir).unwrap();
    config.set_auth("r.example", AuthEntry::default());
    config.save().unwrap();
    let path = config_dir.join("config.json");
    let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let dir_mode = fs::metadata(&config_dir).unwrap().permissions().mode() & 0o777;
    assert_eq!(dir_mode, 0o700);
    let text = fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("{\n\t\"auths\": {"), "{text}");
    let entries: Vec<_> = fs::read_dir(&config_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(entries, ["config.json"]);
}

#[test]
fn an_existing_world_readable_file_becomes_private() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("config.json");
    fs::write(&path, "{}").unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
    DockerConfig::load(dir.path()).unwrap().save().unwrap();
    assert_eq!(
        fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

#[test]
fn a_symlinked_config_is_written_through_the_link() {
    let dir = TempDir::new().unwrap();
    let real = dir.path().join("dotfiles");
    fs::create_dir(&real).unwrap();
    fs::write(real.join("docker.json"), r#"{"auths":{}}"#).unwrap();
    let config_dir = dir.path().join(".docker");
    fs::create_dir(&config_dir).unwrap();
    std::os::unix::fs::symlink(real.join("docker.json"), config_dir.join("config.json")).unwrap();
    let mut config = DockerConfig::load(&config_dir).unwrap();
    config.set_auth("r.example", AuthEntry::default());
    config.save().unwrap();
    assert!(fs::symlink_metadata(config_dir.join("config.json"))
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(fs::read_to_string(real.join("docker.json"))
        .unwrap()
        .contains("r.example"));
}

#[test]
fn unwritable_location_is_a_clear_error() {
    // A regular file where the config directory should be: fails even for root.
    let dir = TempDir::new().unwrap();
    let not_a_dir = dir.path().join("file");
    fs::write(&not_a_dir, "").unwrap();
    let message = DockerConfig::empty(&not_a_dir)
        .save()
        .unwrap_err()
        .to_string();
    assert!(message.starts_with("cannot write"), "{message}");
    assert!(message.contains("file"), "{message}");
    let message = DockerConfig::load(&not_a_dir).unwrap_err().to_string();
    assert!(message.starts_with("cannot read"), "{message}");
}

#[test]
fn debug_of_a_config_hides_every_secret() {
    let config = DockerConfig::from_json(
        PathBuf::from("/x/config.json"),
        r#"{"auths":{"r.example":{"auth":"c2VjcmV0","password":"pw-secret","identitytoken":"tok-secret"}}}"#,
    )
    .unwrap();
    let rendered = format!("{config:?}");
    for secret in ["c2VjcmV0", "pw-secret", "tok-secret"] {
        assert!(!rendered.contains(secret), "{rendered}");
    }
    assert!(rendered.contains("r.example"), "{rendered}");
}
