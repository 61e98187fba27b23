//! A container's output attached as `docker run` reads it: `POST /containers/{id}/attach`
//! upgraded to a raw stream before the start, so nothing the container writes is missed.
//!
//! Written on the pooled transport rather than through bollard's `attach_container`, whose
//! request building (URL parsing, query encoding) and split, locked reader cost more than
//! the rest of the attach. dockjob's containers never have a TTY, so the stream is always
//! multiplexed: frames of an 8-byte header (stream, three zero bytes, big-endian length)
//! and the bytes written (moby `pkg/stdcopy`).

use std::time::Duration;

use bollard::errors::Error as BollardError;
use bytes::Bytes;
use futures_util::stream::{self, BoxStream, StreamExt};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncReadExt, BufReader};

use super::{engine_error, DockerEngine, NotFound};
use crate::engine::{EngineError, LogChunk, LogStream};

/// How much of the stream one read takes: a frame and its header usually arrive together.
const READ_BUFFER: usize = 8 << 10;

impl DockerEngine {
    /// The container's output from now on (see the module docs). Followed logs read the
    /// engine's log files, and json-file rotates them (`max-size`) under a reader that falls
    /// behind: a pod that wrote 300 MB quickly lost most of it. An attached stream is fed by
    /// the container's own pipe, so a slow reader slows the writer down instead.
    pub(super) async fn attach_output(
        &self,
        id: &str,
    ) -> Result<BoxStream<'static, Result<LogChunk, EngineError>>, EngineError> {
        let upgraded = self
            .bounded(Duration::ZERO, self.attach_unbounded(id))
            .await?;
        Ok(frames(BufReader::with_capacity(
            READ_BUFFER,
            TokioIo::new(upgraded),
        ))
        .boxed())
    }

    async fn attach_unbounded(&self, id: &str) -> Result<hyper::upgrade::Upgraded, EngineError> {
        let server_error = |status_code, message| {
            engine_error(
                BollardError::DockerResponseServerError {
                    status_code,
                    message,
                },
                NotFound::Container(id),
            )
        };
        let path = format!("/containers/{id}/attach?stream=1&stdout=1&stderr=1");
        let uri = self.raw.uri(&path).map_err(|m| server_error(400, m))?;
        let request = http::Request::post(uri)
            .header(http::header::CONNECTION, "Upgrade")
            .header(http::header::UPGRADE, "tcp")
            .body(bollard::body_full(Bytes::new()))
            .map_err(|e| EngineError::Daemon(e.to_string()))?;
        let response = self
            .raw
            .send(request)
            .await
            .map_err(|e| engine_error(BollardError::from(e), NotFound::Container(id)))?;
        let status = response.status();
        if status != http::StatusCode::SWITCHING_PROTOCOLS {
            let message = super::transport::error_message(response.into_body()).await;
            return Err(server_error(status.as_u16(), message));
        }
        hyper::upgrade::on(response)
            .await
            .map_err(|e| EngineError::Daemon(format!("the attach to container {id} broke: {e}")))
    }
}

/// The chunks of a multiplexed stream, in order, until it ends. A stream cut inside a frame
/// ends with an error.
fn frames<R: AsyncRead + Unpin + Send + 'static>(
    reader: R,
) -> impl futures_util::Stream<Item = Result<LogChunk, EngineError>> + Send {
    let start = Demux {
        reader,
        stream: LogStream::Stdout,
        left: 0,
    };
    stream::unfold(Some(start), |demux| async move {
        let mut demux = demux?;
        match demux.next_chunk().await {
            Ok(Some(chunk)) => Some((Ok(chunk), Some(demux))),
            Ok(None) => None,
            Err(e) => Some((Err(e), None)),
        }
    })
}

/// At most this much of a frame is one chunk: the engine's header allows 4 GiB.
const MAX_CHUNK: u32 = 64 << 10;

/// A multiplexed stream being read: the frame in progress and how much of it is left.
struct Demux<R> {
    reader: R,
    stream: LogStream,
    left: u32,
}

impl<R: AsyncRead + Unpin> Demux<R> {
    async fn next_chunk(&mut self) -> Result<Option<LogChunk>, EngineError> {
        let broken =
            |e: std::io::Error| EngineError::Daemon(format!("the attached output broke: {e}"));
        if self.left == 0 {
            let mut header = [0u8; 8];
            // The end of the stream between two frames is the container's end.
            let first = self.reader.read(&mut header).await.map_err(broken)?;
            if first == 0 {
                return Ok(None);
            }
            self.reader
                .read_exact(&mut header[first..])
                .await
                .map_err(broken)?;
            self.stream = match header[0] {
                2 => LogStream::Stderr,
                // 0 (stdin) and 1 (stdout): what a container writes to its console is its
                // stdout.
                _ => LogStream::Stdout,
            };
            self.left = u32::from_be_bytes([header[4], header[5], header[6], header[7]]);
        }
        let take = self.left.min(MAX_CHUNK);
        let mut bytes = vec![0u8; take as usize];
        self.reader.read_exact(&mut bytes).await.map_err(broken)?;
        self.left -= take;
        Ok(Some(LogChunk {
            stream: self.stream,
            bytes: bytes.into(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(stream: u8, bytes: &[u8]) -> Vec<u8> {
        let mut frame = vec![stream, 0, 0, 0];
        frame.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
        frame.extend_from_slice(bytes);
        frame
    }

    async fn read_all(input: Vec<u8>) -> Vec<Result<LogChunk, EngineError>> {
        frames(std::io::Cursor::new(input)).collect().await
    }

    #[tokio::test]
    async fn frames_come_out_in_order_with_their_stream() {
        let mut input = frame(1, b"777\n");
        input.extend(frame(2, b"oops\n"));
        input.extend(frame(1, b""));
        input.extend(frame(1, &[b'x'; 70_000]));
        input.extend(frame(2, b"last"));
        let chunks: Vec<LogChunk> = read_all(input)
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect();
        let seen: Vec<(LogStream, usize)> =
            chunks.iter().map(|c| (c.stream, c.bytes.len())).collect();
        assert_eq!(
            seen,
            [
                (LogStream::Stdout, 4),
                (LogStream::Stderr, 5),
                (LogStream::Stdout, 0),
                // A frame over 64 KiB comes in two chunks.
                (LogStream::Stdout, 65_536),
                (LogStream::Stdout, 70_000 - 65_536),
                (LogStream::Stderr, 4),
            ]
        );
        assert_eq!(&chunks[0].bytes[..], b"777\n");
        assert_eq!(&chunks[1].bytes[..], b"oops\n");
    }

    #[tokio::test]
    async fn an_empty_stream_has_no_chunks() {
        assert!(read_all(Vec::new()).await.is_empty());
    }

    #[tokio::test]
    async fn a_stream_cut_inside_a_frame_ends_with_an_error() {
        let mut input = frame(1, b"whole\n");
        input.extend(&frame(1, b"cut short")[..12]);
        let items = read_all(input).await;
        assert_eq!(items.len(), 2);
        assert!(items[0].is_ok());
        let error = items[1].as_ref().unwrap_err().to_string();
        assert!(error.contains("the attached output broke"), "{error}");
        // A header cut short is as broken.
        let items = read_all(frame(2, b"x")[..5].to_vec()).await;
        assert!(items[0].is_err());
    }
}
