//! moby/patternmatcher test vectors (`patternmatcher_test.go`: TestMatches, TestCompile,
//! TestMatch, TestCleanPatterns*, and the single-pattern `Matches` tests), ported as tables
//! against `dockjob::context`.

use dockjob::context::dockerignore::PatternErrorReason;
use dockjob::context::pattern::{compile_to_go_regex, MatchType};
use dockjob::context::{IgnoreFile, ParentMatches};

#[derive(Clone, Copy, PartialEq, Debug)]
enum Expect {
    Fail,
    Exact,
    Inexact,
}
use Expect::*;

/// patternmatcher_test.go `TestMatches` `tests` (Unix additions included).
const MATCHES: &[(&str, &str, Expect)] = &[
    ("**", "file", Exact),
    ("**", "file/", Exact),
    ("**/", "file", Exact),
    ("**/", "file/", Exact),
    ("**", "/", Exact),
    ("**/", "/", Exact),
    ("**", "dir/file", Exact),
    ("**/", "dir/file", Exact),
    ("**", "dir/file/", Exact),
    ("**/", "dir/file/", Exact),
    ("**/**", "dir/file", Exact),
    ("**/**", "dir/file/", Exact),
    ("dir/**", "dir/file", Exact),
    ("dir/**", "dir/file/", Exact),
    ("dir/**", "dir/dir2/file", Exact),
    ("dir/**", "dir/dir2/file/", Exact),
    ("**/dir", "dir", Exact),
    ("**/dir", "dir/file", Inexact),
    ("**/dir2/*", "dir/dir2/file", Exact),
    ("**/dir2/*", "dir/dir2/file/", Inexact),
    ("**/dir2/**", "dir/dir2/dir3/file", Exact),
    ("**/dir2/**", "dir/dir2/dir3/file/", Exact),
    ("**file", "file", Exact),
    ("**file", "dir/file", Exact),
    ("**/file", "dir/file", Exact),
    ("**file", "dir/dir/file", Exact),
    ("**/file", "dir/dir/file", Exact),
    ("**/file*", "dir/dir/file", Exact),
    ("**/file*", "dir/dir/file.txt", Exact),
    ("**/file*txt", "dir/dir/file.txt", Exact),
    ("**/file*.txt", "dir/dir/file.txt", Exact),
    ("**/file*.txt*", "dir/dir/file.txt", Exact),
    ("**/**/*.txt", "dir/dir/file.txt", Exact),
    ("**/**/*.txt2", "dir/dir/file.txt", Fail),
    ("**/*.txt", "file.txt", Exact),
    ("**/**/*.txt", "file.txt", Exact),
    ("a**/*.txt", "a/file.txt", Exact),
    ("a**/*.txt", "a/dir/file.txt", Exact),
    ("a**/*.txt", "a/dir/dir/file.txt", Exact),
    ("a/*.txt", "a/dir/file.txt", Fail),
    ("a/*.txt", "a/file.txt", Exact),
    ("a/*.txt**", "a/file.txt", Exact),
    ("a[b-d]e", "ae", Fail),
    ("a[b-d]e", "ace", Exact),
    ("a[b-d]e", "aae", Fail),
    ("a[^b-d]e", "aze", Exact),
    (".*", ".foo", Exact),
    (".*", "foo", Fail),
    ("abc.def", "abcdef", Fail),
    ("abc.def", "abc.def", Exact),
    ("abc.def", "abcZdef", Fail),
    ("abc?def", "abcZdef", Exact),
    ("abc?def", "abcdef", Fail),
    ("**/foo/bar", "foo/bar", Exact),
    ("**/foo/bar", "dir/foo/bar", Exact),
    ("**/foo/bar", "dir/dir2/foo/bar", Exact),
    ("abc/**", "abc", Fail),
    ("abc/**", "abc/def", Exact),
    ("abc/**", "abc/def/ghi", Exact),
    ("**/.foo", ".foo", Exact),
    ("**/.foo", "bar.foo", Fail),
    ("a(b)c/def", "a(b)c/def", Exact),
    ("a(b)c/def", "a(b)c/xyz", Fail),
    ("a.|)$(}+{bc", "a.|)$(}+{bc", Exact),
    (
        "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
        "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
        Exact,
    ),
    (
        "dist/*.whl",
        "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
        Exact,
    ),
    ("a\\\\", "a\\", Exact),
    ("a\\*b", "a*b", Exact),
];

