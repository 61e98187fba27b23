//! Retry delays, as pure functions of counts: the Job controller's pod-failure backoff and
//! the kubelet's container-restart backoff (restartPolicy OnFailure).
//!
//! Pure: no clock, no I/O. Times are computed by the caller from the values returned here.

use std::time::Duration;

/// First pod-failure delay (`DefaultJobPodFailureBackOff`, kubernetes
/// `pkg/controller/job/job_controller.go`).
pub const POD_FAILURE_BACKOFF_BASE: Duration = Duration::from_secs(10);

/// Cap of the pod-failure delay (`MaxJobPodFailureBackOff = 10 * time.Minute` in
/// `pkg/controller/job/job_controller.go`; the docs' "six minutes" is the older `MaxJobBackOff`).
pub const POD_FAILURE_BACKOFF_MAX: Duration = Duration::from_secs(600);

/// First container-restart delay (kubelet `backOffPeriod`, `pkg/kubelet/kubelet.go`).
pub const CONTAINER_RESTART_BACKOFF_BASE: Duration = Duration::from_secs(10);

/// Cap of the container-restart delay (`MaxContainerBackOff = 300s`,
/// `pkg/kubelet/apis/config/v1beta1/defaults.go`).
pub const CONTAINER_RESTART_BACKOFF_MAX: Duration = Duration::from_secs(300);

/// Delay before the next pod is created after `failures` consecutive failed pods
/// (failures after the last success): `10s × 2^(n−1)`, capped at 10 min, scaled by `scale`.
///
/// Mirrors `getRemainingTime` in kubernetes `pkg/controller/job/backoff_utils.go`.
/// `failures == 0` means no delay.
pub fn pod_failure_delay(failures: u32, scale: f64) -> Duration {
    scaled(
        doubling(failures, POD_FAILURE_BACKOFF_BASE, POD_FAILURE_BACKOFF_MAX),
        scale,
    )
}

/// Delay the kubelet waits before restarting a container that has exited `exits` times in a
/// row: 10 s, 20 s, 40 s, … capped at 300 s, scaled by `scale`.
///
/// Mirrors the flowcontrol backoff the kubelet keys by pod UID + container name
/// (`pkg/kubelet/kuberuntime/kuberuntime_manager.go` `doBackOff`).
pub fn container_restart_delay(exits: u32, scale: f64) -> Duration {
    scaled(
        doubling(
            exits,
            CONTAINER_RESTART_BACKOFF_BASE,
            CONTAINER_RESTART_BACKOFF_MAX,
        ),
        scale,
    )
}

/// `base × 2^(n−1)`, capped at `max`; zero for `n == 0`.
fn doubling(n: u32, base: Duration, max: Duration) -> Duration {
    if n == 0 {
        return Duration::ZERO;
    }
    // 2^(n−1) overflows long before n = 64; the cap is reached by n = 8 anyway.
    let exponent = (n - 1).min(20);
    base.saturating_mul(1 << exponent).min(max)
}

/// Multiplies a delay by the `--backoff-scale` knob; non-finite or negative scales count as 1.
fn scaled(delay: Duration, scale: f64) -> Duration {
    if !scale.is_finite() || scale < 0.0 {
        return delay;
    }
    Duration::try_from_secs_f64(delay.as_secs_f64() * scale).unwrap_or(Duration::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pod_failure_ladder_matches_kubernetes() {
        let secs: Vec<u64> = (1..=9)
            .map(|n| pod_failure_delay(n, 1.0).as_secs())
            .collect();
        assert_eq!(secs, [10, 20, 40, 80, 160, 320, 600, 600, 600]);
        assert_eq!(pod_failure_delay(0, 1.0), Duration::ZERO);
        assert_eq!(pod_failure_delay(u32::MAX, 1.0), POD_FAILURE_BACKOFF_MAX);
    }

    #[test]
    fn kubelet_ladder_caps_at_five_minutes() {
        let secs: Vec<u64> = (1..=8)
            .map(|n| container_restart_delay(n, 1.0).as_secs())
            .collect();
        assert_eq!(secs, [10, 20, 40, 80, 160, 300, 300, 300]);
    }

    #[test]
    fn scale_shortens_delays() {
        assert_eq!(pod_failure_delay(2, 0.01), Duration::from_millis(200));
        assert_eq!(pod_failure_delay(2, f64::NAN), Duration::from_secs(20));
        assert_eq!(pod_failure_delay(2, 1e300), Duration::MAX);
    }
}
