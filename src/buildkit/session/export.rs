//! `moby.filesync.v1.FileSend`: where `-o type=tar` and `-o type=local` results are written.
//!
//! Both of BuildKit's exporters call `FileSend/DiffCopy`; they differ in what flows. The tar
//! exporter streams the tar's bytes as `BytesMessage`s (BuildKit `session/filesync`
//! `CopyFileWriter`). The local exporter speaks fsutil's protocol in `Packet`s (tonistiigi
//! `fsutil/send.go`): a STAT for every entry in walk order (its id is its position), an empty
//! STAT after the last; the receiver asks for each regular file's bytes with REQ, gets DATA
//! chunks and an empty DATA at its end, and says FIN when it has everything, which the sender
//! answers with FIN. [`LocalReceiver`] is that receiver, writing into the destination
//! directory; entries are checked to stay inside it.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Component, Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;

use bollard_buildkit_proto::fsutil::types::packet::PacketType;
use bollard_buildkit_proto::fsutil::types::{Packet, Stat};
use bollard_buildkit_proto::moby::filesync::packet::file_send_server::FileSend as PacketFileSend;
use bollard_buildkit_proto::moby::filesync::v1::file_send_server::FileSend as BytesFileSend;
use bollard_buildkit_proto::moby::filesync::v1::BytesMessage;
use futures_util::{Stream, StreamExt};
use tokio::sync::mpsc;
use tonic::{Request, Response, Status, Streaming};

use crate::buildkit::options::TarDest;

/// Where the session writes an export.
pub enum ExportTarget {
    /// `-o type=tar`.
    Tar(TarExport),
    /// `-o type=local`.
    Local(LocalExport),
}

/// `-o type=tar,dest=FILE|-`.
#[derive(Clone)]
pub struct TarExport {
    dest: Arc<TarDest>,
}

impl TarExport {
    /// A tar export to `dest`.
    pub fn new(dest: TarDest) -> Self {
        TarExport {
            dest: Arc::new(dest),
        }
    }
}

type BytesStream = Pin<Box<dyn Stream<Item = Result<BytesMessage, Status>> + Send + 'static>>;

#[tonic::async_trait]
impl BytesFileSend for TarExport {
    type DiffCopyStream = BytesStream;

    async fn diff_copy(
        &self,
        request: Request<Streaming<BytesMessage>>,
    ) -> Result<Response<Self::DiffCopyStream>, Status> {
        let mut incoming = request.into_inner();
        let mut out: Box<dyn Write + Send> = match self.dest.as_ref() {
            TarDest::Stdout => Box::new(std::io::stdout()),
            TarDest::File(path) => Box::new(std::io::BufWriter::new(
                std::fs::File::create(path).map_err(|e| {
                    Status::internal(format!("cannot create {}: {e}", path.display()))
                })?,
            )),
        };
        let failed = |e: std::io::Error| Status::internal(format!("writing the tar export: {e}"));
        while let Some(message) = incoming.next().await {
            out.write_all(&message?.data).map_err(failed)?;
        }
        out.flush().map_err(failed)?;
        // An empty answer closes the stream; BuildKit waits for it before the build ends.
        Ok(Response::new(Box::pin(futures_util::stream::empty())))
    }
}

/// `-o type=local,dest=DIR`.
#[derive(Clone)]
pub struct LocalExport {
    dest: Arc<PathBuf>,
}

impl LocalExport {
    /// A local export into `dest` (created when missing).
    pub fn new(dest: PathBuf) -> Self {
        LocalExport {
            dest: Arc::new(dest),
        }
    }
}

type PacketStream = Pin<Box<dyn Stream<Item = Result<Packet, Status>> + Send + 'static>>;

#[tonic::async_trait]
impl PacketFileSend for LocalExport {
    type DiffCopyStream = PacketStream;

