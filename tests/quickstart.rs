//! The README's quick start and its clean-up, for real: `scripts/quickstart` prints 777 (and
//! nothing else on stdout), then `scripts/quickstart --clean` leaves no image, container, state
//! row or file that the quick start made, and nothing it did not make is touched. Issue 15,
//! point 8.
//!
//! The script runs with `DOCKJOB` set to the binary these tests were built with (a release
//! build would take minutes here) and `XDG_STATE_HOME` in the test's scratch directory, so
//! its record and (by default) its state directory start fresh. `DOCKJOB_TEST_LABEL` labels
//! every image it makes (containers inherit it), which finds leftovers whatever their names.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use bollard::query_parameters::ListImagesOptionsBuilder;
use common::{assert_ok, dockjob_binary, stderr, stdout, TestEnv};

const NAMESPACE: &str = "dockjob-quickstart";
const JOB: &str = "uzimihsr-echo-number";

fn quickstart(env: &TestEnv, state_home: &Path, state_dir: Option<&Path>, args: &[&str]) -> Output {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/quickstart");
    let mut command = Command::new(script);
    command
        .args(args)
        .env("DOCKJOB", dockjob_binary())
        .env("XDG_STATE_HOME", state_home)
        .env("DOCKJOB_TEST_LABEL", env.label())
        .env_remove("DOCKJOB_STATE_DIR");
    if let Some(dir) = state_dir {
        command.env("DOCKJOB_STATE_DIR", dir);
    }
    command.output().expect("run scripts/quickstart")
}

/// Images carrying this test's label (every image the quick start made carries it).
fn labelled_images(env: &TestEnv) -> Vec<String> {
    let filters = HashMap::from([("label".to_string(), vec![env.label()])]);
    let options = ListImagesOptionsBuilder::default()
        .all(true)
        .filters(&filters)
        .build();
    env.block_on(env.docker().list_images(Some(options)))
        .expect("list images")
        .into_iter()
        .map(|image| format!("{} {:?}", image.id, image.repo_tags))
        .collect()
}

fn image_exists(reference: &str) -> bool {
    let output = Command::new(dockjob_binary())
        .args(["image", "inspect", reference])
        .output()
        .expect("dockjob image inspect");
    match output.status.code() {
        Some(0) => true,
        Some(2) => false,
        _ => panic!("image inspect {reference}: {}", stderr(&output)),
    }
}

/// The record's `image REF` lines.
fn recorded_images(record: &Path) -> Vec<String> {
    std::fs::read_to_string(record)
        .expect("the quick start's record")
        .lines()
        .filter_map(|line| line.strip_prefix("image "))
        .map(str::to_string)
        .collect()
}

/// Rows in each table of the store (not SQLite's own: `sqlite_sequence` keeps the highest
/// event id ever used, which is bookkeeping, not something the quick start made).
fn rows_per_table(state_dir: &Path) -> Vec<(String, i64)> {
    let db = rusqlite::Connection::open(state_dir.join("dockjob.db")).expect("open the store");
    let tables: Vec<String> = db
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
             ORDER BY name",
        )
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    tables
        .into_iter()
        .map(|table| {
            let n = db
                .query_row(&format!("SELECT COUNT(*) FROM \"{table}\""), [], |row| {
                    row.get(0)
                })
                .unwrap();
            (table, n)
        })
        .collect()
}

