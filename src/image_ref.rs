//! Image references (`[registry/]repository[:tag][@digest]`) parsed and normalised as Docker does.
//!
//! Owns [`ImageRef`], its parse errors, and the mapping from a registry host to the key under
//! which `~/.docker/config.json` stores its credentials ([`auth_key_for_server`]).
//!
//! Pure: no filesystem, no network, no clock, no printing; imports no tokio and no bollard.
//! Table tests ported from upstream live in `tests/registry_image_ref.rs`.
//!
//! The grammar and the normalisation rules are copied from `distribution/reference`
//! (`regexp.go`, `reference.go`, `normalize.go`: `ParseNormalizedNamed`, `splitDockerDomain`,
//! `familiarizeName`) and the digest check from `opencontainers/go-digest` (`Digest.Validate`).

use std::fmt;
use std::sync::LazyLock;

use regex_lite::Regex;

/// The registry host Docker Hub references normalise to (`normalize.go` `defaultDomain`).
pub const DOCKER_HUB_DOMAIN: &str = "docker.io";

/// The key Docker Hub credentials are stored under in `config.json` (`registry.IndexServer`).
pub const DOCKER_HUB_AUTH_KEY: &str = "https://index.docker.io/v1/";

/// The legacy Hub host, canonicalised to [`DOCKER_HUB_DOMAIN`] (`legacyDefaultDomain`).
const LEGACY_HUB_DOMAIN: &str = "index.docker.io";

/// Namespace of official images on Docker Hub (`officialRepoPrefix`).
const OFFICIAL_REPO_PREFIX: &str = "library/";

/// Longest repository path Docker accepts (`RepositoryNameTotalLengthMax`).
const MAX_REPOSITORY_LEN: usize = 255;

/// Building blocks of the reference grammar, verbatim from `distribution/reference/regexp.go`.
/// Go's `\w` is ASCII-only, so it is spelled out here (Rust's `\w` is Unicode).
mod grammar {
    pub const ALPHANUMERIC: &str = r"[a-z0-9]+";
    pub const SEPARATOR: &str = r"(?:[._]|__|[-]+)";
    pub const DOMAIN_NAME_COMPONENT: &str = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
    pub const OPTIONAL_PORT: &str = r"(?::[0-9]+)?";
    pub const TAG: &str = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}";
    pub const DIGEST: &str =
        r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][[:xdigit:]]{32,}";
    pub const IPV6_ADDRESS: &str = r"\[(?:[a-fA-F0-9:]+)\]";
}

/// `domainAndPort` from `regexp.go`.
fn domain_and_port() -> String {
    use grammar::*;
    let domain_name = format!("{DOMAIN_NAME_COMPONENT}(?:\\.{DOMAIN_NAME_COMPONENT})*");
    format!("(?:{domain_name}|{IPV6_ADDRESS}){OPTIONAL_PORT}")
}

/// `remoteName` from `regexp.go`: slash-separated lowercase path components.
fn remote_name() -> String {
    use grammar::*;
    let path_component = format!("{ALPHANUMERIC}(?:{SEPARATOR}{ALPHANUMERIC})*");
    format!("{path_component}(?:/{path_component})*")
}

/// `referencePat`: captures name, tag and digest.
static REFERENCE: LazyLock<Regex> = LazyLock::new(|| {
    let name = format!("(?:{}/)?{}", domain_and_port(), remote_name());
    let pattern = format!(
        "^({name})(?::({}))?(?:@({}))?$",
        grammar::TAG,
        grammar::DIGEST
    );
    Regex::new(&pattern).expect("reference grammar is a valid regex")
});

/// `anchoredNamePat`: splits a name into domain and path.
static ANCHORED_NAME: LazyLock<Regex> = LazyLock::new(|| {
    let pattern = format!("^(?:({})/)?({})$", domain_and_port(), remote_name());
    Regex::new(&pattern).expect("name grammar is a valid regex")
});

/// `anchoredTagRegexp`.
static ANCHORED_TAG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!("^{}$", grammar::TAG)).expect("valid tag regex"));

/// `anchoredIdentifierRegexp`: a bare image ID, which is never a repository name.
static IDENTIFIER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new("^[a-f0-9]{64}$").expect("valid identifier regex"));

/// Why a string is not an image reference. Messages are Docker's, prefixed with the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageRefError {
    /// The string does not match the reference grammar.
    #[error("{input:?}: invalid reference format")]
    InvalidFormat {
        /// The string that was parsed.
        input: String,
    },
    /// The repository part has uppercase letters.
    #[error("{input:?}: invalid reference format: repository name must be lowercase")]
    Uppercase {
        /// The string that was parsed.
        input: String,
    },
    /// A 64-character hex string is an image ID, not a repository.
    #[error("{input:?}: invalid repository name, cannot specify 64-byte hexadecimal strings")]
    HexIdentifier {
        /// The string that was parsed.
        input: String,
    },
    /// The repository path is longer than 255 characters.
    #[error("{input:?}: repository name must not be more than {MAX_REPOSITORY_LEN} characters")]
    TooLong {
        /// The string that was parsed.
        input: String,
    },
    /// The digest is malformed, of an unknown algorithm, or of the wrong length.
    #[error("{input:?}: {reason}")]
    InvalidDigest {
        /// The string that was parsed.
        input: String,
        /// go-digest's wording: `invalid checksum digest format`, `unsupported digest
        /// algorithm` or `invalid checksum digest length`.
        reason: &'static str,
    },
    /// A tag given separately (see [`ImageRef::with_tag`]) is not a valid tag.
    #[error("{input:?}: invalid tag format")]
    InvalidTag {
        /// The tag that was given.
        input: String,
    },
}

