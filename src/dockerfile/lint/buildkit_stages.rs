//! BuildKit checks on `FROM` lines and stage names: `StageNameCasing`, `FromAsCasing`,
//! `DuplicateStageName`, `ReservedStageName`, `UndefinedArgInFrom`,
//! `InvalidDefaultArgInFrom`, `RedundantTargetPlatform`.
//!
//! Logic and wording from moby/buildkit `frontend/dockerfile/instructions/parse.go`
//! (`parseFrom`, `doesFromCaseMatchAsCase`) and `dockerfile2llb/convert.go`
//! (`validateStageNames`, `validateBaseImagesWithDefaultArgs`, `reportUnusedFromArgs`,
//! `reportRedundantTargetPlatform`). All are reported on the `FROM` instruction.

use std::collections::BTreeSet;

use super::stage_info::{stages, StageInfo};
use super::{platform, reference, suggest, Sink};
use crate::dockerfile::model::Dockerfile;
use crate::dockerfile::scope::Scope;

/// Stage names BuildKit reserves.
const RESERVED: [&str; 2] = ["context", "scratch"];

pub(super) fn run(df: &Dockerfile, sink: &mut Sink<'_>) {
    let (infos, scope) = stages(df);
    let mut seen = BTreeSet::new();
    for info in &infos {
        names(info, &mut seen, sink);
        from_args(df, info, &scope, sink);
    }
}

fn names(info: &StageInfo<'_>, seen: &mut BTreeSet<String>, sink: &mut Sink<'_>) {
    let from = info.stage.from;
    let Some((as_kw, name)) = (match &from.args {
        crate::dockerfile::Args::From { alias, .. } => alias.as_ref(),
        _ => None,
    }) else {
        return;
    };
    let at = from.span.clone();
    if name.value != name.value.to_lowercase() {
        sink.report(
            "StageNameCasing",
            sink.pick(&at, &name.span),
            format!("Stage name '{}' should be lowercase", name.value),
            Some(format!("{} {}", as_kw.value, name.value.to_lowercase())),
        );
    }
    let from_kw = &from.keyword_text;
    let from_lower = *from_kw == from_kw.to_lowercase();
    let from_upper = *from_kw == from_kw.to_uppercase();
    let as_matches = if from_lower {
        as_kw.value == as_kw.value.to_lowercase()
    } else if from_upper {
        as_kw.value == as_kw.value.to_uppercase()
    } else {
        true // inconsistent FROM casing is ConsistentInstructionCasing's business
    };
    if !as_matches {
        let fixed = if from_lower { "as" } else { "AS" };
        sink.report(
            "FromAsCasing",
            sink.pick(&at, &as_kw.span),
            format!(
                "'{}' and '{}' keywords' casing do not match",
                as_kw.value, from_kw
            ),
            Some(format!("{from_kw} ... {fixed} {}", name.value)),
        );
    }
    let lower = name.value.to_lowercase();
    if RESERVED.contains(&lower.as_str()) {
        sink.report(
            "ReservedStageName",
            sink.pick(&at, &name.span),
            format!("Stage name should not use the same name as reserved stage {lower:?}"),
            Some("choose another stage name".to_owned()),
        );
    }
    if !seen.insert(lower.clone()) {
        sink.report(
            "DuplicateStageName",
            sink.pick(&at, &name.span),
            format!("Duplicate stage name {lower:?}, stage names should be unique"),
            Some("rename one of the stages".to_owned()),
        );
    }
}

fn from_args(df: &Dockerfile, info: &StageInfo<'_>, scope: &Scope, sink: &mut Sink<'_>) {
    let from = info.stage.from;
    let escape = df.directives.escape;
    let base = &info.stage.base;
    let expanded = scope.expand(&base.value, escape);
    undeclared(&expanded.unmatched, scope, from.span.clone(), sink);
    if !expanded.unterminated && !reference::is_valid(&expanded.result) {
        sink.report(
            "InvalidDefaultArgInFrom",
            sink.pick(&from.span, &base.span),
            format!(
                "Default value for ARG {} results in empty or invalid base image name",
                base.value
            ),
            Some("give the global ARG a default value that makes a valid image name".to_owned()),
        );
    }
    let Some(platform) = from.flag("platform") else {
        return;
    };
    let Some(value) = platform.value.as_deref() else {
        return;
    };
    let expanded = scope.expand(value, escape);
    undeclared(&expanded.unmatched, scope, from.span.clone(), sink);
    let only_target = expanded.matched.len() == 1
        && expanded.unmatched.is_empty()
        && expanded.matched.contains("TARGETPLATFORM");
    if only_target && scope.values.get("TARGETPLATFORM") == Some(&expanded.result) {
        sink.report(
            "RedundantTargetPlatform",
            sink.pick(&from.span, &platform.span),
            format!("Setting platform to predefined {value} in FROM is redundant as this is the default behavior"),
            Some(format!("remove --platform={value}")),
        );
    }
    // reportConstPlatformDisallowed: only when no variable was involved at all.
    let constant = expanded.matched.is_empty() && expanded.unmatched.is_empty();
    let name = info.name.as_deref().unwrap_or("");
    if constant && platform::const_platform_disallowed(name, &expanded.result) {
        sink.report(
            "FromPlatformFlagConstDisallowed",
            sink.pick(&from.span, &platform.span),
            format!("FROM --platform flag should not use constant value {:?}", expanded.result),
            Some("use --platform=$BUILDPLATFORM (or $TARGETPLATFORM), or name the stage after the platform".to_owned()),
        );
    }
}

fn undeclared(
    unmatched: &BTreeSet<String>,
    scope: &Scope,
    at: crate::dockerfile::Span,
    sink: &mut Sink<'_>,
) {
    for name in unmatched {
        if scope.declared.contains(name) {
            continue;
        }
        let suggestion = suggest::search(name, scope.declared.iter().map(String::as_str), true);
        let mut message = format!("FROM argument '{name}' is not declared");
        let hint = match &suggestion {
            Some(s) => {
                message.push_str(&format!(" (did you mean {s}?)"));
                format!("use ${s}, or declare ARG {name}=<default> before the first FROM")
            }
            None => format!("declare ARG {name}=<default> before the first FROM"),
        };
        let span = super::variable_span(sink.source(), &at, name)
            .map_or(at.clone(), |v| sink.pick(&at, &v));
        sink.report("UndefinedArgInFrom", span, message, Some(hint));
    }
}
