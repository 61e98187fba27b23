//! The template parser, a port of client-go's `util/jsonpath/parser.go` (`Parser`): the same
//! node kinds, the same scanning rules and the same error texts. Go's parser recurses once per
//! token; this one loops.

use super::strconv::{go_atoi, go_parse_float, go_unicode, unquote_extend};

/// One node of a parsed template (`node.go`).
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// `{...}`: an action, a path of nodes evaluated one after the other.
    List(Vec<Node>),
    /// Literal text, outside actions or quoted inside one.
    Text(String),
    /// `.name`: a map key.
    Field(String),
    /// `range` or `end` (anything else fails when executed).
    Identifier(String),
    /// `[start:end:step]`.
    Array([Param; 3]),
    /// `[?(left OP right)]`, or `[?(left)]` with the operator `exists`.
    Filter {
        /// The left operand's path.
        left: Vec<Node>,
        /// The right operand's path (empty for `exists`).
        right: Vec<Node>,
        /// `==`, `!=`, `<`, `>`, `<=`, `>=`, `exists`, or what was typed.
        operator: String,
    },
    /// An integer literal.
    Int(i64),
    /// A floating-point literal.
    Float(f64),
    /// `true` / `false`.
    Bool(bool),
    /// `.*` or `[*]`.
    Wildcard,
    /// `..`.
    Recursive,
    /// `[a,b]`: the results of each path, in order.
    Union(Vec<Vec<Node>>),
}

/// One of an [`Node::Array`]'s start, end and step (`ParamsEntry`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Param {
    /// The number (when known).
    pub value: i64,
    /// Whether it was given.
    pub known: bool,
    /// The end of `[n]`: `n + 1`.
    pub derived: bool,
}

/// Parses `text` into the root list: [`Node::Text`] and [`Node::List`] (one per action).
pub fn parse(text: &str) -> Result<Vec<Node>, String> {
    let mut parser = Parser {
        input: text,
        pos: 0,
        start: 0,
        width: 0,
        root: Vec::new(),
    };
    parser.parse_text()?;
    Ok(parser.root)
}

/// `parseAction`: parses `{text}` and returns the action's nodes.
fn parse_action(text: &str) -> Result<Vec<Node>, String> {
    let root = parse(&format!("{{{text}}}"))?;
    Ok(match root.into_iter().next() {
        Some(Node::List(nodes)) => nodes,
        _ => Vec::new(),
    })
}

struct Parser<'a> {
    input: &'a str,
    pos: usize,
    start: usize,
    width: usize,
    root: Vec<Node>,
}

const EOF: Option<char> = None;

