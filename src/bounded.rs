//! Reading user input with a size bound, so that a device (`/dev/zero`), an endless pipe
//! (`yes | dockjob create -f -`) or a huge file is refused after at most the bound plus one
//! byte, never read into memory whole.
//!
//! The bounds:
//! - manifests: 3 MiB, the API server's request-body limit (apiserver
//!   `DefaultMaxRequestSizeBytes`, `limitedReadBody`'s `Request entity too large: limit is
//!   3145728`);
//! - Dockerfiles: the same 3 MiB. BuildKit's Dockerfile frontend and the classic builder read
//!   the Dockerfile whole without a size limit of their own; their parser refuses a line longer
//!   than 64 KiB (`bufio.Scanner: token too long`), which no bound here replaces.

use std::io::Read;
use std::path::Path;

/// The API server's request-body limit, used for manifests and Dockerfiles.
pub const MAX_INPUT_BYTES: u64 = 3 * 1024 * 1024;

/// What a bounded read found.
#[derive(Debug)]
pub enum Bounded {
    /// The whole input, at most the bound.
    Whole(Vec<u8>),
    /// The input goes on past the bound; what was read is dropped.
    TooLarge,
}

/// Reads `reader` to its end, or stops one byte past `limit`.
pub fn read_at_most(reader: impl Read, limit: u64) -> std::io::Result<Bounded> {
    let mut bytes = Vec::new();
    reader
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Ok(Bounded::TooLarge);
    }
    Ok(Bounded::Whole(bytes))
}

/// [`read_at_most`] of a file (a device or a FIFO included).
pub fn read_file_at_most(path: &Path, limit: u64) -> std::io::Result<Bounded> {
    read_at_most(std::fs::File::open(path)?, limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stops_one_byte_past_the_bound() {
        let endless = std::io::repeat(b'y');
        assert!(matches!(read_at_most(endless, 10), Ok(Bounded::TooLarge)));
        let exact = &b"0123456789"[..];
        assert!(matches!(read_at_most(exact, 10), Ok(Bounded::Whole(b)) if b.len() == 10));
    }
}