/// Runs the quick start and checks what it made; returns the registry's address and the
/// images recorded.
fn run_and_check(
    env: &TestEnv,
    state_home: &Path,
    state_dir: &Path,
    explicit: bool,
) -> (String, Vec<String>) {
    let dir_arg = explicit.then_some(state_dir);
    let output = quickstart(env, state_home, dir_arg, &[]);
    assert_ok("scripts/quickstart", &output);
    assert_eq!(stdout(&output), "777\n", "stderr:\n{}", stderr(&output));

    let record = state_home.join("dockjob-quickstart/made");
    let images = recorded_images(&record);
    let sample = images
        .iter()
        .find(|image| image.ends_with("/uzimihsr/uzimihsr-sample-image:0.1"))
        .unwrap_or_else(|| panic!("no sample image in the record: {images:?}"))
        .clone();
    assert!(
        sample.starts_with("127.0.0.1:"),
        "the quick start's own tag: {sample}"
    );
    for image in &images {
        assert!(image_exists(image), "{image} was recorded but not made");
    }
    assert!(!labelled_images(env).is_empty());
    let containers = env.containers(&[&format!("io.dockjob.namespace={NAMESPACE}")]);
    assert_eq!(containers.len(), 1, "the Job's pod is kept until --clean");
    let listed = Command::new(dockjob_binary())
        .arg("--state-dir")
        .arg(state_dir)
        .args(["-n", NAMESPACE, "get", "jobs", "-o", "name"])
        .output()
        .unwrap();
    assert_eq!(stdout(&listed), format!("job.batch/{JOB}\n"));
    (sample.split('/').next().unwrap().to_string(), images)
}

/// After `--clean`: nothing the quick start made is left in the engine or in its record.
fn clean_and_check(
    env: &TestEnv,
    state_home: &Path,
    (registry, images): &(String, Vec<String>),
    explicit_dir: Option<&Path>,
) {
    let output = quickstart(env, state_home, explicit_dir, &["--clean"]);
    assert_ok("scripts/quickstart --clean", &output);
    assert_eq!(stdout(&output), "", "--clean prints nothing on stdout");
    for image in images {
        assert!(!image_exists(image), "{image} is left behind");
    }
    assert_eq!(
        labelled_images(env),
        Vec::<String>::new(),
        "images left behind"
    );
    assert_eq!(
        env.containers(&[]).len(),
        0,
        "containers left behind: {:?}",
        env.containers(&[])
    );
    assert!(
        !state_home.join("dockjob-quickstart").exists(),
        "the record is removed"
    );
    assert!(
        std::net::TcpStream::connect(registry).is_err(),
        "the registry on {registry} still answers"
    );
    // A second --clean finds nothing to do.
    let again = quickstart(env, state_home, explicit_dir, &["--clean"]);
    assert_ok("scripts/quickstart --clean (again)", &again);
    assert!(
        stderr(&again).contains("nothing to clean"),
        "{}",
        stderr(&again)
    );
}

#[test]
fn the_quick_start_on_a_fresh_state_prints_777_and_its_clean_up_leaves_nothing() {
    let env = TestEnv::new("quickstart-fresh");
    let state_home = env.dir.path().join("state-home");
    let state_dir: PathBuf = state_home.join("dockjob"); // dockjob's default under it
    let made = run_and_check(&env, &state_home, &state_dir, false);
    clean_and_check(&env, &state_home, &made, None);
    assert!(
        !state_dir.exists(),
        "the state directory the quick start created is removed"
    );
}

#[test]
fn the_clean_up_keeps_a_state_directory_it_did_not_create_and_leaves_no_row_in_it() {
    let env = TestEnv::new("quickstart-existing");
    let state_home = env.dir.path().join("state-home");
    let state_dir = env.dir.path().join("my-state");
    // The user's store, there before the quick start (empty: `get` creates it).
    let output = Command::new(dockjob_binary())
        .arg("--state-dir")
        .arg(&state_dir)
        .args(["get", "jobs"])
        .output()
        .unwrap();
    assert_ok("dockjob get jobs", &output);
    let before = rows_per_table(&state_dir);

    let made = run_and_check(&env, &state_home, &state_dir, true);
    clean_and_check(&env, &state_home, &made, Some(&state_dir));
    assert!(
        state_dir.join("dockjob.db").is_file(),
        "the user's store is kept"
    );
    assert_eq!(
        rows_per_table(&state_dir),
        before,
        "rows the quick start made are left in the store"
    );
}
