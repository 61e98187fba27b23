//! `lint`, and the lint that `build` runs before sending anything to the engine.

use std::path::{Path, PathBuf};

use crate::archive::ignore_file_for;
use crate::bounded::{Bounded, MAX_INPUT_BYTES};
use crate::cli::{FailOn, LintArgs, LintFormat};
use crate::context::dockerignore::IgnoreFile;
use crate::dockerfile::lint::{lint as lint_dockerfile, Diagnostic, LintOptions, Severity};
use crate::dockerfile::{self, render, Dockerfile};
use crate::error::{user_error, ExitStatus};

use super::print_data;

/// Lints each file and prints the findings on stdout (they are the data asked for); syntax
/// errors go to stderr. Exits 1 when a finding reaches `--fail-on` or a file does not parse.
pub fn lint(args: &LintArgs) -> anyhow::Result<ExitStatus> {
    let files = if args.files.is_empty() {
        vec![PathBuf::from("Dockerfile")]
    } else {
        args.files.clone()
    };
    let threshold = match args.fail_on {
        FailOn::Error => Severity::Error,
        FailOn::Warning => Severity::Warning,
    };
    let mut failed = false;
    let mut reports = Vec::new();
    for file in &files {
        // At most 3 MiB, so `lint /dev/zero` is refused, not read until memory runs out.
        let bytes = match crate::bounded::read_file_at_most(file, MAX_INPUT_BYTES) {
            Ok(Bounded::Whole(bytes)) => bytes,
            Ok(Bounded::TooLarge) => {
                return Err(user_error(format!(
                    "{}: larger than {MAX_INPUT_BYTES} bytes (3 MiB), the most dockjob reads of a Dockerfile",
                    file.display()
                )))
            }
            Err(e) => return Err(user_error(format!("{}: {e}", file.display()))),
        };
        let name = file.display().to_string();
        let source = String::from_utf8_lossy(&bytes);
        let parsed = match dockerfile::parse_bytes(&bytes) {
            Ok(parsed) => parsed,
            Err(error) => {
                // A file that does not parse is the most serious finding: report it, go on.
                eprint!("{}", error.render(&name, &source));
                failed = true;
                continue;
            }
        };
        let context = args
            .context
            .clone()
            .unwrap_or_else(|| file.parent().map(Path::to_path_buf).unwrap_or_default());
        let diags = lint_in_context(&parsed, &context, Some(file));
        failed |= diags.iter().any(|d| d.severity >= threshold);
        match args.format {
            LintFormat::Text => {
                let text = render::text(&name, &source, &diags);
                if !text.is_empty() {
                    print_data(text.trim_end())?;
                }
            }
            LintFormat::Json => reports.push(serde_json::to_value(render::report(
                &name, &source, &diags,
            ))?),
        }
    }
    if args.format == LintFormat::Json {
        print_data(&serde_json::to_string_pretty(&reports)?)?;
    }
    Ok(if failed {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}

/// Lints `parsed` before a build: findings go to stderr in the `lint` format; an error-level
/// finding stops the build (exit 2) before anything reaches the engine. Returns whether
/// there was any warning or error (for `build --check`).
pub fn lint_before_build(
    name: &str,
    source: &str,
    parsed: &Dockerfile,
    context: &Path,
    dockerfile: Option<&Path>,
    quiet: bool,
) -> anyhow::Result<bool> {
    let diags = lint_in_context(parsed, context, dockerfile);
    if !quiet && !diags.is_empty() {
        eprint!("{}", render::text(name, source, &diags));
    }
    let errors = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    if errors > 0 {
        return Err(user_error(format!(
            "{name}: {errors} lint error(s); nothing was sent to the engine"
        )));
    }
    Ok(diags.iter().any(|d| d.severity >= Severity::Warning))
}

/// Runs the linter with the ignore file the build would use (for `CopyIgnoredFile`):
/// `<Dockerfile>.dockerignore`, else the context's `.dockerignore`. As in BuildKit, the check
/// is skipped when that file has `!` exceptions or does not parse.
fn lint_in_context(
    parsed: &Dockerfile,
    context: &Path,
    dockerfile: Option<&Path>,
) -> Vec<Diagnostic> {
    let ignore = ignore_file_for(context, dockerfile)
        .and_then(|path| std::fs::read_to_string(path).ok())
        .and_then(|text| IgnoreFile::parse(&text).ok())
        .filter(|ignore| !ignore.has_exclusions());
    let is_ignored = ignore
        .as_ref()
        .map(|ignore| move |path: &str| ignore.is_excluded(path));
    let options = LintOptions {
        is_ignored: is_ignored.as_ref().map(|f| f as &dyn Fn(&str) -> bool),
        ..LintOptions::default()
    };
    lint_dockerfile(parsed, &options)
}
