//! Which global options each command shows in its help.
//!
//! The global options (`-H`, `--progress`, `--state-dir`, `-n`, `--scheduler`) stay `global`
//! in clap: they are accepted before the command (`dockjob --state-dir DIR get jobs`, what
//! the tests, the controller and users' aliases such as `alias dj='dockjob --state-dir …'`
//! rely on) and after it, with every command, as kubectl and docker accept their global
//! options with every command. What changes is the help: a command lists only the ones it
//! reads, so `lint --help` and `login --help` no longer offer `--state-dir`.
//!
//! The table is by command name, so a command added without an entry shows all of them (never
//! fewer than it reads); nested commands (`image pull`) can have entries of their own, else
//! they inherit their parent's.

/// `-H/--host`
const HOST: &str = "host";
/// `--progress`
const PROGRESS: &str = "progress";
/// `--state-dir`
const STATE_DIR: &str = "state_dir";
/// `-n/--namespace`
const NAMESPACE: &str = "namespace";
/// `--scheduler`
const SCHEDULER: &str = "scheduler";

/// Every global option, by clap id (the field names of `GlobalArgs`).
const ALL: &[&str] = &[HOST, PROGRESS, STATE_DIR, NAMESPACE, SCHEDULER];

/// The global options each command reads (its path below `dockjob`, space-separated). `-H` on
/// `get`, `describe` and `wait` is left out on purpose: they read the state store, and a Job
/// remembers the engine it was created on.
const USED: &[(&str, &[&str])] = &[
    ("build", &[HOST, PROGRESS]),
    ("push", &[HOST, PROGRESS]),
    ("lint", &[]),
    ("image", &[HOST, PROGRESS]),
    ("image inspect", &[HOST]),
    ("image rm", &[HOST]),
    ("run", &[HOST, PROGRESS, STATE_DIR, NAMESPACE, SCHEDULER]),
    ("apply", &[HOST, STATE_DIR, NAMESPACE, SCHEDULER]),
    ("create", &[HOST, STATE_DIR, NAMESPACE, SCHEDULER]),
    ("create secret", &[STATE_DIR, NAMESPACE]),
    ("create configmap", &[STATE_DIR, NAMESPACE]),
    ("get", &[STATE_DIR, NAMESPACE]),
    ("describe", &[STATE_DIR, NAMESPACE]),
    ("logs", &[HOST, STATE_DIR, NAMESPACE, SCHEDULER]),
    ("wait", &[STATE_DIR, NAMESPACE]),
    ("delete", &[HOST, STATE_DIR, NAMESPACE]),
    ("login", &[]),
    ("logout", &[]),
    ("completion", &[]),
    ("man", &[]),
];

/// The global options the command at `path` reads: its own entry, else its parent's, else all.
pub fn used_by(path: &[&str]) -> &'static [&'static str] {
    (1..=path.len())
        .rev()
        .find_map(|len| {
            let key = path[..len].join(" ");
            USED.iter()
                .find(|(name, _)| *name == key)
                .map(|(_, used)| *used)
        })
        .unwrap_or(ALL)
}

/// Gives every subcommand of `cmd` (at every depth) its own copy of each global option,
/// hidden from its help unless it reads it. Call before `Command::build`: clap then copies a
/// global option only into subcommands that lack one of that id, so these copies win, and
/// values still reach `GlobalArgs` by id wherever the option was typed. (Hiding after the build
/// is not possible: `Command::mut_arg` on a built command breaks clap's key index.)
pub fn scope_globals(cmd: &mut clap::Command) {
    let globals: Vec<clap::Arg> = cmd
        .get_arguments()
        .filter(|arg| arg.is_global_set())
        .cloned()
        .collect();
    scope_below(cmd, &globals, &mut Vec::new());
}

fn scope_below(cmd: &mut clap::Command, globals: &[clap::Arg], path: &mut Vec<String>) {
    for sub in cmd.get_subcommands_mut() {
        path.push(sub.get_name().to_string());
        let names: Vec<&str> = path.iter().map(String::as_str).collect();
        let used = used_by(&names);
        let mut scoped = std::mem::take(sub);
        for arg in globals {
            let id = arg.get_id().as_str();
            // A global option this table does not know yet is shown everywhere.
            let unused = ALL.contains(&id) && !used.contains(&id);
            let hidden = arg.is_hide_set() || unused;
            scoped = scoped.arg(arg.clone().hide(hidden));
        }
        *sub = scoped;
        scope_below(sub, globals, path);
        path.pop();
    }
}

/// The command line for the completion scripts, from the unbuilt derive definitions:
/// clap_complete's scripts offer hidden options and commands too, so here each command gets
/// only the global options it reads (not global: a script needs no propagation), and hidden
/// commands (`__controller`) are left out. Never used to parse.
pub fn for_completion(full: &clap::Command) -> clap::Command {
    let globals: Vec<clap::Arg> = full
        .get_arguments()
        .filter(|arg| arg.is_global_set())
        .map(|arg| arg.clone().global(false))
        .collect();
    let mut root = clap::Command::new("dockjob")
        .version(env!("CARGO_PKG_VERSION"))
        .propagate_version(true)
        .args(globals.iter().cloned());
    if let Some(about) = full.get_about() {
        root = root.about(about.clone());
    }
    for sub in full.get_subcommands().filter(|sub| !sub.is_hide_set()) {
        let mut path = vec![sub.get_name().to_string()];
        let mut sub = sub.clone();
        add_used_below(&mut sub, &globals, &mut path);
        root = root.subcommand(sub);
    }
    root
}

fn add_used_below(cmd: &mut clap::Command, globals: &[clap::Arg], path: &mut Vec<String>) {
    let names: Vec<&str> = path.iter().map(String::as_str).collect();
    let used = used_by(&names);
    let mut scoped = std::mem::take(cmd);
    for arg in globals.iter().filter(|arg| {
        let id = arg.get_id().as_str();
        used.contains(&id) || !ALL.contains(&id)
    }) {
        scoped = scoped.arg(arg.clone());
    }
    *cmd = scoped;
    for sub in cmd.get_subcommands_mut() {
        path.push(sub.get_name().to_string());
        add_used_below(sub, globals, path);
        path.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_without_an_entry_shows_every_global_option() {
        assert_eq!(used_by(&["some-new-verb"]), ALL);
    }

    #[test]
    fn a_nested_command_inherits_its_parents_entry_unless_it_has_its_own() {
        assert_eq!(used_by(&["image", "pull"]), &[HOST, PROGRESS]);
        assert_eq!(used_by(&["image", "rm"]), &[HOST]);
        assert_eq!(used_by(&["create", "job"]), used_by(&["create"]));
    }

    #[test]
    fn the_table_knows_every_global_option_of_the_command_line() {
        use clap::CommandFactory;
        let cmd = crate::cli::Cli::command();
        let mut globals: Vec<&str> = cmd
            .get_arguments()
            .filter(|arg| arg.is_global_set())
            .map(|arg| arg.get_id().as_str())
            .collect();
        globals.sort_unstable();
        let mut known = ALL.to_vec();
        known.sort_unstable();
        assert_eq!(globals, known, "classify the new global option in USED");
    }

    #[test]
    fn every_id_in_the_table_is_a_global_option() {
        for (name, used) in USED {
            for id in *used {
                assert!(ALL.contains(id), "{name}: {id} is not a global option");
            }
        }
    }
}
