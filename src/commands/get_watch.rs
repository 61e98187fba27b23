//! `get -w`: as kubectl's `GetOptions.watch`, the objects of one kind are printed, then each
//! object again whenever it changes, until Ctrl-C. Tables print their headers once (with the
//! first row); every other format prints one object at a time (`-o yaml` separates them
//! with `---`, custom columns print their headers once).

use std::time::Duration;

use super::get::{fail, fetch_request, print_text, sorted, table_options, Found, Objects};
use super::resources::Request;
use super::state::not_found;
use crate::cli::GetArgs;
use crate::error::ExitStatus;
use crate::render::sort::SortPath;
use crate::render::{render_list, ObjectFormat, OutputFormat, Printable};
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

/// `-w`: the listing (sorted by `--sort-by`), then changes until interrupted (never
/// returns otherwise). A name that
/// is not found ends the command with kubectl's NotFound error, as kubectl's watch does.
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
    let mut seen = Vec::new();
    for section in &found.sections {
        let section = match &args.sort_by {
            Some(sort_by) => match sorted(section, sort_by, SortPath::Table) {
                Ok(section) => section,
                Err(message) => return Ok(fail(&message)),
            },
            None => section.clone(),
        };
        seen.extend(fingerprints(&section));
        match printer.text(&section) {
            Ok(text) => print_text(&text)?,
            Err(message) => return Ok(fail(&message)),
        }
    }
    // Ctrl-C (or SIGTERM) ends the process from `signals::exit_on_stop_signal`, with 130.
    loop {
        tokio::time::sleep(WATCH_INTERVAL).await;
        let now = fetch_request(store, request, ns, args.selector.as_deref())?;
        for section in &now.sections {
            for one in section.split() {
                let print = fingerprints(&one).remove(0);
                if seen.contains(&print) {
                    continue;
                }
                seen.retain(|s| s.0 != print.0);
                seen.push(print);
                match printer.text(&one) {
                    Ok(text) => print_text(&text)?,
                    Err(message) => return Ok(fail(&message)),
                }
            }
        }
    }
}

/// (name, JSON) of each object: an object is printed again when its JSON changed.
fn fingerprints(objects: &Objects) -> Vec<(String, String)> {
    objects
        .printables()
        .into_iter()
        .map(|Printable { value, .. }| {
            let name = value["metadata"]["name"].as_str().unwrap_or("").to_string();
            (name, value.to_string())
        })
        .collect()
}
