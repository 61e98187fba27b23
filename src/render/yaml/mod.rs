//! `-o yaml` byte for byte as kubectl prints it. kubectl's `YAMLPrinter` calls
//! `sigs.k8s.io/yaml.Marshal`: the object goes to JSON, go-yaml v2 (v2.4.0) reads that back
//! into maps and `yaml.Marshal`s it (`JSONToYAML`). So the output is go-yaml v2's emitter on
//! plain maps, lists and scalars, which this module ports for a [`serde_json::Value`]:
//!
//! - map keys sorted by go-yaml's `keyList.Less` (`sorter.go`, see `key_less`);
//! - block style, two-space indent, a sequence in a mapping not indented under its key
//!   (`emitterc.go` `yaml_emitter_emit_block_sequence_item`: `indentless` in a mapping);
//! - empty maps and lists in flow style, `{}` and `[]` (`yaml_emitter_check_empty_mapping`);
//! - scalar styles and quoting from `encode.go` `stringv` and `emitterc.go`
//!   `yaml_emitter_analyze_scalar` / `yaml_emitter_select_scalar_style` (`scalar.rs`, the
//!   writers in `write.rs`), long plain and quoted scalars folded at spaces past column 80
//!   (`best_width`);
//! - keys longer than 128 bytes or spanning lines as `? key` / `: value`
//!   (`yaml_emitter_check_simple_key`).
//!
//! The state machine of `emitterc.go` becomes recursion here; the `column`, `whitespace`,
//! `indention` and `indent` fields and the `write_*` methods keep its names and rules.
//!
//! Where kubectl has no single answer this module picks one: go-yaml's key comparison is not
//! transitive for some keys (`a10 < a1b < a2 < a10`), so kubectl's order for them changes from
//! run to run (Go's map order feeds the sort); and kubectl's JSON-to-YAML step reads the JSON
//! back with go-yaml, which refuses DEL, C1 controls and U+FFFE (kubectl prints an error) and
//! folds a NEL into a space, where this module writes what go-yaml's emitter would (`"\x7F"`,
//! `"\N"`). `tests/views_yaml_oracle.rs` compares the rest with kubectl itself.
//!
//! Pure: a value in, text out.

mod resolve;
mod scalar;
#[cfg(test)]
mod tests;
mod write;

use serde_json::{Map, Value};

use scalar::{Scalar, Style};

/// `best_indent`: go-yaml's default.
const BEST_INDENT: isize = 2;
/// `best_width`: go-yaml v2.4.0 folds long scalars at spaces past this column (kubectl does
/// not call `yaml.FutureLineWrap()`).
const BEST_WIDTH: usize = 80;
/// `yaml_emitter_check_simple_key`: longer keys are written as `? key`.
const MAX_SIMPLE_KEY_LEN: usize = 128;

/// `value` as go-yaml v2's `yaml.Marshal` writes it (what kubectl's `-o yaml` prints).
pub fn to_yaml(value: &Value) -> String {
    let mut e = Emitter {
        out: String::new(),
        column: 0,
        whitespace: true,
        indention: true,
        indent: -1,
    };
    e.node(value, Context::default());
    // yaml_emitter_emit_document_end: end the last line.
    e.write_indent();
    e.out
}

/// Where a node sits (`yaml_emitter_emit_node`'s flags that matter for block output).
#[derive(Debug, Clone, Copy, Default)]
struct Context {
    /// A mapping key or value (`mapping_context`).
    mapping: bool,
    /// A key written inline as `key:` (`simple_key_context`).
    simple_key: bool,
}

/// The emitter's output state (`yaml_emitter_t`).
struct Emitter {
    out: String,
    /// Characters (not bytes) on the current line.
    column: usize,
    /// The last thing written was whitespace (an indicator that asked for none after it).
    whitespace: bool,
    /// Only indentation so far on the current line.
    indention: bool,
    /// The current block's indentation; -1 before the root node.
    indent: isize,
}

impl Emitter {
    fn node(&mut self, value: &Value, ctx: Context) {
        match value {
            Value::Object(map) if map.is_empty() => self.empty_flow("{", "}"),
            Value::Array(items) if items.is_empty() => self.empty_flow("[", "]"),
            Value::Object(map) => self.block_mapping(map),
            Value::Array(items) => self.block_sequence(items, ctx),
            scalar => self.scalar(&Scalar::from_value(scalar), ctx),
        }
    }

    /// `yaml_emitter_emit_flow_mapping_key` / `_sequence_item` for an empty collection.
    fn empty_flow(&mut self, open: &str, close: &str) {
        self.write_indicator(open, true, true, false);
        self.write_indicator(close, false, false, false);
    }

    /// `yaml_emitter_emit_block_sequence_item`: `- item` lines, not indented under a mapping
    /// key (`indentless` when the sequence is a mapping's value on the key's line).
    fn block_sequence(&mut self, items: &[Value], ctx: Context) {
        let saved = self.indent;
        self.increase_indent(false, ctx.mapping && !self.indention);
        for item in items {
            self.write_indent();
            self.write_indicator("-", true, false, true);
            self.node(item, Context::default());
        }
        self.indent = saved;
    }

