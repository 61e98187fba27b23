//! `moby.filesync.v1.Auth`: registry credentials for BuildKit's pulls (base images,
//! `--cache-from`), from the same Docker config and credential helpers as `push`.
//!
//! BuildKit asks `Credentials` with the registry host it contacts (`registry-1.docker.io` for
//! Docker Hub). Token exchange stays with BuildKit: `FetchToken` and `GetTokenAuthority` answer
//! Unimplemented, which makes it fall back to the basic credentials (BuildKit
//! `util/resolver/authorizer.go`), as with the docker CLI's session before buildx.

use std::sync::Arc;

use bollard_buildkit_proto::moby::filesync::v1::auth_server::Auth;
use bollard_buildkit_proto::moby::filesync::v1::{
    CredentialsRequest, CredentialsResponse, FetchTokenRequest, FetchTokenResponse,
    GetTokenAuthorityRequest, GetTokenAuthorityResponse, VerifyTokenAuthorityRequest,
    VerifyTokenAuthorityResponse,
};
use tonic::{Request, Response, Status};

use crate::image_ref::auth_key_for_server;
use crate::registry::config::DockerConfig;
use crate::registry::credentials;

/// The user's Docker config, or none (every pull anonymous).
#[derive(Clone)]
pub struct RegistryAuth {
    config: Option<Arc<DockerConfig>>,
}

impl RegistryAuth {
    /// Credentials from `config`; `None` answers every request anonymously.
    pub fn new(config: Option<DockerConfig>) -> Self {
        RegistryAuth {
            config: config.map(Arc::new),
        }
    }
}

#[tonic::async_trait]
impl Auth for RegistryAuth {
    async fn credentials(
        &self,
        request: Request<CredentialsRequest>,
    ) -> Result<Response<CredentialsResponse>, Status> {
        let Some(config) = self.config.clone() else {
            return Ok(Response::new(CredentialsResponse::default()));
        };
        let key = auth_key_for_server(&request.into_inner().host);
        // Credential helpers are processes: keep them off the async workers.
        let found = tokio::task::spawn_blocking(move || credentials::resolve(&config, &key))
            .await
            .map_err(|_| Status::internal("the credential lookup stopped"))?
            .map_err(|e| Status::unavailable(e.to_string()))?;
        let response = match found {
            None => CredentialsResponse::default(),
            // As buildx's authprovider: an identity token goes in `secret` with no username.
            Some(found) => match found.identity_token_value() {
                Some(token) => CredentialsResponse {
                    username: String::new(),
                    secret: token.to_string(),
                },
                None => CredentialsResponse {
                    username: found.username().unwrap_or_default().to_string(),
                    secret: found.password().unwrap_or_default().to_string(),
                },
            },
        };
        Ok(Response::new(response))
    }

    async fn fetch_token(
        &self,
        _request: Request<FetchTokenRequest>,
    ) -> Result<Response<FetchTokenResponse>, Status> {
        Err(Status::unimplemented("token exchange is left to BuildKit"))
    }

    async fn get_token_authority(
        &self,
        _request: Request<GetTokenAuthorityRequest>,
    ) -> Result<Response<GetTokenAuthorityResponse>, Status> {
        Err(Status::unimplemented("no token authority"))
    }

    async fn verify_token_authority(
        &self,
        _request: Request<VerifyTokenAuthorityRequest>,
    ) -> Result<Response<VerifyTokenAuthorityResponse>, Status> {
        Err(Status::unimplemented("no token authority"))
    }
}
