//! Detached controllers: `apply` starts `dockjob __controller --uid UID` in its own process
//! group with its output in `<state-dir>/controllers/<uid>.log`; the controller holds the
//! Job's lease (renewed every [`HEARTBEAT`]), runs the Job through the driver with a
//! [`StoreRecorder`], stops its pods when the Job is deleted, and honours
//! `ttlSecondsAfterFinished`. Any later command that finds a lease whose heartbeat stopped
//! (the controller was killed) starts a new controller, which adopts the running containers.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::sync::watch;

use super::state::{now, open_store};
use crate::cli::SchedulerArg;
use crate::cli::{ControllerArgs, GlobalArgs};
use crate::engine::docker::scheduled::{PodEngine, Scheduler};
use crate::engine::docker::DockerEngine;
use crate::engine::{EngineError, PodRuntime};
use crate::error::ExitStatus;
use crate::job::controller::time;
use crate::job::driver::{
    resume_foreground, run_foreground_updating, DriverError, ObjectSource, PlainOutput, RunOptions,
};
use crate::store::{files, state_dir, Store, StoreObjects, StoreRecorder, StoredJob};
use k8s_openapi::api::batch::v1::Job;

/// How often a controller renews its lease and checks whether its Job was deleted.
pub const HEARTBEAT: Duration = Duration::from_secs(1);
/// A lease not renewed for this long belongs to a dead controller (generous: a loaded machine
/// must not make a live controller look dead).
pub const LEASE_TTL: Duration = Duration::from_secs(10);

/// Whether the Job has its terminal condition.
pub fn is_finished(job: &StoredJob) -> bool {
    job.job
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|cs| {
            cs.iter()
                .any(|c| (c.type_ == "Complete" || c.type_ == "Failed") && c.status == "True")
        })
}

/// This process's lease identity.
pub fn holder_id() -> String {
    format!(
        "pid {} started {}",
        std::process::id(),
        now().as_millisecond()
    )
}

/// Starts `dockjob __controller` for a Job, detached: its own process group (Ctrl-C in the
/// terminal does not reach it), stdin closed, output to the Job's log in the state directory
/// (0600 in a 0700 directory: it names the Job's containers and may quote their output).
/// `engine` is the endpoint the Job was created on; `None` (a Job stored by an older dockjob)
/// means `-H`, else `DOCKER_HOST`.
pub fn spawn_controller(
    global: &GlobalArgs,
    uid: &str,
    backoff_scale: f64,
    engine: Option<&str>,
) -> anyhow::Result<PathBuf> {
    use anyhow::Context as _;
    use std::os::unix::process::CommandExt;
    let dir = state_dir(global.state_dir.as_deref());
    let log_path = controller_log(&dir, uid);
    let log = log_path
        .parent()
        .map_or(Ok(()), files::private_dir)
        .and_then(|()| files::create_private_file(&log_path, true))
        .with_context(|| {
            format!(
                "cannot start the Job's controller: its log {} cannot be written",
                log_path.display()
            )
        })?;
    let exe = std::env::current_exe()?;
    let mut command = std::process::Command::new(exe);
    command
        .arg("--state-dir")
        .arg(&dir)
        .args(["__controller", "--uid", uid])
        .arg("--backoff-scale")
        .arg(backoff_scale.to_string())
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .process_group(0);
    if let Some(host) = engine.or(global.host.as_deref()) {
        command.arg("--host").arg(host);
    }
    command
        .spawn()
        .context("cannot start the Job's controller (dockjob __controller)")?;
    Ok(log_path)
}

