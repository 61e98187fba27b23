//! `get`: kubectl's tables of jobs, pods, events, configmaps and secrets (or `-o yaml|json|name|wide|jsonpath…|custom-columns…`) from the
//! store, for one kind or several (`jobs,pods`, `all`, `job/a pod/b`), with `-l`, `-A`,
//! `--sort-by`, `--no-headers` and `-w` (see `get_watch`). As kubectl's `get/get.go`: tables
//! come one per kind, separated by a blank line, names as `KIND/NAME` when more than one kind
//! is listed; every other format prints all objects at once, several in one `v1 List`.

use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{ConfigMap, Event, Pod, Secret};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::jiff::Timestamp;
use k8s_openapi::Metadata;

use super::resources::{parse_request, Request};
use super::state::{
    check_selector, namespace, no_resources, not_found, now, open_store, selector_matches, Kind,
};
use crate::cli::{GetArgs, GlobalArgs};
use crate::error::ExitStatus;
use crate::job::objects::{DataObject, ObjectKind};
use crate::render::data_objects::{config_maps_table, secrets_table};
use crate::render::sort::{sort_order, SortPath};
use crate::render::{
    events_table, jobs_table, parse_output_format, pods_table, render_list, OutputFormat,
    Printable, TableOptions,
};
use crate::store::Store;

/// The objects of one kind, as fetched.
#[derive(Clone)]
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

/// Runs `$body` with `$v` bound to the `Vec` of whichever kind `$objects` holds.
macro_rules! each {
    ($objects:expr, $v:ident => $body:expr) => {
        match $objects {
            Objects::Jobs($v) => $body,
            Objects::Pods($v) => $body,
            Objects::Events($v) => $body,
            Objects::ConfigMaps($v) => $body,
            Objects::Secrets($v) => $body,
        }
    };
}

/// As [`each`], wrapping the result back into the same kind.
macro_rules! map_each {
    ($objects:expr, $v:ident => $body:expr) => {
        match $objects {
            Objects::Jobs($v) => Objects::Jobs($body),
            Objects::Pods($v) => Objects::Pods($body),
            Objects::Events($v) => Objects::Events($body),
            Objects::ConfigMaps($v) => Objects::ConfigMaps($body),
            Objects::Secrets($v) => Objects::Secrets($body),
        }
    };
}

impl Objects {
    pub(crate) fn is_empty(&self) -> bool {
        each!(self, v => v.is_empty())
    }

    /// The objects as the list printers see them.
    pub(crate) fn printables(&self) -> Vec<Printable> {
        each!(self, v => v.iter().map(Printable::of).collect())
    }

    /// The objects at `order`'s indexes, in that order.
    pub(crate) fn pick(&self, order: &[usize]) -> Objects {
        map_each!(self, v => order.iter().map(|&i| v[i].clone()).collect())
    }

    /// Each object on its own.
    pub(crate) fn split(&self) -> Vec<Objects> {
        (0..each!(self, v => v.len()))
            .map(|i| self.pick(&[i]))
            .collect()
    }

