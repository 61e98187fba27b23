//! `logs POD | pod/POD | job/NAME`: a pod's container output from the engine, chosen as kubectl
//! does (`podutils.ByLogging` for a Job; `-c`, `--all-containers` or the default container),
//! with `-f`, `--previous`, `--prefix`, `--all-pods`.

use std::io::Write;

use futures_util::stream::{BoxStream, SelectAll, StreamExt};
use k8s_openapi::api::core::v1::Pod;

use super::state::{namespace, not_found, open_store, Kind};
use crate::cli::{GlobalArgs, LogsArgs};
use crate::engine::{EngineError, LogChunk, PodRuntime};
use crate::error::ExitStatus;
use crate::render::tables::pod_summary;
use crate::store::StoredPod;

/// How long `logs job/NAME` waits for a pod (kubectl's `--pod-running-timeout` default).
const POD_RUNNING_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);

/// `dockjob logs`.
pub async fn logs<E: PodRuntime>(
    engine: &E,
    global: &GlobalArgs,
    args: &LogsArgs,
) -> anyhow::Result<ExitStatus> {
    let store = open_store(global)?;
    super::controller::revive_orphans(&store, global)?;
    let ns = namespace(global);
    let (kind, name) = match args.target.split_once('/') {
        Some((kind, name)) => match Kind::parse(kind) {
            Some(k @ (Kind::Job | Kind::Pod)) => (k, name.to_string()),
            _ => {
                eprintln!("error: cannot get the logs from {kind}");
                return Ok(ExitStatus::Failure);
            }
        },
        None => (Kind::Pod, args.target.clone()),
    };
    let all = store.list_pods(Some(&ns), None)?;
    let mut pods: Vec<StoredPod> = match kind {
        Kind::Job => {
            let Some(job) = store.get_job(&ns, &name)? else {
                eprintln!("{}", not_found(Kind::Job, &name));
                return Ok(ExitStatus::Failure);
            };
            // As kubectl's --pod-running-timeout (20s): wait for the Job's first pod.
            let deadline = std::time::Instant::now() + POD_RUNNING_TIMEOUT;
            let mut pods: Vec<StoredPod> =
                all.into_iter().filter(|p| p.job_uid == job.uid).collect();
            while pods.iter().all(|p| p.container_id.is_none())
                && std::time::Instant::now() < deadline
            {
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                pods = store.list_pods(Some(&ns), Some(&job.uid))?;
            }
            pods
        }
        _ => {
            let pod: Vec<StoredPod> = all
                .into_iter()
                .filter(|p| p.pod.metadata.name.as_deref() == Some(name.as_str()))
                .collect();
            if pod.is_empty() {
                eprintln!("{}", not_found(Kind::Pod, &name));
                return Ok(ExitStatus::Failure);
            }
            pod
        }
    };
    if pods.is_empty() {
        eprintln!("error: timed out waiting for the condition");
        return Ok(ExitStatus::Failure);
    }
    sort_by_logging(&mut pods);
    let prefix = args.prefix || args.all_pods;
    if kind == Kind::Job && !args.all_pods {
        if pods.len() > 1 {
            let first = pods[0].pod.metadata.name.clone().unwrap_or_default();
            eprintln!("Found {} pods, using pod/{first}", pods.len());
        }
        pods.truncate(1);
    }
    let mut streams: SelectAll<BoxStream<'static, (String, String, Piece)>> = SelectAll::new();
    for pod in &pods {
        let pod_name = pod.pod.metadata.name.clone().unwrap_or_default();
        let containers = match pick_containers(&pod.pod, args) {
            Ok(containers) => containers,
            Err(message) => {
                eprintln!("error: {message}");
                return Ok(ExitStatus::Failure);
            }
        };
        for container in containers {
            let (current, previous) = engine_ids(pod, &container);
            let id = if args.previous {
                match previous {
                    Some(id) => id,
                    None => {
                        eprintln!(
                            "Error from server (BadRequest): previous terminated container \"{container}\" in pod \"{pod_name}\" not found"
                        );
                        return Ok(ExitStatus::Failure);
                    }
                }
            } else {
                match current {
                    Some(id) => id,
                    None => {
                        let reason = pod_summary(&pod.pod).status;
                        eprintln!(
                            "Error from server (BadRequest): container \"{container}\" in pod \"{pod_name}\" is waiting to start: {reason}"
                        );
                        return Ok(ExitStatus::Failure);
                    }
                }
            };
            let label = format!("[pod/{pod_name}/{container}] ");
            let stream = engine
                .logs(&id, args.follow)
                .filter_map(|chunk| async move {
                    match chunk {
                        Ok(chunk) => Some(Piece::Chunk(chunk)),
                        Err(EngineError::ContainerNotFound(_)) => Some(Piece::Gone),
                        // Kept as before: a log stream that breaks off ends quietly.
                        Err(_) => None,
                    }
                })
                .map({
                    let pod_name = pod_name.clone();
                    move |piece| (label.clone(), pod_name.clone(), piece)
                })
                .boxed();
            if args.follow {
                streams.push(stream);
            } else {
                // Without -f, containers are printed one after the other.
                let mut one = stream;
                let mut buffers = LineBuffers::default();
                while let Some((label, pod, piece)) = one.next().await {
                    match piece {
                        Piece::Chunk(chunk) => buffers.write(&label, Some(chunk), prefix)?,
                        Piece::Gone => return Ok(removed_pod(&pod)),
                    }
                }
                buffers.flush_all(prefix)?;
            }
        }
    }
    let mut buffers = LineBuffers::default();
    while let Some((label, pod, piece)) = streams.next().await {
        match piece {
            Piece::Chunk(chunk) => buffers.write(&label, Some(chunk), prefix)?,
            Piece::Gone => {
                buffers.flush_all(prefix)?;
                return Ok(removed_pod(&pod));
            }
        }
    }
    buffers.flush_all(prefix)?;
    Ok(ExitStatus::Success)
}

