//! `imagePullSecrets`: the registry credentials a pod's `kubernetes.io/dockerconfigjson` (or
//! `kubernetes.io/dockercfg`) Secrets give for an image, as the kubelet's keyring finds them.
//! Pure: the Secrets come through an [`ObjectLookup`].
//!
//! Sources: kubelet `pkg/credentialprovider/keyring.go` (`BasicDockerKeyring.Lookup`: keys
//! without scheme and path, matched by registry host) and `pkg/credentialprovider/config.go`
//! (`DockerConfigJSON`, the `auth` field as base64 `user:password`),
//! `pkg/kubelet/kuberuntime/kuberuntime_image.go` (the `FailedToRetrieveImagePullSecret`
//! warning). Simplification: a key matches by host (and port) alone, not by path or
//! wildcard.

use base64::Engine;
use k8s_openapi::api::core::v1::LocalObjectReference;

use super::resolve::ObjectLookup;
use super::{DataObject, ObjectKind};
use crate::engine::PullAuth;

/// What the pod's pull secrets give for pulling `image`.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct PullCredentials {
    /// The first matching credentials, in the order the secrets are listed.
    pub auth: Option<PullAuth>,
    /// Names of pull secrets that do not exist (the kubelet warns and pulls anyway).
    pub missing: Vec<String>,
}

/// The host of an `auths` key: `https://index.docker.io/v1/` → `index.docker.io`.
fn key_host(key: &str) -> String {
    let key = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    key.split('/').next().unwrap_or(key).to_ascii_lowercase()
}

/// Whether an `auths` key is for `registry` (Docker Hub's aliases count as one).
fn matches(key: &str, registry: &str) -> bool {
    const HUB: &[&str] = &["docker.io", "index.docker.io", "registry-1.docker.io"];
    let host = key_host(key);
    let registry = registry.to_ascii_lowercase();
    host == registry || (HUB.contains(&host.as_str()) && HUB.contains(&registry.as_str()))
}

/// The credentials of one `auths` entry (`username`/`password`, else `auth`).
fn entry_auth(server: &str, entry: &serde_json::Value) -> Option<PullAuth> {
    let field = |name: &str| {
        entry
            .get(name)
            .and_then(|v| v.as_str())
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let (username, password) = match (field("username"), field("password")) {
        (Some(u), Some(p)) => (u, p),
        _ => {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(field("auth")?)
                .ok()?;
            let text = String::from_utf8(decoded).ok()?;
            let (u, p) = text.split_once(':')?;
            (u.to_string(), p.to_string())
        }
    };
    Some(PullAuth {
        server: key_host(server),
        username,
        password,
    })
}

/// The credentials the pod's `imagePullSecrets` give for an image in `registry`.
pub fn pull_credentials(
    secrets: &[LocalObjectReference],
    namespace: &str,
    registry: &str,
    lookup: &dyn ObjectLookup,
) -> PullCredentials {
    let mut out = PullCredentials::default();
    for reference in secrets {
        let secret = match lookup.get(ObjectKind::Secret, namespace, &reference.name) {
            Ok(Some(DataObject::Secret(secret))) => secret,
            _ => {
                out.missing.push(reference.name.clone());
                continue;
            }
        };
        let data = secret.data.unwrap_or_default();
        let auths: Option<serde_json::Value> = match secret.type_.as_deref() {
            Some("kubernetes.io/dockerconfigjson") => data
                .get(".dockerconfigjson")
                .and_then(|v| serde_json::from_slice::<serde_json::Value>(&v.0).ok())
                .and_then(|v| v.get("auths").cloned()),
            // The older format: the `auths` map itself.
            Some("kubernetes.io/dockercfg") => data
                .get(".dockercfg")
                .and_then(|v| serde_json::from_slice(&v.0).ok()),
            _ => None,
        };
        let Some(serde_json::Value::Object(auths)) = auths else {
            continue;
        };
        if out.auth.is_none() {
            out.auth = auths
                .iter()
                .filter(|(key, _)| matches(key, registry))
                .find_map(|(key, entry)| entry_auth(key, entry));
        }
    }
    out
}

/// The kubelet's warning for pull secrets it cannot get.
pub fn missing_message(missing: &[String]) -> String {
    format!(
        "Unable to retrieve some image pull secrets ({}); attempting to pull the image may not succeed.",
        missing.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::objects::create::{docker_config_json, Entries};

    struct One(DataObject);

    impl ObjectLookup for One {
        fn get(&self, _: ObjectKind, _: &str, name: &str) -> Result<Option<DataObject>, String> {
            Ok((self.0.name() == name).then(|| self.0.clone()))
        }
    }

    fn registry_secret(server: &str) -> One {
        let mut entries = Entries::new(ObjectKind::Secret);
        entries
            .add(
                ".dockerconfigjson",
                docker_config_json(server, "alice", "pw", ""),
            )
            .unwrap();
        One(entries.into_secret("reg", Some("kubernetes.io/dockerconfigjson")))
    }

    fn refs(names: &[&str]) -> Vec<LocalObjectReference> {
        names
            .iter()
            .map(|n| LocalObjectReference {
                name: n.to_string(),
            })
            .collect()
    }

    #[test]
    fn the_matching_registry_gives_its_credentials() {
        let lookup = registry_secret("127.0.0.1:5000");
        let found = pull_credentials(
            &refs(&["gone", "reg"]),
            "default",
            "127.0.0.1:5000",
            &lookup,
        );
        assert_eq!(found.missing, ["gone"]);
        let auth = found.auth.expect("credentials");
        assert_eq!(
            (auth.username.as_str(), auth.password.as_str()),
            ("alice", "pw")
        );
        assert!(
            !format!("{auth:?}").contains("pw"),
            "Debug never shows the password"
        );
        let other = pull_credentials(&refs(&["reg"]), "default", "127.0.0.1:5001", &lookup);
        assert_eq!(other.auth, None);
        assert_eq!(
            missing_message(&found.missing),
            "Unable to retrieve some image pull secrets (gone); attempting to pull the image may not succeed."
        );
    }

    #[test]
    fn docker_hub_keys_match_hub_images() {
        let lookup = registry_secret("https://index.docker.io/v1/");
        let found = pull_credentials(&refs(&["reg"]), "default", "docker.io", &lookup);
        assert!(found.auth.is_some());
    }
}
