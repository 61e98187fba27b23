//! Splitting the engine's JSON message streams into messages.
//!
//! The engine writes one JSON object per message followed by `\r\n` (moby
//! `pkg/streamformatter/streamformatter.go`), and HTTP chunks are not aligned with messages:
//! one chunk may hold several messages, or end inside one, or between the `}` and the `\r\n`
//! (where bollard 0.21 reports a spurious I/O error, bollard #560). Pure: bytes in, values out.

use serde::de::DeserializeOwned;

/// Accumulates chunks and yields the complete messages they hold.
#[derive(Debug, Default)]
pub struct JsonLines {
    pending: Vec<u8>,
}

impl JsonLines {
    /// Adds a chunk and returns the messages it completed, in order. A line that is not the
    /// expected JSON is an error naming it (truncated).
    pub fn push<T: DeserializeOwned>(&mut self, chunk: &[u8]) -> Vec<Result<T, String>> {
        self.pending.extend_from_slice(chunk);
        let Some(last_newline) = self.pending.iter().rposition(|&b| b == b'\n') else {
            return Vec::new();
        };
        let rest = self.pending.split_off(last_newline + 1);
        let complete = std::mem::replace(&mut self.pending, rest);
        complete
            .split(|&b| b == b'\n')
            .filter_map(parse_line)
            .collect()
    }

    /// The last message, when the stream ended without a newline after it.
    pub fn finish<T: DeserializeOwned>(self) -> Option<Result<T, String>> {
        parse_line(&self.pending)
    }
}

fn parse_line<T: DeserializeOwned>(line: &[u8]) -> Option<Result<T, String>> {
    let line = line.trim_ascii();
    if line.is_empty() {
        return None;
    }
    Some(serde_json::from_slice(line).map_err(|e| {
        let text = String::from_utf8_lossy(line);
        let shown: String = text.chars().take(200).collect();
        format!("the engine sent an unreadable message ({e}): {shown}")
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn all(chunks: &[&str]) -> Vec<Value> {
        let mut lines = JsonLines::default();
        let mut out: Vec<Value> = Vec::new();
        for chunk in chunks {
            out.extend(lines.push(chunk.as_bytes()).into_iter().map(Result::unwrap));
        }
        out.extend(lines.finish().map(Result::unwrap));
        out
    }

    #[test]
    fn messages_split_anywhere_are_reassembled() {
        let whole = ["{\"a\":1}\r\n{\"b\":2}\r\n"];
        let split = ["{\"a\"", ":1}", "\r", "\n{\"b\":2}\r\n"];
        let brace_then_newline = ["{\"a\":1}", "\r\n", "{\"b\":2}", "\r\n"];
        for chunks in [&whole[..], &split[..], &brace_then_newline[..]] {
            assert_eq!(
                all(chunks),
                [serde_json::json!({"a":1}), serde_json::json!({"b":2})]
            );
        }
    }

    #[test]
    fn a_last_message_without_newline_is_kept() {
        assert_eq!(all(&["{\"a\":1}\n{\"b\"", ":2}"]).len(), 2);
        assert!(all(&["\r\n", ""]).is_empty());
    }

    #[test]
    fn garbage_is_an_error_that_shows_the_line() {
        let mut lines = JsonLines::default();
        let out: Vec<Result<Value, String>> = lines.push(b"<html>oops</html>\n");
        let error = out[0].as_ref().unwrap_err();
        assert!(error.contains("<html>oops</html>"), "{error}");
    }
}