/// What one container's log stream gives: output, or word that the engine has no such
/// container any more.
enum Piece {
    Chunk(LogChunk),
    Gone,
}

/// A pod whose containers were removed (`run --rm`, `ttlSecondsAfterFinished`, `delete` of its
/// Job while `logs` ran): its output went with them, and dockjob keeps no copy. kubectl says
/// what the API server says of a deleted pod (apimachinery `pkg/api/errors/errors.go`
/// `NewNotFound`, printed by kubectl `pkg/cmd/util/helpers.go` `checkErr`) and exits 1.
/// Bug: issue 15 (`logs` of a `run --rm` pod printed nothing and exited 0).
fn removed_pod(pod: &str) -> ExitStatus {
    eprintln!("{}", not_found(Kind::Pod, pod));
    ExitStatus::Failure
}

/// The containers `logs` shows (kubectl `logsforobject.go`): every one with
/// `--all-containers`, the one named by `-c`, else the
/// `kubectl.kubernetes.io/default-container` annotation, else the first (saying so on stderr
/// when there are several: `Defaulted container "a" out of: a, b`).
fn pick_containers(pod: &Pod, args: &LogsArgs) -> Result<Vec<String>, String> {
    let names: Vec<String> = pod
        .spec
        .as_ref()
        .map(|s| s.containers.iter().map(|c| c.name.clone()).collect())
        .unwrap_or_default();
    let pod_name = pod.metadata.name.clone().unwrap_or_default();
    if args.all_containers {
        return Ok(names);
    }
    if let Some(wanted) = &args.container {
        if !names.contains(wanted) {
            return Err(format!(
                "container {wanted} is not valid for pod {pod_name}"
            ));
        }
        return Ok(vec![wanted.clone()]);
    }
    let annotated = pod
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get("kubectl.kubernetes.io/default-container"))
        .filter(|name| names.contains(name));
    if let Some(name) = annotated {
        return Ok(vec![name.clone()]);
    }
    let first = names.first().cloned().unwrap_or_default();
    if names.len() > 1 {
        eprintln!("Defaulted container {first:?} out of: {}", names.join(", "));
    }
    Ok(vec![first])
}

