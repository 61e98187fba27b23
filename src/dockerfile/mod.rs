//! The Dockerfile front end: parser, model, linter, diagnostics rendering, `FROM`
//! rewriting for `--build-context`, and what Docker Engine 20.10's built-in frontend cannot
//! build ([`frontend_support`]).
//!
//! Pure: this module imports no tokio, no bollard, no `std::fs`, no clock, and prints
//! nothing. Callers hand it the file's text and get data back.
//!
//! Parsing is built on the `parse-dockerfile` crate (directives, continuations, BOM, CRLF,
//! exec vs shell form, flags, typed instructions). On top of it this module adds what that
//! crate leaves raw, gets wrong, or does not check:
//! - here-documents anywhere on a `RUN`/`COPY`/`ADD` line, several per line ([`heredoc`]);
//! - `ENV`/`LABEL`/`ARG` key/value splitting with Docker's quoting rules ([`words`]);
//! - `ENTRYPOINT []` (accepted by Docker, rejected by the crate);
//! - flag validation, stage-name validation, JSON-array-of-strings, Docker's error wording
//!   and correct columns ([`ParseError`]);
//! - spans into the original text (BOM included), so `FROM` rewriting keeps every other byte.
//!
//! ```
//! use dockjob::dockerfile::{self, lint, render};
//!
//! let source = "FROM alpine:3.10.3\nMAINTAINER me\n";
//! let df = dockerfile::parse(source).expect("valid Dockerfile");
//! let diags = lint::lint(&df, &lint::LintOptions::default());
//! assert_eq!((diags[0].rule, diags[0].line), ("MaintainerDeprecated", 2));
//! let text = render::text("Dockerfile", source, &diags);
//! assert!(text.starts_with("Dockerfile:2:1: warning[MaintainerDeprecated]"));
//! ```

mod convert;
pub mod directives;
pub mod error;
pub mod expand;
pub mod frontend_support;
mod healthcheck;
pub mod heredoc;
pub mod lint;
pub mod model;
mod patch;
pub mod position;
pub mod render;
pub mod rewrite;
mod run_mount;
pub mod scope;
mod upstream_error;
mod validate;
pub mod words;

pub use error::ParseError;
pub use frontend_support::{builtin_frontend_gaps, FrontendGap};
pub use model::{
    Args, CommandForm, Directives, Dockerfile, Flag, Heredoc, Instruction, KeyValue, Keyword, Span,
    Stage, Word,
};
pub use rewrite::{rewrite_from, rewrite_from_with_args};

use position::LineIndex;

const UTF8_BOM: &str = "\u{feff}";

/// Parses a Dockerfile given as bytes; invalid UTF-8 is a syntax error at its position.
pub fn parse_bytes(bytes: &[u8]) -> Result<Dockerfile, ParseError> {
    match std::str::from_utf8(bytes) {
        Ok(text) => parse(text),
        Err(e) => {
            let valid = std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default();
            let lines = LineIndex::new(valid);
            Err(ParseError::at(
                &lines,
                valid.len(),
                "file is not valid UTF-8 text (binary file?)",
            ))
        }
    }
}

/// Parses a Dockerfile. Accepts what Docker's parser accepts; anything Docker rejects
/// before building is a [`ParseError`] with its line and column.
/// The longest line BuildKit's Dockerfile parser reads, in bytes (a `\r` before the `\n`
/// included): it scans lines with a `bufio.Scanner` whose buffer is
/// `bufio.MaxScanTokenSize` (64 KiB) and the line's `\n`, and refuses a longer one
/// (buildkit `frontend/dockerfile/parser/parser.go`), after the context was sent.
pub const MAX_LINE_BYTES: usize = 65_535;

/// The offset of the first line longer than [`MAX_LINE_BYTES`].
fn first_overlong_line(source: &str) -> Option<usize> {
    let mut start = 0;
    for line in source.split('\n') {
        if line.len() > MAX_LINE_BYTES {
            return Some(start);
        }
        start += line.len() + 1;
    }
    None
}

