//! The walk plan of a build context: which ignore file applies, which entries the walker
//! writes, skips or descends into, and how the Dockerfile and `.dockerignore` are always
//! sent. Rules from docker/cli `cli/command/image/build.go` (`runBuild`),
//! `build/dockerignore.go` (`TrimBuildFilesFromExcludes`), `build/context.go`
//! (`AddDockerfileToBuildContext`) and moby/go-archive `archive.go` (`TarWithOptions`).
//!
//! Pure: no filesystem, no I/O, no randomness (the random name is a parameter).

use std::path::PathBuf;

use super::dockerignore::{IgnoreFile, ParentMatches, PatternError};

/// The name of the ignore file at the context root.
pub const DOCKERIGNORE: &str = ".dockerignore";

/// The Dockerfile name used when `-f` is not given (docker/cli `DefaultDockerfileName`).
pub const DEFAULT_DOCKERFILE: &str = "Dockerfile";

/// Where the Dockerfile comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DockerfileSource {
    /// No `-f`: `Dockerfile` at the context root (or `dockerfile` if only that exists).
    Default,
    /// `-f PATH`: a relative path is relative to the current directory, as in the docker
    /// CLI (not to the context). It may point outside the context.
    Path(PathBuf),
    /// `-f -`: the Dockerfile text, already read from stdin by the caller.
    Contents(Vec<u8>),
}

/// A build context resolved from the command line (by `archive::prepare_context`): what
/// will be sent and under which names.
#[derive(Debug, Clone)]
pub struct BuildContext {
    /// The context directory, absolute with symlinks resolved (as docker/cli does).
    pub root: PathBuf,
    /// The value for `?dockerfile=`: slash path relative to the context, or the
    /// `.dockerfile.<hex>` name of a Dockerfile added to the archive.
    pub dockerfile_name: String,
    /// The ignore file that applies, if any (`<Dockerfile>.dockerignore` first).
    pub ignore_file: Option<PathBuf>,
    /// The rules of the walk (the ignore file plus `!.dockerignore` / `!<Dockerfile>`).
    pub ignore: IgnoreFile,
    /// Content written as the archive's `.dockerignore` instead of the file on disk (or
    /// added when there is none): set for an inline Dockerfile or a per-Dockerfile ignore
    /// file.
    pub dockerignore_override: Option<Vec<u8>>,
    /// The Dockerfile text added as `dockerfile_name` (outside the context, or stdin).
    pub inline_dockerfile: Option<Vec<u8>>,
}

/// What the walker does with one entry (moby/go-archive `TarWithOptions` walk callback).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WalkDecision {
    /// Write the entry (and, for a directory, walk its children).
    Include,
    /// Excluded file: leave it out.
    Skip,
    /// Excluded directory with no `!` exception under it: leave out the whole subtree.
    SkipDir,
    /// Excluded directory that some `!dir/...` exception names: do not write the directory
    /// entry, but walk its children (each one is decided on its own).
    DescendOnly,
}

/// Decides one entry, `rel_path` being slash-separated and relative to the context root,
/// with the match results of its parent directory (default for a root-level entry); returns
/// the results to hand to its children. Matching is `MatchesUsingParentResults`, as in
/// moby/go-archive `TarWithOptions`. An excluded directory is skipped unless a `!` pattern
/// textually starts with `dir/`, so `!**/keep.txt` cannot rescue files below an excluded
/// directory (as in docker).
pub fn decide(
    ignore: &IgnoreFile,
    rel_path: &str,
    is_dir: bool,
    parent: &ParentMatches,
) -> (WalkDecision, ParentMatches) {
    let (excluded, info) = ignore.matches_using_parent_results(rel_path, parent);
    let decision = if !excluded {
        WalkDecision::Include
    } else if !is_dir {
        WalkDecision::Skip
    } else if ignore.has_exclusions() && ignore.has_exception_under(rel_path) {
        WalkDecision::DescendOnly
    } else {
        WalkDecision::SkipDir
    };
    (decision, info)
}

/// docker/cli `TrimBuildFilesFromExcludes`: appends `!.dockerignore` and `!<Dockerfile>`
/// when the (deprecated, single-parent) `Matches` says they are excluded, so both are always
/// sent. A Dockerfile from stdin is not re-included (it is added under a random name).
pub fn keep_build_files(
    ignore: &mut IgnoreFile,
    dockerfile_rel: Option<&str>,
) -> Result<(), PatternError> {
    let next_line = ignore.lines().len() + 1;
    if ignore.matches_single_parent(DOCKERIGNORE) {
        ignore.push(next_line, "!.dockerignore")?;
    }
    if let Some(dockerfile) = dockerfile_rel {
        if ignore.matches_single_parent(dockerfile) {
            ignore.push(next_line + 1, &format!("!{dockerfile}"))?;
        }
    }
    Ok(())
}

/// The name of a Dockerfile that is outside the context or from stdin, as docker/cli
/// `AddDockerfileToBuildContext` names it: `.dockerfile.` and 20 hex digits. `random_hex`
/// must hold at least 20 lowercase hex digits.
pub fn inline_dockerfile_name(random_hex: &str) -> String {
    let digits: String = random_hex.chars().take(20).collect();
    format!(".dockerfile.{digits}")
}

