//! `--build-context NAME=docker-image://REF`: rewrites the image of every matching `FROM`
//! through its span, keeping every other byte (and so every line number) unchanged.
//!
//! Matching follows BuildKit's named contexts (moby/buildkit `frontend/dockerui/namedcontext.go`):
//! names are compared in Docker's familiar form, so `alpine`, `alpine:latest` and
//! `docker.io/library/alpine` are the same name. The image is compared after expanding global
//! `ARG`s (defaults, overridden by build args), so `FROM ${BASE}` is rewritten too.

use std::collections::BTreeMap;

use crate::image_ref::ImageRef;

use super::model::{Dockerfile, Span};
use super::scope::global_scope;

/// Rewrites `FROM` images that match a key of `substitutions` (see the module docs).
pub fn rewrite_from(
    source: &str,
    df: &Dockerfile,
    substitutions: &BTreeMap<String, String>,
) -> String {
    rewrite_from_with_args(source, df, substitutions, &BTreeMap::new())
}

/// Like [`rewrite_from`], expanding `ARG`s in `FROM` with these build args.
pub fn rewrite_from_with_args(
    source: &str,
    df: &Dockerfile,
    substitutions: &BTreeMap<String, String>,
    build_args: &BTreeMap<String, String>,
) -> String {
    let wanted: BTreeMap<String, &str> = substitutions
        .iter()
        .map(|(k, v)| (familiar(k), v.strip_prefix("docker-image://").unwrap_or(v)))
        .collect();
    let scope = global_scope(df, build_args);
    let mut edits: Vec<(Span, &str)> = Vec::new();
    let mut stage_names: Vec<String> = Vec::new();
    for stage in df.stages() {
        let image = scope.expand(&stage.base.value, df.directives.escape).result;
        let is_stage_ref = stage_names.iter().any(|n| n.eq_ignore_ascii_case(&image));
        if !is_stage_ref {
            if let Some(replacement) = wanted.get(&familiar(&image)) {
                edits.push((stage.base.span.clone(), replacement));
            }
        }
        if let Some(name) = stage.name {
            stage_names.push(name.value.clone());
        }
    }
    let mut out = String::with_capacity(source.len());
    let mut last = 0;
    for (span, replacement) in edits {
        if span.start < last || span.end > source.len() {
            continue;
        }
        out.push_str(&source[last..span.start]);
        out.push_str(replacement);
        last = span.end;
    }
    out.push_str(&source[last..]);
    out
}

/// Docker's familiar form of an image name without a `:latest` tag, so that `alpine`,
/// `alpine:latest` and `docker.io/library/alpine` compare equal; a name that does not parse
/// is compared as written.
pub fn familiar(name: &str) -> String {
    let name = name.trim();
    let Ok(reference) = ImageRef::parse(name) else {
        return name.to_owned();
    };
    let familiar = reference.familiar();
    match familiar.strip_suffix(":latest") {
        Some(rest) if reference.digest().is_none() => rest.to_owned(),
        _ => familiar,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dockerfile::parse;

    fn subs(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn rewrites_only_the_image_token() {
        let src =
            "FROM alpine:3.10.3\nMAINTAINER x\nFROM  alpine:3.10.3   AS b\nFROM alpine:3.11\n";
        let df = parse(src).unwrap();
        let out = rewrite_from(
            src,
            &df,
            &subs(&[("alpine:3.10.3", "docker-image://local/alp:1")]),
        );
        assert_eq!(
            out,
            "FROM local/alp:1\nMAINTAINER x\nFROM  local/alp:1   AS b\nFROM alpine:3.11\n"
        );
    }

    #[test]
    fn matches_familiar_names_and_expanded_args() {
        let src = "ARG BASE=alpine\nARG TAG=latest\nFROM --platform=linux/amd64 ${BASE}:${TAG} AS x\nFROM docker.io/library/alpine\nFROM x\n";
        let df = parse(src).unwrap();
        let out = rewrite_from(src, &df, &subs(&[("alpine", "r/a:1"), ("x", "nope")]));
        assert_eq!(
            out,
            "ARG BASE=alpine\nARG TAG=latest\nFROM --platform=linux/amd64 r/a:1 AS x\nFROM r/a:1\nFROM x\n"
        );
        let args = subs(&[("TAG", "3.10.3")]);
        let out = rewrite_from_with_args(src, &df, &subs(&[("alpine:3.10.3", "r/a:2")]), &args);
        assert!(out.contains("FROM --platform=linux/amd64 r/a:2 AS x\n"));
        assert!(out.contains("FROM docker.io/library/alpine\n"));
    }

    #[test]
    fn stage_bases_expand_global_args() {
        let src = "ARG TAG=3.10.3\nFROM alpine:${TAG} AS a\nFROM a\n";
        let df = parse(src).unwrap();
        assert_eq!(df.stage_bases(&BTreeMap::new()), ["alpine:3.10.3", "a"]);
        assert_eq!(
            df.stage_bases(&subs(&[("TAG", "3.11")])),
            ["alpine:3.11", "a"]
        );
    }

    #[test]
    fn keeps_crlf_and_bom_bytes() {
        let src = "\u{feff}FROM alpine:3.10.3\r\nRUN true\r\n";
        let df = parse(src).unwrap();
        let out = rewrite_from(src, &df, &subs(&[("alpine:3.10.3", "l/a:1")]));
        assert_eq!(out, "\u{feff}FROM l/a:1\r\nRUN true\r\n");
    }

    #[test]
    fn familiar_names() {
        assert_eq!(familiar("docker.io/library/alpine:latest"), "alpine");
        assert_eq!(familiar("alpine:3.10.3"), "alpine:3.10.3");
        assert_eq!(familiar("docker.io/org/app"), "org/app");
        assert_eq!(familiar("ghcr.io/o/a:latest"), "ghcr.io/o/a");
    }
}
