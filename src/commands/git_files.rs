//! The git facts a build labels its image with, read from the repository's files.
//!
//! Starting `git` costs 20–50 ms per process on a busy machine, which was a third of a cached
//! rebuild (bench case c). The common layout is cheap to read directly: `HEAD`, a loose or
//! packed ref, the loose commit object (zlib) and `config`. Anything unusual (a packed commit,
//! a quoted config value) returns `None` and the caller asks `git` instead.

use std::io::Read;
use std::path::{Path, PathBuf};

/// What a build needs from the checkout holding the context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeadFacts {
    /// The commit `HEAD` points at (40 hex digits).
    pub revision: String,
    /// Its committer time, seconds since the epoch.
    pub commit_time: i64,
    /// `remote.origin.url`, as configured.
    pub origin_url: Option<String>,
}

/// Reads [`HeadFacts`] for the repository holding `dir`, or `None` when that takes `git`.
pub fn read_head(dir: &Path) -> Option<HeadFacts> {
    let git_dir = find_git_dir(&std::fs::canonicalize(dir).ok()?)?;
    // A linked worktree keeps HEAD in its own directory, refs and objects in the common one.
    let common = match std::fs::read_to_string(git_dir.join("commondir")) {
        Ok(rel) => git_dir.join(rel.trim()),
        Err(_) => git_dir.clone(),
    };
    let revision = resolve_head(&git_dir, &common)?;
    let commit_time = commit_time(&common, &revision)?;
    let config = std::fs::read_to_string(common.join("config")).ok()?;
    let origin_url = remote_url(&config, "origin")?;
    Some(HeadFacts {
        revision,
        commit_time,
        origin_url,
    })
}

/// The nearest `.git` directory (or the directory a `.git` file points to) at or above `dir`.
fn find_git_dir(dir: &Path) -> Option<PathBuf> {
    for candidate in dir.ancestors() {
        let dot_git = candidate.join(".git");
        if dot_git.is_dir() {
            return Some(dot_git);
        }
        if let Ok(text) = std::fs::read_to_string(&dot_git) {
            let target = text.strip_prefix("gitdir:")?.trim();
            return Some(candidate.join(target));
        }
    }
    None
}

fn resolve_head(git_dir: &Path, common: &Path) -> Option<String> {
    let head = std::fs::read_to_string(git_dir.join("HEAD")).ok()?;
    let head = head.trim();
    let Some(reference) = head.strip_prefix("ref:") else {
        return is_object_id(head).then(|| head.to_string());
    };
    let reference = reference.trim();
    if let Ok(id) = std::fs::read_to_string(common.join(reference)) {
        let id = id.trim();
        return is_object_id(id).then(|| id.to_string());
    }
    let packed = std::fs::read_to_string(common.join("packed-refs")).ok()?;
    packed_ref(&packed, reference)
}

/// The object ID of `reference` in a `packed-refs` file (`<id> <ref>` lines).
fn packed_ref(packed: &str, reference: &str) -> Option<String> {
    packed
        .lines()
        .filter_map(|line| line.split_once(' '))
        .find(|(_, name)| *name == reference)
        .map(|(id, _)| id.to_string())
        .filter(|id| is_object_id(id))
}

fn is_object_id(text: &str) -> bool {
    text.len() == 40 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The committer time of a loose commit object; `None` when it is packed.
fn commit_time(common: &Path, id: &str) -> Option<i64> {
    let path = common.join("objects").join(&id[..2]).join(&id[2..]);
    let file = std::fs::File::open(path).ok()?;
    let mut object = Vec::new();
    // The header and the committer line come first; 64 KiB covers any sane commit header.
    flate2::read::ZlibDecoder::new(file)
        .take(64 * 1024)
        .read_to_end(&mut object)
        .ok()?;
    let body = object.strip_prefix(b"commit ")?;
    let text =
        String::from_utf8_lossy(&body[body.iter().position(|&b| b == 0)? + 1..]).into_owned();
    committer_time(&text)
}

/// `committer Name <mail> 1700000000 +0000` → 1700000000 (headers end at the first blank line).
fn committer_time(commit: &str) -> Option<i64> {
    let line = commit
        .lines()
        .take_while(|l| !l.is_empty())
        .find_map(|l| l.strip_prefix("committer "))?;
    let mut fields = line.rsplitn(3, ' ');
    let _zone = fields.next()?;
    fields.next()?.parse().ok()
}

/// `url` of `[remote "NAME"]` in a git config. `Some(None)`: no such remote; `None`: a value
/// this reader does not handle (quotes, escapes, includes), so ask `git`.
fn remote_url(config: &str, name: &str) -> Option<Option<String>> {
    let header = format!("[remote \"{name}\"]");
    let mut in_section = false;
    let mut url = None;
    for raw in config.lines() {
        let line = raw.trim();
        if line.starts_with('[') {
            if line.to_ascii_lowercase().starts_with("[include") {
                return None;
            }
            in_section = line == header;
            continue;
        }
        if !in_section {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        if key.trim().eq_ignore_ascii_case("url") {
            let value = value.trim();
            if value.contains(['"', '\\', ';', '#']) {
                return None;
            }
            url = Some(value.to_string());
        }
    }
    Some(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn committer_time_is_the_epoch_field() {
        let commit = "tree 1234\nauthor A <a@x> 1600000000 +0100\ncommitter C <c@x> 1700000000 -0500\n\nmsg committer X <x> 1 +0000\n";
        assert_eq!(committer_time(commit), Some(1_700_000_000));
    }

    #[test]
    fn packed_refs_are_looked_up_by_name() {
        let id = "a".repeat(40);
        let packed = format!(
            "# pack-refs with: peeled\n{id} refs/heads/main\n^{}\n",
            "b".repeat(40)
        );
        assert_eq!(packed_ref(&packed, "refs/heads/main"), Some(id));
        assert_eq!(packed_ref(&packed, "refs/heads/other"), None);
    }

    #[test]
    fn origin_url_comes_from_its_section_only() {
        let config = "[core]\n\turl = nope\n[remote \"upstream\"]\n\turl = https://u\n[remote \"origin\"]\n\turl = https://example.com/r.git\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n";
        assert_eq!(
            remote_url(config, "origin"),
            Some(Some("https://example.com/r.git".to_string()))
        );
        assert_eq!(remote_url("[core]\n", "origin"), Some(None));
        assert_eq!(remote_url("[include]\n\tpath = x\n", "origin"), None);
        assert_eq!(
            remote_url("[remote \"origin\"]\n\turl = \"q\"\n", "origin"),
            None
        );
    }

    /// The reader agrees with `git` itself on a real repository (this crate's checkout, when
    /// the tests run inside one; otherwise there is nothing to compare).
    #[test]
    fn agrees_with_git_on_this_checkout() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
        let git = |args: &[&str]| {
            std::process::Command::new("git")
                .arg("-C")
                .arg(dir)
                .args(args)
                .output()
                .ok()
                .filter(|o| o.status.success())
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        };
        let Some(expected) = git(&["log", "-1", "--format=%H %ct"]) else {
            return;
        };
        let Some(facts) = read_head(dir) else {
            return; // a packed HEAD commit: the caller falls back to git
        };
        assert_eq!(
            format!("{} {}", facts.revision, facts.commit_time),
            expected
        );
        assert_eq!(facts.origin_url, git(&["remote", "get-url", "origin"]));
    }
}
