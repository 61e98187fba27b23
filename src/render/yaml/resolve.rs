//! Would go-yaml v2 read a plain scalar back as something other than a string? Its encoder
//! asks exactly this before writing a string unquoted (`encode.go` `stringv`: `resolve("", s)`
//! must give `!!str` and `isBase60Float(s)` must be false), so every rule here is ported from
//! go-yaml v2.4.0 `resolve.go` (`resolve`, `parseTimestamp`) and `encode.go`
//! (`isBase60Float`), with the parts of Go's `strconv` and `time.Parse` they lean on.

/// `resolve("", s)` returns a tag other than `!!str`: a bool, null, int, float, timestamp or
/// merge key would come back.
pub(super) fn resolves_to_non_string(s: &str) -> bool {
    // `resolveTable`: the first byte hints what the scalar might be; 0 means "a string".
    let hint = match s.bytes().next() {
        None => b'N',
        Some(b'+' | b'-') => b'S',
        Some(b'0'..=b'9') => b'D',
        Some(b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~') => b'M',
        Some(b'.') => b'.',
        Some(_) => 0,
    };
    if hint == 0 {
        return false;
    }
    if in_resolve_map(s) {
        return true;
    }
    match hint {
        b'.' => is_go_float(s),
        b'D' | b'S' => {
            if parse_timestamp(s) {
                return true;
            }
            let plain: String = s.chars().filter(|&c| c != '_').collect();
            if go_parse_int(&plain, true).is_ok() {
                return true;
            }
            let uint = go_parse_int(&plain, false);
            if uint.is_ok() {
                return true;
            }
            if is_yaml_style_float(&plain) && is_go_float(&plain) {
                return true;
            }
            // The `0b`/`-0b` branches of `resolve` are covered by ParseInt's base prefixes.
            // A well-formed integer too big for 64 bits becomes a `big.Int`.
            uint == Err(NumError::Range)
        }
        _ => false,
    }
}

/// `resolveMap`: YAML 1.1 booleans, nulls, special floats and the merge key.
fn in_resolve_map(s: &str) -> bool {
    matches!(
        s,
        "y" | "Y"
            | "yes"
            | "Yes"
            | "YES"
            | "true"
            | "True"
            | "TRUE"
            | "on"
            | "On"
            | "ON"
            | "n"
            | "N"
            | "no"
            | "No"
            | "NO"
            | "false"
            | "False"
            | "FALSE"
            | "off"
            | "Off"
            | "OFF"
            | ""
            | "~"
            | "null"
            | "Null"
            | "NULL"
            | ".nan"
            | ".NaN"
            | ".NAN"
            | ".inf"
            | ".Inf"
            | ".INF"
            | "+.inf"
            | "+.Inf"
            | "+.INF"
            | "-.inf"
            | "-.Inf"
            | "-.INF"
            | "<<"
    )
}

/// `isBase60Float`: `^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$` (go-yaml quotes
/// these for YAML 1.1 parsers although it no longer reads them as numbers).
pub(super) fn is_base60_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    if !b.get(i).is_some_and(u8::is_ascii_digit) {
        return false;
    }
    while b.get(i).is_some_and(|c| c.is_ascii_digit() || *c == b'_') {
        i += 1;
    }
    let mut groups = 0;
    while b.get(i) == Some(&b':') {
        i += 1;
        // `[0-5]?[0-9]`: one or two digits, the first of two at most 5.
        match (b.get(i), b.get(i + 1)) {
            (Some(b'0'..=b'5'), Some(c)) if c.is_ascii_digit() => i += 2,
            (Some(c), _) if c.is_ascii_digit() => i += 1,
            _ => return false,
        }
        groups += 1;
    }
    if groups == 0 {
        return false;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        while b.get(i).is_some_and(|c| c.is_ascii_digit() || *c == b'_') {
            i += 1;
        }
    }
    i == b.len()
}

/// `yamlStyleFloat`: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn is_yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let digits = |i: &mut usize| {
        let start = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - start
    };
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// `strconv.ParseFloat(s, 64)` succeeds, for the decimal forms that reach it here (a leading
/// `.`, or text `yamlStyleFloat` accepted): well formed and finite (an overflow is `ErrRange`).
fn is_go_float(s: &str) -> bool {
    is_yaml_style_float(s) && s.parse::<f64>().is_ok_and(f64::is_finite)
}

