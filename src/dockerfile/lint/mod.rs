//! The Dockerfile linter (work in progress).
