//! BuildKit checks on instructions inside stages: `MaintainerDeprecated`,
//! `LegacyKeyValueFormat`, `JSONArgsRecommended`, `WorkdirRelativePath`,
//! `MultipleInstructionsDisallowed`, `SecretsUsedInArgOrEnv`.
//!
//! From moby/buildkit `frontend/dockerfile/instructions/parse.go` (`parseMaintainer`) and
//! `dockerfile2llb/convert.go` (`dispatchEnv`, `dispatchLabel`, `dispatchCmd`,
//! `dispatchEntrypoint`, `dispatchWorkdir`, `validateUsedOnce`, `validateNoSecretKey`).
//! Every finding is reported on the instruction's first line, as BuildKit does.

use regex::Regex;
use std::sync::OnceLock;

use super::stage_info::stages;
use super::{buildkit_misc, LintOptions, Sink};
use crate::dockerfile::expand::{expand, unquote};
use crate::dockerfile::model::{
    Args, CommandForm, Dockerfile, Instruction, KeyValue, Keyword, Span,
};

/// What a stage passes on to stages built `FROM` it.
#[derive(Debug, Clone, Default)]
struct StageState {
    shell_set: bool,
    /// A WORKDIR was set in this stage or a stage it builds on (`dispatchState.workdirSet`).
    workdir_set: bool,
}

pub(super) fn run(df: &Dockerfile, opts: &LintOptions<'_>, sink: &mut Sink<'_>) {
    let (infos, _) = stages(df);
    let mut states: Vec<StageState> = Vec::with_capacity(infos.len());
    for info in &infos {
        let mut state = info
            .parent
            .and_then(|p| states.get(p).cloned())
            .unwrap_or_default();
        let mut used_once: [Option<Span>; 3] = [None, None, None];
        for inst in info.stage.instructions {
            check(df, inst, &mut state, &mut used_once, sink);
            buildkit_misc::instruction(df, inst, opts, sink);
        }
        states.push(state);
    }
    buildkit_misc::file(df, sink);
}

fn check(
    df: &Dockerfile,
    inst: &Instruction,
    state: &mut StageState,
    used: &mut [Option<Span>; 3],
    sink: &mut Sink<'_>,
) {
    let escape = df.directives.escape;
    let name = &inst.keyword_text;
    match (&inst.keyword, &inst.args) {
        (Keyword::Maintainer, Args::Text(who)) => {
            let author = unquote(&who.value, escape).replace('"', "\\\"");
            sink.report(
                "MaintainerDeprecated",
                inst.span.clone(),
                "Maintainer instruction is deprecated in favor of using label".to_owned(),
                Some(format!(
                    "LABEL org.opencontainers.image.authors=\"{author}\""
                )),
            );
        }
        (Keyword::Env | Keyword::Label, Args::KeyValues(kvs)) => {
            for kv in kvs.iter().filter(|kv| kv.legacy) {
                let value = kv.value.as_deref().unwrap_or_default();
                sink.report(
                    "LegacyKeyValueFormat",
                    sink.pick(&inst.span, &kv.span),
                    format!("\"{name} key=value\" should be used instead of legacy \"{name} key value\" format"),
                    Some(format!("{name} {}={}", kv.key, shell_quote(value))),
                );
            }
            if inst.keyword == Keyword::Env {
                kvs.iter().for_each(|kv| secret(inst, "ENV", kv, sink));
            }
        }
        (Keyword::Arg, Args::KeyValues(kvs)) => {
            kvs.iter().for_each(|kv| secret(inst, "ARG", kv, sink))
        }
        (Keyword::Cmd | Keyword::Entrypoint, Args::Command(form)) => {
            let slot = if inst.keyword == Keyword::Cmd { 0 } else { 1 };
            used_once(inst, &mut used[slot], sink);
            if let CommandForm::Shell { text, span } = form {
                if !state.shell_set {
                    sink.report(
                        "JSONArgsRecommended",
                        sink.pick(&inst.span, span),
                        format!("JSON arguments recommended for {name} to prevent unintended behavior related to OS signals"),
                        Some(format!("{name} {}", exec_form_hint(text))),
                    );
                }
            }
        }
        (Keyword::Healthcheck, _) => used_once(inst, &mut used[2], sink),
        (Keyword::Shell, _) => state.shell_set = true,
        (Keyword::Workdir, Args::Text(dir)) => {
            // BuildKit expands before checking; unknown variables expand to nothing, so
            // `WORKDIR $HOME/app` counts as absolute, as it does in a real build.
            let path = expand(&dir.value, escape, &|_| None).result;
            // Only the first WORKDIR is checked: fixing it fixes the later relative ones.
            let first = !std::mem::replace(&mut state.workdir_set, true);
            if first && !path.starts_with('/') {
                sink.report(
                    "WorkdirRelativePath",
                    sink.pick(&inst.span, &dir.span),
                    format!("Relative workdir {path:?} can have unexpected results if the base image changes"),
                    Some(format!("{name} /{}", path.trim_start_matches("./"))),
                );
            }
        }
        _ => {}
    }
}

/// `validateUsedOnce`: BuildKit reports the *previous* one, since that is the one ignored.
fn used_once(inst: &Instruction, previous: &mut Option<Span>, sink: &mut Sink<'_>) {
    if let Some(prev) = previous.replace(inst.span.clone()) {
        sink.report(
            "MultipleInstructionsDisallowed",
            prev,
            format!(
                "Multiple {} instructions should not be used in the same stage because only the last one will be used",
                inst.keyword_text
            ),
            Some(format!("remove this {}; only the last one in the stage takes effect", inst.keyword_text)),
        );
    }
}

