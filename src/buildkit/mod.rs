//! BuildKit through the Docker Engine API: the session dockjob serves to the engine's BuildKit
//! (credentials, secrets, SSH agents, exported files) and the build flags only BuildKit has.
//!
//! The engine's `/build?version=2` runs its embedded BuildKit on the same tar context the
//! classic builder takes; everything BuildKit needs from the client during the build it asks
//! for over a second connection, `POST /session`, which the engine upgrades to HTTP/2 and on
//! which dockjob is the gRPC *server* ([`session`]). The engine adapter (`engine::docker`)
//! opens that connection and makes the build request; this module never imports bollard.

pub mod options;
pub mod session;
