//! The global `ARG` scope that `FROM` lines are expanded with (BuildKit's `buildMetaArgs`
//! and `defaultArgs` in moby/buildkit `frontend/dockerfile/dockerfile2llb/convert.go`).

use std::collections::{BTreeMap, BTreeSet};

use super::expand::{expand, Expanded};
use super::model::Dockerfile;

/// Platform arguments BuildKit defines before the first `FROM`. Values are those of a
/// linux/amd64 build; they only matter for expanding `FROM` lines offline.
pub const PLATFORM_ARGS: [(&str, &str); 8] = [
    ("BUILDPLATFORM", "linux/amd64"),
    ("BUILDOS", "linux"),
    ("BUILDARCH", "amd64"),
    ("BUILDVARIANT", ""),
    ("TARGETPLATFORM", "linux/amd64"),
    ("TARGETOS", "linux"),
    ("TARGETARCH", "amd64"),
    ("TARGETVARIANT", ""),
];

/// Variables visible to `FROM` lines.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// Variables with a value.
    pub values: BTreeMap<String, String>,
    /// Every declared name (with or without a value), platform args included.
    pub declared: BTreeSet<String>,
}

impl Scope {
    /// Expands one word in this scope.
    pub fn expand(&self, word: &str, escape: char) -> Expanded {
        expand(word, escape, &|name| self.values.get(name).cloned())
    }
}

/// The global scope: platform args, then each global `ARG` in order (its default expanded
/// with what came before, a build arg overriding it).
pub fn global_scope(df: &Dockerfile, build_args: &BTreeMap<String, String>) -> Scope {
    let mut scope = Scope::default();
    for (name, value) in PLATFORM_ARGS {
        scope.values.insert(name.to_owned(), value.to_owned());
        scope.declared.insert(name.to_owned());
    }
    for arg in df.global_args() {
        for kv in arg.key_values() {
            scope.declared.insert(kv.key.clone());
            let value = match (build_args.get(&kv.key), &kv.raw_value) {
                (Some(given), _) => Some(given.clone()),
                (None, Some(raw)) => Some(scope.expand(raw, df.directives.escape).result),
                (None, None) => None,
            };
            // Without a value (`ARG X`), whatever X had before stays (buildMetaArgs only
            // ever adds or replaces), e.g. `ARG TARGETPLATFORM` keeps the platform.
            if let Some(v) = value {
                scope.values.insert(kv.key.clone(), v);
            }
        }
    }
    scope
}
