//! `completion` and `man`: shell completion scripts (clap_complete) and manual pages
//! (clap_mangen) made from the same definitions the parser uses, so they cannot drift.

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::cli::{CompletionArgs, ManArgs};
use crate::error::{ExitStatus, StdoutClosed};

/// `dockjob completion SHELL`: the script on stdout.
pub fn completion(args: &CompletionArgs) -> anyhow::Result<ExitStatus> {
    let mut cmd = crate::cli::completion_command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "dockjob", &mut script);
    print_bytes(&script)?;
    Ok(ExitStatus::Success)
}

/// `dockjob man`: dockjob(1) on stdout, or with `--dir` a page per command written there
/// (their paths on stdout).
///
/// The pages are made at run time rather than by a build script: a build script would have to
/// compile the whole `cli` module a second time, and packagers can run `dockjob man --dir`.
pub fn man(args: &ManArgs) -> anyhow::Result<ExitStatus> {
    let cmd = crate::cli::command();
    match &args.dir {
        None => {
            print_bytes(&page(cmd)?)?;
        }
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create the directory {}", dir.display()))?;
            let mut written = Vec::new();
            write_pages(cmd, dir, &mut written)?;
            let list: String = written
                .iter()
                .map(|p| format!("{}\n", p.display()))
                .collect();
            print_bytes(list.as_bytes())?;
        }
    }
    Ok(ExitStatus::Success)
}

/// Writes the page of `cmd` and of each of its visible subcommands (clap's own `help`
/// subcommand has none), depth first, as `clap_mangen::generate_to` does.
fn write_pages(cmd: clap::Command, dir: &Path, written: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    for sub in cmd.get_subcommands() {
        if !sub.is_hide_set() && sub.get_name() != "help" {
            write_pages(sub.clone(), dir, written)?;
        }
    }
    let path = dir.join(clap_mangen::Man::new(cmd.clone()).get_filename());
    std::fs::write(&path, page(cmd)?)
        .with_context(|| format!("cannot write {}", path.display()))?;
    written.push(path);
    Ok(())
}

/// The manual page of `cmd`: clap_mangen's sections, with the help's `Examples:` as an
/// EXAMPLES section whose lines are kept as written (clap_mangen would fill them as prose
/// under the heading EXTRA).
fn page(cmd: clap::Command) -> std::io::Result<Vec<u8>> {
    let examples = cmd.get_after_help().map(|text| text.to_string());
    let has_options = cmd.get_arguments().any(|arg| !arg.is_hide_set());
    let has_subcommands = cmd.get_subcommands().any(|sub| !sub.is_hide_set());
    let man = clap_mangen::Man::new(cmd);
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    if has_options {
        man.render_options_section(&mut out)?;
    }
    if has_subcommands {
        man.render_subcommands_section(&mut out)?;
    }
    if let Some(examples) = examples {
        let body = examples.strip_prefix("Examples:").unwrap_or(&examples);
        out.extend_from_slice(roff_examples(body).as_bytes());
    }
    man.render_version_section(&mut out)?;
    Ok(ascii_roff(&String::from_utf8_lossy(&out)).into_bytes())
}

/// groff reads its input as Latin-1 unless told otherwise (`man` runs preconv, `groff -man`
/// does not) and clap_mangen passes the help's `…` through: every character beyond ASCII
/// becomes groff's `\[uXXXX]` escape, which every groff and mandoc read.
fn ascii_roff(page: &str) -> String {
    page.chars()
        .map(|c| match c.is_ascii() {
            true => c.to_string(),
            false => format!("\\[u{:04X}]", u32::from(c)),
        })
        .collect()
}

/// An EXAMPLES section in no-fill mode, each line escaped for roff (backslashes, hyphens,
/// control characters at the start).
fn roff_examples(body: &str) -> String {
    let mut section = String::from(".SH EXAMPLES\n.nf\n");
    for line in body.trim_start_matches('\n').lines() {
        let escaped = line.replace('\\', "\\e").replace('-', "\\-");
        if escaped.starts_with(['.', '\'']) {
            section.push_str("\\&");
        }
        section.push_str(&escaped);
        section.push('\n');
    }
    section.push_str(".fi\n");
    section
}

/// Writes `bytes` to stdout; a closed pipe becomes [`StdoutClosed`] (success for `main`).
fn print_bytes(bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(bytes)
        .and_then(|()| stdout.flush())
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::BrokenPipe => anyhow::Error::new(StdoutClosed),
            _ => anyhow::Error::new(e).context("writing to stdout"),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_lines_keep_their_layout_and_are_escaped_for_roff() {
        let section = roff_examples("\n  # Build\n  dockjob build . \\\n    -t a:1\n.dot\n");
        assert_eq!(
            section,
            ".SH EXAMPLES\n.nf\n  # Build\n  dockjob build . \\e\n    \\-t a:1\n\\&.dot\n.fi\n"
        );
    }

    #[test]
    fn characters_beyond_ascii_become_groff_escapes() {
        assert_eq!(
            ascii_roff("NAME:TAG@sha256:… ✓"),
            "NAME:TAG@sha256:\\[u2026] \\[u2713]"
        );
    }
}
