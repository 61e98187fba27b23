//! `apply -f` and `create -f`: store the ConfigMaps and Secrets, then the Jobs (created /
//! unchanged / configured, or kubectl's AlreadyExists, invalid-update and immutable-field
//! errors), each Job with the engine endpoint it runs on, and start the Jobs' detached
//! controllers. The objects go first, so a Job's pods find them at their first try.

use k8s_openapi::api::batch::v1::Job;

use super::controller::{mark_scheduler, spawn_controller, BACKOFF_SCALE_ANNOTATION};
use super::print_data;
use super::state::{now, open_store, DEFAULT_NAMESPACE};
use crate::cli::{ApplyArgs, GlobalArgs, SchedulerArg};
use crate::error::{user_error, ExitStatus};
use crate::job::field::invalid_message;
use crate::job::input;
use crate::job::objects::DataObject;
use crate::store::{ApplyOutcome, ObjectApplyOutcome};

/// A manifest's Jobs (with their namespaces) and ConfigMaps and Secrets.
pub(crate) type Loaded = (Vec<(String, Job)>, Vec<DataObject>);

/// Loads the manifest's Jobs (in `-n`'s namespace when they name none), recording
/// `--backoff-scale` on them, and its ConfigMaps and Secrets.
pub(crate) async fn load(
    global: &GlobalArgs,
    file: &std::path::Path,
    backoff_scale: f64,
) -> anyhow::Result<Loaded> {
    if !(backoff_scale.is_finite() && backoff_scale > 0.0) {
        return Err(user_error(format!(
            "--backoff-scale {backoff_scale}: must be a positive number"
        )));
    }
    let path = file.to_string_lossy().into_owned();
    // `-n` is the namespace of manifests that name none, validated as if written there.
    let flag = global.namespace.clone();
    let loaded =
        tokio::task::spawn_blocking(move || input::load_manifests_path_in(&path, flag.as_deref()))
            .await?
            .map_err(|e| user_error(e.to_string()))?;
    let (loaded, objects) = crate::job::load::split(loaded);
    let mut jobs = Vec::new();
    for mut loaded in loaded {
        for warning in &loaded.warnings {
            eprintln!("Warning: {warning}");
        }
        let ns = namespace_for(&loaded.job);
        loaded.job.metadata.namespace = Some(ns.clone());
        if global.scheduler == SchedulerArg::Swarm {
            if let Some(refusal) = super::run::swarm_refusal(&loaded.job) {
                return Err(user_error(refusal));
            }
        }
        mark_scheduler(&mut loaded.job, global.scheduler);
        if backoff_scale != 1.0 {
            loaded
                .job
                .metadata
                .annotations
                .get_or_insert_with(Default::default)
                .insert(
                    BACKOFF_SCALE_ANNOTATION.to_string(),
                    backoff_scale.to_string(),
                );
        }
        jobs.push((ns, loaded.job));
    }
    Ok((jobs, objects))
}

/// `kubectl apply` of the ConfigMaps and Secrets: `secret/NAME created|unchanged|configured`,
/// or the API server's update error (then `Failure`).
fn apply_objects(
    store: &mut crate::store::Store,
    objects: &[DataObject],
) -> anyhow::Result<ExitStatus> {
    let mut status = ExitStatus::Success;
    for object in objects {
        let what = format!("{}/{}", object.kind().resource(), object.name());
        match store.apply_object(object, now())? {
            ObjectApplyOutcome::Created(_) => print_data(&format!("{what} created"))?,
            ObjectApplyOutcome::Unchanged(_) => print_data(&format!("{what} unchanged"))?,
            ObjectApplyOutcome::Configured(_) => print_data(&format!("{what} configured"))?,
            ObjectApplyOutcome::Invalid(causes) => {
                let kind = object.kind().kind();
                eprintln!("{}", invalid_message(kind, object.name(), &causes));
                status = ExitStatus::Failure;
            }
        }
    }
    Ok(status)
}

/// The Job's namespace: the manifest's, else `-n` (both applied and checked by
/// [`input::load_path_in`]), else `default`.
fn namespace_for(job: &Job) -> String {
    job.metadata
        .namespace
        .clone()
        .unwrap_or_else(|| DEFAULT_NAMESPACE.to_string())
}

