use std::time::Duration;

use super::*;
use crate::job::load_jobs;
use k8s_openapi::jiff::Timestamp;

const PI: &str = "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: pi\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: pi\n        image: busybox:1.36\n";

fn t(s: i64) -> Timestamp {
    Timestamp::from_second(1_700_000_000 + s).unwrap()
}

fn job(yaml: &str) -> k8s_openapi::api::batch::v1::Job {
    load_jobs(yaml, "job.yaml").unwrap().remove(0).job
}

#[test]
fn open_migrates_to_the_latest_version_in_wal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.schema_version().unwrap(), MIGRATIONS.len() as i64);
    let mode: String = store
        .conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    drop(store);
    // Re-opening an up-to-date store is a no-op.
    assert_eq!(
        Store::open(dir.path()).unwrap().schema_version().unwrap(),
        MIGRATIONS.len() as i64
    );
}

#[test]
fn a_store_from_a_newer_dockjob_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store.conn.pragma_update(None, "user_version", 99).unwrap();
    drop(store);
    let err = Store::open(dir.path()).err().unwrap().to_string();
    assert!(err.contains("schema version 99"), "{err}");
}

#[test]
fn apply_creates_then_is_unchanged_then_configured_then_immutable() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let created = store.apply_job("default", &job(PI), t(0)).unwrap();
    assert!(matches!(created, ApplyOutcome::Created(_)));
    let again = store.apply_job("default", &job(PI), t(5)).unwrap();
    assert!(matches!(again, ApplyOutcome::Unchanged(_)), "{again:?}");
    let more = PI.replace("spec:\n  template", "spec:\n  parallelism: 3\n  template");
    match store.apply_job("default", &job(&more), t(6)).unwrap() {
        ApplyOutcome::Configured(s) => {
            assert_eq!(s.generation, 2);
            assert_eq!(s.job.spec.unwrap().parallelism, Some(3));
        }
        other => panic!("{other:?}"),
    }
    let image = more.replace("busybox:1.36", "busybox:1.37");
    match store.apply_job("default", &job(&image), t(7)).unwrap() {
        ApplyOutcome::Immutable { field, .. } => {
            assert_eq!(field, "spec.template.spec.containers[0].image")
        }
        other => panic!("{other:?}"),
    }
    let stored = store.get_job("default", "pi").unwrap().unwrap();
    assert_eq!(stored.generation, 2);
    assert_eq!(stored.job.metadata.creation_timestamp.unwrap().0, t(0));
}

/// `apply --dry-run`: the same decisions as `apply_job`, nothing written.
#[test]
fn preview_apply_decides_as_apply_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let fresh = store.preview_apply("default", &job(PI), t(0)).unwrap();
    assert!(matches!(fresh, ApplyOutcome::Created(_)), "{fresh:?}");
    assert!(store.get_job("default", "pi").unwrap().is_none());
    store.apply_job("default", &job(PI), t(0)).unwrap();
    let same = store.preview_apply("default", &job(PI), t(1)).unwrap();
    assert!(matches!(same, ApplyOutcome::Unchanged(_)), "{same:?}");
    let more = PI.replace("spec:\n  template", "spec:\n  parallelism: 3\n  template");
    match store.preview_apply("default", &job(&more), t(2)).unwrap() {
        ApplyOutcome::Configured(s) => assert_eq!(s.generation, 2),
        other => panic!("{other:?}"),
    }
    let image = PI.replace("busybox:1.36", "busybox:1.37");
    let refused = store.preview_apply("default", &job(&image), t(3)).unwrap();
    assert!(
        matches!(refused, ApplyOutcome::Immutable { .. }),
        "{refused:?}"
    );
    let stored = store.get_job("default", "pi").unwrap().unwrap();
    assert_eq!(stored.generation, 1, "nothing was written");
    assert_eq!(stored.job.spec.unwrap().parallelism, Some(1));
}

