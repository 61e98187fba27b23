//! Translates `parse-dockerfile` errors into [`ParseError`]s in Docker's words, pointing at
//! the right column (the crate's own column is wrong after line 1 in 0.1.9).
//!
//! Wording from moby/buildkit `frontend/dockerfile/instructions/parse.go`
//! (`UnknownInstructionError` plus `suggest.WrapError`, `parseFrom`, `parseHealthcheck`, "no
//! build stage in current context") and `parser/parser.go`.

use super::error::{printable, ParseError};
use super::lint::suggest;
use super::position::LineIndex;

/// Every instruction keyword, for "did you mean …?".
const INSTRUCTIONS: [&str; 18] = [
    "ADD",
    "ARG",
    "CMD",
    "COPY",
    "ENTRYPOINT",
    "ENV",
    "EXPOSE",
    "FROM",
    "HEALTHCHECK",
    "LABEL",
    "MAINTAINER",
    "ONBUILD",
    "RUN",
    "SHELL",
    "STOPSIGNAL",
    "USER",
    "VOLUME",
    "WORKDIR",
];

/// Turns a `parse-dockerfile` error into ours.
pub fn translate(e: &parse_dockerfile::Error, lines: &LineIndex) -> ParseError {
    let message = format!("{e:#}");
    let line = e.line().max(1);
    if let Some(rest) = message.strip_prefix("expected end of here-document (") {
        return unterminated_heredoc(rest, line, lines);
    }
    let text = lines.line_text(line);
    let indent = text.chars().take_while(|c| c.is_whitespace()).count();
    let keyword: String = text
        .trim_start()
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    let mut column = if line == 1 && e.column() > 0 {
        e.column()
    } else {
        indent + 1
    };
    let message = if message.starts_with("unknown instruction '") {
        if keyword.eq_ignore_ascii_case("onbuild") {
            format!("{} requires at least one argument", keyword.to_uppercase())
        } else {
            unknown_instruction(&keyword)
        }
    } else {
        match message.as_str() {
            "expected FROM" => "no build stage in current context".to_owned(),
            "expected CMD or NONE" if keyword.eq_ignore_ascii_case("healthcheck") => {
                // BuildKit's `parseHealthcheck`: the first argument after the flags, upper-cased.
                let typ = text
                    .split_whitespace()
                    .skip(1)
                    .find(|w| !w.starts_with("--"))
                    .unwrap_or("")
                    .to_uppercase();
                format!(
                    "Unknown type {} in HEALTHCHECK (try CMD)",
                    crate::job::field::go_quote(&typ)
                )
            }
            "expected AS" | "expected newline or eof" if keyword.eq_ignore_ascii_case("from") => {
                "FROM requires either one or three arguments".to_owned()
            }
            "invalid JSON" | "expected JSON array" => {
                // Point at the array (or where it should start), not at the keyword.
                let after_keyword = indent + keyword.chars().count();
                let bracket = text.chars().skip(after_keyword).position(|c| c == '[');
                let blank = text
                    .chars()
                    .skip(after_keyword)
                    .take_while(|c| c.is_whitespace())
                    .count();
                column = after_keyword + bracket.unwrap_or(blank) + 1;
                message
            }
            _ => argument_count(&message).unwrap_or(message),
        }
    };
    ParseError {
        line,
        column,
        message,
    }
}

/// BuildKit's `errAtLeastOneArgument`, `errExactlyOneArgument` and
/// `errNoDestinationArgument` wording for the crate's argument-count errors.
fn argument_count(message: &str) -> Option<String> {
    let (keyword, rest) = message.split_once(" instruction requires ")?;
    Some(match rest {
        "at least two arguments" => format!(
            "{keyword} requires at least two arguments, but only one was provided. Destination could not be determined."
        ),
        _ => format!("{keyword} requires {rest}"),
    })
}

/// `unknown instruction: FORM (did you mean FROM?)`, with the suggestion in the word's case.
fn unknown_instruction(word: &str) -> String {
    let mut message = format!("unknown instruction: {}", printable(word));
    if let Some(suggestion) = suggest::search(word, INSTRUCTIONS, false) {
        let suggestion = if word == word.to_lowercase() {
            suggestion.to_lowercase()
        } else {
            suggestion
        };
        message.push_str(&format!(" (did you mean {suggestion}?)"));
    }
    message
}

/// Points at the `<<DELIM` that opened the heredoc: the last line up to `line` with it.
fn unterminated_heredoc(rest: &str, line: usize, lines: &LineIndex) -> ParseError {
    let delim = rest.split(')').next().unwrap_or("");
    let opener = (1..=line.min(lines.line_count())).rev().find_map(|l| {
        let text = lines.line_text(l);
        let at = text.find("<<")?;
        text[at..]
            .contains(delim)
            .then(|| (l, text[..at].chars().count() + 1))
    });
    let (line, column) = opener.unwrap_or((line, 1));
    ParseError {
        line,
        column,
        message: format!("unterminated heredoc: no line closes it with {delim:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_closest_instruction_in_the_same_case() {
        assert_eq!(
            unknown_instruction("FORM"),
            "unknown instruction: FORM (did you mean FROM?)"
        );
        assert_eq!(
            unknown_instruction("cpoy"),
            "unknown instruction: cpoy (did you mean copy?)"
        );
        assert_eq!(unknown_instruction("xyzzy"), "unknown instruction: xyzzy");
    }
}
