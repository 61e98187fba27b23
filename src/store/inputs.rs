//! The controller's input log: its seed and creation time, then every input with its time, so
//! a new controller process can rebuild the Job's state exactly (see
//! [`crate::job::driver::resume_foreground`]).

use k8s_openapi::jiff::Timestamp;
use rusqlite::{params, OptionalExtension, Transaction};
use serde_json::{json, Value};

use super::{Store, StoreError};
use crate::engine::ContainerExit;
use crate::job::controller::{EventType, Input};
use crate::job::driver::{Replay, ReplayStep};

impl Store {
    /// A controller started from scratch for the Job: records its seed and time and drops any
    /// older log.
    pub fn start_input_log(
        &mut self,
        job_uid: &str,
        at: Timestamp,
        seed: u64,
    ) -> Result<(), StoreError> {
        self.write(|tx| start_input_log_in(tx, job_uid, at, seed))
    }

    /// Appends inputs to the Job's log.
    pub fn append_inputs(
        &mut self,
        job_uid: &str,
        inputs: &[(ReplayStep, Timestamp)],
    ) -> Result<(), StoreError> {
        if inputs.is_empty() {
            return Ok(());
        }
        self.write(|tx| append_inputs_in(tx, job_uid, inputs))
    }

    /// The Job's replay log, if a controller ever started for it.
    pub fn replay(&self, job_uid: &str) -> Result<Option<Replay>, StoreError> {
        let head: Option<(Option<String>, Option<String>)> = self
            .conn
            .query_row(
                "SELECT controller_seed, controller_started FROM jobs WHERE uid = ?1",
                params![job_uid],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(|e| self.sqlite(e))?;
        let Some((Some(seed), Some(started))) = head else {
            return Ok(None);
        };
        let seed: u64 = seed
            .parse()
            .map_err(|e| self.corrupt("controller seed", e))?;
        let started: Timestamp = started
            .parse()
            .map_err(|e| self.corrupt("controller start time", e))?;
        let mut stmt = self
            .conn
            .prepare("SELECT at, input FROM controller_inputs WHERE job_uid = ?1 ORDER BY seq")
            .map_err(|e| self.sqlite(e))?;
        let rows: Vec<(String, String)> = stmt
            .query_map(params![job_uid], |r| Ok((r.get(0)?, r.get(1)?)))
            .and_then(|rows| rows.collect())
            .map_err(|e| self.sqlite(e))?;
        let mut inputs = Vec::with_capacity(rows.len());
        for (at, text) in rows {
            let at: Timestamp = at.parse().map_err(|e| self.corrupt("input time", e))?;
            let value: Value =
                serde_json::from_str(&text).map_err(|e| self.corrupt("controller input", e))?;
            let input =
                step_from_json(&value).ok_or_else(|| self.corrupt("controller input", &text))?;
            inputs.push((input, at));
        }
        Ok(Some(Replay {
            started,
            seed,
            inputs,
        }))
    }
}

/// [`Store::start_input_log`] inside a transaction.
pub(super) fn start_input_log_in(
    tx: &Transaction<'_>,
    job_uid: &str,
    at: Timestamp,
    seed: u64,
) -> rusqlite::Result<()> {
    tx.execute(
        "DELETE FROM controller_inputs WHERE job_uid = ?1",
        params![job_uid],
    )?;
    tx.execute(
        "UPDATE jobs SET controller_seed = ?1, controller_started = ?2 WHERE uid = ?3",
        params![seed.to_string(), at.to_string(), job_uid],
    )?;
    Ok(())
}

/// [`Store::append_inputs`] inside a transaction.
pub(super) fn append_inputs_in(
    tx: &Transaction<'_>,
    job_uid: &str,
    inputs: &[(ReplayStep, Timestamp)],
) -> rusqlite::Result<()> {
    if inputs.is_empty() {
        return Ok(());
    }
    // Cached statements: inputs are appended after every controller step.
    let next: i64 = tx
        .prepare_cached(
            "SELECT COALESCE(MAX(seq), 0) + 1 FROM controller_inputs WHERE job_uid = ?1",
        )?
        .query_row(params![job_uid], |r| r.get(0))?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO controller_inputs (job_uid, seq, at, input) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for (i, (input, at)) in inputs.iter().enumerate() {
        insert.execute(params![
            job_uid,
            next + i as i64,
            at.to_string(),
            step_to_json(input).to_string()
        ])?;
    }
    Ok(())
}

/// A replay step as JSON: an input, or `{"type": "SpecUpdate", "job": …}`.
pub fn step_to_json(step: &ReplayStep) -> Value {
    match step {
        ReplayStep::Input(input) => input_to_json(input),
        ReplayStep::Spec(job) => json!({"type": "SpecUpdate", "job": job}),
    }
}

/// The inverse of [`step_to_json`].
pub fn step_from_json(value: &Value) -> Option<ReplayStep> {
    if value.get("type")?.as_str()? == "SpecUpdate" {
        let job = serde_json::from_value(value.get("job")?.clone()).ok()?;
        return Some(ReplayStep::Spec(Box::new(job)));
    }
    input_from_json(value).map(ReplayStep::Input)
}

/// An [`Input`] as JSON (`{"type": "...", ...}`).
pub fn input_to_json(input: &Input) -> Value {
    match input {
        Input::ContainerStarted { pod, container } => {
            json!({"type": "ContainerStarted", "pod": pod, "container": container})
        }
        Input::ContainerWaiting {
            pod,
            container,
            reason,
            message,
        } => json!({
            "type": "ContainerWaiting", "pod": pod, "container": container,
            "reason": reason, "message": message,
        }),
        Input::ContainerExited {
            pod,
            container,
            exit,
        } => json!({
            "type": "ContainerExited", "pod": pod, "container": container, "code": exit.code,
            "oomKilled": exit.oom_killed, "error": exit.error,
        }),
        Input::PodRemoved { pod } => json!({"type": "PodRemoved", "pod": pod}),
        Input::PodEvent {
            pod,
            type_,
            reason,
            message,
        } => json!({
            "type": "PodEvent", "pod": pod, "eventType": type_.as_str(),
            "reason": reason, "message": message,
        }),
        Input::Tick => json!({"type": "Tick"}),
        Input::SetSuspend(suspend) => json!({"type": "SetSuspend", "suspend": suspend}),
        Input::Interrupt => json!({"type": "Interrupt"}),
        Input::GiveUp { reason, message } => {
            json!({"type": "GiveUp", "reason": reason, "message": message})
        }
    }
}

/// The inverse of [`input_to_json`].
pub fn input_from_json(value: &Value) -> Option<Input> {
    let text = |key: &str| value.get(key).and_then(Value::as_str).map(str::to_string);
    let pod = || text("pod");
    // Logs written before pods had several containers name none: the first (`""`).
    let container = || text("container").unwrap_or_default();
    Some(match value.get("type")?.as_str()? {
        "ContainerStarted" => Input::ContainerStarted {
            pod: pod()?,
            container: container(),
        },
        "ContainerWaiting" => Input::ContainerWaiting {
            pod: pod()?,
            container: container(),
            reason: text("reason")?,
            message: text("message")?,
        },
        "ContainerExited" => Input::ContainerExited {
            pod: pod()?,
            container: container(),
            exit: ContainerExit {
                code: value.get("code")?.as_i64()?,
                oom_killed: value.get("oomKilled")?.as_bool()?,
                error: text("error"),
            },
        },
        "PodRemoved" => Input::PodRemoved { pod: pod()? },
        "PodEvent" => Input::PodEvent {
            pod: pod()?,
            type_: match value.get("eventType")?.as_str()? {
                "Warning" => EventType::Warning,
                _ => EventType::Normal,
            },
            reason: text("reason")?,
            message: text("message")?,
        },
        "Tick" => Input::Tick,
        "SetSuspend" => Input::SetSuspend(value.get("suspend")?.as_bool()?),
        "Interrupt" => Input::Interrupt,
        "GiveUp" => Input::GiveUp {
            reason: text("reason")?,
            message: text("message")?,
        },
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_input_round_trips_through_json() {
        let inputs = vec![
            Input::ContainerStarted {
                pod: "pi-x".into(),
                container: "a".into(),
            },
            Input::ContainerWaiting {
                pod: "pi-x".into(),
                container: "b".into(),
                reason: "ErrImageNeverPull".into(),
                message: "m".into(),
            },
            Input::ContainerExited {
                pod: "pi-x".into(),
                container: "a".into(),
                exit: ContainerExit {
                    code: 137,
                    oom_killed: true,
                    error: Some("e".into()),
                },
            },
            Input::PodRemoved { pod: "pi-x".into() },
            Input::PodEvent {
                pod: "pi-x".into(),
                type_: EventType::Warning,
                reason: "r".into(),
                message: "m".into(),
            },
            Input::Tick,
            Input::SetSuspend(true),
            Input::Interrupt,
            Input::GiveUp {
                reason: "InvalidImageName".into(),
                message: "m".into(),
            },
        ];
        for input in inputs {
            assert_eq!(input_from_json(&input_to_json(&input)), Some(input));
        }
    }

    #[test]
    fn inputs_logged_before_pods_had_several_containers_mean_the_first() {
        let old = json!({"type": "ContainerExited", "pod": "pi-x", "code": 1, "oomKilled": false, "error": null});
        let Some(Input::ContainerExited { container, .. }) = input_from_json(&old) else {
            panic!("not read back");
        };
        assert_eq!(container, "");
    }
}
