//! Kubernetes `batch/v1` Jobs on a local engine.
//!
//! Pure parts (no tokio, no bollard, no filesystem, no clock, no printing):
//! [`load`] (YAML → defaulted, validated Job), [`generate`] (a Job from `--image` flags),
//! [`defaults`], [`validate`], [`field`] (error
//! wording), [`pod`] (pod template → container), [`expansion`], [`quantity`], [`names`],
//! [`indexes`], [`backoff`], [`pull`] (which pull failures are final), [`controller`] (the state machine) and [`yaml_depth`] (the
//! nesting bound checked before parsing).
//! I/O: [`driver`] runs a controller against a [`crate::engine::PodRuntime`];
//! [`input`] reads manifests from files, directories or stdin.
//!
//! # Running a Job
//!
//! ```no_run
//! # async fn demo<E: dockjob::engine::PodRuntime>(engine: &E) -> anyhow::Result<u8> {
//! use dockjob::job::driver::{run_foreground, PlainOutput, RunOptions};
//! let loaded = dockjob::job::input::load_path("job.yaml")?;
//! for warning in &loaded[0].warnings {
//!     eprintln!("Warning: {warning}");
//! }
//! // `dockjob run` passes a counter of SIGINT/SIGTERM in `interrupts`.
//! let opts = RunOptions::default();
//! let mut out = PlainOutput::new(std::io::stdout(), std::io::stderr());
//! let run = run_foreground(engine, loaded[0].job.clone(), opts, &mut out).await?;
//! Ok(run.outcome.kind.exit_code())
//! # }
//! ```
//!
//! Exit codes ([`controller::OutcomeKind::exit_code`]): 0 Complete (or nothing to run:
//! suspended, parallelism 0), 1 Failed, 130 interrupted; invalid input is the caller's 2.
//!
//! # Timings
//!
//! Kubernetes' own: pod-failure backoff 10 s × 2^(n−1) capped at 10 min, reset by a success;
//! the kubelet's restart backoff 10 s → 300 s. [`driver::RunOptions::backoff_scale`]
//! (`--backoff-scale 0.01`) multiplies both for tests; activeDeadlineSeconds and grace
//! periods are never scaled.
//!
//! # Where dockjob differs from a cluster
//!
//! - A pod with several containers gets a sandbox container holding its network namespace,
//!   hostname and IPC namespace ([`crate::engine::SandboxSpec`]); init containers and native
//!   sidecars are refused.
//! - `emptyDir` volumes are whatever the engine adapter makes of
//!   [`crate::engine::ContainerSpec::empty_dirs`] (the pod UID is on every container as the
//!   `io.dockjob.pod-uid` label, so an adapter can share one volume across restarts).
//! - `ttlSecondsAfterFinished: 0` removes the containers when `run` ends; a longer TTL is
//!   reported in [`driver::JobRun::ttl_expires_at`] for a store-backed controller to honour.
//! - A container exit is also recorded as an event (`ContainerDied`, kubernetes#123176).

pub mod backoff;
pub mod controller;
pub mod defaults;
pub mod driver;
pub mod expansion;
pub mod field;
pub mod generate;
pub mod go_types;
pub mod indexes;
pub mod input;
pub mod load;
pub mod names;
pub mod objects;
pub mod pod;
pub mod pull;
pub mod quantity;
pub mod strict;
pub mod validate;
pub mod yaml_depth;
pub mod yaml_json;

pub use controller::{JobEvent, JobOutcome, OutcomeKind};
pub use field::JobInputError;
pub use input::load_jobs;
pub use load::LoadedJob;