    /// `yaml_emitter_emit_block_mapping_key` / `_value`, keys in go-yaml's order.
    fn block_mapping(&mut self, map: &Map<String, Value>) {
        let saved = self.indent;
        self.increase_indent(false, false);
        for (key, value) in sorted_entries(map) {
            self.write_indent();
            let key = Scalar::from_string(key);
            let simple = !key.analysis.multiline && key.value.len() <= MAX_SIMPLE_KEY_LEN;
            if simple {
                let ctx = Context {
                    mapping: true,
                    simple_key: true,
                };
                self.scalar(&key, ctx);
                self.write_indicator(":", false, false, false);
            } else {
                self.write_indicator("?", true, false, true);
                self.scalar(&key, Context::mapping());
                self.write_indent();
                self.write_indicator(":", true, false, true);
            }
            self.node(value, Context::mapping());
        }
        self.indent = saved;
    }

    /// `yaml_emitter_emit_scalar`: choose the style, write one indent level deeper.
    fn scalar(&mut self, scalar: &Scalar, ctx: Context) {
        let style = scalar.select_style(ctx.simple_key);
        let saved = self.indent;
        self.increase_indent(true, false);
        let allow_breaks = !ctx.simple_key;
        let value = scalar.value.as_str();
        match style {
            Style::Plain => self.write_plain(value, allow_breaks),
            Style::SingleQuoted => self.write_single_quoted(value, allow_breaks),
            Style::DoubleQuoted => self.write_double_quoted(value, allow_breaks),
            Style::Literal => self.write_literal(value),
        }
        self.indent = saved;
    }

    /// `yaml_emitter_increase_indent`.
    fn increase_indent(&mut self, flow: bool, indentless: bool) {
        if self.indent < 0 {
            self.indent = if flow { BEST_INDENT } else { 0 };
        } else if !indentless {
            self.indent += BEST_INDENT;
        }
    }

    /// `put`: one ASCII character.
    fn put(&mut self, c: char) {
        self.out.push(c);
        self.column += 1;
    }

    /// `write`: one character of a scalar.
    fn write(&mut self, c: char) {
        self.out.push(c);
        self.column += 1;
    }

    /// `put_break` (v2 leaves `indention` alone).
    fn put_break(&mut self) {
        self.out.push('\n');
        self.column = 0;
    }

    /// `write_break`: a line break of the scalar itself.
    fn write_break(&mut self, c: char) {
        if c == '\n' {
            self.put_break();
        } else {
            self.write(c);
            self.column = 0;
        }
    }

    /// `yaml_emitter_write_indent`: a new line unless already at the indentation, then pad.
    fn write_indent(&mut self) {
        let indent = self.indent.max(0) as usize;
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.put_break();
        }
        while self.column < indent {
            self.put(' ');
        }
        self.whitespace = true;
        self.indention = true;
    }

    /// `yaml_emitter_write_indicator`.
    fn write_indicator(
        &mut self,
        indicator: &str,
        need_whitespace: bool,
        is_whitespace: bool,
        is_indention: bool,
    ) {
        if need_whitespace && !self.whitespace {
            self.put(' ');
        }
        for c in indicator.chars() {
            self.write(c);
        }
        self.whitespace = is_whitespace;
        self.indention = self.indention && is_indention;
    }
}

impl Context {
    fn mapping() -> Self {
        Context {
            mapping: true,
            simple_key: false,
        }
    }
}

/// A map's entries in go-yaml's key order. An insertion sort on [`key_less`]: maps are small,
/// and go-yaml's comparison is not guaranteed to be a total order (std's sorts may panic on
/// one that is not).
fn sorted_entries(map: &Map<String, Value>) -> Vec<(&String, &Value)> {
    let keyed: Vec<(Vec<char>, (&String, &Value))> = map
        .iter()
        .map(|(k, v)| (k.chars().collect(), (k, v)))
        .collect();
    let mut sorted: Vec<(Vec<char>, (&String, &Value))> = Vec::with_capacity(keyed.len());
    for entry in keyed {
        let at = sorted
            .iter()
            .position(|(k, _)| key_less(&entry.0, k))
            .unwrap_or(sorted.len());
        sorted.insert(at, entry);
    }
    sorted.into_iter().map(|(_, e)| e).collect()
}

/// go-yaml v2 `sorter.go` `keyList.Less` for two string keys: letters compare by code point
/// and sort after everything else; runs of digits compare by value (`a2 < a10`).
/// `unicode.IsLetter`/`IsDigit` are approximated by `char::is_alphabetic` and ASCII digits
/// (Kubernetes keys are ASCII).
fn key_less(a: &[char], b: &[char]) -> bool {
    for i in 0..a.len().min(b.len()) {
        if a[i] == b[i] {
            continue;
        }
        let (al, bl) = (a[i].is_alphabetic(), b[i].is_alphabetic());
        if al && bl {
            return a[i] < b[i];
        }
        if al || bl {
            return bl;
        }
        let (mut an, mut bn): (i64, i64) = (0, 0);
        if a[i] == '0' || b[i] == '0' {
            // A zero continuing a number with non-zero digits before it compares as digits.
            if a[..i]
                .iter()
                .rev()
                .take_while(|c| c.is_ascii_digit())
                .any(|&c| c != '0')
            {
                an = 1;
                bn = 1;
            }
        }
        let run = |s: &[char], n: &mut i64| {
            let mut j = i;
            while j < s.len() && s[j].is_ascii_digit() {
                *n = n
                    .wrapping_mul(10)
                    .wrapping_add(i64::from(s[j] as u8 - b'0'));
                j += 1;
            }
            j
        };
        let ai = run(a, &mut an);
        let bi = run(b, &mut bn);
        if an != bn {
            return an < bn;
        }
        if ai != bi {
            return ai < bi;
        }
        return a[i] < b[i];
    }
    a.len() < b.len()
}
