//! Converts `parse-dockerfile`'s borrowed syntax tree into dockjob's owned [`Dockerfile`]
//! model, splitting `ENV`/`LABEL`/`ARG` into key/value pairs and shifting spans past a BOM.

use parse_dockerfile as pd;

use super::error::ParseError;
use super::expand::unquote;
use super::heredoc;
use super::model::{Args, CommandForm, Flag, Heredoc, Instruction, Keyword, Span, Word};
use super::position::LineIndex;
use super::words::{key_values, Logical};

/// Conversion context: the full source, the BOM offset and the escape character.
pub(crate) struct Converter<'s> {
    pub source: &'s str,
    pub base: usize,
    pub escape: char,
    pub lines: &'s LineIndex,
    /// Heredocs found before parsing (spans already include the BOM offset).
    pub heredocs: &'s [heredoc::Found],
}

impl Converter<'_> {
    fn span(&self, span: &pd::Span) -> Span {
        span.start + self.base..span.end + self.base
    }

    fn word(&self, s: &pd::UnescapedString<'_>) -> Word {
        let span = self.span(&s.span);
        // A `<<EOF` marker was hidden from the parser as `_____`: take it from the source.
        let hidden = !s.value.is_empty() && s.value.bytes().all(|b| b == b'_');
        let value = match self.source.get(span.clone()) {
            Some(original) if hidden && original.contains("<<") => original.to_owned(),
            _ => s.value.to_string(),
        };
        Word { value, span }
    }

    fn flags(&self, flags: &[pd::Flag<'_>]) -> Vec<Flag> {
        flags
            .iter()
            .map(|f| Flag {
                name: f.name.value.to_string(),
                value: f.value.as_ref().map(|v| v.value.to_string()),
                span: self.span(&f.span()),
                value_span: f.value.as_ref().map(|v| self.span(&v.span)),
            })
            .collect()
    }

    fn command(&self, command: &pd::Command<'_>) -> CommandForm {
        match command {
            pd::Command::Exec(array) => CommandForm::Exec {
                args: array.value.iter().map(|w| self.word(w)).collect(),
                span: self.span(&array.span),
            },
            pd::Command::Shell(text) => {
                let span = self.span(&text.span);
                let logical = Logical::join(self.source, &span, self.escape);
                CommandForm::Shell {
                    text: logical.text,
                    span,
                }
            }
            _ => CommandForm::Shell {
                text: String::new(),
                span: 0..0,
            },
        }
    }

    fn heredoc(&self, h: &pd::HereDoc<'_>) -> Heredoc {
        Heredoc {
            body: h.value.to_string(),
            expand: h.expand,
            span: self.span(&h.span),
        }
    }

    fn key_values(
        &self,
        keyword: Keyword,
        args: &pd::UnescapedString<'_>,
    ) -> Result<Args, ParseError> {
        let span = self.span(&args.span);
        let logical = Logical::join(self.source, &span, self.escape);
        let escape = self.escape;
        let unq = move |raw: &str| unquote(raw, escape);
        key_values(
            &logical,
            keyword.as_str(),
            keyword == Keyword::Arg,
            escape,
            &unq,
        )
        .map(Args::KeyValues)
        .map_err(|e| ParseError::at(self.lines, logical.span(e.at, e.at).start, e.message))
    }

    /// Converts one instruction.
    pub fn instruction(&self, inst: &pd::Instruction<'_>) -> Result<Instruction, ParseError> {
        use pd::Instruction as I;
        let (keyword, kw_span, flags, args, heredocs) = match inst {
            I::Add(i) => {
                let (sources, heredocs, dest, json) = self.copy_sources(&i.src, &i.dest);
                let args = Args::Copy {
                    sources,
                    dest,
                    json,
                };
                (
                    Keyword::Add,
                    &i.add.span,
                    self.flags(&i.options),
                    args,
                    heredocs,
                )
            }
            I::Copy(i) => {
                let (sources, heredocs, dest, json) = self.copy_sources(&i.src, &i.dest);
                let args = Args::Copy {
                    sources,
                    dest,
                    json,
                };
                (
                    Keyword::Copy,
                    &i.copy.span,
                    self.flags(&i.options),
                    args,
                    heredocs,
                )
            }
            I::Arg(i) => (
                Keyword::Arg,
                &i.arg.span,
                vec![],
                self.key_values(Keyword::Arg, &i.arguments)?,
                vec![],
            ),
            I::Env(i) => (
                Keyword::Env,
                &i.env.span,
                vec![],
                self.key_values(Keyword::Env, &i.arguments)?,
                vec![],
            ),
            I::Label(i) => (
                Keyword::Label,
                &i.label.span,
                vec![],
                self.key_values(Keyword::Label, &i.arguments)?,
                vec![],
            ),
            I::Cmd(i) => (
                Keyword::Cmd,
                &i.cmd.span,
                vec![],
                Args::Command(self.command(&i.arguments)),
                vec![],
            ),
            I::Entrypoint(i) => (
                Keyword::Entrypoint,
                &i.entrypoint.span,
                vec![],
                Args::Command(self.command(&i.arguments)),
                vec![],
            ),
            I::Run(i) => {
                let heredocs = i.here_docs.iter().map(|h| self.heredoc(h)).collect();
                (
                    Keyword::Run,
                    &i.run.span,
                    self.flags(&i.options),
                    Args::Command(self.command(&i.arguments)),
                    heredocs,
                )
            }
            I::Expose(i) => {
                let words = i.arguments.iter().map(|w| self.word(w)).collect();
                (
                    Keyword::Expose,
                    &i.expose.span,
                    vec![],
                    Args::Words { words, json: false },
                    vec![],
                )
            }
            I::Volume(i) => {
                let (words, json) = match &i.arguments {
                    pd::JsonOrStringArray::Json(a) => {
                        (a.value.iter().map(|w| self.word(w)).collect(), true)
                    }
                    pd::JsonOrStringArray::String(a) => {
                        (a.iter().map(|w| self.word(w)).collect(), false)
                    }
                };
                (
                    Keyword::Volume,
                    &i.volume.span,
                    vec![],
                    Args::Words { words, json },
                    vec![],
                )
            }
            I::Shell(i) => {
                let words = i.arguments.iter().map(|w| self.word(w)).collect();
                (
                    Keyword::Shell,
                    &i.shell.span,
                    vec![],
                    Args::Words { words, json: true },
                    vec![],
                )
            }
            I::From(i) => {
                let alias = i.as_.as_ref().map(|(kw, name)| {
                    let kw = Word {
                        value: self.source[self.span(&kw.span)].to_owned(),
                        span: self.span(&kw.span),
                    };
                    (kw, self.word(name))
                });
                let args = Args::From {
                    image: self.word(&i.image),
                    alias,
                };
                (
                    Keyword::From,
                    &i.from.span,
                    self.flags(&i.options),
                    args,
                    vec![],
                )
            }
            I::Healthcheck(i) => {
                let args = match &i.arguments {
                    pd::HealthcheckArguments::Cmd { arguments, .. } => {
                        Args::Command(self.command(arguments))
                    }
                    _ => Args::HealthcheckNone,
                };
                (
                    Keyword::Healthcheck,
                    &i.healthcheck.span,
                    self.flags(&i.options),
                    args,
                    vec![],
                )
            }
            I::Maintainer(i) => (
                Keyword::Maintainer,
                &i.maintainer.span,
                vec![],
                Args::Text(self.word(&i.name)),
                vec![],
            ),
            I::Stopsignal(i) => (
                Keyword::Stopsignal,
                &i.stopsignal.span,
                vec![],
                Args::Text(self.word(&i.arguments)),
                vec![],
            ),
            I::User(i) => (
                Keyword::User,
                &i.user.span,
                vec![],
                Args::Text(self.word(&i.arguments)),
                vec![],
            ),
            I::Workdir(i) => (
                Keyword::Workdir,
                &i.workdir.span,
                vec![],
                Args::Text(self.word(&i.arguments)),
                vec![],
            ),
            I::Onbuild(i) => {
                let inner = self.instruction(&i.instruction)?;
                (
                    Keyword::Onbuild,
                    &i.onbuild.span,
                    vec![],
                    Args::Onbuild(Box::new(inner)),
                    vec![],
                )
            }
            _ => {
                return Err(ParseError::whole_file(
                    "unsupported instruction (parser upgrade needed)",
                ));
            }
        };
        let keyword_span = self.span(kw_span);
        let keyword_text: String = self.source[keyword_span.clone()]
            .chars()
            .filter(|c| c.is_ascii_alphabetic())
            .collect();
        let mut inst = Instruction {
            keyword,
            keyword_text,
            keyword_span: keyword_span.clone(),
            span: keyword_span.clone(),
            flags,
            args,
            heredocs,
        };
        self.attach_heredocs(&mut inst);
        inst.span.end = end_of(&inst);
        Ok(inst)
    }

    /// Moves the heredocs whose `<<` marker lies in this instruction onto it; for
    /// `COPY`/`ADD` the marker is not a source path.
    fn attach_heredocs(&self, inst: &mut Instruction) {
        if !matches!(inst.keyword, Keyword::Run | Keyword::Copy | Keyword::Add) {
            return;
        }
        let range = inst.keyword_span.start..end_of(inst);
        let mine: Vec<&heredoc::Found> = self
            .heredocs
            .iter()
            .filter(|h| range.contains(&h.marker.start))
            .collect();
        if mine.is_empty() {
            return;
        }
        if let Args::Copy { sources, .. } = &mut inst.args {
            sources.retain(|w| !mine.iter().any(|h| h.marker == w.span));
        }
        inst.heredocs = mine
            .iter()
            .map(|h| Heredoc {
                body: h.body.clone(),
                expand: h.expand,
                span: h.span.clone(),
            })
            .collect();
    }

    fn copy_sources(
        &self,
        src: &[pd::Source<'_>],
        dest: &pd::UnescapedString<'_>,
    ) -> (Vec<Word>, Vec<Heredoc>, Word, bool) {
        let mut sources = Vec::new();
        let mut heredocs = Vec::new();
        for s in src {
            match s {
                pd::Source::Path(p) => sources.push(self.word(p)),
                pd::Source::HereDoc(h) => heredocs.push(self.heredoc(h)),
                _ => {}
            }
        }
        let dest = self.word(dest);
        // JSON form: the destination is followed by `"` then `]` before the line ends.
        let json = self.source[dest.span.end..]
            .trim_start_matches('"')
            .trim_start()
            .starts_with(']');
        (sources, heredocs, dest, json)
    }
}

/// The end offset of everything the instruction covers.
fn end_of(inst: &Instruction) -> usize {
    let mut end = inst.keyword_span.end;
    let mut see = |s: &Span| end = end.max(s.end);
    inst.flags.iter().for_each(|f| see(&f.span));
    inst.heredocs.iter().for_each(|h| see(&h.span));
    match &inst.args {
        Args::From { image, alias } => {
            see(&image.span);
            if let Some((_, name)) = alias {
                see(&name.span);
            }
        }
        Args::Command(CommandForm::Exec { span, .. } | CommandForm::Shell { span, .. }) => {
            see(span)
        }
        Args::KeyValues(kvs) => kvs.iter().for_each(|kv| see(&kv.span)),
        Args::Copy { sources, dest, .. } => {
            sources.iter().for_each(|w| see(&w.span));
            see(&dest.span);
        }
        Args::Words { words, .. } => words.iter().for_each(|w| see(&w.span)),
        Args::Text(w) => see(&w.span),
        Args::Onbuild(inner) => see(&inner.span),
        Args::HealthcheckNone => {}
    }
    end
}
