//! The context packer on real temporary trees: the produced stream is gunzipped and read
//! back with the `tar` crate.

use std::fs;
use std::io::Read;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::Path;

use dockjob::archive::{self, Compression, ContextError, DockerfileSource, PackOptions};
use futures_util::StreamExt;

/// One archive entry as read back.
#[derive(Debug, Clone, PartialEq)]
struct Item {
    path: String,
    kind: tar::EntryType,
    link: Option<String>,
    uid: u64,
    gid: u64,
    mode: u32,
    data: Vec<u8>,
}

fn collect(
    stream: impl futures_util::Stream<Item = std::io::Result<bytes::Bytes>>,
) -> std::io::Result<Vec<u8>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut stream = std::pin::pin!(stream);
        let mut out = Vec::new();
        while let Some(chunk) = stream.next().await {
            out.extend_from_slice(&chunk?);
        }
        Ok(out)
    })
}

fn read_tar(bytes: &[u8]) -> Vec<Item> {
    let plain = if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(bytes)
            .read_to_end(&mut out)
            .unwrap();
        out
    } else {
        bytes.to_vec()
    };
    let mut archive = tar::Archive::new(plain.as_slice());
    let mut items = Vec::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let header = entry.header().clone();
        let mut data = Vec::new();
        entry.read_to_end(&mut data).unwrap();
        items.push(Item {
            path: entry
                .path()
                .unwrap()
                .to_string_lossy()
                .trim_end_matches('/')
                .to_string(),
            kind: header.entry_type(),
            link: entry
                .link_name()
                .unwrap()
                .map(|l| l.to_string_lossy().into_owned()),
            uid: header.uid().unwrap(),
            gid: header.gid().unwrap(),
            mode: header.mode().unwrap(),
            data,
        });
    }
    items
}

fn pack(root: &Path, dockerfile: DockerfileSource) -> (String, Vec<Item>) {
    let (name, stream) = archive::context_body(root, dockerfile, PackOptions::default())
        .map(archive::ContextBody::into_parts)
        .unwrap_or_else(|e| panic!("{e}"));
    (name, read_tar(&collect(stream).unwrap()))
}

fn paths(items: &[Item]) -> Vec<&str> {
    items.iter().map(|i| i.path.as_str()).collect()
}

fn write(root: &Path, rel: &str, content: &str) {
    let path = root.join(rel);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, content).unwrap();
}

#[test]
fn walks_in_lexical_order_with_links_as_links_and_root_ownership() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "Dockerfile", "FROM scratch\n");
    write(root, "b/z.txt", "z");
    write(root, "b/a.txt", "a");
    write(root, ".hidden", "h");
    write(root, "B", "upper");
    fs::create_dir(root.join("empty")).unwrap();
    symlink("b/a.txt", root.join("link-to-file")).unwrap();
    symlink("b", root.join("link-to-dir")).unwrap();
    symlink("/nowhere/at/all", root.join("dangling")).unwrap();
    fs::set_permissions(root.join("B"), fs::Permissions::from_mode(0o751)).unwrap();

    let (name, items) = pack(root, DockerfileSource::Default);
    assert_eq!(name, "Dockerfile");
    assert_eq!(
        paths(&items),
        [
            ".hidden",
            "B",
            "Dockerfile",
            "b",
            "b/a.txt",
            "b/z.txt",
            "dangling",
            "empty",
            "link-to-dir",
            "link-to-file"
        ]
    );
    for item in &items {
        assert_eq!((item.uid, item.gid), (0, 0), "{}", item.path);
    }
    let by = |p: &str| items.iter().find(|i| i.path == p).unwrap().clone();
    assert_eq!(by("link-to-dir").kind, tar::EntryType::Symlink);
    assert_eq!(by("link-to-dir").link.as_deref(), Some("b"));
    assert_eq!(by("dangling").link.as_deref(), Some("/nowhere/at/all"));
    assert_eq!(by("link-to-file").data, b"");
    assert_eq!(by("empty").kind, tar::EntryType::Directory);
    assert_eq!(by("B").mode, 0o751);
    assert_eq!(by("B").data, b"upper");
}