pub fn parse(source: &str) -> Result<Dockerfile, ParseError> {
    let lines = LineIndex::new(source);
    if source.is_empty() {
        return Err(ParseError::whole_file("the Dockerfile cannot be empty"));
    }
    if let Some(offset) = source.find('\0') {
        return Err(ParseError::at(
            &lines,
            offset,
            "file contains a NUL byte (binary file?)",
        ));
    }
    if let Some(offset) = first_overlong_line(source) {
        return Err(ParseError::at(
            &lines,
            offset,
            format!("dockerfile line greater than max allowed size of {MAX_LINE_BYTES}"),
        ));
    }
    let base = if source.starts_with(UTF8_BOM) {
        UTF8_BOM.len()
    } else {
        0
    };
    let text = &source[base..];
    let directives = directives::read(source, base);
    let plan = heredoc::plan(text, directives.escape).map_err(|u| {
        let message = format!("unterminated heredoc: no line closes it with {:?}", u.name);
        ParseError::at(&lines, base + u.at, message)
    })?;
    let heredocs: Vec<heredoc::Found> = plan
        .found
        .iter()
        .cloned()
        .map(|mut h| {
            h.marker = h.marker.start + base..h.marker.end + base;
            h.span = h.span.start + base..h.span.end + base;
            h
        })
        .collect();
    let converter = convert::Converter {
        source,
        base,
        escape: directives.escape,
        lines: &lines,
        heredocs: &heredocs,
    };

    // parse-dockerfile 0.1.9 rejects `ENTRYPOINT []` and lines indented with Unicode spaces,
    // which Docker accepts: give it same-length stand-ins (see `patch`).
    let entrypoints = patch::empty_entrypoints(&plan.patched);
    let patched = patch::leading_unicode_spaces(&entrypoints);
    let iter = parse_dockerfile::parse_iter(&patched)
        .map_err(|e| upstream_error::translate(&e, &lines))?;
    let mut instructions = Vec::new();
    for item in iter {
        match item {
            Ok(inst) => {
                let inst = patch::restore_empty_entrypoint(converter.instruction(&inst)?, source);
                // Checked as they come, so the first error in the file is the one reported,
                // as BuildKit reports the first instruction it cannot accept.
                validate::instruction(&inst, &lines)?;
                instructions.push(inst);
            }
            Err(e) if e.line() == 0 && instructions.is_empty() => {
                return Err(ParseError::whole_file("file with no instructions"));
            }
            Err(e) if e.line() == 0 => {
                return Err(ParseError::whole_file(
                    "dockerfile contains no stages to build",
                ));
            }
            Err(e) => return Err(upstream_error::translate(&e, &lines)),
        }
    }
    let empty_continuation_lines =
        validate::empty_continuations(source, &instructions, directives.escape);
    Ok(Dockerfile {
        directives,
        instructions,
        empty_continuation_lines,
        lines,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) const SAMPLE: &str = "FROM alpine:3.10.3\nMAINTAINER uzimihsr-01\nWORKDIR /uzimihsr/workdir\nENV AUTHOR uzimihsr\nENV NUMBER 777\nENTRYPOINT [\"/bin/sh\"]\nCMD [\"-c\", \"echo ${AUTHOR}\"]\n";

    #[test]
    fn parses_the_sample() {
        let df = parse(SAMPLE).unwrap();
        assert_eq!(df.instructions.len(), 7);
        let stages = df.stages();
        assert_eq!(stages.len(), 1);
        assert_eq!(stages[0].base.value, "alpine:3.10.3");
        let env = &df.instructions[3];
        assert_eq!(env.key_values()[0].key, "AUTHOR");
        assert!(env.key_values()[0].legacy);
        assert_eq!(df.line_col(env.span.start), (4, 1));
    }

    #[test]
    fn errors_carry_docker_wording_and_position() {
        let e = parse("FROM a\nFORM b\n").unwrap_err();
        assert_eq!(
            (e.line, e.column, e.message.as_str()),
            (2, 1, "unknown instruction: FORM (did you mean FROM?)")
        );
        assert_eq!(
            parse("").unwrap_err().message,
            "the Dockerfile cannot be empty"
        );
        assert_eq!(
            parse("# just a comment\n\n").unwrap_err().message,
            "file with no instructions"
        );
        assert!(parse_bytes(b"FROM a\n\xff\xfe").is_err());
    }
}
