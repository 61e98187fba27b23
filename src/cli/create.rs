//! Arguments of `dockjob create`: `-f FILE` (Jobs, ConfigMaps, Secrets), or
//! `create secret generic|docker-registry NAME` and `create configmap NAME` from literals,
//! files and env files, as kubectl's.

use std::path::PathBuf;

/// `dockjob create`.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct CreateArgs {
    /// What to create from flags (without it, `-f` is required)
    #[command(subcommand)]
    pub what: Option<CreateWhat>,
    /// The manifest (YAML) of Jobs, ConfigMaps and Secrets; `-` reads it from stdin
    #[arg(short = 'f', long = "filename", value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Multiply every Kubernetes delay (pod-failure and restart backoff) by this factor
    #[arg(long, value_name = "FACTOR", default_value_t = 1.0)]
    pub backoff_scale: f64,
}

/// `create secret …` / `create configmap …`.
#[derive(Debug, clap::Subcommand)]
pub enum CreateWhat {
    /// Create a Secret
    #[command(subcommand)]
    Secret(CreateSecret),
    /// Create a ConfigMap from literals, files or env files
    #[command(name = "configmap", visible_alias = "cm")]
    ConfigMap(FromSources),
}

/// The kinds of `create secret`.
#[derive(Debug, clap::Subcommand)]
pub enum CreateSecret {
    /// A Secret from literals, files or env files
    Generic(GenericSecret),
    /// A kubernetes.io/dockerconfigjson Secret for imagePullSecrets
    #[command(name = "docker-registry")]
    DockerRegistry(DockerRegistrySecret),
}

/// The sources of a generic Secret or a ConfigMap.
#[derive(Debug, clap::Args)]
pub struct FromSources {
    /// The object's name
    #[arg(value_name = "NAME")]
    pub name: Option<String>,
    /// A key and its value: KEY=VALUE
    #[arg(long = "from-literal", value_name = "KEY=VALUE")]
    pub from_literal: Vec<String>,
    /// A file (its base name is the key), KEY=FILE, or a directory (each regular file)
    #[arg(long = "from-file", value_name = "[KEY=]PATH")]
    pub from_file: Vec<String>,
    /// A file of KEY=VALUE lines
    #[arg(long = "from-env-file", value_name = "PATH")]
    pub from_env_file: Vec<String>,
    /// Only print the object: client
    #[arg(long = "dry-run", value_name = "none|client", default_value = "none", num_args = 0..=1, default_missing_value = "client")]
    pub dry_run: String,
    /// With --dry-run: yaml, json or name
    #[arg(short = 'o', long = "output", value_name = "FORMAT")]
    pub output: Option<String>,
}

/// `create secret generic`.
#[derive(Debug, clap::Args)]
pub struct GenericSecret {
    #[command(flatten)]
    pub sources: FromSources,
    /// The Secret's type (the API server makes it Opaque when unset)
    #[arg(long = "type", value_name = "TYPE")]
    pub type_: Option<String>,
}

/// `create secret docker-registry`.
#[derive(Debug, clap::Args)]
pub struct DockerRegistrySecret {
    /// The Secret's name
    #[arg(value_name = "NAME")]
    pub name: Option<String>,
    /// The registry
    #[arg(long = "docker-server", value_name = "SERVER", default_value = crate::job::objects::create::DOCKER_HUB_SERVER)]
    pub server: String,
    /// The user name
    #[arg(long = "docker-username", value_name = "USER", default_value = "")]
    pub username: String,
    /// The password
    #[arg(long = "docker-password", value_name = "PASSWORD", default_value = "")]
    pub password: String,
    /// The email
    #[arg(long = "docker-email", value_name = "EMAIL", default_value = "")]
    pub email: String,
    /// A docker config.json to use instead ([KEY=]PATH; the key must be .dockerconfigjson)
    #[arg(long = "from-file", value_name = "[KEY=]PATH")]
    pub from_file: Vec<String>,
    /// Only print the object: client
    #[arg(long = "dry-run", value_name = "none|client", default_value = "none", num_args = 0..=1, default_missing_value = "client")]
    pub dry_run: String,
    /// With --dry-run: yaml, json or name
    #[arg(short = 'o', long = "output", value_name = "FORMAT")]
    pub output: Option<String>,
}