#[test]
fn dockerignore_excludes_dirs_unless_an_exception_names_them() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "Dockerfile", "FROM scratch\n");
    write(
        root,
        ".dockerignore",
        "# keep docs/keep.md only\ndocs\n!docs/keep.md\nvendor\n!**/keep.txt\n*.log\n",
    );
    write(root, "docs/keep.md", "k");
    write(root, "docs/drop.md", "d");
    write(root, "vendor/keep.txt", "never rescued");
    write(root, "app.log", "x");
    write(root, "sub/app.log", "kept: *.log is root-level only");

    let (_, items) = pack(root, DockerfileSource::Default);
    assert_eq!(
        paths(&items),
        [
            ".dockerignore",
            "Dockerfile",
            "docs/keep.md",
            "sub",
            "sub/app.log"
        ]
    );
}

#[test]
fn dockerfile_and_dockerignore_are_always_sent() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, ".dockerignore", "*\n");
    write(root, "build/app.Dockerfile", "FROM scratch\n");
    write(root, "build/other", "o");
    write(root, "src/main.rs", "m");

    let (name, items) = pack(
        root,
        DockerfileSource::Path(root.join("build/app.Dockerfile")),
    );
    assert_eq!(name, "build/app.Dockerfile");
    assert_eq!(paths(&items), [".dockerignore", "build/app.Dockerfile"]);
}

#[test]
fn dockerfile_specific_ignore_file_takes_precedence() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, ".dockerignore", "a\n");
    write(root, "docker/web.Dockerfile", "FROM scratch\n");
    write(root, "docker/web.Dockerfile.dockerignore", "b\n");
    write(root, "a", "a");
    write(root, "b", "b");

    let prepared = archive::prepare_context(
        root,
        &DockerfileSource::Path(root.join("docker/web.Dockerfile")),
    )
    .unwrap();
    assert_eq!(
        prepared.ignore_file.as_deref(),
        Some(root.join("docker/web.Dockerfile.dockerignore").as_path())
            .map(|p| fs::canonicalize(p).unwrap())
            .as_deref()
    );
    let (_, items) = pack(
        root,
        DockerfileSource::Path(root.join("docker/web.Dockerfile")),
    );
    assert_eq!(
        paths(&items),
        [
            ".dockerignore",
            "a",
            "docker",
            "docker/web.Dockerfile",
            "docker/web.Dockerfile.dockerignore"
        ]
    );
    // The archive's .dockerignore carries the patterns that were applied.
    assert_eq!(items[0].data, b"b\n");
}

#[test]
fn dockerfile_outside_the_context_is_added_under_a_random_name() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("ctx");
    write(&root, "file", "f");
    write(&root, ".dockerignore", "*.tmp");
    write(
        dir.path(),
        "elsewhere/Dockerfile",
        "FROM scratch\nCOPY . /\n",
    );

    let (name, items) = pack(
        &root,
        DockerfileSource::Path(dir.path().join("elsewhere/Dockerfile")),
    );
    assert!(name.starts_with(".dockerfile."), "{name}");
    let hex = &name[".dockerfile.".len()..];
    assert_eq!(hex.len(), 20);
    assert!(
        hex.chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()),
        "{hex}"
    );
    assert_eq!(paths(&items), [".dockerignore", "file", name.as_str()]);
    assert_eq!(items[0].data, format!("*.tmp\n{name}\n").into_bytes());
    assert_eq!(items[2].data, b"FROM scratch\nCOPY . /\n");
    assert_eq!(items[2].mode, 0o600);
}

#[test]
fn dockerfile_from_stdin_is_added_and_dockerignore_created() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "file", "f");

    let (name, items) = pack(root, DockerfileSource::Contents(b"FROM scratch\n".to_vec()));
    assert!(name.starts_with(".dockerfile."), "{name}");
    assert_eq!(paths(&items), ["file", name.as_str(), ".dockerignore"]);
    assert_eq!(
        items[2].data,
        format!(".dockerignore\n{name}\n").into_bytes()
    );
}

/// As the classic `docker build` (go-archive `addTarFile`): a FIFO is a header-only entry,
/// a socket is left out (see `tests/context_oracle.rs`).
#[test]
fn fifos_are_sent_and_sockets_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "Dockerfile", "FROM scratch\n");
    let status = std::process::Command::new("mkfifo")
        .arg(root.join("pipe"))
        .status()
        .unwrap();
    assert!(status.success());
    let _listener = std::os::unix::net::UnixListener::bind(root.join("sock")).unwrap();

    let (_, items) = pack(root, DockerfileSource::Default);
    assert_eq!(paths(&items), ["Dockerfile", "pipe"]);
    assert!(items[1].data.is_empty());
}

