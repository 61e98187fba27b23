//! The unix-socket connection to the engine: woken when an answer arrives, not each time the
//! engine reads a request.
//!
//! tokio's `UnixStream` (and so hyperlocal's connector) registers every socket for reads and
//! writes, edge-triggered. Linux signals a unix socket writable again each time the peer
//! consumes what was written to it (`unix_write_space`), so every request woke the process
//! once for nothing before its answer woke it again: 242 of the 672 times a 40-pod `run`
//! slept and woke (docs/performance.md). An [`EngineSocket`] is registered for reads only
//! and writes straight to the socket; the first write the socket refuses (its buffer full: a
//! build context, a hijacked BuildKit session) registers it for writes as well, for good.

use std::future::Future;
use std::io::{self, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use hyper::Uri;
use hyper_util::client::legacy::connect::{Connected, Connection};
use hyper_util::rt::TokioIo;
use tokio::io::unix::AsyncFd;
use tokio::io::{AsyncRead, AsyncWrite, Interest, ReadBuf};

/// Connects to the socket whose path is hex-encoded as the host of a `unix://` URI (the form
/// bollard and hyperlocal use, see `transport::connect_unix_pooled`).
#[derive(Clone, Copy, Debug, Default)]
pub struct EngineSocketConnector;

impl tower_service::Service<Uri> for EngineSocketConnector {
    type Response = TokioIo<EngineSocket>;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<Self::Response>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        Box::pin(async move {
            let path = socket_path(&uri)?;
            Ok(TokioIo::new(EngineSocket::connect(path).await?))
        })
    }
}

fn socket_path(uri: &Uri) -> io::Result<PathBuf> {
    let invalid = || {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("invalid engine socket address {uri}"),
        )
    };
    if uri.scheme_str() != Some("unix") {
        return Err(invalid());
    }
    let host = uri.host().ok_or_else(invalid)?;
    let bytes = (0..host.len())
        .step_by(2)
        .map(|i| {
            host.get(i..i + 2)
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
        })
        .collect::<Option<Vec<u8>>>()
        .ok_or_else(invalid)?;
    use std::os::unix::ffi::OsStringExt;
    Ok(PathBuf::from(std::ffi::OsString::from_vec(bytes)))
}

/// A non-blocking unix stream registered with the runtime for reads, and for writes only once
/// a write has had to wait.
#[derive(Debug)]
pub struct EngineSocket {
    /// `None` only if registering it again for writes failed (then every call fails).
    registered: Option<AsyncFd<UnixStream>>,
    watching_writes: bool,
}

impl EngineSocket {
    async fn connect(path: PathBuf) -> io::Result<Self> {
        let stream = match connect_now(&path) {
            Ok(stream) => stream,
            // A full listen queue (EAGAIN) or anything else unusual: tokio's connect, whose
            // stream is registered for reads and writes, taken out of the runtime and
            // registered again below (four `epoll_ctl`s where the usual case makes one).
            Err(_) => tokio::net::UnixStream::connect(path).await?.into_std()?,
        };
        Ok(Self {
            registered: Some(register(stream, Interest::READABLE)?),
            watching_writes: false,
        })
    }

    fn fd(&self) -> io::Result<&AsyncFd<UnixStream>> {
        self.registered.as_ref().ok_or_else(unregistered)
    }

    /// Registers the socket for writes too. The old registration's wakers are gone with it:
    /// the caller wakes its task so that it polls its reads again on the new one.
    fn watch_writes(&mut self) -> io::Result<()> {
        let stream = self
            .registered
            .take()
            .ok_or_else(unregistered)?
            .into_inner();
        let both = Interest::READABLE | Interest::WRITABLE;
        self.registered = Some(register(stream, both)?);
        self.watching_writes = true;
        Ok(())
    }
}

/// A non-blocking connect that succeeded at once, as a unix socket's does while the engine's
/// listen queue has room.
fn connect_now(path: &std::path::Path) -> io::Result<UnixStream> {
    use socket2::{Domain, SockAddr, Socket, Type};
    let socket = Socket::new(Domain::UNIX, Type::STREAM.nonblocking(), None)?;
    socket.connect(&SockAddr::unix(path)?)?;
    Ok(UnixStream::from(std::os::fd::OwnedFd::from(socket)))
}

fn unregistered() -> io::Error {
    io::Error::other("the engine connection could not be registered with the runtime")
}

fn register(stream: UnixStream, interest: Interest) -> io::Result<AsyncFd<UnixStream>> {
    // SAFETY: the `UnixStream` owns its descriptor, which stays open and the same until the
    // stream is dropped, and the `AsyncFd` owns the stream.
    Ok(unsafe { AsyncFd::register_with_interest(stream, interest) }?)
}

