//! `describe job|pod [NAME…]`: kubectl's layout from the store, events included.

use k8s_openapi::jiff::tz::TimeZone;

use super::get::print_text;
use super::state::{
    namespace, no_resources, not_found, now, open_store, parse_target, unknown_type, Kind,
};
use crate::cli::{DescribeArgs, GlobalArgs};
use crate::error::ExitStatus;
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
    super::controller::revive_orphans(&store, global);
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
    let mut out = Vec::new();
    match kind {
        Kind::Job => {
            let jobs = store.list_jobs(Some(ns))?;
            let selected: Vec<String> = if names.is_empty() {
                jobs.iter()
                    .filter_map(|j| j.job.metadata.name.clone())
                    .collect()
            } else {
                names.to_vec()
            };
            for name in selected {
                let job = jobs
                    .iter()
                    .find(|j| j.job.metadata.name.as_ref() == Some(&name));
                let text = match job {
                    Some(job) => {
                        let events: Vec<_> = store
                            .list_events(Some(ns), Some(("Job", &name)))?
                            .iter()
                            .map(|e| e.to_event())
                            .collect();
                        Some(describe_job(&job.job, &events, clock))
                    }
                    None => None,
                };
                out.push((name, text));
            }
        }
        _ => {
            let pods = store.list_pods(Some(ns), None)?;
            let selected: Vec<String> = if names.is_empty() {
                pods.iter()
                    .filter_map(|p| p.pod.metadata.name.clone())
                    .collect()
            } else {
                names.to_vec()
            };
            for name in selected {
                let pod = pods
                    .iter()
                    .find(|p| p.pod.metadata.name.as_ref() == Some(&name));
                let text = match pod {
                    Some(pod) => {
                        let events: Vec<_> = store
                            .list_events(Some(ns), Some(("Pod", &name)))?
                            .iter()
                            .map(|e| e.to_event())
                            .collect();
                        Some(describe_pod(&pod.pod, &events, clock))
                    }
                    None => None,
                };
                out.push((name, text));
            }
        }
    }
    Ok(out)
}