fn secret(inst: &Instruction, kind: &str, kv: &KeyValue, sink: &mut Sink<'_>) {
    let key = kv.key.as_str();
    static DENY: OnceLock<Regex> = OnceLock::new();
    static ALLOW: OnceLock<Regex> = OnceLock::new();
    let deny = DENY.get_or_init(|| {
        Regex::new(r"(?i)(?:_|^)(?:apikey|auth|credential|credentials|key|password|pword|passwd|secret|token)(?:_|$)")
            .expect("static regex")
    });
    let allow = ALLOW.get_or_init(|| {
        Regex::new(r"(?i)(?:_|^)(?:public|file|version)(?:_|$)").expect("static regex")
    });
    if deny.is_match(key) && !allow.is_match(key) {
        sink.report(
            "SecretsUsedInArgOrEnv",
            sink.pick(&inst.span, &kv.key_span),
            format!("Do not use ARG or ENV instructions for sensitive data ({kind} {key:?})"),
            Some(format!(
                "pass it at build time with RUN --mount=type=secret,id={} instead",
                key.to_lowercase()
            )),
        );
    }
}

/// Quotes a value for a `key=value` hint when it needs it.
fn shell_quote(value: &str) -> String {
    if !value.is_empty() && !value.contains(|c: char| c.is_whitespace() || "\"'\\".contains(c)) {
        return value.to_owned();
    }
    format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The exec form for a shell-form command: a plain word list when no shell feature is used.
fn exec_form_hint(text: &str) -> String {
    // A JSON array missing only its `]` (Docker runs it through the shell): exec form was
    // meant, so the fix is to close it, not to wrap it in `/bin/sh -c`.
    if text.trim_start().starts_with('[') {
        let closed = format!("{}]", text.trim_end());
        if serde_json::from_str::<Vec<String>>(&closed).is_ok() {
            return closed;
        }
    }
    let plain = !text.contains(|c: char| "$|&;<>()`'\"\\*?~{}[]#".contains(c));
    let quote = |s: &str| serde_json::to_string(s).unwrap_or_default();
    let parts: Vec<String> = if plain {
        text.split_whitespace().map(quote).collect()
    } else {
        ["/bin/sh", "-c", text.trim()]
            .iter()
            .map(|s| quote(s))
            .collect()
    };
    format!("[{}]", parts.join(", "))
}

#[cfg(test)]
mod tests {
    use crate::dockerfile::{lint, parse};

    /// (line, column, message, hint) of each `JSONArgsRecommended` finding.
    fn json_args(src: &str) -> Vec<(usize, usize, String, Option<String>)> {
        let df = parse(src).unwrap();
        lint::lint(&df, &lint::LintOptions::default())
            .into_iter()
            .filter(|d| d.rule == "JSONArgsRecommended")
            .map(|d| (d.line, d.column, d.message, d.hint))
            .collect()
    }

    /// Issue 13, item 6: `ENTRYPOINT ["sh", "-c"` (no `]`) got no `JSONArgsRecommended`.
    /// moby/buildkit `frontend/dockerfile/parser/line_parsers.go` `parseMaybeJSON` keeps
    /// malformed JSON as one shell-form string (no `json` attribute, so `PrependShell`), and
    /// `dockerfile2llb/convert.go` `dispatchCmd` and `dispatchEntrypoint` both report
    /// `RuleJSONArgsRecommended` for `PrependShell` when the image has no `Shell`, with
    /// `linter/ruleset.go`'s "JSON arguments recommended for %s to prevent unintended behavior
    /// related to OS signals".
    #[test]
    fn malformed_json_cmd_and_entrypoint_are_shell_form() {
        for kw in ["CMD", "ENTRYPOINT"] {
            let message = format!("JSON arguments recommended for {kw} to prevent unintended behavior related to OS signals");
            let column = kw.len() + 2;
            assert_eq!(
                json_args(&format!("FROM a:1\n{kw} [\"sh\", \"-c\"\n")),
                [(
                    2,
                    column,
                    message.clone(),
                    Some(format!("{kw} [\"sh\", \"-c\"]"))
                )],
                "{kw}: unterminated array"
            );
            assert_eq!(
                json_args(&format!("FROM a:1\n{kw} [\"look ma, no quote!]\n")).len(),
                1,
                "{kw}: unterminated string"
            );
            assert_eq!(
                json_args(&format!("FROM a:1\n{kw} run it\n")),
                [(2, column, message, Some(format!("{kw} [\"run\", \"it\"]")))],
                "{kw}: plain shell form"
            );
            assert!(
                json_args(&format!("FROM a:1\n{kw} [\"sh\", \"-c\"]\n")).is_empty(),
                "{kw}: exec form"
            );
            for body in ["[\"sh\", \"-c\"", "[\"sh\", \"-c\"]", "run it"] {
                let src = format!("FROM a:1\nSHELL [\"/bin/bash\", \"-c\"]\n{kw} {body}\n");
                assert!(json_args(&src).is_empty(), "{src:?}: SHELL is set");
            }
        }
        assert!(json_args("FROM a:1\nENTRYPOINT []\n").is_empty());
    }
}