#[test]
fn create_refuses_an_existing_name_and_namespaces_are_separate() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    assert!(store
        .create_job("default", &job(PI), t(0))
        .unwrap()
        .is_some());
    assert!(store
        .create_job("default", &job(PI), t(1))
        .unwrap()
        .is_none());
    assert!(store.create_job("other", &job(PI), t(1)).unwrap().is_some());
    assert_eq!(store.list_jobs(Some("default")).unwrap().len(), 1);
    assert_eq!(store.list_jobs(None).unwrap().len(), 2);
}

#[test]
fn concurrent_creates_of_one_name_make_exactly_one_job() {
    let dir = tempfile::tempdir().unwrap();
    Store::open(dir.path()).unwrap();
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let path = dir.path().to_path_buf();
            std::thread::spawn(move || {
                let mut store = Store::open(&path).unwrap();
                store
                    .create_job("default", &job(PI), t(i))
                    .unwrap()
                    .is_some()
            })
        })
        .collect();
    let created = threads
        .into_iter()
        .filter(|_| true)
        .map(|h| h.join().unwrap())
        .filter(|c| *c)
        .count();
    assert_eq!(created, 1);
}

#[test]
fn a_lease_is_exclusive_until_it_expires() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let ttl = Duration::from_secs(10);
    assert!(store.acquire_lease("u1", "a", 1, t(0), ttl).unwrap());
    assert!(!store.acquire_lease("u1", "b", 2, t(5), ttl).unwrap());
    assert!(store.renew_lease("u1", "a", t(8)).unwrap());
    assert!(!store.acquire_lease("u1", "b", 2, t(15), ttl).unwrap());
    assert!(store.acquire_lease("u1", "b", 2, t(19), ttl).unwrap());
    assert!(!store.renew_lease("u1", "a", t(20)).unwrap());
    let lease = store.lease("u1").unwrap().unwrap();
    assert_eq!((lease.holder.as_str(), lease.pid), ("b", 2));
    assert!(lease.is_expired(t(30), ttl));
}

#[test]
fn the_input_log_replays_in_order_and_a_new_controller_start_clears_it() {
    use crate::job::controller::Input;
    use crate::job::driver::ReplayStep;
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let stored = store
        .create_job("default", &job(PI), t(0))
        .unwrap()
        .unwrap();
    assert_eq!(store.replay(&stored.uid).unwrap(), None);
    store.start_input_log(&stored.uid, t(1), 42).unwrap();
    let steps = vec![
        (
            ReplayStep::Input(Input::ContainerStarted {
                pod: "pi-a".into(),
                container: "pi".into(),
            }),
            t(2),
        ),
        (ReplayStep::Spec(Box::new(stored.job.clone())), t(3)),
        (ReplayStep::Input(Input::Tick), t(4)),
    ];
    store.append_inputs(&stored.uid, &steps[..1]).unwrap();
    store.append_inputs(&stored.uid, &steps[1..]).unwrap();
    let replay = store.replay(&stored.uid).unwrap().unwrap();
    assert_eq!((replay.started, replay.seed), (t(1), 42));
    assert_eq!(replay.inputs, steps);
    store.start_input_log(&stored.uid, t(9), 7).unwrap();
    assert!(store
        .replay(&stored.uid)
        .unwrap()
        .unwrap()
        .inputs
        .is_empty());
}

#[test]
fn removing_a_job_removes_its_input_log_too() {
    // `delete` left a deleted Job's controller_inputs rows in the store for good (found by
    // tests/quickstart.rs: its clean-up must leave no row behind).
    use crate::job::controller::Input;
    use crate::job::driver::ReplayStep;
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let stored = store
        .create_job("default", &job(PI), t(0))
        .unwrap()
        .unwrap();
    store.start_input_log(&stored.uid, t(1), 42).unwrap();
    store
        .append_inputs(&stored.uid, &[(ReplayStep::Input(Input::Tick), t(2))])
        .unwrap();
    assert!(store.remove_job(&stored.uid).unwrap());
    let db = rusqlite::Connection::open(dir.path().join("dockjob.db")).unwrap();
    let left: i64 = db
        .query_row("SELECT COUNT(*) FROM controller_inputs", [], |r| r.get(0))
        .unwrap();
    assert_eq!(left, 0);
}

