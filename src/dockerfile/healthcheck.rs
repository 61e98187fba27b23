//! `HEALTHCHECK CMD` flag values as BuildKit parses them (moby/buildkit
//! `frontend/dockerfile/instructions/parse.go`, `parseHealthcheck` and `parseOptInterval`):
//! `--interval`, `--timeout`, `--start-period` and `--start-interval` are Go durations of at
//! least 1ms (0 means the default), `--retries` a 32-bit integer that is not negative. The
//! build refuses anything else before it starts (`dockerfile parse error line 2: time: invalid
//! duration "abc"`), so `lint` reports it with the same words.

use crate::job::field::go_quote;

/// The duration flags, in the order BuildKit checks them.
pub const DURATION_FLAGS: [&str; 4] = ["interval", "timeout", "start-period", "start-interval"];

/// BuildKit's error for a duration flag's value, or `None` when it is accepted.
pub fn duration_error(flag: &str, value: &str) -> Option<String> {
    if value.is_empty() {
        return None;
    }
    match parse_go_duration(value) {
        Err(e) => Some(e),
        Ok(0) => None,
        // `container.MinimumDuration`, printed by Go's `%s` of a `time.Duration`.
        Ok(nanos) if nanos < 1_000_000 => Some(format!(
            "Interval {} cannot be less than 1ms",
            go_quote(flag)
        )),
        Ok(_) => None,
    }
}

/// BuildKit's error for `--retries`, or `None` when it is accepted.
pub fn retries_error(value: &str) -> Option<String> {
    if value.is_empty() {
        return None;
    }
    // Go's strconv.ParseInt(value, 10, 32): an optional sign, then decimal digits only.
    let digits = value.strip_prefix(['+', '-']).unwrap_or(value);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Some(format!(
            "strconv.ParseInt: parsing {}: invalid syntax",
            go_quote(value)
        ));
    }
    match value.parse::<i32>() {
        Err(_) => Some(format!(
            "strconv.ParseInt: parsing {}: value out of range",
            go_quote(value)
        )),
        Ok(n) if n < 0 => Some(format!("--retries cannot be negative ({n})")),
        Ok(_) => None,
    }
}

/// Go's `time.ParseDuration`: nanoseconds (signed), or its error text.
fn parse_go_duration(orig: &str) -> Result<i64, String> {
    let invalid = || format!("time: invalid duration {}", go_quote(orig));
    let (negative, mut s) = match orig.as_bytes().first() {
        Some(b'-') => (true, &orig[1..]),
        Some(b'+') => (false, &orig[1..]),
        _ => (false, orig),
    };
    if s == "0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(invalid());
    }
    let mut total: u128 = 0;
    while !s.is_empty() {
        let first = s.as_bytes()[0];
        if !(first == b'.' || first.is_ascii_digit()) {
            return Err(invalid());
        }
        let int_len = s.bytes().take_while(u8::is_ascii_digit).count();
        let whole: u128 = if int_len == 0 {
            0
        } else {
            s[..int_len].parse().map_err(|_| invalid())?
        };
        s = &s[int_len..];
        let mut fraction = "";
        if let Some(rest) = s.strip_prefix('.') {
            let len = rest.bytes().take_while(u8::is_ascii_digit).count();
            fraction = &rest[..len];
            s = &rest[len..];
            if int_len == 0 && len == 0 {
                return Err(invalid());
            }
        }
        let unit_len = s
            .bytes()
            .take_while(|b| !(*b == b'.' || b.is_ascii_digit()))
            .count();
        if unit_len == 0 {
            return Err(format!("time: missing unit in duration {}", go_quote(orig)));
        }
        let unit = &s[..unit_len];
        s = &s[unit_len..];
        let scale: u128 = match unit {
            "ns" => 1,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => {
                return Err(format!(
                    "time: unknown unit {} in duration {}",
                    go_quote(unit),
                    go_quote(orig)
                ))
            }
        };
        let mut value = whole.checked_mul(scale).ok_or_else(invalid)?;
        if !fraction.is_empty() {
            let digits: String = fraction.chars().take(30).collect();
            let f: f64 = format!("0.{digits}").parse().unwrap_or(0.0);
            value += (f * scale as f64) as u128;
        }
        total = total.checked_add(value).ok_or_else(invalid)?;
        if total > 1 << 63 {
            return Err(invalid());
        }
    }
    if negative {
        return Ok(-(total.min(1 << 63) as i128) as i64);
    }
    i64::try_from(total).map_err(|_| invalid())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_as_go_does() {
        assert_eq!(parse_go_duration("1m30s"), Ok(90_000_000_000));
        assert_eq!(parse_go_duration("1.5h"), Ok(5_400_000_000_000));
        assert_eq!(parse_go_duration(".5s"), Ok(500_000_000));
        assert_eq!(parse_go_duration("0"), Ok(0));
        assert_eq!(parse_go_duration("-2ms"), Ok(-2_000_000));
        assert_eq!(parse_go_duration("10\u{b5}s"), Ok(10_000));
        let invalid = |s: &str| Err(format!("time: invalid duration \"{s}\""));
        assert_eq!(parse_go_duration("abc"), invalid("abc"));
        assert_eq!(parse_go_duration(""), invalid(""));
        assert_eq!(parse_go_duration("."), invalid("."));
        assert_eq!(parse_go_duration("9999999999h"), invalid("9999999999h"));
        assert_eq!(
            parse_go_duration("30"),
            Err("time: missing unit in duration \"30\"".to_string())
        );
        assert_eq!(
            parse_go_duration("3d"),
            Err("time: unknown unit \"d\" in duration \"3d\"".to_string())
        );
    }

    #[test]
    fn flag_values_are_refused_with_buildkits_words() {
        assert_eq!(duration_error("interval", "30s"), None);
        assert_eq!(duration_error("interval", "0s"), None);
        assert_eq!(duration_error("interval", ""), None);
        assert_eq!(
            duration_error("timeout", "10us"),
            Some("Interval \"timeout\" cannot be less than 1ms".to_string())
        );
        assert_eq!(
            duration_error("interval", "-1s"),
            Some("Interval \"interval\" cannot be less than 1ms".to_string())
        );
        assert_eq!(retries_error("3"), None);
        assert_eq!(
            retries_error("-1"),
            Some("--retries cannot be negative (-1)".to_string())
        );
        assert_eq!(
            retries_error("x"),
            Some("strconv.ParseInt: parsing \"x\": invalid syntax".to_string())
        );
        assert_eq!(
            retries_error("99999999999"),
            Some("strconv.ParseInt: parsing \"99999999999\": value out of range".to_string())
        );
    }
}