/// The engine containers of `container`'s current and previous run: from the Pod's
/// `containerID` and `lastState.terminated.containerID`, else (single-container pods stored
/// before those were recorded) the row's IDs.
fn engine_ids(pod: &StoredPod, container: &str) -> (Option<String>, Option<String>) {
    let status = pod
        .pod
        .status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref())
        .and_then(|list| list.iter().find(|c| c.name == container));
    let strip = |id: &String| id.trim_start_matches("docker://").to_string();
    let current = status.and_then(|s| s.container_id.as_ref()).map(strip);
    let previous = status
        .and_then(|s| s.last_state.as_ref())
        .and_then(|s| s.terminated.as_ref())
        .and_then(|t| t.container_id.as_ref())
        .map(strip);
    let single = pod
        .pod
        .spec
        .as_ref()
        .is_some_and(|s| s.containers.len() == 1);
    if !single {
        return (current, previous);
    }
    (
        current.or_else(|| pod.container_id.clone()),
        previous.or_else(|| pod.previous_container_id.clone()),
    )
}

/// `podutils.ByLogging` for dockjob's pods (none is assigned to a node or has a Ready
/// condition): Running/Succeeded/Failed before Unknown before Pending, more restarts first,
/// older first.
pub fn sort_by_logging(pods: &mut [StoredPod]) {
    let phase_rank = |p: &StoredPod| match p
        .pod
        .status
        .as_ref()
        .and_then(|s| s.phase.as_deref())
        .unwrap_or_default()
    {
        "Unknown" => 1,
        "Pending" => 2,
        _ => 0,
    };
    let restarts = |p: &StoredPod| {
        p.pod
            .status
            .as_ref()
            .and_then(|s| s.container_statuses.as_ref())
            // `maxContainerRestarts`: the most restarted container counts.
            .and_then(|c| c.iter().map(|c| c.restart_count).max())
            .unwrap_or(0)
    };
    let created = |p: &StoredPod| p.pod.metadata.creation_timestamp.as_ref().map(|t| t.0);
    pods.sort_by(|a, b| {
        phase_rank(a)
            .cmp(&phase_rank(b))
            .then(restarts(b).cmp(&restarts(a)))
            .then(created(a).cmp(&created(b)))
    });
}

/// Splits chunks into lines per pod and stream so prefixes land at line starts.
#[derive(Default)]
struct LineBuffers {
    partial: std::collections::HashMap<(String, bool), Vec<u8>>,
}

impl LineBuffers {
    fn write(&mut self, label: &str, chunk: Option<LogChunk>, prefix: bool) -> std::io::Result<()> {
        let Some(chunk) = chunk else {
            return Ok(());
        };
        // The API server serves one combined log; kubectl prints it all on stdout.
        let is_err = false;
        if !prefix {
            return emit(is_err, &chunk.bytes);
        }
        let buffer = self.partial.entry((label.to_string(), is_err)).or_default();
        buffer.extend_from_slice(&chunk.bytes);
        while let Some(pos) = buffer.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = buffer.drain(..=pos).collect();
            let mut out = label.as_bytes().to_vec();
            out.extend_from_slice(&line);
            emit(is_err, &out)?;
        }
        Ok(())
    }

    fn flush_all(&mut self, prefix: bool) -> std::io::Result<()> {
        for ((label, is_err), rest) in self.partial.drain() {
            if !rest.is_empty() {
                let mut out = if prefix {
                    label.into_bytes()
                } else {
                    Vec::new()
                };
                out.extend_from_slice(&rest);
                out.push(b'\n');
                emit(is_err, &out)?;
            }
        }
        Ok(())
    }
}

fn emit(_is_err: bool, bytes: &[u8]) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)?;
    out.flush()
}
