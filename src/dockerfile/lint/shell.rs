//! A small POSIX-shell reader for the hadolint rules: splits a `RUN` script into simple
//! commands (at `&&`, `||`, `;`, `|`, `&`, newlines and parentheses), respecting quotes and
//! backslashes, and notes whether a real pipe `|` occurs. Not a full shell parser: it only
//! needs to find command names and their arguments.

/// One simple command: its words, quotes removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimpleCommand {
    /// Words, with leading `VAR=value` assignments removed.
    pub words: Vec<String>,
}

impl SimpleCommand {
    /// The command name (`sudo` and `env` prefixes are looked through).
    pub fn name(&self) -> Option<&str> {
        let mut words = self.words.iter().map(String::as_str);
        let mut name = words.next()?;
        while matches!(name, "sudo" | "env" | "command" | "exec") {
            name = words.find(|w| !w.starts_with('-') && !w.contains('='))?;
        }
        Some(name)
    }

    /// True when `words` contains `word`.
    pub fn has(&self, word: &str) -> bool {
        self.words.iter().any(|w| w == word)
    }
}

/// The script split into simple commands, and whether it has a pipe.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Script {
    /// Commands in order.
    pub commands: Vec<SimpleCommand>,
    /// A `|` that is not part of `||`.
    pub has_pipe: bool,
}

/// Reads `text` (a shell-form command, continuations already joined).
pub fn read(text: &str) -> Script {
    let mut script = Script::default();
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = text.chars().peekable();
    let flush_word = |word: &mut String, in_word: &mut bool, words: &mut Vec<String>| {
        if *in_word {
            words.push(std::mem::take(word));
            *in_word = false;
        }
    };
    let flush_command = |words: &mut Vec<String>, script: &mut Script| {
        let start = words
            .iter()
            .position(|w| !is_assignment(w))
            .unwrap_or(words.len());
        if start < words.len() {
            script.commands.push(SimpleCommand {
                words: words.split_off(start),
            });
        }
        words.clear();
    };
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                for q in chars.by_ref() {
                    if q == '\'' {
                        break;
                    }
                    word.push(q);
                }
            }
            '"' => {
                in_word = true;
                while let Some(q) = chars.next() {
                    match q {
                        '"' => break,
                        '\\' => word.extend(chars.next()),
                        _ => word.push(q),
                    }
                }
            }
            '\\' => {
                in_word = true;
                word.extend(chars.next());
            }
            '#' if !in_word => {
                // A comment runs to the end of the line.
                for q in chars.by_ref() {
                    if q == '\n' {
                        break;
                    }
                }
                flush_command(&mut words, &mut script);
            }
            '|' | '&' | ';' | '\n' | '(' | ')' => {
                flush_word(&mut word, &mut in_word, &mut words);
                if c == '|' {
                    if chars.peek() == Some(&'|') {
                        chars.next();
                    } else {
                        script.has_pipe = true;
                    }
                } else if c == '&' && chars.peek() == Some(&'&') {
                    chars.next();
                }
                flush_command(&mut words, &mut script);
            }
            c if c.is_whitespace() => flush_word(&mut word, &mut in_word, &mut words),
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    flush_word(&mut word, &mut in_word, &mut words);
    flush_command(&mut words, &mut script);
    script
}

fn is_assignment(word: &str) -> bool {
    word.split_once('=').is_some_and(|(name, _)| {
        !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_commands_and_finds_pipes() {
        let s =
            read("DEBIAN_FRONTEND=x apt-get install -y 'a b' && cd /x || echo \"|\" ; ls | wc -l");
        let names: Vec<_> = s.commands.iter().filter_map(SimpleCommand::name).collect();
        assert_eq!(names, ["apt-get", "cd", "echo", "ls", "wc"]);
        assert!(s.commands[0].has("a b"));
        assert!(s.has_pipe);
        assert!(!read("a || b && c").has_pipe);
        assert_eq!(
            read("sudo -E apt-get update").commands[0].name(),
            Some("apt-get")
        );
    }
}
