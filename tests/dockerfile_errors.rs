//! Syntax errors: never a panic, always a clear message with the line and column Docker
//! would blame, and a rendering with the source line and a caret.

use dockjob::dockerfile;

/// (source, line, column, message)
const ERRORS: &[(&str, usize, usize, &str)] = &[
    (
        "FROM alpine\nFORM x\n",
        2,
        1,
        "unknown instruction: FORM (did you mean FROM?)",
    ),
    (
        "FROM alpine\n  COPPY a b\n",
        2,
        3,
        "unknown instruction: COPPY (did you mean COPY?)",
    ),
    (
        "FROM alpine\nfrobnicate\n",
        2,
        1,
        "unknown instruction: frobnicate",
    ),
    (
        "FROM alpine\nSHELL /bin/sh -c\n",
        2,
        7,
        "expected JSON array",
    ),
    (
        "FROM alpine\nSHELL [\"/bin/sh\", \"-c\"\n",
        2,
        7,
        "invalid JSON",
    ),
    (
        "FROM alpine\nRUN cat <<EOF\nhello\n",
        2,
        9,
        "unterminated heredoc: no line closes it with \"EOF\"",
    ),
    (
        "FROM alpine\nCOPY --from build /a /b\n",
        2,
        6,
        "missing a value on flag: from",
    ),
    (
        "FROM alpine\nCOPY --form=build /a /b\n",
        2,
        6,
        "unknown flag: form",
    ),
    (
        "FROM alpine\nCOPY --link=maybe a b\n",
        2,
        6,
        "expecting boolean value for flag link, not: maybe",
    ),
    (
        "FROM --platform alpine\n",
        1,
        6,
        "missing a value on flag: platform",
    ),
    ("", 0, 0, "the Dockerfile cannot be empty"),
    (
        "\n  \n# only a comment\n",
        0,
        0,
        "file with no instructions",
    ),
    ("ARG A=1\n", 0, 0, "dockerfile contains no stages to build"),
    (
        "RUN echo\nFROM alpine\n",
        1,
        1,
        "no build stage in current context",
    ),
    (
        "FROM alpine AS one two\n",
        1,
        20,
        "FROM requires either one or three arguments",
    ),
    (
        "FROM alpine # trailing comment\n",
        1,
        13,
        "FROM requires either one or three arguments",
    ),
    (
        "FROM alpine AS 1st\n",
        1,
        16,
        "invalid name for build stage: \"1st\", name can't start with a number or contain symbols",
    ),
    (
        "FROM alpine\nONBUILD FROM x\n",
        2,
        9,
        "FROM isn't allowed as an ONBUILD trigger",
    ),
    (
        "FROM alpine\nENV\n",
        2,
        1,
        "ENV requires at least one argument",
    ),
    (
        "FROM alpine\nENV ONLYKEY\n",
        2,
        5,
        "ENV must have two arguments",
    ),
    (
        "FROM alpine\nLABEL a=b c\n",
        2,
        11,
        "Syntax error - can't find = in \"c\". Must be of the form: name=value",
    ),
    ("FROM alpine\nENV =x\n", 2, 5, "ENV names can not be blank"),
    (
        "FROM alpine\nCOPY onlyone\n",
        2,
        1,
        "COPY requires at least two arguments, but only one was provided. Destination could not be determined.",
    ),
    (
        "FROM alpine\nONBUILD\n",
        2,
        1,
        "ONBUILD requires at least one argument",
    ),
    ("# escape=x\nFROM alpine\n", 1, 10, "invalid escape 'x'"),
    (
        "FROM alpine\nCMD [1, 2]\n",
        2,
        5,
        "when using JSON array syntax, arrays must be comprised of strings only",
    ),
    (
        "FROM alpine\nRUN [\"echo\", true]\n",
        2,
        5,
        "when using JSON array syntax, arrays must be comprised of strings only",
    ),
    (
        "FROM alpine\nHEALTHCHECK CMD\n",
        2,
        1,
        "Missing command after HEALTHCHECK CMD",
    ),
];

#[test]
fn each_syntax_error_has_docker_wording_and_position() {
    let mut failures = Vec::new();
    for (source, line, column, message) in ERRORS {
        match dockerfile::parse(source) {
            Ok(_) => failures.push(format!("{source:?}: parsed, expected {message:?}")),
            Err(e) => {
                if (e.line, e.column, e.message.as_str()) != (*line, *column, *message) {
                    failures.push(format!(
                        "{source:?}: got {}:{} {:?}, expected {line}:{column} {message:?}",
                        e.line, e.column, e.message
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn binary_files_are_errors_not_panics() {
    let elf = b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x3e\x00";
    let e = dockerfile::parse_bytes(elf).unwrap_err();
    assert_eq!((e.line, e.column), (1, 8)); // the first NUL byte
    let png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR";
    let e = dockerfile::parse_bytes(png).unwrap_err();
    assert_eq!(e.line, 1);
    assert!(e.message.contains("not valid UTF-8"), "{}", e.message);
    let control = "\u{1}\u{2}garbage here\n";
    let e = dockerfile::parse(control).unwrap_err();
    assert_eq!((e.line, e.column), (1, 1));
    let rendered = e.render("Dockerfile", control);
    assert!(
        !rendered.contains('\u{1}'),
        "control characters are not echoed: {rendered:?}"
    );
}

#[test]
fn rendered_errors_show_the_line_and_a_caret() {
    let source = "FROM alpine\nCOPY --from build /a /b\n";
    let e = dockerfile::parse(source).unwrap_err();
    insta::assert_snapshot!("error_flag_without_value", e.render("Dockerfile", source));
    let source = "FROM alpine\nRUN cat <<EOF > /x\nhello\n";
    let e = dockerfile::parse(source).unwrap_err();
    insta::assert_snapshot!("error_unterminated_heredoc", e.render("Dockerfile", source));
}

#[test]
fn onbuild_heredoc_markers_are_plain_words() {
    // Docker finds no heredoc on ONBUILD lines: `<<EOF` is a word, the next line an instruction.
    let df = dockerfile::parse("FROM a\nONBUILD COPY <<EOF /x\nRUN true\n").unwrap();
    let dockerfile::Args::Onbuild(inner) = &df.instructions[1].args else {
        panic!("not ONBUILD")
    };
    let dockerfile::Args::Copy { sources, .. } = &inner.args else {
        panic!("not COPY")
    };
    assert_eq!(sources[0].value, "<<EOF");
    assert_eq!(df.instructions.len(), 3);
}

#[test]
fn empty_continuation_before_a_multibyte_last_character_does_not_panic() {
    let source = "FROM a\nRUN echo \\\n\n  caf\u{e9}\n";
    let df = dockerfile::parse(source).unwrap();
    let diags = dockjob::dockerfile::lint::lint(&df, &Default::default());
    let empty = diags
        .iter()
        .find(|d| d.rule == "NoEmptyContinuation")
        .unwrap();
    assert_eq!(empty.line, 4);
}

#[test]
fn unicode_indentation_is_whitespace_as_in_docker() {
    let df = dockerfile::parse("FROM a\n\u{a0}\u{a0}RUN echo hi\n").unwrap();
    assert_eq!(df.instructions[1].keyword_text, "RUN");
    assert_eq!(df.line_col(df.instructions[1].span.start), (2, 3));
}

#[test]
fn the_first_error_in_the_file_is_reported() {
    let e = dockerfile::parse("FROM a\nCOPY --bogus a b\nRUN x\nFORM y\n").unwrap_err();
    assert_eq!((e.line, e.message.as_str()), (2, "unknown flag: bogus"));
}
