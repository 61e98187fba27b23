//! BuildKit's `FromPlatformFlagConstDisallowed` (moby/buildkit
//! `frontend/dockerfile/dockerfile2llb/validations.go`, `reportConstPlatformDisallowed`):
//! `FROM --platform=linux/amd64 …` with a constant value, unless the stage name mentions
//! that OS or architecture (e.g. `AS build-amd64`). Platform strings are read the way
//! containerd's `platforms.Parse` reads them, for the common spellings.

/// Operating systems `platforms.Parse` recognises on their own.
const KNOWN_OS: &[&str] = &[
    "aix",
    "android",
    "darwin",
    "dragonfly",
    "freebsd",
    "illumos",
    "ios",
    "js",
    "linux",
    "netbsd",
    "openbsd",
    "plan9",
    "solaris",
    "wasip1",
    "windows",
];

/// (os, architecture) of a platform specifier, or `None` when it does not parse.
pub fn parse(specifier: &str) -> Option<(String, String)> {
    let lower = specifier.to_lowercase();
    let parts: Vec<&str> = lower.split('/').collect();
    if parts.iter().any(|p| {
        p.is_empty()
            || !p
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
    }) {
        return None;
    }
    let normalize_os = |os: &str| {
        if os == "macos" {
            "darwin".to_owned()
        } else {
            os.to_owned()
        }
    };
    match parts.as_slice() {
        [one] if KNOWN_OS.contains(one) => Some((normalize_os(one), "amd64".to_owned())),
        [one] => Some(("linux".to_owned(), normalize_arch(one))),
        [os, arch] | [os, arch, _] => Some((normalize_os(os), normalize_arch(arch))),
        _ => None,
    }
}

/// containerd's `normalizeArch` for the usual aliases.
fn normalize_arch(arch: &str) -> String {
    match arch {
        "i386" => "386",
        "x86_64" | "x86-64" | "amd64" => "amd64",
        "aarch64" | "arm64" => "arm64",
        "armhf" | "armel" | "arm" => "arm",
        other => other,
    }
    .to_owned()
}

/// True when BuildKit would report the constant platform for this (lower-cased) stage name.
pub fn const_platform_disallowed(stage_name: &str, specifier: &str) -> bool {
    match parse(specifier) {
        Some((os, arch)) => !stage_name.contains(&os) && !stage_name.contains(&arch),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_decides_like_buildkit() {
        assert_eq!(parse("linux/amd64"), Some(("linux".into(), "amd64".into())));
        assert_eq!(
            parse("linux/arm64/v8"),
            Some(("linux".into(), "arm64".into()))
        );
        assert_eq!(parse("aarch64"), Some(("linux".into(), "arm64".into())));
        assert_eq!(parse("windows"), Some(("windows".into(), "amd64".into())));
        assert_eq!(parse("a/b/c/d"), None);
        assert!(const_platform_disallowed("", "linux/amd64"));
        assert!(const_platform_disallowed("build", "linux/amd64"));
        assert!(!const_platform_disallowed("build-amd64", "linux/amd64"));
        assert!(!const_platform_disallowed("linux-builder", "linux/arm64"));
    }
}
