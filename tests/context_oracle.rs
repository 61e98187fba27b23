//! Oracle test: the same context built by dockjob's packer (sent to the engine with bollard
//! here, in the test only) and by the machine's `docker` CLI with the classic builder
//! (`DOCKER_BUILDKIT=0`), `FROM scratch` + `COPY . /ctx/`; the two images' `/ctx` trees
//! must be identical (paths, kinds, link targets, sizes, modes).
//!
//! Every image and container carries the label `io.dockjob.test=<unique id>` and is removed
//! at the end, also when the test fails.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io::Write;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::Path;
use std::process::{Command, Stdio};

use bollard::query_parameters::BuildImageOptionsBuilder;
use bollard::Docker;
use dockjob::archive::{self, DockerfileSource, PackOptions};
use futures_util::StreamExt;

const LABEL: &str = "io.dockjob.test";
const COPY_ALL: &str = "FROM scratch\nCOPY . /ctx/\n";

/// Removes every container and image labelled with this run's id when dropped.
struct Cleanup {
    id: String,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let filter = format!("label={LABEL}={}", self.id);
        for (list, remove) in [(["ps", "-aq"], "rm"), (["images", "-q"], "rmi")] {
            let Ok(output) = Command::new("docker")
                .args(list)
                .args(["--filter", &filter])
                .output()
            else {
                continue;
            };
            let ids: Vec<String> = String::from_utf8_lossy(&output.stdout)
                .split_whitespace()
                .map(String::from)
                .collect();
            if !ids.is_empty() {
                let _ = Command::new("docker")
                    .args([remove, "-f"])
                    .args(&ids)
                    .output();
            }
        }
    }
}

fn unique_id(scenario: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("ctx-oracle-{scenario}-{}-{nanos}", std::process::id())
}

/// One file of the image's `/ctx`.
#[derive(Debug, PartialEq, Eq)]
struct Node {
    kind: String,
    link: Option<String>,
    size: u64,
    mode: u32,
    content_hash: u64,
    /// Major and minor number of a device node.
    device: Option<(u32, u32)>,
}

/// The `/ctx` tree of `image`, read through `docker create` + `docker export`.
fn ctx_listing(image: &str, id: &str) -> BTreeMap<String, Node> {
    let created = Command::new("docker")
        .args([
            "create",
            "--label",
            &format!("{LABEL}={id}"),
            image,
            "/none",
        ])
        .output()
        .unwrap();
    assert!(
        created.status.success(),
        "docker create: {}",
        String::from_utf8_lossy(&created.stderr)
    );
    let container = String::from_utf8_lossy(&created.stdout).trim().to_string();
    let exported = Command::new("docker")
        .args(["export", &container])
        .output()
        .unwrap();
    assert!(
        exported.status.success(),
        "docker export: {}",
        String::from_utf8_lossy(&exported.stderr)
    );
    let mut listing = BTreeMap::new();
    let mut archive = tar::Archive::new(exported.stdout.as_slice());
    let random_name = regex::bytes::Regex::new(r"\.dockerfile\.[0-9a-f]{20}").unwrap();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let path = entry
            .path()
            .unwrap()
            .to_string_lossy()
            .trim_end_matches('/')
            .to_string();
        if !path.starts_with("ctx/") {
            continue;
        }
        let header = entry.header().clone();
        let link = entry
            .link_name()
            .unwrap()
            .map(|l| l.to_string_lossy().into_owned());
        let mut content = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut content).unwrap();
        if path == "ctx/.dockerignore" {
            // Both clients append their own random `.dockerfile.<20 hex>` name.
            content = random_name
                .replace_all(&content, &b".dockerfile.RANDOM"[..])
                .into_owned();
        }
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        std::hash::Hash::hash(&content, &mut hasher);
        let node = Node {
            kind: format!("{:?}", header.entry_type()),
            link,
            size: header.size().unwrap(),
            mode: header.mode().unwrap(),
            content_hash: std::hash::Hasher::finish(&hasher),
            device: match header.entry_type() {
                tar::EntryType::Char | tar::EntryType::Block => Some((
                    header.device_major().unwrap().unwrap_or(0),
                    header.device_minor().unwrap().unwrap_or(0),
                )),
                _ => None,
            },
        };
        listing.insert(path, node);
    }
    listing
}

