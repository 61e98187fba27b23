use super::*;
use crate::dockerfile::parse;

/// (feature, line, column, end column, what) of each gap.
fn gaps(src: &str) -> Vec<(Feature, usize, usize, usize, String)> {
    let df = parse(src).unwrap_or_else(|e| panic!("{src:?}: {e:?}"));
    builtin_frontend_gaps(&df)
        .into_iter()
        .map(|g| (g.feature, g.line, g.column, g.end_column, g.what))
        .collect()
}

fn with_syntax(src: &str) -> String {
    format!("# syntax=docker/dockerfile:1\n{src}")
}

#[test]
fn heredocs_point_at_each_marker_and_fix_by_instruction() {
    let src = "FROM a:1\nRUN <<EOF\necho hi\nEOF\nCOPY <<A <<B /etc/\na\nA\nb\nB\n";
    let df = parse(src).unwrap();
    let found = builtin_frontend_gaps(&df);
    let at: Vec<_> = found
        .iter()
        .map(|g| (g.line, g.column, g.end_column))
        .collect();
    assert_eq!(at, [(2, 5, 10), (5, 6, 9), (5, 10, 13)]);
    assert!(found.iter().all(|g| g.feature == Feature::Heredoc));
    assert_eq!(found[0].fix, "rewrite the RUN without a heredoc");
    assert_eq!(
        found[1].fix,
        "put the file in the build context and COPY it from there"
    );
    assert!(gaps(&with_syntax(src)).is_empty());
    // Not heredocs in Docker either: ONBUILD triggers and exec form.
    assert!(gaps("FROM a:1\nONBUILD RUN <<EOF\nRUN [\"cat\", \"<<EOF\"]\n").is_empty());
}

#[test]
fn flags_the_builtin_frontend_does_not_declare() {
    let lines = [
        "RUN --network=none true",
        "RUN --security=insecure true",
        "RUN --device=name true",
        "COPY --link a /b",
        "COPY --parents a/b /c",
        "COPY --exclude=*.md a /b",
        "ADD --link a /b",
        "ADD --keep-git-dir=true a /b",
        "ADD --checksum=sha256:0123 https://example.com/f /f",
        "ADD --exclude=*.md a /b",
        "ADD --unpack=true https://example.com/f.tgz /f",
        "HEALTHCHECK --start-interval=1s CMD true",
    ];
    for line in lines {
        let src = format!("FROM a:1\n{line}\n");
        let keyword = line.split(' ').next().unwrap();
        let flag = line.split(' ').nth(1).unwrap();
        let name = flag.split('=').next().unwrap();
        let start = keyword.len() + 2;
        assert_eq!(
            gaps(&src),
            [(
                Feature::Flag,
                2,
                start,
                start + flag.len(),
                format!("{keyword} {name}")
            )],
            "{line}"
        );
        assert!(gaps(&with_syntax(&src)).is_empty(), "{line}");
    }
    let supported = "FROM --platform=$BUILDPLATFORM a:1 AS b\nRUN --mount=type=cache,target=/c,id=x,sharing=locked,mode=0755,uid=1,gid=1 true\nRUN --mount=type=secret,id=s,required true\nCOPY --from=b --chown=1:1 --chmod=0755 a /b\nADD --chown=1 --chmod=644 a /b\nHEALTHCHECK --interval=1s --timeout=1s --start-period=1s --retries=3 CMD true\n";
    assert!(gaps(supported).is_empty());
}

#[test]
fn mount_options_size_and_env_point_at_the_option() {
    let src = "FROM a:1\nRUN --mount=type=tmpfs,target=/t,size=64m --mount=type=secret,id=tok,env=TOKEN true\n";
    let found = gaps(src);
    assert_eq!(
        found,
        [
            (
                Feature::MountOption,
                2,
                34,
                42,
                "the RUN --mount option size=".to_owned()
            ),
            (
                Feature::MountOption,
                2,
                70,
                79,
                "the RUN --mount option env=".to_owned()
            ),
        ]
    );
    assert!(gaps(&with_syntax(src)).is_empty());
}

#[test]
fn symbolic_chmod_but_not_octal_or_variables() {
    assert_eq!(
        gaps("FROM a:1\nCOPY --chmod=u+x a /b\nADD --chmod=a=rX,u+w a /b\n"),
        [
            (
                Feature::SymbolicChmod,
                2,
                6,
                17,
                "COPY --chmod=u+x (a symbolic mode)".to_owned()
            ),
            (
                Feature::SymbolicChmod,
                3,
                5,
                21,
                "ADD --chmod=a=rX,u+w (a symbolic mode)".to_owned()
            ),
        ]
    );
    assert!(gaps("FROM a:1\nCOPY --chmod=755 a /b\nCOPY --chmod=$MODE a /b\n").is_empty());
    assert!(gaps("# syntax=docker/dockerfile:1.14\nFROM a:1\nCOPY --chmod=u+x a /b\n").is_empty());
}