impl Parser<'_> {
    fn consume_text(&mut self) -> String {
        let value = self.input[self.start..self.pos].to_string();
        self.start = self.pos;
        value
    }

    fn next(&mut self) -> Option<char> {
        match self.input[self.pos..].chars().next() {
            None => {
                self.width = 0;
                EOF
            }
            Some(c) => {
                self.width = c.len_utf8();
                self.pos += self.width;
                Some(c)
            }
        }
    }

    fn peek(&mut self) -> Option<char> {
        let c = self.next();
        self.backup();
        c
    }

    fn backup(&mut self) {
        self.pos -= self.width;
    }

    fn rest(&self) -> &str {
        &self.input[self.pos..]
    }

    /// `parseText` and `parseLeftDelim`: literal text up to each `{`, then the action.
    fn parse_text(&mut self) -> Result<(), String> {
        loop {
            if self.rest().starts_with('{') {
                if self.pos > self.start {
                    let text = self.consume_text();
                    self.root.push(Node::Text(text));
                }
                self.pos += 1;
                self.consume_text();
                let action = self.parse_inside_action()?;
                self.root.push(Node::List(action));
                continue;
            }
            if self.next() == EOF {
                break;
            }
        }
        if self.pos > self.start {
            let text = self.consume_text();
            self.root.push(Node::Text(text));
        }
        Ok(())
    }

    /// `parseInsideAction` and what it dispatches to, up to the closing `}`.
    fn parse_inside_action(&mut self) -> Result<Vec<Node>, String> {
        let mut cur: Vec<Node> = Vec::new();
        loop {
            if self.rest().starts_with('}') {
                self.pos += 1;
                self.consume_text();
                return Ok(cur);
            }
            if self.rest().starts_with("[?(") {
                self.parse_filter(&mut cur)?;
                continue;
            }
            if self.rest().starts_with("..") {
                self.parse_recursive(&mut cur)?;
                continue;
            }
            match self.next() {
                None | Some('\r') | Some('\n') => return Err("unclosed action".to_string()),
                Some(' ') | Some('@') | Some('$') => {
                    self.consume_text();
                }
                Some('[') => self.parse_array(&mut cur)?,
                Some(q @ ('"' | '\'')) => self.parse_quote(&mut cur, q)?,
                Some('.') => self.parse_field(&mut cur),
                Some(c) if c == '+' || c == '-' || c.is_numeric() => {
                    self.backup();
                    self.parse_number(&mut cur)?;
                }
                Some(c) if is_alphanumeric(c) => {
                    self.backup();
                    self.parse_identifier(&mut cur);
                }
                Some(c) => {
                    return Err(format!(
                        "unrecognized character in action: {}",
                        go_unicode(c)
                    ))
                }
            }
        }
    }

    fn parse_identifier(&mut self, cur: &mut Vec<Node>) {
        loop {
            let r = self.next();
            if is_terminator(r) {
                self.backup();
                break;
            }
        }
        let value = self.consume_text();
        cur.push(match value.as_str() {
            "true" => Node::Bool(true),
            "false" => Node::Bool(false),
            _ => Node::Identifier(value),
        });
    }

    fn parse_recursive(&mut self, cur: &mut Vec<Node>) -> Result<(), String> {
        if matches!(cur.last(), Some(Node::Recursive)) {
            return Err("invalid multiple recursive descent".to_string());
        }
        self.pos += 2;
        self.consume_text();
        cur.push(Node::Recursive);
        if self.peek().is_some_and(is_alphanumeric) {
            self.parse_field(cur);
        }
        Ok(())
    }

    fn parse_number(&mut self, cur: &mut Vec<Node>) -> Result<(), String> {
        if matches!(self.peek(), Some('+' | '-')) {
            self.next();
        }
        loop {
            match self.next() {
                Some(c) if c == '.' || c.is_numeric() => {}
                _ => {
                    self.backup();
                    break;
                }
            }
        }
        let value = self.consume_text();
        if let Some(i) = go_atoi(&value) {
            cur.push(Node::Int(i));
        } else if let Some(f) = go_parse_float(&value) {
            cur.push(Node::Float(f));
        } else {
            return Err(format!("cannot parse number {value}"));
        }
        Ok(())
    }

    fn parse_array(&mut self, cur: &mut Vec<Node>) -> Result<(), String> {
        loop {
            match self.next() {
                None | Some('\n') => return Err("unterminated array".to_string()),
                Some(']') => break,
                Some(_) => {}
            }
        }
        let consumed = self.consume_text();
        let mut text = &consumed[1..consumed.len() - 1];
        if text == "*" {
            text = ":";
        }
        let parts: Vec<&str> = text.split(',').collect();
        if parts.len() > 1 {
            let mut union = Vec::new();
            for part in parts {
                union.push(parse_action(&format!("[{}]", part.trim_matches(' ')))?);
            }
            cur.push(Node::Union(union));
            return Ok(());
        }
        // `['key']`: a dict key, parsed as `.key` (so `['a.b']` is two fields, as in Go).
        if text.len() >= 2 && text.starts_with('\'') && text.ends_with('\'') {
            let key = &text[1..text.len() - 1];
            if !key.contains('\'') {
                cur.extend(parse_action(&format!(".{key}"))?);
                return Ok(());
            }
        }
        let Some(groups) = slice_groups(text) else {
            return Err(format!("invalid array index {text}"));
        };
        let mut params = [Param::default(); 3];
        for i in 0..3 {
            let mut value = groups[i];
            if !value.is_empty() {
                if i > 0 {
                    value = &value[1..];
                }
                if i > 0 && value.is_empty() {
                    params[i].known = false;
                } else {
                    params[i].known = true;
                    params[i].value = go_atoi(value)
                        .ok_or_else(|| format!("array index {value} is not a number"))?;
                }
            } else if i == 1 {
                params[i] = Param {
                    value: params[0].value + 1,
                    known: true,
                    derived: true,
                };
            }
        }
        cur.push(Node::Array(params));
        Ok(())
    }

    fn parse_filter(&mut self, cur: &mut Vec<Node>) -> Result<(), String> {
        self.pos += 3;
        self.consume_text();
        let (mut begin, mut end) = (false, false);
        let mut pair = '"';
        loop {
            let r = self.next();
            match r {
                None | Some('\n') => return Err("unterminated filter".to_string()),
                Some(q @ ('"' | '\'')) => {
                    if !begin {
                        begin = true;
                        pair = q;
                        continue;
                    }
                    if self.input.as_bytes()[self.pos - 2] != b'\\' && q == pair {
                        end = true;
                    }
                }
                Some(')') if begin == end => break,
                Some(_) => {}
            }
        }
        if self.next() != Some(']') {
            return Err("unclosed array expect ]".to_string());
        }
        let consumed = self.consume_text();
        let text = &consumed[..consumed.len() - 2];
        match split_comparison(text) {
            None => cur.push(Node::Filter {
                left: parse_action(text)?,
                right: Vec::new(),
                operator: "exists".to_string(),
            }),
            Some((left, operator, right)) => cur.push(Node::Filter {
                left: parse_action(left)?,
                right: parse_action(right)?,
                operator: operator.to_string(),
            }),
        }
        Ok(())
    }

    fn parse_quote(&mut self, cur: &mut Vec<Node>, end: char) -> Result<(), String> {
        loop {
            match self.next() {
                None | Some('\n') => return Err("unterminated quoted string".to_string()),
                Some(c) if c == end && self.input.as_bytes()[self.pos - 2] != b'\\' => break,
                Some(_) => {}
            }
        }
        let value = self.consume_text();
        let text = unquote_extend(&value)
            .map_err(|_| format!("unquote string {value} error invalid syntax"))?;
        cur.push(Node::Text(text));
        Ok(())
    }

    fn parse_field(&mut self, cur: &mut Vec<Node>) {
        self.consume_text();
        while self.advance() {}
        let value = self.consume_text();
        cur.push(if value == "*" {
            Node::Wildcard
        } else {
            Node::Field(value.replace('\\', ""))
        });
    }

    /// Scans until the next terminator that is not escaped with `\`.
    fn advance(&mut self) -> bool {
        let r = self.next();
        if r == Some('\\') {
            self.next();
        } else if is_terminator(r) {
            self.backup();
            return false;
        }
        true
    }
}

