//! Table tests for the push retry policy: which failures are transient, and the delays.

use std::time::{Duration, SystemTime};

use dockjob::registry::retry::{
    classify, is_rate_limited, parse_retry_after, retry_after_refusal, retry_notice, FailureKind,
    RetryDecision, RetryPolicy,
};

const SECOND: Duration = Duration::from_secs(1);

#[test]
fn messages_are_classified_like_moby_retry_on_error() {
    use FailureKind::*;
    // Messages as dockerd 20.10 reports them in the push stream's errorDetail.
    let cases: [(&str, FailureKind); 24] = [
        ("unauthorized: authentication required", Unauthorized),
        ("unauthorized: incorrect username or password", Unauthorized),
        ("Get \"https://127.0.0.1:5000/v2/\": unauthorized: ", Unauthorized),
        ("denied: requested access to the resource is denied", Denied),
        ("errors:\ndenied: requested access to the resource is denied\nunauthorized: authentication required\n", Unauthorized),
        ("name unknown: repository name not known to registry", NotFound),
        ("manifest unknown: manifest unknown", NotFound),
        ("An image does not exist locally with the tag: 127.0.0.1:5000/x", NotFound),
        ("manifest invalid: manifest invalid", Invalid),
        ("tag invalid: manifest tag did not match URI", Invalid),
        ("toomanyrequests: You have reached your pull rate limit.", Transient),
        ("received unexpected HTTP status: 503 Service Unavailable", Transient),
        ("received unexpected HTTP status: 500 Internal Server Error", Transient),
        ("Patch \"http://127.0.0.1:5000/v2/x/blobs/uploads/1\": 502 Bad Gateway", Transient),
        ("Put \"http://127.0.0.1:5000/v2/x/manifests/1\": EOF", Transient),
        ("unexpected EOF", Transient),
        ("read tcp 127.0.0.1:41234->127.0.0.1:5000: read: connection reset by peer", Transient),
        ("write tcp 127.0.0.1:41234->127.0.0.1:5000: write: broken pipe", Transient),
        ("dial tcp 127.0.0.1:5000: connect: connection refused", Transient),
        ("net/http: TLS handshake timeout", Transient),
        ("dial tcp: lookup regsitry.example on 127.0.0.53:53: no such host", Other),
        ("Get \"https://127.0.0.1:5000/v2/\": http: server gave HTTP response to HTTPS client", Other),
        ("write /var/lib/docker/tmp/x: no space left on device", Other),
        ("something nobody has seen before", Other),
    ];
    for (message, expected) in cases {
        assert_eq!(classify(message, None), expected, "{message:?}");
    }
}

#[test]
fn sizes_and_digests_are_not_mistaken_for_statuses() {
    let message = "latest: digest: sha256:5001aa size: 500";
    assert_eq!(classify(message, None), FailureKind::Other);
}

#[test]
fn an_http_status_decides_on_its_own() {
    let cases: [(u16, FailureKind); 8] = [
        (401, FailureKind::Unauthorized),
        (403, FailureKind::Denied),
        (404, FailureKind::NotFound),
        (400, FailureKind::Invalid),
        (429, FailureKind::Transient),
        (500, FailureKind::Transient),
        (503, FailureKind::Transient),
        (408, FailureKind::Transient),
    ];
    for (status, expected) in cases {
        assert_eq!(classify("whatever", Some(status)), expected, "{status}");
    }
    assert_eq!(
        classify("connection reset by peer", Some(200)),
        FailureKind::Transient
    );
}

#[test]
fn backoff_doubles_from_one_second_and_caps_at_thirty() {
    let policy = RetryPolicy::default();
    let delays: Vec<u64> = (1..=8)
        .map(|retry| policy.backoff(retry).as_secs())
        .collect();
    assert_eq!(delays, [1, 2, 4, 8, 16, 30, 30, 30]);
    assert_eq!(policy.backoff(u32::MAX), 30 * SECOND, "no overflow");
}

#[test]
fn transient_failures_are_retried_a_bounded_number_of_times() {
    let policy = RetryPolicy::default();
    let decisions: Vec<RetryDecision> = (1..=6)
        .map(|attempts| policy.decide(attempts, FailureKind::Transient, None))
        .collect();
    assert_eq!(
        decisions,
        [
            RetryDecision::RetryAfter(SECOND),
            RetryDecision::RetryAfter(2 * SECOND),
            RetryDecision::RetryAfter(4 * SECOND),
            RetryDecision::RetryAfter(8 * SECOND),
            RetryDecision::GiveUp,
            RetryDecision::GiveUp,
        ]
    );
}

