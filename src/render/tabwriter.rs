//! A port of Go's `text/tabwriter` layout (flags 0, no escapes), which kubectl uses for
//! every table and every `describe`: cells end at `\t`, a line's last cell is not part of
//! any column, and a column block is a run of consecutive lines that have a cell in that
//! column (`text/tabwriter/tabwriter.go`, `format`). Pure.

/// Tabwriter settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TabConfig {
    /// Minimal cell width, padding included.
    pub min_width: usize,
    /// Spaces added to the widest cell of a column.
    pub padding: usize,
}

/// `kubectl get` tables: minwidth 6, padding 3 (`cli-runtime/pkg/printers/tabwriter.go`).
pub const TABLE: TabConfig = TabConfig {
    min_width: 6,
    padding: 3,
};

/// `kubectl describe`: minwidth 0, padding 2 (`kubectl/pkg/describe/describe.go`, `tabbedString`).
pub const DESCRIBE: TabConfig = TabConfig {
    min_width: 0,
    padding: 2,
};

/// Lays out `text` (lines of tab-terminated cells) as Go's tabwriter would, space-padded.
pub fn align(text: &str, config: TabConfig) -> String {
    let ends_with_newline = text.ends_with('\n');
    let body = text.strip_suffix('\n').unwrap_or(text);
    let lines: Vec<Vec<&str>> = body.split('\n').map(|l| l.split('\t').collect()).collect();
    let mut out = String::with_capacity(text.len() * 2);
    let mut widths = Vec::new();
    format(&lines, 0, lines.len(), &mut widths, config, &mut out);
    // `format` writes a newline after every line; the last one only if the input had it.
    if !ends_with_newline {
        out.pop();
    }
    out
}

fn width(cell: &str) -> usize {
    cell.chars().count()
}

/// Go's recursive `format`: finds the column blocks of column `widths.len()` within
/// `line0..line1`, sizes each, and recurses into the next column.
fn format(
    lines: &[Vec<&str>],
    mut line0: usize,
    line1: usize,
    widths: &mut Vec<usize>,
    config: TabConfig,
    out: &mut String,
) {
    let column = widths.len();
    let mut this = line0;
    while this < line1 {
        if column + 1 >= lines[this].len() {
            this += 1;
            continue;
        }
        write_lines(lines, line0, this, widths, out);
        line0 = this;
        let mut column_width = config.min_width;
        while this < line1 && column + 1 < lines[this].len() {
            column_width = column_width.max(width(lines[this][column]) + config.padding);
            this += 1;
        }
        widths.push(column_width);
        format(lines, line0, this, widths, config, out);
        widths.pop();
        line0 = this;
    }
    write_lines(lines, line0, line1, widths, out);
}

fn write_lines(
    lines: &[Vec<&str>],
    line0: usize,
    line1: usize,
    widths: &[usize],
    out: &mut String,
) {
    for line in &lines[line0..line1] {
        for (j, cell) in line.iter().enumerate() {
            out.push_str(cell);
            if j < widths.len() {
                let pad = widths[j].saturating_sub(width(cell));
                out.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_columns_are_padded_by_three_with_a_minimum_of_six() {
        let text = "NAME\tSTATUS\tAGE\npi\tComplete\t5s\n";
        assert_eq!(
            align(text, TABLE),
            "NAME   STATUS     AGE\npi     Complete   5s\n"
        );
    }

    #[test]
    fn a_line_without_tabs_ends_the_column_block() {
        // As in `kubectl describe`: sections are aligned separately.
        let text = "Name:\tpi\nNamespace:\tdefault\nPod Template:\n  Labels:\tx\n";
        assert_eq!(
            align(text, DESCRIBE),
            "Name:       pi\nNamespace:  default\nPod Template:\n  Labels:  x\n"
        );
    }

    #[test]
    fn a_tab_terminated_last_cell_is_padded_and_an_empty_cell_too() {
        assert_eq!(align("IP:\t\nNode:\tx\n", DESCRIBE), "IP:    \nNode:  x\n");
        assert_eq!(align("a\tb\n\tc\n", DESCRIBE), "a  b\n   c\n");
    }

    #[test]
    fn nested_columns_only_span_lines_that_have_them() {
        let text = "a\tb\tc\naaaa\tb\nx\tyyyyy\tz\n";
        assert_eq!(
            align(text, DESCRIBE),
            "a     b  c\naaaa  b\nx     yyyyy  z\n"
        );
    }
}
