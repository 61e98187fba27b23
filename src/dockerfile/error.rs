//! Dockerfile syntax errors: a message for people plus the 1-based line and column.

use super::position::LineIndex;

/// A Dockerfile that Docker would reject before building.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ParseError {
    /// 1-based line (0 when the error concerns the whole file, e.g. an empty file).
    pub line: usize,
    /// 1-based column in characters (0 when `line` is 0).
    pub column: usize,
    /// What is wrong, in Docker's words where Docker has words for it.
    pub message: String,
}

impl ParseError {
    pub(crate) fn at(lines: &LineIndex, offset: usize, message: impl Into<String>) -> Self {
        let (line, column) = lines.line_col(offset);
        ParseError {
            line,
            column,
            message: message.into(),
        }
    }

    pub(crate) fn whole_file(message: impl Into<String>) -> Self {
        ParseError {
            line: 0,
            column: 0,
            message: message.into(),
        }
    }

    /// `file:line:col: error: message`, then the source line and a caret under the column.
    pub fn render(&self, file_name: &str, source: &str) -> String {
        if self.line == 0 {
            return format!("{file_name}: error: {}\n", self.message);
        }
        let lines = LineIndex::new(source);
        let (text, column) = shown_part(lines.line_text(self.line), self.column);
        let gutter = self.line.to_string().len();
        let pad = " ".repeat(gutter);
        let caret_pad: String = text
            .chars()
            .take(column.saturating_sub(1))
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        format!(
            "{file_name}:{}:{}: error: {}\n{pad} |\n{} | {}\n{pad} | {caret_pad}^\n",
            self.line,
            self.column,
            self.message,
            self.line,
            printable(&text),
        )
    }
}

/// At most [`SHOWN_CHARS`] characters of a long source line, around `column` and marked
/// `…` where cut, and the column within them: a 64 KiB line is not printed whole.
fn shown_part(text: &str, column: usize) -> (String, usize) {
    let count = text.chars().count();
    if count <= SHOWN_CHARS {
        return (text.to_string(), column);
    }
    let start = column
        .saturating_sub(SHOWN_CHARS / 2)
        .min(count - SHOWN_CHARS);
    let mut shown: String = text.chars().skip(start).take(SHOWN_CHARS).collect();
    let mut column = column - start;
    if start > 0 {
        shown.insert(0, '…');
        column += 1;
    }
    if start + SHOWN_CHARS < count {
        shown.push('…');
    }
    (shown, column)
}

/// How much of a source line a diagnostic shows.
const SHOWN_CHARS: usize = 120;

/// Replaces control characters so a binary line cannot garble the terminal.
pub(crate) fn printable(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() && c != '\t' {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_points_at_the_column() {
        let err = ParseError {
            line: 2,
            column: 1,
            message: "unknown instruction: FORM".into(),
        };
        let out = err.render("Dockerfile", "FROM a\nFORM b\n");
        assert_eq!(
            out,
            "Dockerfile:2:1: error: unknown instruction: FORM\n  |\n2 | FORM b\n  | ^\n"
        );
    }
}
