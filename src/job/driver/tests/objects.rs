//! ConfigMaps and Secrets through the driver: a missing Secret holds the container (no
//! create) and is retried every 10 s, as the kubelet's pod worker; the pod starts once the
//! object appears; a foreground run gives up after its bounded wait.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::engine::fake::Script;
use crate::job::controller::OutcomeKind;
use crate::job::driver::{DriverError, ObjectSource, OBJECT_RETRIES};
use crate::job::objects::resolve::ObjectLookup;
use crate::job::objects::{DataObject, ObjectKind};

/// The Secret `db` exists from the `appears_at`-th lookup on.
struct Appearing {
    lookups: AtomicUsize,
    appears_at: usize,
}

impl ObjectLookup for Appearing {
    fn get(&self, kind: ObjectKind, _: &str, name: &str) -> Result<Option<DataObject>, String> {
        let n = self.lookups.fetch_add(1, Ordering::SeqCst) + 1;
        if kind != ObjectKind::Secret || name != "db" || n < self.appears_at {
            return Ok(None);
        }
        let mut secret = k8s_openapi::api::core::v1::Secret::default();
        secret.metadata.name = Some("db".into());
        secret.data = Some(
            [(
                "password".to_string(),
                k8s_openapi::ByteString(b"s3cret".to_vec()),
            )]
            .into(),
        );
        Ok(Some(DataObject::Secret(secret)))
    }
}

fn job() -> String {
    manifest(
        "late",
        "  backoffLimit: 0\n",
        "      restartPolicy: Never\n",
        "        env:\n        - name: P\n          valueFrom: {secretKeyRef: {name: db, key: password}}\n",
    )
}

fn options(appears_at: usize) -> RunOptions {
    RunOptions {
        objects: Some(ObjectSource(Arc::new(Appearing {
            lookups: AtomicUsize::new(0),
            appears_at,
        }))),
        ..RunOptions::default()
    }
}

#[tokio::test(start_paused = true)]
async fn a_missing_secret_is_retried_every_10s_and_the_pod_starts_once_it_exists() {
    let engine = engine_with_image(Script::print("ok", 0));
    let (run, out) = run(&engine, &job(), options(3)).await;
    assert_eq!(run.outcome.kind, OutcomeKind::Complete);
    // Two failed tries 10 s apart, then the container, with the value in its env only.
    let created = engine.created();
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].0, Duration::from_secs(20));
    assert!(created[0].1.env.contains(&"P=s3cret".to_string()));
    let waiting: Vec<&String> = out
        .stderr
        .iter()
        .filter(|l| l.ends_with("CreateContainerConfigError: secret \"db\" not found"))
        .collect();
    assert_eq!(waiting.len(), 2, "{:?}", out.stderr);
    assert!(
        out.stderr
            .iter()
            .any(|l| l.contains("waits for it: retrying every 10s, 6 times")),
        "{:?}",
        out.stderr
    );
    assert!(out.stderr.iter().all(|l| !l.contains("s3cret")));
}

#[tokio::test(start_paused = true)]
async fn a_foreground_run_gives_up_after_its_bounded_wait() {
    let engine = engine_with_image(Script::print("ok", 0));
    let mut rng = rand::rngs::StdRng::seed_from_u64(11);
    let job = load_jobs_with_rng(&job(), "job.yaml", &mut rng)
        .expect("valid")
        .remove(0)
        .job;
    let mut out = Captured::default();
    let started = tokio::time::Instant::now();
    let result = run_foreground(&engine, job, options(usize::MAX), &mut out).await;
    let Err(DriverError::CannotStart {
        reason, message, ..
    }) = result
    else {
        panic!("expected CannotStart: {:?}", out.stderr);
    };
    assert_eq!(reason, "CreateContainerConfigError");
    assert_eq!(message, "secret \"db\" not found");
    // The first try and OBJECT_RETRIES more, 10 s apart.
    assert_eq!(
        started.elapsed(),
        Duration::from_secs(10 * u64::from(OBJECT_RETRIES))
    );
    assert!(engine.created().is_empty());
}
