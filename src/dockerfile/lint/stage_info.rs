//! Facts about stages that several rules need: the lower-cased name BuildKit uses, the
//! base image after expanding global `ARG` defaults, and which earlier stage (if any) a
//! stage builds on.

use std::collections::BTreeMap;

use crate::dockerfile::model::{Dockerfile, Stage};
use crate::dockerfile::scope::{global_scope, Scope};

/// One stage plus derived facts.
#[derive(Debug, Clone)]
pub struct StageInfo<'a> {
    /// The stage.
    pub stage: Stage<'a>,
    /// The stage name lower-cased (BuildKit lower-cases names).
    pub name: Option<String>,
    /// The base after expanding global args with their defaults.
    pub base: String,
    /// Index of the earlier stage this one is built `FROM`, if any.
    pub parent: Option<usize>,
}

/// Stages with derived facts, and the global scope used to expand them.
pub fn stages(df: &Dockerfile) -> (Vec<StageInfo<'_>>, Scope) {
    let scope = global_scope(df, &BTreeMap::new());
    let mut out: Vec<StageInfo<'_>> = Vec::new();
    for stage in df.stages() {
        let base = scope.expand(&stage.base.value, df.directives.escape).result;
        let lower = base.to_ascii_lowercase();
        let parent = out
            .iter()
            .rposition(|s| s.name.as_deref() == Some(lower.as_str()));
        let name = stage.name.map(|n| n.value.to_ascii_lowercase());
        out.push(StageInfo {
            stage,
            name,
            base,
            parent,
        });
    }
    (out, scope)
}
