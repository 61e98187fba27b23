//! Variable expansion and quote removal for one Dockerfile word, as BuildKit's shell lexer
//! does it (moby/buildkit `frontend/dockerfile/shell/lex.go`, `ProcessWordWithMatches`).
//!
//! Supports `$NAME`, `${NAME}`, `${NAME:-word}`, `${NAME-word}`, `${NAME:+word}`,
//! `${NAME+word}`, `${NAME:?msg}`, `${NAME?msg}`; other `${NAME<op>...}` forms expand the
//! name and drop the operation. Records which names were found and which were not, for
//! `UndefinedVar` and `UndefinedArgInFrom`.

use std::collections::BTreeSet;

/// The result of expanding one word.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expanded {
    /// The word after expansion and quote removal.
    pub result: String,
    /// Names that were looked up and found.
    pub matched: BTreeSet<String>,
    /// Names that were looked up and not found.
    pub unmatched: BTreeSet<String>,
    /// True when a quote was left open (Docker errors out on such a word).
    pub unterminated: bool,
}

/// Expands `word` with `lookup` (`None` = variable not defined).
pub fn expand(word: &str, escape: char, lookup: &dyn Fn(&str) -> Option<String>) -> Expanded {
    let mut lexer = Lexer {
        chars: word.chars().collect(),
        pos: 0,
        escape,
        lookup,
        out: Expanded::default(),
    };
    let result = lexer.process_until(None);
    lexer.out.result = result;
    lexer.out
}

/// Removes quotes and escapes without expanding anything (variables stay as written).
pub fn unquote(word: &str, escape: char) -> String {
    let chars: Vec<char> = word.chars().collect();
    let mut out = String::with_capacity(word.len());
    let mut i = 0;
    let mut quote: Option<char> = None;
    while i < chars.len() {
        let c = chars[i];
        match quote {
            None if c == '\'' || c == '"' => quote = Some(c),
            None if c == escape => {
                if let Some(&n) = chars.get(i + 1) {
                    out.push(n);
                    i += 1;
                }
            }
            Some('"')
                if c == escape
                    && matches!(chars.get(i + 1), Some(&n) if n == '"' || n == '$' || n == escape) =>
            {
                out.push(chars[i + 1]);
                i += 1;
            }
            Some(q) if c == q => quote = None,
            _ => out.push(c),
        }
        i += 1;
    }
    out
}

struct Lexer<'a> {
    chars: Vec<char>,
    pos: usize,
    escape: char,
    lookup: &'a dyn Fn(&str) -> Option<String>,
    out: Expanded,
}

