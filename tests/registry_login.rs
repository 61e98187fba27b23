//! `login`/`logout` write what the docker CLI writes, to the file or through a `credsStore`
//! helper (the fake `docker-credential-test` on a private search path).

#[path = "common/fake_credential_helper.rs"]
mod fake_helper;

use std::fs;
use std::path::PathBuf;

use dockjob::image_ref::auth_key_for_server;
use dockjob::registry::config::DockerConfig;
use dockjob::registry::credentials::{resolve_with, Credentials};
use dockjob::registry::helper::HelperLauncher;
use dockjob::registry::login::{
    login_with, logout_with, password_from_stdin, LoginError, StoredIn,
};
use serde_json::{json, Value};
use tempfile::TempDir;

struct Setup {
    dir: TempDir,
    launcher: HelperLauncher,
}

impl Setup {
    fn new(config_json: Option<&str>) -> Setup {
        let dir = TempDir::new().unwrap();
        fs::create_dir(dir.path().join("bin")).unwrap();
        fake_helper::install(&dir.path().join("bin"), "test");
        if let Some(json) = config_json {
            fs::write(dir.path().join("config.json"), json).unwrap();
        }
        let launcher = HelperLauncher::with_search_path(dir.path().join("bin"));
        Setup { dir, launcher }
    }

    fn config(&self) -> DockerConfig {
        DockerConfig::load(self.dir.path()).unwrap()
    }

    fn file(&self) -> Value {
        serde_json::from_str(&fs::read_to_string(self.dir.path().join("config.json")).unwrap())
            .unwrap()
    }

    fn helper_dir(&self) -> PathBuf {
        self.dir.path().join("bin")
    }
}

#[test]
fn login_writes_base64_user_colon_pass_like_the_cli() {
    let setup = Setup::new(None);
    let mut config = setup.config();
    let key = auth_key_for_server("127.0.0.1:5000");
    let stored = login_with(
        &mut config,
        &Credentials::basic(&key, "alice", "p?ss>w~rd"),
        &setup.launcher,
    )
    .unwrap();
    assert_eq!(stored, StoredIn::File(setup.dir.path().join("config.json")));
    // base64("alice:p?ss>w~rd"), standard alphabet as the CLI's encodeAuth.
    assert_eq!(
        setup.file(),
        json!({"auths": {"127.0.0.1:5000": {"auth": "YWxpY2U6cD9zcz53fnJk"}}})
    );
    // What login wrote, resolve reads back.
    let found = resolve_with(&setup.config(), &key, &setup.launcher).unwrap();
    assert_eq!(found, Some(Credentials::basic(&key, "alice", "p?ss>w~rd")));
}

#[test]
fn login_to_docker_hub_uses_the_index_key_and_keeps_other_entries() {
    let setup = Setup::new(Some(
        r#"{"auths":{"r.example":{"auth":"YWxpY2U6eA=="},"https://index.docker.io/v1/":{"auth":"b2xkOm9sZA==","email":"u@example.com"}},"currentContext":"x"}"#,
    ));
    let mut config = setup.config();
    let key = auth_key_for_server("docker.io");
    login_with(
        &mut config,
        &Credentials::basic(&key, "uzimihsr", "hub"),
        &setup.launcher,
    )
    .unwrap();
    assert_eq!(
        setup.file(),
        json!({
            "auths": {
                "r.example": {"auth": "YWxpY2U6eA=="},
                "https://index.docker.io/v1/": {"auth": "dXppbWloc3I6aHVi", "email": "u@example.com"}
            },
            "currentContext": "x"
        })
    );
}

#[test]
fn login_with_identity_token_stores_the_token_and_username() {
    let setup = Setup::new(None);
    let mut config = setup.config();
    let creds = Credentials::identity_token("r.example", "alice", "refresh-token");
    login_with(&mut config, &creds, &setup.launcher).unwrap();
    // encodeAuth("alice", "") = base64("alice:")
    assert_eq!(
        setup.file()["auths"]["r.example"],
        json!({"auth": "YWxpY2U6", "identitytoken": "refresh-token"})
    );
}