/// patternmatcher_test.go `TestMatches` `multiPatternTests`.
const MULTI: &[(&[&str], &str, Expect)] = &[
    (&["**", "!util/docker/web"], "util/docker/web/foo", Fail),
    (
        &["**", "!util/docker/web", "util/docker/web/foo"],
        "util/docker/web/foo",
        Exact,
    ),
    (
        &[
            "**",
            "!dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
        ],
        "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
        Fail,
    ),
    (
        &["**", "!dist/*.whl"],
        "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
        Fail,
    ),
];

fn compile(patterns: &[&str]) -> IgnoreFile {
    // Patterns go through patternmatcher `New` only (no ignore-file reading), like the Go
    // tests: one pattern per line, each line compiled as given.
    let mut file = IgnoreFile::default();
    for (index, pattern) in patterns.iter().enumerate() {
        file.push(index + 1, pattern)
            .unwrap_or_else(|e| panic!("{pattern:?}: {e}"));
    }
    file
}

#[test]
fn matches_exact_vectors() {
    for (pattern, text, expect) in MATCHES {
        let got = compile(&[pattern]).matches_exact(text);
        assert_eq!(
            got,
            *expect == Exact,
            "MatchesExact pattern={pattern:?} text={text:?}"
        );
    }
}

#[test]
fn matches_or_parent_matches_vectors() {
    for (pattern, text, expect) in MATCHES {
        let got = compile(&[pattern]).matches_or_parent_matches(text);
        assert_eq!(
            got,
            *expect != Fail,
            "MatchesOrParentMatches pattern={pattern:?} text={text:?}"
        );
    }
    for (patterns, text, expect) in MULTI {
        let got = compile(patterns).matches_or_parent_matches(text);
        assert_eq!(got, *expect != Fail, "patterns={patterns:?} text={text:?}");
    }
}

/// `MatchesUsingParentResults` subtest: the parents are matched first and their results
/// handed down, as the walker does.
#[test]
fn matches_using_parent_results_vectors() {
    let check = |file: &IgnoreFile, text: &str| {
        let parent = dockjob::context::gopath::dir(text);
        let mut info = ParentMatches::default();
        if parent != "." {
            let parts: Vec<&str> = parent.split('/').collect();
            for depth in 1..=parts.len() {
                info = file
                    .matches_using_parent_results(&parts[..depth].join("/"), &info)
                    .1;
            }
        }
        file.matches_using_parent_results(text, &info).0
    };
    for (pattern, text, expect) in MATCHES {
        let got = check(&compile(&[pattern]), text);
        assert_eq!(got, *expect != Fail, "pattern={pattern:?} text={text:?}");
    }
    for (patterns, text, expect) in MULTI {
        let got = check(&compile(patterns), text);
        assert_eq!(got, *expect != Fail, "patterns={patterns:?} text={text:?}");
    }
}

/// `MatchesUsingParentResultsNoContext` subtest: no parent information at all.
#[test]
fn matches_using_parent_results_without_context_vectors() {
    for (pattern, text, expect) in MATCHES {
        let got = compile(&[pattern])
            .matches_using_parent_results(text, &ParentMatches::default())
            .0;
        assert_eq!(got, *expect != Fail, "pattern={pattern:?} text={text:?}");
    }
    for (patterns, text, expect) in MULTI {
        let got = compile(patterns)
            .matches_using_parent_results(text, &ParentMatches::default())
            .0;
        assert_eq!(got, *expect != Fail, "patterns={patterns:?} text={text:?}");
    }
}

/// patternmatcher_test.go `compileTests` (the slash variant).
#[test]
fn compile_vectors() {
    use MatchType::*;
    let cases: &[(&str, MatchType, &str)] = &[
        ("*", Regexp, "^[^/]*$"),
        ("file*", Regexp, "^file[^/]*$"),
        ("*file", Regexp, "^[^/]*file$"),
        ("a*/b", Regexp, "^a[^/]*/b$"),
        ("**", Suffix, ""),
        ("**/**", Regexp, "^(.*/)?.*$"),
        ("dir/**", Prefix, ""),
        ("**/dir", Suffix, ""),
        ("**/dir2/*", Regexp, "^(.*/)?dir2/[^/]*$"),
        ("**/dir2/**", Regexp, "^(.*/)?dir2/.*$"),
        ("**file", Suffix, ""),
        ("**/file*txt", Regexp, "^(.*/)?file[^/]*txt$"),
        ("**/**/*.txt", Regexp, "^(.*/)?(.*/)?[^/]*\\.txt$"),
        ("a[b-d]e", Regexp, "^a[b-d]e$"),
        (".*", Regexp, "^\\.[^/]*$"),
        ("abc.def", Exact, ""),
        ("abc?def", Regexp, "^abc[^/]def$"),
        ("**/foo/bar", Suffix, ""),
        ("a(b)c/def", Exact, ""),
        ("a.|)$(}+{bc", Exact, ""),
        (
            "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
            Exact,
            "",
        ),
    ];
    for (pattern, want_type, want_regex) in cases {
        let cleaned = dockjob::context::gopath::clean(pattern);
        let (got_type, got_regex) = compile_to_go_regex(&cleaned);
        assert_eq!(got_type, *want_type, "match type of {pattern:?}");
        if *want_type == Regexp {
            assert_eq!(got_regex, *want_regex, "regex of {pattern:?}");
        }
    }
}

