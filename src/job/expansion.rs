//! `$(VAR)` expansion in `command`, `args` and `env` values, exactly as the kubelet does it.
//!
//! A port of kubernetes `third_party/forked/golang/expansion/expand.go` (`Expand`,
//! `tryReadVariableName`, `MappingFuncFor`). Pure: no I/O.

/// Expands `$(NAME)` references in `input` with `lookup`.
///
/// - `$(NAME)` → the value when `lookup` knows NAME, else `$(NAME)` unchanged;
/// - `$$` → `$` (so `$$(NAME)` → `$(NAME)`, never expanded);
/// - `$X` (X not `(` or `$`), an unterminated `$(abc` and a trailing `$` are kept as written.
pub fn expand(input: &str, lookup: impl Fn(&str) -> Option<String>) -> String {
    let bytes = input.as_bytes();
    let mut out = String::with_capacity(input.len());
    let mut checkpoint = 0;
    let mut cursor = 0;
    while cursor < bytes.len() {
        if bytes[cursor] == b'$' && cursor + 1 < bytes.len() {
            out.push_str(&input[checkpoint..cursor]);
            let rest = &input[cursor + 1..];
            let advance = match rest.as_bytes()[0] {
                b'$' => {
                    out.push('$');
                    1
                }
                b'(' => match rest.find(')') {
                    Some(close) => {
                        let name = &rest[1..close];
                        match lookup(name) {
                            Some(value) => out.push_str(&value),
                            None => {
                                out.push_str("$(");
                                out.push_str(name);
                                out.push(')');
                            }
                        }
                        close + 1
                    }
                    None => {
                        // Incomplete reference: Go returns "$(" and advances past the "(".
                        out.push_str("$(");
                        1
                    }
                },
                _ => {
                    // Not an expression: keep the operator and the next character.
                    let next = rest.chars().next().map_or(1, char::len_utf8);
                    out.push('$');
                    out.push_str(&rest[..next]);
                    next
                }
            };
            cursor += advance + 1;
            checkpoint = cursor;
        } else {
            cursor += 1;
        }
    }
    out.push_str(&input[checkpoint.min(input.len())..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_foo(input: &str) -> String {
        expand(input, |name| (name == "FOO").then(|| "bar".to_string()))
    }

    #[test]
    fn kubelet_expansion_table() {
        for (input, want) in [
            ("$(FOO)", "bar"),
            ("x$(FOO)y", "xbary"),
            ("$(BAZ)", "$(BAZ)"),
            ("$$(FOO)", "$(FOO)"),
            ("$$", "$"),
            ("$$$$", "$$"),
            ("$$$(FOO)", "$bar"),
            ("$X", "$X"),
            ("$(abc", "$(abc"),
            ("abc$", "abc$"),
            ("$", "$"),
            ("", ""),
            ("$()", "$()"),
            ("$é$(FOO)", "$ébar"),
            ("echo ${NUMBER}", "echo ${NUMBER}"),
        ] {
            assert_eq!(with_foo(input), want, "input {input:?}");
        }
    }
}
