//! Shared by the kubectl-style verbs: opening the store, the engine a stored Job lives on,
//! resolving the namespace, the wall clock, resource names, and kubectl's error wording.

use k8s_openapi::jiff::Timestamp;

use crate::cli::GlobalArgs;
use crate::engine::docker::scheduled::PodEngine;
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
    Data(crate::job::objects::ObjectKind),
}

impl Kind {
    /// Parses kubectl's spellings (`job`, `jobs`, `job.batch`, `jobs.batch`, `po`, `pods`, `ev`, …).
    pub fn parse(word: &str) -> Option<Self> {
        match word.to_ascii_lowercase().as_str() {
            "job" | "jobs" | "job.batch" | "jobs.batch" => Some(Kind::Job),
            "pod" | "pods" | "po" => Some(Kind::Pod),
            "event" | "events" | "ev" => Some(Kind::Event),
            other => crate::job::objects::ObjectKind::from_resource(other).map(Kind::Data),
        }
    }

    /// `jobs.batch`, `pods`, `events` (as in NotFound messages).
    pub fn plural(self) -> &'static str {
        match self {
            Kind::Job => "jobs.batch",
            Kind::Pod => "pods",
            Kind::Event => "events",
            Kind::Data(kind) => kind.plural(),
        }
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

/// kubectl's message for an unknown resource type.
pub fn unknown_type(resource: &str) -> String {
    let kind = resource.split_once('/').map_or(resource, |(k, _)| k);
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
        let resource = match kind {
            Kind::Job => "batch/v1, Resource=jobs",
            Kind::Pod => "/v1, Resource=pods",
            Kind::Event => "/v1, Resource=events",
            Kind::Data(crate::job::objects::ObjectKind::ConfigMap) => "/v1, Resource=configmaps",
            Kind::Data(crate::job::objects::ObjectKind::Secret) => "/v1, Resource=secrets",
        };
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
}
