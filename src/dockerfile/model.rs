//! The owned Dockerfile model that the rest of dockjob works with: instructions with byte
//! spans into the original source, stages, parser directives and key/value pairs.
//!
//! Pure data: no I/O. Spans are byte ranges into the exact text given to
//! [`crate::dockerfile::parse`] (a leading UTF-8 BOM included), so a span can be spliced back
//! into the source without moving any other byte.

use serde::Serialize;
use std::ops::Range;

use super::position::LineIndex;

/// A byte range into the original source text.
pub type Span = Range<usize>;

/// A parsed Dockerfile.
#[derive(Debug, Clone, Serialize)]
pub struct Dockerfile {
    /// Parser directives found at the top of the file (`# syntax=`, `# escape=`, `# check=`).
    pub directives: Directives,
    /// Every instruction in source order (global `ARG`s and `FROM`s included).
    pub instructions: Vec<Instruction>,
    /// Byte spans of continuation lines that were empty (BuildKit's `NoEmptyContinuation`).
    pub empty_continuation_lines: Vec<Span>,
    /// Maps byte offsets to 1-based line:column.
    #[serde(skip)]
    pub(crate) lines: LineIndex,
}

/// Parser directives (`# key=value` lines before the first instruction or comment).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Directives {
    /// `# syntax=` value.
    pub syntax: Option<String>,
    /// The escape character (`\` unless `# escape=` says otherwise).
    pub escape: char,
    /// `# check=` value, raw (see [`crate::dockerfile::lint::CheckDirective`]).
    pub check: Option<String>,
    /// Span of the `check` value, to point diagnostics about it.
    pub check_span: Option<Span>,
}

/// Which instruction an [`Instruction`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
#[allow(missing_docs)] // the variants are the Dockerfile keywords themselves
pub enum Keyword {
    Add,
    Arg,
    Cmd,
    Copy,
    Entrypoint,
    Env,
    Expose,
    From,
    Healthcheck,
    Label,
    Maintainer,
    Onbuild,
    Run,
    Shell,
    Stopsignal,
    User,
    Volume,
    Workdir,
}

impl Keyword {
    /// The keyword in upper case, as Docker's documentation writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Keyword::Add => "ADD",
            Keyword::Arg => "ARG",
            Keyword::Cmd => "CMD",
            Keyword::Copy => "COPY",
            Keyword::Entrypoint => "ENTRYPOINT",
            Keyword::Env => "ENV",
            Keyword::Expose => "EXPOSE",
            Keyword::From => "FROM",
            Keyword::Healthcheck => "HEALTHCHECK",
            Keyword::Label => "LABEL",
            Keyword::Maintainer => "MAINTAINER",
            Keyword::Onbuild => "ONBUILD",
            Keyword::Run => "RUN",
            Keyword::Shell => "SHELL",
            Keyword::Stopsignal => "STOPSIGNAL",
            Keyword::User => "USER",
            Keyword::Volume => "VOLUME",
            Keyword::Workdir => "WORKDIR",
        }
    }
}

/// A word of an instruction: its value after Dockerfile unescaping, and where it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Word {
    /// The value (line continuations removed; quotes and `$` kept, as Docker keeps them
    /// until variable expansion).
    pub value: String,
    /// Where the word is in the source.
    pub span: Span,
}

/// An option flag such as `--from=build` or `--link`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Flag {
    /// Flag name without the leading `--`.
    pub name: String,
    /// The value after `=`, if any.
    pub value: Option<String>,
    /// The whole flag, `--` included.
    pub span: Span,
    /// The value's span, if any.
    pub value_span: Option<Span>,
}

/// A `key=value` (or legacy `key value`) pair of `ENV`, `LABEL` or `ARG`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyValue {
    /// The key, unquoted.
    pub key: String,
    /// The value with quotes and escapes removed (`None` for `ARG name` without default).
    pub value: Option<String>,
    /// The value as written (quotes kept), used for variable expansion.
    pub raw_value: Option<String>,
    /// The span of the whole pair.
    pub span: Span,
    /// The span of the key.
    pub key_span: Span,
    /// True for the legacy whitespace-separated form `ENV key value`.
    pub legacy: bool,
}

/// Exec form (a JSON array) or shell form (a string run by the shell).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "form", rename_all = "snake_case")]
pub enum CommandForm {
    /// `["executable", "arg"]`.
    Exec {
        /// The array elements.
        args: Vec<Word>,
        /// The span of the array.
        span: Span,
    },
    /// Anything else, including a malformed JSON array (Docker's rule).
    Shell {
        /// The command text with line continuations and in-continuation comments removed.
        text: String,
        /// The span of the text as written.
        span: Span,
    },
}

