//! Kubernetes `batch/v1` Jobs on a local engine.
//!
//! Pure parts (no tokio, no bollard, no filesystem, no clock, no printing):
//! [`load`] (YAML → defaulted, validated Job), [`defaults`], [`validate`], [`field`] (error
//! wording), [`pod`] (pod template → container), [`expansion`], [`quantity`], [`names`],
//! [`indexes`], [`backoff`] and [`controller`] (the state machine).
//! I/O: [`driver`] runs a controller against a [`crate::engine::PodRuntime`];
//! [`input`] reads manifests from files, directories or stdin.

pub mod backoff;
pub mod controller;
pub mod defaults;
pub mod driver;
pub mod expansion;
#[cfg(any(test, feature = "testing"))]
pub mod fake_engine;
pub mod field;
pub mod indexes;
pub mod input;
pub mod load;
pub mod names;
pub mod pod;
pub mod quantity;
pub mod validate;

pub use controller::{JobEvent, JobOutcome, OutcomeKind};
pub use field::JobInputError;
pub use load::{load_jobs, LoadedJob};