#[test]
fn hard_links_are_written_once() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "Dockerfile", "FROM scratch\n");
    write(root, "first", "same inode");
    fs::hard_link(root.join("first"), root.join("second")).unwrap();

    let (_, items) = pack(root, DockerfileSource::Default);
    assert_eq!(paths(&items), ["Dockerfile", "first", "second"]);
    assert_eq!(items[2].kind, tar::EntryType::Link);
    assert_eq!(items[2].link.as_deref(), Some("first"));
}

fn running_as_root() -> bool {
    let euid = std::process::Command::new("id").arg("-u").output().unwrap();
    String::from_utf8_lossy(&euid.stdout).trim() == "0"
}

/// Root reads a mode-000 file anyway, so as root the test re-runs itself as `nobody`
/// (through `setpriv`) where the permission check is real; without `setpriv` it says it
/// could not run instead of passing on a check that cannot fail.
#[test]
fn unreadable_file_that_is_not_excluded_is_an_error() {
    if running_as_root() {
        let exe = std::env::current_exe().unwrap();
        let Ok(output) = std::process::Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(&exe)
            .args([
                "--exact",
                "unreadable_file_that_is_not_excluded_is_an_error",
                "--nocapture",
            ])
            .env("TMPDIR", "/tmp")
            .output()
        else {
            eprintln!("NOTE: not run: root reads mode-000 files and setpriv is unavailable");
            return;
        };
        let log = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(output.status.success(), "run as nobody failed:\n{log}");
        assert!(
            log.contains("1 passed"),
            "run as nobody did not run the test:\n{log}"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "Dockerfile", "FROM scratch\n");
    write(root, "secret", "s");
    write(root, "ignored/secret", "s");
    write(root, ".dockerignore", "ignored\n");
    fs::set_permissions(root.join("secret"), fs::Permissions::from_mode(0o000)).unwrap();
    fs::set_permissions(
        root.join("ignored/secret"),
        fs::Permissions::from_mode(0o000),
    )
    .unwrap();

    let error = archive::context_body(root, DockerfileSource::Default, PackOptions::default())
        .err()
        .expect("must fail before the upload");
    assert!(
        matches!(error, ContextError::Unreadable { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("secret"), "{error}");

    // Without the pre-check, the stream ends with the error instead of a complete archive.
    let options = PackOptions {
        check_readable_first: false,
        ..PackOptions::default()
    };
    let (_, stream) = archive::context_body(root, DockerfileSource::Default, options)
        .unwrap()
        .into_parts();
    let error = collect(stream).unwrap_err();
    assert!(error.to_string().contains("secret"), "{error}");
}

#[test]
fn missing_dockerfile_and_bad_pattern_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let error = archive::context_body(root, DockerfileSource::Default, PackOptions::default())
        .err()
        .unwrap();
    assert!(error.to_string().contains("Dockerfile"), "{error}");

    write(root, "Dockerfile", "FROM scratch\n");
    write(root, ".dockerignore", "ok\n\n!\n");
    let error = archive::context_body(root, DockerfileSource::Default, PackOptions::default())
        .err()
        .unwrap();
    let message = error.to_string();
    assert!(
        message.contains(".dockerignore") && message.contains("line 3"),
        "{message}"
    );
}

#[test]
fn dir_body_keeps_everything_and_plain_tar_is_available() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "bin/busybox", "elf");
    fs::set_permissions(root.join("bin/busybox"), fs::Permissions::from_mode(0o755)).unwrap();
    symlink("busybox", root.join("bin/sh")).unwrap();
    write(root, ".dockerignore", "bin\n");

    let stream = archive::dir_body(root, Compression::None).unwrap();
    let bytes = collect(stream).unwrap();
    assert!(!bytes.starts_with(&[0x1f, 0x8b]));
    let items = read_tar(&bytes);
    assert_eq!(
        paths(&items),
        [".dockerignore", "bin", "bin/busybox", "bin/sh"]
    );
    assert_eq!(items[2].mode, 0o755);
    assert_eq!(items[3].link.as_deref(), Some("busybox"));
}

#[test]
fn file_body_streams_the_file_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let content: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    fs::write(dir.path().join("rootfs.tar.gz"), &content).unwrap();
    let stream = archive::file_body(&dir.path().join("rootfs.tar.gz")).unwrap();
    assert_eq!(collect(stream).unwrap(), content);
}

#[test]
fn large_file_round_trips_through_many_chunks() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "Dockerfile", "FROM scratch\n");
    let content: Vec<u8> = (0..3_000_000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    fs::write(root.join("big"), &content).unwrap();
    let (_, items) = pack(root, DockerfileSource::Default);
    assert_eq!(items[1].path, "big");
    assert!(items[1].data == content);
}
