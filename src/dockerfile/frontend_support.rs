//! What Docker Engine 20.10's built-in Dockerfile frontend cannot build, said before the
//! build starts instead of as the engine's puzzling parse error (or, for `ADD` of a git URL,
//! a silently wrong image).
//!
//! Engine 20.10 (`/build?version=2`) builds with the BuildKit frontend vendored in
//! moby/moby v20.10.24 (`vendor/github.com/moby/buildkit/frontend/dockerfile`, BuildKit
//! v0.8.4-0.20221020190723-eeb7b65ab7d6) unless the Dockerfile names another frontend with
//! `# syntax=`. That frontend lacks, compared with the parser in [`super::validate`]:
//! - heredocs (`parser/parser.go` has none: the body lines are read as instructions);
//! - flags `instructions/parse.go` does not declare: `COPY --link/--parents/--exclude`,
//!   `ADD --link/--keep-git-dir/--checksum/--exclude/--unpack`,
//!   `HEALTHCHECK --start-interval`, and `RUN --network/--security` (compiled only with the
//!   `dfrunnetwork`/`dfrunsecurity` build tags, which moby does not set) and `--device`;
//! - `RUN --mount` options `size=` and `env=` (`instructions/commands_runmount.go`);
//! - a symbolic `--chmod` (`dockerfile2llb/convert.go` parses it as octal only);
//! - `ADD` of a git repository (`convert.go` downloads `http(s)://` URLs as files and takes
//!   anything else for a context path);
//! - `${VAR-w}`, `${VAR+w}`, `${VAR#p}`, `${VAR%p}`, `${VAR/p/r}` (`shell/lex.go` knows
//!   only `${VAR}`, `${VAR?m}` and `${VAR:-w}`, `${VAR:+w}`, `${VAR:?m}`).
//!
//! The engine also forwards to another frontend when the build arg `BUILDKIT_SYNTAX` is set
//! (`builder/build.go`, `keySyntax`); the caller skips this check then, as it knows the args.
//!
//! Pure: takes the parsed file, returns findings; the build command decides what to do.

use regex::Regex;
use serde::Serialize;
use std::sync::OnceLock;

use super::heredoc;
use super::lint::{Diagnostic, Severity};
use super::model::{Args, Dockerfile, Instruction, Keyword, Span};
use super::words::Logical;

/// Rule id of a gap when rendered as a [`Diagnostic`].
pub const RULE_ID: &str = "BuiltinFrontend";

/// What the fix line tells the user to add, and what that requires.
const SYNTAX_FIX: &str = "add \"# syntax=docker/dockerfile:1\" as the first line (the engine must be able to pull docker/dockerfile:1 from a reachable registry)";

/// Which kind of feature the built-in frontend lacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Feature {
    /// `RUN <<EOF`, `COPY <<EOF`, `ADD <<EOF`.
    Heredoc,
    /// A flag it does not declare (`COPY --link`, `RUN --network`, ...).
    Flag,
    /// A `RUN --mount` option it does not know (`size=`, `env=`).
    MountOption,
    /// `--chmod` in symbolic notation (`u+x`).
    SymbolicChmod,
    /// `ADD` of a git repository.
    AddGit,
    /// A `${VAR<op>...}` substitution its lexer rejects.
    Substitution,
}

/// One use of a feature the built-in frontend lacks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FrontendGap {
    /// The kind of feature.
    pub feature: Feature,
    /// The feature as the message names it (`heredocs`, `COPY --link`).
    pub what: String,
    /// The alternative that works without a newer frontend.
    pub fix: String,
    /// Where it is in the source.
    #[serde(skip)]
    pub span: Span,
    /// 1-based line of the span's start.
    pub line: usize,
    /// 1-based column (characters) of the span's start.
    pub column: usize,
    /// 1-based line of the span's end.
    pub end_line: usize,
    /// 1-based column just past the span's end.
    pub end_column: usize,
}

