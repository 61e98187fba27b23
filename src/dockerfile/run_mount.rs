//! `RUN --mount=…` values as BuildKit reads them (moby/buildkit
//! `frontend/dockerfile/instructions/commands_runmount.go`, `parseMount` and
//! `validateMount`): the build refuses an unknown type or key, a value that is not a boolean
//! or a number where one is wanted, and options the mount type does not take, so `lint`
//! reports them with the same words. A value with a variable (`type=$T`) is expanded by the
//! build and is left alone here.

use super::lint::suggest;

const TYPES: [&str; 5] = ["bind", "cache", "tmpfs", "secret", "ssh"];
const SHARING: [&str; 3] = ["shared", "private", "locked"];
const KEYS: [&str; 17] = [
    "type",
    "from",
    "source",
    "target",
    "readonly",
    "id",
    "sharing",
    "required",
    "mode",
    "uid",
    "gid",
    "src",
    "dst",
    "ro",
    "rw",
    "readwrite",
    "env",
];

/// BuildKit's `suggest.WrapError`: the message, with the closest option if one is close.
fn with_suggestion(message: String, value: &str, options: &[&str]) -> String {
    match suggest::search(value, options.iter().copied(), true) {
        Some(s) => format!("{message} (did you mean {s}?)"),
        None => message,
    }
}

/// Go's `strconv.ParseBool`.
fn go_bool(value: &str) -> Option<bool> {
    match value {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// The fields of one `--mount` value: Go's `encoding/csv` on one record (commas separate,
/// double quotes group).
fn fields(value: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut quoted = false;
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                out.last_mut().expect("one field").push('"');
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(String::new()),
            c => out.last_mut().expect("one field").push(c),
        }
    }
    out
}

