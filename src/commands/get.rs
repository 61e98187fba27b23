//! `get jobs|pods|events`: kubectl's tables (or `-o yaml|json|name|wide`) from the store,
//! with `-l`, `-A` and `-w`.

use std::time::Duration;

use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{Event, Pod};

use super::state::{
    namespace, no_resources, not_found, now, open_store, parse_target, selector_matches,
    unknown_type, Kind,
};
use crate::cli::{GetArgs, GlobalArgs};
use crate::error::{user_error, ExitStatus};
use crate::render::{
    events_table, jobs_table, pods_table, render_objects, ObjectFormat, TableOptions,
};
use crate::store::Store;

/// How often `-w` polls the store.
const WATCH_INTERVAL: Duration = Duration::from_millis(500);

/// The objects of one kind, as fetched.
pub(crate) enum Objects {
    /// Jobs.
    Jobs(Vec<Job>),
    /// Pods.
    Pods(Vec<Pod>),
    /// Events.
    Events(Vec<Event>),
}

impl Objects {
    fn is_empty(&self) -> bool {
        match self {
            Objects::Jobs(v) => v.is_empty(),
            Objects::Pods(v) => v.is_empty(),
            Objects::Events(v) => v.is_empty(),
        }
    }
}

/// Reads `kind` objects of `ns` (`None`: all namespaces) that carry `names` (all when empty)
/// and match `selector`; missing names are returned separately.
pub(crate) fn fetch(
    store: &Store,
    kind: Kind,
    ns: Option<&str>,
    names: &[String],
    selector: Option<&str>,
) -> anyhow::Result<(Objects, Vec<String>)> {
    let wanted =
        |name: Option<&String>| names.is_empty() || name.is_some_and(|n| names.contains(n));
    let labelled = |labels: Option<&std::collections::BTreeMap<String, String>>| {
        selector.is_none_or(|s| selector_matches(s, labels))
    };
    let found_names: Vec<String>;
    let objects = match kind {
        Kind::Job => {
            let jobs: Vec<Job> = store
                .list_jobs(ns)?
                .into_iter()
                .map(|s| s.job)
                .filter(|j| {
                    wanted(j.metadata.name.as_ref()) && labelled(j.metadata.labels.as_ref())
                })
                .collect();
            found_names = jobs
                .iter()
                .filter_map(|j| j.metadata.name.clone())
                .collect();
            Objects::Jobs(order(jobs, names, |j| j.metadata.name.clone()))
        }
        Kind::Pod => {
            let pods: Vec<Pod> = store
                .list_pods(ns, None)?
                .into_iter()
                .map(|s| s.pod)
                .filter(|p| {
                    wanted(p.metadata.name.as_ref()) && labelled(p.metadata.labels.as_ref())
                })
                .collect();
            found_names = pods
                .iter()
                .filter_map(|p| p.metadata.name.clone())
                .collect();
            Objects::Pods(order(pods, names, |p| p.metadata.name.clone()))
        }
        Kind::Event => {
            let events: Vec<Event> = store
                .list_events_by_name(ns)?
                .into_iter()
                .map(|e| e.to_event())
                .filter(|e| {
                    wanted(e.metadata.name.as_ref()) && labelled(e.metadata.labels.as_ref())
                })
                .collect();
            found_names = events
                .iter()
                .filter_map(|e| e.metadata.name.clone())
                .collect();
            Objects::Events(events)
        }
    };
    let missing = names
        .iter()
        .filter(|n| !found_names.contains(n))
        .cloned()
        .collect();
    Ok((objects, missing))
}

/// Named lookups come back in the order asked (as kubectl prints them).
fn order<T>(items: Vec<T>, names: &[String], name: impl Fn(&T) -> Option<String>) -> Vec<T> {
    if names.is_empty() {
        return items;
    }
    let mut items: Vec<Option<T>> = items.into_iter().map(Some).collect();
    let mut out = Vec::new();
    for wanted in names {
        if let Some(slot) = items
            .iter_mut()
            .find(|i| i.as_ref().and_then(&name).as_ref() == Some(wanted))
        {
            out.extend(slot.take());
        }
    }
    out
}

enum Format {
    Table(TableOptions),
    Objects(ObjectFormat),
}

fn parse_format(output: Option<&str>, args: &GetArgs) -> anyhow::Result<Format> {
    let table = |wide| {
        Format::Table(TableOptions {
            wide,
            all_namespaces: args.all_namespaces,
            no_headers: args.no_headers,
        })
    };
    Ok(match output {
        None => table(false),
        Some("wide") => table(true),
        Some("yaml") => Format::Objects(ObjectFormat::Yaml),
        Some("json") => Format::Objects(ObjectFormat::Json),
        Some("name") => Format::Objects(ObjectFormat::Name),
        Some(other) => {
            return Err(user_error(format!(
                "unable to match a printer suitable for the output format \"{other}\", allowed formats are: json,name,wide,yaml"
            )))
        }
    })
}