    async fn diff_copy(
        &self,
        request: Request<Streaming<Packet>>,
    ) -> Result<Response<Self::DiffCopyStream>, Status> {
        let mut receiver = LocalReceiver::new(self.dest.as_ref().clone())
            .map_err(|e| Status::internal(e.to_string()))?;
        let mut incoming = request.into_inner();
        let (answers, answer_stream) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Some(packet) = incoming.next().await {
                let outcome = packet.and_then(|p| receiver.accept(p));
                match outcome {
                    Ok(replies) => {
                        for reply in replies {
                            let _ = answers.send(Ok(reply));
                        }
                        if receiver.finished {
                            break;
                        }
                    }
                    Err(status) => {
                        let _ = answers.send(Ok(packet_of(PacketType::PacketErr, 0)));
                        let _ = answers.send(Err(status));
                        break;
                    }
                }
            }
        });
        let stream = tokio_stream_from(answer_stream);
        Ok(Response::new(Box::pin(stream)))
    }
}

fn tokio_stream_from<T: Send + 'static>(
    mut receiver: mpsc::UnboundedReceiver<T>,
) -> impl Stream<Item = T> + Send + 'static {
    futures_util::stream::poll_fn(move |cx| receiver.poll_recv(cx))
}

fn packet_of(kind: PacketType, id: u32) -> Packet {
    Packet {
        r#type: kind as i32,
        id,
        ..Packet::default()
    }
}

// Go's `os.FileMode` bits, which fsutil sends as the mode.
const MODE_DIR: u32 = 1 << 31;
const MODE_SYMLINK: u32 = 1 << 27;
const MODE_TYPE: u32 =
    MODE_DIR | MODE_SYMLINK | (1 << 26) | (1 << 25) | (1 << 24) | (1 << 21) | (1 << 19);
const MODE_SETUID: u32 = 1 << 23;
const MODE_SETGID: u32 = 1 << 22;
const MODE_STICKY: u32 = 1 << 20;

/// The unix permission bits of a Go file mode.
fn unix_permissions(mode: u32) -> u32 {
    let mut perm = mode & 0o777;
    if mode & MODE_SETUID != 0 {
        perm |= 0o4000;
    }
    if mode & MODE_SETGID != 0 {
        perm |= 0o2000;
    }
    if mode & MODE_STICKY != 0 {
        perm |= 0o1000;
    }
    perm
}

/// fsutil's receiving side, writing into a directory.
pub struct LocalReceiver {
    root: PathBuf,
    /// Entries seen so far (the next STAT's id is this count).
    seen: u32,
    /// Regular files asked for and not yet complete, by id.
    pending: HashMap<u32, (std::fs::File, Stat)>,
    /// Symbolic links written: nothing may be written beneath one.
    symlinks: HashSet<PathBuf>,
    /// Directories, to get their modes and times once their contents are written.
    directories: Vec<Stat>,
    all_stats: bool,
    fin_sent: bool,
    /// The sender answered FIN: the export is complete.
    pub finished: bool,
}

impl LocalReceiver {
    /// A receiver writing into `root`, which is created when missing.
    pub fn new(root: PathBuf) -> std::io::Result<Self> {
        std::fs::create_dir_all(&root)?;
        Ok(LocalReceiver {
            root,
            seen: 0,
            pending: HashMap::new(),
            symlinks: HashSet::new(),
            directories: Vec::new(),
            all_stats: false,
            fin_sent: false,
            finished: false,
        })
    }