/// `isTerminator`: what ends a field or identifier.
fn is_terminator(r: Option<char>) -> bool {
    match r {
        None => true,
        Some(c) => matches!(
            c,
            ' ' | '\t' | '\r' | '\n' | '.' | ',' | '[' | ']' | '$' | '@' | '{' | '}'
        ),
    }
}

/// `isAlphaNumeric`: `_`, a letter or a digit.
fn is_alphanumeric(c: char) -> bool {
    c == '_' || c.is_alphabetic() || c.is_numeric()
}

/// `sliceOperatorRex` `^(-?[\d]*)(:-?[\d]*)?(:-?[\d]*)?$`: the three groups (`""` when absent).
fn slice_groups(text: &str) -> Option<[&str; 3]> {
    fn number(s: &str) -> usize {
        let sign = usize::from(s.starts_with('-'));
        sign + s[sign..].bytes().take_while(u8::is_ascii_digit).count()
    }
    let mut groups = [""; 3];
    let first = number(text);
    groups[0] = &text[..first];
    let mut pos = first;
    for group in groups.iter_mut().skip(1) {
        if text[pos..].starts_with(':') {
            let len = 1 + number(&text[pos + 1..]);
            *group = &text[pos..pos + len];
            pos += len;
        }
    }
    (pos == text.len()).then_some(groups)
}

/// The filter regexp `^([^!<>=]+)([!<>=]+)(.+?)$`: left operand, operator, right operand.
fn split_comparison(text: &str) -> Option<(&str, &str, &str)> {
    let is_op = |c: char| matches!(c, '!' | '<' | '>' | '=');
    let op_start = text.find(is_op)?;
    if op_start == 0 {
        return None;
    }
    let after = &text[op_start..];
    let mut op_len = after.find(|c: char| !is_op(c)).unwrap_or(after.len());
    // The right operand needs at least one character: the operator gives one back.
    if op_len == after.len() {
        op_len -= 1;
        if op_len == 0 {
            return None;
        }
    }
    Some((&text[..op_start], &after[..op_len], &after[op_len..]))
}
