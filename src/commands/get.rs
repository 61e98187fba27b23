//! `get jobs|pods|events|configmaps|secrets`: kubectl's tables (or `-o yaml|json|name|wide`) from the store,
//! with `-l`, `-A` and `-w`.

use std::time::Duration;

use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{ConfigMap, Event, Pod, Secret};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::Metadata;

use super::state::{
    check_selector, namespace, no_resources, not_found, now, open_store, parse_target,
    selector_matches, unknown_type, Kind,
};
use crate::cli::{GetArgs, GlobalArgs};
use crate::error::{user_error, ExitStatus};
use crate::job::objects::{DataObject, ObjectKind};
use crate::render::data_objects::{config_maps_table, secrets_table};
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
    /// ConfigMaps.
    ConfigMaps(Vec<ConfigMap>),
    /// Secrets.
    Secrets(Vec<Secret>),
}

impl Objects {
    fn is_empty(&self) -> bool {
        match self {
            Objects::Jobs(v) => v.is_empty(),
            Objects::Pods(v) => v.is_empty(),
            Objects::Events(v) => v.is_empty(),
            Objects::ConfigMaps(v) => v.is_empty(),
            Objects::Secrets(v) => v.is_empty(),
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
    let (objects, found_names) = match kind {
        Kind::Job => {
            let jobs = store.list_jobs(ns)?.into_iter().map(|s| s.job);
            let (jobs, found) = select(jobs, names, selector);
            (Objects::Jobs(order(jobs, names)), found)
        }
        Kind::Pod => {
            let pods = store.list_pods(ns, None)?.into_iter().map(|s| s.pod);
            let (pods, found) = select(pods, names, selector);
            (Objects::Pods(order(pods, names)), found)
        }
        Kind::Event => {
            let events = store.list_events_by_name(ns)?;
            let (events, found) = select(events.iter().map(|e| e.to_event()), names, selector);
            (Objects::Events(events), found)
        }
        Kind::Data(kind) => {
            let objects = store.list_objects(kind, ns)?;
            let (mut config_maps, mut secrets) = (Vec::new(), Vec::new());
            for object in objects {
                match object {
                    DataObject::ConfigMap(c) => config_maps.push(c),
                    DataObject::Secret(s) => secrets.push(s),
                }
            }
            match kind {
                ObjectKind::ConfigMap => {
                    let (v, found) = select(config_maps.into_iter(), names, selector);
                    (Objects::ConfigMaps(order(v, names)), found)
                }
                ObjectKind::Secret => {
                    let (v, found) = select(secrets.into_iter(), names, selector);
                    (Objects::Secrets(order(v, names)), found)
                }
            }
        }
    };
    let missing = names
        .iter()
        .filter(|n| !found_names.contains(n))
        .cloned()
        .collect();
    Ok((objects, missing))
}

/// The objects that carry one of `names` (all when empty) and match `selector`, and the
/// names found.
fn select<T: Metadata<Ty = ObjectMeta>>(
    objects: impl Iterator<Item = T>,
    names: &[String],
    selector: Option<&str>,
) -> (Vec<T>, Vec<String>) {
    let selected: Vec<T> = objects
        .filter(|o| {
            let meta = o.metadata();
            let wanted = names.is_empty() || meta.name.as_ref().is_some_and(|n| names.contains(n));
            wanted && selector.is_none_or(|s| selector_matches(s, meta.labels.as_ref()))
        })
        .collect();
    let found = selected
        .iter()
        .filter_map(|o| o.metadata().name.clone())
        .collect();
    (selected, found)
}

/// Named lookups come back in the order asked (as kubectl prints them).
fn order<T: Metadata<Ty = ObjectMeta>>(items: Vec<T>, names: &[String]) -> Vec<T> {
    let name = |item: &T| item.metadata().name.clone();
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
        (Format::Table(o), Objects::ConfigMaps(v)) => config_maps_table(v, now, *o),
        (Format::Table(o), Objects::Secrets(v)) => secrets_table(v, now, *o),
        (Format::Objects(f), Objects::ConfigMaps(v)) => render_objects(v, *f, single),
        (Format::Objects(f), Objects::Secrets(v)) => render_objects(v, *f, single),
    }
}

/// `dockjob get`.
pub async fn get(global: &GlobalArgs, args: &GetArgs) -> anyhow::Result<ExitStatus> {
    let Some((kind, names)) = parse_target(&args.resource, &args.names) else {
        eprintln!("{}", unknown_type(&args.resource));
        return Ok(ExitStatus::Failure);
    };
    let format = parse_format(args.output.as_deref(), args)?;
    check_selector(kind, args.selector.as_deref())?;
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
        Objects::ConfigMaps(v) => each(v, |c| c.metadata.name.clone().unwrap_or_default()),
        Objects::Secrets(v) => each(v, |s| s.metadata.name.clone().unwrap_or_default()),
    }
}

fn split(objects: Objects) -> Vec<Objects> {
    match objects {
        Objects::Jobs(v) => v.into_iter().map(|o| Objects::Jobs(vec![o])).collect(),
        Objects::Pods(v) => v.into_iter().map(|o| Objects::Pods(vec![o])).collect(),
        Objects::Events(v) => v.into_iter().map(|o| Objects::Events(vec![o])).collect(),
        Objects::ConfigMaps(v) => v
            .into_iter()
            .map(|o| Objects::ConfigMaps(vec![o]))
            .collect(),
        Objects::Secrets(v) => v.into_iter().map(|o| Objects::Secrets(vec![o])).collect(),
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
