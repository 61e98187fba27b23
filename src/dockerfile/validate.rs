//! Checks Docker makes after parsing that `parse-dockerfile` does not: known flags and their
//! values (moby/buildkit `frontend/dockerfile/instructions/bflag.go` and `parse.go`),
//! `ONBUILD` limits, `HEALTHCHECK` durations ([`super::healthcheck`]), `RUN --mount` values
//! ([`super::run_mount`]), and where empty
//! continuation lines are (`parser/parser.go`).

use super::error::ParseError;
use super::model::{Args, CommandForm, Instruction, Keyword, Span};
use super::position::LineIndex;
use super::words::strip_continuation;

#[derive(Clone, Copy, PartialEq)]
enum FlagKind {
    Bool,
    Text,
}

/// Flags each instruction declares in BuildKit's `instructions/parse.go`.
fn known_flags(keyword: Keyword) -> &'static [(&'static str, FlagKind)] {
    use FlagKind::{Bool, Text};
    match keyword {
        Keyword::From => &[("platform", Text)],
        Keyword::Run => &[
            ("mount", Text),
            ("network", Text),
            ("security", Text),
            ("device", Text),
        ],
        Keyword::Copy => &[
            ("from", Text),
            ("chown", Text),
            ("chmod", Text),
            ("link", Bool),
            ("parents", Bool),
            ("exclude", Text),
        ],
        Keyword::Add => &[
            ("chown", Text),
            ("chmod", Text),
            ("link", Bool),
            ("keep-git-dir", Bool),
            ("checksum", Text),
            ("exclude", Text),
            ("unpack", Bool),
        ],
        Keyword::Healthcheck => &[
            ("interval", Text),
            ("timeout", Text),
            ("start-period", Text),
            ("start-interval", Text),
            ("retries", Text),
        ],
        _ => &[],
    }
}

/// Rejects what BuildKit rejects when it turns the parse tree into instructions.
pub fn instruction(inst: &Instruction, lines: &LineIndex) -> Result<(), ParseError> {
    check(inst, lines, false)
}

/// [`instruction`]; `trigger` for an `ONBUILD` trigger, whose flag values BuildKit reads only
/// when an image is built `FROM` this one (`parseOnBuild` keeps the text).
fn check(inst: &Instruction, lines: &LineIndex, trigger: bool) -> Result<(), ParseError> {
    let known = known_flags(inst.keyword);
    for flag in &inst.flags {
        let Some(&(_, kind)) = known.iter().find(|(name, _)| *name == flag.name) else {
            return Err(ParseError::at(
                lines,
                flag.span.start,
                format!("unknown flag: {}", flag.name),
            ));
        };
        match (kind, flag.value.as_deref()) {
            (FlagKind::Text, None) => {
                return Err(ParseError::at(
                    lines,
                    flag.span.start,
                    format!("missing a value on flag: {}", flag.name),
                ))
            }
            (FlagKind::Bool, Some(v))
                if !v.eq_ignore_ascii_case("true") && !v.eq_ignore_ascii_case("false") =>
            {
                return Err(ParseError::at(
                    lines,
                    flag.span.start,
                    format!("expecting boolean value for flag {}, not: {v}", flag.name),
                ))
            }
            _ => {}
        }
    }
    if inst.keyword == Keyword::Run && !trigger {
        for flag in inst.flags.iter().filter(|f| f.name == "mount") {
            if let Some(message) = flag.value.as_deref().and_then(super::run_mount::error) {
                return Err(ParseError::at(lines, flag.span.start, message));
            }
        }
    }
    if inst.keyword == Keyword::Healthcheck && matches!(inst.args, Args::Command(_)) && !trigger {
        healthcheck_flags(inst, lines)?;
    }
    if let Args::Command(CommandForm::Shell { text, span }) = &inst.args {
        // parseMaybeJSON: valid JSON that is not an array of strings is an error, not shell
        // form (moby/buildkit parser/line_parsers.go, errDockerfileNotStringArray).
        if let Ok(serde_json::Value::Array(items)) =
            serde_json::from_str::<serde_json::Value>(text.trim())
        {
            if items.iter().any(|v| !v.is_string()) {
                return Err(ParseError::at(
                    lines,
                    span.start,
                    "when using JSON array syntax, arrays must be comprised of strings only",
                ));
            }
        }
        if inst.keyword == Keyword::Healthcheck && text.trim().is_empty() {
            return Err(ParseError::at(
                lines,
                inst.span.start,
                "Missing command after HEALTHCHECK CMD",
            ));
        }
    }
    if let Args::From {
        alias: Some((_, name)),
        ..
    } = &inst.args
    {
        if !valid_stage_name(&name.value) {
            return Err(ParseError::at(
                lines,
                name.span.start,
                format!(
                    "invalid name for build stage: {:?}, name can't start with a number or contain symbols",
                    name.value
                ),
            ));
        }
    }
    if let Args::Onbuild(inner) = &inst.args {
        if matches!(inner.keyword, Keyword::From | Keyword::Maintainer) {
            return Err(ParseError::at(
                lines,
                inner.keyword_span.start,
                format!(
                    "{} isn't allowed as an ONBUILD trigger",
                    inner.keyword.as_str()
                ),
            ));
        }
        check(inner, lines, true)?;
    }
    if let Args::Words { words, json: true } = &inst.args {
        if inst.keyword == Keyword::Shell && words.is_empty() {
            return Err(ParseError::at(
                lines,
                inst.span.start,
                "SHELL requires at least one argument",
            ));
        }
    }
    Ok(())
}

