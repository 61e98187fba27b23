//! kubectl-style views of Jobs, Pods and Events: tables (`get`), `describe`, and
//! `-o yaml|json|name`. Pure: k8s-openapi objects and a clock value in, text out; no store,
//! no engine, no printing.

pub mod data_objects;
pub mod describe;
pub mod duration;
pub mod output;
pub mod tables;
pub mod tabwriter;
pub mod yaml;

pub use describe::{describe_job, describe_pod, DescribeClock};
pub use duration::{human_between, human_duration_nanos};
pub use output::{render_objects, Named, ObjectFormat};
pub use tables::{events_table, jobs_table, pods_table, TableOptions};