/// Builds with the docker CLI's classic builder. `dockerfile` is the `-f` argument
/// (`-` reads `stdin_dockerfile`).
fn build_with_cli(
    ctx: &Path,
    dockerfile: Option<&str>,
    stdin_dockerfile: Option<&str>,
    tag: &str,
    id: &str,
) {
    let mut command = Command::new("docker");
    command.env("DOCKER_BUILDKIT", "0").args([
        "build",
        "-q",
        "--rm",
        "--force-rm",
        "-t",
        tag,
        "--label",
        &format!("{LABEL}={id}"),
    ]);
    if let Some(file) = dockerfile {
        command.args(["-f", file]);
    }
    command
        .arg(ctx)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    if let Some(text) = stdin_dockerfile {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "docker build: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Builds with dockjob's packer, sending the stream with bollard.
fn build_with_dockjob(ctx: &Path, dockerfile: DockerfileSource, tag: &str, id: &str) {
    let (name, body) = archive::context_body(ctx, dockerfile, PackOptions::default())
        .map(archive::ContextBody::into_parts)
        .unwrap_or_else(|e| panic!("packing: {e}"));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let docker = Docker::connect_with_local_defaults().unwrap();
        let labels = HashMap::from([(LABEL, id)]);
        let options = BuildImageOptionsBuilder::new()
            .dockerfile(&name)
            .t(tag)
            .labels(&labels)
            .rm(true)
            .forcerm(true)
            .build();
        let mut output = docker.build_image(options, None, Some(bollard::body_try_stream(body)));
        let mut built = false;
        while let Some(item) = output.next().await {
            match item {
                Ok(info) => built |= info.aux.is_some(),
                // bollard#560 (not fixed in 0.21.1): benign after the final aux message.
                Err(error) if built && error.to_string().contains("bytes remaining") => {}
                Err(error) => panic!("dockjob build: {error}"),
            }
        }
        assert!(built, "the engine reported no image id");
    });
}

fn write(root: &Path, rel: &str, content: &str) {
    let path = root.join(rel);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, content).unwrap();
}

/// A tree full of `.dockerignore` edge cases.
fn edge_case_tree(root: &Path) {
    write(root, "Dockerfile", COPY_ALL);
    write(
        root,
        ".dockerignore",
        "\u{feff}# a comment: not a pattern\n  # not a comment either\n**/*.tmp\nnode_modules\n\
         !node_modules/keep-me/**\ndocs/*\n!docs/README.md\n.git\n*.md\n!KEEP.md\nbuild/\n\
         !build/out/app\nsecret*\n!secret-public\n/abs-style\n./dot-style\na/b/../c\nvendor\n\
         !**/keep.txt\n[Ll]ogs\ndata/**/cache\nDockerfile\r\n\n   \n**/*.cfg\n!cfgdir\n\
         !deep/1/2\n",
    );
    for file in [
        ".env",
        ".hidden/inner/file",
        ".git/HEAD",
        ".git/objects/ab/cd",
        ".gitignore",
        "README.md",
        "KEEP.md",
        "docs/README.md",
        "docs/guide.md",
        "docs/sub/deep.md",
        "node_modules/pkg/index.js",
        "node_modules/keep-me/a.js",
        "node_modules/keep-me/sub/b.js",
        "build/out/app",
        "build/out/lib.so",
        "build/tmp/x",
        "secret.key",
        "secret-public",
        "secrets/inner",
        "abs-style/x",
        "dot-style",
        "a/c/x",
        "a/b/y",
        "vendor/keep.txt",
        "vendor/lib/keep.txt",
        "src/keep.txt",
        "src/main.rs",
        "src/x.tmp",
        "x.tmp",
        "deep/1/2/3/4/5/file.tmp",
        "deep/1/2/3/4/5/file.rs",
        "Logs/a",
        "logs/b",
        "LOGS/c",
        "data/a/b/cache/c",
        "data/cache/d",
        "data/x/cache",
        "data/x/cached",
        "é-unicode.txt",
        "with space.txt",
        "a(b)c+d.txt",
        "brackets[1].txt",
        "exec.sh",
        "cfgdir/x.cfg",
        "other/y.cfg",
        "top.cfg",
        "deep/1/2/z.tmp",
    ] {
        write(root, file, &format!("content of {file}\n"));
    }
    fs::set_permissions(root.join("exec.sh"), fs::Permissions::from_mode(0o755)).unwrap();
    fs::set_permissions(root.join("src/keep.txt"), fs::Permissions::from_mode(0o600)).unwrap();
    for dir in [
        "empty",
        "deep/empty",
        "docs/empty-sub",
        "node_modules/keep-me/empty",
    ] {
        fs::create_dir_all(root.join(dir)).unwrap();
    }
    for (link, target) in [
        ("link-file", "src/main.rs"),
        ("link-dangling", "missing"),
        ("link-dir", "src"),
        ("link-abs", "/etc/passwd"),
        ("vendor/link", "../src"),
        ("src/link-to-excluded", "../secret.key"),
    ] {
        symlink(target, root.join(link)).unwrap();
    }
    fs::hard_link(root.join("src/main.rs"), root.join("src/hard")).unwrap();
}

