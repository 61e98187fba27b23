//! Dropping the body stream (the upload was abandoned) ends the packing thread instead of
//! leaving it blocked on a full channel. Alone in its test binary: it counts this process's
//! `dockjob-context` threads.

use std::fs;
use std::time::{Duration, Instant};

use dockjob::archive::{self, Compression, DockerfileSource, PackOptions};
use futures_util::StreamExt;

fn packing_threads() -> usize {
    fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|task| fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .filter(|name| name.trim() == "dockjob-context")
        .count()
}

#[test]
fn dropping_the_stream_stops_the_packing_thread() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("Dockerfile"), "FROM scratch\n").unwrap();
    // 64 MiB of zeros: far more than the channel holds.
    let file = fs::File::create(dir.path().join("big")).unwrap();
    file.set_len(64 * 1024 * 1024).unwrap();

    let options = PackOptions {
        compression: Compression::None,
        ..PackOptions::default()
    };
    let (_, stream) = archive::context_body(dir.path(), DockerfileSource::Default, options)
        .unwrap()
        .into_parts();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let mut stream = Box::pin(stream);
    let first = runtime.block_on(stream.next()).unwrap().unwrap();
    assert_eq!(first.len(), archive::CHUNK_SIZE);
    // The producer is now blocked on the bounded channel.
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(packing_threads(), 1, "the packing thread should be waiting");
    drop(stream);

    let deadline = Instant::now() + Duration::from_secs(5);
    while packing_threads() > 0 {
        assert!(Instant::now() < deadline, "the packing thread did not stop");
        std::thread::sleep(Duration::from_millis(20));
    }
}