/// Restarts the controllers of unfinished Jobs whose lease expired (killed controller or
/// `run`): the next command notices and a new controller adopts the containers. A finished
/// Job with a `ttlSecondsAfterFinished` and no live controller gets one to enforce it. A
/// controller that cannot be started is a warning (the view still prints); a store that cannot
/// be read is the command's error, said once (it was said as a warning and again as the error).
pub fn revive_orphans(store: &Store, global: &GlobalArgs) -> anyhow::Result<()> {
    let result = (|| -> anyhow::Result<()> {
        let now = now();
        for check in store.jobs_needing_controllers()? {
            let dead = check
                .lease_renewed_at
                .is_some_and(|renewed| time::add(renewed, LEASE_TTL) < now);
            // A finished Job still waiting for its ttlSecondsAfterFinished needs a controller
            // too: its own died, or the `run` that ran it could not start one. An unfinished
            // Job that no controller ever ran (its `apply` died between storing it and
            // starting one) needs its first, once a controller would have taken the lease.
            let never_started = check.never_ran
                && check.lease_renewed_at.is_none()
                && time::add(check.created_at, LEASE_TTL) < now;
            let orphaned = if check.finished {
                check.lease_renewed_at.is_none() || dead
            } else {
                dead || never_started
            };
            if !orphaned {
                continue;
            }
            if let Some(job) = store.get_job_by_uid(&check.uid)? {
                spawn_controller(
                    global,
                    &job.uid,
                    stored_backoff_scale(&job),
                    job.engine.as_deref(),
                )?;
            }
        }
        Ok(())
    })();
    match result {
        Err(e) if e.downcast_ref::<crate::store::StoreError>().is_some() => Err(e),
        Err(e) => {
            eprintln!("warning: checking Job controllers: {e:#}");
            Ok(())
        }
        Ok(()) => Ok(()),
    }
}

/// Annotation keeping `--backoff-scale` with the Job, so a restarted controller uses it.
pub const BACKOFF_SCALE_ANNOTATION: &str = "dockjob.io/backoff-scale";

/// Annotation keeping `--scheduler swarm` with the Job, so that its controller (a restarted
/// one too) places its pods on the swarm without being told again.
pub const SCHEDULER_ANNOTATION: &str = "dockjob.io/scheduler";

/// Records `scheduler` on the Job (nothing for the default, local).
pub fn mark_scheduler(job: &mut Job, scheduler: SchedulerArg) {
    if scheduler == SchedulerArg::Swarm {
        job.metadata
            .annotations
            .get_or_insert_with(Default::default)
            .insert(SCHEDULER_ANNOTATION.to_string(), "swarm".to_string());
    }
}

/// Where the Job's pods go, as recorded by [`mark_scheduler`].
pub fn scheduler_of(job: &Job) -> Scheduler {
    let recorded = job
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(SCHEDULER_ANNOTATION));
    if recorded.is_some_and(|s| s == "swarm") {
        Scheduler::Swarm
    } else {
        Scheduler::Local
    }
}

fn stored_backoff_scale(job: &StoredJob) -> f64 {
    job.job
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(BACKOFF_SCALE_ANNOTATION))
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0)
}

/// `dockjob __controller --uid UID`: runs one stored Job to its end.
pub async fn run_controller(
    global: &GlobalArgs,
    args: &ControllerArgs,
) -> anyhow::Result<ExitStatus> {
    let dir = state_dir(global.state_dir.as_deref());
    let mut store = open_store(global)?;
    let Some(stored) = store.get_job_by_uid(&args.uid)? else {
        eprintln!("{}: job {} is gone", now(), args.uid);
        return Ok(ExitStatus::Success);
    };
    let holder = holder_id();
    if !store.acquire_lease(&args.uid, &holder, std::process::id(), now(), LEASE_TTL)? {
        eprintln!("{}: another controller holds job {}", now(), args.uid);
        return Ok(ExitStatus::Success);
    }
    let name = stored.job.metadata.name.clone().unwrap_or_default();
    eprintln!("{}: controller for job.batch/{name} ({holder})", now());
    // The engine the Job was created on, whatever -H this process was given.
    let endpoint = stored.engine.as_deref().or(global.host.as_deref());
    let engine = pod_engine(endpoint, scheduler_of(&stored.job)).await?;
    let (kill, interrupts) = watch::channel(0u32);
    let (spec_sender, spec_updates) = watch::channel(None);
    let beats = Heartbeat {
        dir: dir.clone(),
        uid: args.uid.clone(),
        holder: holder.clone(),
        kill,
        spec: Some(spec_sender),
    };
    let heartbeat = tokio::spawn(beats.run());
    let result = if is_finished(&stored) {
        Ok(())
    } else {
        drive(
            &dir,
            &engine,
            stored.job.clone(),
            args,
            (interrupts.clone(), spec_updates),
        )
        .await
    };
    if let Err(e) = &result {
        eprintln!("{}: job.batch/{name}: {e:#}", now());
    }
    // ttlSecondsAfterFinished: wait (still heartbeating) and delete the Job and its pods.
    if let Some(job) = store.get_job_by_uid(&args.uid)? {
        if job.deleted_at.is_none() && is_finished(&job) {
            expire_after_ttl(&engine, &mut store, &job, interrupts).await?;
        }
    }
    heartbeat.abort();
    store.release_lease(&args.uid, &holder)?;
    eprintln!("{}: controller for job.batch/{name} done", now());
    Ok(ExitStatus::Success)
}

