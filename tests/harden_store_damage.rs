//! Issue 17, point 3, cases found by the red team after `tests/harden_state.rs`: a store whose
//! first page is sound but whose tables are damaged (a disk that lost blocks, a copy cut
//! short). Opening it works; the first query fails. Every command must say so once — it was
//! said twice, as "warning: checking Job controllers: …" and again as the error — exit 1, and
//! run or create nothing.

mod common;

use common::{stderr, stdout, TestEnv};

fn job(name: &str, image: &str) -> String {
    format!(
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {name}\nspec:\n  backoffLimit: 0\n  \
         template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: main\n        \
         image: {image}\n        imagePullPolicy: Never\n        command: [\"sh\", \"-c\", \"echo ran-{name}\"]\n"
    )
}

#[test]
fn a_store_with_damaged_tables_is_said_once_and_nothing_runs() {
    let env = TestEnv::new("harden-damaged");
    let image = env.base_image();
    let first = env.write("first.yaml", &job("first", &image));
    let second = env.write("second.yaml", &job("second", &image));
    env.run_ok(&["run", "-f", first.to_str().unwrap()]);

    let state = env.dir.path().join("state");
    let db = state.join("dockjob.db");
    // The last connection's close checkpointed the WAL; drop what may be left so that only
    // the damaged file is read.
    for companion in ["dockjob.db-wal", "dockjob.db-shm"] {
        std::fs::remove_file(state.join(companion)).ok();
    }
    let mut bytes = std::fs::read(&db).unwrap();
    assert_eq!(&bytes[..16], b"SQLite format 3\0");
    let page = match u16::from_be_bytes([bytes[16], bytes[17]]) {
        1 => 65536,
        size => usize::from(size),
    };
    assert!(bytes.len() > 2 * page, "more than the header page");
    // Page 1 (header and schema) is kept; every other page becomes noise.
    for (i, byte) in bytes.iter_mut().enumerate().skip(page) {
        *byte = (i * 31 % 253) as u8;
    }
    std::fs::write(&db, &bytes).unwrap();

    let commands: Vec<Vec<&str>> = vec![
        vec!["get", "jobs"],
        vec!["get", "pods", "-o", "wide"],
        vec!["describe", "job", "first"],
        vec!["logs", "job/first"],
        vec![
            "wait",
            "--for=condition=complete",
            "job/first",
            "--timeout=5s",
        ],
        vec!["apply", "-f", second.to_str().unwrap()],
        vec!["run", "-f", second.to_str().unwrap()],
        vec!["delete", "job", "first"],
    ];
    for args in &commands {
        let output = env.run(args);
        let text = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {text}");
        assert_eq!(text.lines().count(), 1, "{args:?}: said once: {text}");
        assert!(text.starts_with("error: state store "), "{args:?}: {text}");
        assert!(text.contains("damaged"), "{args:?}: {text}");
        assert!(
            text.contains(&format!("mv {}", db.display())),
            "{args:?}: {text}"
        );
        assert!(text.contains("--state-dir"), "{args:?}: {text}");
        assert!(!stdout(&output).contains("ran-second"), "{args:?}");
    }
    assert!(
        env.containers(&["batch.kubernetes.io/job-name=second"])
            .is_empty(),
        "nothing ran"
    );
    assert_eq!(
        env.containers(&["batch.kubernetes.io/job-name=first"])
            .len(),
        1,
        "the first Job's container is kept: delete did not half-happen"
    );
    assert_eq!(
        std::fs::read(&db).unwrap(),
        bytes,
        "the file was not changed"
    );

    // Doing what it says gives a new, empty store (the directory is not refused as someone
    // else's for the file moved aside).
    std::fs::rename(&db, state.join("dockjob.db.bad")).unwrap();
    let output = env.run_ok(&["get", "jobs"]);
    assert!(
        stderr(&output).contains("No resources found"),
        "{}",
        stderr(&output)
    );
    assert!(state.join("dockjob.db").is_file());
}
