//! The scalar writers of go-yaml v2's emitter (`emitterc.go`
//! `yaml_emitter_write_plain_scalar`, `_single_quoted_scalar`, `_double_quoted_scalar`,
//! `_literal_scalar`, `_block_scalar_hints`): quoting, escapes, and folding at a space past
//! [`BEST_WIDTH`].

use super::scalar::{is_break, is_printable};
use super::{Emitter, BEST_INDENT, BEST_WIDTH};

impl Emitter {
    /// `yaml_emitter_write_plain_scalar`.
    pub(super) fn write_plain(&mut self, value: &str, allow_breaks: bool) {
        if !self.whitespace {
            self.put(' ');
        }
        let (mut spaces, mut breaks) = (false, false);
        let mut chars = value.chars().peekable();
        while let Some(c) = chars.next() {
            if c == ' ' {
                if allow_breaks && !spaces && self.column > BEST_WIDTH && chars.peek() != Some(&' ')
                {
                    self.write_indent();
                } else {
                    self.write(c);
                }
                spaces = true;
            } else if is_break(c) {
                if !breaks && c == '\n' {
                    self.put_break();
                }
                self.write_break(c);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                self.write(c);
                self.indention = false;
                (spaces, breaks) = (false, false);
            }
        }
        self.whitespace = false;
        self.indention = false;
    }

    /// `yaml_emitter_write_single_quoted_scalar`: `'` doubled inside.
    pub(super) fn write_single_quoted(&mut self, value: &str, allow_breaks: bool) {
        self.write_indicator("'", true, false, false);
        let (mut spaces, mut breaks) = (false, false);
        let mut chars = value.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            let next = chars.peek().map(|&(_, n)| n);
            if c == ' ' {
                let inner = i > 0 && i + 1 < value.len();
                if allow_breaks && !spaces && self.column > BEST_WIDTH && inner && next != Some(' ')
                {
                    self.write_indent();
                } else {
                    self.write(c);
                }
                spaces = true;
            } else if is_break(c) {
                if !breaks && c == '\n' {
                    self.put_break();
                }
                self.write_break(c);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                if c == '\'' {
                    self.put('\'');
                }
                self.write(c);
                self.indention = false;
                (spaces, breaks) = (false, false);
            }
        }
        self.write_indicator("'", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    /// `yaml_emitter_write_double_quoted_scalar`: escapes for non-printables, breaks, `"`
    /// and `\`; a fold before a space that starts the next line escapes that space.
    pub(super) fn write_double_quoted(&mut self, value: &str, allow_breaks: bool) {
        // go-yaml's `is_bom(value, i)` looks at the start of the value whatever `i` is: a
        // value starting with a BOM has every character escaped.
        let bom = value.starts_with('\u{FEFF}');
        let mut spaces = false;
        self.write_indicator("\"", true, false, false);
        let mut chars = value.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            let next = chars.peek().map(|&(_, n)| n);
            if !is_printable(c) || bom || is_break(c) || c == '"' || c == '\\' {
                self.put('\\');
                self.write_escape(c);
                spaces = false;
            } else if c == ' ' {
                if allow_breaks
                    && !spaces
                    && self.column > BEST_WIDTH
                    && i > 0
                    && i + 1 < value.len()
                {
                    self.write_indent();
                    if next == Some(' ') {
                        self.put('\\');
                    }
                } else {
                    self.write(c);
                }
                spaces = true;
            } else {
                self.write(c);
                spaces = false;
            }
        }
        self.write_indicator("\"", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    /// The escape after `\`: a YAML short form, else `xXX`, `uXXXX` or `UXXXXXXXX`.
    fn write_escape(&mut self, c: char) {
        let short = match c {
            '\0' => Some('0'),
            '\u{07}' => Some('a'),
            '\u{08}' => Some('b'),
            '\t' => Some('t'),
            '\n' => Some('n'),
            '\u{0b}' => Some('v'),
            '\u{0c}' => Some('f'),
            '\r' => Some('r'),
            '\u{1b}' => Some('e'),
            '"' => Some('"'),
            '\\' => Some('\\'),
            '\u{85}' => Some('N'),
            '\u{A0}' => Some('_'),
            '\u{2028}' => Some('L'),
            '\u{2029}' => Some('P'),
            _ => None,
        };
        if let Some(s) = short {
            self.put(s);
            return;
        }
        let v = c as u32;
        let text = match v {
            0..=0xFF => format!("x{v:02X}"),
            0x100..=0xFFFF => format!("u{v:04X}"),
            _ => format!("U{v:08X}"),
        };
        for ch in text.chars() {
            self.put(ch);
        }
    }

    /// `yaml_emitter_write_literal_scalar`: `|`, the block hints, then the lines, each at
    /// the scalar's indentation.
    pub(super) fn write_literal(&mut self, value: &str) {
        self.write_indicator("|", true, false, false);
        self.write_block_scalar_hints(value);
        self.put_break();
        self.indention = true;
        self.whitespace = true;
        let mut breaks = true;
        for c in value.chars() {
            if is_break(c) {
                self.write_break(c);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                self.write(c);
                self.indention = false;
                breaks = false;
            }
        }
    }

    /// `yaml_emitter_write_block_scalar_hints`: an indentation indicator when the text starts
    /// with a space or break; `-` without a final break, `+` with more than one, none with one.
    fn write_block_scalar_hints(&mut self, value: &str) {
        let mut rev = value.chars().rev();
        if value.starts_with(' ') || value.chars().next().is_some_and(is_break) {
            let hint = char::from(b'0' + BEST_INDENT as u8).to_string();
            self.write_indicator(&hint, false, false, false);
        }
        let chomp = match (rev.next(), rev.next()) {
            (None, _) => Some("-"),
            (Some(last), _) if !is_break(last) => Some("-"),
            (Some(_), None) => Some("+"),
            (Some(_), Some(before)) if is_break(before) => Some("+"),
            _ => None,
        };
        if let Some(chomp) = chomp {
            self.write_indicator(chomp, false, false, false);
        }
    }
}
