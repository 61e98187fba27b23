//! `describe job|pod|configmap|secret [NAME…]`: kubectl's layout from the store, events
//! included (a Secret's keys by size only).

use k8s_openapi::jiff::tz::TimeZone;

use super::get::print_text;
use super::state::{
    namespace, no_resources, not_found, now, open_store, parse_target, unknown_type, Kind,
};
use crate::cli::{DescribeArgs, GlobalArgs};
use crate::error::ExitStatus;
use crate::job::objects::DataObject;
use crate::render::data_objects::{describe_config_map, describe_secret};
use crate::render::{describe_job, describe_pod, DescribeClock};
use crate::store::Store;

/// `dockjob describe`.
pub async fn describe(global: &GlobalArgs, args: &DescribeArgs) -> anyhow::Result<ExitStatus> {
    let Some((kind, names)) = parse_target(&args.resource, &args.names) else {
        eprintln!("{}", unknown_type(&args.resource));
        return Ok(ExitStatus::Failure);
    };
    if kind == Kind::Event {
        eprintln!("error: describe shows jobs and pods");
        return Ok(ExitStatus::Failure);
    }
    let store = open_store(global)?;
    super::controller::revive_orphans(&store, global)?;
    let ns = namespace(global);
    let clock = DescribeClock {
        now: now(),
        tz: TimeZone::system(),
    };
    let texts = describe_texts(&store, kind, &ns, &names, &clock)?;
    let mut status = ExitStatus::Success;
    let mut printed = Vec::new();
    for (name, text) in texts {
        match text {
            Some(text) => printed.push(text),
            None => {
                eprintln!("{}", not_found(kind, &name));
                status = ExitStatus::Failure;
            }
        }
    }
    if printed.is_empty() && names.is_empty() {
        eprintln!("{}", no_resources(Some(&ns)));
    }
    // kubectl separates several descriptions with a blank line.
    print_text(&printed.join("\n\n"))?;
    Ok(status)
}

/// The description of each named object (all of the namespace when `names` is empty);
/// `None` for a missing name.
pub fn describe_texts(
    store: &Store,
    kind: Kind,
    ns: &str,
    names: &[String],
    clock: &DescribeClock,
) -> anyhow::Result<Vec<(String, Option<String>)>> {
    let events_of = |kind: &str, name: &str| -> anyhow::Result<Vec<_>> {
        Ok(store
            .list_events(Some(ns), Some((kind, name)))?
            .iter()
            .map(|e| e.to_event())
            .collect())
    };
    match kind {
        Kind::Job => {
            let jobs = store.list_jobs(Some(ns))?;
            let named = jobs
                .iter()
                .map(|j| (j.job.metadata.name.as_deref(), &j.job));
            describe_named(named, names, |name, job| {
                Ok(describe_job(job, &events_of("Job", name)?, clock))
            })
        }
        Kind::Data(kind) => {
            let objects = store.list_objects(kind, Some(ns))?;
            let named = objects.iter().map(|o| (Some(o.name()), o));
            describe_named(named, names, |_, object| {
                Ok(match object {
                    DataObject::ConfigMap(cm) => describe_config_map(cm),
                    DataObject::Secret(secret) => describe_secret(secret),
                })
            })
        }
        _ => {
            let pods = store.list_pods(Some(ns), None)?;
            let named = pods
                .iter()
                .map(|p| (p.pod.metadata.name.as_deref(), &p.pod));
            describe_named(named, names, |name, pod| {
                Ok(describe_pod(pod, &events_of("Pod", name)?, clock))
            })
        }
    }
}

/// Describes each of `names` found among `objects` (all of them when `names` is empty);
/// `None` for a name that is not there.
fn describe_named<'a, T: 'a>(
    objects: impl Iterator<Item = (Option<&'a str>, &'a T)>,
    names: &[String],
    describe: impl Fn(&str, &T) -> anyhow::Result<String>,
) -> anyhow::Result<Vec<(String, Option<String>)>> {
    let objects: Vec<(&str, &T)> = objects
        .filter_map(|(name, object)| Some((name?, object)))
        .collect();
    let selected: Vec<String> = if names.is_empty() {
        objects.iter().map(|(name, _)| name.to_string()).collect()
    } else {
        names.to_vec()
    };
    selected
        .into_iter()
        .map(|name| {
            let text = match objects.iter().find(|(n, _)| *n == name) {
                Some((_, object)) => Some(describe(&name, object)?),
                None => None,
            };
            Ok((name, text))
        })
        .collect()
}
