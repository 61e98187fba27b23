//! One lint finding and its severity.

use serde::Serialize;

use crate::dockerfile::model::Span;

/// How serious a finding is. `Error` stops `dockjob build` before anything reaches the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Style or best-practice advice.
    Info,
    /// BuildKit prints these as warnings and builds anyway.
    Warning,
    /// The build must not start (BuildKit fails it, e.g. with `# check=error=true`).
    Error,
}

impl Severity {
    /// Lower-case name, as printed.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One finding, with everything needed to print `file:line:col` and a caret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Rule id: BuildKit's check name (`MaintainerDeprecated`) or a hadolint id (`DL3006`).
    pub rule: &'static str,
    /// Severity after `# check=error=true` is applied.
    pub severity: Severity,
    /// 1-based line where the finding starts (BuildKit's line for its checks).
    pub line: usize,
    /// 1-based column (characters) where the finding starts.
    pub column: usize,
    /// 1-based line where the finding ends.
    pub end_line: usize,
    /// 1-based column just past the end of the finding.
    pub end_column: usize,
    /// Byte span in the source.
    #[serde(skip)]
    pub span: Span,
    /// The message (BuildKit's exact wording for its checks).
    pub message: String,
    /// How to fix it, when there is a concrete suggestion.
    pub hint: Option<String>,
    /// Documentation of the rule.
    pub url: Option<String>,
}
