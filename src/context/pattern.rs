//! One `.dockerignore` pattern: the compile step and the three match functions of
//! moby/patternmatcher (`patternmatcher.go`: `Pattern.compile`, `Pattern.match`,
//! `MatchesExact`, `MatchesOrParentMatches` and the deprecated single-parent `Matches`),
//! ported to the `regex` crate. Unix only: the separator is `/`.
//!
//! Pure: no filesystem, no I/O.

use regex::Regex;

use super::gopath;

/// How a compiled pattern is matched (patternmatcher.go `matchType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchType {
    /// The path must equal the cleaned pattern.
    Exact,
    /// `dir/**`: the path must start with the pattern minus its trailing `**`.
    Prefix,
    /// `**/name` or `**name`: the path must end with the pattern minus its leading `**`
    /// (and `**/foo` also matches `foo`).
    Suffix,
    /// Anything else: the generated regular expression.
    Regexp,
}

/// A compiled pattern. `cleaned` is the text after `filepath.Clean` and without `!`.
#[derive(Debug, Clone)]
pub struct Pattern {
    cleaned: String,
    exclusion: bool,
    dir_count: usize,
    match_type: MatchType,
    regex: Option<Regex>,
}

/// Why a pattern's regular expression did not compile (Go would fail at match time with
/// `ErrBadPattern`; this port fails when the ignore file is parsed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegexError {
    /// The Go-syntax expression moby would have compiled.
    pub expression: String,
    /// The regex crate's explanation.
    pub reason: String,
}

impl Pattern {
    /// Compiles a cleaned pattern (without its `!`). `exclusion` is true for a `!` line.
    pub fn compile(cleaned: &str, exclusion: bool) -> Result<Pattern, RegexError> {
        let (match_type, go_regex) = compile_to_go_regex(cleaned);
        let regex = match match_type {
            MatchType::Regexp => {
                let translated = go_regex_to_rust(&go_regex);
                Some(Regex::new(&translated).map_err(|error| RegexError {
                    expression: go_regex.clone(),
                    reason: error.to_string(),
                })?)
            }
            _ => None,
        };
        Ok(Pattern {
            cleaned: cleaned.to_string(),
            exclusion,
            dir_count: cleaned.split('/').count(),
            match_type,
            regex,
        })
    }

    /// The cleaned pattern text, without `!` (patternmatcher `Pattern.String`).
    pub fn text(&self) -> &str {
        &self.cleaned
    }

    /// True for a `!` (re-include) pattern.
    pub fn is_exclusion(&self) -> bool {
        self.exclusion
    }

    /// How the pattern is matched.
    pub fn match_type(&self) -> MatchType {
        self.match_type
    }

    /// patternmatcher.go `Pattern.match`: does this one pattern match `path` exactly?
    pub fn matches(&self, path: &str) -> bool {
        match self.match_type {
            MatchType::Exact => path == self.cleaned,
            MatchType::Prefix => path.starts_with(&self.cleaned[..self.cleaned.len() - 2]),
            MatchType::Suffix => {
                let suffix = &self.cleaned[2..];
                path.ends_with(suffix) || suffix.strip_prefix('/').is_some_and(|bare| path == bare)
            }
            MatchType::Regexp => self.regex.as_ref().is_some_and(|re| re.is_match(path)),
        }
    }

    /// Does this pattern match `path` or one of its parent directories (the inner loop of
    /// patternmatcher.go `MatchesOrParentMatches`)?
    pub fn matches_self_or_parent(&self, path: &str) -> bool {
        if self.matches(path) {
            return true;
        }
        let parent = gopath::dir(path);
        if parent == "." {
            return false;
        }
        let mut prefix_end = 0;
        for part in parent.split('/') {
            prefix_end += part.len();
            if self.matches(&parent[..prefix_end]) {
                return true;
            }
            prefix_end += 1;
        }
        false
    }

    /// The deprecated single-parent check of patternmatcher.go `Matches`, still used by
    /// docker/cli `TrimBuildFilesFromExcludes`: only the ancestor with as many path elements
    /// as the pattern is tried.
    pub fn matches_self_or_same_depth_parent(&self, path: &str) -> bool {
        if self.matches(path) {
            return true;
        }
        let parent = gopath::dir(path);
        if parent == "." {
            return false;
        }
        let parent_dirs: Vec<&str> = parent.split('/').collect();
        self.dir_count <= parent_dirs.len()
            && self.matches(&parent_dirs[..self.dir_count].join("/"))
    }
}

