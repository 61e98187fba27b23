//! Byte offset → 1-based `line:column` mapping, and access to a source line for carets.
//!
//! Columns count characters (not bytes), so a caret lines up under non-ASCII text. Lines end
//! at `\n`; a `\r` before it (CRLF files) is not part of the line's text.

/// Line starts of one source text.
#[derive(Debug, Clone, Default)]
pub struct LineIndex {
    text: String,
    line_starts: Vec<usize>,
}

impl LineIndex {
    /// Indexes `text`.
    pub fn new(text: &str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex {
            text: text.to_owned(),
            line_starts,
        }
    }

    /// 1-based line and character column of `offset` (clamped to the text).
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = self.floor_char_boundary(offset.min(self.text.len()));
        let line = self.line_starts.partition_point(|&s| s <= offset);
        let start = self.line_starts[line - 1];
        // A BOM is invisible: it does not count as a column.
        let before = &self.text[start..offset];
        let column = before
            .strip_prefix('\u{feff}')
            .unwrap_or(before)
            .chars()
            .count()
            + 1;
        (line, column)
    }

    /// The text of 1-based `line` without its line ending; empty past the end.
    pub fn line_text(&self, line: usize) -> &str {
        let Some(&start) = self.line_starts.get(line.wrapping_sub(1)) else {
            return "";
        };
        let end = self
            .line_starts
            .get(line)
            .map_or(self.text.len(), |&e| e - 1);
        let text = &self.text[start..end.max(start)];
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        text.strip_suffix('\r').unwrap_or(text)
    }

    /// The whole indexed text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Number of lines.
    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    fn floor_char_boundary(&self, mut offset: usize) -> usize {
        while offset > 0 && !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        offset
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_offsets_to_lines_and_character_columns() {
        let index = LineIndex::new("ab\r\nçd\nx");
        assert_eq!(index.line_col(0), (1, 1));
        assert_eq!(index.line_col(1), (1, 2));
        assert_eq!(index.line_col(4), (2, 1));
        assert_eq!(index.line_col(6), (2, 2)); // after the 2-byte 'ç'
        assert_eq!(index.line_col(8), (3, 1));
        assert_eq!(index.line_col(100), (3, 2));
        assert_eq!(index.line_text(1), "ab");
        assert_eq!(index.line_text(2), "çd");
        assert_eq!(index.line_text(3), "x");
        assert_eq!(index.line_text(4), "");
    }
}
