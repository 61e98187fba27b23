//! `run`: Jobs (from a manifest or `--image`) in the foreground, with Ctrl-C or SIGTERM stopping pods gracefully (twice: at
//! once).

use super::apply::Creator;
use super::controller::{spawn_controller, store_foreground_job};
use super::dry_run::{DryRun, Printing};
use super::manifest::{already_exists, JobSource};
use crate::cli::{GlobalArgs, RestartArg, RunArgs, SchedulerArg};
use crate::engine::docker::scheduled::PodEngine;
use crate::error::{user_error, ExitStatus};
use std::sync::Arc;

use crate::job::driver::{
    run_foreground, DriverError, JobRun, ObjectSource, PlainOutput, RunOptions, RunOutput,
    TerminalOutput,
};
use crate::job::field::invalid_message;
use crate::job::generate::JobFlags;
use crate::job::objects::resolve::ManifestObjects;
use crate::job::objects::DataObject;
use crate::job::OutcomeKind;
use crate::progress::ProgressMode;
use crate::store::{ObjectApplyOutcome, StoreObjects};
use crate::store::{StoreError, StoreRecorder};

use super::signals::Presses;

/// Runs every Job of `-f` (or the one `--image` makes), one after the other; the exit status
/// is the worst outcome. `--dry-run` prints instead, as `create --dry-run`.
pub async fn run(
    global: &GlobalArgs,
    host: Option<&str>,
    args: &RunArgs,
    progress: ProgressMode,
    presses: Presses,
) -> anyhow::Result<ExitStatus> {
    if !(args.backoff_scale.is_finite() && args.backoff_scale > 0.0) {
        return Err(user_error(format!(
            "--backoff-scale {}: must be a positive number",
            args.backoff_scale
        )));
    }
    let printing = Printing::parse(&args.output)?;
    let source = run_source(global, args)?;
    if printing.dry_run != DryRun::None {
        let creator = match args.replace {
            true => Creator::Replace,
            false => Creator::Create,
        };
        let output = &args.output;
        return super::apply::create(global, &source, output, args.backoff_scale, creator).await;
    }
    if printing.format.is_some() {
        return Err(user_error(
            "-o is for --dry-run: a run prints its pods' logs and status (get job NAME -o yaml \
             shows the Job)",
        ));
    }
    // Until a Job is recorded, a signal ends the command at once: nothing was made yet.
    let interrupted = || {
        eprintln!("Interrupted");
        Ok(ExitStatus::Interrupted)
    };
    let scheduler = super::scheduler(global.scheduler);
    let connect = super::controller::pod_engine(host, scheduler);
    let Some(engine) = presses.unless_pressed(connect).await else {
        return interrupted();
    };
    let engine = &engine?;
    let load = source.load(global.namespace.clone());
    let Some(loaded) = presses.unless_pressed(load).await else {
        return interrupted();
    };
    let (loaded, objects) = loaded?;
    if loaded.is_empty() {
        let file = args.file.as_deref().unwrap_or(std::path::Path::new("-"));
        return Err(user_error(format!(
            "{}: no Job found (run needs a Job; apply stores ConfigMaps and Secrets alone)",
            file.display()
        )));
    }
    // A state directory the user named must work before anything runs: a Job run unrecorded
    // leaves containers that no later command (get, logs, delete) can see.
    let explicit_state = state_dir_is_explicit(global);
    if explicit_state {
        super::state::open_store(global)?;
    }
    let object_source = store_objects(global, &objects, explicit_state)?;
    // The driver says what each stage does ("stopping N pod(s) gracefully…", "killing…").
    let Presses {
        sender: interrupt_sender,
        receiver: interrupts,
    } = presses;
    let mut status = ExitStatus::Success;
    if global.scheduler == SchedulerArg::Swarm {
        for job in &loaded {
            if let Some(refusal) = swarm_refusal(&job.job) {
                return Err(user_error(refusal));
            }
        }
    }
    for job in loaded {
        for warning in &job.warnings {
            eprintln!("Warning: {warning}");
        }
        // Stored like an applied Job, so `get`, `describe` and `logs` see it while it runs.
        let source = super::manifest::source_of(&job);
        let mut manifest = job.job;
        super::controller::mark_scheduler(&mut manifest, global.scheduler);
        // Nothing of this Job is running yet: a signal ends the command (a stalled engine
        // must not hold `--replace`'s delete).
        let presses = Presses {
            sender: interrupt_sender.clone(),
            receiver: interrupts.clone(),
        };
        let take = take_name(global, &manifest, source.as_deref(), args.replace);
        match presses.unless_pressed(take).await {
            None => return interrupted(),
            Some(Err(e)) => return Err(e),
            Some(Ok(Some(refusal))) => {
                eprintln!("{refusal}");
                return Ok(ExitStatus::Failure);
            }
            Some(Ok(None)) => {}
        }
        let stored = store_foreground_job(
            global,
            &mut manifest,
            engine.local().endpoint(),
            interrupt_sender.clone(),
        );
        let foreground = match stored {
            Ok(foreground) => Some(foreground),
            // A Job of that name stored meanwhile: kubectl's AlreadyExists.
            Err(e) if e.downcast_ref::<crate::error::UserError>().is_some() => return Err(e),
            Err(e) if explicit_state => return Err(e.context("the Job was not run")),
            // No usable default state directory (no home in dockjob's own image…): run
            // unrecorded, as documented.
            Err(e) => {
                eprintln!(
                    "warning: the Job is not recorded (get/describe/logs will not see it): {e:#}"
                );
                None
            }
        };
        let options = RunOptions {
            rm: args.rm,
            backoff_scale: args.backoff_scale,
            interrupts: Some(interrupts.clone()),
            prefix: args.prefix,
            objects: Some(object_source.clone()),
            ..RunOptions::default()
        };
        let store = match foreground.as_ref().map(|f| f.recorder_store()) {
            Some(Ok(store)) => Some(store),
            Some(Err(e)) => return Err(e.context("the Job was not run")),
            None => None,
        };
        let (run, unsaved) = match progress {
            ProgressMode::Tty => {
                let mut out = TerminalOutput::new();
                run_recorded(engine, manifest, options, store, &mut out).await
            }
            ProgressMode::Plain => {
                let mut out = PlainOutput::new(std::io::stdout(), std::io::stderr());
                run_recorded(engine, manifest, options, store, &mut out).await
            }
            // Pod logs only: the status lines and the final condition are left out.
            ProgressMode::Quiet => {
                let mut out = PlainOutput::new(std::io::stdout(), std::io::sink());
                run_recorded(engine, manifest, options, store, &mut out).await
            }
        }?;
        if let Some(foreground) = foreground {
            if let Some(error) = unsaved {
                // The lease is left to expire: the next dockjob command then starts a
                // controller that adopts the (kept) containers and records how the Job ended.
                foreground.abandon();
                return Err(anyhow::Error::new(error).context(format!(
                    "job.batch/{} ran, but the state store lacks its end; the next dockjob \
                     command (get, wait, …) records it from the Job's containers once the \
                     store can be written",
                    run.job.metadata.name.as_deref().unwrap_or_default()
                )));
            }
            let uid = foreground.uid().to_string();
            drop(foreground); // releases the lease
            if let Some(expiry) = run.ttl_expires_at {
                expire_later(global, &uid, expiry, args.backoff_scale, progress, engine);
            }
        }
        let this = match run.outcome.kind {
            OutcomeKind::Complete | OutcomeKind::Suspended => ExitStatus::Success,
            OutcomeKind::Failed => ExitStatus::Failure,
            OutcomeKind::Interrupted => return Ok(ExitStatus::Interrupted),
        };
        if this != ExitStatus::Success {
            status = this;
        }
    }
    Ok(status)
}

