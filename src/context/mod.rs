//! The build context, pure part: `.dockerignore` patterns with Docker's exact semantics
//! (a port of moby/patternmatcher) and the walk plan (which entries are sent, how the
//! Dockerfile and `.dockerignore` are always sent).
//!
//! Must not import tokio, bollard or `std::fs`, and prints nothing: the filesystem walk and
//! the tar stream live in [`crate::archive`].

pub mod dockerignore;
pub mod glob_syntax;
pub mod gopath;
pub mod pattern;
pub mod plan;

pub use dockerignore::{IgnoreFile, ParentMatches, PatternError};
pub use plan::{BuildContext, DockerfileSource, WalkDecision};
