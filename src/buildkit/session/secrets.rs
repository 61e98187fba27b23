//! `moby.buildkit.secrets.v1.Secrets`: the `--secret` values `RUN --mount=type=secret` reads.
//!
//! Values are read before the build starts, so a missing file or variable is an error that
//! names the flag before the engine sees anything, and kept only in memory for the build.
//! They never appear in a message: errors name the id and the file or variable, not the value.

use std::collections::HashMap;
use std::sync::Arc;

use bollard_buildkit_proto::moby::buildkit::secrets::v1::secrets_server::Secrets;
use bollard_buildkit_proto::moby::buildkit::secrets::v1::{GetSecretRequest, GetSecretResponse};
use tonic::{Request, Response, Status};

use crate::buildkit::options::{SecretSource, SecretSpec};

/// BuildKit refuses larger secrets (`session/secrets/secrets.go` `MaxSecretSize`).
pub const MAX_SECRET_SIZE: u64 = 500 * 1024;

/// The secrets of one build, by id.
#[derive(Clone, Default)]
pub struct SecretStore {
    values: Arc<HashMap<String, Vec<u8>>>,
}

impl SecretStore {
    /// Reads every `--secret`'s value: the file's bytes or the variable's value.
    pub fn load(specs: &[SecretSpec]) -> Result<Self, String> {
        let mut values = HashMap::new();
        for spec in specs {
            let value = match &spec.source {
                SecretSource::File(path) => {
                    let size = std::fs::metadata(path)
                        .map_err(|e| {
                            format!(
                                "--secret id={}: cannot read {}: {e}",
                                spec.id,
                                path.display()
                            )
                        })?
                        .len();
                    if size > MAX_SECRET_SIZE {
                        return Err(format!(
                            "--secret id={}: {} is {size} bytes; BuildKit takes secrets of at \
                             most {MAX_SECRET_SIZE} bytes",
                            spec.id,
                            path.display()
                        ));
                    }
                    std::fs::read(path).map_err(|e| {
                        format!(
                            "--secret id={}: cannot read {}: {e}",
                            spec.id,
                            path.display()
                        )
                    })?
                }
                SecretSource::Env(var) => std::env::var_os(var)
                    .ok_or_else(|| {
                        format!(
                            "--secret id={}: the environment variable {var} is not set",
                            spec.id
                        )
                    })?
                    .into_encoded_bytes(),
            };
            values.insert(spec.id.clone(), value);
        }
        Ok(SecretStore {
            values: Arc::new(values),
        })
    }

    /// Whether no secret was given (the service is then not announced).
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

#[tonic::async_trait]
impl Secrets for SecretStore {
    async fn get_secret(
        &self,
        request: Request<GetSecretRequest>,
    ) -> Result<Response<GetSecretResponse>, Status> {
        let id = request.into_inner().id;
        match self.values.get(&id) {
            Some(data) => Ok(Response::new(GetSecretResponse { data: data.clone() })),
            // BuildKit turns NotFound into "secret ID not found" (and skips optional mounts).
            None => Err(Status::not_found(format!("secret {id} not found"))),
        }
    }
}
