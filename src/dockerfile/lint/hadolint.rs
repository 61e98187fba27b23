//! hadolint rules that BuildKit lacks, under hadolint's ids (hadolint/hadolint
//! `src/Hadolint/Rule/DL*.hs`): DL3006 untagged base image, DL3007 `:latest`, DL3020 `ADD`
//! where `COPY` serves, DL3015 `apt-get install` without `--no-install-recommends`, DL3009
//! apt lists not removed (final stage only, as hadolint), DL3003 `cd` instead of `WORKDIR`,
//! DL4006 pipe without `pipefail`. Reported on the instruction's first line, as hadolint does.

use super::shell::{read, Script};
use super::stage_info::stages;
use super::Sink;
use crate::dockerfile::expand::unquote;
use crate::dockerfile::model::{Args, CommandForm, Dockerfile, Instruction, Keyword, Span};

/// Extensions `ADD` unpacks (hadolint `DL3020` `archiveFileFormatExtensions`).
const ARCHIVES: &[&str] = &[
    ".tar", ".Z", ".bz2", ".gz", ".lz", ".lzma", ".tZ", ".tb2", ".tbz", ".tbz2", ".tgz", ".tlz",
    ".tpz", ".txz", ".xz",
];

pub(super) fn run(df: &Dockerfile, sink: &mut Sink<'_>) {
    let (infos, _) = stages(df);
    let last = infos.len().saturating_sub(1);
    for (i, info) in infos.iter().enumerate() {
        if info.parent.is_none() {
            base_image(
                df,
                info.stage.from,
                &info.stage.base.value,
                &info.stage.base.span,
                sink,
            );
        }
        let mut pipefail = false;
        for inst in info.stage.instructions {
            match (&inst.keyword, &inst.args) {
                (Keyword::Shell, Args::Words { words, .. }) => {
                    let shell = words
                        .first()
                        .map(|w| w.value.to_lowercase())
                        .unwrap_or_default();
                    // Non-POSIX shells (PowerShell, cmd) have no pipefail to set.
                    pipefail = words.iter().any(|w| w.value.contains("pipefail"))
                        || !(shell.ends_with("sh")
                            || shell.ends_with("bash")
                            || shell.ends_with("zsh"));
                }
                (Keyword::Add, Args::Copy { sources, .. }) => add(df, inst, sources, sink),
                (Keyword::Run, Args::Command(form)) => {
                    run_rules(df, inst, form, i == last, pipefail, sink)
                }
                _ => {}
            }
        }
    }
}

fn base_image(df: &Dockerfile, from: &Instruction, image: &str, span: &Span, sink: &mut Sink<'_>) {
    if image.contains('$') || image.eq_ignore_ascii_case("scratch") || image.contains('@') {
        return;
    }
    let name_end = image.rfind('/').map_or(0, |i| i + 1);
    let tag = image[name_end..].split_once(':').map(|(_, t)| t);
    let at = sink.pick(&from.span, span);
    let _ = df;
    match tag {
        None => sink.report(
            "DL3006",
            at,
            "Always tag the version of an image explicitly".to_owned(),
            Some(format!("{} {image}:<version>", from.keyword_text)),
        ),
        Some("latest") => sink.report(
            "DL3007",
            at,
            "Using latest is prone to errors if the image will ever update. Pin the version explicitly to a release tag"
                .to_owned(),
            Some(format!("{} {}:<version>", from.keyword_text, &image[..image.len() - ":latest".len()])),
        ),
        Some(_) => {}
    }
}

