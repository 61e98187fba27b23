//! `apply -f`, `create -f` and `create job`: store the ConfigMaps and Secrets, then the Jobs
//! (created / unchanged / configured, or kubectl's AlreadyExists, invalid-update and
//! immutable-field errors), each Job with the engine endpoint it runs on, and start the Jobs'
//! detached controllers. The objects go first, so a Job's pods find them at their first try.
//! With `--dry-run`, say what would be stored and store nothing.

use k8s_openapi::api::batch::v1::Job;

use super::controller::{mark_scheduler, spawn_controller, BACKOFF_SCALE_ANNOTATION};
use super::dry_run::{DryRun, Printing};
use super::manifest::{already_exists, create_job_already_exists, source_of, JobSource};
use super::state::{now, open_store, DEFAULT_NAMESPACE};
use crate::cli::{ApplyArgs, DryRunArgs, GlobalArgs, SchedulerArg};
use crate::error::{user_error, ExitStatus};
use crate::job::field::invalid_message;
use crate::job::objects::DataObject;
use crate::store::{ApplyOutcome, ObjectApplyOutcome};

/// A Job of a manifest (or flags), ready to store: in its namespace, marked with the
/// scheduler and `--backoff-scale`.
pub(crate) struct ManifestJob {
    /// Its namespace.
    pub ns: String,
    /// The Job, defaulted and validated.
    pub job: Job,
    /// The document as written, for `--dry-run=client`.
    pub given: serde_json::Value,
    /// kubectl's `info.Source` ([`source_of`]).
    pub source: Option<String>,
}

/// A manifest's Jobs and its ConfigMaps and Secrets.
pub(crate) type Loaded = (Vec<ManifestJob>, Vec<DataObject>);

/// Loads the manifest's Jobs (in `-n`'s namespace when they name none), recording
/// `--backoff-scale` on them, and its ConfigMaps and Secrets.
pub(crate) async fn load(
    global: &GlobalArgs,
    files: &[std::path::PathBuf],
    backoff_scale: f64,
) -> anyhow::Result<Loaded> {
    load_from(global, &JobSource::files(files.to_vec()), backoff_scale).await
}

/// [`load`] from any [`JobSource`].
pub(crate) async fn load_from(
    global: &GlobalArgs,
    source: &JobSource,
    backoff_scale: f64,
) -> anyhow::Result<Loaded> {
    if !(backoff_scale.is_finite() && backoff_scale > 0.0) {
        return Err(user_error(format!(
            "--backoff-scale {backoff_scale}: must be a positive number"
        )));
    }
    // `-n` is the namespace of manifests that name none, validated as if written there.
    let (loaded, objects) = source.load(global.namespace.clone()).await?;
    let mut jobs = Vec::new();
    for mut loaded in loaded {
        for warning in &loaded.warnings {
            eprintln!("Warning: {warning}");
        }
        let ns = namespace_for(&loaded.job);
        loaded.job.metadata.namespace = Some(ns.clone());
        if let Some(meta) = loaded
            .given
            .get_mut("metadata")
            .and_then(|m| m.as_object_mut())
        {
            // kubectl's builder gives an object without one the default namespace
            // (cli-runtime's `SetNamespace` visitor), client dry run included.
            meta.insert("namespace".to_string(), ns.clone().into());
        }
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
        jobs.push(ManifestJob {
            ns,
            source: source_of(&loaded),
            given: loaded.given,
            job: loaded.job,
        });
    }
    Ok((jobs, objects))
}

/// `kubectl apply` of the ConfigMaps and Secrets: `secret/NAME created|unchanged|configured`,
/// or the API server's update error (then `Failure`).
fn apply_objects(
    store: &mut crate::store::Store,
    objects: &[DataObject],
    printing: &Printing,
) -> anyhow::Result<ExitStatus> {
    let mut status = ExitStatus::Success;
    for object in objects {
        let print = |verb: &str| {
            let resource = object.kind().resource();
            printing.print_as(resource, object.name(), verb, &object.to_value())
        };
        match store.apply_object(object, now())? {
            ObjectApplyOutcome::Created(_) => print("created")?,
            ObjectApplyOutcome::Unchanged(_) => print("unchanged")?,
            ObjectApplyOutcome::Configured(_) => print("configured")?,
            ObjectApplyOutcome::Invalid(causes) => {
                let kind = object.kind().kind();
                eprintln!("{}", invalid_message(kind, object.name(), &causes));
                status = ExitStatus::Failure;
            }
        }
    }
    Ok(status)
}