impl FrontendGap {
    /// What is wrong and what would work, in one sentence.
    pub fn message(&self) -> String {
        let verb = if self.feature == Feature::Heredoc {
            "need"
        } else {
            "needs"
        };
        format!(
            "{} {verb} a newer Dockerfile frontend than Docker Engine 20.10's built-in one; {SYNTAX_FIX} or {}",
            self.what, self.fix
        )
    }

    /// The gap as an error [`Diagnostic`], for [`super::render::text`] or `json`.
    pub fn to_diagnostic(&self) -> Diagnostic {
        Diagnostic {
            rule: RULE_ID,
            severity: Severity::Error,
            line: self.line,
            column: self.column,
            end_line: self.end_line,
            end_column: self.end_column,
            span: self.span.clone(),
            message: self.message(),
            hint: None,
            url: None,
        }
    }
}

/// Every use in `parsed` of a feature Docker Engine 20.10's built-in frontend lacks, in
/// source order; empty when the file has a `# syntax=` directive that engine honours (it
/// then builds with that frontend). Spans are read against [`Dockerfile::source`], the
/// text `parsed` came from, so they cannot disagree with it.
pub fn builtin_frontend_gaps(parsed: &Dockerfile) -> Vec<FrontendGap> {
    let source = parsed.source();
    if has_syntax_directive(source) {
        return Vec::new();
    }
    let mut found: Vec<(Feature, String, String, Span)> = Vec::new();
    heredocs(parsed, source, &mut found);
    for inst in &parsed.instructions {
        flags(inst, source, &mut found);
        add_git(inst, &mut found);
        substitutions(inst, parsed.directives.escape, source, &mut found);
    }
    found.sort_by_key(|(_, _, _, span)| (span.start, span.end));
    found
        .into_iter()
        .map(|(feature, what, fix, span)| {
            let (line, column) = parsed.line_col(span.start);
            let (end_line, end_column) = parsed.line_col(span.end.max(span.start));
            FrontendGap {
                feature,
                what,
                fix,
                span,
                line,
                column,
                end_line,
                end_column,
            }
        })
        .collect()
}

/// `file:line:col: error[BuiltinFrontend]: message`, the line and a caret under the span,
/// for each gap (the project's diagnostic format, [`super::render::text`]).
pub fn render(file_name: &str, source: &str, gaps: &[FrontendGap]) -> String {
    let diags: Vec<Diagnostic> = gaps.iter().map(FrontendGap::to_diagnostic).collect();
    super::render::text(file_name, source, &diags)
}

/// `DetectSyntax` of the 20.10 frontend (`dockerfile2llb/directives.go`): from the first line,
/// lines matching `^#\s*key\s*=\s*value\s*$`, until one does not. Unlike the current
/// parser it skips no BOM and unknown keys do not end the block, so this reads `source`
/// itself rather than [`Dockerfile::directives`].
fn has_syntax_directive(source: &str) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(
            r"^#[\t\n\f\r ]*([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*(.+?)[\t\n\f\r ]*$",
        )
        .expect("static regex")
    });
    for line in source.split('\n') {
        let Some(caps) = re.captures(line.strip_suffix('\r').unwrap_or(line)) else {
            return false;
        };
        if caps[1].eq_ignore_ascii_case("syntax") {
            return true;
        }
    }
    false
}

type Found = Vec<(Feature, String, String, Span)>;

fn heredocs(parsed: &Dockerfile, source: &str, found: &mut Found) {
    let base = if source.starts_with('\u{feff}') { 3 } else { 0 };
    let Ok(plan) = heredoc::plan(&source[base..], parsed.directives.escape) else {
        return;
    };
    for h in plan.found {
        let marker = h.marker.start + base..h.marker.end + base;
        let owner = parsed
            .instructions
            .iter()
            .find(|i| i.span.contains(&marker.start))
            .map_or(Keyword::Run, |i| i.keyword);
        let fix = match owner {
            Keyword::Run => "rewrite the RUN without a heredoc".to_owned(),
            k => format!(
                "put the file in the build context and {} it from there",
                k.as_str()
            ),
        };
        found.push((Feature::Heredoc, "heredocs".to_owned(), fix, marker));
    }
}

