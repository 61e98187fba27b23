//! Log streams of running containers: chunks split into lines per container and stream, with
//! the optional `[pod/NAME] ` (`[pod/NAME/CONTAINER] `) prefix; the end of a stream lets the
//! container's exit be reported.

use super::{Driver, LogItem, RunOutput};
use crate::engine::{LogStream, PodRuntime};

impl<E: PodRuntime, O: RunOutput> Driver<'_, E, O> {
    pub(super) fn on_log(&mut self, id: &str, item: LogItem) {
        let Some((pod, container)) = self
            .live
            .iter()
            .find(|c| c.id == id)
            .map(|c| (c.pod.clone(), c.container.clone()))
        else {
            return;
        };
        let who = self.who(&pod, &container);
        match item {
            LogItem::Chunk(Ok(chunk)) => {
                let is_err = chunk.stream == LogStream::Stderr;
                let buffer = self.buffers.entry((id.to_string(), is_err)).or_default();
                buffer.extend_from_slice(&chunk.bytes);
                // The lines are cut out of the buffer once, after the loop: draining each
                // from the front moved the rest of the chunk once per line.
                let mut start = 0;
                while let Some(pos) = buffer[start..].iter().position(|b| *b == b'\n') {
                    let line = buffer[start..start + pos].to_vec();
                    start += pos + 1;
                    let line = prefixed(self.opts.prefix, &who, line);
                    self.out.pod_log(&pod, chunk.stream, &line);
                }
                buffer.drain(..start);
            }
            // Gone (stopped on a Swarm, which removes its service): its wait reports the end.
            LogItem::Chunk(Err(crate::engine::EngineError::ContainerNotFound(_))) => {}
            LogItem::Chunk(Err(e)) => self.out.status(&format!("warning: logs of {who}: {e}")),
            LogItem::End => {
                for (is_err, stream) in [(false, LogStream::Stdout), (true, LogStream::Stderr)] {
                    if let Some(rest) = self.buffers.remove(&(id.to_string(), is_err)) {
                        if !rest.is_empty() {
                            let line = prefixed(self.opts.prefix, &who, rest);
                            self.out.pod_log(&pod, stream, &line);
                        }
                    }
                }
                if let Some(c) = self.live.iter_mut().find(|c| c.id == id) {
                    c.logs_done = true;
                }
            }
        }
    }
}

/// `[pod/NAME] line` (`[pod/NAME/CONTAINER]` when the pod has several containers) when
/// `prefix` is set (kubectl logs `--prefix` style).
fn prefixed(prefix: bool, who: &str, line: Vec<u8>) -> Vec<u8> {
    if !prefix {
        return line;
    }
    let mut out = format!("[{who}] ").into_bytes();
    out.extend_from_slice(&line);
    out
}