    /// Takes one packet from the sender and returns the packets to answer with.
    pub fn accept(&mut self, packet: Packet) -> Result<Vec<Packet>, Status> {
        let io = |what: &str, path: &Path, e: std::io::Error| {
            Status::internal(format!("export: {what} {}: {e}", path.display()))
        };
        let mut replies = Vec::new();
        match PacketType::try_from(packet.r#type) {
            Ok(PacketType::PacketStat) => match packet.stat {
                None => self.all_stats = true,
                Some(stat) => {
                    let id = self.seen;
                    self.seen += 1;
                    if let Some(reply) = self.create(id, stat)? {
                        replies.push(reply);
                    }
                }
            },
            Ok(PacketType::PacketData) => {
                let Some((file, _)) = self.pending.get_mut(&packet.id) else {
                    return Err(Status::invalid_argument(format!(
                        "export: data for unknown file id {}",
                        packet.id
                    )));
                };
                if packet.data.is_empty() {
                    let (file, stat) = self.pending.remove(&packet.id).expect("present above");
                    let path = self.root.join(&stat.path);
                    finish_file(&file, &stat).map_err(|e| io("writing", &path, e))?;
                } else {
                    file.write_all(&packet.data)
                        .map_err(|e| Status::internal(format!("export: writing a file: {e}")))?;
                }
            }
            Ok(PacketType::PacketFin) => {
                self.finish_directories()?;
                self.finished = true;
                return Ok(replies);
            }
            Ok(PacketType::PacketErr) => {
                return Err(Status::aborted(format!(
                    "export: the builder failed: {}",
                    String::from_utf8_lossy(&packet.data)
                )))
            }
            _ => {}
        }
        if self.all_stats && self.pending.is_empty() && !self.fin_sent {
            self.fin_sent = true;
            replies.push(packet_of(PacketType::PacketFin, 0));
        }
        Ok(replies)
    }

    /// Creates the entry a STAT describes; a regular file is opened and asked for.
    fn create(&mut self, id: u32, stat: Stat) -> Result<Option<Packet>, Status> {
        let relative = checked_relative(&stat.path)?;
        if relative
            .ancestors()
            .skip(1)
            .any(|ancestor| self.symlinks.contains(ancestor))
        {
            return Err(Status::invalid_argument(format!(
                "export: {} lies beneath a symbolic link",
                stat.path
            )));
        }
        let path = self.root.join(&relative);
        let io = |what: &str, e: std::io::Error| {
            Status::internal(format!("export: {what} {}: {e}", path.display()))
        };
        if stat.mode & MODE_DIR != 0 {
            match std::fs::create_dir(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => {
                    return Err(io("creating", e))
                }
                _ => {}
            }
            self.directories.push(stat);
            return Ok(None);
        }
        remove_existing(&path).map_err(|e| io("replacing", e))?;
        if stat.mode & MODE_SYMLINK != 0 {
            std::os::unix::fs::symlink(&stat.linkname, &path).map_err(|e| io("linking", e))?;
            self.symlinks.insert(relative);
            return Ok(None);
        }
        if stat.mode & MODE_TYPE != 0 {
            // Devices, pipes and sockets: not files a directory export can hold for a user.
            return Ok(None);
        }
        if !stat.linkname.is_empty() {
            // A hard link to an entry sent before it.
            let target = self.root.join(checked_relative(&stat.linkname)?);
            std::fs::hard_link(&target, &path).map_err(|e| io("linking", e))?;
            return Ok(None);
        }
        let file = std::fs::File::create(&path).map_err(|e| io("creating", e))?;
        self.pending.insert(id, (file, stat));
        Ok(Some(packet_of(PacketType::PacketReq, id)))
    }

    /// Directory modes and times last: writing into a directory changes its time, and a
    /// read-only directory could not have been written into.
    fn finish_directories(&mut self) -> Result<(), Status> {
        for stat in self.directories.drain(..).rev() {
            let path = self.root.join(&stat.path);
            let dir =
                std::fs::File::open(&path).and_then(|dir| finish_file(&dir, &stat).map(|_| dir));
            dir.map_err(|e| Status::internal(format!("export: {}: {e}", path.display())))?;
        }
        Ok(())
    }
}

/// Sets a finished entry's permissions and modification time.
fn finish_file(file: &std::fs::File, stat: &Stat) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(nanos) = u64::try_from(stat.mod_time) {
        let time = std::time::UNIX_EPOCH + std::time::Duration::from_nanos(nanos);
        file.set_modified(time)?;
    }
    file.set_permissions(std::fs::Permissions::from_mode(unix_permissions(stat.mode)))
}