fn render(objects: &Objects, format: &Format, single: bool) -> String {
    let now = now();
    match (format, objects) {
        (Format::Table(o), Objects::Jobs(v)) => jobs_table(v, now, *o),
        (Format::Table(o), Objects::Pods(v)) => pods_table(v, now, *o),
        (Format::Table(o), Objects::Events(v)) => events_table(v, now, *o),
        (Format::Objects(f), Objects::Jobs(v)) => render_objects(v, *f, single),
        (Format::Objects(f), Objects::Pods(v)) => render_objects(v, *f, single),
        (Format::Objects(f), Objects::Events(v)) => render_objects(v, *f, single),
    }
}

/// `dockjob get`.
pub async fn get(global: &GlobalArgs, args: &GetArgs) -> anyhow::Result<ExitStatus> {
    let Some((kind, names)) = parse_target(&args.resource, &args.names) else {
        eprintln!("{}", unknown_type(&args.resource));
        return Ok(ExitStatus::Failure);
    };
    let format = parse_format(args.output.as_deref(), args)?;
    let store = open_store(global)?;
    super::controller::revive_orphans(&store, global);
    let ns = namespace(global);
    let ns = (!args.all_namespaces).then_some(ns.as_str());
    let (objects, missing) = fetch(&store, kind, ns, &names, args.selector.as_deref())?;
    let single = names.len() == 1;
    let mut status = ExitStatus::Success;
    if !objects.is_empty() {
        print_text(&render(&objects, &format, single))?;
    }
    for name in &missing {
        eprintln!("{}", not_found(kind, name));
        status = ExitStatus::Failure;
    }
    if objects.is_empty() && missing.is_empty() && !args.watch {
        eprintln!("{}", no_resources(ns));
    }
    if args.watch {
        watch(&store, kind, ns, &names, args, &format, &objects).await?;
    }
    Ok(status)
}

/// `-w`: after the first listing, prints an object's row again whenever it changes, until
/// interrupted (headers once, as kubectl).
async fn watch(
    store: &Store,
    kind: Kind,
    ns: Option<&str>,
    names: &[String],
    args: &GetArgs,
    format: &Format,
    first: &Objects,
) -> anyhow::Result<()> {
    let Format::Table(options) = format else {
        return Err(user_error(
            "-w works with the table output (-o wide or none)",
        ));
    };
    let quiet = Format::Table(TableOptions {
        no_headers: true,
        ..*options
    });
    let mut seen = fingerprints(first);
    // With nothing listed yet, the headers come with the first row.
    let mut headers_due = seen.is_empty() && !options.no_headers;
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => return Ok(()),
            () = tokio::time::sleep(WATCH_INTERVAL) => {}
        }
        let (objects, _) = fetch(store, kind, ns, names, args.selector.as_deref())?;
        for (print, one) in fingerprints(&objects).into_iter().zip(split(objects)) {
            if seen.contains(&print) {
                continue;
            }
            seen.retain(|s| s.0 != print.0);
            seen.push(print);
            let row_format = if headers_due { format } else { &quiet };
            headers_due = false;
            print_text(&render(&one, row_format, false))?;
        }
    }
}

/// (name, JSON) of each object: a row is printed again when its object changed.
fn fingerprints(objects: &Objects) -> Vec<(String, String)> {
    fn each<T: serde::Serialize>(v: &[T], name: impl Fn(&T) -> String) -> Vec<(String, String)> {
        v.iter()
            .map(|o| (name(o), serde_json::to_string(o).unwrap_or_default()))
            .collect()
    }
    match objects {
        Objects::Jobs(v) => each(v, |j| j.metadata.name.clone().unwrap_or_default()),
        Objects::Pods(v) => each(v, |p| p.metadata.name.clone().unwrap_or_default()),
        Objects::Events(v) => each(v, |e| e.metadata.name.clone().unwrap_or_default()),
    }
}

fn split(objects: Objects) -> Vec<Objects> {
    match objects {
        Objects::Jobs(v) => v.into_iter().map(|o| Objects::Jobs(vec![o])).collect(),
        Objects::Pods(v) => v.into_iter().map(|o| Objects::Pods(vec![o])).collect(),
        Objects::Events(v) => v.into_iter().map(|o| Objects::Events(vec![o])).collect(),
    }
}

/// Writes rendered text to stdout as is.
pub(crate) fn print_text(text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()?;
    Ok(())
}