/// patternmatcher_test.go `matchTests` through the top-level `Matches` (single parent).
#[test]
fn go_filepath_match_vectors() {
    let cases: &[(&str, &str, Option<bool>)] = &[
        ("abc", "abc", Some(true)),
        ("*", "abc", Some(true)),
        ("*c", "abc", Some(true)),
        ("a*", "a", Some(true)),
        ("a*", "abc", Some(true)),
        ("a*", "ab/c", Some(true)),
        ("a*/b", "abc/b", Some(true)),
        ("a*/b", "a/c/b", Some(false)),
        ("a*b*c*d*e*/f", "axbxcxdxe/f", Some(true)),
        ("a*b*c*d*e*/f", "axbxcxdxexxx/f", Some(true)),
        ("a*b*c*d*e*/f", "axbxcxdxe/xxx/f", Some(false)),
        ("a*b*c*d*e*/f", "axbxcxdxexxx/fff", Some(false)),
        ("a*b?c*x", "abxbbxdbxebxczzx", Some(true)),
        ("a*b?c*x", "abxbbxdbxebxczzy", Some(false)),
        ("ab[c]", "abc", Some(true)),
        ("ab[b-d]", "abc", Some(true)),
        ("ab[e-g]", "abc", Some(false)),
        ("ab[^c]", "abc", Some(false)),
        ("ab[^b-d]", "abc", Some(false)),
        ("ab[^e-g]", "abc", Some(true)),
        ("a\\*b", "a*b", Some(true)),
        ("a\\*b", "ab", Some(false)),
        ("a?b", "a☺b", Some(true)),
        ("a[^a]b", "a☺b", Some(true)),
        ("a???b", "a☺b", Some(false)),
        ("a[^a][^a][^a]b", "a☺b", Some(false)),
        ("[a-ζ]*", "α", Some(true)),
        ("*[a-ζ]", "A", Some(false)),
        ("a?b", "a/b", Some(false)),
        ("a*b", "a/b", Some(false)),
        ("[\\]a]", "]", Some(true)),
        ("[\\-]", "-", Some(true)),
        ("[x\\-]", "x", Some(true)),
        ("[x\\-]", "-", Some(true)),
        ("[x\\-]", "z", Some(false)),
        ("[\\-x]", "x", Some(true)),
        ("[\\-x]", "-", Some(true)),
        ("[\\-x]", "a", Some(false)),
        ("[]a]", "]", None),
        ("[-]", "-", None),
        ("[x-]", "x", None),
        ("[x-]", "-", None),
        ("[x-]", "z", None),
        ("[-x]", "x", None),
        ("[-x]", "-", None),
        ("[-x]", "a", None),
        ("\\", "a", None),
        ("[a-b-c]", "a", None),
        ("[", "a", None),
        ("[^", "a", None),
        ("[^bc", "a", None),
        ("a[", "a", None),
        ("a[", "ab", None),
        ("*x", "xxx", Some(true)),
    ];
    for (pattern, text, want) in cases {
        let parsed = IgnoreFile::parse(pattern);
        match want {
            None => assert!(parsed.is_err(), "{pattern:?} must be a syntax error"),
            Some(want) => {
                let file = parsed.unwrap_or_else(|e| panic!("{pattern:?}: {e}"));
                assert_eq!(
                    file.matches_single_parent(text),
                    *want,
                    "Matches({text:?}, {pattern:?})"
                );
            }
        }
    }
}

