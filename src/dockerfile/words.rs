//! Docker's word splitting and key/value parsing for `ENV`, `LABEL` and `ARG`, with spans.
//!
//! Copied from moby/buildkit `frontend/dockerfile/parser/line_parsers.go` (`parseWords`,
//! `parseNameVal`, `parseNameOrNameVal`) and `parser.go` (how continuation lines, comment
//! lines inside a continuation and empty continuation lines are joined). Words keep their
//! quotes and escapes, as in Docker; [`super::expand`] removes them.

use super::model::{KeyValue, Span};

/// An instruction's arguments joined into one logical line, with each byte's source offset.
#[derive(Debug, Clone, Default)]
pub struct Logical {
    /// The joined text.
    pub text: String,
    /// `offsets[i]` is the source offset of `text`'s byte `i`; one extra entry for the end.
    pub offsets: Vec<usize>,
}

impl Logical {
    /// Joins `source[span]` the way Docker's parser joins continuation lines: the escape
    /// character (plus trailing blanks) at the end of a line continues it, and in a
    /// continuation, comment lines and blank lines are dropped.
    pub fn join(source: &str, span: &Span, escape: char) -> Logical {
        let mut out = Logical::default();
        let end = span.end.min(source.len());
        let mut pos = span.start.min(end);
        let mut first = true;
        while pos < end {
            let line_end = source[pos..end].find('\n').map_or(end, |i| pos + i);
            let mut content_end = line_end;
            if source[pos..content_end].ends_with('\r') {
                content_end -= 1;
            }
            let line = &source[pos..content_end];
            let trimmed = line.trim_start_matches([' ', '\t']);
            if !first && (trimmed.starts_with('#') || trimmed.is_empty()) {
                pos = line_end + 1;
                continue;
            }
            first = false;
            let (kept, continues) = strip_continuation(line, escape);
            out.text.push_str(kept);
            out.offsets.extend((0..kept.len()).map(|i| pos + i));
            if !continues {
                break;
            }
            pos = line_end + 1;
        }
        let last = out.offsets.last().map_or(span.start, |&o| o + 1);
        out.offsets.push(last);
        out
    }

    /// The source span of logical bytes `start..end`.
    pub fn span(&self, start: usize, end: usize) -> Span {
        let at = |i: usize| self.offsets[i.min(self.offsets.len() - 1)];
        if end <= start {
            return at(start)..at(start);
        }
        at(start)..at(end - 1) + 1
    }
}

/// Removes a trailing `escape[ \t]*` (Docker's `lineContinuationRegex`).
pub fn strip_continuation(line: &str, escape: char) -> (&str, bool) {
    let trimmed = line.trim_end_matches([' ', '\t']);
    match trimmed.strip_suffix(escape) {
        Some(kept) => (kept, true),
        None => (line, false),
    }
}

/// A word with its byte range in the logical text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawWord {
    /// The word, quotes and escapes kept.
    pub text: String,
    /// Start in the logical text.
    pub start: usize,
    /// End in the logical text.
    pub end: usize,
}

/// Docker's `parseWords`: splits on unquoted whitespace, keeping quotes and escapes.
pub fn split_words(rest: &str, escape: char) -> Vec<RawWord> {
    #[derive(PartialEq)]
    enum Phase {
        Spaces,
        Word,
        Quote(char),
    }
    let mut words = Vec::new();
    let mut phase = Phase::Spaces;
    let mut word = String::new();
    let mut start = 0;
    let mut blank_ok = false;
    let mut chars = rest.char_indices().peekable();
    while let Some((pos, ch)) = chars.next() {
        if phase == Phase::Spaces {
            if ch.is_whitespace() {
                continue;
            }
            phase = Phase::Word;
            start = pos;
        }
        match phase {
            Phase::Word => {
                if ch.is_whitespace() {
                    if blank_ok || !word.is_empty() {
                        words.push(RawWord {
                            text: std::mem::take(&mut word),
                            start,
                            end: pos,
                        });
                    }
                    word.clear();
                    blank_ok = false;
                    phase = Phase::Spaces;
                    continue;
                }
                if ch == '\'' || ch == '"' {
                    blank_ok = true;
                    phase = Phase::Quote(ch);
                }
                if ch == escape {
                    match chars.next() {
                        None => continue, // an escape at the very end is dropped
                        Some((_, next)) => {
                            word.push(ch);
                            word.push(next);
                            continue;
                        }
                    }
                }
                word.push(ch);
            }
            Phase::Quote(quote) => {
                if ch == quote {
                    phase = Phase::Word;
                }
                if ch == escape && quote != '\'' {
                    match chars.next() {
                        None => {
                            phase = Phase::Word;
                            continue;
                        }
                        Some((_, next)) => {
                            word.push(ch);
                            word.push(next);
                            continue;
                        }
                    }
                }
                word.push(ch);
            }
            Phase::Spaces => unreachable!("handled above"),
        }
    }
    if phase != Phase::Spaces && (blank_ok || !word.is_empty()) {
        words.push(RawWord {
            text: word,
            start,
            end: rest.len(),
        });
    }
    words
}

/// Why a key/value list is invalid (Docker's wording).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KvError {
    /// Logical offset of the offending word.
    pub at: usize,
    /// The message.
    pub message: String,
}

