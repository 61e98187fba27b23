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
///
/// Only the text [`empty_entrypoints`] rewrote (`[`, blanks, `]`) is restored. Anything else
/// that starts with `[` is malformed JSON (`ENTRYPOINT ["sh", "-c"`), which Docker's parser
/// keeps as shell form (moby/buildkit `parser/line_parsers.go`, `parseMaybeJSON`).
pub fn restore_empty_entrypoint(mut inst: Instruction, source: &str) -> Instruction {
    if let Args::Onbuild(inner) = inst.args {
        inst.args = Args::Onbuild(Box::new(restore_empty_entrypoint(*inner, source)));
        return inst;
    }
    if let Args::Command(CommandForm::Shell { span, .. }) = &inst.args {
        if inst.keyword == Keyword::Entrypoint && is_empty_array(source.get(span.clone())) {
            inst.args = Args::Command(CommandForm::Exec {
                args: Vec::new(),
                span: span.clone(),
            });
        }
    }
    inst
}

/// True for `[` blanks `]`, the only text [`empty_entrypoints`] replaces.
fn is_empty_array(text: Option<&str>) -> bool {
    text.map(|t| t.trim_end_matches([' ', '\t', '\r']))
        .and_then(|t| t.strip_prefix('['))
        .and_then(|t| t.strip_suffix(']'))
        .is_some_and(|inside| inside.chars().all(|c| c == ' ' || c == '\t'))
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

    /// Issue 13, item 6: every `ENTRYPOINT` starting with `[` was restored as `ENTRYPOINT []`,
    /// so a malformed array lost its text and its `JSONArgsRecommended`. BuildKit keeps
    /// malformed JSON as shell form (`parseMaybeJSON`; its parser test files
    /// `jeztah-invalid-json-unterminated-bracket` and `-unterminated-string`).
    #[test]
    fn only_the_patched_empty_array_is_restored_as_exec_form() {
        let form = |src: &str| {
            let df = crate::dockerfile::parse(src).unwrap();
            let inst = df.instructions.last().unwrap().clone();
            match inst.args {
                Args::Onbuild(inner) => inner.args,
                args => args,
            }
        };
        for src in [
            "FROM a\nENTRYPOINT []\n",
            "FROM a\nENTRYPOINT [ \t]  \r\n",
            "FROM a\nONBUILD ENTRYPOINT []\n",
        ] {
            assert!(
                matches!(form(src), Args::Command(CommandForm::Exec { args, .. }) if args.is_empty()),
                "{src:?}"
            );
        }
        for (src, text) in [
            ("FROM a\nENTRYPOINT [\"sh\", \"-c\"\n", "[\"sh\", \"-c\""),
            ("FROM a\nENTRYPOINT [\"a]\n", "[\"a]"),
            ("FROM a\nENTRYPOINT [] x\n", "[] x"),
            ("FROM a\nONBUILD ENTRYPOINT [\"a\"\n", "[\"a\""),
        ] {
            match form(src) {
                Args::Command(CommandForm::Shell { text: got, .. }) => assert_eq!(got, text),
                other => panic!("{src:?} parsed as {other:?}"),
            }
        }
    }
}
