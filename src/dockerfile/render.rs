//! Rendering diagnostics for people (text with a caret under the span) and for machines
//! (JSON with the same fields). Pure: returns strings; the caller prints them.

use serde::Serialize;

use super::error::printable;
use super::lint::{Diagnostic, Severity};
use super::position::LineIndex;

/// One diagnostic as it appears in JSON output.
#[derive(Debug, Clone, Serialize)]
pub struct JsonDiagnostic<'a> {
    /// The file name as given by the caller.
    pub file: &'a str,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// 1-based end line.
    pub end_line: usize,
    /// 1-based end column (exclusive).
    pub end_column: usize,
    /// `error`, `warning` or `info`.
    pub severity: Severity,
    /// Rule id.
    pub rule: &'a str,
    /// Message.
    pub message: &'a str,
    /// The source line the diagnostic points at.
    pub source_line: String,
    /// How to fix it.
    pub hint: Option<&'a str>,
    /// Rule documentation.
    pub url: Option<&'a str>,
}

/// All diagnostics of one file, as serialized by [`json`].
#[derive(Debug, Clone, Serialize)]
pub struct FileReport<'a> {
    /// The file name.
    pub file: &'a str,
    /// Number of error-level findings.
    pub errors: usize,
    /// Number of warnings.
    pub warnings: usize,
    /// The findings in order.
    pub diagnostics: Vec<JsonDiagnostic<'a>>,
}

/// Builds the serializable report of one file (several files: serialize a `Vec` of these).
pub fn report<'a>(file_name: &'a str, source: &str, diags: &'a [Diagnostic]) -> FileReport<'a> {
    let lines = LineIndex::new(source);
    FileReport {
        file: file_name,
        errors: diags
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count(),
        warnings: diags
            .iter()
            .filter(|d| d.severity == Severity::Warning)
            .count(),
        diagnostics: diags
            .iter()
            .map(|d| JsonDiagnostic {
                file: file_name,
                line: d.line,
                column: d.column,
                end_line: d.end_line,
                end_column: d.end_column,
                severity: d.severity,
                rule: d.rule,
                message: &d.message,
                source_line: lines.line_text(d.line).to_owned(),
                hint: d.hint.as_deref(),
                url: d.url.as_deref(),
            })
            .collect(),
    }
}

/// Pretty JSON for one file's findings.
pub fn json(file_name: &str, source: &str, diags: &[Diagnostic]) -> String {
    serde_json::to_string_pretty(&report(file_name, source, diags))
        .unwrap_or_else(|_| "{}".to_owned())
}

/// Text for people: `file:line:col: severity[Rule]: message`, the source line, a caret
/// line under the exact span, then the hint and the documentation link.
pub fn text(file_name: &str, source: &str, diags: &[Diagnostic]) -> String {
    let lines = LineIndex::new(source);
    let mut out = String::new();
    for d in diags {
        let line_text = lines.line_text(d.line);
        let gutter = d.line.to_string().len();
        let pad = " ".repeat(gutter);
        let width = line_text.chars().count();
        let start = d.column.saturating_sub(1).min(width);
        let end = if d.end_line == d.line {
            d.end_column.saturating_sub(1)
        } else {
            width
        };
        let carets = end.saturating_sub(start).max(1);
        let lead: String = line_text
            .chars()
            .take(start)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        out.push_str(&format!(
            "{file_name}:{}:{}: {}[{}]: {}\n",
            d.line,
            d.column,
            d.severity.as_str(),
            d.rule,
            d.message
        ));
        out.push_str(&format!("{pad} |\n{} | {}\n", d.line, printable(line_text)));
        out.push_str(&format!("{pad} | {lead}{}\n", "^".repeat(carets)));
        if let Some(hint) = &d.hint {
            out.push_str(&format!("{pad} = hint: {hint}\n"));
        }
        if let Some(url) = &d.url {
            out.push_str(&format!("{pad} = docs: {url}\n"));
        }
    }
    out
}
