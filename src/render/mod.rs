//! kubectl-style views of Jobs, Pods, Events, ConfigMaps and Secrets: tables (`get`), `describe`,
//! `-o yaml|json|name|jsonpath|custom-columns` and `--sort-by`. Pure: k8s-openapi objects and
//! a clock value in, text out; no store, no engine, no files, no printing.

pub mod columns;
pub mod data_objects;
pub mod describe;
pub mod duration;
pub mod jsonpath;
pub mod output;
pub mod sort;
pub mod tables;
pub mod tabwriter;
pub mod yaml;

pub use describe::{describe_job, describe_pod, DescribeClock};
pub use duration::{human_between, human_duration_nanos};
pub use output::{
    parse_output_format, render_list, render_objects, Named, ObjectFormat, OutputFormat, Printable,
};
pub use tables::{events_table, jobs_table, pods_table, TableOptions};