#[test]
fn add_of_a_git_repository() {
    let src = "FROM a:1\nADD https://github.com/o/r.git#main:sub /src\nADD git@github.com:o/r.git /r\nCOPY git@github.com:o/r.git /r\n";
    assert_eq!(
        gaps(src),
        [
            (
                Feature::AddGit,
                2,
                5,
                40,
                "ADD of a git repository".to_owned()
            ),
            (
                Feature::AddGit,
                3,
                5,
                27,
                "ADD of a git repository".to_owned()
            ),
        ]
    );
    assert!(gaps(&with_syntax(src)).is_empty());
    for git in [
        "ssh://git@host/r",
        "GIT://host/r",
        "http://h/r.git?ref=v1",
        "u@h:p#ref",
    ] {
        assert!(is_git_ref(git), "{git}");
    }
    for not in [
        "https://example.com/f.tar.gz",
        "https://example.git",
        "github.com/o/r",
        "./u@h:p",
        "ftp://h/r.git",
        "$REPO",
        "src/",
        "://x",
    ] {
        assert!(!is_git_ref(not), "{not}");
    }
}

#[test]
fn substitutions_the_builtin_lexer_rejects() {
    let src = "FROM a:1\nENV A=${B%.txt} C=\"${D#./}\"\nWORKDIR /${B/x/y}\nCOPY ${S-src} \\\n  ${T+t} /x\n";
    let what = |w: &str| format!("the substitution {w}");
    assert_eq!(
        gaps(src),
        [
            (Feature::Substitution, 2, 7, 16, what("${B%.txt}")),
            (Feature::Substitution, 2, 20, 27, what("${D#./}")),
            (Feature::Substitution, 3, 10, 18, what("${B/x/y}")),
            (Feature::Substitution, 4, 6, 14, what("${S-src}")),
            (Feature::Substitution, 5, 3, 9, what("${T+t}")),
        ]
    );
    assert!(gaps(&with_syntax(src)).is_empty());
    // Supported forms, quoted or escaped text, and what the shell (not BuildKit) expands.
    let quiet = "FROM a:1\nENV A=${B:-x} C=${B:+y} D=${B:?m} E=${B?m} F=$B%x G='${B%x}' H=\\${B%x}\nRUN echo ${B%x}\nCMD echo ${B#x}\n";
    assert!(gaps(quiet).is_empty());
}

#[test]
fn syntax_directive_as_engine_20_10_detects_it() {
    assert!(has_syntax_directive(
        "#syntax = docker/dockerfile:1.4\r\nFROM a\n"
    ));
    assert!(has_syntax_directive("# escape=`\n# syntax=x\nFROM a\n"));
    // v0.8's ParseDirectives goes on past unknown keys (today's parser stops there).
    assert!(has_syntax_directive("# foo=bar\n# syntax=x\nFROM a\n"));
    assert!(!has_syntax_directive("\n# syntax=x\nFROM a\n"));
    assert!(!has_syntax_directive("# syntax=\nFROM a\n"));
    assert!(!has_syntax_directive("FROM a\n# syntax=x\n"));
    // It skips no BOM, so a BOM hides the directive from engine 20.10.
    assert!(!has_syntax_directive("\u{feff}# syntax=x\nFROM a\n"));
    assert_eq!(
        gaps("\u{feff}# syntax=x\nFROM a:1\nCOPY --link a /b\n").len(),
        1
    );
}

#[test]
fn renders_like_the_other_diagnostics() {
    let src = "FROM a:1\n\nRUN <<EOF\necho hi\nEOF\n";
    let df = parse(src).unwrap();
    let out = render("Dockerfile", src, &builtin_frontend_gaps(&df));
    assert_eq!(
        out,
        "Dockerfile:3:5: error[BuiltinFrontend]: heredocs need a newer Dockerfile frontend than Docker Engine 20.10's built-in one; add \"# syntax=docker/dockerfile:1\" as the first line (the engine must be able to pull docker/dockerfile:1 from a reachable registry) or rewrite the RUN without a heredoc\n  |\n3 | RUN <<EOF\n  |     ^^^^^\n"
    );
    let df = parse("FROM a:1\nCOPY --link a /b\n").unwrap();
    let gap = &builtin_frontend_gaps(&df)[0];
    assert!(gap
        .message()
        .starts_with("COPY --link needs a newer Dockerfile frontend"));
    assert!(gap.message().ends_with(" or drop --link"));
}

#[test]
fn odd_text_does_not_panic() {
    for src in [
        "FROM a:1\r\nENV A=${é%x} B=${C%é}\r\n",
        "FROM a:1\nENV A=${B%\n",
        "FROM a:1\nENV A=$\n",
        "FROM a:1\nLABEL a=\"${B#\"\n",
        "\u{feff}FROM a:1\nRUN <<EOF\nÄ\nEOF\n",
        "FROM a:1\nRUN --mount=\"type=tmpfs,size=1\" true\n",
        "FROM a:1\nRUN --mount=type=tmpfs,s\\\n  ize=1 true\n",
    ] {
        if let Ok(df) = parse(src) {
            let _ = render("Dockerfile", src, &builtin_frontend_gaps(&df));
        }
    }
}
