//! Is a string a valid image reference? The grammar of distribution/reference
//! (`regexp.go`, used by `reference.ParseNormalizedNamed`), which BuildKit applies to
//! `FROM` for `InvalidDefaultArgInFrom`.

use regex::Regex;
use std::sync::OnceLock;

fn reference_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        let alnum = "[a-z0-9]+";
        let sep = "(?:[._]|__|[-]+)";
        let path_component = format!("{alnum}(?:{sep}{alnum})*");
        let domain_component = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
        let host = format!(r"(?:{domain_component}(?:\.{domain_component})*|\[[a-fA-F0-9:]+\])");
        let domain = format!(r"{host}(?::[0-9]+)?");
        let name = format!("(?:{domain}/)?{path_component}(?:/{path_component})*");
        // Go's `\w` is ASCII; Rust's Unicode `\w` repeated 127 times also made this regex
        // take ~50 ms to compile on every lint (bench case c).
        let tag = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}";
        let digest = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}";
        Regex::new(&format!("^{name}(?::{tag})?(?:@{digest})?$")).expect("static regex")
    })
}

/// True when Docker would accept `name` as an image reference.
pub fn is_valid(name: &str) -> bool {
    if name.is_empty() || name.len() > 255 + 128 + 80 {
        return false;
    }
    // A bare 64-hex string is an image id, not a name.
    if name.len() == 64
        && name
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    {
        return false;
    }
    reference_regex().is_match(name)
}

#[cfg(test)]
mod tests {
    use super::is_valid;

    #[test]
    fn accepts_and_rejects_like_distribution_reference() {
        for ok in [
            "alpine",
            "alpine:3.10.3",
            "localhost:5000/a/b:1",
            "ghcr.io/o/r@sha256:0123456789abcdef0123456789abcdef",
            "scratch",
            "My.Registry:1/x",
        ] {
            assert!(is_valid(ok), "{ok}");
        }
        for bad in [
            "",
            "alpine:",
            "Alpine",
            ":tag",
            "a b",
            "alpine@sha256:xyz",
            "-a",
        ] {
            assert!(!is_valid(bad), "{bad}");
        }
    }
}