/// A pod whose container started once (attempt 0) and a stored Job, for the network tests.
fn started_pod(store: &mut Store) -> (crate::job::controller::PodRecord, StoredJob) {
    use crate::job::controller::{Action, Controller, ControllerConfig, Input};
    let stored = store
        .create_job("default", &job(PI), t(0))
        .unwrap()
        .unwrap();
    let config = ControllerConfig {
        backoff_scale: 1.0,
        seed: 1,
    };
    let (mut ctl, actions) = Controller::new(stored.job.clone(), config, t(0));
    let Some(Action::CreatePod { pod }) = actions.first().cloned() else {
        panic!("{actions:?}");
    };
    ctl.step(
        Input::ContainerStarted {
            pod,
            container: String::new(),
        },
        t(1),
    );
    (ctl.pods()[0].clone(), stored)
}

fn network(ip: &str) -> crate::engine::PodNetwork {
    crate::engine::PodNetwork {
        node_name: "host-a".into(),
        host_ip: "172.17.0.1".into(),
        pod_ips: vec![ip.into(), "fd00::5".into()],
    }
}

#[test]
fn a_pod_keeps_the_newest_addresses_its_containers_had() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let (record, stored) = started_pod(&mut store);
    let status = stored.job.status.clone().unwrap_or_default();
    let mut save = |attempt: u32, network: Option<crate::engine::PodNetwork>| {
        let a = PodAttempt {
            record: record.clone(),
            attempt,
            container_id: Some(format!("c{attempt}")),
            containers: Vec::new(),
            network,
            image_ids: Default::default(),
        };
        store
            .save_snapshot(&stored.job, &status, &[a], &[])
            .unwrap();
        let pods = store.list_pods(Some("default"), None).unwrap();
        let pod = pods[0].pod.clone();
        let (spec, status) = (pod.spec.unwrap(), pod.status.unwrap());
        (
            spec.node_name,
            status.host_ip,
            status.pod_ip,
            status
                .pod_ips
                .map(|ips| ips.into_iter().map(|i| i.ip).collect::<Vec<_>>()),
        )
    };
    assert_eq!(save(0, None), (None, None, None, None));
    let shown = (
        Some("host-a".to_string()),
        Some("172.17.0.1".to_string()),
        Some("172.17.0.5".to_string()),
        Some(vec!["172.17.0.5".to_string(), "fd00::5".to_string()]),
    );
    assert_eq!(save(0, Some(network("172.17.0.5"))), shown);
    // A resumed controller finds the exited container without addresses: they stay.
    assert_eq!(save(0, None), shown);
    // A restart's new container, not running yet: the pod still shows the last addresses.
    assert_eq!(save(1, None), shown);
    let mut moved = shown.clone();
    moved.2 = Some("172.17.0.9".to_string());
    moved.3 = Some(vec!["172.17.0.9".to_string(), "fd00::5".to_string()]);
    assert_eq!(save(1, Some(network("172.17.0.9"))), moved);
}

#[test]
fn a_version_2_store_gains_the_network_columns() {
    let dir = tempfile::tempdir().unwrap();
    {
        let conn = rusqlite::Connection::open(dir.path().join(DB_FILE)).unwrap();
        for sql in &MIGRATIONS[..2] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 2).unwrap();
    }
    let mut store = Store::open(dir.path()).unwrap();
    assert_eq!(store.schema_version().unwrap(), MIGRATIONS.len() as i64);
    let (record, stored) = started_pod(&mut store);
    let a = PodAttempt {
        record,
        attempt: 0,
        container_id: None,
        containers: Vec::new(),
        network: Some(network("10.0.0.2")),
        image_ids: Default::default(),
    };
    let status = stored.job.status.clone().unwrap_or_default();
    store
        .save_snapshot(&stored.job, &status, &[a], &[])
        .unwrap();
    let pods = store.list_pods(None, None).unwrap();
    assert_eq!(
        pods[0].pod.status.as_ref().unwrap().pod_ip.as_deref(),
        Some("10.0.0.2")
    );
}

