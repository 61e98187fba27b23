//! `login` and `logout`: check credentials against the registry, then store or erase them in
//! the docker CLI's `config.json` (or its credential helper), so `docker` and `dockjob` share
//! one login.
//!
//! The wording of the messages is the docker CLI's (`cli/command/registry/login.go`,
//! `logout.go`), so scripts written for `docker login` read the same lines.

use std::io::Read as _;

use anyhow::Context as _;

use crate::cli::{LoginArgs, LogoutArgs};
use crate::error::{report, user_error, ExitStatus};
use crate::image_ref::auth_key_for_server;
use crate::registry::credentials::Credentials;
use crate::registry::login::{self as store, password_from_stdin, StoredIn};
use crate::registry::verify::{verify_credentials, VerifyError};

use super::print_data;
use super::push::load_docker_config;

/// Reads the password from stdin (or takes `-p`, with docker's warning), checks it with the
/// registry, stores it; prints `Login Succeeded`. Wrong credentials: `error: REGISTRY:
/// unauthorized: …`, exit 1. No message ever contains the password.
pub async fn login(args: &LoginArgs) -> anyhow::Result<ExitStatus> {
    if args.username.trim().is_empty() {
        return Err(user_error("--username: must not be empty"));
    }
    let password = match (&args.password, args.password_stdin) {
        (Some(password), _) => {
            // docker's words (cli/command/registry/login.go).
            eprintln!("WARNING! Using --password via the CLI is insecure. Use --password-stdin.");
            if password.0.is_empty() {
                return Err(user_error("--password: must not be empty"));
            }
            password.0.clone()
        }
        (None, true) => {
            let input = tokio::task::spawn_blocking(|| {
                let mut input = Vec::new();
                std::io::stdin().read_to_end(&mut input).map(|_| input)
            })
            .await?
            .context("reading the password from stdin")?;
            password_from_stdin(&input).map_err(|e| user_error(e.to_string()))?
        }
        (None, false) => {
            return Err(user_error(
                "give the password on stdin: echo \"$PASSWORD\" | dockjob login [SERVER] -u USER --password-stdin \
                 (or, insecurely, with -p PASSWORD)",
            ))
        }
    };
    let key = auth_key_for_server(args.server.as_deref().unwrap_or_default());
    let credentials = Credentials::basic(&key, args.username.trim(), password);

    let checked = credentials.clone();
    if let Err(error) = tokio::task::spawn_blocking(move || verify_credentials(&checked)).await? {
        let status = match error {
            VerifyError::Unreachable { .. } => ExitStatus::Unreachable,
            VerifyError::Unauthorized { .. } | VerifyError::Unexpected { .. } => {
                ExitStatus::Failure
            }
        };
        report(&anyhow::Error::new(error).context("login failed"));
        return Ok(status);
    }

    let stored = tokio::task::spawn_blocking(move || {
        let mut config = load_docker_config()?;
        anyhow::Ok(store::login(&mut config, &credentials)?)
    })
    .await??;
    if let StoredIn::File(path) = stored {
        eprintln!(
            "WARNING! Your password will be stored unencrypted in {}.\n\
             Configure a credential helper to remove this warning. See\n\
             https://docs.docker.com/engine/reference/commandline/login/#credential-stores\n",
            path.display()
        );
    }
    print_data("Login Succeeded")?;
    Ok(ExitStatus::Success)
}

/// Erases the credentials for a registry (Docker Hub by default) from the file and its helper.
pub async fn logout(args: &LogoutArgs) -> anyhow::Result<ExitStatus> {
    let server = args.server.clone().unwrap_or_default();
    let outcome = tokio::task::spawn_blocking(move || {
        let mut config = load_docker_config()?;
        anyhow::Ok(store::logout(&mut config, &server)?)
    })
    .await??;
    if !outcome.removed && outcome.helper_errors.is_empty() {
        print_data(&format!("Not logged in to {}", outcome.host))?;
        return Ok(ExitStatus::Success);
    }
    print_data(&format!("Removing login credentials for {}", outcome.host))?;
    if outcome.all_failed() {
        for error in &outcome.helper_errors {
            eprintln!("WARNING: could not erase credentials: {error}");
        }
    }
    Ok(ExitStatus::Success)
}
