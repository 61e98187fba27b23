//! The bollard adapter (placeholder).
