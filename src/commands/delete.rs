//! `delete job NAME…` / `delete -f job.yaml` / `delete jobs -l SELECTOR`: stops the Job's controller, stops and removes
//! its containers (`--cascade=orphan` keeps them), forgets the Job; prints
//! `job.batch "NAME" deleted`. `delete secret|configmap NAME…` (and the objects of `-f`)
//! forget those objects (`secret "NAME" deleted`).

use std::time::{Duration, Instant};

use super::controller::{remove_job_containers, LEASE_TTL};
use super::print_data;
use super::state::{
    check_selector, job_engine, namespace, not_found, now, open_store, parse_target,
    selector_matches, unknown_type, Kind,
};
use crate::cli::{DeleteArgs, GlobalArgs};
use crate::error::{user_error, ExitStatus};
use crate::job::objects::ObjectKind;
use crate::store::{Store, StoredJob};

/// `dockjob delete`: each Job's containers are removed on the engine it was created on.
pub async fn delete(global: &GlobalArgs, args: &DeleteArgs) -> anyhow::Result<ExitStatus> {
    let orphan = match args.cascade.as_str() {
        "background" | "foreground" | "true" => false,
        "orphan" | "false" => true,
        other => {
            return Err(user_error(format!(
                "invalid cascade value ({other}). Must be \"background\", \"foreground\", or \"orphan\""
            )))
        }
    };
    let mut data_targets: Vec<(ObjectKind, String, String)> = Vec::new();
    let files = (!args.file.is_empty()).then_some(args.file.as_slice());
    let targets: Vec<(String, String)> = match (files, &args.resource) {
        (Some(files), None) => {
            let (jobs, objects) = super::apply::load(global, files, 1.0).await?;
            for object in objects {
                let ns = object.metadata().namespace.clone().unwrap_or_default();
                data_targets.push((object.kind(), ns, object.name().to_string()));
            }
            jobs.into_iter()
                .map(|m| (m.ns, m.job.metadata.name.unwrap_or_default()))
                .collect()
        }
        (None, Some(resource)) if data_kind(resource).is_some() => {
            let Some((Kind::Data(kind), names)) = parse_target(resource, &args.names) else {
                return Err(user_error("delete removes jobs, configmaps and secrets"));
            };
            let ns = namespace(global);
            let selector = args.selector.as_deref();
            let picked = target_names(global, Kind::Data(kind), selector, names, |store, sel| {
                Ok(store
                    .list_objects(kind, Some(&ns))?
                    .into_iter()
                    .filter(|o| selector_matches(sel, o.metadata().labels.as_ref()))
                    .map(|o| o.name().to_string())
                    .collect())
            })?;
            let Some(names) = picked else {
                return Ok(ExitStatus::Success);
            };
            data_targets.extend(names.into_iter().map(|n| (kind, ns.clone(), n)));
            Vec::new()
        }
        (None, Some(resource)) => {
            let Some((kind, names)) = parse_target(resource, &args.names) else {
                eprintln!("{}", unknown_type(resource));
                return Ok(ExitStatus::Failure);
            };
            if kind != Kind::Job {
                return Err(user_error("delete removes jobs (delete job NAME)"));
            }
            let ns = namespace(global);
            let selector = args.selector.as_deref();
            let picked = target_names(global, Kind::Job, selector, names, |store, sel| {
                Ok(store
                    .list_jobs(Some(&ns))?
                    .into_iter()
                    .filter(|j| selector_matches(sel, j.job.metadata.labels.as_ref()))
                    .map(|j| j.job.metadata.name.unwrap_or_default())
                    .collect())
            })?;
            let Some(names) = picked else {
                return Ok(ExitStatus::Success);
            };
            names.into_iter().map(|n| (ns.clone(), n)).collect()
        }
        _ => return Err(user_error("give either job NAME… or -f FILE")),
    };
    let mut store = open_store(global)?;
    let mut status = ExitStatus::Success;
    for (kind, ns, name) in data_targets {
        if store.delete_object(kind, &ns, &name)? {
            print_data(&format!("{} \"{name}\" deleted", kind.resource()))?;
        } else if !args.ignore_not_found {
            eprintln!("{}", not_found(Kind::Data(kind), &name));
            status = ExitStatus::Failure;
        }
    }
    for (ns, name) in targets {
        let Some(job) = store.get_job(&ns, &name)? else {
            if !args.ignore_not_found {
                eprintln!("{}", not_found(Kind::Job, &name));
                status = ExitStatus::Failure;
            }
            continue;
        };
        delete_stored(global, &mut store, &job, orphan).await?;
        print_data(&format!("job.batch \"{name}\" deleted"))?;
    }
    Ok(status)
}

/// The names to delete: those given, or those `-l SELECTOR` picks with `list` (kubectl's
/// checks first: some name or a selector, not both, a selector that parses); `None` when the
/// selector picks nothing, after kubectl's `No resources found` (on stdout, exit 0).
fn target_names(
    global: &GlobalArgs,
    kind: Kind,
    selector: Option<&str>,
    names: Vec<String>,
    list: impl FnOnce(&Store, &str) -> anyhow::Result<Vec<String>>,
) -> anyhow::Result<Option<Vec<String>>> {
    let Some(selector) = selector else {
        if names.is_empty() {
            return Err(user_error(
                "resource(s) were provided, but no name was specified",
            ));
        }
        return Ok(Some(names));
    };
    if !names.is_empty() {
        return Err(user_error(
            "name cannot be provided when a selector is specified",
        ));
    }
    check_selector(kind, Some(selector))?;
    let picked = list(&open_store(global)?, selector)?;
    if picked.is_empty() {
        print_data("No resources found")?;
        return Ok(None);
    }
    Ok(Some(picked))
}

/// Deletes one stored Job as `delete` does: its controller (or foreground `run`) stops its
/// pods, its containers are removed on the engine it was created on (kept with `orphan`),
/// and the Job is forgotten. Also `run --replace`'s first step.
pub(super) async fn delete_stored(
    global: &GlobalArgs,
    store: &mut Store,
    job: &StoredJob,
    orphan: bool,
) -> anyhow::Result<()> {
    // Before anything changes: an engine that is not there leaves the Job as it was.
    let engine = match orphan {
        true => None,
        false => Some(job_engine(global, job).await?),
    };
    store.mark_deleting(&job.uid, now())?;
    wait_for_controller(store, &job.uid).await?;
    if let Some(engine) = &engine {
        let grace = job
            .job
            .spec
            .as_ref()
            .and_then(|s| s.template.spec.as_ref())
            .and_then(|p| p.termination_grace_period_seconds)
            .unwrap_or(30);
        remove_job_containers(
            engine,
            store,
            &job.uid,
            Duration::from_secs(grace.max(0) as u64),
        )
        .await?;
    }
    store.remove_job(&job.uid)?;
    super::controller::forget_controller_log(global, &job.uid);
    Ok(())
}

/// The data kind (`configmaps`, `secret/NAME`, …) a `delete` argument names, if any.
fn data_kind(resource: &str) -> Option<ObjectKind> {
    let kind = resource.split_once('/').map_or(resource, |(k, _)| k);
    ObjectKind::from_resource(kind)
}

/// Waits until the Job's controller (which checks for deletion every heartbeat) has stopped
/// its pods and let the lease go, or its lease expired.
async fn wait_for_controller(store: &Store, uid: &str) -> anyhow::Result<()> {
    let started = Instant::now();
    while let Some(lease) = store.lease(uid)? {
        if lease.is_expired(now(), LEASE_TTL) || started.elapsed() > Duration::from_secs(60) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}
