//! Which kinds and names a `get` asks for, read as cli-runtime's `Builder`
//! (`ResourceTypeOrNameArgs`, `normalizeMultipleResourcesArgs`, `splitResourceTypeName`,
//! `ReplaceAliases` for `all`, `mappingFor`): `jobs`, `jobs,pods`, `all`, `job NAME…`,
//! `job/NAME pod/NAME`, `jobs,pods NAME` (= `jobs/NAME pods/NAME`). Pure.

use super::state::{unknown_type, Kind, KINDS};

/// What was asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// Kinds (deduplicated, in order) and the names wanted of each (all when empty).
    Lists {
        /// The kinds.
        kinds: Vec<Kind>,
        /// The names (only with one kind).
        names: Vec<String>,
    },
    /// `TYPE/NAME` pairs, in order.
    Pairs(Vec<(Kind, String)>),
}

impl Request {
    /// The kinds asked for, each once, in order.
    pub fn kinds(&self) -> Vec<Kind> {
        let mut kinds = Vec::new();
        let all: Vec<Kind> = match self {
            Request::Lists { kinds, .. } => kinds.clone(),
            Request::Pairs(pairs) => pairs.iter().map(|(k, _)| *k).collect(),
        };
        for kind in all {
            if !kinds.contains(&kind) {
                kinds.push(kind);
            }
        }
        kinds
    }

    /// kubectl's "single item implied": one kind and one name; its object prints bare, not
    /// in a `List`.
    pub fn single_item(&self) -> bool {
        match self {
            Request::Lists { kinds, names } => kinds.len() == 1 && names.len() == 1,
            Request::Pairs(pairs) => pairs.len() == 1,
        }
    }
}

/// Reads `get`'s positional arguments; the error is kubectl's text (without `error: `).
pub fn parse_request(resource: &str, names: &[String]) -> Result<Request, String> {
    let mut args: Vec<String> = std::iter::once(resource.to_string())
        .chain(names.iter().cloned())
        .collect();
    // `jobs,pods a b` is `jobs/a jobs/b pods/a pods/b`.
    if args.len() >= 2 {
        let types = split_types(&args[0]);
        if types.len() > 1 {
            args = types
                .iter()
                .flat_map(|t| args[1..].iter().map(move |n| format!("{t}/{n}")))
                .collect();
        }
    }
    let slashed = args.iter().filter(|a| a.contains('/')).count();
    if slashed > 0 && slashed != args.len() {
        return Err("there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'dockjob get resource/<resource_name>' instead of 'dockjob get resource resource/<resource_name>'".to_string());
    }
    if slashed > 0 {
        let mut pairs = Vec::new();
        for arg in &args {
            let parts: Vec<&str> = arg.split('/').collect();
            let [kind, name] = parts.as_slice() else {
                return Err(
                    "arguments in resource/name form may not have more than one slash".to_string(),
                );
            };
            if kind.is_empty() || name.is_empty() || split_types(kind).len() != 1 {
                return Err(
                    "arguments in resource/name form must have a single resource and name"
                        .to_string(),
                );
            }
            pairs.push((kind_of(kind)?, name.to_string()));
        }
        return Ok(Request::Pairs(pairs));
    }
    let mut kinds = Vec::new();
    for word in split_types(&expand_all(&args[0])) {
        let kind = kind_of(&word)?;
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    Ok(Request::Lists {
        kinds,
        names: args[1..].to_vec(),
    })
}

/// `SplitResourceArgument`: comma-separated, repeated spellings once.
fn split_types(arg: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for part in arg.split(',') {
        if !out.iter().any(|o| o == part) {
            out.push(part.to_string());
        }
    }
    out
}

/// `ReplaceAliases`: `all` becomes the kinds of kubectl's `all` category.
fn expand_all(arg: &str) -> String {
    arg.split(',')
        .map(|part| {
            if part == "all" {
                KINDS
                    .iter()
                    .filter(|k| k.in_all)
                    .map(|k| k.plural)
                    .collect::<Vec<_>>()
                    .join(",")
            } else {
                part.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

fn kind_of(word: &str) -> Result<Kind, String> {
    Kind::parse(word).ok_or_else(|| {
        unknown_type(word)
            .strip_prefix("error: ")
            .unwrap_or_default()
            .to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Request, String> {
        let names: Vec<String> = args[1..].iter().map(|s| s.to_string()).collect();
        parse_request(args[0], &names)
    }

    #[test]
    fn lists_pairs_and_all_as_kubectls_builder() {
        use Kind::{Event, Job, Pod};
        let lists = |kinds: Vec<Kind>, names: &[&str]| Request::Lists {
            kinds,
            names: names.iter().map(|s| s.to_string()).collect(),
        };
        assert_eq!(parse(&["jobs"]), Ok(lists(vec![Job], &[])));
        assert_eq!(
            parse(&["jobs,po,job.batch"]),
            Ok(lists(vec![Job, Pod], &[]))
        );
        assert_eq!(parse(&["all"]), Ok(lists(vec![Pod, Job], &[])));
        assert_eq!(
            parse(&["events,all"]),
            Ok(lists(vec![Event, Pod, Job], &[]))
        );
        assert_eq!(parse(&["job", "a", "b"]), Ok(lists(vec![Job], &["a", "b"])));
        assert_eq!(
            parse(&["jobs,pods", "a"]),
            Ok(Request::Pairs(vec![(Job, "a".into()), (Pod, "a".into())]))
        );
        assert_eq!(
            parse(&["job/a", "pod/b"]),
            Ok(Request::Pairs(vec![(Job, "a".into()), (Pod, "b".into())]))
        );
        assert!(parse(&["job", "a"]).unwrap().single_item());
        assert!(parse(&["job/a"]).unwrap().single_item());
        assert!(!parse(&["jobs"]).unwrap().single_item());
        assert!(!parse(&["jobs,pods", "a"]).unwrap().single_item());
    }

    #[test]
    fn errors_are_kubectls() {
        assert_eq!(
            parse(&["foo"]),
            Err("the server doesn't have a resource type \"foo\"".into())
        );
        assert_eq!(
            parse(&["jobs,foo.v1.example.com"]),
            Err("the server doesn't have a resource type \"foo\"".into())
        );
        assert_eq!(
            parse(&["foo/x"]),
            Err("the server doesn't have a resource type \"foo\"".into())
        );
        assert_eq!(
            parse(&["all/x"]),
            Err("the server doesn't have a resource type \"all\"".into())
        );
        assert!(parse(&["job", "job/a"])
            .unwrap_err()
            .starts_with("there is no need"));
        assert_eq!(
            parse(&["job/a/b"]),
            Err("arguments in resource/name form may not have more than one slash".into())
        );
        assert_eq!(
            parse(&["job/"]),
            Err("arguments in resource/name form must have a single resource and name".into())
        );
    }
}
