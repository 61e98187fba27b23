//! The Dockerfile linter: BuildKit's build checks (same names, messages and lines as
//! `docker build --check`) plus a few hadolint rules BuildKit lacks (hadolint's `DL` ids).
//!
//! Pure: takes a parsed [`Dockerfile`] and returns [`Diagnostic`]s; deciding exit codes and
//! printing belong to the caller. `# check=skip=…` and `# check=error=true` are honoured as
//! BuildKit honours them (moby/buildkit `frontend/dockerfile/linter/linter.go`).

mod buildkit_instructions;
mod buildkit_misc;
mod buildkit_stages;
mod check_directive;
mod diagnostic;
mod hadolint;
mod platform;
mod reference;
mod rules;
mod shell;
mod stage_info;
pub(crate) mod suggest;
mod undefined_var;

pub use check_directive::CheckDirective;
pub use diagnostic::{Diagnostic, Severity};
pub use rules::{rule_info, RuleInfo, RuleSource, RULES};

use super::model::{Dockerfile, Span};

/// What the linter should know beyond the Dockerfile itself.
#[derive(Default, Clone, Copy)]
pub struct LintOptions<'a> {
    /// "This context path is excluded by `.dockerignore`" — enables `CopyIgnoredFile`.
    /// Paths are relative to the context, cleaned, without a leading `/`. As in BuildKit,
    /// pass `None` (or answer `false`) when the `.dockerignore` has `!` exclusions: the
    /// check cannot be decided statically then.
    pub is_ignored: Option<&'a dyn Fn(&str) -> bool>,
    /// Skip the hadolint-style rules (BuildKit's checks only).
    pub buildkit_only: bool,
}

impl std::fmt::Debug for LintOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LintOptions")
            .field("is_ignored", &self.is_ignored.is_some())
            .field("buildkit_only", &self.buildkit_only)
            .finish()
    }
}

/// Collects findings; each rule calls [`Sink::report`].
pub(crate) struct Sink<'d> {
    df: &'d Dockerfile,
    out: Vec<Diagnostic>,
}

/// Where `$name` or `${name` first occurs inside `within`.
pub(crate) fn variable_span(source: &str, within: &Span, name: &str) -> Option<Span> {
    let text = source.get(within.clone())?;
    let mut from = 0;
    while let Some(i) = text[from..].find('$') {
        let at = from + i;
        let rest = &text[at + 1..];
        let (skip, after) = match rest.strip_prefix('{') {
            Some(inner) => (2, inner),
            None => (1, rest),
        };
        if let Some(tail) = after.strip_prefix(name) {
            let next = tail.chars().next();
            if !next.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                let start = within.start + at;
                let brace = usize::from(skip == 2 && next == Some('}'));
                return Some(start..start + skip + name.len() + brace);
            }
        }
        from = at + 1;
    }
    None
}

impl Sink<'_> {
    /// The source text being linted.
    pub fn source(&self) -> &str {
        self.df.source()
    }

    /// `detail` when it starts on the same line as `instruction` (BuildKit reports checks on
    /// an instruction's first line), else `instruction`.
    pub fn pick(&self, instruction: &Span, detail: &Span) -> Span {
        if self.df.line_col(instruction.start).0 == self.df.line_col(detail.start).0 {
            detail.clone()
        } else {
            instruction.start..instruction.start
        }
    }

    /// Records a finding of rule `id` at `span` (BuildKit reports the instruction's first line;
    /// `span` should start on it).
    pub fn report(&mut self, id: &'static str, span: Span, message: String, hint: Option<String>) {
        let info = rule_info(id);
        let (line, column) = self.df.line_col(span.start);
        let (end_line, end_column) = self.df.line_col(span.end.max(span.start));
        self.out.push(Diagnostic {
            rule: id,
            severity: info.map_or(Severity::Warning, |i| i.severity),
            line,
            column,
            end_line,
            end_column,
            span,
            message,
            hint,
            url: info.map(|i| i.url.to_owned()).filter(|u| !u.is_empty()),
        });
    }
}

/// Runs every rule on `df` and returns the findings sorted by position.
pub fn lint(df: &Dockerfile, opts: &LintOptions<'_>) -> Vec<Diagnostic> {
    let mut sink = Sink {
        df,
        out: Vec::new(),
    };
    let check = match CheckDirective::parse(df.directives.check.as_deref().unwrap_or("")) {
        Ok(check) => check,
        Err(message) => {
            let span = df.directives.check_span.clone().unwrap_or(0..0);
            let hint = "# check=skip=<Rule>[,<Rule>...]|all;error=true|false".to_owned();
            sink.report(check_directive::RULE_ID, span, message, Some(hint));
            CheckDirective::default()
        }
    };
    buildkit_stages::run(df, &mut sink);
    buildkit_instructions::run(df, opts, &mut sink);
    undefined_var::run(df, &mut sink);
    if !opts.buildkit_only {
        hadolint::run(df, &mut sink);
    }
    let mut out: Vec<Diagnostic> = sink
        .out
        .into_iter()
        .filter(|d| !check.skips(d.rule))
        .collect();
    for d in &mut out {
        if check.error && rule_info(d.rule).is_some_and(|i| i.source == RuleSource::BuildKit) {
            d.severity = Severity::Error;
        }
    }
    out.sort_by(|a, b| (a.line, a.column, a.rule).cmp(&(b.line, b.column, b.rule)));
    out
}
