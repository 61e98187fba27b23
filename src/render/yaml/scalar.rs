//! Scalars: the text and style go-yaml v2 asks for (`encode.go`) and what the emitter's
//! analysis allows (`emitterc.go` `yaml_emitter_analyze_scalar`,
//! `yaml_emitter_select_scalar_style`). The writers are in `write.rs`.

use serde_json::Value;

use super::resolve::{is_base60_float, resolves_to_non_string};

/// `yaml_scalar_style_t` (go-yaml never asks for folded `>` when marshalling).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
}

/// What `yaml_emitter_analyze_scalar` found (flow context never occurs here: the only flow
/// collections are empty).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Analysis {
    pub(super) multiline: bool,
    block_plain_allowed: bool,
    single_quoted_allowed: bool,
    block_allowed: bool,
}

/// One scalar event: its text, the style the encoder asked for, the emitter's analysis.
#[derive(Debug, Clone)]
pub(super) struct Scalar {
    pub(super) value: String,
    requested: Style,
    pub(super) analysis: Analysis,
}

impl Scalar {
    /// `encode.go` `nilv`, `boolv`, `intv`/`uintv`, `floatv`, `stringv`.
    pub(super) fn from_value(value: &Value) -> Self {
        let text = match value {
            Value::Null => "null".to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => number(n),
            Value::String(s) => return Self::from_string(s),
            // Collections never reach here.
            Value::Array(_) | Value::Object(_) => String::new(),
        };
        Self::new(text, Style::Plain)
    }

    /// `encode.go` `stringv`: a string that would read back as another type is
    /// double-quoted, one with a newline a literal block, anything else plain (which the
    /// emitter may still turn into single or double quotes).
    pub(super) fn from_string(s: &str) -> Self {
        let can_use_plain = !resolves_to_non_string(s) && !is_base60_float(s);
        let style = if s.contains('\n') {
            Style::Literal
        } else if can_use_plain {
            Style::Plain
        } else {
            Style::DoubleQuoted
        };
        Self::new(s.to_string(), style)
    }

    fn new(value: String, requested: Style) -> Self {
        let analysis = analyze(&value);
        Scalar {
            value,
            requested,
            analysis,
        }
    }

    /// `yaml_emitter_select_scalar_style` in block context with implicit tags.
    pub(super) fn select_style(&self, simple_key: bool) -> Style {
        let a = &self.analysis;
        let mut style = self.requested;
        if simple_key && a.multiline {
            style = Style::DoubleQuoted;
        }
        if style == Style::Plain
            && (!a.block_plain_allowed || (self.value.is_empty() && simple_key))
        {
            style = Style::SingleQuoted;
        }
        if style == Style::SingleQuoted && !a.single_quoted_allowed {
            style = Style::DoubleQuoted;
        }
        if style == Style::Literal && (!a.block_allowed || simple_key) {
            style = Style::DoubleQuoted;
        }
        style
    }
}

/// A JSON number as kubectl prints it. kubectl decodes JSON numbers into int64, or float64
/// when they do not fit (`unstructured`); Go's JSON writes an integral float as integer
/// digits, which go-yaml reads back as an int (or uint64); other floats print with
/// `strconv.FormatFloat(f, 'g', -1, 64)` (`encode.go` `floatv`).
fn number(n: &serde_json::Number) -> String {
    if let Some(i) = n.as_i64() {
        return i.to_string();
    }
    let f = n.as_f64().unwrap_or(0.0);
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if f.fract() == 0.0 {
        if (-TWO_63..TWO_63).contains(&f) {
            return (f as i64).to_string();
        }
        if (0.0..2.0 * TWO_63).contains(&f) {
            return (f as u64).to_string();
        }
    }
    go_format_g(f)
}

/// `strconv.FormatFloat(f, 'g', -1, 64)`: the shortest digits that read back the same, in
/// `%e` form (`1e-07`, `1.2345675e+06`) when the exponent is below -4 or at least 6 (Go's
/// `eprec` for the shortest `'g'`), else plain (`0.0001`, `123.5`).
fn go_format_g(f: f64) -> String {
    // Rust's `{:e}` gives the shortest round-trip digits: `d[.ddd]e[-]x`.
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if !(-4..6).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.abs())
    } else {
        format!("{f}")
    }
}

/// `is_printable`: what go-yaml writes unescaped (no tab, no C1 controls, nothing beyond the
/// Basic Multilingual Plane).
pub(super) fn is_printable(c: char) -> bool {
    matches!(c as u32,
        0x0A | 0x20..=0x7E | 0xA0..=0xD7FF | 0xE000..=0xFFFD)
        && c != '\u{FEFF}'
}

/// `is_break`: LF, CR, NEL, LS, PS.
pub(super) fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// `is_blankz` for the character itself: space, tab, a break or NUL.
fn is_blankz(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\0') || is_break(c)
}

/// `yaml_emitter_analyze_scalar`.
fn analyze(value: &str) -> Analysis {
    if value.is_empty() {
        return Analysis {
            multiline: false,
            block_plain_allowed: true,
            single_quoted_allowed: true,
            block_allowed: false,
        };
    }
    let mut block_indicators = value.starts_with("---") || value.starts_with("...");
    let (mut line_breaks, mut special_characters) = (false, false);
    let (mut leading_space, mut leading_break) = (false, false);
    let (mut trailing_space, mut trailing_break) = (false, false);
    let (mut break_space, mut space_break) = (false, false);
    let mut preceded_by_whitespace = true;
    let (mut previous_space, mut previous_break) = (false, false);
    let mut chars = value.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let next = chars.peek().map(|&(_, n)| n);
        let followed_by_whitespace = matches!(next, None | Some(' ' | '\t'));
        let last = next.is_none();
        if i == 0 {
            match c {
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"'
                | '%' | '@' | '`' => block_indicators = true,
                '?' | ':' | '-' if followed_by_whitespace => block_indicators = true,
                _ => {}
            }
        } else {
            match c {
                ':' if followed_by_whitespace => block_indicators = true,
                '#' if preceded_by_whitespace => block_indicators = true,
                _ => {}
            }
        }
        if !is_printable(c) {
            special_characters = true;
        }
        if c == ' ' {
            leading_space |= i == 0;
            trailing_space |= last;
            break_space |= previous_break;
            (previous_space, previous_break) = (true, false);
        } else if is_break(c) {
            line_breaks = true;
            leading_break |= i == 0;
            trailing_break |= last;
            space_break |= previous_space;
            (previous_space, previous_break) = (false, true);
        } else {
            (previous_space, previous_break) = (false, false);
        }
        preceded_by_whitespace = is_blankz(c);
    }
    let mut a = Analysis {
        multiline: line_breaks,
        block_plain_allowed: true,
        single_quoted_allowed: true,
        block_allowed: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.block_plain_allowed = false;
    }
    if trailing_space {
        a.block_allowed = false;
    }
    if break_space {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
    }
    if space_break || special_characters {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
        a.block_allowed = false;
    }
    if line_breaks || block_indicators {
        a.block_plain_allowed = false;
    }
    a
}
