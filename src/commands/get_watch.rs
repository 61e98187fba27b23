//! `get -w`: as kubectl's `GetOptions.watch`, the objects of one kind are printed, then each
//! object again whenever it changes or is deleted, until Ctrl-C. The store is polled. Tables print their headers once (with the
//! first row); every other format prints one object at a time (`-o yaml` separates them
//! with `---`, custom columns print their headers once).

use std::time::Duration;

use super::get::{fail, fetch_request, print_text, sorted, table_options, Found, Objects};
use super::resources::Request;
use super::state::not_found;
use crate::cli::GetArgs;
use crate::error::ExitStatus;
use crate::render::sort::SortPath;
use crate::render::{render_list, ObjectFormat, OutputFormat};
use crate::store::Store;

/// How often `-w` polls the store.
const WATCH_INTERVAL: Duration = Duration::from_millis(500);

/// Prints objects as a watch does, remembering what it printed before.
struct WatchPrinter<'a> {
    format: &'a OutputFormat,
    args: &'a GetArgs,
    /// Objects printed so far.
    printed: usize,
}

impl WatchPrinter<'_> {
    /// The text for `objects` (all of one kind).
    fn text(&mut self, objects: &Objects) -> Result<String, String> {
        if objects.is_empty() {
            return Ok(String::new());
        }
        let first = self.printed == 0;
        let mut text = String::new();
        match self.format {
            OutputFormat::Table { wide } => {
                let mut opts = table_options(self.args, *wide, false);
                opts.no_headers |= !first;
                text = objects.table(super::state::now(), opts);
                self.printed += objects.printables().len();
            }
            format => {
                for one in objects.printables() {
                    let mut no_headers = self.args.no_headers;
                    if self.printed > 0 {
                        no_headers = true;
                        if *format == OutputFormat::Objects(ObjectFormat::Yaml) {
                            text.push_str("---\n");
                        }
                    }
                    text.push_str(&render_list(&[one], format, true, no_headers)?);
                    self.printed += 1;
                }
            }
        }
        Ok(text)
    }
}

/// `-w`: the listing (sorted by `--sort-by`), then every object that changed or went away
/// since the last poll, until interrupted (never returns otherwise). A name that is not
/// found ends the command with kubectl's NotFound error, as kubectl's watch does.
pub async fn watch(
    store: &Store,
    request: &Request,
    ns: Option<&str>,
    args: &GetArgs,
    format: &OutputFormat,
    found: Found,
) -> anyhow::Result<ExitStatus> {
    if !found.missing.is_empty() {
        for (kind, name) in &found.missing {
            eprintln!("{}", not_found(*kind, name));
        }
        return Ok(ExitStatus::Failure);
    }
    let mut printer = WatchPrinter {
        format,
        args,
        printed: 0,
    };
    let mut seen: Vec<Seen> = Vec::new();
    for section in &found.sections {
        let section = match args.sort_path() {
            Some(sort_by) => match sorted(section, sort_by, SortPath::Table) {
                Ok(section) => section,
                Err(message) => return Ok(fail(&message)),
            },
            None => section.clone(),
        };
        seen.extend(section.split().into_iter().map(Seen::of));
        match printer.text(&section) {
            Ok(text) => print_text(&text)?,
            Err(message) => return Ok(fail(&message)),
        }
    }
    // Ctrl-C (or SIGTERM) ends the process from `signals::exit_on_stop_signal`, with 130.
    loop {
        tokio::time::sleep(WATCH_INTERVAL).await;
        let now = fetch_request(store, request, ns, args.selector.as_deref())?;
        let mut current: Vec<Seen> = Vec::new();
        for section in &now.sections {
            current.extend(section.split().into_iter().map(Seen::of));
        }
        let mut changed: Vec<Objects> = Vec::new();
        // Gone since the last poll: printed once more, as kubectl prints a DELETED event's
        // object.
        for gone in seen
            .iter()
            .filter(|s| !current.iter().any(|c| c.key == s.key))
        {
            changed.push(gone.object.clone());
        }
        for now in &current {
            if !seen.iter().any(|s| s.key == now.key && s.json == now.json) {
                changed.push(now.object.clone());
            }
        }
        seen = current;
        for one in changed {
            match printer.text(&one) {
                Ok(text) => print_text(&text)?,
                Err(message) => return Ok(fail(&message)),
            }
        }
    }
}

/// One object as last printed: it is printed again when its JSON changes or it is gone.
struct Seen {
    /// Namespace and name.
    key: (String, String),
    json: String,
    object: Objects,
}

impl Seen {
    fn of(object: Objects) -> Seen {
        let value = object
            .printables()
            .pop()
            .map_or(serde_json::Value::Null, |p| p.value);
        let text = |field: &str| value["metadata"][field].as_str().unwrap_or("").to_string();
        Seen {
            key: (text("namespace"), text("name")),
            json: value.to_string(),
            object,
        }
    }
}
