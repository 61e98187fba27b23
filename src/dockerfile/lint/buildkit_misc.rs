//! BuildKit checks on details of single instructions and on the whole file:
//! `ExposeProtoCasing`, `ExposeInvalidFormat`, `CopyIgnoredFile`,
//! `ConsistentInstructionCasing`, `NoEmptyContinuation`.
//!
//! From moby/buildkit `frontend/dockerfile/dockerfile2llb/convert_expose.go` (`parsePort`),
//! `convert.go` (`dispatchCopy`, `validateCommandCasing`) and `parser/parser.go` (the empty
//! continuation warning, reported on the instruction's last line).

use super::{LintOptions, Sink};
use crate::context::gopath;
use crate::dockerfile::expand::unquote;
use crate::dockerfile::model::{Args, Dockerfile, Instruction, Keyword, Span};

/// Per-instruction checks.
pub(super) fn instruction(
    df: &Dockerfile,
    inst: &Instruction,
    opts: &LintOptions<'_>,
    sink: &mut Sink<'_>,
) {
    let escape = df.directives.escape;
    match (&inst.keyword, &inst.args) {
        (Keyword::Expose, Args::Words { words, .. }) => {
            for word in words {
                let raw = unquote(&word.value, escape);
                if raw.contains('$') {
                    continue; // depends on variables we cannot know offline
                }
                expose(inst, &word.span, &raw, sink);
            }
        }
        (Keyword::Copy | Keyword::Add, Args::Copy { sources, .. }) => {
            // The caller passes a predicate only when a .dockerignore exists; like BuildKit,
            // it should answer false throughout when that file has `!` exclusions.
            let Some(is_ignored) = opts.is_ignored else {
                return;
            };
            if inst.flag("from").is_some() {
                return;
            }
            // validateCopySourcePath (moby/buildkit dockerfile2llb/validations.go).
            let cmd = if inst.keyword == Keyword::Add {
                "Add"
            } else {
                "Copy"
            };
            for source in sources {
                let path = unquote(&source.value, escape);
                if path.contains("://") || path.starts_with("git@") {
                    continue;
                }
                let clean = gopath::clean(&path);
                let relative = clean.trim_start_matches('/');
                // "." and "/" are the context root, not paths that can be excluded.
                if relative.is_empty() || relative == "." || !is_ignored(relative) {
                    continue;
                }
                sink.report(
                    "CopyIgnoredFile",
                    sink.pick(&inst.span, &source.span),
                    format!("Attempting to {cmd} file {clean:?} that is excluded by .dockerignore"),
                    Some(format!(
                        "remove {clean:?} from .dockerignore, or do not {cmd} it"
                    )),
                );
            }
        }
        _ => {}
    }
}

/// `parsePort`: `[ip:][hostPort:]containerPort[/proto]`.
fn expose(inst: &Instruction, word: &Span, raw: &str, sink: &mut Sink<'_>) {
    let at = sink.pick(&inst.span, word);
    let parts: Vec<&str> = raw.split(':').collect();
    let container = parts[parts.len() - 1];
    let (ip, host) = match parts.len() {
        1 => ("", ""),
        2 => ("", parts[0]),
        n => (parts[0], parts[n - 2]),
    };
    let proto = container.split_once('/').map_or("", |(_, p)| p);
    if proto != proto.to_lowercase() {
        sink.report(
            "ExposeProtoCasing",
            at.clone(),
            format!("Defined protocol '{raw}' in EXPOSE instruction should be lowercase"),
            Some(format!("{} {}", inst.keyword_text, raw.to_lowercase())),
        );
    }
    if !ip.is_empty() || !host.is_empty() {
        let port = container.to_lowercase();
        sink.report(
            "ExposeInvalidFormat",
            at,
            format!("EXPOSE instruction should not define an IP address or host-port mapping, found '{raw}'"),
            Some(format!("{} {port} (publish host ports at run time instead)", inst.keyword_text)),
        );
    }
}

/// Whole-file checks.
pub(super) fn file(df: &Dockerfile, sink: &mut Sink<'_>) {
    for span in &df.empty_continuation_lines {
        sink.report(
            "NoEmptyContinuation",
            span.start..span.start,
            "Empty continuation line".to_owned(),
            Some("remove the empty line inside the continued instruction".to_owned()),
        );
    }
    // validateCommandCasing counts each stage's FROM and its commands (not global ARGs).
    let first_from = df
        .instructions
        .iter()
        .position(|i| i.keyword == Keyword::From);
    let Some(first_from) = first_from else { return };
    let counted = &df.instructions[first_from..];
    let is_consistent = |s: &str| s == s.to_lowercase() || s == s.to_uppercase();
    let (mut lower, mut upper) = (0, 0);
    for inst in counted.iter().filter(|i| is_consistent(&i.keyword_text)) {
        if inst.keyword_text == inst.keyword_text.to_lowercase() {
            lower += 1;
        } else {
            upper += 1;
        }
    }
    let majority_lower = lower > upper;
    for inst in counted {
        let name = &inst.keyword_text;
        let casing = if majority_lower && *name != name.to_lowercase() {
            "lowercase"
        } else if !majority_lower && *name != name.to_uppercase() {
            "uppercase"
        } else {
            continue;
        };
        let fixed = if majority_lower {
            name.to_lowercase()
        } else {
            name.to_uppercase()
        };
        sink.report(
            "ConsistentInstructionCasing",
            inst.keyword_span.clone(),
            format!("Command '{name}' should match the case of the command majority ({casing})"),
            Some(fixed),
        );
    }
}
