//! `.dockerignore` files: reading lines (moby/patternmatcher `ignorefile/ignorefile.go`
//! `ReadAll`), compiling them (patternmatcher.go `New`) and deciding whether a context path
//! is excluded (`MatchesOrParentMatches`: the path or any parent matches, last match wins,
//! `!` re-includes).
//!
//! Pure: no filesystem, no I/O. The caller reads the file and passes its text.

use super::glob_syntax::{self, GlobSyntaxError};
use super::gopath;
use super::pattern::Pattern;

/// A `.dockerignore` line that is not a valid pattern.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: invalid pattern {pattern:?}: {reason}")]
pub struct PatternError {
    /// 1-based line number in the ignore file.
    pub line: usize,
    /// The pattern as docker normalised it (`!` kept, cleaned).
    pub pattern: String,
    /// What is wrong with it.
    pub reason: PatternErrorReason,
}

/// What is wrong with a pattern.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternErrorReason {
    /// A lone `!` (patternmatcher: `illegal exclusion pattern: "!"`).
    #[error("illegal exclusion pattern \"!\" (a `!` must be followed by a pattern)")]
    LoneExclamation,
    /// Go's `filepath.Match` rejects it (`syntax error in pattern`).
    #[error("syntax error in pattern: {0}")]
    Syntax(GlobSyntaxError),
    /// The generated regular expression does not compile (moby fails on first use).
    #[error("syntax error in pattern: expression {expression} does not compile: {detail}")]
    Regex {
        /// The expression moby would build.
        expression: String,
        /// The regex crate's explanation.
        detail: String,
    },
}

/// Per-pattern results of a directory, handed to its children during a walk
/// (patternmatcher `MatchInfo`). The default value means "no information" (a root-level
/// entry, or a path checked on its own).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParentMatches(Vec<bool>);

/// A parsed ignore file: its patterns in file order.
#[derive(Debug, Clone, Default)]
pub struct IgnoreFile {
    lines: Vec<String>,
    patterns: Vec<Pattern>,
    has_exclusions: bool,
}

/// One line of an ignore file after docker's normalisation, with its line number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoreLine {
    /// 1-based line number.
    pub line: usize,
    /// The normalised pattern (`!` kept).
    pub pattern: String,
}

/// ignorefile.go `ReadAll`: strips a UTF-8 BOM on the first line, skips lines whose first
/// column is `#`, trims spaces, skips empty lines, cleans each pattern (after a `!`, trimmed
/// again) and drops one leading `/`.
pub fn read_lines(text: &str) -> Vec<IgnoreLine> {
    let mut out = Vec::new();
    // bufio.ScanLines: split on '\n', drop one trailing '\r'.
    for (index, raw) in text.split('\n').enumerate() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let raw = if index == 0 {
            raw.strip_prefix('\u{feff}').unwrap_or(raw)
        } else {
            raw
        };
        if raw.starts_with('#') {
            continue;
        }
        let mut pattern = raw.trim();
        if pattern.is_empty() {
            continue;
        }
        let invert = pattern.starts_with('!');
        if invert {
            pattern = pattern[1..].trim();
        }
        let mut normalised = String::new();
        if !pattern.is_empty() {
            let cleaned = gopath::clean(pattern);
            normalised = match cleaned.strip_prefix('/') {
                Some(rest) if !rest.is_empty() => rest.to_string(),
                _ => cleaned,
            };
        }
        if invert {
            normalised.insert(0, '!');
        }
        out.push(IgnoreLine {
            line: index + 1,
            pattern: normalised,
        });
    }
    out
}

impl IgnoreFile {
    /// Parses the text of a `.dockerignore` file.
    pub fn parse(text: &str) -> Result<IgnoreFile, PatternError> {
        IgnoreFile::from_lines(read_lines(text))
    }

    /// Compiles already-normalised lines (patternmatcher.go `New`).
    pub fn from_lines(lines: Vec<IgnoreLine>) -> Result<IgnoreFile, PatternError> {
        let mut file = IgnoreFile::default();
        for IgnoreLine { line, pattern } in lines {
            file.push(line, &pattern)?;
        }
        Ok(file)
    }