/// The `.dockerignore` content sent in the tar when the Dockerfile was added under
/// `inline_name`: the original content (or `.dockerignore` when there was none) followed by
/// a newline, the name and a newline (docker/cli `AddDockerfileToBuildContext`). The daemon
/// then hides the added Dockerfile from `COPY`.
pub fn dockerignore_with_inline_dockerfile(original: Option<&[u8]>, inline_name: &str) -> Vec<u8> {
    let mut out = match original {
        Some(content) => content.to_vec(),
        None => DOCKERIGNORE.as_bytes().to_vec(),
    };
    out.push(b'\n');
    out.extend_from_slice(inline_name.as_bytes());
    out.push(b'\n');
    out
}

/// The BuildKit per-Dockerfile ignore file name: `<Dockerfile>.dockerignore` next to the
/// Dockerfile (moby/buildkit `frontend/dockerfile/builder/build.go`); it takes precedence
/// over `<context>/.dockerignore`.
pub fn dockerfile_specific_ignore_name(dockerfile_file_name: &str) -> String {
    format!("{dockerfile_file_name}{DOCKERIGNORE}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ignore(text: &str) -> IgnoreFile {
        IgnoreFile::parse(text).expect("valid patterns")
    }

    /// Decides `path` the way the walker reaches it: every parent directory first.
    fn walk_to(rules: &IgnoreFile, path: &str, is_dir: bool) -> WalkDecision {
        let mut parent = ParentMatches::default();
        let parts: Vec<&str> = path.split('/').collect();
        for depth in 1..parts.len() {
            let (_, info) = decide(rules, &parts[..depth].join("/"), true, &parent);
            parent = info;
        }
        decide(rules, path, is_dir, &parent).0
    }

    #[test]
    fn excluded_dir_is_skipped_without_exception() {
        let rules = ignore("build\n");
        assert_eq!(walk_to(&rules, "build", true), WalkDecision::SkipDir);
        assert_eq!(walk_to(&rules, "build.txt", false), WalkDecision::Include);
    }

    #[test]
    fn excluded_dir_is_walked_when_an_exception_names_it() {
        let rules = ignore("build\n!build/keep.txt\n");
        assert_eq!(walk_to(&rules, "build", true), WalkDecision::DescendOnly);
        assert_eq!(
            walk_to(&rules, "build/keep.txt", false),
            WalkDecision::Include
        );
        assert_eq!(
            walk_to(&rules, "build/other.txt", false),
            WalkDecision::Skip
        );
    }

    #[test]
    fn double_star_exception_does_not_rescue_files_under_excluded_dir() {
        let rules = ignore("vendor\n!**/keep.txt\n");
        assert_eq!(walk_to(&rules, "vendor", true), WalkDecision::SkipDir);
        // The matcher alone would re-include it; the walk never gets there.
        assert!(!rules.is_excluded("vendor/keep.txt"));
    }

    #[test]
    fn a_pattern_not_evaluated_for_the_parent_is_not_applied_through_it() {
        // go-archive: `**/*.cfg` matches dir/x.cfg; `!dir` is then tried on dir/x.cfg only.
        let rules = ignore("**/*.cfg\n!dir\n");
        assert_eq!(walk_to(&rules, "dir", true), WalkDecision::Include);
        assert_eq!(walk_to(&rules, "dir/x.cfg", false), WalkDecision::Skip);
        assert!(
            !rules.is_excluded("dir/x.cfg"),
            "MatchesOrParentMatches differs here"
        );
    }

    #[test]
    fn excluded_file_is_skipped() {
        let rules = ignore("*.log\n");
        assert_eq!(walk_to(&rules, "a.log", false), WalkDecision::Skip);
        assert_eq!(walk_to(&rules, "sub/a.log", false), WalkDecision::Include);
    }

    #[test]
    fn build_files_are_kept() {
        let mut rules = ignore("*\n");
        keep_build_files(&mut rules, Some("Dockerfile")).unwrap();
        assert!(!rules.is_excluded(".dockerignore"));
        assert!(!rules.is_excluded("Dockerfile"));
        assert!(rules.is_excluded("other"));
    }

    #[test]
    fn build_files_in_excluded_dir_are_kept_and_the_dir_is_walked() {
        let mut rules = ignore("docker\n");
        keep_build_files(&mut rules, Some("docker/app.Dockerfile")).unwrap();
        assert_eq!(walk_to(&rules, "docker", true), WalkDecision::DescendOnly);
        assert_eq!(
            walk_to(&rules, "docker/app.Dockerfile", false),
            WalkDecision::Include
        );
        assert_eq!(walk_to(&rules, "docker/secret", false), WalkDecision::Skip);
    }

    #[test]
    fn stdin_dockerfile_adds_no_exception() {
        let mut rules = ignore("*\n");
        keep_build_files(&mut rules, None).unwrap();
        assert_eq!(rules.lines(), ["*", "!.dockerignore"]);
    }

    #[test]
    fn inline_dockerfile_is_appended_to_dockerignore() {
        let name = inline_dockerfile_name("0123456789abcdef0123456789");
        assert_eq!(name, ".dockerfile.0123456789abcdef0123");
        assert_eq!(
            dockerignore_with_inline_dockerfile(None, &name),
            b".dockerignore\n.dockerfile.0123456789abcdef0123\n".to_vec()
        );
        assert_eq!(
            dockerignore_with_inline_dockerfile(Some(b"*.md"), &name),
            b"*.md\n.dockerfile.0123456789abcdef0123\n".to_vec()
        );
    }
}
