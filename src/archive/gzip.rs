//! gzip that never costs more than it saves on incompressible data: the stream is cut into
//! 1 MiB segments, each written as its own gzip member (RFC 1952 allows concatenated
//! members; Go's `gzip.Reader`, which dockerd uses, reads them as one stream). The first
//! 64 KiB of a segment are deflated as a probe; if that saves less than 3 %, the segment is
//! written as stored (uncompressed) deflate blocks, otherwise it is deflated (and still
//! stored if the whole segment turns out incompressible). Random or already-compressed
//! files then cost a CRC, a copy and a small probe instead of a full deflate pass.

use std::io::{self, Write};

use flate2::write::GzEncoder;
use flate2::Crc;

/// Input bytes per gzip member.
pub const SEGMENT: usize = 1024 * 1024;

/// Bytes of each segment deflated to decide whether the segment is worth deflating.
const PROBE: usize = 64 * 1024;

/// Largest stored deflate block (its length field is 16 bits).
const STORED_BLOCK: usize = 65_535;

/// The adaptive gzip writer; memory is two segment buffers whatever the stream size.
pub struct AdaptiveGzip<W: Write> {
    inner: W,
    level: flate2::Compression,
    segment: Vec<u8>,
    deflated: Vec<u8>,
    members: u64,
}

impl<W: Write> AdaptiveGzip<W> {
    /// A writer deflating at `level` (1 fastest … 9 smallest).
    pub fn new(inner: W, level: u32) -> AdaptiveGzip<W> {
        AdaptiveGzip {
            inner,
            level: flate2::Compression::new(level.min(9)),
            segment: Vec::with_capacity(SEGMENT),
            deflated: Vec::with_capacity(SEGMENT),
            members: 0,
        }
    }

    /// Writes the last member (an empty one if nothing was written, so the stream is
    /// always valid gzip) and returns the inner writer.
    pub fn finish(mut self) -> io::Result<W> {
        if !self.segment.is_empty() || self.members == 0 {
            self.emit_segment()?;
        }
        Ok(self.inner)
    }

    fn emit_segment(&mut self) -> io::Result<()> {
        self.members += 1;
        let segment = &self.segment;
        let probe = &segment[..PROBE.min(segment.len())];
        let mut worth_it = deflate_member(&mut self.deflated, self.level, probe)?;
        if worth_it && probe.len() < segment.len() {
            worth_it = deflate_member(&mut self.deflated, self.level, segment)?;
        }
        if worth_it {
            self.inner.write_all(&self.deflated)?;
        } else {
            write_stored_member(&mut self.inner, segment)?;
        }
        self.segment.clear();
        Ok(())
    }
}

/// Deflates `data` as a whole gzip member into `out`; true if that saved at least 3 %.
fn deflate_member(out: &mut Vec<u8>, level: flate2::Compression, data: &[u8]) -> io::Result<bool> {
    out.clear();
    let mut encoder = GzEncoder::new(&mut *out, level);
    encoder.write_all(data)?;
    encoder.finish()?;
    Ok(out.len() as u64 * 100 <= data.len() as u64 * 97)
}

impl<W: Write> Write for AdaptiveGzip<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let taken = (SEGMENT - self.segment.len()).min(data.len());
        self.segment.extend_from_slice(&data[..taken]);
        if self.segment.len() == SEGMENT {
            self.emit_segment()?;
        }
        Ok(taken)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// One gzip member holding `data` in stored deflate blocks (RFC 1951 §3.2.4).
fn write_stored_member(out: &mut impl Write, data: &[u8]) -> io::Result<()> {
    // ID1 ID2 CM=deflate FLG=0 MTIME=0 XFL=0 OS=unknown
    out.write_all(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff])?;
    let mut blocks = data.chunks(STORED_BLOCK).peekable();
    if blocks.peek().is_none() {
        out.write_all(&[1, 0, 0, 0xff, 0xff])?;
    }
    while let Some(block) = blocks.next() {
        let last = u8::from(blocks.peek().is_none());
        let len = block.len() as u16;
        out.write_all(&[last])?;
        out.write_all(&len.to_le_bytes())?;
        out.write_all(&(!len).to_le_bytes())?;
        out.write_all(block)?;
    }
    let mut crc = Crc::new();
    crc.update(data);
    out.write_all(&crc.sum().to_le_bytes())?;
    out.write_all(&(data.len() as u32).to_le_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn round_trip(input: &[u8]) -> (Vec<u8>, usize) {
        let mut gzip = AdaptiveGzip::new(Vec::new(), 1);
        gzip.write_all(input).unwrap();
        let compressed = gzip.finish().unwrap();
        let mut output = Vec::new();
        flate2::read::MultiGzDecoder::new(compressed.as_slice())
            .read_to_end(&mut output)
            .unwrap();
        (output, compressed.len())
    }

    /// xorshift bytes: incompressible but reproducible.
    fn noise(len: usize) -> Vec<u8> {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect()
    }

    #[test]
    fn empty_stream_is_valid_gzip() {
        assert_eq!(round_trip(b"").0, b"");
    }

    #[test]
    fn compressible_data_is_deflated() {
        let text = "fn main() { println!(\"hello\"); }\n".repeat(200_000);
        let (output, size) = round_trip(text.as_bytes());
        assert_eq!(output, text.as_bytes());
        assert!(size * 10 < text.len(), "{size} bytes for {}", text.len());
    }

    #[test]
    fn incompressible_data_is_stored_with_small_overhead() {
        let data = noise(5 * SEGMENT + 12_345);
        let (output, size) = round_trip(&data);
        assert_eq!(output, data);
        // Stored blocks cost 5 bytes per 64 KiB plus 18 bytes per member.
        assert!(
            size < data.len() + data.len() / 1000,
            "{size} for {}",
            data.len()
        );
    }

    #[test]
    fn mixed_data_round_trips() {
        let mut data = noise(3 * SEGMENT);
        data.extend("text ".repeat(600_000).as_bytes());
        data.extend(noise(SEGMENT / 3));
        assert_eq!(round_trip(&data).0, data);
    }
}
