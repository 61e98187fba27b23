//! `--build-arg` on the wire as the docker CLI sends it, `null` for a bare name that is unset.
//!
//! The CLI validates `--build-arg K` with `opts.ValidateEnv` (the environment's value when `K`
//! is set) and converts the list with `opts.ConvertKVStringsToMapWithNil`, so an unset `K` goes
//! to the engine as `{"K": null}` in the `buildargs` query JSON (docker/cli
//! `cli/command/image/build.go`, `opts/parse.go`). The builder then counts the arg as given
//! with no value: `ARG K=default` keeps its default, and an undeclared `K` is still reported as
//! "not consumed" (moby `builder/dockerfile/buildargs.go`). bollard 0.21's `buildargs` is a
//! `HashMap<String, String>`, which cannot say `null`, so the adapter writes the parameter
//! itself with a request modifier. The same modifier adds the `t` parameters after the first
//! (bollard's `t` holds one; the engine takes them all). Pure.

use std::collections::BTreeMap;

/// The `buildargs` value: a JSON object, `null` for a name without a value.
pub fn buildargs_json(args: &BTreeMap<String, Option<String>>) -> String {
    serde_json::to_string(args).expect("string keys and values always serialise")
}

/// `uri` with its query parameter `name` set to `value` (percent-encoded), replacing any
/// occurrence of it and keeping the other parameters as they were.
pub fn with_query_param(uri: &http::Uri, name: &str, value: &str) -> http::Uri {
    let encoded: String = form_urlencoded::Serializer::new(String::new())
        .append_pair(name, value)
        .finish();
    let prefix = format!("{name}=");
    let mut pairs: Vec<&str> = uri
        .query()
        .unwrap_or_default()
        .split('&')
        .filter(|pair| !pair.is_empty() && !pair.starts_with(&prefix) && *pair != name)
        .collect();
    pairs.push(&encoded);
    let path_and_query = format!("{}?{}", uri.path(), pairs.join("&"));
    let mut parts = uri.clone().into_parts();
    parts.path_and_query = Some(
        path_and_query
            .parse()
            .expect("a valid path and an encoded query stay valid"),
    );
    http::Uri::from_parts(parts).expect("only the path and query changed")
}

/// `uri` with one more `name=value` parameter per value, after the ones it has.
pub fn with_repeated_param(uri: &http::Uri, name: &str, values: &[String]) -> http::Uri {
    if values.is_empty() {
        return uri.clone();
    }
    let mut query = form_urlencoded::Serializer::new(uri.query().unwrap_or_default().to_string());
    for value in values {
        query.append_pair(name, value);
    }
    let path_and_query = format!("{}?{}", uri.path(), query.finish());
    let mut parts = uri.clone().into_parts();
    parts.path_and_query = Some(
        path_and_query
            .parse()
            .expect("a valid path and an encoded query stay valid"),
    );
    http::Uri::from_parts(parts).expect("only the path and query changed")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unset_names_are_null_like_the_docker_cli() {
        let args = BTreeMap::from([
            ("A".to_string(), Some("1".to_string())),
            ("K".to_string(), None),
            ("E".to_string(), Some(String::new())),
        ]);
        assert_eq!(buildargs_json(&args), r#"{"A":"1","E":"","K":null}"#);
    }

    #[test]
    fn the_parameter_is_replaced_and_the_rest_kept() {
        let uri: http::Uri = "unix://2f:0/build?dockerfile=Dockerfile&buildargs=%7B%7D&q=false"
            .parse()
            .unwrap();
        let fixed = with_query_param(&uri, "buildargs", r#"{"K":null,"S":"a b&c"}"#);
        assert_eq!(
            fixed.to_string(),
            "unix://2f:0/build?dockerfile=Dockerfile&q=false\
             &buildargs=%7B%22K%22%3Anull%2C%22S%22%3A%22a+b%26c%22%7D"
        );
        let decoded: Vec<(String, String)> =
            form_urlencoded::parse(fixed.query().unwrap().as_bytes())
                .into_owned()
                .collect();
        assert_eq!(
            decoded.last().unwrap(),
            &(
                "buildargs".to_string(),
                r#"{"K":null,"S":"a b&c"}"#.to_string()
            )
        );
    }

    #[test]
    fn more_tags_follow_the_first() {
        let uri: http::Uri = "unix://2f:0/build?t=a%2Fb%3A1&rm=true".parse().unwrap();
        let fixed = with_repeated_param(&uri, "t", &["a/c:2".into(), "d:3".into()]);
        let tags: Vec<String> = form_urlencoded::parse(fixed.query().unwrap().as_bytes())
            .filter(|(k, _)| k == "t")
            .map(|(_, v)| v.into_owned())
            .collect();
        assert_eq!(tags, ["a/b:1", "a/c:2", "d:3"]);
        assert_eq!(with_repeated_param(&uri, "t", &[]), uri);
    }

    #[test]
    fn a_uri_without_query_gets_one() {
        let uri: http::Uri = "http://h:2375/build".parse().unwrap();
        assert_eq!(
            with_query_param(&uri, "buildargs", "{}").to_string(),
            "http://h:2375/build?buildargs=%7B%7D"
        );
    }
}