impl ImageRefError {
    /// The string that failed to parse.
    pub fn input(&self) -> &str {
        match self {
            Self::InvalidFormat { input }
            | Self::Uppercase { input }
            | Self::HexIdentifier { input }
            | Self::TooLong { input }
            | Self::InvalidDigest { input, .. }
            | Self::InvalidTag { input } => input,
        }
    }
}

/// A normalised image reference: `docker.io/library/alpine:3.10.3`,
/// `127.0.0.1:5000/team/app@sha256:…`.
///
/// [`Display`](fmt::Display) prints the fully qualified form; [`ImageRef::familiar`] the
/// short form Docker shows to people.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ImageRef {
    registry: String,
    repository: String,
    tag: Option<String>,
    digest: Option<String>,
}

impl ImageRef {
    /// Parses and normalises a reference as `docker push`/`docker tag` do
    /// (`ParseNormalizedNamed`): a single name gets `docker.io/library/`, a first component with
    /// a `.` or `:`, or `localhost`, or an uppercase letter is a registry, anything else is a
    /// Docker Hub namespace. Both a tag and a digest may be given (`name:tag@digest`).
    pub fn parse(input: &str) -> Result<ImageRef, ImageRefError> {
        let owned = || input.to_owned();
        if IDENTIFIER.is_match(input) {
            return Err(ImageRefError::HexIdentifier { input: owned() });
        }
        let (domain, remainder) = split_docker_domain(input);
        // `ParseNormalizedNamed` checks the lowercase rule on the text before the first `:`.
        let remote = remainder.split(':').next().unwrap_or_default();
        if remote.to_lowercase() != remote {
            return Err(ImageRefError::Uppercase { input: owned() });
        }
        let qualified = format!("{domain}/{remainder}");
        let Some(captures) = REFERENCE.captures(&qualified) else {
            let lower = qualified.to_lowercase();
            if lower != qualified && REFERENCE.is_match(&lower) {
                return Err(ImageRefError::Uppercase { input: owned() });
            }
            return Err(ImageRefError::InvalidFormat { input: owned() });
        };
        let name = captures.get(1).map_or("", |m| m.as_str());
        let name_parts = ANCHORED_NAME.captures(name);
        let registry = name_parts
            .as_ref()
            .and_then(|c| c.get(1))
            .map(|m| m.as_str());
        let repository = name_parts
            .as_ref()
            .and_then(|c| c.get(2))
            .map(|m| m.as_str());
        // Upstream would accept e.g. `a_b.c/x` with an empty domain (the first component is a
        // valid path but not a valid host); a reference without a registry is useless to us.
        let (Some(registry), Some(repository)) = (registry, repository) else {
            return Err(ImageRefError::InvalidFormat { input: owned() });
        };
        if repository.len() > MAX_REPOSITORY_LEN {
            return Err(ImageRefError::TooLong { input: owned() });
        }
        let digest = captures.get(3).map(|m| m.as_str().to_owned());
        if let Some(digest) = &digest {
            validate_digest(digest).map_err(|reason| ImageRefError::InvalidDigest {
                input: owned(),
                reason,
            })?;
        }
        Ok(ImageRef {
            registry: registry.to_owned(),
            repository: repository.to_owned(),
            tag: captures.get(2).map(|m| m.as_str().to_owned()),
            digest,
        })
    }

    /// Registry host, with port if any: `docker.io`, `127.0.0.1:5000`, `[::1]:5000`.
    pub fn registry(&self) -> &str {
        &self.registry
    }

    /// Repository path inside the registry: `library/alpine`, `uzimihsr/uzimihsr-sample-image`.
    pub fn repository(&self) -> &str {
        &self.repository
    }

    /// The tag, if one was written (`latest` is not implied).
    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// The digest (`sha256:<hex>`), if one was written.
    pub fn digest(&self) -> Option<&str> {
        self.digest.as_deref()
    }

    /// Whether the image lives on Docker Hub.
    pub fn is_docker_hub(&self) -> bool {
        self.registry == DOCKER_HUB_DOMAIN
    }

