//! What buildx prints when a build fails: each failed step's last log lines, the Dockerfile
//! lines around the failing instruction, and the error.
//!
//! ```text
//! ------
//!  > [3/3] RUN echo about to fail && exit 3:
//! #7 0.235 about to fail
//! ------
//! Dockerfile:3
//! --------------------
//!    1 |     FROM bktest/base:1
//!    2 |     RUN echo before
//!    3 | >>> RUN echo about to fail && exit 3
//!    4 |
//! --------------------
//! ERROR: failed to solve: executor failed running [/bin/sh -c echo about to fail && exit 3]: exit code: 3
//! ```
//!
//! The log block is buildkit's `trace.printErrorLogs` (`util/progress/progressui/display.go`)
//! as buildx printed it up to buildkit 0.11, each line with its `#n` (later versions dropped
//! it). The source block is buildkit `solver/errdefs/source.go` `Source.Print`, which buildx
//! prints for the error's source location (`cmd/buildx/main.go`). Engine 20.10 sends no
//! source location, so the instruction is found from the step's name instead
//! ([`instruction_lines`]).

use std::collections::BTreeMap;

use crate::dockerfile::{self, Dockerfile, Instruction, Keyword};

use super::FailedStep;

/// The Dockerfile the build read, and the name to show for it.
#[derive(Debug, Clone, Copy)]
pub struct DockerfileText<'a> {
    /// What the excerpt calls it (`Dockerfile`, `build/Dockerfile.prod`).
    pub display_name: &'a str,
    /// Its text.
    pub source: &'a str,
}

/// The text buildx prints after a failed build: [`failure_context`], then
/// `ERROR: failed to solve: <error>` (the failed step's own error when `error` is empty).
pub fn failure_excerpt(
    failed: &[FailedStep],
    dockerfile: Option<DockerfileText<'_>>,
    error: &str,
) -> String {
    let error = if error.is_empty() {
        failed.last().map_or("", |step| step.error.as_str())
    } else {
        error
    };
    let mut out = failure_context(failed, dockerfile);
    // buildkit's client wraps every solve error so (`client/solve.go`)
    if error.starts_with("failed to solve") {
        out.push_str(&format!("ERROR: {error}\n"));
    } else {
        out.push_str(&format!("ERROR: failed to solve: {error}\n"));
    }
    out
}

/// `failed` steps' logs (from [`super::PlainPrinter::failed_steps`] or
/// [`super::Trace::failed_steps`]) and the Dockerfile lines of the first one that maps to an
/// instruction: what buildx prints above the error line.
pub fn failure_context(failed: &[FailedStep], dockerfile: Option<DockerfileText<'_>>) -> String {
    let mut out = String::new();
    for step in failed {
        out.push_str("------\n");
        out.push_str(&format!(" > {}:\n", step.name));
        for line in &step.logs {
            out.push_str(&format!("#{} {line}\n", step.number));
        }
        out.push_str("------\n");
    }
    if let Some(text) = dockerfile {
        if let Ok(df) = dockerfile::parse(text.source) {
            let lines = failed
                .iter()
                .find_map(|step| instruction_lines(&df, &step.name));
            if let Some((start, end)) = lines {
                out.push_str(&source_block(text.display_name, text.source, start, end));
            }
        }
    }
    out
}

/// A step's place in its stage, from a vertex name such as `[build 2/3] RUN make`.
#[derive(Debug, PartialEq, Eq)]
struct StepName<'a> {
    /// The stage's name (`build`, `stage-1`), absent when the Dockerfile has one stage.
    stage: Option<&'a str>,
    /// 1-based step number within the stage.
    step: usize,
    /// Steps the stage counts.
    total: usize,
    /// The instruction as shown (`RUN make`).
    command: &'a str,
}

/// Reads buildkit's step prefix: `[` platform? stage? `k/n] ` (`dockerfile2llb`
/// `prefixCommand`, which pads `k` with spaces when `n` has more digits).
fn parse_step_name(name: &str) -> Option<StepName<'_>> {
    let (inside, command) = name.strip_prefix('[')?.split_once(']')?;
    let mut words: Vec<&str> = inside.split_whitespace().collect();
    let (step, total) = words.pop()?.split_once('/')?;
    Some(StepName {
        // a platform (`linux/arm64`) is the only word with a slash
        stage: words.into_iter().rev().find(|w| !w.contains('/')),
        step: step.parse().ok()?,
        total: total.parse().ok()?,
        command: command.trim_start(),
    })
}