impl AsyncRead for EngineSocket {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let fd = self.get_mut().fd()?;
        loop {
            let mut guard = ready!(fd.poll_read_ready(cx))?;
            // SAFETY: `read_into` only writes into these bytes, and only the `n` it reports
            // are marked initialized below. Reading into the uninitialized spare capacity
            // spares hyper's 8 KiB buffer a zeroing before every read.
            let unfilled = unsafe { buf.unfilled_mut() };
            let wanted = unfilled.len();
            match guard.try_io(|stream| read_into(stream.get_ref(), unfilled)) {
                Ok(Ok(n)) => {
                    // A read that did not fill the buffer drained the socket: the next read
                    // waits for the runtime's next readiness event instead of asking the
                    // kernel once more for an EAGAIN (as tokio's own streams do). The
                    // registration is edge-triggered, so the next data wakes it.
                    if n > 0 && n < wanted {
                        guard.clear_ready();
                    }
                    // SAFETY: the kernel wrote these `n` bytes.
                    unsafe { buf.assume_init(n) };
                    buf.advance(n);
                    return Poll::Ready(Ok(()));
                }
                Ok(Err(e)) => return Poll::Ready(Err(e)),
                Err(_would_block) => continue,
            }
        }
    }
}

/// `read(2)` into possibly uninitialized memory.
fn read_into(stream: &UnixStream, buf: &mut [std::mem::MaybeUninit<u8>]) -> io::Result<usize> {
    use std::os::fd::AsRawFd;
    // SAFETY: the pointer and length describe memory this call may write; the descriptor is
    // open for as long as `stream` is borrowed.
    let n = unsafe { libc::read(stream.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
    usize::try_from(n).map_err(|_| io::Error::last_os_error())
}

impl AsyncWrite for EngineSocket {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if !this.watching_writes {
            match (&mut this.fd()?.get_ref()).write(data) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    this.watch_writes()?;
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
                written => return Poll::Ready(written),
            }
        }
        let fd = this.fd()?;
        loop {
            let mut guard = ready!(fd.poll_write_ready(cx))?;
            match guard.try_io(|stream| (&mut stream.get_ref()).write(data)) {
                Ok(written) => return Poll::Ready(written),
                Err(_would_block) => continue,
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.fd()?.get_ref().shutdown(std::net::Shutdown::Write))
    }
}

impl Connection for EngineSocket {
    fn connected(&self) -> Connected {
        Connected::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    fn unix_uri(path: &std::path::Path) -> Uri {
        let hex = super::super::transport::hex_encode(path.as_os_str().as_encoded_bytes());
        format!("unix://{hex}:0/").parse().unwrap()
    }

    #[test]
    fn the_socket_path_is_decoded_from_the_host() {
        let uri = unix_uri(std::path::Path::new("/var/run/docker.sock"));
        assert_eq!(
            socket_path(&uri).unwrap(),
            PathBuf::from("/var/run/docker.sock")
        );
        let odd: Uri = "unix://2f7:0/".parse().unwrap();
        assert!(socket_path(&odd).is_err());
        let http: Uri = "http://localhost:2375/".parse().unwrap();
        assert!(socket_path(&http).is_err());
    }

    /// A write larger than the socket's buffer must wait for the peer, which switches the
    /// registration; the answer read afterwards must still arrive.
    #[tokio::test]
    async fn a_write_that_must_wait_still_completes_and_the_answer_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("engine.sock");
        let listener = tokio::net::UnixListener::bind(&path).unwrap();
        const SENT: usize = 8 << 20;
        let peer = tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut received = 0;
            let mut chunk = vec![0u8; 64 << 10];
            while received < SENT {
                tokio::time::sleep(std::time::Duration::from_micros(200)).await;
                let n = stream.read(&mut chunk).await.unwrap();
                assert!(n > 0, "the client closed early");
                received += n;
            }
            stream
                .write_all(format!("{received}").as_bytes())
                .await
                .unwrap();
            stream.shutdown().await.unwrap();
        });
        let mut connector = EngineSocketConnector;
        let socket = tower_service::Service::call(&mut connector, unix_uri(&path))
            .await
            .unwrap();
        let mut socket = socket.into_inner();
        socket.write_all(&vec![7u8; SENT]).await.unwrap();
        assert!(
            socket.watching_writes,
            "8 MiB never filled the socket buffer"
        );
        let mut answer = String::new();
        socket.read_to_string(&mut answer).await.unwrap();
        assert_eq!(answer, SENT.to_string());
        peer.await.unwrap();
    }

    #[tokio::test]
    async fn a_missing_socket_is_the_connect_error() {
        let dir = tempfile::tempdir().unwrap();
        let mut connector = EngineSocketConnector;
        let error = tower_service::Service::call(&mut connector, unix_uri(&dir.path().join("x")))
            .await
            .unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::NotFound);
    }
}