#[test]
fn jobs_needing_controllers_are_the_unfinished_and_those_with_a_ttl() {
    use k8s_openapi::api::batch::v1::{JobCondition, JobStatus};
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let named = |name: &str, extra: &str| {
        job(&PI
            .replace("name: pi\n", &format!("name: {name}\n"))
            .replace("spec:\n  template", &format!("spec:\n{extra}  template")))
    };
    let mut uid = |name: &str, extra: &str| {
        store
            .create_job("default", &named(name, extra), t(0))
            .unwrap()
            .unwrap()
            .uid
    };
    let running = uid("running", "");
    let done = uid("done", "");
    let done_ttl = uid("done-ttl", "  ttlSecondsAfterFinished: 60\n");
    let failed = uid("failed", "");
    let condition = |type_: &str, status: &str| JobCondition {
        type_: type_.to_string(),
        status: status.to_string(),
        ..Default::default()
    };
    let finished = |type_: &str| JobStatus {
        conditions: Some(vec![
            condition("SuccessCriteriaMet", "True"),
            condition(type_, "True"),
        ]),
        ..Default::default()
    };
    store.set_job_status(&done, &finished("Complete")).unwrap();
    store
        .set_job_status(&done_ttl, &finished("Complete"))
        .unwrap();
    store.set_job_status(&failed, &finished("Failed")).unwrap();
    let suspended = JobStatus {
        conditions: Some(vec![condition("Suspended", "True")]),
        ..Default::default()
    };
    store.set_job_status(&running, &suspended).unwrap();
    store
        .acquire_lease(&running, "me", 1, t(5), Duration::from_secs(10))
        .unwrap();
    let mut needing: Vec<(String, bool, Option<Timestamp>)> = store
        .jobs_needing_controllers()
        .unwrap()
        .into_iter()
        .map(|c| (c.uid, c.finished, c.lease_renewed_at))
        .collect();
    needing.sort();
    let mut expected = vec![(running, false, Some(t(5))), (done_ttl, true, None)];
    expected.sort();
    assert_eq!(needing, expected);
}

fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

#[test]
fn the_state_dir_and_its_files_are_private_and_loose_ones_are_tightened() {
    use std::os::unix::fs::PermissionsExt as _;
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("state");
    let mut store = Store::open(&dir).unwrap();
    store.create_job("default", &job(PI), t(0)).unwrap();
    assert_eq!(mode(&dir), 0o700);
    for name in [DB_FILE, "dockjob.db-wal", "dockjob.db-shm"] {
        assert_eq!(mode(&dir.join(name)), 0o600, "{name}");
    }
    drop(store);
    // As an older dockjob left them with umask 022.
    let loose = |p: &std::path::Path, m: u32| {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap()
    };
    std::fs::create_dir(dir.join("controllers")).unwrap();
    std::fs::write(dir.join("controllers/x.log"), "log").unwrap();
    loose(&dir.join("controllers/x.log"), 0o644);
    loose(&dir.join("controllers"), 0o755);
    loose(&dir.join(DB_FILE), 0o644);
    loose(&dir, 0o755);
    Store::open(&dir).unwrap();
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join(DB_FILE)), 0o600);
    assert_eq!(mode(&dir.join("controllers")), 0o700);
    assert_eq!(mode(&dir.join("controllers/x.log")), 0o600);
}

#[test]
fn a_shared_directory_is_refused_not_changed() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o1777)).unwrap();
    let err = Store::open(dir.path()).err().unwrap().to_string();
    assert!(err.contains("sticky bit"), "{err}");
    assert!(err.contains("--state-dir"), "{err}");
    assert_eq!(mode(dir.path()), 0o1777);
    assert!(!dir.path().join(DB_FILE).exists());
}

#[test]
fn a_file_that_is_not_a_database_is_named_once_with_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(DB_FILE), vec![b'x'; 8192]).unwrap();
    let err = anyhow::Error::new(Store::open(dir.path()).err().unwrap());
    let text = format!("{err:#}");
    assert!(text.contains("is not a SQLite database"), "{text}");
    assert!(text.contains(".bad"), "{text}");
    assert!(text.contains("--state-dir"), "{text}");
    assert_eq!(text.matches("not a database").count(), 0, "{text}");
    assert!(!text.contains("Error code"), "{text}");
    assert_eq!(err.chain().count(), 1, "one cause, said once: {text}");
}

