//! Parser directives at the top of a Dockerfile (`# syntax=`, `# escape=`, `# check=`).
//!
//! Rules from moby/buildkit `frontend/dockerfile/parser/directives.go`: directives are
//! `# key=value` lines before any instruction, comment or blank line; keys are
//! case-insensitive; unknown keys end the directive block like any comment.

use super::model::{Directives, Span};

/// Reads the directive block at the start of `source` (after a BOM, at offset `base`).
pub fn read(source: &str, base: usize) -> Directives {
    let mut directives = Directives {
        escape: '\\',
        ..Directives::default()
    };
    let mut pos = base;
    let mut seen_escape = false;
    while pos < source.len() {
        let line_end = source[pos..].find('\n').map_or(source.len(), |i| pos + i);
        let line = source[pos..line_end].trim_end_matches('\r');
        let Some((key, value, value_start)) = directive(line) else {
            break;
        };
        let value_span: Span = pos + value_start..pos + value_start + value.len();
        match key.to_ascii_lowercase().as_str() {
            "syntax" if directives.syntax.is_none() => directives.syntax = Some(value.to_owned()),
            "escape" if !seen_escape => {
                seen_escape = true;
                if value == "`" {
                    directives.escape = '`';
                }
            }
            "check" if directives.check.is_none() => {
                directives.check = Some(value.to_owned());
                directives.check_span = Some(value_span);
            }
            "syntax" | "escape" | "check" => {}
            _ => break,
        }
        pos = line_end + 1;
    }
    directives
}

/// `# key = value` → (key, value, offset of value in the line).
fn directive(line: &str) -> Option<(&str, &str, usize)> {
    let rest = line.strip_prefix('#')?;
    let key_start = line.len() - rest.trim_start().len();
    let rest = &line[key_start..];
    let key_len = rest
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(rest.len());
    let key = &rest[..key_len];
    if key.is_empty() || !key.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return None;
    }
    let after = rest[key_len..].trim_start();
    let value_part = after.strip_prefix('=')?;
    let value = value_part.trim();
    if value.is_empty() {
        return None;
    }
    let value_start = line.len() - value_part.trim_start().len();
    Some((key, value, value_start))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_directives_until_the_first_other_line() {
        let src = "# syntax=docker/dockerfile:1\n#escape=`\n# check=skip=JSONArgsRecommended;error=true\n\n# check=x\nFROM a";
        let d = read(src, 0);
        assert_eq!(d.syntax.as_deref(), Some("docker/dockerfile:1"));
        assert_eq!(d.escape, '`');
        assert_eq!(
            d.check.as_deref(),
            Some("skip=JSONArgsRecommended;error=true")
        );
        let span = d.check_span.unwrap();
        assert_eq!(&src[span], "skip=JSONArgsRecommended;error=true");
        let d = read("# a comment\n# check=error=true\nFROM a", 0);
        assert_eq!(d.check, None);
        assert_eq!(d.escape, '\\');
    }
}