/// Flags the 20.10 frontend does not declare, and what to do instead.
const MISSING_FLAGS: &[(Keyword, &str, &str)] = &[
    (Keyword::Run, "network", "drop --network"),
    (Keyword::Run, "security", "drop --security"),
    (Keyword::Run, "device", "drop --device"),
    (Keyword::Copy, "link", "drop --link"),
    (
        Keyword::Copy,
        "parents",
        "copy each directory to its destination with its own COPY",
    ),
    (
        Keyword::Copy,
        "exclude",
        "drop --exclude and name only the sources to copy (or list the paths in .dockerignore)",
    ),
    (Keyword::Add, "link", "drop --link"),
    (
        Keyword::Add,
        "keep-git-dir",
        "clone the repository with git in a RUN instead",
    ),
    (
        Keyword::Add,
        "checksum",
        "drop --checksum and verify the download in a RUN (sha256sum -c)",
    ),
    (
        Keyword::Add,
        "exclude",
        "drop --exclude and name only the sources to add (or list the paths in .dockerignore)",
    ),
    (
        Keyword::Add,
        "unpack",
        "drop --unpack and download and extract the archive in a RUN",
    ),
    (
        Keyword::Healthcheck,
        "start-interval",
        "drop --start-interval",
    ),
];

fn flags(inst: &Instruction, source: &str, found: &mut Found) {
    let name = inst.keyword.as_str();
    for flag in &inst.flags {
        if let Some((_, _, fix)) = MISSING_FLAGS
            .iter()
            .find(|(k, f, _)| *k == inst.keyword && *f == flag.name)
        {
            let what = format!("{name} --{}", flag.name);
            found.push((Feature::Flag, what, (*fix).to_owned(), flag.span.clone()));
        }
        let value = flag.value.as_deref().unwrap_or_default();
        if flag.name == "mount" && inst.keyword == Keyword::Run {
            mount_options(flag, value, source, found);
        }
        let chmod = flag.name == "chmod" && matches!(inst.keyword, Keyword::Copy | Keyword::Add);
        if chmod && is_symbolic_mode(value) {
            found.push((
                Feature::SymbolicChmod,
                format!("{name} --chmod={value} (a symbolic mode)"),
                "write the mode in octal (--chmod=755)".to_owned(),
                flag.span.clone(),
            ));
        }
    }
}

/// `size=` (tmpfs) and `env=` (secret), which `parseMount` of the 20.10 frontend rejects.
fn mount_options(flag: &super::model::Flag, value: &str, source: &str, found: &mut Found) {
    // Offsets within the value hold only when the value is written as it reads.
    let at = flag
        .value_span
        .clone()
        .filter(|s| source.get(s.clone()) == Some(value))
        .map(|s| s.start);
    let mut offset = 0;
    for field in value.split(',') {
        let key = field.split('=').next().unwrap_or_default().trim();
        let fix = match key.to_ascii_lowercase().as_str() {
            "size" => "drop size= (the tmpfs is then unbounded)",
            "env" => "drop env= and read the secret from its file under /run/secrets",
            _ => "",
        };
        if !fix.is_empty() {
            let span = at.map_or(flag.span.clone(), |a| a + offset..a + offset + field.len());
            let what = format!("the RUN --mount option {key}=");
            found.push((Feature::MountOption, what, fix.to_owned(), span));
        }
        offset += field.len() + 1;
    }
}

/// A `--chmod` value that is not octal but reads as a symbolic mode (`u+x`, `a=rX`).
fn is_symbolic_mode(value: &str) -> bool {
    let octal = u32::from_str_radix(value, 8).is_ok();
    !value.is_empty() && !octal && value.chars().all(|c| "ugoa+-=rwxXst,".contains(c))
}