/// A dry run's ConfigMaps and Secrets: `secret/NAME created (dry run)`, or the object as
/// `-o` asks (what would be sent; their validation already ran at load). A server dry run
/// compares with the stored ones: `unchanged`/`configured` for `apply`, AlreadyExists for a
/// create (`create_from`: kubectl's source of the manifest).
fn print_objects_dry_run(
    printing: &Printing,
    objects: &[DataObject],
    store: Option<&crate::store::Store>,
    create_from: Option<&str>,
) -> anyhow::Result<ExitStatus> {
    let mut status = ExitStatus::Success;
    for object in objects {
        let kind = object.kind();
        let ns = object.metadata().namespace.clone().unwrap_or_default();
        let stored = match (store, printing.dry_run) {
            (Some(store), DryRun::Server) => store.get_object(kind, &ns, object.name())?,
            _ => None,
        };
        let verb = match (&stored, create_from) {
            (None, _) => "created",
            (Some(_), Some(from)) => {
                eprintln!("{}", object_already_exists(from, object));
                status = ExitStatus::Failure;
                continue;
            }
            (Some(old), None) if old.without_server_fields() == object.without_server_fields() => {
                "unchanged"
            }
            (Some(_), None) => "configured",
        };
        printing.print_as(kind.resource(), object.name(), verb, &object.to_value())?;
    }
    Ok(status)
}

/// kubectl's AlreadyExists for a manifest's ConfigMap or Secret, as [`already_exists`] says
/// it of a Job.
fn object_already_exists(from: &str, object: &DataObject) -> String {
    format!(
        "Error from server (AlreadyExists): error when creating \"{from}\": {} \"{}\" already exists",
        object.kind().plural(),
        object.name()
    )
}

/// kubectl's `info.Source` of a manifest given with `-f` (`STDIN` for `-`).
fn manifest_source(source: &JobSource) -> String {
    match source {
        JobSource::File(path) if path.as_os_str() == "-" => "STDIN".to_string(),
        JobSource::File(path) => path.display().to_string(),
        // Objects do not keep their file: the first is named (kubectl names each one's own).
        JobSource::Files(paths) => paths
            .first()
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
        JobSource::Flags(_) => String::new(),
    }
}

/// `Failure` if either is.
fn worse(a: ExitStatus, b: ExitStatus) -> ExitStatus {
    if a == ExitStatus::Success {
        b
    } else {
        a
    }
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
    let printing = Printing::parse(&args.output)?;
    let (jobs, objects) = load(global, &args.file, args.backoff_scale).await?;
    if printing.dry_run != DryRun::None {
        let store = store_if_any(global)?;
        let objects_status = print_objects_dry_run(&printing, &objects, store.as_ref(), None)?;
        let jobs_status = preview_apply(global, jobs, printing)?;
        return Ok(worse(objects_status, jobs_status));
    }
    // Objects alone need no engine.
    let mut store = if jobs.is_empty() {
        open_store(global)?
    } else {
        store_for_engine(global).await?
    };
    super::controller::revive_orphans(&store, global)?;
    let mut status = apply_objects(&mut store, &objects, &printing)?;
    for ManifestJob { ns, job, .. } in jobs {
        let name = job.metadata.name.clone().unwrap_or_default();
        match store.apply_job(&ns, &job, now())? {
            ApplyOutcome::Created(stored) => {
                start_controller(global, &mut store, &stored, args.backoff_scale)?;
                printing.print(&name, "created", &stored.job)?;
            }
            ApplyOutcome::Unchanged(stored) => printing.print(&name, "unchanged", &stored.job)?,
            ApplyOutcome::Configured(stored) => printing.print(&name, "configured", &stored.job)?,
            ApplyOutcome::Immutable { field, value } => {
                eprintln!("{}", immutable_error(&name, &field, &value));
                status = ExitStatus::Failure;
            }
        }
    }
    Ok(status)
}

/// kubectl's text for an apply that changes an immutable field: `checkErr`'s Invalid branch
/// (`The %s %q is invalid: ` and the causes, staging/src/k8s.io/kubectl/pkg/cmd/util/helpers.go)
/// over the apiserver's `ValidateImmutableField` cause (`field is immutable`). dockjob names
/// the changed field itself where the apiserver names `spec.template` with a Go dump of it.
fn immutable_error(name: &str, field: &str, value: &str) -> String {
    format!("The Job \"{name}\" is invalid: {field}: Invalid value: {value}: field is immutable")
}

/// `apply --dry-run`: created / configured / unchanged as the store would have it, nothing
/// written. A client dry run knows no more than the patch it would send (an immutable change
/// is `configured` until the server refuses it); a server dry run validates it as `apply`.
fn preview_apply(
    global: &GlobalArgs,
    jobs: Vec<ManifestJob>,
    printing: Printing,
) -> anyhow::Result<ExitStatus> {
    let store = store_if_any(global)?;
    let mut status = ExitStatus::Success;
    for ManifestJob { ns, job, given, .. } in jobs {
        let name = job.metadata.name.clone().unwrap_or_default();
        let Some(store) = &store else {
            let object = server_object(crate::store::as_created(&ns, &job, now()));
            match printing.dry_run {
                DryRun::Client => printing.print(&name, "created", &given)?,
                _ => printing.print(&name, "created", &object)?,
            }
            continue;
        };
        let (verb, object) = match store.preview_apply(&ns, &job, now())? {
            ApplyOutcome::Created(stored) => ("created", server_object(stored.job)),
            ApplyOutcome::Unchanged(stored) => ("unchanged", server_object(stored.job)),
            ApplyOutcome::Configured(stored) => ("configured", server_object(stored.job)),
            ApplyOutcome::Immutable { .. } if printing.dry_run == DryRun::Client => {
                ("configured", job.clone())
            }
            ApplyOutcome::Immutable { field, value } => {
                eprintln!("{}", immutable_error(&name, &field, &value));
                status = ExitStatus::Failure;
                continue;
            }
        };
        match printing.dry_run {
            DryRun::Client => printing.print(&name, verb, &given)?,
            _ => printing.print(&name, verb, &object)?,
        }
    }
    Ok(status)
}

