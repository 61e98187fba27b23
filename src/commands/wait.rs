//! `wait --for=condition=complete|failed job/NAME --timeout=30s` (and `--for=delete`), with
//! kubectl's messages: `job.batch/NAME condition met`, `error: timed out waiting for the
//! condition on jobs/NAME` (exit 1).

use std::time::{Duration, Instant};

use super::state::{namespace, not_found, open_store, Kind};
use crate::cli::{GlobalArgs, WaitArgs};
use crate::error::{user_error, ExitStatus};

/// How often the store is polled.
const POLL: Duration = Duration::from_millis(200);

/// What `--for` asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WaitFor {
    /// `condition=NAME[=VALUE]` (case-insensitive, VALUE defaults to `true`).
    Condition {
        /// Condition type.
        name: String,
        /// Expected status.
        value: String,
    },
    /// `delete`.
    Delete,
}

/// Parses `--for`.
pub fn parse_for(text: &str) -> Option<WaitFor> {
    if text.eq_ignore_ascii_case("delete") {
        return Some(WaitFor::Delete);
    }
    let rest = text.strip_prefix("condition=")?;
    let (name, value) = rest.split_once('=').unwrap_or((rest, "true"));
    (!name.is_empty()).then(|| WaitFor::Condition {
        name: name.to_string(),
        value: value.to_string(),
    })
}

/// Go's `time.ParseDuration` for the units kubectl users write (`ms`, `s`, `m`, `h`, mixed).
pub fn parse_go_duration(text: &str) -> Option<Duration> {
    if text == "0" {
        return Some(Duration::ZERO);
    }
    let mut total = 0f64;
    let mut rest = text;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number: f64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        total += number * scale;
        rest = &rest[unit_len..];
    }
    Some(Duration::from_secs_f64(total))
}

/// `dockjob wait`.
pub async fn wait(global: &GlobalArgs, args: &WaitArgs) -> anyhow::Result<ExitStatus> {
    let Some(condition) = parse_for(&args.condition) else {
        return Err(user_error(format!(
            "unrecognized condition: \"{}\"",
            args.condition
        )));
    };
    let Some(timeout) = parse_go_duration(&args.timeout) else {
        return Err(user_error(format!(
            "invalid argument \"{}\" for \"--timeout\" flag: time: invalid duration \"{}\"",
            args.timeout, args.timeout
        )));
    };
    let name = match args.target.split_once('/') {
        Some((kind, name)) if Kind::parse(kind) == Some(Kind::Job) => name.to_string(),
        _ => {
            return Err(user_error(format!(
                "wait works on Jobs: job/NAME (got \"{}\")",
                args.target
            )))
        }
    };
    let ns = namespace(global);
    let store = open_store(global)?;
    let started = Instant::now();
    let mut seen = false;
    loop {
        super::controller::revive_orphans(&store, global)?;
        let job = store.get_job(&ns, &name)?;
        match (&condition, job) {
            (WaitFor::Delete, None) => {
                super::print_data(&format!("job.batch/{name} condition met"))?;
                return Ok(ExitStatus::Success);
            }
            (WaitFor::Condition { .. }, None) if !seen => {
                eprintln!("{}", not_found(Kind::Job, &name));
                return Ok(ExitStatus::Failure);
            }
            (WaitFor::Condition { name: want, value }, Some(job)) => {
                seen = true;
                let met = job
                    .job
                    .status
                    .as_ref()
                    .and_then(|s| s.conditions.as_ref())
                    .is_some_and(|cs| {
                        cs.iter().any(|c| {
                            c.type_.eq_ignore_ascii_case(want)
                                && c.status.eq_ignore_ascii_case(value)
                        })
                    });
                if met {
                    super::print_data(&format!("job.batch/{name} condition met"))?;
                    return Ok(ExitStatus::Success);
                }
            }
            _ => {}
        }
        if started.elapsed() >= timeout {
            eprintln!("error: timed out waiting for the condition on jobs/{name}");
            return Ok(ExitStatus::Failure);
        }
        tokio::time::sleep(POLL.min(timeout.saturating_sub(started.elapsed()))).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn for_and_timeout_parse_like_kubectl() {
        assert_eq!(
            parse_for("condition=complete"),
            Some(WaitFor::Condition {
                name: "complete".into(),
                value: "true".into()
            })
        );
        assert_eq!(
            parse_for("condition=Failed=False"),
            Some(WaitFor::Condition {
                name: "Failed".into(),
                value: "False".into()
            })
        );
        assert_eq!(parse_for("delete"), Some(WaitFor::Delete));
        assert_eq!(parse_for("jsonpath={.x}"), None);
        assert_eq!(parse_go_duration("30s"), Some(Duration::from_secs(30)));
        assert_eq!(parse_go_duration("1m30s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_go_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_go_duration("0"), Some(Duration::ZERO));
        assert_eq!(parse_go_duration("30"), None);
    }
}
