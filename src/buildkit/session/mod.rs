//! The BuildKit session: the gRPC services dockjob serves to the engine's BuildKit during a
//! build, over the engine connection that `POST /session` upgraded to HTTP/2 (cleartext).
//!
//! The engine is the gRPC client there (BuildKit `session/manager.go` `HandleHTTPRequest`,
//! `handleConn`); it calls only the methods the session announced in its
//! `X-Docker-Expose-Session-Grpc-Method` headers ([`SessionServices::methods`]), plus the
//! health check it polls to keep the session alive. bollard 0.21 serves only Auth and FileSend
//! on its own session, so dockjob serves its own: [`auth`] (registry credentials from the
//! user's Docker config), [`secrets`] (`--secret`), [`ssh`] (`--ssh`) and [`export`]
//! (`-o type=local|tar`).

pub mod auth;
pub mod export;
pub mod secrets;
pub mod ssh;

use std::pin::Pin;

use bollard_buildkit_proto::health::health_server::{Health, HealthServer};
use bollard_buildkit_proto::health::{
    health_check_response::ServingStatus, HealthCheckRequest, HealthCheckResponse,
    HealthListRequest, HealthListResponse,
};
use futures_util::Stream;
use tonic::server::NamedService;
use tonic::{Request, Response, Status};

use bollard_buildkit_proto::moby::buildkit::secrets::v1::secrets_server::SecretsServer;
use bollard_buildkit_proto::moby::filesync::packet::file_send_server::FileSendServer as LocalExportServer;
use bollard_buildkit_proto::moby::filesync::v1::auth_server::AuthServer;
use bollard_buildkit_proto::moby::filesync::v1::file_send_server::FileSendServer as TarExportServer;
use bollard_buildkit_proto::moby::sshforward::v1::ssh_server::SshServer;

/// What one build's session serves.
pub struct SessionServices {
    /// Registry credentials for pulls of base images and `--cache-from` images.
    pub auth: auth::RegistryAuth,
    /// `--secret` values, read before the build starts.
    pub secrets: secrets::SecretStore,
    /// `--ssh` agents.
    pub ssh: ssh::SshAgents,
    /// `-o type=local|tar`: where the exported files go.
    pub export: Option<export::ExportTarget>,
}

impl SessionServices {
    /// The gRPC method paths the session announces (`/service/Method`), as BuildKit checks
    /// them with `Caller.Supports` before calling.
    pub fn methods(&self) -> Vec<String> {
        let mut methods = Vec::new();
        let mut add = |service: &str, names: &[&str]| {
            methods.extend(names.iter().map(|m| format!("/{service}/{m}")));
        };
        add(
            <AuthServer<auth::RegistryAuth> as NamedService>::NAME,
            &[
                "Credentials",
                "FetchToken",
                "GetTokenAuthority",
                "VerifyTokenAuthority",
            ],
        );
        if !self.secrets.is_empty() {
            add(
                <SecretsServer<secrets::SecretStore> as NamedService>::NAME,
                &["GetSecret"],
            );
        }
        if !self.ssh.is_empty() {
            add(
                <SshServer<ssh::SshAgents> as NamedService>::NAME,
                &["CheckAgent", "ForwardAgent"],
            );
        }
        if self.export.is_some() {
            // Both exporters call the same method; only the message type differs.
            add(
                <TarExportServer<export::TarExport> as NamedService>::NAME,
                &["DiffCopy"],
            );
        }
        methods
    }

    /// Serves the session on `io` (the upgraded `/session` connection) until the engine
    /// closes it or the returned task is aborted.
    pub fn serve<IO>(self, io: IO) -> tokio::task::JoinHandle<()>
    where
        IO: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
    {
        let mut routes = tonic::service::Routes::new(HealthServer::new(Healthy))
            .add_service(AuthServer::new(self.auth));
        if !self.secrets.is_empty() {
            routes = routes.add_service(SecretsServer::new(self.secrets));
        }
        if !self.ssh.is_empty() {
            routes = routes.add_service(SshServer::new(self.ssh));
        }
        match self.export {
            Some(export::ExportTarget::Tar(tar)) => {
                routes = routes.add_service(TarExportServer::new(tar));
            }
            Some(export::ExportTarget::Local(local)) => {
                routes = routes.add_service(LocalExportServer::new(local));
            }
            None => {}
        }
        let service = hyper_util::service::TowerToHyperService::new(routes.prepare());
        tokio::spawn(async move {
            // The connection ends when the engine drops the session (build done) or the build
            // is cancelled; either way there is nothing left to report.
            let _ = hyper::server::conn::http2::Builder::new(hyper_util::rt::TokioExecutor::new())
                .serve_connection(io, service)
                .await;
        })
    }
}

/// The health check BuildKit polls (`session/grpchijack`… `monitorHealth`): a session that
/// stops answering is closed and its build fails.
struct Healthy;

#[tonic::async_trait]
impl Health for Healthy {
    async fn check(
        &self,
        _request: Request<HealthCheckRequest>,
    ) -> Result<Response<HealthCheckResponse>, Status> {
        Ok(Response::new(HealthCheckResponse {
            status: ServingStatus::Serving as i32,
        }))
    }

    async fn list(
        &self,
        _request: Request<HealthListRequest>,
    ) -> Result<Response<HealthListResponse>, Status> {
        Err(Status::unimplemented("list is not served"))
    }

    type WatchStream =
        Pin<Box<dyn Stream<Item = Result<HealthCheckResponse, Status>> + Send + 'static>>;

    async fn watch(
        &self,
        _request: Request<HealthCheckRequest>,
    ) -> Result<Response<Self::WatchStream>, Status> {
        Err(Status::unimplemented("watch is not served"))
    }
}

/// A random session id, as the docker CLI makes them (`identity.NewID`: 25 base-36 chars).
pub fn new_session_id() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut rng = rand::rng();
    (0..25)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}
