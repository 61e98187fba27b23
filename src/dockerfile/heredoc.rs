//! Here-documents, found the way BuildKit finds them (moby/buildkit
//! `frontend/dockerfile/parser/parser.go`: `heredocsFromLine`, `ParseHeredoc`): any word of
//! a `RUN`, `COPY` or `ADD` line matching `^(\d*)<<(-?)([^<]*)$`, several per line, each
//! body read in order up to a line equal to its delimiter (leading tabs ignored with `<<-`).
//!
//! `parse-dockerfile` 0.1.9 only understands one heredoc that starts the arguments
//! (`RUN <<EOF`), and fails on `RUN python3 <<EOF > out`. So heredocs are located here
//! first, and the parser is given a same-length copy of the text where each marker is
//! replaced by `_` and each body is blanked: every byte offset stays valid.

use regex::Regex;
use std::sync::OnceLock;

use super::expand::unquote;
use super::model::Span;
use super::words::{split_words, strip_continuation, Logical};

/// A here-document located in the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// Where the `<<EOF` word is.
    pub marker: Span,
    /// The delimiter.
    pub name: String,
    /// False when the delimiter was quoted.
    pub expand: bool,
    /// The body (lines joined with `\n`, leading tabs removed for `<<-`).
    pub body: String,
    /// From the first body line to the end of the closing delimiter line.
    pub span: Span,
}

/// The heredocs of `text` and the text to give the parser.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// Same length as the input.
    pub patched: String,
    /// Heredocs in source order.
    pub found: Vec<Found>,
}

/// An unterminated heredoc: the marker's offset and its delimiter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unterminated {
    /// Offset of the `<<` word.
    pub at: usize,
    /// The delimiter that never came.
    pub name: String,
}

fn marker_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"^(\d*)<<(-?)([^<]*)$").expect("static regex"))
}

/// Finds heredocs in `text` (offsets relative to `text`).
pub fn plan(text: &str, escape: char) -> Result<Plan, Unterminated> {
    let mut bytes = text.as_bytes().to_vec();
    let mut found = Vec::new();
    let line_end = |pos: usize| text[pos..].find('\n').map_or(text.len(), |i| pos + i);
    let mut pos = 0;
    while pos < text.len() {
        let end = line_end(pos);
        let trimmed = text[pos..end].trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            pos = end + 1;
            continue;
        }
        // Gather the instruction's lines (continuations, skipping comments and blanks).
        let mut inst_end = end;
        let mut continues = strip_continuation(text[pos..end].trim_end_matches('\r'), escape).1;
        while continues && inst_end < text.len() {
            let next_start = inst_end + 1;
            let next_end = line_end(next_start);
            let line = text[next_start..next_end].trim_end_matches('\r');
            inst_end = next_end;
            let t = line.trim_start();
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            continues = strip_continuation(line, escape).1;
        }
        let logical = Logical::join(text, &(pos..inst_end), escape);
        pos = inst_end + 1;
        let words = split_words(&logical.text, escape);
        // `canContainHeredoc`: only RUN, COPY and ADD themselves. `ONBUILD RUN <<EOF` has
        // no heredoc in Docker; its marker is hidden from parse-dockerfile all the same,
        // which would otherwise read the following lines as a body.
        let onbuild = words
            .first()
            .is_some_and(|w| w.text.eq_ignore_ascii_case("onbuild"));
        let idx = usize::from(onbuild);
        let Some(keyword) = words.get(idx) else {
            continue;
        };
        if !["run", "copy", "add"]
            .iter()
            .any(|k| keyword.text.eq_ignore_ascii_case(k))
        {
            continue;
        }
        let args = words[idx + 1..]
            .iter()
            .skip_while(|w| w.text.starts_with("--"));
        let mut args = args.peekable();
        if args.peek().is_some_and(|w| w.text.starts_with('[')) {
            continue; // exec form
        }
        for word in args {
            let Some(caps) = marker_regex().captures(&word.text) else {
                continue;
            };
            let raw_name = &caps[3];
            if raw_name.is_empty() {
                continue;
            }
            let name = unquote(raw_name, escape);
            let expand = !raw_name.contains(['"', '\'']);
            let chomp = &caps[2] == "-";
            let marker = logical.span(word.start, word.end);
            for b in &mut bytes[marker.clone()] {
                *b = b'_';
            }
            if onbuild {
                continue;
            }
            let body_start = pos.min(text.len());
            let mut body = String::new();
            let mut closed = None;
            while pos < text.len() {
                let end = line_end(pos);
                let line = text[pos..end].trim_end_matches('\r');
                let candidate = if chomp {
                    line.trim_start_matches('\t')
                } else {
                    line
                };
                for b in &mut bytes[pos..end] {
                    if *b != b'\r' {
                        *b = b' ';
                    }
                }
                pos = end + 1;
                if candidate == name {
                    closed = Some(end);
                    break;
                }
                body.push_str(candidate);
                body.push('\n');
            }
            let Some(close_end) = closed else {
                return Err(Unterminated {
                    at: marker.start,
                    name,
                });
            };
            found.push(Found {
                marker,
                name,
                expand,
                body,
                span: body_start..close_end,
            });
        }
    }
    // Only ASCII bytes were replaced by ASCII bytes, and whole lines were blanked, so the
    // result is still UTF-8; fall back to the original text if that ever fails.
    let patched = String::from_utf8(bytes).unwrap_or_else(|_| text.to_owned());
    Ok(Plan { patched, found })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_heredocs_anywhere_on_the_line() {
        let text = "FROM a\nRUN python3 <<PY > /out\nprint(1)\nPY\nCOPY <<-'A' <<B /dst/\n\tx\n\tA\ny\nB\nRUN echo '<<NOT'\n";
        let plan = plan(text, '\\').unwrap();
        assert_eq!(plan.patched.len(), text.len());
        let names: Vec<_> = plan
            .found
            .iter()
            .map(|f| (f.name.as_str(), f.expand, f.body.as_str()))
            .collect();
        assert_eq!(
            names,
            [
                ("PY", true, "print(1)\n"),
                ("A", false, "x\n"),
                ("B", true, "y\n")
            ]
        );
        assert_eq!(&text[plan.found[0].marker.clone()], "<<PY");
        assert!(plan
            .patched
            .contains("RUN python3 ____ > /out\n        \n  \n"));
        assert!(plan.patched.ends_with("RUN echo '<<NOT'\n"));
    }

    #[test]
    fn onbuild_lines_have_no_heredocs() {
        let plan = plan("FROM a\nONBUILD RUN <<EOF\n", '\\').unwrap();
        assert!(plan.found.is_empty());
    }

    #[test]
    fn reports_unterminated_heredocs() {
        let err = plan("FROM a\nRUN <<EOF\necho\n", '\\').unwrap_err();
        assert_eq!((err.at, err.name.as_str()), (11, "EOF"));
    }
}