/// `HEALTHCHECK CMD`'s flag values, checked in BuildKit's order (the durations, then
/// `--retries`); each error points at its flag.
fn healthcheck_flags(inst: &Instruction, lines: &LineIndex) -> Result<(), ParseError> {
    let value_of = |name: &str| {
        inst.flags
            .iter()
            .rev()
            .find(|f| f.name == name)
            .map(|f| (f.span.start, f.value.as_deref().unwrap_or("")))
    };
    for name in super::healthcheck::DURATION_FLAGS {
        if let Some((at, value)) = value_of(name) {
            if let Some(message) = super::healthcheck::duration_error(name, value) {
                return Err(ParseError::at(lines, at, message));
            }
        }
    }
    if let Some((at, value)) = value_of("retries") {
        if let Some(message) = super::healthcheck::retries_error(value) {
            return Err(ParseError::at(lines, at, message));
        }
    }
    Ok(())
}

/// BuildKit's `validStageName`: `^[a-z][a-z0-9-_.]*$` after lower-casing.
fn valid_stage_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let mut chars = lower.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.".contains(c))
}

/// For each instruction whose continuation skips a blank line, the span of the line where
/// BuildKit reports `NoEmptyContinuation`: the instruction's last (non-heredoc) line.
pub fn empty_continuations(source: &str, instructions: &[Instruction], escape: char) -> Vec<Span> {
    let mut found = Vec::new();
    for inst in instructions {
        let end = inst.heredocs.first().map_or(inst.span.end, |h| {
            source[..h.span.start.min(source.len())]
                .rfind('\n')
                .unwrap_or(inst.span.end)
        });
        let start = source[..inst.span.start].rfind('\n').map_or(0, |i| i + 1);
        let mut pos = start;
        let mut continuing = false;
        let mut saw_empty = false;
        while pos < end.min(source.len()) {
            let line_end = source[pos..].find('\n').map_or(source.len(), |i| pos + i);
            let line = source[pos..line_end].trim_end_matches('\r');
            let blank = line.trim_start_matches([' ', '\t']).is_empty();
            let comment = line.trim_start_matches([' ', '\t']).starts_with('#');
            if continuing && blank {
                saw_empty = true;
            } else if !(continuing && comment) {
                continuing = strip_continuation(line, escape).1;
            }
            pos = line_end + 1;
        }
        if saw_empty {
            // Regression (found in review): slicing at `end - 1` split a multi-byte char.
            let body = source[start..end.min(source.len())].trim_end_matches(['\n', '\r']);
            let last_line_start = start + body.rfind('\n').map_or(0, |i| i + 1);
            found.push(last_line_start..end);
        }
    }
    found
}
