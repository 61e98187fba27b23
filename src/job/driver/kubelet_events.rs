//! The texts of the events the scheduler and the kubelet record about a pod while the driver
//! runs it, exactly as Kubernetes 1.32 writes them (the release whose texts dockjob follows:
//! `Started container NAME`, before 1.33's `Created container: NAME` and 1.35's
//! `Container created`). Pure.
//!
//! Sources (kubernetes/kubernetes):
//! - `pkg/scheduler/schedule_one.go` `bindingCycle`: `Successfully assigned NS/POD to NODE`;
//! - `pkg/kubelet/images/image_manager.go` `EnsureImageExists`: `Pulling image "X"`,
//!   `Successfully pulled image "X" in D (D including waiting). Image size: N bytes.`
//!   (durations truncated to the millisecond, printed by Go's `time.Duration.String`),
//!   `Container image "X" already present on machine`;
//! - `pkg/kubelet/kuberuntime/kuberuntime_container.go` `startContainer`:
//!   `Created container NAME`, `Started container NAME`, `Error: …` (a failed start);
//!   `killContainer`:
//!   `Stopping container NAME` (in the controller, which decides the kill).

use std::time::Duration;

use crate::engine::EngineError;

/// `Successfully assigned default/pi-abcde to NODE` (reason `Scheduled`, source
/// `default-scheduler`).
pub fn scheduled(namespace: &str, pod: &str, node: &str) -> String {
    format!("Successfully assigned {namespace}/{pod} to {node}")
}

/// `Pulling image "busybox"` (reason `Pulling`).
pub fn pulling(image: &str) -> String {
    format!("Pulling image {image:?}")
}

/// `Successfully pulled image "busybox" in 1.2s (1.2s including waiting). Image size: 4261574
/// bytes.` (reason `Pulled`). dockjob pulls at once, so the pull and the wait for it are the
/// same time.
pub fn pulled(image: &str, took: Duration, size: i64) -> String {
    let took = go_duration(truncate_to_millis(took));
    format!("Successfully pulled image {image:?} in {took} ({took} including waiting). Image size: {size} bytes.")
}

/// `Container image "busybox:1.36" already present on machine` (reason `Pulled`).
pub fn already_present(image: &str) -> String {
    format!("Container image {image:?} already present on machine")
}

/// `Created container NAME` (reason `Created`).
pub fn created(container: &str) -> String {
    format!("Created container {container}")
}

/// `Error: failed to start container "ID": Error response from daemon: …` (reason `Failed`,
/// a warning): the kubelet's `startContainer` writes `Error: ` and the runtime's message
/// (events.FailedToStartContainer); cri-dockerd's `StartContainer` (`core/container_start.go`)
/// makes that `failed to start container %q: %v` of the container ID and the Docker client's
/// error, which says `Error response from daemon: ` before the engine's message.
pub fn failed_to_start(container_id: &str, error: &EngineError) -> String {
    let detail = match error {
        EngineError::Daemon(message) => format!("Error response from daemon: {message}"),
        other => other.to_string(),
    };
    format!("Error: failed to start container {container_id:?}: {detail}")
}

fn truncate_to_millis(d: Duration) -> Duration {
    Duration::from_millis(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Go's `time.Duration.String` for a whole number of milliseconds: `0s`, `523ms`, `1.2s`,
/// `1m2.345s`, `1h0m0.5s` (fraction digits without trailing zeros).
pub fn go_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms == 0 {
        return "0s".to_string();
    }
    if ms < 1000 {
        return format!("{ms}ms");
    }
    let (hours, rest) = (ms / 3_600_000, ms % 3_600_000);
    let (minutes, rest) = (rest / 60_000, rest % 60_000);
    let (seconds, millis) = (rest / 1000, rest % 1000);
    let mut seconds = seconds.to_string();
    if millis > 0 {
        let fraction = format!("{millis:03}");
        seconds = format!("{seconds}.{}", fraction.trim_end_matches('0'));
    }
    match (hours, minutes) {
        (0, 0) => format!("{seconds}s"),
        (0, m) => format!("{m}m{seconds}s"),
        (h, m) => format!("{h}h{m}m{seconds}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_print_as_go_prints_them() {
        // Expected values: Go's `(time.Duration(n) * time.Millisecond).String()`.
        let cases = [
            (0, "0s"),
            (1, "1ms"),
            (523, "523ms"),
            (1000, "1s"),
            (1200, "1.2s"),
            (1234, "1.234s"),
            (1050, "1.05s"),
            (62_345, "1m2.345s"),
            (60_000, "1m0s"),
            (3_600_500, "1h0m0.5s"),
        ];
        for (ms, want) in cases {
            assert_eq!(go_duration(Duration::from_millis(ms)), want, "{ms} ms");
        }
    }

    #[test]
    fn pulled_reads_as_the_kubelet_writes_it() {
        assert_eq!(
            pulled("busybox", Duration::from_micros(1_234_567), 4_261_574),
            "Successfully pulled image \"busybox\" in 1.234s (1.234s including waiting). \
             Image size: 4261574 bytes."
        );
    }

    #[test]
    fn the_scheduler_names_the_namespace_and_the_node() {
        assert_eq!(
            scheduled("default", "pi-x2k9q", "docker-desktop"),
            "Successfully assigned default/pi-x2k9q to docker-desktop"
        );
    }
}