/// The first and last line (1-based) of the instruction a step ran.
///
/// BuildKit numbers a stage's steps from its `FROM` (when it pulls an image: a stage built
/// on another stage, or on `scratch`, has no `FROM` step), then each `RUN`, `COPY`, `ADD`
/// and `WORKDIR` (`dockerfile2llb` `toDispatchState`, where `cmdTotal` counts `FROM` unless it
/// is `scratch`; `WORKDIR` counts only when the engine has file operations, so the step total
/// in the name decides). The instruction's keyword must match the name's, or there is no
/// answer rather than a wrong one.
fn instruction_lines(df: &Dockerfile, vertex_name: &str) -> Option<(usize, usize)> {
    let step = parse_step_name(vertex_name)?;
    let stages = df.stages();
    let stage = match step.stage {
        Some(name) => stages
            .iter()
            .find(|s| s.name.is_some_and(|n| n.value.eq_ignore_ascii_case(name)))
            .or_else(|| {
                let index: usize = name.strip_prefix("stage-")?.parse().ok()?;
                stages.get(index)
            })?,
        None if stages.len() == 1 => &stages[0],
        None => return None,
    };
    let bases = df.stage_bases(&BTreeMap::new());
    let base = bases.get(stage.index)?;
    let scratch = base.eq_ignore_ascii_case("scratch");
    let on_stage = stages[..stage.index]
        .iter()
        .any(|s| s.name.is_some_and(|n| n.value.eq_ignore_ascii_case(base)));
    let counted = |workdir: bool| -> Vec<&Instruction> {
        let from = (!scratch && !on_stage).then_some(stage.from);
        let commands = stage.instructions.iter().filter(move |i| match i.keyword {
            Keyword::Run | Keyword::Copy | Keyword::Add => true,
            Keyword::Workdir => workdir,
            _ => false,
        });
        from.into_iter().chain(commands).collect()
    };
    let total = |steps: &[&Instruction]| {
        let phantom_from = usize::from(on_stage && !scratch);
        steps.len() + phantom_from
    };
    let with_workdir = counted(true);
    let steps = if total(&with_workdir) == step.total {
        with_workdir
    } else {
        let without = counted(false);
        if total(&without) == step.total {
            without
        } else {
            with_workdir
        }
    };
    let instruction = steps.get(step.step.checked_sub(1)?)?;
    let keyword = step.command.split_whitespace().next()?;
    if !keyword.eq_ignore_ascii_case(instruction.keyword.as_str()) {
        return None;
    }
    let first = df.line_col(instruction.span.start).0;
    let last_byte = instruction
        .span
        .end
        .saturating_sub(1)
        .max(instruction.span.start);
    Some((first, df.line_col(last_byte).0))
}

/// buildkit `Source.Print`: the lines `start..=end` marked `>>>`, with context (four lines
/// for a one-line range, two otherwise, before and after as the file allows). Lines are the
/// text split at `\n`, so a final newline shows as an empty last line, as in buildx; a `\r`
/// before it is dropped.
fn source_block(display_name: &str, source: &str, start: usize, end: usize) -> String {
    let lines: Vec<&str> = source.split('\n').collect();
    if start < 1 || start > lines.len() {
        return String::new();
    }
    let end = end.min(lines.len()).max(start);
    let pad = if end == start { 4 } else { 2 };
    let (mut from, mut to, mut p) = (start, end, 0);
    while p < pad {
        if from > 1 {
            from -= 1;
            p += 1;
        }
        if to != lines.len() {
            to += 1;
            p += 1;
        }
        p += 1;
    }
    let mut out = format!("{display_name}:{start}\n--------------------\n");
    for i in from..=to {
        let marker = if (start..=end).contains(&i) {
            ">>>"
        } else {
            "   "
        };
        let line = lines[i - 1].strip_suffix('\r').unwrap_or(lines[i - 1]);
        out.push_str(&format!(" {i:>3} | {marker} {line}\n"));
    }
    out.push_str("--------------------\n");
    out
}

#[cfg(test)]
mod tests {
    use super::super::{fixtures, PlainPrinter};
    use super::*;

    const FAILING: &str = "FROM bktest/base:1\nRUN echo before\nRUN echo about to fail && exit 3\n";

    fn lines_of(source: &str, vertex_name: &str) -> Option<(usize, usize)> {
        instruction_lines(&dockerfile::parse(source).unwrap(), vertex_name)
    }

