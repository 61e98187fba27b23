//! No input may panic the parser, the linter, the renderers or the `FROM` rewriter:
//! arbitrary bytes, and arbitrary mixtures of Dockerfile-ish tokens (which reach much deeper
//! into the parser than random bytes do).

use std::collections::BTreeMap;

use dockjob::dockerfile::{self, lint, render};
use proptest::prelude::*;

const TOKENS: &[&str] = &[
    "FROM",
    "from",
    "RUN",
    "run",
    "CMD",
    "ENTRYPOINT",
    "ENV",
    "ARG",
    "LABEL",
    "COPY",
    "ADD",
    "EXPOSE",
    "WORKDIR",
    "USER",
    "VOLUME",
    "SHELL",
    "ONBUILD",
    "HEALTHCHECK",
    "NONE",
    "STOPSIGNAL",
    "MAINTAINER",
    "FORM",
    "AS",
    "as",
    "alpine",
    "alpine:3.10.3",
    "scratch",
    "build",
    "--from=",
    "--from",
    "--link",
    "--chmod=755",
    "--mount=type=cache,target=/x",
    "--platform=$TARGETPLATFORM",
    "--",
    "-",
    "$",
    "${",
    "}",
    "${A:-b}",
    "$A",
    "A=1",
    "A=",
    "=",
    "\"",
    "'",
    "\\",
    "`",
    "[",
    "]",
    "[]",
    "[\"a\"",
    "\"a\",",
    ",",
    "<<",
    "<<EOF",
    "<<-EOF",
    "<<'EOF'",
    "EOF",
    "\tEOF",
    "#",
    "# escape=`",
    "# check=error=true",
    "# check=skip=all",
    "# syntax=x",
    " ",
    "  ",
    "\t",
    "\n",
    "\n",
    "\n",
    "\r\n",
    "\r",
    "\u{feff}",
    "é",
    "日本",
    "\u{0}",
    "\\\n",
    "\\\n\n",
    "é\n",
    "80/TcP",
    "1.2.3.4:80:80",
    "apt-get",
    "install",
    "update",
    "cd",
    "|",
    "||",
    "&&",
    ";",
    "/abs",
    "rel",
    "KEY_TOKEN",
];

fn exercise(source: &str) {
    if let Ok(df) = dockerfile::parse(source) {
        let ignored = |p: &str| p.len() % 2 == 0;
        let opts = lint::LintOptions {
            is_ignored: Some(&ignored),
            ..Default::default()
        };
        let diags = lint::lint(&df, &opts);
        for d in &diags {
            assert!(d.line >= 1 && d.column >= 1, "bad position {d:?}");
            assert!(d.span.end <= source.len(), "span past the end {d:?}");
        }
        let _ = render::text("Dockerfile", source, &diags);
        let _ = render::json("Dockerfile", source, &diags);
        let subs: BTreeMap<String, String> = [
            ("alpine".to_owned(), "x/y:1".to_owned()),
            ("alpine:3.10.3".to_owned(), "z:2".to_owned()),
        ]
        .into();
        let rewritten = dockerfile::rewrite_from(source, &df, &subs);
        assert_eq!(
            rewritten.lines().count(),
            source.lines().count(),
            "rewrite changed the line count"
        );
        let _ = df.stages();
    } else if let Err(e) = dockerfile::parse(source) {
        let _ = e.render("Dockerfile", source);
    }
}

/// Lines that are each a valid instruction (or blank/comment) after a `FROM`.
const VALID_LINES: &[&str] = &[
    "RUN echo $A <<EOF\nbody $B\nEOF\n",
    "ENV A=1 B=\"2 3\"\n",
    "ENV A b c\n",
    "COPY a b\n",
    "CMD x\n",
    "ARG X\n",
    "RUN a \\\n  # comment\n  b\n",
    "\n",
    "# c\n",
    "WORKDIR rel\n",
    "FROM x AS Y\n",
    "EXPOSE 80/TCP\n",
    "LABEL a b\n",
    "HEALTHCHECK NONE\n",
    "COPY --link a b\n",
    "CMD [\"a\"]\n",
    "ENTRYPOINT []\n",
    "run cd /x | y\n",
    "ONBUILD RUN x\n",
    "RUN a \\\n\n b\n",
    "COPY <<A <<B /d/\na\nA\nb\nB\n",
    "USER 1000\r\n",
    "FROM --platform=$TARGETPLATFORM y\n",
    "ADD f.txt /f\n",
    "RUN apt-get update && apt-get install -y x\n",
    "MAINTAINER me\n",
    "VOLUME /v\n",
];

proptest! {
    // DOCKJOB_FUZZ_CASES=100000 for a longer run.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("DOCKJOB_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(1500),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        match dockerfile::parse_bytes(&bytes) {
            Ok(_) => exercise(std::str::from_utf8(&bytes).expect("parsed, so UTF-8")),
            Err(e) => { let _ = e.render("Dockerfile", &String::from_utf8_lossy(&bytes)); }
        }
    }

    #[test]
    fn dockerfile_like_token_soup_never_panics(
        picks in proptest::collection::vec(0..TOKENS.len(), 0..120),
        spaces in proptest::collection::vec(any::<bool>(), 120),
    ) {
        let mut source = String::new();
        for (i, p) in picks.iter().enumerate() {
            source.push_str(TOKENS[*p]);
            if spaces[i] { source.push(' '); }
        }
        exercise(&source);
        let with_from = format!("FROM alpine\n{source}");
        exercise(&with_from);
    }

    #[test]
    fn any_sequence_of_valid_instructions_parses(picks in proptest::collection::vec(0..VALID_LINES.len(), 0..40)) {
        let source: String = std::iter::once("FROM alpine\n").chain(picks.iter().map(|i| VALID_LINES[*i])).collect();
        let df = dockerfile::parse(&source).map_err(|e| TestCaseError::fail(e.render("Dockerfile", &source)))?;
        let lines = source.split('\n').count();
        for d in lint::lint(&df, &lint::LintOptions::default()) {
            prop_assert!(d.line >= 1 && d.line <= lines, "{d:?}");
        }
        prop_assert_eq!(dockerfile::rewrite_from(&source, &df, &BTreeMap::new()), source.clone());
        exercise(&source);
    }
}
