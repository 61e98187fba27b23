//! The bits of Go's `strconv` (and `fmt`'s `%#U`) that the JSONPath parser relies on, so
//! that numbers, quoted strings and error texts read as they do in client-go.

/// Go's `%#U`: `U+0021 '!'` (the character only when printable).
pub fn go_unicode(c: char) -> String {
    if c.is_control() {
        format!("U+{:04X}", c as u32)
    } else {
        format!("U+{:04X} '{c}'", c as u32)
    }
}

/// `strconv.Atoi`: an optional sign and decimal digits.
pub fn go_atoi(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// `strconv.ParseFloat` for what `parseNumber` scans (sign, digits and dots).
pub fn go_parse_float(s: &str) -> Option<f64> {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    if body.is_empty() || body == "." || body.matches('.').count() > 1 {
        return None;
    }
    s.parse().ok()
}

/// `UnquoteExtend`: Go's `strconv.Unquote` for `"…"` and also `'…'` strings.
pub fn unquote_extend(s: &str) -> Result<String, ()> {
    let quote = s.chars().next().ok_or(())?;
    if s.len() < 2 || !s.ends_with(quote) || (quote != '"' && quote != '\'') {
        return Err(());
    }
    let body = &s[1..s.len() - 1];
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        if c == quote {
            return Err(());
        }
        if c != '\\' {
            out.push(c);
            continue;
        }
        let escaped = chars.next().ok_or(())?;
        let hex = |chars: &mut std::iter::Peekable<std::str::Chars>, n: usize| {
            let digits: String = (0..n).filter_map(|_| chars.next()).collect();
            if digits.len() != n {
                return Err(());
            }
            u32::from_str_radix(&digits, 16).map_err(|_| ())
        };
        match escaped {
            'a' => out.push('\x07'),
            'b' => out.push('\x08'),
            'f' => out.push('\x0c'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'v' => out.push('\x0b'),
            '\\' => out.push('\\'),
            '\'' | '"' if escaped == quote => out.push(escaped),
            'x' => out.push(char::from_u32(hex(&mut chars, 2)?).ok_or(())?),
            'u' => out.push(char::from_u32(hex(&mut chars, 4)?).ok_or(())?),
            'U' => out.push(char::from_u32(hex(&mut chars, 8)?).ok_or(())?),
            '0'..='7' => {
                let mut value = escaped.to_digit(8).ok_or(())?;
                for _ in 0..2 {
                    let digit = chars.next().and_then(|c| c.to_digit(8)).ok_or(())?;
                    value = value * 8 + digit;
                }
                if value > 255 {
                    return Err(());
                }
                out.push(char::from_u32(value).ok_or(())?);
            }
            _ => return Err(()),
        }
    }
    Ok(out)
}