/// BuildKit's error for a `--mount` value, or `None` when the build accepts it (as far as
/// can be told before variables are expanded).
pub fn error(value: &str) -> Option<String> {
    let mut kind = "bind".to_string();
    let (mut sharing, mut from, mut source, mut target, mut id) =
        (false, false, false, false, false);
    let mut file_info: Option<&str> = None;
    for field in fields(value) {
        let Some((key, value)) = field.split_once('=') else {
            let key = field.to_lowercase();
            match key.as_str() {
                "readonly" | "ro" | "readwrite" | "rw" => continue,
                "required" if kind == "secret" || kind == "ssh" => continue,
                "required" => {
                    return Some(format!("unexpected key '{key}' for mount type '{kind}'"))
                }
                _ => return Some(format!("invalid field '{field}' must be a key=value pair")),
            }
        };
        let key = key.to_lowercase();
        if value.contains('$') {
            if key == "from" && value.chars().skip_while(|c| *c != '$').nth(1).is_some() {
                return Some(format!(
                    "'{key}' doesn't support variable expansion, define alias stage instead"
                ));
            }
            continue;
        }
        let invalid_for = || format!("invalid value for {key}: {value}");
        match key.as_str() {
            "type" => {
                let lower = value.to_lowercase();
                if !TYPES.contains(&lower.as_str()) {
                    return Some(with_suggestion(
                        format!("unsupported mount type {value:?}"),
                        value,
                        &TYPES,
                    ));
                }
                kind = lower;
            }
            "from" => from = !value.is_empty(),
            "source" | "src" => source = !value.is_empty(),
            "target" | "dst" | "destination" => target = !value.is_empty(),
            "readonly" | "ro" | "readwrite" | "rw" if go_bool(value).is_none() => {
                return Some(invalid_for());
            }
            "readonly" | "ro" | "readwrite" | "rw" => {}
            "required" | "size" => {
                let allowed = if key == "size" {
                    kind == "tmpfs"
                } else {
                    kind == "secret" || kind == "ssh"
                };
                if !allowed {
                    return Some(format!("unexpected key '{key}' for mount type '{kind}'"));
                }
                if key == "required" && go_bool(value).is_none() {
                    return Some(invalid_for());
                }
            }
            "id" => id = !value.is_empty(),
            // Newer frontends: a secret as an environment variable.
            "env" => id = id || !value.is_empty(),
            "sharing" => {
                if !SHARING.contains(&value.to_lowercase().as_str()) {
                    return Some(with_suggestion(
                        format!("unsupported sharing value {value:?}"),
                        value,
                        &SHARING,
                    ));
                }
                sharing = true;
            }
            "mode" | "uid" | "gid" => {
                let radix = if key == "mode" { 8 } else { 10 };
                if u32::from_str_radix(value, radix).is_err() || value.starts_with('+') {
                    return Some(format!("invalid value {value} for {key}"));
                }
                file_info.get_or_insert(match key.as_str() {
                    "mode" => "mode",
                    "uid" => "uid",
                    _ => "gid",
                });
            }
            _ => {
                return Some(with_suggestion(
                    format!("unexpected key '{key}' in '{field}'"),
                    &key,
                    &KEYS,
                ))
            }
        }
    }
    // `validateMount`.
    if let Some(option) = file_info.filter(|_| !matches!(kind.as_str(), "secret" | "ssh" | "cache"))
    {
        return Some(format!("{option} not allowed for {kind:?} type mounts"));
    }
    if kind == "secret" {
        if from {
            return Some("secret mount should not have a from".to_string());
        }
        if sharing {
            return Some("secret mount should not define sharing".to_string());
        }
        if !source && !target && !id {
            return Some("invalid secret mount. one of source, target required".to_string());
        }
        if source && id {
            return Some("both source and id can't be set".to_string());
        }
    }
    if sharing && kind != "cache" {
        return Some(format!("invalid cache sharing set for {kind} mount"));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mounts_buildkit_accepts() {
        for ok in [
            "type=cache,target=/root/.cache,sharing=locked",
            "type=secret,id=token",
            "type=secret,id=token,required",
            "type=secret,env=TOKEN",
            "type=bind,source=.,target=/src,rw",
            "type=tmpfs,target=/tmp,size=64m",
            "type=cache,target=/c,mode=0755,uid=1000",
            "type=$KIND,target=/x",
            "type=ssh",
        ] {
            assert_eq!(error(ok), None, "{ok}");
        }
    }

    #[test]
    fn mounts_buildkit_refuses_with_its_words() {
        for (bad, want) in [
            ("type=foo", "unsupported mount type \"foo\""),
            (
                "type=cach,target=/c",
                "unsupported mount type \"cach\" (did you mean cache?)",
            ),
            (
                "type=cache,target=/c,sharing=all",
                "unsupported sharing value \"all\"",
            ),
            (
                "target=/c,destiny=x",
                "unexpected key 'destiny' in 'destiny=x'",
            ),
            (
                "target=/c,tagret=x",
                "unexpected key 'tagret' in 'tagret=x' (did you mean target?)",
            ),
            (
                "type=cache,target=/c,ro=maybe",
                "invalid value for ro: maybe",
            ),
            (
                "type=cache,target=/c,mode=999",
                "invalid value 999 for mode",
            ),
            (
                "type=bind,target=/c,uid=0",
                "uid not allowed for \"bind\" type mounts",
            ),
            (
                "type=bind,target=/c,required",
                "unexpected key 'required' for mount type 'bind'",
            ),
            (
                "type=bind,target=/c,size=1m",
                "unexpected key 'size' for mount type 'bind'",
            ),
            (
                "type=secret",
                "invalid secret mount. one of source, target required",
            ),
            (
                "type=bind,target=/c,sharing=shared",
                "invalid cache sharing set for bind mount",
            ),
            (
                "type=bind,target",
                "invalid field 'target' must be a key=value pair",
            ),
            (
                "type=bind,from=$STAGE,target=/x",
                "'from' doesn't support variable expansion, define alias stage instead",
            ),
        ] {
            assert_eq!(error(bad).as_deref(), Some(want), "{bad}");
        }
    }
}