impl Lexer<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek();
        if c.is_some() {
            self.pos += 1;
        }
        c
    }

    fn get(&mut self, name: &str) -> Option<String> {
        match (self.lookup)(name) {
            Some(v) => {
                self.out.matched.insert(name.to_owned());
                Some(v)
            }
            None => {
                self.out.unmatched.insert(name.to_owned());
                None
            }
        }
    }

    /// Processes until `stop` (unquoted) or the end.
    fn process_until(&mut self, stop: Option<char>) -> String {
        let mut result = String::new();
        while let Some(c) = self.peek() {
            if Some(c) == stop {
                self.pos += 1;
                return result;
            }
            match c {
                '\'' => {
                    self.pos += 1;
                    self.single_quoted(&mut result);
                }
                '"' => {
                    self.pos += 1;
                    self.double_quoted(&mut result);
                }
                '$' => {
                    self.pos += 1;
                    let value = self.dollar();
                    result.push_str(&value);
                }
                c if c == self.escape => {
                    self.pos += 1;
                    if let Some(n) = self.next() {
                        result.push(n);
                    }
                }
                c => {
                    self.pos += 1;
                    result.push(c);
                }
            }
        }
        result
    }

    fn single_quoted(&mut self, result: &mut String) {
        loop {
            match self.next() {
                None => {
                    self.out.unterminated = true;
                    return;
                }
                Some('\'') => return,
                Some(c) => result.push(c),
            }
        }
    }

    fn double_quoted(&mut self, result: &mut String) {
        loop {
            match self.next() {
                None => {
                    self.out.unterminated = true;
                    return;
                }
                Some('"') => return,
                Some('$') => {
                    let value = self.dollar();
                    result.push_str(&value);
                }
                Some(c) if c == self.escape => match self.peek() {
                    Some(n) if n == '"' || n == '$' || n == self.escape => {
                        self.pos += 1;
                        result.push(n);
                    }
                    _ => result.push(c),
                },
                Some(c) => result.push(c),
            }
        }
    }

    /// After a `$`.
    fn dollar(&mut self) -> String {
        if self.peek() != Some('{') {
            let name = self.name();
            if name.is_empty() {
                return "$".to_owned();
            }
            return self.get(&name).unwrap_or_default();
        }
        self.pos += 1; // '{'
        let name = self.name();
        match self.next() {
            Some('}') | None => self.get(&name).unwrap_or_default(),
            Some(':') => {
                let op = self.next();
                let word = self.process_until(Some('}'));
                let value = self.get(&name);
                let empty = value.as_deref().is_none_or(str::is_empty);
                match op {
                    Some('-') if empty => word,
                    Some('+') if !empty => word,
                    Some('+') => String::new(),
                    _ => value.unwrap_or_default(),
                }
            }
            Some(op @ ('-' | '+' | '?')) => {
                let word = self.process_until(Some('}'));
                let value = self.get(&name);
                match (op, value) {
                    ('-', None) => word,
                    ('+', Some(_)) => word,
                    ('+', None) => String::new(),
                    (_, v) => v.unwrap_or_default(),
                }
            }
            Some(_) => {
                // `${NAME#pat}`, `${NAME%pat}`, `${NAME/a/b}`: expand the name, skip the rest.
                self.process_until(Some('}'));
                self.get(&name).unwrap_or_default()
            }
        }
    }

    fn name(&mut self) -> String {
        let mut name = String::new();
        if let Some(c) = self.peek() {
            if c.is_ascii_digit() {
                while let Some(d) = self.peek().filter(char::is_ascii_digit) {
                    self.pos += 1;
                    name.push(d);
                }
                return name;
            }
            if "@*#?-$!0".contains(c) {
                self.pos += 1;
                return c.to_string();
            }
        }
        while let Some(c) = self.peek().filter(|c| c.is_alphanumeric() || *c == '_') {
            self.pos += 1;
            name.push(c);
        }
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "TAG" => Some("3.10".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    #[test]
    fn expands_like_buildkit() {
        let e = expand("alpine:${TAG}", '\\', &env);
        assert_eq!(e.result, "alpine:3.10");
        assert!(e.matched.contains("TAG"));
        let e = expand("${NOPE:-alpine}:$TAG", '\\', &env);
        assert_eq!(e.result, "alpine:3.10");
        assert!(e.unmatched.contains("NOPE"));
        assert_eq!(expand("${EMPTY:-x}${EMPTY-y}", '\\', &env).result, "x");
        assert_eq!(expand("${TAG:+set}${NOPE:+no}", '\\', &env).result, "set");
        assert_eq!(
            expand(r#""a b"'$TAG'\$TAG"#, '\\', &env).result,
            "a b$TAG$TAG"
        );
        assert_eq!(expand("cost $ 5", '\\', &env).result, "cost $ 5");
        assert!(expand("'open", '\\', &env).unterminated);
    }

    #[test]
    fn unquote_keeps_variables() {
        assert_eq!(unquote(r#""hello world""#, '\\'), "hello world");
        assert_eq!(unquote(r"Rex\ The\ Dog", '\\'), "Rex The Dog");
        assert_eq!(unquote(r#""$HOME \"x\"""#, '\\'), r#"$HOME "x""#);
        assert_eq!(unquote("'a\\b'", '\\'), "a\\b");
    }
}
