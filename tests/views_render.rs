//! Snapshot tests of every view (`get jobs|pods|events`, `-o wide|name|json|yaml`,
//! `describe job|pod`) from a seeded state store and a fixed clock.

mod common;

use common::kubectl::{kubectl_yaml, ORACLE_ANNOTATION};
use common::views::{manifest, t, Sim};
use dockjob::render::{
    describe_job, describe_pod, events_table, jobs_table, pods_table, render_objects,
    DescribeClock, ObjectFormat, TableOptions,
};
use dockjob::store::Store;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{Event, Pod};
use k8s_openapi::jiff::tz::TimeZone;

/// Seven Jobs in every state the views distinguish, at fixed times.
fn seeded() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();

    // Complete: 2 completions, one pod failed once on the way (backoff 10s).
    let mut pi = Sim::start(
        &mut store,
        &manifest(
            "pi",
            "  completions: 2\n  backoffLimit: 4\n",
            "Never",
            "IfNotPresent",
        ),
        1,
        0,
    );
    pi.exit(0, 0, false, 65);
    pi.exit(1, 1, false, 70);
    pi.tick(80);
    pi.exit(2, 0, false, 95);
    pi.save(&mut store);

    // Running, work queue with parallelism 3: "0/1 of 3".
    let queue = Sim::start(
        &mut store,
        &manifest(
            "queue",
            "  parallelism: 3\n  completions: null\n",
            "Never",
            "IfNotPresent",
        ),
        2,
        3000,
    );
    queue.save(&mut store);

    // Failed: backoffLimit 0, OOMKilled.
    let mut oom = Sim::start(
        &mut store,
        &manifest("oom", "  backoffLimit: 0\n", "Never", "IfNotPresent"),
        3,
        3300,
    );
    oom.exit(0, 137, true, 3310);
    oom.save(&mut store);

    // OnFailure crash loop: restarts "2 (Xs ago)" and CrashLoopBackOff.
    let mut crash = Sim::start(
        &mut store,
        &manifest("crash", "  backoffLimit: 6\n", "OnFailure", "IfNotPresent"),
        4,
        3400,
    );
    crash.exit(0, 2, false, 3405);
    crash.tick(3415);
    crash.exit(0, 2, false, 3420);
    crash.save(&mut store);

    // ErrImageNeverPull.
    let never = Sim::start_waiting(
        &mut store,
        &manifest("never", "", "Never", "Never"),
        5,
        3500,
        Some("ErrImageNeverPull"),
    );
    never.save(&mut store);

    // Created, container not started yet: ContainerCreating.
    let creating = Sim::start_waiting(
        &mut store,
        &manifest("creating", "", "Never", "IfNotPresent"),
        8,
        3595,
        Some(""),
    );
    creating.save(&mut store);

    // Indexed, one index done, with a TTL and a deadline.
    let mut indexed = Sim::start(
        &mut store,
        &manifest(
            "indexed",
            "  completions: 3\n  parallelism: 3\n  completionMode: Indexed\n  ttlSecondsAfterFinished: 100\n  activeDeadlineSeconds: 3600\n",
            "Never",
            "IfNotPresent",
        ),
        6,
        3550,
    );
    indexed.exit(1, 0, false, 3560);
    indexed.save(&mut store);

    // A Job being deleted: Terminating.
    let doomed = Sim::start(
        &mut store,
        &manifest("doomed", "", "Never", "IfNotPresent"),
        7,
        3580,
    );
    doomed.save(&mut store);
    let uid = store.get_job("default", "doomed").unwrap().unwrap().uid;
    store.mark_deleting(&uid, t(3590)).unwrap();
    (dir, store)
}

const NOW: i64 = 3600;

fn jobs(store: &Store) -> Vec<Job> {
    store
        .list_jobs(Some("default"))
        .unwrap()
        .into_iter()
        .map(|j| j.job)
        .collect()
}

fn pods(store: &Store) -> Vec<Pod> {
    store
        .list_pods(Some("default"), None)
        .unwrap()
        .into_iter()
        .map(|p| p.pod)
        .collect()
}

fn events(store: &Store, object: Option<(&str, &str)>) -> Vec<Event> {
    let rows = match object {
        None => store.list_events_by_name(Some("default")),
        Some(_) => store.list_events(Some("default"), object),
    };
    rows.unwrap().iter().map(|e| e.to_event()).collect()
}

fn clock() -> DescribeClock {
    DescribeClock {
        now: t(NOW),
        tz: TimeZone::UTC,
    }
}

#[test]
fn get_jobs() {
    let (_dir, store) = seeded();
    let opts = TableOptions::default();
    insta::assert_snapshot!(jobs_table(&jobs(&store), t(NOW), opts));
}

/// `get jobs,pods`: with more than one kind listed, kubectl names each row `KIND/NAME`
/// (`printers.FormatResourceName` through `decorateTable`); the table is otherwise the same.
#[test]
fn get_several_kinds_names_rows_kind_slash_name() {
    let (_dir, store) = seeded();
    let with_kind = TableOptions {
        with_kind: true,
        ..Default::default()
    };
    let plain = jobs_table(&jobs(&store), t(NOW), TableOptions::default());
    let prefixed = jobs_table(&jobs(&store), t(NOW), with_kind);
    let names = |table: &str| -> Vec<String> {
        table
            .lines()
            .skip(1)
            .map(|l| l.split_whitespace().next().unwrap().to_string())
            .collect()
    };
    let expected: Vec<String> = names(&plain)
        .iter()
        .map(|n| format!("job.batch/{n}"))
        .collect();
    assert_eq!(names(&prefixed), expected);
    let pods = pods_table(&pods(&store), t(NOW), with_kind);
    assert!(
        pods.lines().skip(1).all(|l| l.starts_with("pod/")),
        "{pods}"
    );
    // Events have no NAME column but in `-o wide`, its last.
    let wide = TableOptions {
        wide: true,
        ..with_kind
    };
    let events = events_table(&events(&store, None), t(NOW), wide);
    assert!(
        events
            .lines()
            .skip(1)
            .all(|l| l.split_whitespace().last().unwrap().starts_with("event/")),
        "{events}"
    );
}

