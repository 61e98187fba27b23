//! Is a string a valid image reference? The grammar of distribution/reference
//! (`reference.ParseNormalizedNamed`), which BuildKit applies to `FROM` for
//! `InvalidDefaultArgInFrom`: one parser for the whole crate, [`ImageRef`].

use crate::image_ref::ImageRef;

/// True when Docker would accept `name` as an image reference.
pub fn is_valid(name: &str) -> bool {
    ImageRef::parse(name).is_ok()
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
            "ghcr.io/o/r@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
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
            // A sha256 digest has 64 hex digits (opencontainers/go-digest Validate).
            "ghcr.io/o/r@sha256:0123456789abcdef0123456789abcdef",
            // Regression (review): Unicode tags and over-long names were accepted.
            "alpine:tägé",
            &"a".repeat(300),
            "-a",
        ] {
            assert!(!is_valid(bad), "{bad}");
        }
    }
}
