//! A fake `docker-credential-test` helper for the registry tests, written into a private
//! directory that is passed to `HelperLauncher::with_search_path` (the process `PATH` is never
//! changed). Included by other test files with `#[path]`; it has no tests of its own.
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};

/// What the fake helper answers, by server address, following the protocol of
/// docker-credential-helpers `credentials/credentials.go`. Every call is appended to
/// `calls.log`; `store` input goes to `stored.json`.
const SCRIPT: &str = r#"#!/bin/sh
dir=$(dirname "$0")
action=$1
input=$(cat)
printf '%s %s\n' "$action" "$input" >> "$dir/calls.log"
case "$action" in
get)
  case "$input" in
    127.0.0.1:5000|https://index.docker.io/v1/)
      printf '{"ServerURL":"%s","Username":"helper-user","Secret":"helper-pass?>~"}' "$input" ;;
    token.example)
      printf '{"ServerURL":"%s","Username":"<token>","Secret":"helper-token"}' "$input" ;;
    broken.example)
      echo "error: the keyring is locked"; exit 1 ;;
    garbage.example)
      echo "Secret=leaked-secret not json" ;;
    *)
      echo "credentials not found in native keychain"; exit 1 ;;
  esac ;;
store)
  case "$input" in
    *fail.example*) printf 'cannot store %s\n' "$input"; exit 1 ;;
  esac
  printf '%s' "$input" > "$dir/stored.json" ;;
erase)
  case "$input" in
    broken.example) echo "error: the keyring is locked"; exit 1 ;;
  esac ;;
*)
  echo "unknown action"; exit 1 ;;
esac
"#;

/// Writes the fake helper as `docker-credential-<name>` into `dir` and returns `dir`.
pub fn install(dir: &Path, name: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt as _;
    let path = dir.join(format!("docker-credential-{name}"));
    fs::write(&path, SCRIPT).expect("write fake helper");
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).expect("chmod fake helper");
    dir.to_path_buf()
}

/// The calls the fake helper received, one `action input` per line.
pub fn calls(dir: &Path) -> Vec<String> {
    fs::read_to_string(dir.join("calls.log"))
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// What the fake helper received on its last `store`.
pub fn stored(dir: &Path) -> serde_json::Value {
    let text = fs::read_to_string(dir.join("stored.json")).expect("helper stored something");
    serde_json::from_str(&text).expect("store input is JSON")
}
