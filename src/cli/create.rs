//! Arguments of `create` (`create -f FILE` of Jobs, ConfigMaps and Secrets, or `create KIND
//! NAME …` as kubectl's generators: `job`, `secret generic|docker-registry`, `configmap`) and
//! the flags `create job` shares with `run`: `--image`, `--restart`, the command after `--`,
//! `--dry-run` and `-o`.
//!
//! A new kind is a variant of [`CreateKind`] with its own args struct, dispatched in
//! `commands/create.rs`.

use clap::{Subcommand, ValueEnum};

use std::path::PathBuf;

/// `dockjob create`: from a manifest (`-f`), or one object from flags (`create job …`).
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct CreateArgs {
    /// The kind of object to make from flags
    #[command(subcommand)]
    pub kind: Option<CreateKind>,
    /// The manifest (YAML) of Jobs, ConfigMaps and Secrets; `-` reads it from stdin (may be
    /// repeated)
    #[arg(short = 'f', long = "filename", value_name = "FILE")]
    pub file: Vec<PathBuf>,
    /// Multiply every Kubernetes delay (pod-failure and restart backoff) by this factor
    #[arg(long, value_name = "FACTOR", default_value_t = 1.0)]
    pub backoff_scale: f64,
    /// `--dry-run`, `-o`
    #[command(flatten)]
    pub output: DryRunArgs,
}

/// `create KIND …`.
#[derive(Debug, Subcommand)]
pub enum CreateKind {
    /// Create a Job with the specified name, running IMAGE (kubectl create job)
    #[command(
        override_usage = "dockjob create job NAME --image=IMAGE [--restart=Never|OnFailure] [-- COMMAND [ARGS...]]"
    )]
    Job(CreateJobArgs),
    /// Create a Secret
    #[command(subcommand)]
    Secret(CreateSecret),
    /// Create a ConfigMap from literals, files or env files
    #[command(name = "configmap", visible_alias = "cm")]
    ConfigMap(FromSources),
}

/// `dockjob create job NAME --image IMG [-- CMD ARGS…]`.
#[derive(Debug, clap::Args)]
pub struct CreateJobArgs {
    /// The Job's name (also its container's)
    pub name: String,
    /// Image name to run
    #[arg(long, value_name = "IMAGE", required = true)]
    pub image: String,
    /// The Job's pods and how they restart
    #[command(flatten)]
    pub pod: PodFlags,
    /// `--dry-run`, `-o`
    #[command(flatten)]
    pub output: DryRunArgs,
    /// Multiply every Kubernetes delay (pod-failure and restart backoff) by this factor
    #[arg(long, value_name = "FACTOR", default_value_t = 1.0)]
    pub backoff_scale: f64,
}

/// The pod flags of a Job made from an image (`create job`, `run --image`).
#[derive(Debug, Clone, clap::Args)]
pub struct PodFlags {
    /// The pod template's restartPolicy: Never (kubectl's) or OnFailure
    #[arg(long, value_enum, ignore_case = true, default_value_t = RestartArg::Never)]
    pub restart: RestartArg,
    /// The container's command and its arguments (the image's entrypoint is replaced, as
    /// kubectl create job does)
    #[arg(last = true, value_name = "COMMAND [ARGS]")]
    pub command: Vec<String>,
}

/// The `--restart` values a Job allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RestartArg {
    /// A failed container makes a failed pod; the Job makes a new pod (backoffLimit).
    #[value(name = "Never")]
    Never,
    /// A failed container restarts in its pod.
    #[value(name = "OnFailure")]
    OnFailure,
}

impl RestartArg {
    /// As the pod template spells it.
    pub fn policy(self) -> &'static str {
        match self {
            RestartArg::Never => "Never",
            RestartArg::OnFailure => "OnFailure",
        }
    }
}

/// `--dry-run` and `-o`, as kubectl's `create`, `apply` and `run` have them.
#[derive(Debug, Clone, clap::Args)]
pub struct DryRunArgs {
    /// none, client (print the object as it would be sent; nothing stored or run) or server
    /// (print it defaulted and validated as the API server would store it; nothing stored or
    /// run). `--dry-run` alone is client.
    #[arg(
        long,
        value_name = "STRATEGY",
        num_args = 0..=1,
        require_equals = true,
        default_value = "none",
        default_missing_value = "unchanged"
    )]
    pub dry_run: String,
    /// Print the object as yaml or json, or its kind/name (name), instead of `… created`
    #[arg(short = 'o', long = "output", value_name = "FORMAT")]
    pub output: Option<String>,
}

/// The kinds of `create secret`.
#[derive(Debug, Subcommand)]
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
