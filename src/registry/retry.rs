//! When a failed push is worth repeating, and how long to wait first.
//!
//! Owns [`classify`], [`RetryPolicy`], [`is_rate_limited`] and [`parse_retry_after`]. Pure: time is a parameter, no
//! sleeping, no printing. The caller sleeps, prints [`retry_notice`] on stderr, and tries again.
//!
//! One retry policy per failure: the engine retries layer uploads itself, so a push whose
//! layers the engine already retried is not pushed again ([`RetryPolicy::decide_push`]);
//! dockjob's own retries cover what the engine does not retry (the registry's ping and
//! manifest, connection failures before the uploads, and a 429 with its `Retry-After`).
//!
//! The split follows moby `distribution/errors.go` `retryOnError`: registry error codes
//! `UNAUTHORIZED`, `DENIED`, `NAME_UNKNOWN`, `UNSUPPORTED`, unknown blobs and a full disk are
//! final; network failures are worth another go. Unlike moby, 429 `TOOMANYREQUESTS` is retried
//! here (honouring `Retry-After`), and a message that matches nothing is final (to not hide
//! unexpected errors behind minutes of retries).

use std::sync::LazyLock;
use std::time::{Duration, SystemTime};

use regex::Regex;

/// What a failure means for retrying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// Network trouble, a 5xx, or rate limiting: another attempt may succeed.
    Transient,
    /// The registry refused the credentials (or needs some): 401 / `unauthorized`.
    Unauthorized,
    /// The credentials are fine but may not push here: 403 / `denied`.
    Denied,
    /// The repository, manifest or blob does not exist: 404 / `name unknown` …
    NotFound,
    /// The registry rejected what was sent (`manifest invalid`, `tag invalid`, 400).
    Invalid,
    /// Anything else; not retried.
    Other,
}

impl FailureKind {
    /// Whether another attempt may succeed.
    pub fn is_transient(self) -> bool {
        self == FailureKind::Transient
    }
}

/// Ordered rules: the first that matches decides. Final causes come first, so
/// `unauthorized: … EOF` is not retried.
static RULES: LazyLock<Vec<(Regex, FailureKind)>> = LazyLock::new(|| {
    let rules: [(&str, FailureKind); 12] = [
        (
            r"(?i)\bunauthori[sz]ed\b|authentication required|incorrect username or password",
            FailureKind::Unauthorized,
        ),
        (r"(?i)\bdenied\b|\bforbidden\b", FailureKind::Denied),
        (
            r"(?i)name unknown|manifest unknown|blob unknown|repository does not exist|\b404 Not Found\b|does not exist locally",
            FailureKind::NotFound,
        ),
        (
            r"(?i)manifest invalid|tag invalid|digest invalid|name invalid|size invalid|blob upload invalid|\bunsupported\b|\b400 Bad Request\b",
            FailureKind::Invalid,
        ),
        (r"(?i)no space left on device", FailureKind::Other),
        (
            r"(?i)no such host|server gave HTTP response to HTTPS client|certificate|x509",
            FailureKind::Other,
        ),
        (
            r"(?i)toomanyrequests|too many requests|rate limit",
            FailureKind::Transient,
        ),
        (
            r"(?i)connection reset|broken pipe|connection refused|connection aborted|i/o timeout|timed out|timeout awaiting|TLS handshake timeout",
            FailureKind::Transient,
        ),
        (r"\bEOF\b", FailureKind::Transient),
        (
            r"(?i)(?:HTTP status|status code|status):? 5\d\d\b",
            FailureKind::Transient,
        ),
        (
            r"(?i)\b5\d\d (?:Internal Server Error|Not Implemented|Bad Gateway|Service Unavailable|Gateway Time-?out)\b",
            FailureKind::Transient,
        ),
        (
            r"(?i)internal server error|bad gateway|service unavailable|gateway time-?out",
            FailureKind::Transient,
        ),
    ];
    rules
        .into_iter()
        .map(|(pattern, kind)| (Regex::new(pattern).expect("valid retry rule"), kind))
        .collect()
});

/// Classifies a push failure from the engine's or registry's message and, when known, the
/// HTTP status. A status decides on its own (401, 403, 404, 400, 429, 5xx); otherwise the
/// message is matched against known registry and network error texts.
pub fn classify(message: &str, http_status: Option<u16>) -> FailureKind {
    match http_status {
        Some(401) => return FailureKind::Unauthorized,
        Some(403) => return FailureKind::Denied,
        Some(404) => return FailureKind::NotFound,
        Some(400) => return FailureKind::Invalid,
        Some(408 | 429 | 500..=599) => return FailureKind::Transient,
        _ => {}
    }
    RULES
        .iter()
        .find(|(pattern, _)| pattern.is_match(message))
        .map_or(FailureKind::Other, |(_, kind)| *kind)
}

/// Whether the failure is the registry's rate limit (`429 Too Many Requests`), after which
/// it may say how long to wait (see [`super::rate_limit`]).
pub fn is_rate_limited(message: &str) -> bool {
    static RATE_LIMITED: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)toomanyrequests|too many requests|\b429\b").expect("valid pattern")
    });
    RATE_LIMITED.is_match(message)
}

