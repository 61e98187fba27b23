//! Log streams of running containers: chunks split into lines per pod and stream, with the
//! optional `[pod/NAME] ` prefix; the end of a stream lets the pod's exit be reported.

use super::{Driver, LogItem, RunOutput};
use crate::engine::{LogStream, PodRuntime};

impl<E: PodRuntime, O: RunOutput> Driver<'_, E, O> {
    pub(super) fn on_log(&mut self, id: &str, item: LogItem) {
        let Some(pod) = self.live.iter().find(|c| c.id == id).map(|c| c.pod.clone()) else {
            return;
        };
        match item {
            LogItem::Chunk(Ok(chunk)) => {
                let is_err = chunk.stream == LogStream::Stderr;
                let buffer = self.buffers.entry((id.to_string(), is_err)).or_default();
                buffer.extend_from_slice(&chunk.bytes);
                while let Some(pos) = buffer.iter().position(|b| *b == b'\n') {
                    let line: Vec<u8> = buffer.drain(..pos).collect();
                    buffer.drain(..1);
                    let line = prefixed(self.opts.prefix, &pod, line);
                    self.out.pod_log(&pod, chunk.stream, &line);
                }
            }
            LogItem::Chunk(Err(e)) => self.out.status(&format!("warning: logs of pod/{pod}: {e}")),
            LogItem::End => {
                for (is_err, stream) in [(false, LogStream::Stdout), (true, LogStream::Stderr)] {
                    if let Some(rest) = self.buffers.remove(&(id.to_string(), is_err)) {
                        if !rest.is_empty() {
                            let line = prefixed(self.opts.prefix, &pod, rest);
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

/// `[pod/NAME] line` when `prefix` is set (kubectl logs `--prefix` style).
fn prefixed(prefix: bool, pod: &str, line: Vec<u8>) -> Vec<u8> {
    if !prefix {
        return line;
    }
    let mut out = format!("[pod/{pod}] ").into_bytes();
    out.extend_from_slice(&line);
    out
}
