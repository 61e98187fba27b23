//! Resolving the context directory, the Dockerfile and the ignore file (docker/cli
//! `GetContextFromLocalDir` / `getDockerfileRelPath` rules, BuildKit's per-Dockerfile
//! ignore file), and names that are not UTF-8.

use std::ffi::OsStr;
use std::fs;
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::symlink;
use std::path::Path;

use dockjob::archive::{self, ContextError, DockerfileSource, PackOptions};
use futures_util::StreamExt;

fn write(root: &Path, rel: &str, content: &str) {
    let path = root.join(rel);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, content).unwrap();
}

/// The entry names of the packed context, as raw bytes.
fn packed_names(root: &Path, dockerfile: DockerfileSource) -> (String, Vec<Vec<u8>>) {
    let (name, stream) = archive::context_body(root, dockerfile, PackOptions::default())
        .map(archive::ContextBody::into_parts)
        .unwrap_or_else(|e| panic!("{e}"));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let bytes = runtime.block_on(async {
        let mut stream = std::pin::pin!(stream);
        let mut out = Vec::new();
        while let Some(chunk) = stream.next().await {
            out.extend_from_slice(&chunk.unwrap());
        }
        out
    });
    let mut plain = Vec::new();
    flate2::read::MultiGzDecoder::new(bytes.as_slice())
        .read_to_end(&mut plain)
        .unwrap();
    let mut archive = tar::Archive::new(plain.as_slice());
    let names = archive
        .entries()
        .unwrap()
        .map(|entry| entry.unwrap().path_bytes().into_owned())
        .collect();
    (name, names)
}

#[test]
fn lowercase_dockerfile_is_the_fallback_default() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "dockerfile", "FROM scratch\n");
    let context = archive::prepare_context(dir.path(), &DockerfileSource::Default).unwrap();
    assert_eq!(context.dockerfile_name, "dockerfile");
    assert!(context.inline_dockerfile.is_none());
}

#[test]
fn context_must_be_an_existing_directory() {
    let dir = tempfile::tempdir().unwrap();
    let missing = archive::prepare_context(&dir.path().join("nope"), &DockerfileSource::Default);
    let error = missing.err().unwrap();
    assert!(
        matches!(error, ContextError::ContextDir { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("nope"), "{error}");

    write(dir.path(), "file", "x");
    let error = archive::prepare_context(&dir.path().join("file"), &DockerfileSource::Default)
        .err()
        .unwrap();
    assert!(
        matches!(error, ContextError::NotADirectory { .. }),
        "{error:?}"
    );
}

#[test]
fn symlinked_context_and_dockerfile_resolve_like_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real");
    write(&real, "docker/Dockerfile", "FROM scratch\n");
    symlink(&real, dir.path().join("alias")).unwrap();
    // A Dockerfile reached through the symlinked context is still inside the context.
    let context = archive::prepare_context(
        &dir.path().join("alias"),
        &DockerfileSource::Path(dir.path().join("alias/docker/Dockerfile")),
    )
    .unwrap();
    assert_eq!(context.root, fs::canonicalize(&real).unwrap());
    assert_eq!(context.dockerfile_name, "docker/Dockerfile");
}

#[test]
fn ignore_file_next_to_an_outside_dockerfile_applies() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = dir.path().join("ctx");
    write(&ctx, ".dockerignore", "a\n");
    write(&ctx, "a", "a");
    write(&ctx, "b", "b");
    write(dir.path(), "ci/app.Dockerfile", "FROM scratch\n");
    write(dir.path(), "ci/app.Dockerfile.dockerignore", "b\n");

    let dockerfile = DockerfileSource::Path(dir.path().join("ci/app.Dockerfile"));
    let context = archive::prepare_context(&ctx, &dockerfile).unwrap();
    assert_eq!(
        context.ignore_file.as_deref(),
        Some(dir.path().join("ci/app.Dockerfile.dockerignore").as_path())
    );
    let (name, names) = packed_names(&ctx, dockerfile);
    let names: Vec<String> = names
        .iter()
        .map(|n| String::from_utf8_lossy(n).into())
        .collect();
    assert_eq!(names, [".dockerignore", "a", name.as_str()]);
}

#[test]
fn dockerfile_given_relative_to_the_current_directory_may_be_missing() {
    let dir = tempfile::tempdir().unwrap();
    let error = archive::prepare_context(
        dir.path(),
        &DockerfileSource::Path("definitely/not/here/Dockerfile".into()),
    )
    .err()
    .unwrap();
    assert!(
        matches!(error, ContextError::Dockerfile { .. }),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("definitely/not/here/Dockerfile"),
        "{error}"
    );
}

#[test]
fn names_that_are_not_utf8_are_kept_byte_for_byte_and_matched_lossily() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "Dockerfile", "FROM scratch\n");
    let raw = OsStr::from_bytes(b"caf\xe9.txt");
    fs::write(dir.path().join(raw), "latin-1 name").unwrap();
    fs::write(dir.path().join(OsStr::from_bytes(b"drop\xff.log")), "x").unwrap();
    write(dir.path(), ".dockerignore", "*.log\n");

    let (_, names) = packed_names(dir.path(), DockerfileSource::Default);
    assert_eq!(
        names,
        [
            b".dockerignore".to_vec(),
            b"Dockerfile".to_vec(),
            b"caf\xe9.txt".to_vec()
        ]
    );
}