/// Parses a `Retry-After` header: delay-seconds, or an HTTP date relative to `now`
/// (RFC 9110 §10.2.3). A date in the past means "now" (zero).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryDecision {
    /// Wait this long, then try again.
    RetryAfter(Duration),
    /// Stop and report the failure.
    GiveUp,
}

/// Capped exponential backoff with a bounded number of attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in total, the first included (5: one try and four retries).
    pub max_attempts: u32,
    /// Wait before the first retry; doubled for each further retry.
    pub initial_delay: Duration,
    /// No computed wait exceeds this.
    pub max_delay: Duration,
    /// A `Retry-After` longer than this is not waited for: the failure is reported instead.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    /// 5 attempts, waits of 1 s, 2 s, 4 s, 8 s (cap 30 s), `Retry-After` honoured up to 2 min.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            initial_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `retry` (1 for the first retry): `initial × 2^(retry-1)`,
    /// capped at `max_delay`.
    pub fn backoff(&self, retry: u32) -> Duration {
        let exponent = retry.saturating_sub(1).min(31);
        self.initial_delay
            .checked_mul(1u32 << exponent)
            .map_or(self.max_delay, |d| d.min(self.max_delay))
    }

    /// [`RetryPolicy::decide`] for a push through the engine, which retries each failed layer
    /// upload itself (moby `distribution/xfer/upload.go`: 5 attempts, 5 s, 10 s, 15 s, 20 s
    /// apart, shown as `Retrying in N seconds`). When it did (`engine_retried`), the failure
    /// has had its retries: pushing again would multiply them (5 pushes × 5 uploads, ~265 s
    /// where `docker push` gives up after ~50 s), so the push gives up — unless the registry
    /// asked for a wait (`Retry-After`), which the engine never retries.
    pub fn decide_push(
        &self,
        attempts_made: u32,
        kind: FailureKind,
        retry_after: Option<Duration>,
        engine_retried: bool,
    ) -> RetryDecision {
        if engine_retried && retry_after.is_none() {
            return RetryDecision::GiveUp;
        }
        self.decide(attempts_made, kind, retry_after)
    }

    /// After `attempts_made` attempts (≥ 1) the last of which failed as `kind`: retry after the
    /// backoff, or after `retry_after` when the registry asked for longer, or give up.
    pub fn decide(
        &self,
        attempts_made: u32,
        kind: FailureKind,
        retry_after: Option<Duration>,
    ) -> RetryDecision {
        if !kind.is_transient() || attempts_made >= self.max_attempts {
            return RetryDecision::GiveUp;
        }
        let backoff = self.backoff(attempts_made);
        match retry_after {
            Some(asked) if asked > self.max_retry_after => RetryDecision::GiveUp,
            Some(asked) => RetryDecision::RetryAfter(asked.max(backoff)),
            None => RetryDecision::RetryAfter(backoff),
        }
    }
}

/// The stderr line for one retry: `retrying push of x:1 in 2s (attempt 2 of 5): connection
/// reset by peer`; with the registry's `retry_after`, `… in 30s (attempt 2 of 5; registry asked:
/// Retry-After 30s): toomanyrequests: …`.
pub fn retry_notice(
    what: &str,
    delay: Duration,
    next_attempt: u32,
    policy: &RetryPolicy,
    cause: &str,
    retry_after: Option<Duration>,
) -> String {
    let cause = cause.lines().next().unwrap_or_default().trim();
    let asked = retry_after
        .map(|asked| format!("; registry asked: Retry-After {}", human_delay(asked)))
        .unwrap_or_default();
    format!(
        "retrying {what} in {} (attempt {next_attempt} of {}{asked}): {cause}",
        human_delay(delay),
        policy.max_attempts
    )
}

/// Why a transient failure is not retried although attempts are left: the registry asked for
/// a longer wait than `policy` allows. `None` when that is not the reason.
pub fn retry_after_refusal(policy: &RetryPolicy, retry_after: Option<Duration>) -> Option<String> {
    let asked = retry_after.filter(|asked| *asked > policy.max_retry_after)?;
    Some(format!(
        "the registry asked to retry after {} (Retry-After), longer than dockjob waits ({})",
        human_delay(asked),
        human_delay(policy.max_retry_after)
    ))
}

/// `1s`, `2.5s`, `500ms`, `2m`, `1h30m`.
fn human_delay(delay: Duration) -> String {
    if delay < Duration::from_secs(1) {
        return format!("{}ms", delay.as_millis());
    }
    let whole = delay.as_secs();
    if whole >= 60 && delay.subsec_nanos() == 0 {
        let (hours, minutes, seconds) = (whole / 3600, whole / 60 % 60, whole % 60);
        return [(hours, "h"), (minutes, "m"), (seconds, "s")]
            .iter()
            .filter(|(n, _)| *n > 0)
            .map(|(n, unit)| format!("{n}{unit}"))
            .collect();
    }
    let secs = delay.as_secs_f64();
    if secs.fract() == 0.0 {
        format!("{}s", delay.as_secs())
    } else {
        format!("{secs:.1}s")
    }
}
