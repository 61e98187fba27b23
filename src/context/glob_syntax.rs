//! Syntax check of a Go `filepath.Match` pattern, the way moby/patternmatcher validates a
//! `.dockerignore` line (`filepath.Match(p, ".")` only for its error; patternmatcher.go
//! `New`). Ported from go `src/path/filepath/match.go` (`scanChunk`, `matchChunk`,
//! `getEsc`) on Unix, where `\` escapes the next character.
//!
//! Pure: no filesystem, no I/O.

/// Why Go's `filepath.Match` rejects a pattern (Go reports every case as `ErrBadPattern`,
/// "syntax error in pattern"; the detail here is for people).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GlobSyntaxError {
    /// A `[` character class is not closed by `]`.
    UnclosedClass,
    /// A class member is missing, or is a bare `-` or `]` where a character is required.
    BadClassMember,
    /// The pattern ends with a lone `\`.
    TrailingBackslash,
}

impl std::fmt::Display for GlobSyntaxError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::UnclosedClass => "unterminated character class `[`",
            Self::BadClassMember => "bad character class (missing, `-` or `]` member)",
            Self::TrailingBackslash => "trailing `\\` escapes nothing",
        })
    }
}

/// Checks `pattern` like Go's `filepath.Match(pattern, ".")` does. Since Go 1.16 `Match`
/// validates every chunk even after a mismatch, so this is a pure syntax check.
pub fn validate(pattern: &str) -> Result<(), GlobSyntaxError> {
    let mut rest = pattern.as_bytes();
    while !rest.is_empty() {
        let (chunk, after) = scan_chunk(rest);
        validate_chunk(chunk)?;
        rest = after;
    }
    Ok(())
}

/// Go `scanChunk`: skips leading stars, then returns the text up to the next `*` that is not
/// inside a `[...]` class.
fn scan_chunk(pattern: &[u8]) -> (&[u8], &[u8]) {
    let start = pattern.iter().take_while(|b| **b == b'*').count();
    let pattern = &pattern[start..];
    let mut in_range = false;
    let mut index = 0;
    while index < pattern.len() {
        match pattern[index] {
            b'\\' if index + 1 < pattern.len() => index += 1,
            b'[' => in_range = true,
            b']' => in_range = false,
            b'*' if !in_range => break,
            _ => {}
        }
        index += 1;
    }
    pattern.split_at(index)
}

/// Go `matchChunk` once the match has failed: it keeps walking the chunk only to report
/// syntax errors.
fn validate_chunk(mut chunk: &[u8]) -> Result<(), GlobSyntaxError> {
    while let Some(&first) = chunk.first() {
        match first {
            b'[' => {
                chunk = &chunk[1..];
                if chunk.first() == Some(&b'^') {
                    chunk = &chunk[1..];
                }
                let mut ranges = 0;
                loop {
                    if chunk.first() == Some(&b']') && ranges > 0 {
                        chunk = &chunk[1..];
                        break;
                    }
                    chunk = class_char(chunk)?;
                    if chunk.first() == Some(&b'-') {
                        chunk = class_char(&chunk[1..])?;
                    }
                    ranges += 1;
                }
            }
            b'\\' => {
                if chunk.len() < 2 {
                    return Err(GlobSyntaxError::TrailingBackslash);
                }
                chunk = &chunk[2..];
            }
            _ => chunk = &chunk[1..],
        }
    }
    Ok(())
}

/// Go `getEsc`: one (possibly escaped) class character; something must follow it.
fn class_char(chunk: &[u8]) -> Result<&[u8], GlobSyntaxError> {
    let mut chunk = match chunk.first() {
        None => return Err(GlobSyntaxError::UnclosedClass),
        Some(b'-' | b']') => return Err(GlobSyntaxError::BadClassMember),
        Some(b'\\') => &chunk[1..],
        Some(_) => chunk,
    };
    let Some(&lead) = chunk.first() else {
        return Err(GlobSyntaxError::UnclosedClass);
    };
    // Skip one UTF-8 scalar: the lead byte tells its length (input came from a &str).
    let width = match lead {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        _ => 4,
    };
    chunk = &chunk[width.min(chunk.len())..];
    if chunk.is_empty() {
        return Err(GlobSyntaxError::UnclosedClass);
    }
    Ok(chunk)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The error column of moby patternmatcher_test.go `matchTests` (copied from go's
    /// filepath match tests).
    #[test]
    fn go_match_error_vectors() {
        let bad = [
            "[]a]", "[-]", "[x-]", "[-x]", "\\", "[a-b-c]", "[", "[^", "[^bc", "a[",
        ];
        for pattern in bad {
            assert!(validate(pattern).is_err(), "{pattern:?} must be rejected");
        }
        let good = [
            "abc",
            "*",
            "*c",
            "a*",
            "a*/b",
            "a*b*c*d*e*/f",
            "a*b?c*x",
            "ab[c]",
            "ab[b-d]",
            "ab[^c]",
            "a\\*b",
            "a?b",
            "a[^a]b",
            "[a-ζ]*",
            "*[a-ζ]",
            "[\\]a]",
            "[\\-]",
            "[x\\-]",
            "[\\-x]",
            "*x",
            "[Local-Only]",
        ];
        for pattern in good {
            assert_eq!(validate(pattern), Ok(()), "{pattern:?} must be accepted");
        }
    }
}
