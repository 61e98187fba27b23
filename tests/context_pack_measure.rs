//! Manual measurement harness (ignored by default): packs `DOCKJOB_PACK_DIR` with the
//! Dockerfile `FROM scratch` given as stdin content, and either discards the stream
//! (peak RSS of packing) or, with `DOCKJOB_PACK_UPLOAD=1`, sends it to the local engine as
//! a classic build (packing + upload, to compare with `DOCKER_BUILDKIT=0 docker build`).
//!
//! ```text
//! DOCKJOB_PACK_DIR=/tmp/tree /usr/bin/time -v \
//!     target/release/deps/context_pack_measure-* --ignored --nocapture
//! ```

use std::collections::HashMap;
use std::time::Instant;

use dockjob::archive::{self, Compression, DockerfileSource, PackOptions};
use futures_util::StreamExt;

#[test]
#[ignore = "manual measurement; set DOCKJOB_PACK_DIR"]
fn pack_directory_from_env() {
    let dir = std::env::var("DOCKJOB_PACK_DIR").expect("DOCKJOB_PACK_DIR");
    let upload = std::env::var("DOCKJOB_PACK_UPLOAD").is_ok_and(|v| v == "1");
    let compression = match std::env::var("DOCKJOB_PACK_GZIP").ok().as_deref() {
        Some("none") => Compression::None,
        Some(level) => Compression::Gzip {
            level: level.parse().expect("gzip level"),
        },
        None => Compression::default(),
    };
    let dockerfile =
        std::env::var("DOCKJOB_PACK_DOCKERFILE").unwrap_or_else(|_| "FROM scratch\n".into());
    let started = Instant::now();
    let options = PackOptions {
        compression,
        ..PackOptions::default()
    };
    let (name, body) = archive::context_body(
        dir.as_ref(),
        DockerfileSource::Contents(dockerfile.into_bytes()),
        options,
    )
    .map(archive::ContextBody::into_parts)
    .unwrap_or_else(|e| panic!("{e}"));
    let checked = started.elapsed();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    // One label value per run, so that two runs never remove each other's images.
    let run_label = format!("measure-{}", std::process::id());
    let label_filter = format!("label=io.dockjob.test={run_label}");
    let sent = runtime.block_on(async {
        if upload {
            let docker = bollard::Docker::connect_with_local_defaults()
                .unwrap()
                .with_timeout(std::time::Duration::from_secs(3600));
            let labels = HashMap::from([("io.dockjob.test", run_label.as_str())]);
            let options = bollard::query_parameters::BuildImageOptionsBuilder::new()
                .dockerfile(&name)
                .labels(&labels)
                .rm(true)
                .forcerm(true)
                .build();
            let mut output =
                docker.build_image(options, None, Some(bollard::body_try_stream(body)));
            while let Some(item) = output.next().await {
                if let Err(error) = item {
                    if !error.to_string().contains("bytes remaining") {
                        panic!("build: {error}");
                    }
                }
            }
            0
        } else {
            let mut body = std::pin::pin!(body);
            let mut bytes = 0u64;
            while let Some(chunk) = body.next().await {
                bytes += chunk.expect("chunk").len() as u64;
            }
            bytes
        }
    });
    if upload {
        // Remove what this run built (the label is set on the image by the build options).
        let listed = std::process::Command::new("docker")
            .args(["images", "-q", "--filter", &label_filter])
            .output()
            .expect("docker images");
        let ids = String::from_utf8_lossy(&listed.stdout)
            .split_whitespace()
            .map(String::from)
            .collect::<Vec<_>>();
        if !ids.is_empty() {
            let _ = std::process::Command::new("docker")
                .args(["rmi", "-f"])
                .args(&ids)
                .output();
        }
    }
    eprintln!(
        "MEASURE: pre-check {:.2}s, total {:.2}s, {} compressed bytes streamed{}",
        checked.as_secs_f64(),
        started.elapsed().as_secs_f64(),
        sent,
        if upload {
            " (uploaded to the engine)"
        } else {
            ""
        }
    );
}