#[test]
fn permanent_failures_are_never_retried() {
    let policy = RetryPolicy::default();
    for kind in [
        FailureKind::Unauthorized,
        FailureKind::Denied,
        FailureKind::NotFound,
        FailureKind::Invalid,
        FailureKind::Other,
    ] {
        assert_eq!(
            policy.decide(1, kind, Some(SECOND)),
            RetryDecision::GiveUp,
            "{kind:?}"
        );
    }
}

#[test]
fn retry_after_is_honoured_when_longer_than_the_backoff() {
    let policy = RetryPolicy::default();
    let t = FailureKind::Transient;
    assert_eq!(
        policy.decide(1, t, Some(10 * SECOND)),
        RetryDecision::RetryAfter(10 * SECOND)
    );
    assert_eq!(
        policy.decide(4, t, Some(SECOND)),
        RetryDecision::RetryAfter(8 * SECOND)
    );
    assert_eq!(
        policy.decide(1, t, Some(120 * SECOND)),
        RetryDecision::RetryAfter(120 * SECOND)
    );
    assert_eq!(
        policy.decide(1, t, Some(121 * SECOND)),
        RetryDecision::GiveUp
    );
}

#[test]
fn retry_after_accepts_seconds_and_http_dates() {
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777); // Sun, 06 Nov 1994 08:49:37 GMT
    assert_eq!(parse_retry_after("120", now), Some(120 * SECOND));
    assert_eq!(parse_retry_after(" 7 ", now), Some(7 * SECOND));
    assert_eq!(
        parse_retry_after("Sun, 06 Nov 1994 08:50:07 GMT", now),
        Some(30 * SECOND)
    );
    assert_eq!(
        parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now),
        Some(Duration::ZERO)
    );
    assert_eq!(parse_retry_after("-1", now), None);
    assert_eq!(parse_retry_after("soon", now), None);
}

#[test]
fn retry_notice_names_attempt_delay_and_cause() {
    let policy = RetryPolicy::default();
    let line = retry_notice(
        "push of 127.0.0.1:5000/x:1",
        2 * SECOND,
        2,
        &policy,
        "read: connection reset by peer\nmore detail",
        None,
    );
    assert_eq!(
        line,
        "retrying push of 127.0.0.1:5000/x:1 in 2s (attempt 2 of 5): read: connection reset by peer"
    );
    let line = retry_notice("push", Duration::from_millis(1500), 3, &policy, "EOF", None);
    assert_eq!(line, "retrying push in 1.5s (attempt 3 of 5): EOF");
}

#[test]
fn retry_notice_says_when_the_registry_chose_the_wait() {
    let policy = RetryPolicy::default();
    let asked = Some(30 * SECOND);
    let delay = match policy.decide(1, FailureKind::Transient, asked) {
        RetryDecision::RetryAfter(delay) => delay,
        RetryDecision::GiveUp => panic!("30 s is within the cap"),
    };
    let line = retry_notice(
        "push of r/x:1",
        delay,
        2,
        &policy,
        "toomanyrequests: slow down",
        asked,
    );
    assert_eq!(
        line,
        "retrying push of r/x:1 in 30s (attempt 2 of 5; registry asked: Retry-After 30s): \
         toomanyrequests: slow down"
    );
    let line = retry_notice("push", 120 * SECOND, 2, &policy, "x", Some(120 * SECOND));
    assert!(
        line.contains("in 2m (attempt 2 of 5; registry asked: Retry-After 2m)"),
        "{line}"
    );
}

#[test]
fn a_retry_after_beyond_the_cap_is_refused_with_a_reason() {
    let policy = RetryPolicy::default();
    let asked = Some(3600 * SECOND);
    assert_eq!(
        policy.decide(1, FailureKind::Transient, asked),
        RetryDecision::GiveUp
    );
    assert_eq!(
        retry_after_refusal(&policy, asked).as_deref(),
        Some(
            "the registry asked to retry after 1h (Retry-After), \
             longer than dockjob waits (2m)"
        )
    );
    assert_eq!(retry_after_refusal(&policy, Some(120 * SECOND)), None);
    assert_eq!(retry_after_refusal(&policy, None), None);
}

#[test]
fn rate_limits_are_recognised_in_engine_messages() {
    for message in [
        "toomanyrequests: You have reached your pull rate limit.",
        "received unexpected HTTP status: 429 Too Many Requests",
        "too many requests",
    ] {
        assert!(is_rate_limited(message), "{message}");
        assert_eq!(classify(message, None), FailureKind::Transient, "{message}");
    }
    assert!(!is_rate_limited("connection reset by peer"));
    assert!(
        !is_rate_limited("blob sha256:4290 unknown"),
        "a digest is no status"
    );
}