/// Where `run`'s Jobs come from: `-f FILE`, or `--image` (with NAME, `--restart` and the
/// command after `--`, which a manifest cannot take).
fn run_source(global: &GlobalArgs, args: &RunArgs) -> anyhow::Result<JobSource> {
    match (&args.file, &args.image) {
        (Some(file), None) => {
            // clap's `requires = "image"` on NAME does not hold NAME back when -f is given
            // (`run x -f job.yaml` ran the manifest's Job and dropped `x`): refused here.
            let pod_flag = if args.name.is_some() {
                Some("NAME")
            } else if !args.pod.command.is_empty() {
                Some("a command after --")
            } else if args.pod.restart != RestartArg::Never {
                Some("--restart")
            } else {
                None
            };
            if let Some(flag) = pod_flag {
                return Err(user_error(format!(
                    "{flag} goes with --image; with -f the manifest says what runs"
                )));
            }
            Ok(JobSource::File(file.clone()))
        }
        (None, Some(image)) => Ok(JobSource::Flags(JobFlags {
            name: args.name.clone(),
            image: image.clone(),
            command: args.pod.command.clone(),
            restart_policy: args.pod.restart.policy().to_string(),
            namespace: global.namespace.clone(),
        })),
        // clap requires exactly one of them.
        _ => Err(user_error("give -f FILE or --image IMAGE")),
    }
}

