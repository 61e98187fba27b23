//! The corpus of tricky Dockerfiles in `tests/fixtures/dockerfiles/`: every one parses, and
//! a readable summary of what the parser saw (positions, forms, flags, key/values, heredocs)
//! plus the lint findings is snapshotted.

use std::fmt::Write as _;

use dockjob::dockerfile::{self, lint, render, Args, CommandForm, Dockerfile, Instruction};

fn summarize_inst(df: &Dockerfile, inst: &Instruction, out: &mut String, indent: &str) {
    let (line, col) = df.line_col(inst.span.start);
    let (end_line, _) = df.line_col(inst.span.end);
    let _ = write!(out, "{indent}{line}:{col}-{end_line} {}", inst.keyword_text);
    for f in &inst.flags {
        let _ = write!(out, " --{}", f.name);
        if let Some(v) = &f.value {
            let _ = write!(out, "={v:?}");
        }
    }
    match &inst.args {
        Args::From { image, alias } => {
            let _ = write!(out, " image={:?}", image.value);
            if let Some((kw, name)) = alias {
                let _ = write!(out, " {}={:?}", kw.value, name.value);
            }
        }
        Args::Command(CommandForm::Exec { args, .. }) => {
            let values: Vec<&str> = args.iter().map(|a| a.value.as_str()).collect();
            let _ = write!(out, " exec={values:?}");
        }
        Args::Command(CommandForm::Shell { text, .. }) => {
            let _ = write!(out, " shell={text:?}");
        }
        Args::HealthcheckNone => out.push_str(" NONE"),
        Args::KeyValues(kvs) => {
            for kv in kvs {
                let legacy = if kv.legacy { " (legacy)" } else { "" };
                let _ = write!(out, " [{:?}={:?}{legacy}]", kv.key, kv.value);
            }
        }
        Args::Copy {
            sources,
            dest,
            json,
        } => {
            let values: Vec<&str> = sources.iter().map(|a| a.value.as_str()).collect();
            let _ = write!(out, " sources={values:?} dest={:?} json={json}", dest.value);
        }
        Args::Words { words, json } => {
            let values: Vec<&str> = words.iter().map(|a| a.value.as_str()).collect();
            let _ = write!(out, " words={values:?} json={json}");
        }
        Args::Text(w) => {
            let _ = write!(out, " text={:?}", w.value);
        }
        Args::Onbuild(inner) => {
            out.push('\n');
            summarize_inst(df, inner, out, "    ");
            return;
        }
    }
    for h in &inst.heredocs {
        let _ = write!(out, " heredoc(expand={})={:?}", h.expand, h.body);
    }
    out.push('\n');
}

fn summary(name: &str, source: &str) -> String {
    let df = dockerfile::parse(source)
        .unwrap_or_else(|e| panic!("{name} must parse:\n{}", e.render(name, source)));
    let d = &df.directives;
    let mut out = format!(
        "directives: syntax={:?} escape={:?} check={:?}\n",
        d.syntax, d.escape, d.check
    );
    for inst in &df.instructions {
        summarize_inst(&df, inst, &mut out, "");
    }
    for stage in df.stages() {
        let name = stage.name.map(|n| n.value.as_str());
        let _ = writeln!(
            out,
            "stage {} name={name:?} base={:?} instructions={}",
            stage.index,
            stage.base.value,
            stage.instructions.len()
        );
    }
    out.push_str("--- lint ---\n");
    out.push_str(&render::text(
        name,
        source,
        &lint::lint(&df, &lint::LintOptions::default()),
    ));
    out
}

#[test]
fn corpus_parses_and_matches_snapshots() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/dockerfiles");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("fixtures dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".Dockerfile"))
        .collect();
    names.sort();
    assert!(names.len() >= 7, "corpus is missing files: {names:?}");
    for name in names {
        let source = std::fs::read_to_string(format!("{dir}/{name}")).expect("read fixture");
        let snapshot = format!("corpus_{}", name.trim_end_matches(".Dockerfile"));
        insta::assert_snapshot!(snapshot, summary(&name, &source));
    }
}
