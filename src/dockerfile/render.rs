//! Rendering of diagnostics (work in progress).