#[test]
fn jobs_remember_the_engine_they_were_created_on() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    store.set_engine("tcp://127.0.0.1:2375");
    let created = store
        .create_job("default", &job(PI), t(0))
        .unwrap()
        .unwrap();
    assert_eq!(created.engine.as_deref(), Some("tcp://127.0.0.1:2375"));
    let mut other = Store::open(dir.path()).unwrap();
    other.set_engine("unix:///elsewhere.sock");
    let applied = other.apply_job("default", &job(PI), t(1)).unwrap();
    let ApplyOutcome::Unchanged(same) = applied else {
        panic!("{applied:?}")
    };
    assert_eq!(same.engine.as_deref(), Some("tcp://127.0.0.1:2375"));
    let read = other.get_job("default", "pi").unwrap().unwrap();
    assert_eq!(read.engine.as_deref(), Some("tcp://127.0.0.1:2375"));
}

/// Records the controller's current state through `recorder`, as the driver does after a step.
fn record<O: crate::job::driver::RunOutput>(
    recorder: &mut StoreRecorder<'_, O>,
    ctl: &crate::job::controller::Controller,
) {
    use crate::job::driver::{RunOutput, Snapshot};
    let status = ctl.status();
    recorder.snapshot(&Snapshot {
        job: ctl.job(),
        status: &status,
        pods: ctl.pods(),
        containers: &[],
    });
}

/// A new store in a temporary directory holding the Job `yaml`, and a controller for it
/// (seed 1) with the actions it starts with.
fn store_and_controller(
    yaml: &str,
) -> (
    tempfile::TempDir,
    Store,
    crate::job::controller::Controller,
    Vec<crate::job::controller::Action>,
) {
    use crate::job::controller::{Controller, ControllerConfig};
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let stored = store
        .create_job("default", &job(yaml), t(0))
        .unwrap()
        .unwrap();
    let config = ControllerConfig {
        backoff_scale: 1.0,
        seed: 1,
    };
    let (ctl, actions) = Controller::new(stored.job, config, t(0));
    (dir, store, ctl, actions)
}

