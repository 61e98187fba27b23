//! Image pulls that cannot succeed by waiting: the registry has no such image, refuses it
//! without credentials, or cannot be reached. The kubelet retries them for ever
//! (ImagePullBackOff), and so does a detached controller (`apply`); a foreground `run` gives
//! up at once and says what to do. So it does for a missing image it may not pull
//! (`imagePullPolicy: Never`). Pure: an engine error in, a verdict and advice out.

use crate::engine::EngineError;
use crate::image_ref::ImageRef;

/// Why a pull cannot succeed until the user acts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PullFailure {
    /// The registry has no such repository, tag or digest.
    NotFound,
    /// The registry wants credentials (Docker Hub also says this for a repository that does
    /// not exist: `pull access denied …, repository does not exist or may require 'docker
    /// login'`).
    Unauthorized,
    /// The registry's host does not resolve or does not answer.
    Unreachable,
}

/// Classifies a failed pull; `None` for failures that may pass (rate limits, a registry
/// error, a full disk), which are retried with the kubelet's backoff.
pub fn classify(error: &EngineError) -> Option<PullFailure> {
    let message = match error {
        EngineError::ImageNotFound(_) => return Some(PullFailure::NotFound),
        EngineError::Unauthorized { .. } => return Some(PullFailure::Unauthorized),
        EngineError::Daemon(message) | EngineError::StepFailed(message) => message,
        EngineError::Unreachable { .. } | EngineError::ContainerNotFound(_) => return None,
    };
    let message = message.to_ascii_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| message.contains(w));
    if has(&["toomanyrequests", "too many requests", "rate limit"]) {
        return None;
    }
    if has(&[
        "repository does not exist",
        "manifest unknown",
        "name unknown",
        "not found",
    ]) {
        return Some(PullFailure::NotFound);
    }
    if has(&[
        "unauthorized",
        "authentication required",
        "no basic auth credentials",
        "access denied",
        "denied:",
    ]) {
        return Some(PullFailure::Unauthorized);
    }
    if has(&[
        "no such host",
        "connection refused",
        "no route to host",
        "network is unreachable",
        "i/o timeout",
        "server gave http response to https client",
        "certificate",
    ]) {
        return Some(PullFailure::Unreachable);
    }
    None
}

/// What to do about `failure` for `image`: one sentence naming the image and the next step.
pub fn advice(failure: &PullFailure, image: &str) -> String {
    let registry = ImageRef::parse(image)
        .map(|r| r.registry().to_string())
        .unwrap_or_else(|_| "its registry".to_string());
    let login = match registry.as_str() {
        "docker.io" => "dockjob login".to_string(),
        other => format!("dockjob login {other}"),
    };
    match failure {
        PullFailure::NotFound => format!(
            "the engine has no image {image:?} and {registry} has none of that name: build it \
             (dockjob build -t {image} DIR), or check the name and tag"
        ),
        PullFailure::Unauthorized => format!(
            "{registry} refused {image:?} without credentials: check the name (a registry says \
             the same of a repository that does not exist), log in with `{login}`, or build \
             it (dockjob build -t {image} DIR)"
        ),
        PullFailure::Unreachable => format!(
            "the engine has no image {image:?} and cannot reach {registry}: build it \
             (dockjob build -t {image} DIR), or check the name and the registry's address"
        ),
    }
}

/// What to do when the engine has the image but `imagePullPolicy: Always` (Kubernetes'
/// default for a `:latest` or untagged image) makes the kubelet pull it first, and the pull
/// cannot succeed: the local copy is never used.
pub fn always_pull_advice(failure: &PullFailure, image: &str) -> String {
    let why = match failure {
        PullFailure::NotFound => "its registry has none of that name",
        PullFailure::Unauthorized => "its registry refused it without credentials",
        PullFailure::Unreachable => "its registry cannot be reached",
    };
    format!(
        "the engine has {image:?}, but imagePullPolicy: Always (the default for a :latest or \
         untagged image) pulls it first and {why}: give the image a tag other than latest \
         (dockjob build -t NAME:TAG DIR), or set imagePullPolicy: IfNotPresent in the manifest"
    )
}