#[test]
fn login_with_creds_store_sends_the_secret_to_the_helper_only() {
    let setup = Setup::new(Some(r#"{"credsStore":"test"}"#));
    let mut config = setup.config();
    let creds = Credentials::basic("127.0.0.1:5000", "alice", "p?ss>w~rd");
    let stored = login_with(&mut config, &creds, &setup.launcher).unwrap();
    assert_eq!(stored, StoredIn::Helper("test".into()));
    assert_eq!(
        fake_helper::stored(&setup.helper_dir()),
        json!({"ServerURL": "127.0.0.1:5000", "Username": "alice", "Secret": "p?ss>w~rd"})
    );
    assert_eq!(
        setup.file(),
        json!({"auths": {"127.0.0.1:5000": {}}, "credsStore": "test"})
    );
    assert!(!fs::read_to_string(setup.dir.path().join("config.json"))
        .unwrap()
        .contains("p?ss"));
}

#[test]
fn token_logins_reach_the_helper_as_token_username() {
    let setup = Setup::new(Some(r#"{"credsStore":"test"}"#));
    let mut config = setup.config();
    let creds = Credentials::identity_token("r.example", "alice", "refresh-token");
    login_with(&mut config, &creds, &setup.launcher).unwrap();
    assert_eq!(
        fake_helper::stored(&setup.helper_dir()),
        json!({"ServerURL": "r.example", "Username": "<token>", "Secret": "refresh-token"})
    );
}

#[test]
fn helper_store_failures_are_redacted_and_leave_the_file_alone() {
    let setup = Setup::new(Some(r#"{"credsStore":"test"}"#));
    let mut config = setup.config();
    let creds = Credentials::basic("fail.example", "alice", "hunter2-secret");
    let err = login_with(&mut config, &creds, &setup.launcher).unwrap_err();
    let message = err.to_string();
    assert!(message.contains("docker-credential-test"), "{message}");
    assert!(message.contains("failed to store"), "{message}");
    assert!(!message.contains("hunter2-secret"), "{message}");
    assert!(
        message.contains("***"),
        "the helper echoed the input, redacted: {message}"
    );
    assert_eq!(setup.file(), json!({"credsStore": "test"}));
}

#[test]
fn logout_removes_every_spelling_of_the_registry() {
    let setup = Setup::new(Some(
        r#"{"auths":{"127.0.0.1:5000":{"auth":"YQ=="},"https://127.0.0.1:5000":{"auth":"Yg=="},"r.example":{"auth":"Yw=="}}}"#,
    ));
    let mut config = setup.config();
    let report = logout_with(&mut config, "127.0.0.1:5000", &setup.launcher).unwrap();
    assert!(report.removed);
    assert_eq!(report.host, "127.0.0.1:5000");
    assert!(report.helper_errors.is_empty());
    assert_eq!(
        setup.file(),
        json!({"auths": {"r.example": {"auth": "Yw=="}}})
    );
}

#[test]
fn logout_of_an_unknown_registry_changes_nothing() {
    let json = r#"{"auths":{"r.example":{"auth":"Yw=="}}}"#;
    let setup = Setup::new(Some(json));
    let mut config = setup.config();
    let report = logout_with(&mut config, "other.example", &setup.launcher).unwrap();
    assert!(!report.removed);
    assert_eq!(
        fs::read_to_string(setup.dir.path().join("config.json")).unwrap(),
        json
    );
}

#[test]
fn logout_with_a_helper_erases_there_and_in_the_file() {
    let setup = Setup::new(Some(
        r#"{"auths":{"https://index.docker.io/v1/":{}},"credsStore":"test"}"#,
    ));
    let mut config = setup.config();
    let report = logout_with(&mut config, "", &setup.launcher).unwrap();
    assert_eq!(report.host, "https://index.docker.io/v1/");
    assert!(report.removed);
    assert_eq!(
        fake_helper::calls(&setup.helper_dir()),
        ["erase https://index.docker.io/v1/"]
    );
    assert_eq!(setup.file(), json!({"auths": {}, "credsStore": "test"}));
}

#[test]
fn logout_reports_helper_failures_per_key() {
    let setup = Setup::new(Some(
        r#"{"auths":{"broken.example":{}},"credsStore":"test"}"#,
    ));
    let mut config = setup.config();
    let report = logout_with(&mut config, "broken.example", &setup.launcher).unwrap();
    assert_eq!(report.helper_errors.len(), 1, "{report:?}");
    assert!(report.helper_errors[0]
        .to_string()
        .contains("keyring is locked"));
    assert!(
        !report.all_failed(),
        "the legacy spellings were erased: {report:?}"
    );
    assert_eq!(
        report.keys,
        [
            "broken.example",
            "http://broken.example",
            "https://broken.example"
        ]
    );
}

#[test]
fn logout_of_a_hub_alias_erases_the_index_key() {
    let setup = Setup::new(Some(
        r#"{"auths":{"https://index.docker.io/v1/":{"auth":"YQ=="},"docker.io":{"auth":"Yg=="}}}"#,
    ));
    let mut config = setup.config();
    let report = logout_with(&mut config, "docker.io", &setup.launcher).unwrap();
    assert_eq!(report.keys, ["https://index.docker.io/v1/", "docker.io"]);
    assert_eq!(setup.file(), json!({"auths": {}}));
}

#[test]
fn password_stdin_is_trimmed_like_the_cli() {
    assert_eq!(password_from_stdin(b"secret\n").unwrap(), "secret");
    assert_eq!(password_from_stdin(b"secret\r\n").unwrap(), "secret");
    assert_eq!(password_from_stdin(b"secret").unwrap(), "secret");
    assert_eq!(
        password_from_stdin(b"  spaced  \n\n").unwrap(),
        "  spaced  \n"
    );
    assert!(matches!(
        password_from_stdin(b"\n"),
        Err(LoginError::EmptyPassword)
    ));
    assert!(matches!(
        password_from_stdin(b""),
        Err(LoginError::EmptyPassword)
    ));
    assert!(matches!(
        password_from_stdin(&[0xff, 0xfe]),
        Err(LoginError::PasswordNotUtf8)
    ));
}