/// patternmatcher.go `Pattern.compile` with `sl = "/"`: returns the match type and the Go
/// regular expression text (empty unless the type is [`MatchType::Regexp`]).
pub fn compile_to_go_regex(pattern: &str) -> (MatchType, String) {
    let mut regex = String::from("^");
    let mut detected = MatchType::Exact;
    let mut chars = pattern.chars().peekable();
    let mut index = 0usize;
    while let Some(ch) = chars.next() {
        match ch {
            '*' if chars.peek() == Some(&'*') => {
                chars.next();
                // Treat `**/` as `**`: eat the slash.
                if chars.peek() == Some(&'/') {
                    chars.next();
                }
                if chars.peek().is_none() {
                    // `**` at the end: accept everything, like .gitignore.
                    if detected == MatchType::Exact {
                        detected = MatchType::Prefix;
                    } else {
                        regex.push_str(".*");
                        detected = MatchType::Regexp;
                    }
                } else {
                    // Any number of path elements, including none.
                    regex.push_str("(.*/)?");
                    detected = MatchType::Regexp;
                }
                if index == 0 {
                    detected = MatchType::Suffix;
                }
            }
            '*' => {
                regex.push_str("[^/]*");
                detected = MatchType::Regexp;
            }
            '?' => {
                regex.push_str("[^/]");
                detected = MatchType::Regexp;
            }
            '.' | '+' | '(' | ')' | '|' | '{' | '}' | '$' => {
                regex.push('\\');
                regex.push(ch);
            }
            '\\' => match chars.next() {
                Some(next) => {
                    regex.push('\\');
                    regex.push(next);
                    detected = MatchType::Regexp;
                }
                None => regex.push('\\'),
            },
            '[' | ']' => {
                regex.push(ch);
                detected = MatchType::Regexp;
            }
            other => regex.push(other),
        }
        index += 1;
    }
    if detected == MatchType::Regexp {
        regex.push('$');
        (detected, regex)
    } else {
        (detected, String::new())
    }
}

/// Rewrites the character classes of a Go (RE2) expression for the `regex` crate, whose
/// classes also give `[`, `&&`, `--` and `~~` a meaning: inside a class those are escaped,
/// except a POSIX `[:name:]` class, which both engines share. Outside classes the syntax
/// produced by [`compile_to_go_regex`] means the same in both engines.
pub fn go_regex_to_rust(go: &str) -> String {
    let chars: Vec<char> = go.chars().collect();
    let mut out = String::with_capacity(go.len() + 8);
    let mut index = 0;
    while index < chars.len() {
        match chars[index] {
            '\\' => {
                out.push('\\');
                if let Some(next) = chars.get(index + 1) {
                    out.push(*next);
                }
                index += 2;
            }
            '[' => index = translate_class(&chars, index, &mut out),
            other => {
                out.push(other);
                index += 1;
            }
        }
    }
    out
}

/// Translates one Go class starting at `chars[start] == '['`; returns the index after it.
/// An unterminated class is copied as is so that the regex crate reports it.
fn translate_class(chars: &[char], start: usize, out: &mut String) -> usize {
    let mut index = start + 1;
    out.push('[');
    if chars.get(index) == Some(&'^') {
        out.push('^');
        index += 1;
    }
    let mut first = true;
    while index < chars.len() && (chars[index] != ']' || first) {
        first = false;
        if chars[index] == '[' && chars.get(index + 1) == Some(&':') {
            let tail: String = chars[index..].iter().collect();
            if let Some(end) = tail.find(":]") {
                out.push_str(&tail[..end + 2]);
                index += tail[..end + 2].chars().count();
                continue;
            }
        }
        index = push_class_char(chars, index, out);
        if chars.get(index) == Some(&'-') && chars.get(index + 1).is_some_and(|c| *c != ']') {
            out.push('-');
            index = push_class_char(chars, index + 1, out);
        }
    }
    if index < chars.len() {
        out.push(']');
        index += 1;
    }
    index
}

/// Copies one class character (or escape) at `index`, escaping what the regex crate treats
/// as class syntax.
fn push_class_char(chars: &[char], index: usize, out: &mut String) -> usize {
    match chars[index] {
        '\\' => {
            out.push('\\');
            if let Some(next) = chars.get(index + 1) {
                out.push(*next);
            }
            index + 2
        }
        c @ ('[' | ']' | '&' | '~' | '-') => {
            out.push('\\');
            out.push(c);
            index + 1
        }
        c => {
            out.push(c);
            index + 1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, path: &str) -> bool {
        Pattern::compile(pattern, false)
            .expect("compiles")
            .matches(path)
    }

    /// Class syntax that means something else in the regex crate keeps its Go meaning.
    #[test]
    fn go_class_semantics_survive_translation() {
        assert!(matches("[[]", "["));
        assert!(matches("x[&~]", "x&") && matches("x[&~]", "x~") && !matches("x[&~]", "xa"));
        assert!(matches("x[&&b]", "xb") && matches("x[&&b]", "x&"));
        // `!` does not negate a class (gitignore's does; Docker's does not).
        assert!(matches("[!a]", "!") && matches("[!a]", "a") && !matches("[!a]", "b"));
        assert!(matches("[^a]", "b") && !matches("[^a]", "a"));
        assert!(matches("[+--]", ","), "a range from + to -");
        assert!(matches("[[:digit:]]x", "7x") && !matches("[[:digit:]]x", "ax"));
        assert!(matches("[]a]", "]"), "a leading ] is literal in RE2");
    }

    #[test]
    fn translation_escapes_class_operators_only() {
        assert_eq!(go_regex_to_rust("^a[&-~]b$"), "^a[\\&-\\~]b$");
        assert_eq!(go_regex_to_rust("^(.*/)?x\\.y$"), "^(.*/)?x\\.y$");
        // `[*]` compiles to `^[[^/]*]$` in moby: the class `[[^/]`, a star, a literal `]`.
        assert_eq!(go_regex_to_rust("^[[^/]*]$"), "^[\\[^/]*]$");
        assert!(matches("[*]", "[]") && matches("[*]", "]") && matches("[*]", "^/]"));
        assert!(!matches("[*]", "x]"));
    }
}