/// Builds `ctx` with the docker CLI (`cli_dockerfile`/`cli_stdin` as in [`build_with_cli`]) and
/// with dockjob (`dockjob_source`), asserts both images hold the same `/ctx` tree, and
/// returns dockjob's listing for the scenario's own spot checks.
fn build_both_and_compare(
    ctx: &Path,
    cli_dockerfile: Option<&str>,
    cli_stdin: Option<&str>,
    dockjob_source: DockerfileSource,
    id: &str,
) -> BTreeMap<String, Node> {
    let (cli_tag, dockjob_tag) = (
        format!("dockjob-oracle:{id}-cli"),
        format!("dockjob-oracle:{id}-dj"),
    );
    build_with_cli(ctx, cli_dockerfile, cli_stdin, &cli_tag, id);
    build_with_dockjob(ctx, dockjob_source, &dockjob_tag, id);
    let cli = ctx_listing(&cli_tag, id);
    let dockjob = ctx_listing(&dockjob_tag, id);
    assert_same_ctx(&dockjob, &cli);
    dockjob
}

fn assert_same_ctx(dockjob: &BTreeMap<String, Node>, cli: &BTreeMap<String, Node>) {
    let only_dockjob: Vec<_> = dockjob.keys().filter(|k| !cli.contains_key(*k)).collect();
    let only_cli: Vec<_> = cli.keys().filter(|k| !dockjob.contains_key(*k)).collect();
    assert!(
        only_dockjob.is_empty() && only_cli.is_empty(),
        "only dockjob: {only_dockjob:?}\nonly docker CLI: {only_cli:?}"
    );
    for (path, node) in dockjob {
        assert_eq!(Some(node), cli.get(path), "{path}");
    }
    assert!(!dockjob.is_empty(), "nothing was copied");
}

#[test]
fn edge_case_tree_matches_the_docker_cli() {
    let id = unique_id("edge");
    let _cleanup = Cleanup { id: id.clone() };
    let dir = tempfile::tempdir().unwrap();
    edge_case_tree(dir.path());

    let dockjob = build_both_and_compare(dir.path(), None, None, DockerfileSource::Default, &id);
    // Spot checks that the tree exercised what it claims to.
    for kept in [
        "ctx/KEEP.md",
        "ctx/docs/README.md",
        "ctx/node_modules/keep-me/sub/b.js",
        "ctx/build/out/app",
        "ctx/link-dangling",
        "ctx/.dockerignore",
    ] {
        assert!(
            dockjob.contains_key(kept),
            "{kept} missing: {:?}",
            dockjob.keys()
        );
    }
    for gone in [
        "ctx/cfgdir/x.cfg",
        "ctx/deep/1/2/3/4/5/file.tmp",
        "ctx/Dockerfile",
        "ctx/vendor",
        "ctx/README.md",
        "ctx/x.tmp",
        "ctx/data/x/cache",
        "ctx/.git",
        "ctx/logs",
        "ctx/Logs",
    ] {
        assert!(!dockjob.contains_key(gone), "{gone} must be excluded");
    }
}

#[test]
fn dockerfile_outside_the_context_matches_the_docker_cli() {
    let id = unique_id("outside");
    let _cleanup = Cleanup { id: id.clone() };
    let dir = tempfile::tempdir().unwrap();
    let ctx = dir.path().join("ctx");
    write(&ctx, ".dockerignore", "*.tmp\nsub/ignored\n");
    for file in ["a", "b.tmp", "sub/ignored/x", "sub/kept"] {
        write(&ctx, file, file);
    }
    write(dir.path(), "elsewhere/Dockerfile", COPY_ALL);
    let dockerfile = dir.path().join("elsewhere/Dockerfile");

    let dockjob = build_both_and_compare(
        &ctx,
        Some(dockerfile.to_str().unwrap()),
        None,
        DockerfileSource::Path(dockerfile.clone()),
        &id,
    );
    assert!(
        !dockjob.keys().any(|k| k.contains(".dockerfile.")),
        "{dockjob:?}"
    );
}

