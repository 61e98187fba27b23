//! The command line's help, through the binary: a snapshot of every command's `--help`, its
//! `Examples:` (each one parsed by the real parser), the global options each command lists
//! (and that they still work before and after the command, and from the environment), the
//! completion scripts and the manual pages. Issue 15, point 5. No engine needed.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use clap::FromArgMatches;
use common::{assert_ok, dockjob_binary, stderr, stdout};

/// `dockjob ARGS` with help wrapped at 100 columns (stdout is a pipe, so clap reads COLUMNS)
/// and no `DOCKJOB_SCHEDULER` from the caller (the help shows its value).
fn dockjob(args: &[&str]) -> Command {
    let mut command = Command::new(dockjob_binary());
    command
        .args(args)
        .env("COLUMNS", "100")
        .env_remove("DOCKJOB_SCHEDULER")
        .env_remove("DOCKJOB_STATE_DIR");
    command
}

fn run(args: &[&str]) -> Output {
    dockjob(args).output().expect("run dockjob")
}

/// Every command a user can type (not clap's `help`, not hidden ones), as paths below
/// `dockjob`, parents before children.
fn command_paths() -> Vec<Vec<String>> {
    fn walk(cmd: &clap::Command, path: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
        for sub in cmd.get_subcommands() {
            if sub.is_hide_set() || sub.get_name() == "help" {
                continue;
            }
            path.push(sub.get_name().to_string());
            out.push(path.clone());
            walk(sub, path, out);
            path.pop();
        }
    }
    let mut out = Vec::new();
    walk(&dockjob::cli::command(), &mut Vec::new(), &mut out);
    out
}

fn help_of(path: &[String]) -> String {
    let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
    args.push("--help");
    let output = run(&args);
    assert_ok(&format!("dockjob {}", args.join(" ")), &output);
    stdout(&output)
}

#[test]
fn every_commands_help_is_as_recorded() {
    insta::assert_snapshot!("help", help_of(&[]));
    for path in command_paths() {
        insta::assert_snapshot!(format!("help_{}", path.join("_")), help_of(&path));
    }
}

#[test]
fn every_command_has_examples_and_every_example_names_a_command() {
    let paths: Vec<String> = command_paths().iter().map(|path| path.join(" ")).collect();
    let with_examples: Vec<&str> = dockjob::cli::all_examples().map(|(name, _)| name).collect();
    for path in &paths {
        assert!(
            with_examples.contains(&path.as_str()),
            "`dockjob {path} --help` has no Examples (src/cli/examples.rs)"
        );
        let help = help_of(&path.split(' ').map(str::to_string).collect::<Vec<_>>());
        assert!(
            help.contains("\nExamples:\n  # "),
            "dockjob {path}:\n{help}"
        );
    }
    for name in with_examples {
        assert!(
            paths.iter().any(|path| path == name),
            "examples for `{name}`, which is not a command"
        );
    }
}

/// Every `dockjob …` command line of every example, up to a shell operator, split into words
/// as a POSIX shell would (quotes, backslash-newline continuations).
fn example_command_lines() -> Vec<(String, Vec<String>)> {
    let mut lines = Vec::new();
    for (name, text) in dockjob::cli::all_examples() {
        let joined = text.replace("\\\n", " ");
        for line in joined.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let words = shell_words(line);
            let start = words
                .iter()
                .position(|word| word == "dockjob" || word == "<(dockjob")
                .unwrap_or_else(|| panic!("example of {name} runs no dockjob: {line}"));
            let mut argv = vec!["dockjob".to_string()];
            argv.extend(
                words[start + 1..]
                    .iter()
                    .take_while(|word| !["|", "<", ">", ";", "&&"].contains(&word.as_str()))
                    .map(|word| word.trim_end_matches(')').to_string()),
            );
            lines.push((line.to_string(), argv));
        }
    }
    lines
}

/// Splits a command line into words: whitespace separates, '…' and "…" quote.
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote = None;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (None, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    assert!(quote.is_none(), "unterminated quote in: {line}");
    if in_word {
        words.push(word);
    }
    words
}

