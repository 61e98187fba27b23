//! Go's `path.Clean` and `path.Dir` on slash-separated strings, ported so that pattern and
//! path normalisation is byte-for-byte what the docker CLI does (Go `path/filepath` on Unix).
//!
//! Pure: no filesystem, no I/O.

/// Go's `filepath.Clean` on Unix (source: go `src/path/path.go` `Clean`): collapses repeated
/// slashes, removes `.` elements, resolves `..` against the preceding element, keeps a
/// leading `..` on relative paths, drops a trailing slash; the empty result is `.`.
pub fn clean(path: &str) -> String {
    if path.is_empty() {
        return ".".to_string();
    }
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for element in path.split('/') {
        match element {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|last| *last != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            other => parts.push(other),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    }
}

/// Go's `filepath.Dir` on Unix: everything before the last slash, cleaned (`.` when there is
/// no slash).
pub fn dir(path: &str) -> String {
    match path.rfind('/') {
        Some(index) => clean(&path[..=index]),
        None => ".".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Vectors from go `src/path/path_test.go` (`cleantests`).
    #[test]
    fn clean_matches_go_vectors() {
        let cases = [
            ("", "."),
            ("abc", "abc"),
            ("abc/def", "abc/def"),
            ("a/b/c", "a/b/c"),
            (".", "."),
            ("..", ".."),
            ("../..", "../.."),
            ("../../abc", "../../abc"),
            ("/abc", "/abc"),
            ("/", "/"),
            ("abc/", "abc"),
            ("abc/def/", "abc/def"),
            ("a/b/c/", "a/b/c"),
            ("./", "."),
            ("../", ".."),
            ("../../", "../.."),
            ("/abc/", "/abc"),
            ("abc//def//ghi", "abc/def/ghi"),
            ("//abc", "/abc"),
            ("///abc", "/abc"),
            ("//abc//", "/abc"),
            ("abc//", "abc"),
            ("abc/./def", "abc/def"),
            ("/./abc/def", "/abc/def"),
            ("abc/.", "abc"),
            ("abc/def/ghi/../jkl", "abc/def/jkl"),
            ("abc/def/../ghi/../jkl", "abc/jkl"),
            ("abc/def/..", "abc"),
            ("abc/def/../..", "."),
            ("/abc/def/../..", "/"),
            ("abc/def/../../..", ".."),
            ("/abc/def/../../..", "/"),
            ("abc/def/../../../ghi/jkl/../../../mno", "../../mno"),
            ("abc/./../def", "def"),
            ("abc//./../def", "def"),
            ("abc/../../././../def", "../../def"),
        ];
        for (input, want) in cases {
            assert_eq!(clean(input), want, "clean({input:?})");
        }
    }

    #[test]
    fn dir_matches_go() {
        assert_eq!(dir("a/b/c"), "a/b");
        assert_eq!(dir("a"), ".");
        assert_eq!(dir("/a"), "/");
        assert_eq!(dir("a/b/"), "a/b");
    }
}