    /// The kind's `get` table.
    pub(crate) fn table(&self, now: Timestamp, opts: TableOptions) -> String {
        match self {
            Objects::Jobs(v) => jobs_table(v, now, opts),
            Objects::Pods(v) => pods_table(v, now, opts),
            Objects::Events(v) => events_table(v, now, opts),
            Objects::ConfigMaps(v) => config_maps_table(v, now, opts),
            Objects::Secrets(v) => secrets_table(v, now, opts),
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

/// What a request found: one section per kind run (in the order asked) and the names that
/// were not found.
pub(crate) struct Found {
    /// Objects of one kind each; a `Lists` request has one per kind, empty or not.
    pub sections: Vec<Objects>,
    /// `(kind, name)` asked for and absent.
    pub missing: Vec<(Kind, String)>,
}

/// Fetches what `request` asks for.
pub(crate) fn fetch_request(
    store: &Store,
    request: &Request,
    ns: Option<&str>,
    selector: Option<&str>,
) -> anyhow::Result<Found> {
    let mut found = Found {
        sections: Vec::new(),
        missing: Vec::new(),
    };
    match request {
        Request::Lists { kinds, names } => {
            for kind in kinds {
                let (objects, missing) = fetch(store, *kind, ns, names, selector)?;
                found.sections.push(objects);
                found
                    .missing
                    .extend(missing.into_iter().map(|name| (*kind, name)));
            }
        }
        Request::Pairs(pairs) => {
            // Consecutive pairs of one kind share a table (kubectl keeps the printer while
            // the mapping stays the same).
            let mut i = 0;
            while i < pairs.len() {
                let kind = pairs[i].0;
                let run: Vec<String> = pairs[i..]
                    .iter()
                    .take_while(|(k, _)| *k == kind)
                    .map(|(_, n)| n.clone())
                    .collect();
                i += run.len();
                let (objects, missing) = fetch(store, kind, ns, &run, selector)?;
                if !objects.is_empty() {
                    found.sections.push(objects);
                }
                found
                    .missing
                    .extend(missing.into_iter().map(|name| (kind, name)));
            }
        }
    }
    Ok(found)
}

/// Prints `error: MESSAGE` as kubectl's `CheckErr` does; kubectl exits 1 for these.
pub(crate) fn fail(message: &str) -> ExitStatus {
    let message = if message.starts_with("error: ") {
        message.to_string()
    } else {
        format!("error: {message}")
    };
    if message.ends_with('\n') {
        eprint!("{message}");
    } else {
        eprintln!("{message}");
    }
    ExitStatus::Failure
}

/// `dockjob get`.
pub async fn get(global: &GlobalArgs, args: &GetArgs) -> anyhow::Result<ExitStatus> {
    let request = match parse_request(&args.resource, &args.names) {
        Ok(request) => request,
        Err(message) => return Ok(fail(&message)),
    };
    let kinds = request.kinds();
    if args.watch && kinds.len() > 1 {
        // cli-runtime `ErrMultipleResourceTypes` (`watch` asks for `SingleResourceType`).
        return Ok(fail("you may only specify a single resource type"));
    }
    let read_file = |path: &str| std::fs::read_to_string(path);
    let format = match parse_output_format(args.output.as_deref(), &read_file) {
        Ok(format) => format,
        Err(message) => return Ok(fail(&message)),
    };
    check_selector(kinds[0], args.selector.as_deref())?;
    let store = open_store(global)?;
    super::controller::revive_orphans(&store, global)?;
    let ns = namespace(global);
    let ns = (!args.all_namespaces).then_some(ns.as_str());
    let found = fetch_request(&store, &request, ns, args.selector.as_deref())?;
    if args.watch {
        if args.sort_path().is_some() {
            eprintln!(
                "warning: --watch requested, --sort-by will be ignored for watch events received"
            );
        }
        return super::get_watch::watch(&store, &request, ns, args, &format, found).await;
    }
    let printed = match &format {
        OutputFormat::Table { wide } => tables_text(&found, &request, args, *wide),
        _ => list_text(&found, &request, args, &format),
    };
    let mut status = ExitStatus::Success;
    match printed {
        Ok(text) => {
            print_text(&text)?;
            let table = matches!(format, OutputFormat::Table { .. });
            if table && text.is_empty() && found.missing.is_empty() {
                eprintln!("{}", no_resources(ns));
            }
        }
        Err(message) => status = fail(&message),
    }
    for (kind, name) in &found.missing {
        eprintln!("{}", not_found(*kind, name));
        status = ExitStatus::Failure;
    }
    Ok(status)
}

/// The table options of `get`'s flags.
pub(crate) fn table_options(args: &GetArgs, wide: bool, with_kind: bool) -> TableOptions {
    TableOptions {
        wide,
        all_namespaces: args.all_namespaces,
        no_headers: args.no_headers,
        with_kind,
    }
}

/// The tables, one per section, blank-line separated (`Run`'s human-readable path).
fn tables_text(
    found: &Found,
    request: &Request,
    args: &GetArgs,
    wide: bool,
) -> Result<String, String> {
    // `multipleGVKsRequested` over what came back: every listed kind (an empty list is still
    // a result), only the found objects of named lookups.
    let kinds_returned = match request {
        Request::Lists { names, .. } if names.is_empty() => request.kinds().len(),
        _ => {
            let mut kinds: Vec<std::mem::Discriminant<Objects>> = Vec::new();
            for section in found.sections.iter().filter(|s| !s.is_empty()) {
                let d = std::mem::discriminant(section);
                if !kinds.contains(&d) {
                    kinds.push(d);
                }
            }
            kinds.len()
        }
    };
    let opts = table_options(args, wide, kinds_returned > 1);
    let now = now();
    let mut tables = Vec::new();
    for section in found.sections.iter().filter(|s| !s.is_empty()) {
        match args.sort_path() {
            Some(sort_by) => {
                tables.push(sorted(section, sort_by, SortPath::Table)?.table(now, opts))
            }
            None => tables.push(section.table(now, opts)),
        }
    }
    let separator = if args.no_headers { "" } else { "\n" };
    Ok(tables.join(separator))
}

/// `section` ordered by `--sort-by`.
pub(crate) fn sorted(section: &Objects, sort_by: &str, path: SortPath) -> Result<Objects, String> {
    let printables = section.printables();
    let values: Vec<&serde_json::Value> = printables.iter().map(|p| &p.value).collect();
    Ok(section.pick(&sort_order(&values, sort_by, path)?))
}

/// Every other format: all objects at once (`printGeneric`); nothing when the one object
/// asked for is missing.
fn list_text(
    found: &Found,
    request: &Request,
    args: &GetArgs,
    format: &OutputFormat,
) -> Result<String, String> {
    let single = request.single_item();
    if single && !found.missing.is_empty() {
        return Ok(String::new());
    }
    let mut objects: Vec<Printable> = found
        .sections
        .iter()
        .flat_map(Objects::printables)
        .collect();
    if let (Some(sort_by), false) = (args.sort_path(), single) {
        let values: Vec<&serde_json::Value> = objects.iter().map(|p| &p.value).collect();
        let order = sort_order(&values, sort_by, SortPath::List)?;
        objects = order.into_iter().map(|i| objects[i].clone()).collect();
    }
    render_list(&objects, format, single, args.no_headers)
}

/// Writes rendered text to stdout as is.
pub(crate) fn print_text(text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()?;
    Ok(())
}