/// What to do about an image that is missing while `imagePullPolicy: Never` forbids pulling
/// it (the kubelet's `ErrImageNeverPull`, retried for ever on a cluster).
pub fn never_pull_advice(image: &str) -> String {
    format!(
        "the engine has no image {image:?} and imagePullPolicy: Never forbids pulling it: \
         build it (dockjob build -t {image} DIR), or let it be pulled (imagePullPolicy: \
         IfNotPresent)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn daemon(message: &str) -> EngineError {
        EngineError::Daemon(message.to_string())
    }

    /// Texts the Docker engine (moby 2x, distribution registry) answers `POST /images/create`
    /// with; the first two were seen on this machine's engine.
    #[test]
    fn engine_messages_are_classified() {
        let cases = [
            (
                "Get \"https://registry-1.docker.io/v2/\": dial tcp: lookup registry-1.docker.io on 10.255.255.53:53: no such host",
                Some(PullFailure::Unreachable),
            ),
            (
                "Get \"http://127.0.0.1:5999/v2/\": dial tcp 127.0.0.1:5999: connect: connection refused",
                Some(PullFailure::Unreachable),
            ),
            (
                "pull access denied for nosuch/image, repository does not exist or may require 'docker login': denied: requested access to the resource is denied",
                Some(PullFailure::NotFound),
            ),
            (
                "Head \"http://127.0.0.1:5000/v2/x/manifests/1\": no basic auth credentials",
                Some(PullFailure::Unauthorized),
            ),
            (
                "manifest for 127.0.0.1:5000/x:2 not found: manifest unknown: manifest unknown",
                Some(PullFailure::NotFound),
            ),
            (
                "toomanyrequests: You have reached your pull rate limit.",
                None,
            ),
            ("write /var/lib/docker/tmp: no space left on device", None),
        ];
        for (message, expected) in cases {
            assert_eq!(classify(&daemon(message)), expected, "{message}");
        }
        assert_eq!(
            classify(&EngineError::ImageNotFound("x".into())),
            Some(PullFailure::NotFound)
        );
        let gone = EngineError::Unreachable {
            endpoint: "unix:///var/run/docker.sock".into(),
            detail: "gone".into(),
        };
        assert_eq!(classify(&gone), None, "the engine itself, not the registry");
    }

    #[test]
    fn always_pull_of_a_present_image_says_the_local_copy_is_not_used() {
        let advice = always_pull_advice(&PullFailure::Unreachable, "myapp");
        assert!(advice.contains("the engine has \"myapp\""), "{advice}");
        assert!(advice.contains("imagePullPolicy: Always"), "{advice}");
        assert!(advice.contains("cannot be reached"), "{advice}");
        assert!(advice.contains("imagePullPolicy: IfNotPresent"), "{advice}");
    }

    #[test]
    fn advice_names_the_image_and_the_registry() {
        let text = advice(&PullFailure::NotFound, "127.0.0.1:5000/app:1");
        assert!(text.contains("\"127.0.0.1:5000/app:1\""), "{text}");
        assert!(
            text.contains("dockjob build -t 127.0.0.1:5000/app:1"),
            "{text}"
        );
        let text = advice(
            &PullFailure::Unauthorized,
            "registry.example.com/team/app:1",
        );
        assert!(
            text.contains("`dockjob login registry.example.com`"),
            "{text}"
        );
        let text = advice(&PullFailure::Unauthorized, "someone/app");
        assert!(text.contains("`dockjob login`"), "{text}");
        let text = advice(&PullFailure::Unreachable, "registry.invalid/app:1");
        assert!(text.contains("cannot reach registry.invalid"), "{text}");
    }
}