/// Parses `ENV`/`LABEL` arguments (`parseNameVal`) or, with `is_arg`, `ARG` arguments
/// (`parseNameOrNameVal`). `unquote` turns a raw value into its final text.
pub fn key_values(
    logical: &Logical,
    keyword: &str,
    is_arg: bool,
    escape: char,
    unquote: &dyn Fn(&str) -> String,
) -> Result<Vec<KeyValue>, KvError> {
    let words = split_words(&logical.text, escape);
    let Some(first) = words.first() else {
        return Err(KvError {
            at: 0,
            message: format!("{keyword} requires at least one argument"),
        });
    };
    let mut pairs = Vec::with_capacity(words.len());
    if !is_arg && !first.text.contains('=') {
        // Legacy `KEY name value`: the value is the rest of the line, as written.
        let text = &logical.text;
        let key_end = text[first.start..]
            .find(['\t', '\u{b}', '\u{c}', '\r', ' '])
            .map_or(text.len(), |i| first.start + i);
        let value_start = text[key_end..]
            .find(|c: char| !matches!(c, '\t' | '\u{b}' | '\u{c}' | '\r' | ' '))
            .map(|i| key_end + i);
        let Some(value_start) = value_start else {
            return Err(KvError {
                at: first.start,
                message: format!("{keyword} must have two arguments"),
            });
        };
        let raw = text[value_start..].to_owned();
        pairs.push(KeyValue {
            key: text[first.start..key_end].to_owned(),
            value: Some(unquote(&raw)),
            raw_value: Some(raw),
            span: logical.span(first.start, text.len()),
            key_span: logical.span(first.start, key_end),
            legacy: true,
        });
        return Ok(pairs);
    }
    for word in &words {
        let (key, raw_value) = match word.text.split_once('=') {
            Some((k, v)) => (k, Some(v.to_owned())),
            None if is_arg => (word.text.as_str(), None),
            None => {
                return Err(KvError {
                    at: word.start,
                    message: format!(
                        "Syntax error - can't find = in {:?}. Must be of the form: name=value",
                        word.text
                    ),
                })
            }
        };
        if key.is_empty() {
            return Err(KvError {
                at: word.start,
                message: format!("{keyword} names can not be blank"),
            });
        }
        let key_len = logical.text[word.start..word.end]
            .find('=')
            .unwrap_or(word.end - word.start);
        // ENV and LABEL keys go through the shell lexer like values (quotes removed);
        // ARG names are taken as written.
        let key = if is_arg { key.to_owned() } else { unquote(key) };
        pairs.push(KeyValue {
            key,
            value: raw_value.as_deref().map(unquote),
            raw_value,
            span: logical.span(word.start, word.end),
            key_span: logical.span(word.start, word.start + key_len),
            legacy: false,
        });
    }
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        split_words(s, '\\').into_iter().map(|w| w.text).collect()
    }

    #[test]
    fn split_words_keeps_quotes_and_escapes_like_docker() {
        assert_eq!(
            words(r#"A=1 B="two words" C=3"#),
            ["A=1", r#"B="two words""#, "C=3"]
        );
        assert_eq!(words(r"MY_DOG=Rex\ The\ Dog"), [r"MY_DOG=Rex\ The\ Dog"]);
        assert_eq!(words(r#"A='x \' y'"#), [r"A='x \'", "y'"]);
        assert_eq!(words(r#""" b"#), [r#""""#, "b"]);
        assert_eq!(words("  a\t b  "), ["a", "b"]);
    }

    #[test]
    fn join_skips_comments_and_blank_lines_inside_continuations() {
        let src = "RUN a \\\n  # note\n\n  b \\\r\n  c\nRUN d";
        let logical = Logical::join(src, &(4..src.len()), '\\');
        assert_eq!(logical.text, "a   b   c");
        let c = logical.text.find('c').unwrap();
        assert_eq!(&src[logical.span(c, c + 1)], "c");
    }

    #[test]
    fn legacy_and_modern_forms() {
        let id = |s: &str| s.to_owned();
        let l = Logical {
            text: "AUTHOR uzimihsr".into(),
            offsets: (0..16).collect(),
        };
        let kv = key_values(&l, "ENV", false, '\\', &id).unwrap();
        assert!(kv[0].legacy);
        assert_eq!(
            (kv[0].key.as_str(), kv[0].value.as_deref()),
            ("AUTHOR", Some("uzimihsr"))
        );
        let l = Logical {
            text: "a.b=1 C=".into(),
            offsets: (0..9).collect(),
        };
        let kv = key_values(&l, "ENV", false, '\\', &id).unwrap();
        assert_eq!(kv.len(), 2);
        assert_eq!(kv[1].value.as_deref(), Some(""));
        let l = Logical {
            text: "=x".into(),
            offsets: (0..3).collect(),
        };
        assert!(key_values(&l, "ENV", false, '\\', &id).is_err());
        let l = Logical {
            text: "A B=2".into(),
            offsets: (0..6).collect(),
        };
        let kv = key_values(&l, "ARG", true, '\\', &id).unwrap();
        assert_eq!(kv[0].value, None);
        assert_eq!(kv[1].value.as_deref(), Some("2"));
    }
}