#[test]
fn get_jobs_wide_all_namespaces() {
    let (_dir, store) = seeded();
    let opts = TableOptions {
        wide: true,
        all_namespaces: true,
        ..Default::default()
    };
    insta::assert_snapshot!(jobs_table(&jobs(&store), t(NOW), opts));
}

#[test]
fn get_pods() {
    let (_dir, store) = seeded();
    insta::assert_snapshot!(pods_table(&pods(&store), t(NOW), TableOptions::default()));
}

#[test]
fn get_pods_wide() {
    let (_dir, store) = seeded();
    let opts = TableOptions {
        wide: true,
        ..Default::default()
    };
    insta::assert_snapshot!(pods_table(&pods(&store), t(NOW), opts));
}

#[test]
fn get_events() {
    let (_dir, store) = seeded();
    insta::assert_snapshot!(events_table(
        &events(&store, None),
        t(NOW),
        TableOptions::default()
    ));
}

#[test]
fn get_events_wide() {
    let (_dir, store) = seeded();
    let opts = TableOptions {
        wide: true,
        ..Default::default()
    };
    insta::assert_snapshot!(events_table(
        &events(&store, Some(("Job", "pi"))),
        t(NOW),
        opts
    ));
}

#[test]
fn get_output_name() {
    let (_dir, store) = seeded();
    let text = render_objects(&jobs(&store), ObjectFormat::Name, false)
        + &render_objects(&pods(&store)[..2], ObjectFormat::Name, false);
    insta::assert_snapshot!(text);
}

#[test]
fn get_job_output_json_and_yaml() {
    let (_dir, store) = seeded();
    let pi: Vec<Job> = jobs(&store)
        .into_iter()
        .filter(|j| j.metadata.name.as_deref() == Some("oom"))
        .collect();
    insta::assert_snapshot!("oom_json", render_objects(&pi, ObjectFormat::Json, true));
    insta::assert_snapshot!("oom_yaml", render_objects(&pi, ObjectFormat::Yaml, true));
}

#[test]
fn get_jobs_output_yaml_wraps_several_in_a_list() {
    let (_dir, store) = seeded();
    let two: Vec<Job> = jobs(&store)
        .into_iter()
        .filter(|j| matches!(j.metadata.name.as_deref(), Some("oom" | "never")))
        .collect();
    insta::assert_snapshot!(
        "jobs_yaml_list",
        render_objects(&two, ObjectFormat::Yaml, false)
    );
}

/// Every seeded Job, Pod and Event in `-o yaml` is what kubectl prints for the same object.
#[test]
fn output_yaml_of_every_seeded_object_matches_kubectl() {
    let (_dir, store) = seeded();
    fn mark(meta: &mut k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta) {
        meta.annotations
            .get_or_insert_with(Default::default)
            .insert(ORACLE_ANNOTATION.to_string(), "1".to_string());
    }
    let mut ours = Vec::new();
    let mut values = Vec::new();
    for mut job in jobs(&store) {
        mark(&mut job.metadata);
        ours.push(render_objects(
            std::slice::from_ref(&job),
            ObjectFormat::Yaml,
            true,
        ));
        values.push(serde_json::to_value(&job).unwrap());
    }
    for mut pod in pods(&store) {
        mark(&mut pod.metadata);
        ours.push(render_objects(
            std::slice::from_ref(&pod),
            ObjectFormat::Yaml,
            true,
        ));
        values.push(serde_json::to_value(&pod).unwrap());
    }
    for mut event in events(&store, None) {
        mark(&mut event.metadata);
        ours.push(render_objects(
            std::slice::from_ref(&event),
            ObjectFormat::Yaml,
            true,
        ));
        values.push(serde_json::to_value(&event).unwrap());
    }
    assert!(values.len() > 30, "{}", values.len());
    for (ours, kubectl) in ours.iter().zip(kubectl_yaml(&values)) {
        assert_eq!(ours, &kubectl);
    }
}

#[test]
fn describe_jobs() {
    let (_dir, store) = seeded();
    for job in jobs(&store) {
        let name = job.metadata.name.clone().unwrap();
        let text = describe_job(&job, &events(&store, Some(("Job", &name))), &clock());
        insta::assert_snapshot!(format!("describe_job_{name}"), text);
    }
}

#[test]
fn describe_pods() {
    let (_dir, store) = seeded();
    let all = pods(&store);
    // The first pod of each Job.
    let mut seen = std::collections::BTreeSet::new();
    for pod in all {
        let job = pod.metadata.labels.as_ref().unwrap()["job-name"].clone();
        if !seen.insert(job.clone()) {
            continue;
        }
        let name = pod.metadata.name.clone().unwrap();
        let text = describe_pod(&pod, &events(&store, Some(("Pod", &name))), &clock());
        insta::assert_snapshot!(format!("describe_pod_{job}"), text);
    }
}