    /// Appends one pattern line, as docker/cli does for `!.dockerignore` and `!<Dockerfile>`.
    pub fn push(&mut self, line: usize, text: &str) -> Result<(), PatternError> {
        let error = |reason| PatternError {
            line,
            pattern: text.to_string(),
            reason,
        };
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Ok(());
        }
        let cleaned = gopath::clean(trimmed);
        let (exclusion, body) = match cleaned.strip_prefix('!') {
            Some("") => return Err(error(PatternErrorReason::LoneExclamation)),
            Some(body) => (true, body),
            None => (false, cleaned.as_str()),
        };
        glob_syntax::validate(body).map_err(|e| error(PatternErrorReason::Syntax(e)))?;
        let pattern = Pattern::compile(body, exclusion).map_err(|e| {
            error(PatternErrorReason::Regex {
                expression: e.expression,
                detail: e.reason,
            })
        })?;
        self.has_exclusions |= exclusion;
        self.lines.push(text.to_string());
        self.patterns.push(pattern);
        Ok(())
    }

    /// The compiled patterns in order.
    pub fn patterns(&self) -> &[Pattern] {
        &self.patterns
    }

    /// True if any pattern is a `!` exception (patternmatcher `Exclusions`).
    pub fn has_exclusions(&self) -> bool {
        self.has_exclusions
    }

    /// Is `rel_path` (slash-separated, relative to the context root) excluded? The path is
    /// cleaned first and `.` is never excluded (docker/cli `filepathMatches`), then
    /// `MatchesOrParentMatches` applies: last matching pattern wins, a pattern matches if it
    /// matches the path or any parent directory.
    pub fn is_excluded(&self, rel_path: &str) -> bool {
        let cleaned = gopath::clean(rel_path);
        if cleaned == "." {
            return false;
        }
        self.matches_or_parent_matches(&cleaned)
    }

    /// patternmatcher.go `MatchesOrParentMatches` on a path used as given.
    pub fn matches_or_parent_matches(&self, path: &str) -> bool {
        self.last_match_wins(|pattern| pattern.matches_self_or_parent(path))
    }

    /// patternmatcher.go `MatchesUsingParentResults`, what moby/go-archive `TarWithOptions`
    /// (the docker CLI's context tar) and BuildKit's fsutil walker use: a pattern the parent
    /// directory matched still applies; otherwise only `path` itself is tried (and its
    /// parents only when `parent` carries no information). It differs from
    /// [`IgnoreFile::matches_or_parent_matches`] when a pattern was not evaluated for the
    /// parent (e.g. `**/*.cfg` then `!dir` still excludes `dir/x.cfg`).
    pub fn matches_using_parent_results(
        &self,
        path: &str,
        parent: &ParentMatches,
    ) -> (bool, ParentMatches) {
        let mut matched = false;
        let mut info = vec![false; self.patterns.len()];
        for (index, pattern) in self.patterns.iter().enumerate() {
            let mut hit = parent.0.get(index).copied().unwrap_or(false);
            if !hit {
                if pattern.is_exclusion() != matched {
                    continue;
                }
                hit = if parent.0.is_empty() {
                    pattern.matches_self_or_parent(path)
                } else {
                    pattern.matches(path)
                };
            }
            info[index] = hit;
            if hit {
                matched = !pattern.is_exclusion();
            }
        }
        (matched, ParentMatches(info))
    }

    /// patternmatcher.go `MatchesExact`: no parent matching.
    pub fn matches_exact(&self, path: &str) -> bool {
        self.last_match_wins(|pattern| pattern.matches(path))
    }

    /// patternmatcher.go top-level `Matches` (deprecated single-parent variant) as docker/cli
    /// `TrimBuildFilesFromExcludes` calls it: cleans the path, `.` never matches.
    pub fn matches_single_parent(&self, path: &str) -> bool {
        let cleaned = gopath::clean(path);
        if cleaned == "." {
            return false;
        }
        self.last_match_wins(|pattern| pattern.matches_self_or_same_depth_parent(&cleaned))
    }

    /// Does some `!` pattern textually start with `dir/`? Then an excluded directory must
    /// still be walked (moby/go-archive `TarWithOptions`).
    pub fn has_exception_under(&self, dir: &str) -> bool {
        let dir_slash = format!("{dir}/");
        self.patterns
            .iter()
            .filter(|p| p.is_exclusion())
            .any(|p| format!("{}/", p.text()).starts_with(&dir_slash))
    }

    /// The normalised lines, in order (including lines appended with [`IgnoreFile::push`]).
    pub fn lines(&self) -> &[String] {
        &self.lines
    }

    /// Shared loop of the patternmatcher match functions: a pattern is only evaluated when
    /// it could change the result (an inclusion while unmatched, an exclusion while matched).
    fn last_match_wins(&self, mut pattern_matches: impl FnMut(&Pattern) -> bool) -> bool {
        let mut matched = false;
        for pattern in &self.patterns {
            if pattern.is_exclusion() != matched {
                continue;
            }
            if pattern_matches(pattern) {
                matched = !pattern.is_exclusion();
            }
        }
        matched
    }
}