/// The single-case tests at the top of patternmatcher_test.go (through `Matches`).
#[test]
fn single_case_tests() {
    let matches = |text: &str, patterns: &[&str]| compile(patterns).matches_single_parent(text);
    assert!(matches("fileutils.go", &["*"]), "TestWildcardMatches");
    assert!(matches("fileutils.go", &["*.go"]), "TestPatternMatches");
    assert!(
        matches("fileutils.go", &["!fileutils.go", "*.go"]),
        "ExclusionPatternBefore"
    );
    assert!(
        !matches("docs/README.md", &["docs", "!docs/README.md"]),
        "FolderExclusions"
    );
    assert!(
        !matches("docs/README.md", &["docs/", "!docs/README.md"]),
        "FolderWithSlash"
    );
    assert!(
        !matches("docs/README.md", &["docs/*", "!docs/README.md"]),
        "FolderWildcard"
    );
    assert!(
        !matches("fileutils.go", &["*.go", "!fileutils.go"]),
        "ExclusionPatternAfter"
    );
    assert!(!matches(".", &["*.go"]), "WholeDirectory");
    assert!(!matches("/any/path/there", &[]), "NoPatterns");
}

#[test]
fn lone_exclamation_and_malformed_patterns_are_errors() {
    let error = IgnoreFile::parse("ok\n!\n").unwrap_err();
    assert_eq!(error.line, 2);
    assert_eq!(error.reason, PatternErrorReason::LoneExclamation);
    let error = IgnoreFile::parse("# comment\n[\n").unwrap_err();
    assert_eq!((error.line, error.pattern.as_str()), (2, "["));
    assert!(error.to_string().contains("line 2"), "{error}");
    // moby/moby#52203: passes filepath.Match but its regex does not compile.
    let error = IgnoreFile::parse("[Local-Only]/\n").unwrap_err();
    assert!(
        matches!(error.reason, PatternErrorReason::Regex { .. }),
        "{error:?}"
    );
}

/// TestCleanPatterns*: empty patterns dropped, `!` detected with surrounding spaces.
#[test]
fn clean_patterns() {
    assert_eq!(compile(&["docs", "config"]).patterns().len(), 2);
    assert_eq!(compile(&["docs", "config", ""]).patterns().len(), 2);
    assert!(compile(&["docs", "!docs/README.md"]).has_exclusions());
    assert!(compile(&["docs", "  !docs/README.md"]).has_exclusions());
    assert!(compile(&["docs", "!docs/README.md  "]).has_exclusions());
    assert!(!compile(&["docs"]).has_exclusions());
}

/// moby/patternmatcher `ignorefile/ignorefile_test.go` `TestReadAll`, plus the reading rules
/// around it (BOM, `#` only in column 1, CRLF, trimming, cleaning).
#[test]
fn read_all_vectors() {
    use dockjob::context::dockerignore::read_lines;
    let patterns = |text: &str| -> Vec<String> {
        read_lines(text)
            .into_iter()
            .map(|line| line.pattern)
            .collect()
    };
    assert!(patterns("").is_empty());
    let content =
        "test1\n/test2\n/a/file/here\n\nlastfile\n# this is a comment\n! /inverted/abs/path\n!\n! ";
    assert_eq!(
        patterns(content),
        [
            "test1",
            "test2",
            "a/file/here",
            "lastfile",
            "!inverted/abs/path",
            "!",
            "!"
        ]
    );
    let lines = read_lines(content);
    assert_eq!(
        lines[4].line, 7,
        "line numbers count comments and blank lines"
    );

    assert_eq!(patterns("\u{feff}# bom then comment\nx"), ["x"]);
    assert_eq!(patterns("  # not a comment\n"), ["# not a comment"]);
    assert_eq!(
        patterns("a\r\nb/\r\n./c\n/\n.\n..//d/../e\n"),
        ["a", "b", "c", "/", ".", "../e"]
    );
    assert_eq!(patterns("!  ./x/\n"), ["!x"]);
    // `!/` cleans to `!` on the second pass (patternmatcher `New`): an error, as in Go.
    assert_eq!(patterns("!/\n"), ["!/"]);
    assert!(IgnoreFile::parse("!/\n").is_err());
}

/// `.` never excludes the context, `./` prefixes and trailing slashes are cleaned away.
#[test]
fn dot_and_cleaning_in_is_excluded() {
    let file = IgnoreFile::parse("*\n").unwrap();
    assert!(!file.is_excluded("."));
    assert!(!file.is_excluded("./"));
    assert!(file.is_excluded("./a"));
    let file = IgnoreFile::parse("dir/\n").unwrap();
    assert!(file.is_excluded("dir/sub/file"));
}