    #[test]
    fn the_recorded_failure_reads_as_buildx_prints_it() {
        let mut printer = PlainPrinter::new();
        for status in fixtures::statuses(fixtures::FAILED_RUN) {
            printer.print(&status);
        }
        printer.finish();
        let error = fixtures::error(fixtures::FAILED_RUN).unwrap();
        let dockerfile = DockerfileText {
            display_name: "Dockerfile",
            source: FAILING,
        };
        let text = failure_excerpt(&printer.failed_steps(), Some(dockerfile), &error);
        assert_eq!(
            text,
            "------\n \
             > [3/3] RUN echo about to fail && exit 3:\n\
             #6 0.315 about to fail\n\
             ------\n\
             Dockerfile:3\n\
             --------------------\n   \
             1 |     FROM bktest/base:1\n   \
             2 |     RUN echo before\n   \
             3 | >>> RUN echo about to fail && exit 3\n   \
             4 |     \n\
             --------------------\n\
             ERROR: failed to solve: executor failed running [/bin/sh -c echo about to fail && exit 3]: exit code: 3\n"
        );
    }

    #[test]
    fn step_names_parse_with_stage_platform_and_padding() {
        assert_eq!(
            parse_step_name("[linux/arm64 build  2/10] RUN make"),
            Some(StepName {
                stage: Some("build"),
                step: 2,
                total: 10,
                command: "RUN make"
            })
        );
        assert_eq!(parse_step_name("[2/3] RUN x").unwrap().stage, None);
        assert_eq!(parse_step_name("[internal] load metadata"), None);
        assert_eq!(parse_step_name("exporting to image"), None);
    }

    #[test]
    fn steps_count_from_and_file_instructions_only() {
        let source = "FROM alpine\nENV A=1\nWORKDIR /src\nCOPY . .\nRUN make\n";
        assert_eq!(
            lines_of(source, "[1/4] FROM docker.io/library/alpine"),
            Some((1, 1))
        );
        assert_eq!(lines_of(source, "[3/4] COPY . ."), Some((4, 4)));
        // without file operations WORKDIR is no step: the total tells
        assert_eq!(lines_of(source, "[3/3] RUN make"), Some((5, 5)));
        assert_eq!(lines_of(source, "[2/3] RUN make"), None, "keyword mismatch");
    }

    #[test]
    fn stages_are_found_by_name_or_index_and_stage_bases_have_no_from_step() {
        let source = "FROM alpine AS Build\nRUN make\n\nFROM build\nRUN test\nCOPY --from=build /a /a\n\nFROM scratch\nCOPY x /x\n";
        assert_eq!(lines_of(source, "[build 2/2] RUN make"), Some((2, 2)));
        assert_eq!(lines_of(source, "[stage-1 1/3] RUN test"), Some((5, 5)));
        assert_eq!(
            lines_of(source, "[stage-1 2/3] COPY --from=build /a /a"),
            Some((6, 6))
        );
        assert_eq!(lines_of(source, "[stage-2 1/1] COPY x /x"), Some((9, 9)));
        assert_eq!(
            lines_of(source, "[2/2] RUN make"),
            None,
            "several stages need a name"
        );
        assert_eq!(lines_of(source, "[nope 2/2] RUN make"), None);
    }

    #[test]
    fn continuation_lines_are_all_marked() {
        let source = "FROM a\nRUN one\nRUN two \\\n  && three\nRUN four\nRUN five\nRUN six\n";
        let (start, end) = lines_of(source, "[3/6] RUN two   && three").unwrap();
        assert_eq!((start, end), (3, 4));
        assert_eq!(
            source_block("Dockerfile", source, start, end),
            "Dockerfile:3\n\
             --------------------\n   \
             2 |     RUN one\n   \
             3 | >>> RUN two \\\n   \
             4 | >>>   && three\n   \
             5 |     RUN four\n\
             --------------------\n"
        );
    }

    #[test]
    fn one_line_gets_four_lines_of_context_where_the_file_has_them() {
        let source: String = (1..=12).map(|i| format!("RUN {i}\n")).collect();
        let block = source_block("df", &source, 6, 6);
        let numbers: Vec<&str> = block
            .lines()
            .skip(2)
            .filter_map(|l| l.split('|').next())
            .map(str::trim)
            .filter(|n| !n.starts_with('-'))
            .collect();
        assert_eq!(numbers, ["4", "5", "6", "7", "8"]);
        assert!(block.starts_with("df:6\n"));
    }

    #[test]
    fn without_a_dockerfile_only_logs_and_error_print() {
        let step = FailedStep {
            number: 3,
            name: "[2/2] RUN false".into(),
            error: "exit code: 1".into(),
            logs: vec![],
        };
        assert_eq!(
            failure_excerpt(&[step], None, ""),
            "------\n > [2/2] RUN false:\n------\nERROR: failed to solve: exit code: 1\n"
        );
    }
}
