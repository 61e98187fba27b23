//! apimachinery's `HumanDuration` (`k8s.io/apimachinery/pkg/util/duration/duration.go`) and
//! kubectl's `translateTimestampSince`. Pure: `now` is a parameter.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::tz::TimeZone;
use k8s_openapi::jiff::Timestamp;

/// `HumanDuration` of a signed duration in nanoseconds, byte for byte: `<invalid>` below
/// −1s, `0s` up to 0, then `Ns`, `XmYs`, `Xm`, `XhYm`, `Xh`, `XdYh`, `Xd`, `XyYd`, `Xy`
/// with Go's integer truncation.
pub fn human_duration_nanos(nanos: i128) -> String {
    const SECOND: i128 = 1_000_000_000;
    const MINUTE: i128 = 60 * SECOND;
    const HOUR: i128 = 60 * MINUTE;
    // Allow deviation no more than 2 seconds (excluded) to tolerate machine time skew.
    let seconds = nanos / SECOND;
    if seconds < -1 {
        return "<invalid>".to_string();
    } else if seconds < 0 {
        return "0s".to_string();
    } else if seconds < 60 * 2 {
        return format!("{seconds}s");
    }
    let minutes = nanos / MINUTE;
    if minutes < 10 {
        let s = seconds % 60;
        if s == 0 {
            return format!("{minutes}m");
        }
        return format!("{minutes}m{s}s");
    } else if minutes < 60 * 3 {
        return format!("{minutes}m");
    }
    let hours = nanos / HOUR;
    if hours < 8 {
        let m = minutes % 60;
        if m == 0 {
            return format!("{hours}h");
        }
        return format!("{hours}h{m}m");
    } else if hours < 48 {
        return format!("{hours}h");
    } else if hours < 24 * 8 {
        let h = hours % 24;
        if h == 0 {
            return format!("{}d", hours / 24);
        }
        return format!("{}d{h}h", hours / 24);
    } else if hours < 24 * 365 * 2 {
        return format!("{}d", hours / 24);
    } else if hours < 24 * 365 * 8 {
        let dy = (hours / 24) % 365;
        if dy == 0 {
            return format!("{}y", hours / 24 / 365);
        }
        return format!("{}y{dy}d", hours / 24 / 365);
    }
    format!("{}y", hours / 24 / 365)
}

/// `HumanDuration(later − earlier)`.
pub fn human_between(earlier: Timestamp, later: Timestamp) -> String {
    human_duration_nanos(later.as_nanosecond() - earlier.as_nanosecond())
}

/// kubectl's `translateTimestampSince`: `<unknown>` for a missing time, else the age.
pub fn age(time: Option<&Time>, now: Timestamp) -> String {
    match time {
        Some(t) if t.0 != Timestamp::UNIX_EPOCH => human_between(t.0, now),
        _ => "<unknown>".to_string(),
    }
}

/// Go's `time.RFC1123Z` (`Mon, 02 Jan 2006 15:04:05 -0700`) in `tz`, as `describe` prints times.
pub fn rfc1123z(t: Timestamp, tz: &TimeZone) -> String {
    t.to_zoned(tz.clone())
        .strftime("%a, %d %b %Y %H:%M:%S %z")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(secs: i64) -> String {
        human_duration_nanos(i128::from(secs) * 1_000_000_000)
    }

    #[test]
    fn every_range_of_human_duration() {
        // The cases of apimachinery's duration_test.go TestHumanDuration.
        let cases: &[(i64, &str)] = &[
            (-2, "<invalid>"),
            (-1, "0s"),
            (0, "0s"),
            (1, "1s"),
            (90, "90s"),
            (119, "119s"),
            (120, "2m"),
            (121, "2m1s"),
            (599, "9m59s"),
            (600, "10m"),
            (179 * 60 + 59, "179m"),
            (3 * 3600, "3h"),
            (3 * 3600 + 60, "3h1m"),
            (8 * 3600 - 1, "7h59m"),
            (8 * 3600, "8h"),
            (47 * 3600 + 3599, "47h"),
            (48 * 3600, "2d"),
            (51 * 3600, "2d3h"),
            (8 * 86400 - 1, "7d23h"),
            (8 * 86400, "8d"),
            (729 * 86400, "729d"),
            (730 * 86400, "2y"),
            (737 * 86400, "2y7d"),
            (8 * 365 * 86400 - 1, "7y364d"),
            (8 * 365 * 86400, "8y"),
        ];
        for (secs, want) in cases {
            assert_eq!(h(*secs), *want, "{secs}s");
        }
    }

    #[test]
    fn sub_second_skew_rounds_toward_zero() {
        assert_eq!(human_duration_nanos(-1_999_999_999), "0s");
        assert_eq!(human_duration_nanos(-2_000_000_000), "<invalid>");
        assert_eq!(human_duration_nanos(1_999_999_999), "1s");
    }

    #[test]
    fn rfc1123z_matches_go() {
        let t: Timestamp = "2019-12-02T13:20:11Z".parse().unwrap();
        assert_eq!(
            rfc1123z(t, &TimeZone::UTC),
            "Mon, 02 Dec 2019 13:20:11 +0000"
        );
        let plus2 = TimeZone::fixed(k8s_openapi::jiff::tz::offset(2));
        assert_eq!(rfc1123z(t, &plus2), "Mon, 02 Dec 2019 15:20:11 +0200");
    }
}