fn add_git(inst: &Instruction, found: &mut Found) {
    let Args::Copy { sources, .. } = &inst.args else {
        return;
    };
    if inst.keyword != Keyword::Add {
        return;
    }
    for src in sources.iter().filter(|s| is_git_ref(&s.value)) {
        found.push((
            Feature::AddGit,
            "ADD of a git repository".to_owned(),
            "clone the repository with git in a RUN instead".to_owned(),
            src.span.clone(),
        ));
    }
}

/// BuildKit's `dfgitutil.ParseGitRef` as `ADD` uses it: `ssh://`/`git://` URLs, `http(s)://`
/// URLs whose path ends in `.git`, and scp-style `user@host:path`. Words with variables
/// are skipped: their value is not known here.
fn is_git_ref(word: &str) -> bool {
    static SCP: OnceLock<Regex> = OnceLock::new();
    if word.contains('$') || word.starts_with("./") || word.starts_with("../") {
        return false;
    }
    if let Some((scheme, rest)) = word.split_once("://") {
        if scheme.is_empty() || !scheme.chars().all(|c| c.is_ascii_alphanumeric()) {
            return false;
        }
        let path = rest.split(['#', '?']).next().unwrap_or_default();
        let path = path.find('/').map_or("", |i| &path[i..]);
        return match scheme.to_ascii_lowercase().as_str() {
            "ssh" | "git" => true,
            "http" | "https" => path.ends_with(".git"),
            _ => false,
        };
    }
    SCP.get_or_init(|| {
        Regex::new(r"^([a-zA-Z0-9-_]+)@([a-zA-Z0-9-.]+):(.*?)(?:\?(.*?))?(?:#(.*))?$")
            .expect("static regex")
    })
    .is_match(word)
}

/// `${NAME` followed by an operator the 20.10 lexer rejects, in the instructions the
/// frontend expands itself (shell-form `RUN`/`CMD`/`ENTRYPOINT` are left to the shell).
fn substitutions(inst: &Instruction, escape: char, source: &str, found: &mut Found) {
    use Keyword as K;
    let expanded = matches!(
        inst.keyword,
        K::Add
            | K::Arg
            | K::Copy
            | K::Env
            | K::Expose
            | K::From
            | K::Label
            | K::Stopsignal
            | K::User
            | K::Volume
            | K::Workdir
    );
    if !expanded {
        return;
    }
    // Heredoc bodies are not arguments; stop before the first.
    let end = inst
        .heredocs
        .first()
        .map_or(inst.span.end, |h| h.span.start);
    let logical = Logical::join(source, &(inst.keyword_span.end..end), escape);
    let chars: Vec<(usize, char)> = logical.text.char_indices().collect();
    let (mut single, mut double) = (false, false);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i].1;
        match c {
            '\'' if !double => single = !single,
            '"' if !single => double = !double,
            _ if c == escape && !single => i += 1,
            '$' if !single => {
                let name_len = chars[(i + 2).min(chars.len())..]
                    .iter()
                    .take_while(|(_, c)| c.is_ascii_alphanumeric() || *c == '_')
                    .count();
                let op = chars.get(i + 2 + name_len).map(|&(_, c)| c);
                let braced = chars.get(i + 1).is_some_and(|&(_, c)| c == '{');
                if braced && name_len > 0 && op.is_some_and(|c| "-+#%/".contains(c)) {
                    let close = chars[i..]
                        .iter()
                        .position(|&(_, c)| c == '}')
                        .map_or(chars.len(), |p| i + p + 1);
                    let byte_end = chars.get(close).map_or(logical.text.len(), |&(b, _)| b);
                    let written = &logical.text[chars[i].0..byte_end];
                    found.push((
                        Feature::Substitution,
                        format!("the substitution {written}"),
                        "use only ${VAR}, ${VAR:-default}, ${VAR:+value} or ${VAR:?message}"
                            .to_owned(),
                        logical.span(chars[i].0, byte_end),
                    ));
                    i = close;
                    continue;
                }
            }
            _ => {}
        }
        i += 1;
    }
}

#[cfg(test)]
mod tests;