/// The store, with new Jobs remembering the engine `-H` / `DOCKER_HOST` names, once that
/// engine has answered: a Job stored for an engine that is not there would show `Running`
/// with nothing running it (exit 3, as `run`, and nothing stored).
async fn store_for_engine(global: &GlobalArgs) -> anyhow::Result<crate::store::Store> {
    // For `--scheduler swarm`, also that the engine is a swarm manager.
    let scheduler = super::scheduler(global.scheduler);
    let engine = super::controller::pod_engine(global.host.as_deref(), scheduler).await?;
    let mut store = open_store(global)?;
    store.set_engine(engine.local().endpoint());
    Ok(store)
}

/// Starts the controller of a Job just stored; when it cannot start, the Job is taken back
/// out of the store (nothing would ever run it) before the error is reported.
fn start_controller(
    global: &GlobalArgs,
    store: &mut crate::store::Store,
    stored: &crate::store::StoredJob,
    backoff_scale: f64,
) -> anyhow::Result<()> {
    let started = spawn_controller(global, &stored.uid, backoff_scale, stored.engine.as_deref());
    if let Err(error) = started {
        return Err(match store.remove_job(&stored.uid) {
            Ok(_) => error.context("the Job was not created"),
            // Left stored without a lease: the next dockjob command starts its controller.
            Err(e) => error.context(format!(
                "the Job stays stored and the next dockjob command starts its controller \
                 (removing it failed too: {e})"
            )),
        });
    }
    Ok(())
}

/// `dockjob apply -f`.
pub async fn apply(global: &GlobalArgs, args: &ApplyArgs) -> anyhow::Result<ExitStatus> {
    let (jobs, objects) = load(global, &args.file, args.backoff_scale).await?;
    // Objects alone need no engine.
    let mut store = if jobs.is_empty() {
        open_store(global)?
    } else {
        store_for_engine(global).await?
    };
    super::controller::revive_orphans(&store, global);
    let mut status = apply_objects(&mut store, &objects)?;
    for (ns, job) in jobs {
        let name = job.metadata.name.clone().unwrap_or_default();
        match store.apply_job(&ns, &job, now())? {
            ApplyOutcome::Created(stored) => {
                start_controller(global, &mut store, &stored, args.backoff_scale)?;
                print_data(&format!("job.batch/{name} created"))?;
            }
            ApplyOutcome::Unchanged(_) => print_data(&format!("job.batch/{name} unchanged"))?,
            ApplyOutcome::Configured(_) => print_data(&format!("job.batch/{name} configured"))?,
            ApplyOutcome::Immutable { field, value } => {
                eprintln!(
                    "The Job \"{name}\" is invalid: {field}: Invalid value: {value}: field is immutable"
                );
                status = ExitStatus::Failure;
            }
        }
    }
    Ok(status)
}

/// `dockjob create -f`.
pub async fn create(global: &GlobalArgs, args: &ApplyArgs) -> anyhow::Result<ExitStatus> {
    let (jobs, objects) = load(global, &args.file, args.backoff_scale).await?;
    let mut store = if jobs.is_empty() {
        open_store(global)?
    } else {
        store_for_engine(global).await?
    };
    let mut status = ExitStatus::Success;
    for object in &objects {
        let kind = object.kind();
        match store.create_object(object, now())? {
            Some(_) => print_data(&format!("{}/{} created", kind.resource(), object.name()))?,
            None => {
                eprintln!(
                    "Error from server (AlreadyExists): error when creating \"{}\": {} \"{}\" already exists",
                    args.file.display(),
                    kind.plural(),
                    object.name()
                );
                status = ExitStatus::Failure;
            }
        }
    }
    for (ns, job) in jobs {
        let name = job.metadata.name.clone().unwrap_or_default();
        match store.create_job(&ns, &job, now())? {
            Some(stored) => {
                start_controller(global, &mut store, &stored, args.backoff_scale)?;
                print_data(&format!("job.batch/{name} created"))?;
            }
            None => {
                eprintln!(
                    "Error from server (AlreadyExists): error when creating \"{}\": jobs.batch \"{name}\" already exists",
                    args.file.display()
                );
                status = ExitStatus::Failure;
            }
        }
    }
    Ok(status)
}
