//! Registry access that happens outside the engine: credentials and the retry policy for pushes.
//!
//! Owns `~/.docker/config.json` ([`config`]), credential resolution as the docker CLI does it
//! ([`credentials`], with credential helpers in [`helper`]), `login`/`logout` ([`login`]), the
//! `X-Registry-Auth` encoding ([`auth`]), the pure retry classification ([`retry`]), the
//! check of a login with the registry itself ([`verify`]) and the question of how long a
//! rate-limiting registry wants us to wait ([`rate_limit`]), both blocking HTTP through ureq.
//!
//! Must not import bollard or tokio: the engine adapter converts [`credentials::Credentials`]
//! into its own types, and async callers run helper processes with `spawn_blocking`.
//!
//! Why not the `docker_credential` crate: it treats a helper's "credentials not found" as an
//! error (the CLI means anonymous), normalises only the config's keys so hosts with a port
//! (`127.0.0.1:5000`) are missed, cannot write (`login`/`logout`), and ignores `credsStore`
//! selection rules; the format is small enough to follow the CLI exactly on serde_json.

pub mod auth;
pub mod config;
pub mod credentials;
pub mod helper;
pub mod login;
pub mod rate_limit;
pub mod retry;
pub mod verify;
