//! Same-length edits to the text handed to `parse-dockerfile`, for inputs Docker accepts
//! and the crate 0.1.9 does not. Every edit keeps each byte offset, so spans still point
//! into the original source.

use std::borrow::Cow;

use super::model::{Args, CommandForm, Instruction, Keyword};

/// Replaces the `[]` of every `ENTRYPOINT []` line with `""` (same length, so spans hold).
pub fn empty_entrypoints(text: &str) -> Cow<'_, str> {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::Regex::new(
            r"(?mi)^([ \t]*(?:onbuild[ \t]+)?entrypoint[ \t]*)\[([ \t]*)\]([ \t]*\r?)$",
        )
        .expect("static regex")
    });
    re.replace_all(text, "$1\"$2\"$3")
}

/// Turns the stand-in shell form of a patched `ENTRYPOINT []` back into an empty exec form.
pub fn restore_empty_entrypoint(mut inst: Instruction, source: &str) -> Instruction {
    if let Args::Onbuild(inner) = inst.args {
        inst.args = Args::Onbuild(Box::new(restore_empty_entrypoint(*inner, source)));
        return inst;
    }
    if let Args::Command(CommandForm::Shell { span, .. }) = &inst.args {
        if inst.keyword == Keyword::Entrypoint && source[span.clone()].starts_with('[') {
            inst.args = Args::Command(CommandForm::Exec {
                args: Vec::new(),
                span: span.clone(),
            });
        }
    }
    inst
}

/// Leading Unicode whitespace (a no-break space, say) is blank to Docker (`unicode.IsSpace`)
/// but not to the crate: replace each such character by as many ASCII spaces as it has bytes.
pub fn leading_unicode_spaces(text: &str) -> Cow<'_, str> {
    let needs = text
        .split('\n')
        .any(|line| leading_odd_space(line).is_some());
    if !needs {
        return Cow::Borrowed(text);
    }
    let lines: Vec<String> = text
        .split('\n')
        .map(|line| match leading_odd_space(line) {
            Some(end) => {
                let fixed: String = line[..end]
                    .chars()
                    .map(|c| {
                        if c.is_ascii() {
                            c.to_string()
                        } else {
                            " ".repeat(c.len_utf8())
                        }
                    })
                    .collect();
                fixed + &line[end..]
            }
            None => line.to_owned(),
        })
        .collect();
    Cow::Owned(lines.join("\n"))
}

/// End of a line's leading whitespace if it contains a non-ASCII space.
fn leading_odd_space(line: &str) -> Option<usize> {
    let end = line
        .find(|c: char| !c.is_whitespace())
        .unwrap_or(line.len());
    (!line[..end].is_ascii()).then_some(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_keep_the_length() {
        let text = "FROM a\n\u{a0}\u{3000}RUN x\nENTRYPOINT [ ]\r\n";
        let fixed = leading_unicode_spaces(text);
        assert_eq!(fixed.len(), text.len());
        assert!(fixed.contains("\n     RUN x"));
        let fixed = empty_entrypoints(text);
        assert_eq!(fixed.len(), text.len());
        assert!(fixed.contains("ENTRYPOINT \" \"\r\n"));
    }
}