/// Makes the Job's name free to run under: a stored Job of that name (running or finished)
/// is kubectl's AlreadyExists, returned as the text to print, unless `replace` deletes it
/// and its pods first (as `delete job NAME`). A store that cannot be opened is left to
/// [`store_foreground_job`], which decides whether the run goes unrecorded.
async fn take_name(
    global: &GlobalArgs,
    job: &k8s_openapi::api::batch::v1::Job,
    source: Option<&str>,
    replace: bool,
) -> anyhow::Result<Option<String>> {
    let Ok(mut store) = super::state::open_store(global) else {
        return Ok(None);
    };
    let ns = job
        .metadata
        .namespace
        .clone()
        .unwrap_or_else(|| super::state::namespace(global));
    let name = job.metadata.name.clone().unwrap_or_default();
    let Some(old) = store.get_job(&ns, &name)? else {
        return Ok(None);
    };
    if !replace {
        return Ok(Some(already_exists(source, &name)));
    }
    super::delete::delete_stored(global, &mut store, &old, false).await?;
    eprintln!("job.batch \"{name}\" deleted");
    Ok(None)
}

/// Applies the manifest's ConfigMaps and Secrets to the store (said on stderr: stdout is
/// the pods' output) and returns where the run's pods read them: the store, so that an
/// object applied from another terminal is seen; without a usable default store, the
/// manifest's own objects.
fn store_objects(
    global: &GlobalArgs,
    objects: &[DataObject],
    explicit_state: bool,
) -> anyhow::Result<ObjectSource> {
    let dir = crate::store::state_dir(global.state_dir.as_deref());
    let stored = super::state::open_store(global).and_then(|mut store| {
        for object in objects {
            let what = format!("{}/{}", object.kind().resource(), object.name());
            match store.apply_object(object, super::state::now())? {
                ObjectApplyOutcome::Created(_) => eprintln!("{what} created"),
                ObjectApplyOutcome::Unchanged(_) => eprintln!("{what} unchanged"),
                ObjectApplyOutcome::Configured(_) => eprintln!("{what} configured"),
                ObjectApplyOutcome::Invalid(causes) => {
                    let kind = object.kind().kind();
                    return Err(user_error(invalid_message(kind, object.name(), &causes)));
                }
            }
        }
        Ok(())
    });
    match stored {
        Ok(()) => Ok(ObjectSource(Arc::new(StoreObjects::new(&dir)))),
        Err(e) if e.downcast_ref::<crate::error::UserError>().is_some() || explicit_state => Err(e),
        // Unrecorded run (see `run`): the pods read the manifest's objects.
        Err(_) => Ok(ObjectSource(Arc::new(ManifestObjects(objects.to_vec())))),
    }
}

/// `ttlSecondsAfterFinished`: a Job whose time has come (TTL 0: the run already removed its
/// containers) is deleted now; otherwise a detached controller waits for the time and
/// deletes the Job and its containers then, as Kubernetes' TTL controller would.
fn expire_later(
    global: &GlobalArgs,
    uid: &str,
    expiry: jiff::Timestamp,
    backoff_scale: f64,
    progress: ProgressMode,
    engine: &PodEngine,
) {
    let result = if expiry <= jiff::Timestamp::now() {
        super::state::open_store(global)
            .and_then(|mut store| Ok(store.remove_job(uid)?))
            .map(|_| None)
    } else {
        spawn_controller(global, uid, backoff_scale, Some(engine.local().endpoint())).map(Some)
    };
    match result {
        Ok(Some(_)) => progress.note(&format!(
            "the Job and its pods will be deleted at {expiry} (ttlSecondsAfterFinished)"
        )),
        Ok(None) => {}
        Err(e) => eprintln!("warning: ttlSecondsAfterFinished will not be enforced: {e:#}"),
    }
}

/// Runs the Job, saving its state to `store` when there is one; with the store's last write
/// error when the store lacks the end of the run.
async fn run_recorded(
    engine: &PodEngine,
    job: k8s_openapi::api::batch::v1::Job,
    options: RunOptions,
    store: Option<crate::store::Store>,
    out: &mut impl RunOutput,
) -> Result<(JobRun, Option<StoreError>), DriverError> {
    match store {
        Some(store) => {
            let mut recorder = StoreRecorder::new(store, out);
            let run = run_foreground(engine, job, options, &mut recorder).await?;
            let unsaved = recorder.into_unsaved();
            Ok((run, unsaved))
        }
        None => Ok((run_foreground(engine, job, options, out).await?, None)),
    }
}

