//! Arithmetic between wall-clock timestamps and durations, saturating instead of failing.

use std::time::Duration;

use k8s_openapi::jiff::{SignedDuration, Timestamp};

/// `t + d`, saturating at the largest timestamp.
pub fn add(t: Timestamp, d: Duration) -> Timestamp {
    let signed = SignedDuration::try_from(d).unwrap_or(SignedDuration::MAX);
    t.checked_add(signed).unwrap_or(Timestamp::MAX)
}

/// `later − earlier`, zero when `later` is not after `earlier`.
pub fn since(later: Timestamp, earlier: Timestamp) -> Duration {
    Duration::try_from(later.duration_since(earlier)).unwrap_or(Duration::ZERO)
}