/// Why `strconv.ParseInt`/`ParseUint` failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NumError {
    Syntax,
    Range,
}

/// `strconv.ParseInt(s, 0, 64)` (`signed`) or `strconv.ParseUint(s, 0, 64)`: an optional sign
/// (ParseInt only), then `0x`/`0o`/`0b` or a leading `0` (octal) or decimal digits.
fn go_parse_int(s: &str, signed: bool) -> Result<(), NumError> {
    let (negative, body) = match s.as_bytes().first() {
        Some(b'+') if signed => (false, &s[1..]),
        Some(b'-') if signed => (true, &s[1..]),
        _ => (false, s),
    };
    let lower = body.to_ascii_lowercase();
    let (radix, digits) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d)
    } else if lower.starts_with('0') && lower.len() > 1 {
        (8, &lower[1..])
    } else {
        (10, lower.as_str())
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return Err(NumError::Syntax);
    }
    let value = u128::from_str_radix(digits, radix).map_err(|_| NumError::Range)?;
    let limit: u128 = match (signed, negative) {
        (false, _) => u128::from(u64::MAX),
        (true, false) => i64::MAX as u128,
        (true, true) => i64::MAX as u128 + 1,
    };
    if value > limit {
        return Err(NumError::Range);
    }
    Ok(())
}

/// `parseTimestamp`: `YYYY-` first, then one of go-yaml's `allowedTimestampFormats` as Go's
/// `time.Parse` reads them: `2006-1-2T15:4:5.999999999Z07:00` (also with `t`),
/// `2006-1-2 15:4:5.999999999` and `2006-1-2`.
pub(super) fn parse_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return false;
    }
    let year: i64 = s[..4].parse().unwrap_or(0);
    let mut rest = &s[5..];
    let Some(month) = getnum(&mut rest).filter(|m| (1..=12).contains(m)) else {
        return false;
    };
    let Some(r) = rest.strip_prefix('-') else {
        return false;
    };
    rest = r;
    let Some(day) = getnum(&mut rest) else {
        return false;
    };
    if day < 1 || day > days_in(month, year) {
        return false;
    }
    if rest.is_empty() {
        return true; // "2006-1-2"
    }
    let zoned = match rest.as_bytes()[0] {
        b'T' | b't' => true,
        b' ' => false,
        _ => return false,
    };
    rest = &rest[1..];
    let clock = [24, 60, 60]; // time.Parse: hour < 24, minute < 60, second < 60.
    for (i, limit) in clock.into_iter().enumerate() {
        if i > 0 {
            let Some(r) = rest.strip_prefix(':') else {
                return false;
            };
            rest = r;
        }
        if getnum(&mut rest).is_none_or(|v| v >= limit) {
            return false;
        }
    }
    // `.999999999`: optional; a comma or period and any number of digits.
    let rb = rest.as_bytes();
    if rb.len() >= 2 && matches!(rb[0], b'.' | b',') && rb[1].is_ascii_digit() {
        let n = 1 + rb[1..].iter().take_while(|c| c.is_ascii_digit()).count();
        rest = &rest[n..];
    }
    if !zoned {
        return rest.is_empty();
    }
    // `Z07:00`: `Z`, or `±hh:mm` (hour at most 24, minute at most 60).
    if rest == "Z" {
        return true;
    }
    let z = rest.as_bytes();
    z.len() == 6
        && matches!(z[0], b'+' | b'-')
        && z[3] == b':'
        && [z[1], z[2], z[4], z[5]].iter().all(u8::is_ascii_digit)
        && rest[1..3].parse::<u32>().is_ok_and(|h| h <= 24)
        && rest[4..6].parse::<u32>().is_ok_and(|m| m <= 60)
}

/// Go's `getnum(s, false)`: one or two leading digits.
fn getnum(rest: &mut &str) -> Option<u32> {
    let b = rest.as_bytes();
    if !b.first().is_some_and(u8::is_ascii_digit) {
        return None;
    }
    let n = if b.get(1).is_some_and(u8::is_ascii_digit) {
        2
    } else {
        1
    };
    let value = rest[..n].parse().ok();
    *rest = &rest[n..];
    value
}

fn days_in(month: u32, year: i64) -> u32 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}