/// A here-document attached to `RUN`, `COPY` or `ADD`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Heredoc {
    /// The body.
    pub body: String,
    /// False when the delimiter was quoted (no variable expansion).
    pub expand: bool,
    /// Span of the body and the closing delimiter.
    pub span: Span,
}

/// Instruction-specific arguments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Args {
    /// `FROM [--platform] image [AS name]`.
    From {
        /// The image as written (variables not expanded).
        image: Word,
        /// The `AS` keyword as written and the stage name.
        alias: Option<(Word, Word)>,
    },
    /// `RUN`, `CMD`, `ENTRYPOINT`, `HEALTHCHECK CMD`.
    Command(CommandForm),
    /// `HEALTHCHECK NONE`.
    HealthcheckNone,
    /// `ENV`, `LABEL`, `ARG`.
    KeyValues(Vec<KeyValue>),
    /// `COPY`/`ADD`: sources (here-documents are listed in `heredocs`) and destination.
    Copy {
        /// Source paths (not here-documents).
        sources: Vec<Word>,
        /// Destination.
        dest: Word,
        /// True when written as a JSON array.
        json: bool,
    },
    /// `EXPOSE`, `VOLUME`, `SHELL`: a list of words.
    Words {
        /// The words.
        words: Vec<Word>,
        /// True when written as a JSON array.
        json: bool,
    },
    /// `WORKDIR`, `USER`, `MAINTAINER`, `STOPSIGNAL`: the rest of the line.
    Text(Word),
    /// `ONBUILD <instruction>`.
    Onbuild(Box<Instruction>),
}

/// One instruction with its location.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Instruction {
    /// Which instruction.
    pub keyword: Keyword,
    /// The keyword as written (`from`, `From`, `FROM`).
    pub keyword_text: String,
    /// The keyword's span.
    pub keyword_span: Span,
    /// The whole instruction, from the keyword to the end of its last argument or heredoc.
    pub span: Span,
    /// Option flags (`--from=`, `--mount=`, ...).
    pub flags: Vec<Flag>,
    /// The arguments.
    pub args: Args,
    /// Here-documents (`RUN <<EOF`).
    pub heredocs: Vec<Heredoc>,
}

impl Instruction {
    /// The flag with this name, if present.
    pub fn flag(&self, name: &str) -> Option<&Flag> {
        self.flags.iter().find(|f| f.name == name)
    }
    /// The key/value pairs of `ENV`, `LABEL` and `ARG` (empty for other instructions).
    pub fn key_values(&self) -> &[KeyValue] {
        match &self.args {
            Args::KeyValues(kvs) => kvs,
            _ => &[],
        }
    }
}

/// A build stage: a `FROM` and the instructions up to the next `FROM`.
#[derive(Debug, Clone, Copy)]
pub struct Stage<'a> {
    /// 0-based stage index.
    pub index: usize,
    /// The `FROM` instruction.
    pub from: &'a Instruction,
    /// Base image as written (variables not expanded).
    pub base: &'a Word,
    /// The stage name (`AS name`), as written.
    pub name: Option<&'a Word>,
    /// Instructions after `FROM`, up to the next `FROM`.
    pub instructions: &'a [Instruction],
}

impl Dockerfile {
    /// Global `ARG`s: the `ARG` instructions before the first `FROM`.
    pub fn global_args(&self) -> impl Iterator<Item = &Instruction> {
        self.instructions
            .iter()
            .take_while(|i| i.keyword != Keyword::From)
            .filter(|i| i.keyword == Keyword::Arg)
    }

    /// The build stages in order.
    pub fn stages(&self) -> Vec<Stage<'_>> {
        let starts: Vec<usize> = (0..self.instructions.len())
            .filter(|&i| self.instructions[i].keyword == Keyword::From)
            .collect();
        let mut stages = Vec::with_capacity(starts.len());
        for (index, &start) in starts.iter().enumerate() {
            let end = starts
                .get(index + 1)
                .copied()
                .unwrap_or(self.instructions.len());
            let from = &self.instructions[start];
            if let Args::From { image, alias } = &from.args {
                stages.push(Stage {
                    index,
                    from,
                    base: image,
                    name: alias.as_ref().map(|(_, name)| name),
                    instructions: &self.instructions[start + 1..end],
                });
            }
        }
        stages
    }

    /// Each stage's base image with global `ARG`s expanded (defaults, overridden by
    /// `build_args`), in stage order — what `FROM` will actually pull or reference.
    pub fn stage_bases(
        &self,
        build_args: &std::collections::BTreeMap<String, String>,
    ) -> Vec<String> {
        let scope = super::scope::global_scope(self, build_args);
        self.stages()
            .iter()
            .map(|s| scope.expand(&s.base.value, self.directives.escape).result)
            .collect()
    }

    /// The source text this was parsed from (BOM included).
    pub fn source(&self) -> &str {
        self.lines.text()
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        self.lines.line_col(offset)
    }
}
