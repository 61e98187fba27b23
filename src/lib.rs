//! dockjob: build and push images through the Docker Engine API, and run Kubernetes Jobs
//! on a local engine with the Job controller's semantics.
//!
//! Layering (checked in review):
//! - pure modules — [`dockerfile`], [`context`] (patterns and plan), [`image_ref`], the pure
//!   parts of [`job`] — import no tokio, no bollard, no filesystem, no clock, and print nothing;
//! - I/O lives in [`engine`] (only `engine::docker` imports bollard), [`archive`],
//!   [`registry`], the Job driver and [`commands`].

pub mod archive;
pub mod bounded;
pub mod build_metadata;
pub mod buildkit;
pub mod cli;
pub mod commands;
pub mod context;
pub mod dockerfile;
pub mod engine;
pub mod error;
pub mod external;
pub mod image_ref;
pub mod job;
pub mod progress;
pub mod registry;
pub mod render;
pub mod selector;
pub mod store;