    /// Fully qualified name without tag or digest: `docker.io/library/alpine`.
    pub fn name(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    /// Docker's short name without tag or digest (`familiarizeName`): `alpine`,
    /// `uzimihsr/x`, `127.0.0.1:5000/x`.
    pub fn familiar_name(&self) -> String {
        if !self.is_docker_hub() {
            return self.name();
        }
        match self.repository.strip_prefix(OFFICIAL_REPO_PREFIX) {
            Some(official) if !official.contains('/') => official.to_owned(),
            _ => self.repository.clone(),
        }
    }

    /// Docker's short form with tag and digest, as `docker images` shows it:
    /// `alpine:3.10.3`, `uzimihsr/x:0.1`.
    pub fn familiar(&self) -> String {
        self.familiar_name() + &self.suffix()
    }

    /// The name the Engine API wants in `POST /images/{name}/push` (the CLI sends the familiar
    /// name and the tag separately, `client/image_push.go`).
    pub fn name_without_tag(&self) -> String {
        self.familiar_name()
    }

    /// The `tag` query value for `POST /images/{name}/push`: the digest if there is one, else the
    /// tag, else `latest` (an empty value would push every tag of the repository).
    pub fn push_tag(&self) -> &str {
        self.digest
            .as_deref()
            .or(self.tag.as_deref())
            .unwrap_or("latest")
    }

    /// The `config.json` key for this image's registry: [`DOCKER_HUB_AUTH_KEY`] for Docker Hub,
    /// else the host with its port (`127.0.0.1:5000`).
    pub fn auth_key(&self) -> String {
        auth_key_for_server(&self.registry)
    }

    /// The same repository with `tag` instead of any tag or digest.
    pub fn with_tag(&self, tag: &str) -> Result<ImageRef, ImageRefError> {
        if !ANCHORED_TAG.is_match(tag) {
            return Err(ImageRefError::InvalidTag {
                input: tag.to_owned(),
            });
        }
        Ok(ImageRef {
            tag: Some(tag.to_owned()),
            digest: None,
            ..self.clone()
        })
    }

    fn suffix(&self) -> String {
        let mut suffix = String::new();
        if let Some(tag) = &self.tag {
            suffix.push(':');
            suffix.push_str(tag);
        }
        if let Some(digest) = &self.digest {
            suffix.push('@');
            suffix.push_str(digest);
        }
        suffix
    }
}

impl fmt::Display for ImageRef {
    /// The fully qualified form: `docker.io/library/alpine:3.10.3`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}{}", self.registry, self.repository, self.suffix())
    }
}

impl std::str::FromStr for ImageRef {
    type Err = ImageRefError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ImageRef::parse(s)
    }
}

/// `splitDockerDomain` from `normalize.go`: decides whether the first component is a registry.
fn split_docker_domain(name: &str) -> (&str, String) {
    let Some((first, rest)) = name.split_once('/') else {
        return (DOCKER_HUB_DOMAIN, format!("{OFFICIAL_REPO_PREFIX}{name}"));
    };
    let (domain, remote) = if first == "localhost" {
        (first, rest)
    } else if first == LEGACY_HUB_DOMAIN {
        (DOCKER_HUB_DOMAIN, rest)
    } else if first.contains(['.', ':']) || first.to_lowercase() != first {
        (first, rest)
    } else {
        (DOCKER_HUB_DOMAIN, name)
    };
    if domain == DOCKER_HUB_DOMAIN && !remote.contains('/') {
        return (domain, format!("{OFFICIAL_REPO_PREFIX}{remote}"));
    }
    (domain, remote.to_owned())
}

/// `Digest.Validate` from go-digest, for the algorithms Docker registers.
fn validate_digest(digest: &str) -> Result<(), &'static str> {
    const FORMAT: &str = "invalid checksum digest format";
    let Some((algorithm, encoded)) = digest.split_once(':') else {
        return Err(FORMAT);
    };
    let hex_len = match algorithm {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        _ => return Err("unsupported digest algorithm"),
    };
    if encoded.len() != hex_len {
        return Err("invalid checksum digest length");
    }
    if !encoded
        .bytes()
        .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    {
        return Err(FORMAT);
    }
    Ok(())
}

/// Host (and port) of a registry address, without scheme or path, as the docker CLI's
/// `ConvertToHostname` (`cli/config/credentials/file_store.go`): `https://r.example:5000/v2/`
/// becomes `r.example:5000`.
pub fn convert_to_hostname(server: &str) -> &str {
    let stripped = server
        .strip_prefix("https://")
        .or_else(|| server.strip_prefix("http://"))
        .unwrap_or(server);
    stripped.split('/').next().unwrap_or_default()
}

/// The `config.json` key for a registry address as typed by a user (`dockjob login SERVER`) or
/// taken from a reference: Docker Hub's aliases (empty, `docker.io`, `index.docker.io`,
/// `registry-1.docker.io`, with or without scheme) map to [`DOCKER_HUB_AUTH_KEY`]; any other
/// address to its `host[:port]`, the key the docker CLI looks up for a push.
pub fn auth_key_for_server(server: &str) -> String {
    let host = convert_to_hostname(server.trim());
    match host {
        "" | DOCKER_HUB_DOMAIN | LEGACY_HUB_DOMAIN | "registry-1.docker.io" => {
            DOCKER_HUB_AUTH_KEY.to_owned()
        }
        _ => host.to_owned(),
    }
}