/// Bug (issue 17, CPU per pod): every controller step rewrote every pod's row. A step writes
/// the pods that changed; a spec update (the Pod objects come from the Job) writes them all.
#[test]
fn a_run_step_writes_only_the_pods_that_changed() {
    use crate::job::controller::{Action, Input};
    use crate::job::driver::{PlainOutput, RunOutput};
    let two = PI.replace(
        "spec:\n  template",
        "spec:\n  completions: 2\n  parallelism: 2\n  template",
    );
    let (dir, store, mut ctl, actions) = store_and_controller(&two);
    let pods: Vec<String> = actions
        .iter()
        .filter_map(|a| match a {
            Action::CreatePod { pod } => Some(pod.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(pods.len(), 2, "{actions:?}");
    let mut out = PlainOutput::new(std::io::sink(), std::io::sink());
    let mut recorder = StoreRecorder::new(Store::open(dir.path()).unwrap(), &mut out);
    let phase = |store: &Store, pod: &str| -> String {
        store
            .conn
            .query_row("SELECT phase FROM pods WHERE name = ?1", [pod], |r| {
                r.get(0)
            })
            .unwrap()
    };
    record(&mut recorder, &ctl);
    assert_eq!(phase(&store, &pods[1]), "Pending");
    // Marks the rows so that a rewrite shows.
    store
        .conn
        .execute("UPDATE pods SET phase = 'untouched'", [])
        .unwrap();
    ctl.step(
        Input::ContainerStarted {
            pod: pods[0].clone(),
            container: String::new(),
        },
        t(1),
    );
    record(&mut recorder, &ctl);
    assert_eq!(phase(&store, &pods[0]), "Running");
    assert_eq!(phase(&store, &pods[1]), "untouched");
    // Nothing changed: nothing is written.
    record(&mut recorder, &ctl);
    assert_eq!(phase(&store, &pods[1]), "untouched");
    recorder.controller_spec_update(ctl.job(), t(2));
    record(&mut recorder, &ctl);
    assert_eq!(phase(&store, &pods[1]), "Pending");
    assert!(recorder.unsaved().is_none());
}

/// Tables, their columns (name, type, NOT NULL, default, key position, in order) and indexes
/// (with their columns and uniqueness), as SQLite describes them.
fn schema_shape(conn: &rusqlite::Connection) -> Vec<String> {
    let strings = |sql: &str| -> Vec<String> {
        let mut statement = conn.prepare(sql).unwrap();
        let rows = statement.query_map([], |r| r.get::<_, String>(0)).unwrap();
        rows.map(Result::unwrap).collect()
    };
    let mut shape = Vec::new();
    for table in strings("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name") {
        let mut columns = conn
            .prepare(&format!("PRAGMA table_info({table})"))
            .unwrap();
        let described = columns
            .query_map([], |r| {
                Ok(format!(
                    "{table}.{}: {} notnull={} default={:?} pk={}",
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, i64>(5)?
                ))
            })
            .unwrap();
        shape.extend(described.map(Result::unwrap));
        let mut indexes = conn
            .prepare(&format!("PRAGMA index_list({table})"))
            .unwrap();
        let listed: Vec<(String, i64)> = indexes
            .query_map([], |r| Ok((r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        for (index, unique) in listed {
            let on = strings(&format!("SELECT name FROM pragma_index_info('{index}')"));
            shape.push(format!("{table} index {index} unique={unique} on {on:?}"));
        }
    }
    shape.sort();
    shape
}

/// A new store is made from [`SCHEMA`] in one pass; it must be what the migrations make.
#[test]
fn a_new_store_has_the_schema_the_migrations_make() {
    let fresh_dir = tempfile::tempdir().unwrap();
    let fresh = Store::open(fresh_dir.path()).unwrap();
    assert_eq!(fresh.schema_version().unwrap(), MIGRATIONS.len() as i64);
    let migrated = rusqlite::Connection::open_in_memory().unwrap();
    for sql in MIGRATIONS {
        migrated.execute_batch(sql).unwrap();
    }
    let expected = schema_shape(&migrated);
    assert!(expected.iter().any(|line| line.starts_with("pods.pod_ips")));
    assert_eq!(schema_shape(&fresh.conn), expected);
}

/// A recorder aggregates an event identical to one it stored (a count more on its row)
/// without searching the table, in the same step or a later one; a different event, or one
/// whose row was deleted meanwhile, gets a row of its own.
#[test]
fn a_recorder_aggregates_the_identical_events_it_stored() {
    use crate::job::controller::{EventType, JobEvent};
    use crate::job::driver::{PlainOutput, RunOutput};
    let (dir, store, ctl, _) = store_and_controller(PI);
    let mut out = PlainOutput::new(std::io::sink(), std::io::sink());
    let mut recorder = StoreRecorder::new(Store::open(dir.path()).unwrap(), &mut out);
    let event = |reason: &str, at: i64| JobEvent {
        type_: EventType::Warning,
        reason: reason.to_string(),
        message: "Back-off restarting failed container".to_string(),
        object_kind: "Pod".to_string(),
        object_name: "pi-abcde".to_string(),
        namespace: "default".to_string(),
        source: "kubelet".to_string(),
        time: t(at),
    };
    let rows = |store: &Store| -> Vec<(String, i32, String)> {
        store
            .list_events(Some("default"), Some(("Pod", "pi-abcde")))
            .unwrap()
            .into_iter()
            .map(|e| (e.reason, e.count, e.last_seen.to_string()))
            .collect()
    };
    recorder.event(&event("BackOff", 1));
    recorder.event(&event("BackOff", 2));
    record(&mut recorder, &ctl);
    recorder.event(&event("BackOff", 3));
    recorder.event(&event("Other", 3));
    record(&mut recorder, &ctl);
    assert_eq!(
        rows(&store),
        [
            ("BackOff".to_string(), 3, t(3).to_string()),
            ("Other".to_string(), 1, t(3).to_string())
        ]
    );
    store.conn.execute("DELETE FROM events", []).unwrap();
    recorder.event(&event("BackOff", 4));
    record(&mut recorder, &ctl);
    assert_eq!(rows(&store), [("BackOff".to_string(), 1, t(4).to_string())]);
}