/// Whether the state directory was named (`--state-dir`, `DOCKJOB_STATE_DIR`) rather than
/// the XDG default.
fn state_dir_is_explicit(global: &GlobalArgs) -> bool {
    global.state_dir.is_some()
        || std::env::var_os("DOCKJOB_STATE_DIR").is_some_and(|v| !v.is_empty())
}

/// What a Swarm cannot do for a pod, naming the field: containers sharing one network
/// namespace and volumes that live on one node. Refused rather than silently dropped.
pub(super) fn swarm_refusal(job: &k8s_openapi::api::batch::v1::Job) -> Option<String> {
    let name = job.metadata.name.as_deref().unwrap_or_default();
    let spec = job.spec.as_ref()?.template.spec.as_ref()?;
    let refuse = |field: &str, why: &str| {
        Some(format!(
            "job {name}: spec.template.spec.{field}: not supported with --scheduler swarm: {why}"
        ))
    };
    if spec.containers.len() > 1 {
        return refuse(
            "containers",
            "a pod's containers share localhost and volumes, which swarm tasks on different \
             nodes cannot; run one container per pod, or use --scheduler local",
        );
    }
    // Environment values from ConfigMaps and Secrets are resolved by dockjob, as on a local
    // engine. Their volumes and pull credentials are not mapped to swarm secrets and configs
    // (yet): refused by name, never dropped.
    const NO_OBJECTS: &str = "dockjob does not hand ConfigMap and Secret files or pull \
         credentials to swarm tasks (swarm secrets and configs are not mapped yet); use \
         environment variables (env valueFrom, envFrom), or --scheduler local";
    if spec
        .image_pull_secrets
        .as_ref()
        .is_some_and(|s| !s.is_empty())
    {
        return refuse("imagePullSecrets", NO_OBJECTS);
    }
    for (i, volume) in spec.volumes.iter().flatten().enumerate() {
        let kind = if volume.empty_dir.is_some() {
            "emptyDir"
        } else if volume.host_path.is_some() {
            "hostPath"
        } else if volume.secret.is_some() {
            "secret"
        } else if volume.config_map.is_some() {
            "configMap"
        } else if volume.projected.is_some() {
            "projected"
        } else if volume.downward_api.is_some() {
            "downwardAPI"
        } else {
            continue;
        };
        if matches!(kind, "secret" | "configMap" | "projected" | "downwardAPI") {
            return refuse(&format!("volumes[{i}].{kind}"), NO_OBJECTS);
        }
        return refuse(
            &format!("volumes[{i}].{kind}"),
            "the volume would live on whichever node the task lands on, not with the pod",
        );
    }
    None
}

#[cfg(test)]
mod tests {
    use super::swarm_refusal;

    fn job(container_extra: &str, pod_extra: &str) -> k8s_openapi::api::batch::v1::Job {
        let yaml = format!(
            "apiVersion: batch/v1\nkind: Job\nmetadata: {{name: j}}\nspec:\n  template:\n    spec:\n      \
             restartPolicy: Never\n{pod_extra}      containers:\n      - name: c\n        image: busybox\n{container_extra}"
        );
        crate::job::load_jobs(&yaml, "j.yaml")
            .unwrap()
            .remove(0)
            .job
    }

    #[test]
    fn swarm_refuses_config_map_and_secret_volumes_and_pull_secrets_by_name() {
        let refusal = |job| swarm_refusal(&job).unwrap_or_default();
        // Environment values are resolved by dockjob: allowed.
        let env = job(
            "        env:\n        - name: B\n          valueFrom: {secretKeyRef: {name: s, key: k}}\n        envFrom: [{configMapRef: {name: c}}]\n",
            "",
        );
        assert_eq!(swarm_refusal(&env), None);
        let volume = job(
            "        volumeMounts: [{name: v, mountPath: /v}]\n",
            "      volumes: [{name: v, configMap: {name: c}}]\n",
        );
        assert!(refusal(volume).starts_with(
            "job j: spec.template.spec.volumes[0].configMap: not supported with --scheduler swarm"
        ));
        let pull = job("", "      imagePullSecrets: [{name: reg}]\n");
        assert!(refusal(pull).contains("spec.template.spec.imagePullSecrets:"));
        assert_eq!(swarm_refusal(&job("", "")), None);
    }
}