fn add(
    df: &Dockerfile,
    inst: &Instruction,
    sources: &[crate::dockerfile::Word],
    sink: &mut Sink<'_>,
) {
    let escape = df.directives.escape;
    let local_file = sources.iter().any(|s| {
        let path = unquote(&s.value, escape);
        !path.contains("://")
            && !path.starts_with("git@")
            && !path.contains('$')
            && !ARCHIVES.iter().any(|ext| path.ends_with(ext))
    });
    if local_file && inst.flag("checksum").is_none() && inst.flag("unpack").is_none() {
        let copy = if inst.keyword_text == inst.keyword_text.to_lowercase() {
            "copy"
        } else {
            "COPY"
        };
        sink.report(
            "DL3020",
            inst.keyword_span.clone(),
            "Use COPY instead of ADD for files and folders".to_owned(),
            Some(format!(
                "{copy}{}",
                &df.source()[inst.keyword_span.end..inst.span.end]
                    .lines()
                    .next()
                    .unwrap_or("")
            )),
        );
    }
}

fn run_rules(
    df: &Dockerfile,
    inst: &Instruction,
    form: &CommandForm,
    final_stage: bool,
    pipefail: bool,
    sink: &mut Sink<'_>,
) {
    let mut scripts: Vec<Script> = Vec::new();
    match form {
        CommandForm::Shell { text, .. } => scripts.push(read(text)),
        CommandForm::Exec { args, .. } => {
            let joined: Vec<String> = args.iter().map(|a| a.value.clone()).collect();
            scripts.push(read(&joined.join(" ")));
        }
    }
    scripts.extend(inst.heredocs.iter().map(|h| read(&h.body)));
    let is_apt = |c: &&super::shell::SimpleCommand| c.name() == Some("apt-get");
    let apt: Vec<_> = scripts
        .iter()
        .flat_map(|s| s.commands.iter())
        .filter(is_apt)
        .collect();
    let installs = apt.iter().any(|c| c.has("install"));
    let no_recommends = apt.iter().any(|c| {
        c.has("--no-install-recommends")
            || c.words
                .iter()
                .any(|w| w.contains("APT::Install-Recommends=false"))
    });
    let here = |needle: &str| find(df, inst, needle);
    if installs && !no_recommends {
        sink.report(
            "DL3015",
            here("apt-get"),
            "Avoid additional packages by specifying `--no-install-recommends`".to_owned(),
            Some("apt-get install --no-install-recommends ...".to_owned()),
        );
    }
    let updates = apt.iter().any(|c| c.has("update"));
    let source = df.source();
    let text = &source[inst.span.clone()];
    let cleans = text.contains("/var/lib/apt/lists");
    if final_stage && updates && !cleans {
        sink.report(
            "DL3009",
            here("apt-get"),
            "Delete the apt-get lists after installing something".to_owned(),
            Some("... && rm -rf /var/lib/apt/lists/*".to_owned()),
        );
    }
    let all = || scripts.iter().flat_map(|s| s.commands.iter());
    if let Some(cd) = all().find(|c| c.name() == Some("cd")) {
        let dir = cd
            .words
            .get(1)
            .cloned()
            .unwrap_or_else(|| "<dir>".to_owned());
        sink.report(
            "DL3003",
            here("cd"),
            "Use WORKDIR to switch to a directory".to_owned(),
            Some(format!("WORKDIR {dir}")),
        );
    }
    let piped =
        matches!(form, CommandForm::Shell { .. }) && scripts.first().is_some_and(|s| s.has_pipe);
    // hadolint also accepts `set -o pipefail` (or `set -euo pipefail`) in the same RUN.
    let set_here = all().any(|c| c.name() == Some("set") && c.has("pipefail"));
    if piped && !pipefail && !set_here {
        sink.report(
            "DL4006",
            here("|"),
            "Set the SHELL option -o pipefail before RUN with a pipe in it".to_owned(),
            Some("SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]".to_owned()),
        );
    }
}

/// The span of the first `needle` in the instruction if it is on the first line, else the
/// instruction start.
fn find(df: &Dockerfile, inst: &Instruction, needle: &str) -> Span {
    let text = &df.source()[inst.keyword_span.end..inst.span.end];
    let first_line = text.split('\n').next().unwrap_or("");
    match first_line.find(needle) {
        Some(i) => {
            let start = inst.keyword_span.end + i;
            start..start + needle.len()
        }
        None => inst.keyword_span.clone(),
    }
}