/// The store a dry run reads, `None` when there is none yet: a dry run leaves no state
/// directory behind. A state directory that cannot be read (a file on its path, no
/// permission) is the error the real command gives, not an empty store: a server dry run
/// answers as the server would.
fn store_if_any(global: &GlobalArgs) -> anyhow::Result<Option<crate::store::Store>> {
    let dir = crate::store::state_dir(global.state_dir.as_deref());
    if let Ok(false) = dir.join(crate::store::DB_FILE).try_exists() {
        return Ok(None);
    }
    Ok(Some(open_store(global)?))
}

/// A Job as the apiserver returns it from a create: with an (empty) `status`.
fn server_object(mut job: Job) -> Job {
    job.status.get_or_insert_with(Default::default);
    job
}

/// Who creates: how AlreadyExists is said, and whether an existing Job would be replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Creator {
    /// `create -f`, `run -f`, `run --image`: `Error from server (AlreadyExists): …`.
    Create,
    /// `create job NAME`: `error: failed to create job: …`.
    CreateJob,
    /// `run --replace`: an existing Job would be deleted first (dry runs only come here).
    Replace,
}

/// `dockjob create -f FILE` and `create job NAME --image …`; also `run --dry-run`.
pub(crate) async fn create(
    global: &GlobalArgs,
    source: &JobSource,
    output: &DryRunArgs,
    backoff_scale: f64,
    creator: Creator,
) -> anyhow::Result<ExitStatus> {
    let printing = Printing::parse(output)?;
    let already = |job: &ManifestJob, name: &str| match creator {
        Creator::CreateJob => create_job_already_exists(name),
        _ => already_exists(job.source.as_deref(), name),
    };
    if printing.dry_run == DryRun::Client {
        // Nothing is asked of the store: kubectl's client dry run does not ask the server.
        if let Some(object) = source.client_object() {
            printing.print(object.name(), "created", &object)?;
            return Ok(ExitStatus::Success);
        }
        let (jobs, objects) = load_from(global, source, backoff_scale).await?;
        print_objects_dry_run(&printing, &objects, None, None)?;
        for job in jobs {
            // The name as written: a `generateName` is the server's to fill in, so kubectl
            // prints `job.batch/ created (dry run)`, not a name the real create won't use.
            let name = job
                .given
                .pointer("/metadata/name")
                .and_then(serde_json::Value::as_str)
                .unwrap_or_default();
            printing.print(name, "created", &job.given)?;
        }
        return Ok(ExitStatus::Success);
    }
    let (jobs, objects) = load_from(global, source, backoff_scale).await?;
    if printing.dry_run == DryRun::Server {
        let store = store_if_any(global)?;
        let from = manifest_source(source);
        let mut status = print_objects_dry_run(&printing, &objects, store.as_ref(), Some(&from))?;
        for job in jobs {
            let name = job.job.metadata.name.clone().unwrap_or_default();
            let taken = match &store {
                Some(store) => store.get_job(&job.ns, &name)?.is_some(),
                None => false,
            };
            if creator != Creator::Replace && taken {
                eprintln!("{}", already(&job, &name));
                status = ExitStatus::Failure;
                continue;
            }
            let object = server_object(crate::store::as_created(&job.ns, &job.job, now()));
            printing.print(&name, "created", &object)?;
        }
        return Ok(status);
    }
    // Objects alone need no engine.
    let mut store = if jobs.is_empty() {
        open_store(global)?
    } else {
        store_for_engine(global).await?
    };
    let mut status = ExitStatus::Success;
    for object in &objects {
        let kind = object.kind();
        match store.create_object(object, now())? {
            Some(_) => printing.print_as(
                kind.resource(),
                object.name(),
                "created",
                &object.to_value(),
            )?,
            None => {
                eprintln!(
                    "{}",
                    object_already_exists(&manifest_source(source), object)
                );
                status = ExitStatus::Failure;
            }
        }
    }
    for job in jobs {
        let name = job.job.metadata.name.clone().unwrap_or_default();
        match store.create_job(&job.ns, &job.job, now())? {
            Some(stored) => {
                start_controller(global, &mut store, &stored, backoff_scale)?;
                printing.print(&name, "created", &server_object(stored.job.clone()))?;
            }
            None => {
                eprintln!("{}", already(&job, &name));
                status = ExitStatus::Failure;
            }
        }
    }
    Ok(status)
}
