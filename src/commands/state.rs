//! Shared by the kubectl-style verbs: opening the store, the engine a stored Job lives on,
//! resolving the namespace, the wall clock, resource names, and kubectl's error wording.

use k8s_openapi::jiff::Timestamp;

use crate::cli::GlobalArgs;
use crate::engine::docker::scheduled::PodEngine;
use crate::job::objects::ObjectKind;
use crate::store::{state_dir, Store, StoredJob};

/// The namespace when neither `-n` nor the manifest names one.
pub const DEFAULT_NAMESPACE: &str = "default";

/// Opens the store named by `--state-dir` / `DOCKJOB_STATE_DIR` / XDG.
pub fn open_store(global: &GlobalArgs) -> anyhow::Result<Store> {
    Ok(Store::open(&state_dir(global.state_dir.as_deref()))?)
}

/// Connects to the engine a stored Job was created on (`-H` / `DOCKER_HOST` for a Job stored
/// by an older dockjob, which did not record it): its containers are there, whatever this
/// command's `-H` says.
pub async fn job_engine(global: &GlobalArgs, job: &StoredJob) -> anyhow::Result<PodEngine> {
    let endpoint = job.engine.as_deref().or(global.host.as_deref());
    super::controller::pod_engine(endpoint, super::controller::scheduler_of(&job.job)).await
}

/// The engine endpoint of the Job that `logs TARGET` reads (`job/NAME`, `pod/NAME`, `NAME`),
/// when the store knows it; `None` sends the command to `-H` / `DOCKER_HOST` (and lets it
/// report a missing Job or pod itself).
pub fn logs_endpoint(global: &GlobalArgs, target: &str) -> Option<String> {
    let store = open_store(global).ok()?;
    let ns = namespace(global);
    let job = match target.split_once('/') {
        Some((kind, name)) if Kind::parse(kind) == Some(Kind::Job) => store.get_job(&ns, name),
        Some((kind, name)) if Kind::parse(kind) == Some(Kind::Pod) => pod_job(&store, &ns, name),
        Some(_) => return None,
        None => pod_job(&store, &ns, target),
    };
    job.ok().flatten()?.engine
}

fn pod_job(
    store: &Store,
    ns: &str,
    pod: &str,
) -> Result<Option<StoredJob>, crate::store::StoreError> {
    let uid = store
        .list_pods(Some(ns), None)?
        .into_iter()
        .find(|p| p.pod.metadata.name.as_deref() == Some(pod))
        .map(|p| p.job_uid);
    match uid {
        Some(uid) => store.get_job_by_uid(&uid),
        None => Ok(None),
    }
}

/// `-n`, else `default`.
pub fn namespace(global: &GlobalArgs) -> String {
    global
        .namespace
        .clone()
        .unwrap_or_else(|| DEFAULT_NAMESPACE.to_string())
}

/// The system clock.
pub fn now() -> Timestamp {
    Timestamp::now()
}

/// The resource kinds the views know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `jobs.batch`.
    Job,
    /// `pods`.
    Pod,
    /// `events`.
    Event,
    /// `configmaps` or `secrets`.
    Data(ObjectKind),
}

/// What the views need to know about one kind; a new kind is one more row of [`KINDS`] (and
/// its arms in `get`'s `Objects`, `fetch` and the `render::Named` impl of its type).
#[derive(Debug)]
pub struct KindSpec {
    /// The kind.
    pub kind: Kind,
    /// kubectl's spellings, lower case: singular, plural, short names, with the group.
    pub words: &'static [&'static str],
    /// The resource in NotFound messages: `jobs.batch`.
    pub plural: &'static str,
    /// The GroupVersionResource in the API server's selector error: `batch/v1, Resource=jobs`.
    pub api_resource: &'static str,
    /// In kubectl's `all` category (`get all`).
    pub in_all: bool,
}

/// Every kind, in the order `get all` lists them (kubectl's category: pods first, jobs
/// after; ConfigMaps, Secrets and Events are not in it).
pub const KINDS: &[KindSpec] = &[
    KindSpec {
        kind: Kind::Pod,
        words: &["pod", "pods", "po", "pod.v1.", "pods.v1."],
        plural: "pods",
        api_resource: "/v1, Resource=pods",
        in_all: true,
    },
    KindSpec {
        kind: Kind::Job,
        words: &[
            "job",
            "jobs",
            "job.batch",
            "jobs.batch",
            "job.v1.batch",
            "jobs.v1.batch",
        ],
        plural: "jobs.batch",
        api_resource: "batch/v1, Resource=jobs",
        in_all: true,
    },
    KindSpec {
        kind: Kind::Event,
        words: &["event", "events", "ev", "event.v1.", "events.v1."],
        plural: "events",
        api_resource: "/v1, Resource=events",
        in_all: false,
    },
    KindSpec {
        kind: Kind::Data(ObjectKind::ConfigMap),
        words: &["configmap", "configmaps", "cm"],
        plural: "configmaps",
        api_resource: "/v1, Resource=configmaps",
        in_all: false,
    },
    KindSpec {
        kind: Kind::Data(ObjectKind::Secret),
        words: &["secret", "secrets"],
        plural: "secrets",
        api_resource: "/v1, Resource=secrets",
        in_all: false,
    },
];