/// Runs the Job, or resumes it from its input log when a controller ran it before; when the
/// engine goes away (restart), waits for it and resumes again.
async fn drive(
    dir: &Path,
    first_engine: &PodEngine,
    job: Job,
    args: &ControllerArgs,
    (interrupts, spec_updates): (watch::Receiver<u32>, watch::Receiver<Option<Job>>),
) -> anyhow::Result<()> {
    let uid = job.metadata.uid.clone().unwrap_or_default();
    let mut engine: Option<PodEngine> = None;
    loop {
        let current = engine.as_ref().unwrap_or(first_engine);
        let options = RunOptions {
            backoff_scale: args.backoff_scale,
            interrupts: Some(interrupts.clone()),
            objects: Some(ObjectSource(std::sync::Arc::new(StoreObjects::new(dir)))),
            ..RunOptions::default()
        };
        let mut plain = PlainOutput::new(std::io::sink(), std::io::stderr());
        let mut recorder = StoreRecorder::new(Store::open(dir)?, &mut plain);
        let replay = Store::open(dir)?.replay(&uid)?;
        let result = match replay {
            Some(replay) => {
                eprintln!(
                    "{}: resuming: replaying {} inputs and adopting the Job's containers",
                    now(),
                    replay.inputs.len()
                );
                let updates = Some(spec_updates.clone());
                resume_foreground(
                    current,
                    job.clone(),
                    options,
                    replay,
                    updates,
                    &mut recorder,
                )
                .await
            }
            None => {
                let updates = spec_updates.clone();
                run_foreground_updating(current, job.clone(), options, updates, &mut recorder).await
            }
        };
        match result {
            Ok(_) => return Ok(()),
            Err(DriverError::Engine(EngineError::Unreachable { .. }))
                if *interrupts.borrow() == 0 =>
            {
                eprintln!(
                    "{}: the engine went away; waiting for it to come back",
                    now()
                );
                let endpoint = first_engine.local().endpoint();
                engine = Some(reconnect(endpoint, scheduler_of(&job)).await);
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// Waits until the engine at `endpoint` answers again.
async fn reconnect(endpoint: &str, scheduler: Scheduler) -> PodEngine {
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        if let Ok(engine) = pod_engine(Some(endpoint), scheduler).await {
            if engine.list_containers(&[]).await.is_ok() {
                return engine;
            }
        }
    }
}

/// The engine at `endpoint` (else `DOCKER_HOST`, else the default socket) as the runtime of a
/// Job's pods (the swarm it manages for `swarm`).
pub(crate) async fn pod_engine(
    endpoint: Option<&str>,
    scheduler: Scheduler,
) -> anyhow::Result<PodEngine> {
    let engine = DockerEngine::connect(endpoint).await?;
    // The swarm's nodes pull with the user's credentials; a local engine uses them only if
    // it turns out to manage a swarm whose pods it is asked about.
    let config = match scheduler {
        Scheduler::Swarm => Some(super::push::load_docker_config()?),
        Scheduler::Local => super::push::load_docker_config().ok(),
    };
    Ok(PodEngine::new(engine, scheduler, config).await?)
}

/// A controller's (or a foreground run's) heartbeat task.
struct Heartbeat {
    dir: PathBuf,
    uid: String,
    holder: String,
    /// Ctrl-C presses for the driver: 1 stops the pods gracefully (the Job was deleted).
    kill: watch::Sender<u32>,
    /// New versions of the Job for a detached controller (`apply` … `configured`).
    spec: Option<watch::Sender<Option<Job>>>,
}

impl Heartbeat {
    /// Renews the lease; asks the driver to stop the pods when the Job is deleted or the lease
    /// lost; passes on `configured` updates (and the current spec once, so a resumed controller
    /// ends up with the latest one).
    async fn run(self) {
        let Ok(mut store) = Store::open(&self.dir) else {
            return;
        };
        let mut generation = None;
        loop {
            tokio::time::sleep(HEARTBEAT).await;
            let renewed = store
                .renew_lease(&self.uid, &self.holder, now())
                .unwrap_or(true);
            // Two columns, not the Job, whose JSON was decoded every second for nothing: the
            // Job itself is read only when it was reconfigured or its deletion is announced.
            let liveness = store.job_liveness(&self.uid);
            // A state directory removed under it (`rm -r` of it, a test's temporary one) leaves
            // a Job that no command can see or delete: it is as deleted. SQLite keeps writing
            // to the unlinked file, so only the path tells.
            let store_gone = !self.dir.join(crate::store::DB_FILE).exists();
            let deleted = store_gone
                || match &liveness {
                    Ok(Some(job)) => job.deleting,
                    Ok(None) => true,
                    Err(_) => false,
                };
            let reconfigured = matches!(
                &liveness,
                Ok(Some(job)) if self.spec.is_some() && generation != Some(job.generation)
            );
            // Deleted and its pods not told to stop yet.
            let stopping = deleted && *self.kill.borrow() == 0;
            let announce_deletion = stopping && self.spec.is_none() && !store_gone;
            let job = if reconfigured || announce_deletion {
                store.get_job_by_uid(&self.uid)
            } else {
                Ok(None)
            };
            if !renewed {
                // Another controller took the Job over (this one stalled past the lease): it
                // owns the containers now, so leave them running and stop at once, as if killed.
                eprintln!("{}: lost the lease of job {}; exiting", now(), self.uid);
                std::process::exit(0);
            } else if stopping {
                // Deleted: stop the pods with their grace period, as the kubelet would. A
                // foreground run says why first: its "Interrupted" line comes next and nobody
                // pressed Ctrl-C (`delete job` or `run --replace` from another terminal).
                if store_gone {
                    eprintln!(
                        "{}: the state store {} is gone: stopping the pods of job {}",
                        now(),
                        self.dir.display(),
                        self.uid
                    );
                } else if self.spec.is_none() {
                    let name = match &job {
                        Ok(Some(job)) => job.job.metadata.name.clone().unwrap_or_default(),
                        _ => self.uid.clone(),
                    };
                    eprintln!("job.batch/{name} was deleted by another command (delete job, or run --replace): stopping its pods");
                }
                let _ = self.kill.send(1);
            }
            if let (Some(spec), Ok(Some(job))) = (&self.spec, job) {
                if generation != Some(job.generation) {
                    generation = Some(job.generation);
                    let _ = spec.send(Some(job.job));
                }
            }
        }
    }
}

async fn expire_after_ttl<E: PodRuntime>(
    engine: &E,
    store: &mut Store,
    job: &StoredJob,
    mut interrupts: watch::Receiver<u32>,
) -> anyhow::Result<()> {
    let ttl = job
        .job
        .spec
        .as_ref()
        .and_then(|s| s.ttl_seconds_after_finished);
    let Some(ttl) = ttl else {
        return Ok(());
    };
    let finished_at = job
        .job
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .and_then(|cs| {
            cs.iter()
                .find(|c| (c.type_ == "Complete" || c.type_ == "Failed") && c.status == "True")
        })
        .and_then(|c| c.last_transition_time.as_ref())
        .map_or_else(now, |t| t.0);
    let expiry = time::add(finished_at, Duration::from_secs(ttl.max(0) as u64));
    let wait = time::since(expiry, now());
    tokio::select! {
        () = tokio::time::sleep(wait) => {}
        _ = interrupts.changed() => return Ok(()),
    }
    remove_job_containers(engine, store, &job.uid, Duration::ZERO).await?;
    store.remove_job(&job.uid)?;
    Ok(())
}

/// Stops (with `grace`) and removes every container of a Job, found by its controller-uid label.
pub async fn remove_job_containers<E: PodRuntime>(
    engine: &E,
    store: &Store,
    uid: &str,
    grace: Duration,
) -> anyhow::Result<usize> {
    let mut ids: Vec<String> = engine
        .list_containers(&[(
            crate::job::defaults::LABEL_CONTROLLER_UID.to_string(),
            uid.to_string(),
        )])
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
    for id in store.job_container_ids(uid)? {
        if !ids
            .iter()
            .any(|known| known.starts_with(&id) || id.starts_with(known.as_str()))
        {
            ids.push(id);
        }
    }
    let mut removed = 0;
    for id in &ids {
        let _ = engine.stop_container(id, grace).await;
        if engine.remove_container(id).await.is_ok() {
            removed += 1;
        }
    }
    Ok(removed)
}

/// A `run` in the foreground, recorded in the store: holds the Job's lease with a heartbeat
/// until dropped.
pub struct ForegroundJob {
    uid: String,
    holder: String,
    heartbeat: tokio::task::JoinHandle<()>,
    dir: PathBuf,
    keep_lease: bool,
}

impl ForegroundJob {
    /// The stored Job's uid.
    pub fn uid(&self) -> &str {
        &self.uid
    }

    /// A store connection for the run's [`StoreRecorder`].
    pub fn recorder_store(&self) -> anyhow::Result<Store> {
        Ok(Store::open(&self.dir)?)
    }

    /// Stops the heartbeat but leaves the lease to expire instead of releasing it: the store
    /// lacks the end of the run, and the next dockjob command that finds the lease expired
    /// starts a controller that adopts the Job's containers and records how it ended.
    pub fn abandon(mut self) {
        self.keep_lease = true;
    }
}

impl Drop for ForegroundJob {
    fn drop(&mut self) {
        self.heartbeat.abort();
        if self.keep_lease {
            return;
        }
        if let Ok(mut store) = Store::open(&self.dir) {
            let _ = store.release_lease(&self.uid, &self.holder);
        }
    }
}

/// Stores a Job `run` is about to run in the foreground and takes its lease. A Job of that
/// name is kubectl's AlreadyExists error (`run` checks before, and `--replace` deletes it).
pub fn store_foreground_job(
    global: &GlobalArgs,
    job: &mut k8s_openapi::api::batch::v1::Job,
    engine: &str,
    kill: watch::Sender<u32>,
) -> anyhow::Result<ForegroundJob> {
    let dir = state_dir(global.state_dir.as_deref());
    let mut store = open_store(global)?;
    store.set_engine(engine);
    let ns = job
        .metadata
        .namespace
        .clone()
        .or_else(|| global.namespace.clone())
        .unwrap_or_else(|| super::state::DEFAULT_NAMESPACE.to_string());
    job.metadata.namespace = Some(ns.clone());
    let name = job.metadata.name.clone().unwrap_or_default();
    // `run` checked the name was free (or freed it, --replace): a Job stored since is
    // another command's.
    let Some(stored) = store.create_job(&ns, job, now())? else {
        return Err(crate::error::user_error(super::manifest::already_exists(
            None, &name,
        )));
    };
    *job = stored.job.clone();
    let holder = holder_id();
    store.acquire_lease(&stored.uid, &holder, std::process::id(), now(), LEASE_TTL)?;
    let beats = Heartbeat {
        dir: dir.clone(),
        uid: stored.uid.clone(),
        holder: holder.clone(),
        kill,
        spec: None,
    };
    let heartbeat = tokio::spawn(beats.run());
    Ok(ForegroundJob {
        uid: stored.uid,
        holder,
        heartbeat,
        dir,
        keep_lease: false,
    })
}

/// The log file of a Job's controller: `<state-dir>/controllers/<uid>.log`.
pub fn controller_log(dir: &Path, uid: &str) -> PathBuf {
    dir.join("controllers").join(format!("{uid}.log"))
}

/// Removes the log of a Job's controller once the Job is deleted, so that a deleted Job
/// leaves nothing behind in the state directory (its logs piled up, one per Job ever run,
/// naming its containers and quoting their output). A controller still writing to it writes
/// to the unlinked file.
pub fn forget_controller_log(global: &GlobalArgs, uid: &str) {
    let log = controller_log(&state_dir(global.state_dir.as_deref()), uid);
    match std::fs::remove_file(&log) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            eprintln!("warning: cannot remove {}: {e}", log.display());
        }
        _ => {}
    }
}
