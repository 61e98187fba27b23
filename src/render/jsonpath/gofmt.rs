//! How Go prints the unstructured values kubectl's printers meet: `fmt.Sprint` (`%v`) for
//! scalars and custom-columns cells, `encoding/json.Marshal` / `MarshalIndent` for maps and
//! lists in JSONPath output (keys sorted, `<`, `>`, `&`, U+2028 and U+2029 escaped, floats
//! without a trailing `.0`).

use serde_json::{Number, Value};

/// `fmt.Sprint(v)`: strings bare, `map[k:v …]` with sorted keys, `[a b]`, `<nil>`.
pub fn go_sprint(value: &Value) -> String {
    let mut out = String::new();
    sprint_into(value, &mut out);
    out
}

fn sprint_into(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("<nil>"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&go_number_v(n)),
        Value::String(s) => out.push_str(s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                sprint_into(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push_str("map[");
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(key);
                out.push(':');
                sprint_into(item, out);
            }
            out.push(']');
        }
    }
}

/// A number as `%v` prints it: integers in decimal, floats as `%g` with the shortest digits.
pub fn go_number_v(n: &Number) -> String {
    match n.as_f64() {
        Some(f) if n.is_f64() => go_float_g(f),
        _ => n.to_string(),
    }
}

/// The shortest decimal digits of `f` and its decimal exponent (`d.ddd × 10^exp`).
fn shortest_digits(f: f64) -> (String, i32) {
    let sci = format!("{:e}", f.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    (digits, exp.parse().unwrap_or(0))
}

/// `strconv.FormatFloat(f, 'g', -1, 64)`: `%e` when the exponent is below -4 or at least the
/// larger of 6 and the digit count (`1e+06`, `1.234567e+06`, `123456`).
pub fn go_float_g(f: f64) -> String {
    if !f.is_finite() {
        return if f.is_nan() {
            "NaN".into()
        } else if f > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    let (digits, exp) = shortest_digits(f);
    let nd = digits.len() as i32;
    let mut eprec = 6;
    // Go: `digs.nd >= digs.dp`, where dp = exp + 1.
    if eprec > nd && nd > exp {
        eprec = nd;
    }
    if exp < -4 || exp >= eprec {
        go_exponent_form(f, &digits, exp)
    } else {
        format!("{f}")
    }
}

/// `d.ddde±XX` (at least two exponent digits, as Go writes them).
fn go_exponent_form(f: f64, digits: &str, exp: i32) -> String {
    let sign = if f.is_sign_negative() { "-" } else { "" };
    let (first, rest) = digits.split_at(1);
    let dot = if rest.is_empty() { "" } else { "." };
    let esign = if exp < 0 { '-' } else { '+' };
    format!("{sign}{first}{dot}{rest}e{esign}{:02}", exp.abs())
}

/// `encoding/json`'s float: `%f` form unless below 1e-6 or from 1e21 on, where `%e` drops
/// a leading zero of a one-digit exponent (`1e-07`, `1e+21`).
fn go_json_float(f: f64) -> String {
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let (digits, exp) = shortest_digits(f);
        let text = go_exponent_form(f, &digits, exp);
        // `e-07` → `e-7` as Go's encoder cleans it.
        let n = text.len();
        if n >= 4 && &text[n - 4..n - 1] == "e-0" {
            return format!("{}{}", &text[..n - 2], &text[n - 1..]);
        }
        return text;
    }
    format!("{f}")
}

/// `json.Marshal(v)` (compact), or `json.MarshalIndent(v, "", indent)`.
pub fn go_json(value: &Value, indent: Option<&str>) -> String {
    let mut out = String::new();
    json_into(value, indent, 0, &mut out);
    out
}

fn newline(indent: Option<&str>, depth: usize, out: &mut String) {
    if let Some(unit) = indent {
        out.push('\n');
        for _ in 0..depth {
            out.push_str(unit);
        }
    }
}

fn json_into(value: &Value, indent: Option<&str>, depth: usize, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() => out.push_str(&go_json_float(f)),
            _ => out.push_str(&n.to_string()),
        },
        Value::String(s) => json_string(s, out),
        Value::Array(items) if items.is_empty() => out.push_str("[]"),
        Value::Object(map) if map.is_empty() => out.push_str("{}"),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(indent, depth + 1, out);
                json_into(item, indent, depth + 1, out);
            }
            newline(indent, depth, out);
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(indent, depth + 1, out);
                json_string(key, out);
                out.push(':');
                if indent.is_some() {
                    out.push(' ');
                }
                json_into(item, indent, depth + 1, out);
            }
            newline(indent, depth, out);
            out.push('}');
        }
    }
}

/// A JSON string as Go's encoder writes it (HTML-safe).
fn json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn floats_print_as_go_prints_them() {
        assert_eq!(go_float_g(1.0), "1");
        assert_eq!(go_float_g(2.2), "2.2");
        assert_eq!(go_float_g(123456.0), "123456");
        assert_eq!(go_float_g(1e6), "1e+06");
        assert_eq!(go_float_g(1234567.0), "1.234567e+06");
        assert_eq!(go_float_g(0.0001), "0.0001");
        assert_eq!(go_float_g(0.00001), "1e-05");
        assert_eq!(go_float_g(-2.5e-7), "-2.5e-07");
        assert_eq!(go_json_float(1e21), "1e+21");
        assert_eq!(go_json_float(1e-7), "1e-7");
        assert_eq!(go_json_float(1e20), "100000000000000000000");
        assert_eq!(go_json_float(4.0), "4");
    }

    #[test]
    fn sprint_is_go_percent_v() {
        let v = json!({"b": [1, "x", null], "a": {"k": true}, "f": 1.5});
        assert_eq!(go_sprint(&v), "map[a:map[k:true] b:[1 x <nil>] f:1.5]");
    }

    #[test]
    fn json_is_html_safe_and_indents_as_marshal_indent() {
        let v = json!({"a": "<b>&", "e": [], "m": {}, "l": [1, 2.5]});
        assert_eq!(
            go_json(&v, None),
            r#"{"a":"\u003cb\u003e\u0026","e":[],"l":[1,2.5],"m":{}}"#
        );
        assert_eq!(
            go_json(&json!(["x", {"k": 1}]), Some("    ")),
            "[\n    \"x\",\n    {\n        \"k\": 1\n    }\n]"
        );
    }
}
