//! What a build adds about itself, for release pipelines: the default OCI labels and buildx's
//! `--metadata-file` document. Pure: the caller supplies the time and the git facts.

use std::collections::BTreeMap;

/// Facts about the git checkout that holds the build context.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GitFacts {
    /// `git rev-parse HEAD`.
    pub revision: Option<String>,
    /// `git remote get-url origin`, as configured (credentials are stripped here).
    pub remote_url: Option<String>,
}

/// The `org.opencontainers.image.*` labels dockjob adds unless `--no-oci-labels`
/// (opencontainers/image-spec `annotations.md`): `created` (RFC 3339), `revision` and
/// `source` from git, `version` from the first tag.
pub fn default_oci_labels(
    created_rfc3339: &str,
    git: &GitFacts,
    version: Option<&str>,
) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::new();
    let mut put = |key: &str, value: &str| {
        labels.insert(format!("org.opencontainers.image.{key}"), value.to_string());
    };
    put("created", created_rfc3339);
    if let Some(revision) = &git.revision {
        put("revision", revision);
    }
    if let Some(url) = &git.remote_url {
        put("source", &without_credentials(url));
    }
    if let Some(version) = version {
        put("version", version);
    }
    labels
}

/// `https://user:token@host/repo` → `https://host/repo`: a label is public, a token is not.
pub fn without_credentials(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (authority, path) = rest.split_once('/').map_or((rest, ""), |(a, p)| (a, p));
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    if path.is_empty() && !rest.contains('/') {
        format!("{scheme}://{host}")
    } else {
        format!("{scheme}://{host}/{path}")
    }
}

/// buildx's `--metadata-file` keys that the classic builder can honour: the config digest
/// (the image ID), the names, and the manifest digest once pushed.
pub fn metadata_document(
    image_id: &str,
    names: &[String],
    pushed_digest: Option<&str>,
) -> serde_json::Value {
    let mut document = serde_json::Map::new();
    document.insert("containerimage.config.digest".into(), image_id.into());
    if let Some(digest) = pushed_digest {
        document.insert("containerimage.digest".into(), digest.into());
    }
    if !names.is_empty() {
        document.insert("image.name".into(), names.join(",").into());
    }
    serde_json::Value::Object(document)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_carry_time_git_and_version() {
        let git = GitFacts {
            revision: Some("abc123".into()),
            remote_url: Some("https://ci:s3cret@example.com/o/r.git".into()),
        };
        let labels = default_oci_labels("2026-11-27T05:00:00Z", &git, Some("0.1"));
        assert_eq!(
            labels["org.opencontainers.image.created"],
            "2026-11-27T05:00:00Z"
        );
        assert_eq!(labels["org.opencontainers.image.revision"], "abc123");
        assert_eq!(
            labels["org.opencontainers.image.source"],
            "https://example.com/o/r.git"
        );
        assert_eq!(labels["org.opencontainers.image.version"], "0.1");
        let bare = default_oci_labels("t", &GitFacts::default(), None);
        assert_eq!(bare.len(), 1);
    }

    #[test]
    fn credentials_never_reach_a_label() {
        assert_eq!(without_credentials("https://a:b@h/x"), "https://h/x");
        assert_eq!(without_credentials("https://token@h"), "https://h");
        assert_eq!(
            without_credentials("git@github.com:o/r.git"),
            "git@github.com:o/r.git"
        );
        assert_eq!(without_credentials("ssh://git@h:22/o/r"), "ssh://h:22/o/r");
    }

    #[test]
    fn metadata_has_buildx_keys() {
        let names = vec!["a:1".to_string(), "r/a:1".to_string()];
        let doc = metadata_document("sha256:c", &names, Some("sha256:m"));
        assert_eq!(doc["containerimage.config.digest"], "sha256:c");
        assert_eq!(doc["containerimage.digest"], "sha256:m");
        assert_eq!(doc["image.name"], "a:1,r/a:1");
        assert!(metadata_document("sha256:c", &[], None)
            .get("containerimage.digest")
            .is_none());
    }
}