impl Kind {
    /// Parses kubectl's spellings (`job`, `jobs`, `job.batch`, `jobs.batch`, `po`, `pods`, `ev`, …),
    /// and the fully specified `RESOURCE.VERSION.GROUP` (`jobs.v1.batch`, `pods.v1.`) that
    /// apimachinery's `ParseResourceArg` reads.
    pub fn parse(word: &str) -> Option<Self> {
        let word = word.to_ascii_lowercase();
        KINDS
            .iter()
            .find(|spec| spec.words.contains(&word.as_str()))
            .map(|spec| spec.kind)
    }

    /// This kind's row of [`KINDS`].
    pub fn spec(self) -> &'static KindSpec {
        KINDS
            .iter()
            .find(|spec| spec.kind == self)
            .expect("every kind has a row in KINDS")
    }

    /// `jobs.batch`, `pods`, `events` (as in NotFound messages).
    pub fn plural(self) -> &'static str {
        self.spec().plural
    }
}

/// Splits `TYPE[/NAME]` plus extra names into a kind and names; `None` for an unknown type.
pub fn parse_target(resource: &str, names: &[String]) -> Option<(Kind, Vec<String>)> {
    let (kind, first) = match resource.split_once('/') {
        Some((kind, name)) => (kind, Some(name.to_string())),
        None => (resource, None),
    };
    let kind = Kind::parse(kind)?;
    Some((
        kind,
        first.into_iter().chain(names.iter().cloned()).collect(),
    ))
}

/// kubectl's message for an unknown resource type (cli-runtime `Builder.mappingFor`: the
/// resource part of `TYPE[.VERSION][.GROUP]`).
pub fn unknown_type(resource: &str) -> String {
    let kind = resource.split_once('/').map_or(resource, |(k, _)| k);
    let kind = kind.split_once('.').map_or(kind, |(k, _)| k);
    format!("error: the server doesn't have a resource type \"{kind}\"")
}

/// `Error from server (NotFound): jobs.batch "pi" not found`.
pub fn not_found(kind: Kind, name: &str) -> String {
    format!(
        "Error from server (NotFound): {} \"{name}\" not found",
        kind.plural()
    )
}

/// `No resources found in default namespace.` (or without the namespace for `-A`).
pub fn no_resources(namespace: Option<&str>) -> String {
    match namespace {
        Some(ns) => format!("No resources found in {ns} namespace."),
        None => "No resources found".to_string(),
    }
}

/// Whether `labels` match a label selector, parsed as the API server parses it
/// ([`crate::selector`]); one that does not parse matches nothing (callers check it first
/// with [`check_selector`]).
pub fn selector_matches(
    selector: &str,
    labels: Option<&std::collections::BTreeMap<String, String>>,
) -> bool {
    crate::selector::parse(selector).is_ok_and(|s| s.matches(labels))
}

/// A `-l` value that does not parse: kubectl's text for the API server's BadRequest
/// (cli-runtime `Selector.Visit` around apiserver's `labels.Parse` error).
pub fn check_selector(kind: Kind, selector: Option<&str>) -> anyhow::Result<()> {
    let Some(selector) = selector else {
        return Ok(());
    };
    crate::selector::parse(selector).map(|_| ()).map_err(|e| {
        let resource = kind.spec().api_resource;
        crate::error::user_error(format!(
            "Error from server (BadRequest): Unable to find {} that match label selector {}, field selector \"\": {e}",
            crate::job::field::go_quote(resource),
            crate::job::field::go_quote(selector)
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_match_through_the_apimachinery_parser() {
        // The rules themselves are tested in `crate::selector`; here, that an unparsable
        // selector matches nothing rather than everything.
        let labels: std::collections::BTreeMap<String, String> =
            [("app".to_string(), "pi".to_string())]
                .into_iter()
                .collect();
        assert!(selector_matches("app=pi", Some(&labels)));
        assert!(!selector_matches("app!=pi", Some(&labels)));
        assert!(!selector_matches("!!!", Some(&labels)));
    }

    #[test]
    fn fully_specified_resource_job_v1_batch_is_a_job() {
        // `get job.v1.batch NAME` was "the server doesn't have a resource type "job""; kubectl
        // reads RESOURCE.VERSION.GROUP (apimachinery `schema.ParseResourceArg`).
        assert_eq!(Kind::parse("job.v1.batch"), Some(Kind::Job));
        assert_eq!(Kind::parse("jobs.v1.batch"), Some(Kind::Job));
        assert_eq!(Kind::parse("pods.v1."), Some(Kind::Pod));
        assert_eq!(Kind::parse("events.v1."), Some(Kind::Event));
        assert_eq!(Kind::parse("jobs.v2.batch"), None);
    }
}
