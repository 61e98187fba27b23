//! kubectl's JSONPath templates (`-o jsonpath=`, `-o jsonpath-file=`, `-o jsonpath-as-json=`,
//! custom columns, `--sort-by`), ported from client-go's `util/jsonpath` (the parser, the
//! evaluator and `PrintResults`) and cli-runtime's `printers/jsonpath.go` (the error texts).
//! The dialect is kubectl's, not RFC 9535: literal text around `{…}` actions, `{range}…{end}`,
//! `{"\n"}`, `[?(@.x=="y")]`, `[start:end:step]`, `[a,b]`, `..`, `*`. No Rust crate
//! implements it (`jsonpath-rust` and `serde_json_path` follow RFC 9535, without templates).
//!
//! Pure: a template and a JSON value in, text or an error out.

#[cfg(test)]
mod error_tests;
mod eval;
pub mod gofmt;
mod parser;
mod strconv;
#[cfg(test)]
mod tests;

use serde_json::Value;

pub use eval::Val;
use gofmt::{go_json, go_number_v};
pub use parser::Node;

/// A parsed template.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonPath {
    nodes: Vec<Node>,
}

impl JsonPath {
    /// Parses `template`; the error is client-go's (`unclosed action`, …).
    pub fn parse(template: &str) -> Result<Self, String> {
        Ok(JsonPath {
            nodes: parser::parse(template)?,
        })
    }

    /// `FindResults`: the values of each top-level node (text and actions), ranges expanded.
    /// With `allow_missing_keys`, a missing key gives no value instead of `X is not found`.
    pub fn find_results<'a>(
        &self,
        data: &'a Value,
        allow_missing_keys: bool,
    ) -> Result<Vec<Vec<Val<'a>>>, String> {
        eval::Exec::new(&self.nodes, allow_missing_keys).find_results(data, 0)
    }

    /// `Execute`: the template's text for `data`. `as_json` is `-o jsonpath-as-json`: each
    /// node's values as an indented JSON array.
    pub fn execute(
        &self,
        data: &Value,
        allow_missing_keys: bool,
        as_json: bool,
    ) -> Result<String, String> {
        let mut out = String::new();
        for results in self.find_results(data, allow_missing_keys)? {
            out.push_str(&print_results(&results, as_json));
        }
        Ok(out)
    }
}

/// `PrintResults`: maps and lists as compact JSON, other values as Go prints them, separated
/// by spaces.
pub fn print_results(results: &[Val<'_>], as_json: bool) -> String {
    if as_json {
        let list = Value::Array(results.iter().map(|v| v.as_ref().clone()).collect());
        return go_json(&list, Some("    ")) + "\n";
    }
    let texts: Vec<String> = results.iter().map(|v| value_text(v)).collect();
    texts.join(" ")
}

/// One value as `PrintResults` writes it (`evalToText` for scalars; nil is `null`).
pub fn value_text(value: &Value) -> String {
    match value {
        Value::Object(_) | Value::Array(_) => go_json(value, None),
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => go_number_v(n),
        Value::String(s) => s.clone(),
    }
}

/// `RelaxedJSONPathExpression` (kubectl `get/customcolumn.go`): `a.b`, `.a.b`, `{a.b}` and
/// `{.a.b}` all become `{.a.b}`; anything with other braces is refused.
pub fn relaxed_expression(expression: &str) -> Result<String, String> {
    if expression.is_empty() {
        return Ok(String::new());
    }
    // `\.?([^{}]+)`: an optional dot, then at least one character that is not a brace.
    let capture = |s: &str| -> Option<String> {
        if s.is_empty() || s.contains(['{', '}']) {
            return None;
        }
        Some(match s.strip_prefix('.') {
            Some(rest) if !rest.is_empty() => rest.to_string(),
            _ => s.to_string(),
        })
    };
    let braced = expression
        .strip_prefix('{')
        .and_then(|s| s.strip_suffix('}'))
        .and_then(capture);
    match braced.or_else(|| capture(expression)) {
        Some(inner) => Ok(format!("{{.{inner}}}")),
        None => Err("unexpected path string, expected a 'name1.name2' or '.name1.name2' or '{name1.name2}' or '{.name1.name2}'".to_string()),
    }
}

/// kubectl's message when a template fails on an object (`JSONPathPrinter.PrintObj`), with
/// the object as Go's `%#v` shows it.
pub fn execution_error(template: &str, error: &str, object: &Value) -> String {
    format!(
        "error executing jsonpath {}: Error executing template: {error}. Printing more information for debugging the template:\n\ttemplate was:\n\t\t{template}\n\tobject given to jsonpath engine was:\n\t\t{}\n\n\n",
        crate::job::field::go_quote(template),
        go_sharp_v(object)
    )
}

/// Go's `%#v` of an unstructured value.
fn go_sharp_v(value: &Value) -> String {
    match value {
        Value::Null => "interface {}(nil)".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => go_number_v(n),
        Value::String(s) => crate::job::field::go_quote(s),
        Value::Array(items) => format!(
            "[]interface {{}}{{{}}}",
            items.iter().map(go_sharp_v).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(map) => format!(
            "map[string]interface {{}}{{{}}}",
            map.iter()
                .map(|(k, v)| format!("{}:{}", crate::job::field::go_quote(k), go_sharp_v(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}