#[test]
fn every_example_parses_with_the_real_command_line() {
    let lines = example_command_lines();
    assert!(lines.len() > 40, "only {} example lines found", lines.len());
    for (line, argv) in lines {
        let matches = dockjob::cli::command()
            .try_get_matches_from(&argv)
            .unwrap_or_else(|e| panic!("example does not parse: {line}\n{e}"));
        dockjob::cli::Cli::from_arg_matches(&matches)
            .unwrap_or_else(|e| panic!("example does not parse: {line}\n{e}"));
    }
}

#[test]
fn the_example_splitter_handles_quotes_continuations_and_redirections() {
    assert_eq!(
        shell_words(r#"dockjob image import ./rootfs -t b:1 -c 'CMD ["/bin/sh"]'"#),
        [
            "dockjob",
            "image",
            "import",
            "./rootfs",
            "-t",
            "b:1",
            "-c",
            r#"CMD ["/bin/sh"]"#
        ]
    );
    assert_eq!(
        shell_words(r#"x > "${fpath[1]}/_d""#),
        ["x", ">", "${fpath[1]}/_d"]
    );
}

const GLOBAL_FLAGS: [&str; 5] = [
    "--host",
    "--progress",
    "--state-dir",
    "--namespace",
    "--scheduler",
];

/// The global options a command's `--help` lists.
fn listed_globals(path: &[&str]) -> Vec<&'static str> {
    let path: Vec<String> = path.iter().map(|s| s.to_string()).collect();
    let help = help_of(&path);
    GLOBAL_FLAGS
        .into_iter()
        .filter(|flag| help.contains(&format!(" {flag} <")))
        .collect()
}

#[test]
fn each_command_lists_only_the_global_options_it_reads() {
    // Issue 15: `lint` and `login` listed --state-dir, --progress, -H and --scheduler.
    for path in [
        &["lint"][..],
        &["login"],
        &["logout"],
        &["completion"],
        &["man"],
    ] {
        assert_eq!(listed_globals(path), Vec::<&str>::new(), "dockjob {path:?}");
    }
    assert_eq!(listed_globals(&["run"]), GLOBAL_FLAGS);
    assert_eq!(listed_globals(&["build"]), ["--host", "--progress"]);
    assert_eq!(listed_globals(&["image", "rm"]), ["--host"]);
    assert_eq!(listed_globals(&["get"]), ["--state-dir", "--namespace"]);
    assert_eq!(
        listed_globals(&["delete"]),
        ["--host", "--state-dir", "--namespace"]
    );
    // The top level lists them all, under their own heading.
    let top = help_of(&[]);
    assert!(top.contains("\nGlobal Options:\n"), "{top}");
    assert_eq!(listed_globals(&[]), GLOBAL_FLAGS);
}

fn has_store(dir: &Path) -> bool {
    dir.join("dockjob.db").is_file()
}

#[test]
fn global_options_work_before_and_after_the_command_and_from_the_environment() {
    let scratch = tempfile::tempdir().unwrap();
    let before = scratch.path().join("before");
    let after = scratch.path().join("after");
    let from_env = scratch.path().join("env");

    let output = run(&["--state-dir", before.to_str().unwrap(), "get", "jobs"]);
    assert_ok("dockjob --state-dir DIR get jobs", &output);
    assert!(has_store(&before), "{}", stderr(&output));

    let output = run(&["get", "jobs", "--state-dir", after.to_str().unwrap()]);
    assert_ok("dockjob get jobs --state-dir DIR", &output);
    assert!(has_store(&after), "{}", stderr(&output));

    let output = dockjob(&["get", "jobs"])
        .env("DOCKJOB_STATE_DIR", &from_env)
        .output()
        .unwrap();
    assert_ok("DOCKJOB_STATE_DIR=DIR dockjob get jobs", &output);
    assert!(has_store(&from_env), "{}", stderr(&output));

    // Not listed in `lint --help`, still accepted there (an alias that sets them must keep
    // working with every command), and without effect.
    let unused = scratch.path().join("unused");
    let output = run(&[
        "--state-dir",
        unused.to_str().unwrap(),
        "lint",
        "--progress",
        "quiet",
        "--scheduler",
        "swarm",
        "images/uzimihsr-sample-image/Dockerfile",
    ]);
    assert_ok("dockjob --state-dir DIR lint --progress quiet …", &output);
    assert!(!unused.exists());

    // The environment fallback of --scheduler is still read (and shown) where it is listed.
    let output = dockjob(&["run", "--help"])
        .env("DOCKJOB_SCHEDULER", "swarm")
        .output()
        .unwrap();
    assert!(
        stdout(&output).contains("[env: DOCKJOB_SCHEDULER=swarm]"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn completion_scripts_are_made_for_every_shell_without_hidden_commands() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let output = run(&["completion", shell]);
        assert_ok(&format!("dockjob completion {shell}"), &output);
        let script = stdout(&output);
        assert!(script.contains("describe"), "{shell}: {script}");
        assert!(
            !script.contains("__controller"),
            "{shell} offers __controller"
        );
    }
    let output = run(&["completion", "tcsh"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("invalid value 'tcsh'"),
        "{}",
        stderr(&output)
    );
}

/// What bash completes for `words` (the last one is the word under the cursor).
fn bash_completes(script: &Path, words: &[&str]) -> Vec<String> {
    let line = words.join(" ");
    let cword = words.len() - 1;
    let program = format!(
        "source {script}; COMP_WORDS=({line}); COMP_CWORD={cword}; COMP_LINE='{line}'; \
         COMP_POINT=${{#COMP_LINE}}; _dockjob dockjob '{cur}' '{prev}'; \
         printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        script = script.display(),
        cur = words[cword],
        prev = words[cword - 1],
    );
    let output = Command::new("bash")
        .args(["--norc", "-c", &program])
        .output()
        .expect("bash");
    assert_ok(&program, &output);
    stdout(&output).lines().map(str::to_string).collect()
}

#[test]
fn bash_completes_commands_and_only_the_global_options_a_command_reads() {
    let scratch = tempfile::tempdir().unwrap();
    let script = scratch.path().join("dockjob.bash");
    let output = run(&["completion", "bash"]);
    assert_ok("dockjob completion bash", &output);
    std::fs::write(&script, &output.stdout).unwrap();

    assert_eq!(
        bash_completes(&script, &["dockjob", "de"]),
        ["describe", "delete"]
    );
    let lint = bash_completes(&script, &["dockjob", "lint", "--"]);
    assert!(lint.contains(&"--fail-on".to_string()), "{lint:?}");
    assert!(!lint.contains(&"--state-dir".to_string()), "{lint:?}");
    let run = bash_completes(&script, &["dockjob", "run", "--"]);
    for flag in ["--filename", "--state-dir", "--scheduler", "--host"] {
        assert!(run.contains(&flag.to_string()), "{flag} missing: {run:?}");
    }
    assert_eq!(
        bash_completes(&script, &["dockjob", "--state-dir", "/tmp/x", "ge"]),
        ["get"]
    );
}

#[test]
fn the_manual_pages_render_without_warnings() {
    let output = run(&["man"]);
    assert_ok("dockjob man", &output);
    let page = stdout(&output);
    assert!(page.contains(".TH dockjob 1"), "{page}");
    assert!(page.contains("\n.SH \"GLOBAL OPTIONS\"\n"), "{page}");

    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("man1");
    let output = run(&["man", "--dir", dir.to_str().unwrap()]);
    assert_ok("dockjob man --dir", &output);
    let mut written: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    written.sort();
    let mut expected: Vec<String> = command_paths()
        .iter()
        .map(|path| format!("dockjob-{}.1", path.join("-")))
        .collect();
    expected.push("dockjob.1".to_string());
    expected.sort();
    assert_eq!(written, expected);
    assert_eq!(stdout(&output).lines().count(), expected.len());

    let run_page = std::fs::read_to_string(dir.join("dockjob-run.1")).unwrap();
    assert!(
        run_page.contains(".SH EXAMPLES\n.nf\n  # Run the sample Job"),
        "{run_page}"
    );
    let lint_page = std::fs::read_to_string(dir.join("dockjob-lint.1")).unwrap();
    assert!(!lint_page.contains("state\\-dir"), "{lint_page}");

    // groff's own check of every page, where groff is installed (Debian's man-db brings it).
    if Command::new("groff").arg("--version").output().is_err() {
        eprintln!("groff is not installed: the pages are not checked with it");
        return;
    }
    for name in &expected {
        let output = Command::new("groff")
            .args(["-man", "-ww", "-z"])
            .arg(dir.join(name))
            .output()
            .unwrap();
        assert_ok(&format!("groff {name}"), &output);
        assert_eq!(stderr(&output), "", "groff warns about {name}");
    }
}
