//! BuildKit's `UndefinedVar`: a `$VAR` that BuildKit itself expands (not the shell) and that
//! no `ARG` or `ENV` defined before.
//!
//! From moby/buildkit `frontend/dockerfile/dockerfile2llb/convert.go`
//! (`reportUnmatchedVariables`, `dispatchArg`, and the `SupportsSingleWordExpansion` commands:
//! ENV, LABEL, ARG defaults, WORKDIR, USER, STOPSIGNAL, EXPOSE, VOLUME, COPY, ADD). Shell-form
//! `RUN`/`CMD`/`ENTRYPOINT` are left to the shell, so they are not checked.
//!
//! BuildKit also knows the base image's environment, which an offline linter cannot. To avoid
//! false alarms, a stage built on an external image assumes the variables that official
//! images commonly set ([`IMAGE_ENV`]) are defined; `FROM scratch` only has `PATH`.

use std::collections::{BTreeMap, BTreeSet};

use super::stage_info::stages;
use super::{suggest, Sink};
use crate::dockerfile::expand::expand;
use crate::dockerfile::model::{Args, Dockerfile, Instruction, Keyword};
use crate::dockerfile::scope::Scope;

/// Variables official base images commonly define in their config.
pub const IMAGE_ENV: &[&str] = &[
    "PATH",
    "HOME",
    "HOSTNAME",
    "LANG",
    "LC_ALL",
    "TERM",
    "GOPATH",
    "GOLANG_VERSION",
    "GOTOOLCHAIN",
    "JAVA_HOME",
    "JAVA_VERSION",
    "NODE_VERSION",
    "YARN_VERSION",
    "PYTHON_VERSION",
    "PYTHON_SHA256",
    "GPG_KEY",
    "PIP_VERSION",
    "RUBY_VERSION",
    "RUBY_MAJOR",
    "GEM_HOME",
    "BUNDLE_APP_CONFIG",
    "CARGO_HOME",
    "RUSTUP_HOME",
    "RUST_VERSION",
    "PHP_VERSION",
    "PHP_INI_DIR",
    "NGINX_VERSION",
    "MAVEN_HOME",
    "GRADLE_HOME",
    "DOTNET_VERSION",
    "ASPNET_VERSION",
    "CATALINA_HOME",
    "TOMCAT_VERSION",
    "PG_MAJOR",
    "PG_VERSION",
    "PGDATA",
    "HTTPD_PREFIX",
    "NVM_DIR",
    "VIRTUAL_ENV",
    "CONDA_DIR",
];

pub(super) fn run(df: &Dockerfile, sink: &mut Sink<'_>) {
    let (infos, scope) = stages(df);
    let mut stage_envs: Vec<BTreeMap<String, String>> = Vec::new();
    let mut stage_declared: Vec<BTreeSet<String>> = Vec::new();
    for info in &infos {
        let mut env = match info.parent {
            Some(p) => stage_envs[p].clone(),
            None if info.base.eq_ignore_ascii_case("scratch") => {
                BTreeMap::from([("PATH".to_owned(), String::new())])
            }
            None => IMAGE_ENV
                .iter()
                .map(|k| (k.to_string(), String::new()))
                .collect(),
        };
        // A stage built on another inherits its declared ARGs (`d.buildArgs` in BuildKit).
        let mut declared = info
            .parent
            .map(|p| stage_declared[p].clone())
            .unwrap_or_default();
        for inst in info.stage.instructions {
            check(df, inst, &scope, &mut env, &mut declared, sink);
        }
        stage_envs.push(env);
        stage_declared.push(declared);
    }
}

fn check(
    df: &Dockerfile,
    inst: &Instruction,
    global: &Scope,
    env: &mut BTreeMap<String, String>,
    declared: &mut BTreeSet<String>,
    sink: &mut Sink<'_>,
) {
    let escape = df.directives.escape;
    let mut unmatched: BTreeSet<String> = BTreeSet::new();
    let mut words: Vec<&str> = Vec::new();
    match (&inst.keyword, &inst.args) {
        (Keyword::Arg, Args::KeyValues(kvs)) => {
            for kv in kvs {
                let value = match &kv.raw_value {
                    Some(raw) => {
                        // Newer BuildKit expands ARG defaults with global args merged in.
                        let lookup = |n: &str| {
                            env.get(n)
                                .cloned()
                                .or_else(|| global.values.get(n).cloned())
                        };
                        let e = expand(raw, escape, &lookup);
                        unmatched.extend(e.unmatched);
                        Some(e.result)
                    }
                    None => global.values.get(&kv.key).cloned(),
                };
                declared.insert(kv.key.clone());
                if let Some(v) = value {
                    env.insert(kv.key.clone(), v);
                }
            }
            report(inst, unmatched, declared, env, sink);
            return;
        }
        (Keyword::Env | Keyword::Label, Args::KeyValues(kvs)) => {
            for kv in kvs {
                words.push(&kv.key);
                words.extend(kv.raw_value.as_deref());
            }
        }
        (Keyword::Workdir | Keyword::User | Keyword::Stopsignal, Args::Text(w)) => {
            words.push(&w.value)
        }
        (Keyword::Expose | Keyword::Volume, Args::Words { words: ws, .. }) => {
            words.extend(ws.iter().map(|w| w.value.as_str()))
        }
        (Keyword::Copy | Keyword::Add, Args::Copy { sources, dest, .. }) => {
            words.extend(sources.iter().map(|w| w.value.as_str()));
            words.push(&dest.value);
            for flag in ["chown", "chmod"] {
                words.extend(inst.flag(flag).and_then(|f| f.value.as_deref()));
            }
        }
        _ => return,
    }
    let mut results = Vec::with_capacity(words.len());
    for word in words {
        let e = expand(word, escape, &|n: &str| env.get(n).cloned());
        unmatched.extend(e.unmatched);
        results.push(e.result);
    }
    report(inst, unmatched, declared, env, sink);
    if inst.keyword == Keyword::Env {
        for pair in results.chunks(2) {
            if let [key, value] = pair {
                env.insert(key.clone(), value.clone());
            }
        }
    }
}

fn report(
    inst: &Instruction,
    unmatched: BTreeSet<String>,
    declared: &BTreeSet<String>,
    env: &BTreeMap<String, String>,
    sink: &mut Sink<'_>,
) {
    for name in unmatched {
        if declared.contains(&name)
            || name == "BUILDKIT_SBOM_SCAN_CONTEXT"
            || name == "BUILDKIT_SBOM_SCAN_STAGE"
        {
            continue;
        }
        let suggestion = suggest::search(&name, env.keys().map(String::as_str), true);
        let mut message = format!("Usage of undefined variable '${name}'");
        let hint = match &suggestion {
            Some(s) => {
                message.push_str(&format!(" (did you mean ${s}?)"));
                format!("use ${s}, or declare it first with ARG {name} or ENV {name}=<value>")
            }
            None => format!("declare it first with ARG {name} or ENV {name}=<value>"),
        };
        let span = super::variable_span(sink.source(), &inst.span, &name)
            .map_or(inst.span.clone(), |v| sink.pick(&inst.span, &v));
        sink.report("UndefinedVar", span, message, Some(hint));
    }
}