/// A path that stays inside the destination: relative, with no `..`.
fn checked_relative(path: &str) -> Result<PathBuf, Status> {
    let relative = Path::new(path);
    let inside = !path.is_empty()
        && !path.contains('\0')
        && relative
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
    if inside {
        Ok(relative.to_path_buf())
    } else {
        Err(Status::invalid_argument(format!(
            "export: the path {path:?} leaves the destination"
        )))
    }
}

/// Makes room for an entry: an existing file or link is replaced, as buildx does.
fn remove_existing(path: &Path) -> std::io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => std::fs::remove_dir_all(path),
        Ok(_) => std::fs::remove_file(path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stat(path: &str, mode: u32) -> Packet {
        Packet {
            r#type: PacketType::PacketStat as i32,
            stat: Some(Stat {
                path: path.into(),
                mode,
                mod_time: 1_000_000_000_000_000_000,
                ..Stat::default()
            }),
            ..Packet::default()
        }
    }

    fn data(id: u32, bytes: &[u8]) -> Packet {
        Packet {
            r#type: PacketType::PacketData as i32,
            id,
            data: bytes.to_vec(),
            ..Packet::default()
        }
    }

    fn kinds(packets: &[Packet]) -> Vec<(i32, u32)> {
        packets.iter().map(|p| (p.r#type, p.id)).collect()
    }

    #[test]
    fn receives_a_tree_as_fsutil_sends_it() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("out");
        let mut r = LocalReceiver::new(root.clone()).unwrap();
        assert!(r.accept(stat("bin", MODE_DIR | 0o755)).unwrap().is_empty());
        let req = r.accept(stat("bin/tool", 0o700)).unwrap();
        assert_eq!(kinds(&req), [(PacketType::PacketReq as i32, 1)]);
        let mut link = stat("bin/t", MODE_SYMLINK | 0o777);
        link.stat.as_mut().unwrap().linkname = "tool".into();
        assert!(r.accept(link).unwrap().is_empty());
        let end_of_stats = Packet {
            r#type: PacketType::PacketStat as i32,
            ..Packet::default()
        };
        assert!(
            r.accept(end_of_stats).unwrap().is_empty(),
            "file 1 still pending"
        );
        assert!(r.accept(data(1, b"#!/bin/sh\n")).unwrap().is_empty());
        let fin = r.accept(data(1, b"")).unwrap();
        assert_eq!(kinds(&fin), [(PacketType::PacketFin as i32, 0)]);
        r.accept(packet_of(PacketType::PacketFin, 0)).unwrap();
        assert!(r.finished);

        use std::os::unix::fs::PermissionsExt;
        let tool = root.join("bin/tool");
        assert_eq!(std::fs::read(&tool).unwrap(), b"#!/bin/sh\n");
        let meta = std::fs::metadata(&tool).unwrap();
        assert_eq!(meta.permissions().mode() & 0o7777, 0o700);
        assert_eq!(
            meta.modified().unwrap(),
            std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000)
        );
        assert_eq!(
            std::fs::read_link(root.join("bin/t")).unwrap(),
            Path::new("tool")
        );
    }

    #[test]
    fn refuses_paths_that_leave_the_destination() {
        let dir = tempfile::tempdir().unwrap();
        let mut r = LocalReceiver::new(dir.path().to_path_buf()).unwrap();
        assert!(r.accept(stat("../x", 0o644)).is_err());
        assert!(r.accept(stat("/etc/x", 0o644)).is_err());
        let mut link = stat("l", MODE_SYMLINK | 0o777);
        link.stat.as_mut().unwrap().linkname = "/etc".into();
        r.accept(link).unwrap();
        assert!(r.accept(stat("l/passwd", 0o644)).is_err());
    }

    #[test]
    fn go_mode_bits_become_unix_ones() {
        assert_eq!(unix_permissions(MODE_SETUID | 0o755), 0o4755);
        assert_eq!(unix_permissions(MODE_DIR | MODE_STICKY | 0o777), 0o1777);
    }
}