#[test]
fn dockerfile_from_stdin_matches_the_docker_cli() {
    let id = unique_id("stdin");
    let _cleanup = Cleanup { id: id.clone() };
    let dir = tempfile::tempdir().unwrap();
    for file in ["a", ".b", "c/d"] {
        write(dir.path(), file, file);
    }

    build_both_and_compare(
        dir.path(),
        Some("-"),
        Some(COPY_ALL),
        DockerfileSource::Contents(COPY_ALL.as_bytes().to_vec()),
        &id,
    );
}

#[test]
fn excluded_build_files_and_long_names_match_the_docker_cli() {
    let id = unique_id("build-files");
    let _cleanup = Cleanup { id: id.clone() };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let long_dir = format!("long/{}", "d".repeat(90));
    let long_file = format!("{long_dir}/{}.txt", "f".repeat(120));
    write(root, "Dockerfile", COPY_ALL);
    write(root, ".dockerignore", ".dockerignore\n*\n!keep\n!long\n");
    write(root, "keep", "k");
    write(root, "drop", "d");
    write(root, &long_file, "long");
    symlink(format!("../{}", "t".repeat(150)), root.join("long/link")).unwrap();
    // Several gzip members, deflated and stored (archive::gzip), must reach the engine intact.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let noise: Vec<u8> = (0..3_500_000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    fs::write(root.join("long/noise.bin"), noise).unwrap();
    write(
        root,
        "long/text.txt",
        &"compressible line\n".repeat(200_000),
    );

    let dockjob = build_both_and_compare(root, None, None, DockerfileSource::Default, &id);
    assert!(
        dockjob.contains_key(&format!("ctx/{long_file}")),
        "{dockjob:?}"
    );
    assert!(!dockjob.contains_key("ctx/Dockerfile") && !dockjob.contains_key("ctx/.dockerignore"));
}

/// FIFOs and device nodes are sent as the classic `docker build` sends them (go-archive
/// `addTarFile`: header-only entries, devices with their numbers, a second link to one as a
/// hard link); sockets are left out. Nothing is opened: reading a FIFO would block.
#[test]
fn fifos_devices_and_sockets_match_the_docker_cli() {
    let id = unique_id("special");
    let _cleanup = Cleanup { id: id.clone() };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "Dockerfile", COPY_ALL);
    write(root, "file", "data");
    let mkfifo = |rel: &str| {
        let path = std::ffi::CString::new(root.join(rel).as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: mkfifo(3) on a NUL-terminated path.
        assert_eq!(
            unsafe { libc::mkfifo(path.as_ptr(), 0o640) },
            0,
            "mkfifo {rel}"
        );
    };
    fs::create_dir_all(root.join("dir")).unwrap();
    mkfifo("pipe");
    mkfifo("dir/pipe2");
    fs::hard_link(root.join("dir/pipe2"), root.join("pipe2-link")).unwrap();
    let _socket = std::os::unix::net::UnixListener::bind(root.join("sock")).unwrap();
    // A device node needs CAP_MKNOD (the engine's tests run as root); without it the FIFOs
    // are still checked.
    let null = std::ffi::CString::new(root.join("null").as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: mknod(2) on a NUL-terminated path; 1:3 is /dev/null.
    let device =
        unsafe { libc::mknod(null.as_ptr(), libc::S_IFCHR | 0o644, libc::makedev(1, 3)) } == 0;

    let dockjob = build_both_and_compare(root, None, None, DockerfileSource::Default, &id);
    assert_eq!(dockjob["ctx/pipe"].kind, "Fifo", "{dockjob:?}");
    assert_eq!(dockjob["ctx/dir/pipe2"].kind, "Fifo", "{dockjob:?}");
    assert!(dockjob.contains_key("ctx/pipe2-link"), "{dockjob:?}");
    assert!(!dockjob.contains_key("ctx/sock"), "{dockjob:?}");
    if device {
        assert_eq!(dockjob["ctx/null"].device, Some((1, 3)), "{dockjob:?}");
    }
}
