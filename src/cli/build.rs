//! Arguments of `build`, `push` and `lint`.

use std::path::PathBuf;

/// `dockjob build`.
#[derive(Debug, clap::Args)]
pub struct BuildArgs {
    /// The build context directory
    #[arg(value_name = "CONTEXT")]
    pub context: PathBuf,
    /// Name and optionally a tag (NAME[:TAG]); repeat to apply several
    #[arg(short = 't', long = "tag", value_name = "REF")]
    pub tags: Vec<String>,
    /// Path of the Dockerfile [default: CONTEXT/Dockerfile]; `-` reads it from stdin
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Build-time variable (K=V, or K to take the value from the environment)
    #[arg(long = "build-arg", value_name = "K=V")]
    pub build_args: Vec<String>,
    /// Replace the image of a matching FROM: NAME=docker-image://REF (as buildx does)
    #[arg(long = "build-context", value_name = "NAME=docker-image://REF")]
    pub build_contexts: Vec<String>,
    /// Set metadata on the image (K=V); overrides the default OCI labels
    #[arg(long = "label", value_name = "K=V")]
    pub labels: Vec<String>,
    /// Do not add the org.opencontainers.image.* labels (created, revision, source, version)
    #[arg(long)]
    pub no_oci_labels: bool,
    /// Build this stage and stop
    #[arg(long)]
    pub target: Option<String>,
    /// Do not use the build cache
    #[arg(long)]
    pub no_cache: bool,
    /// Always try to pull newer versions of the base images
    #[arg(long)]
    pub pull: bool,
    /// Networking mode for RUN instructions
    #[arg(long)]
    pub network: Option<String>,
    /// Add a custom host-to-IP mapping for RUN (host:ip)
    #[arg(long = "add-host", value_name = "HOST:IP")]
    pub add_hosts: Vec<String>,
    /// Target platform (os/arch[/variant])
    #[arg(long)]
    pub platform: Option<String>,
    /// Gzip the context on a local (unix://) engine too; it always is over tcp://
    #[arg(long)]
    pub compress: bool,
    /// Write the image ID to this file
    #[arg(long, value_name = "FILE")]
    pub iidfile: Option<PathBuf>,
    /// Write buildx-style build metadata (JSON) to this file
    #[arg(long, value_name = "FILE")]
    pub metadata_file: Option<PathBuf>,
    /// Print only the image ID (same as --progress quiet)
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Push every tag after the build
    #[arg(long)]
    pub push: bool,
    /// Only lint the Dockerfile (exit 1 on any warning or error); build nothing
    #[arg(long)]
    pub check: bool,
    /// Which of the engine's builders: buildkit (the default where the engine has it) or
    /// classic [env: DOCKER_BUILDKIT=0 selects classic, =1 buildkit]
    #[arg(long, value_enum, value_name = "BUILDER")]
    pub builder: Option<BuilderArg>,
    /// Secret for RUN --mount=type=secret (BuildKit): id=ID,src=PATH or id=ID,env=VAR
    #[arg(long = "secret", value_name = "id=ID,src=PATH|env=VAR")]
    pub secrets: Vec<String>,
    /// SSH agent or keys for RUN --mount=type=ssh (BuildKit): default or ID=SOCKET|KEY[,KEY]
    #[arg(long = "ssh", value_name = "default|ID=PATH")]
    pub ssh: Vec<String>,
    /// Where the result goes (BuildKit): type=docker (default), type=local,dest=DIR,
    /// type=tar,dest=FILE|- ; a bare DIR means local, - a tar on stdout
    #[arg(short = 'o', long = "output", value_name = "type=TYPE,dest=PATH")]
    pub output: Option<String>,
    /// Image whose inline build cache may be reused (BuildKit): REF or type=registry,ref=REF
    #[arg(long = "cache-from", value_name = "REF")]
    pub cache_from: Vec<String>,
    /// Cache export (BuildKit): type=inline writes the cache into the image's config
    #[arg(long = "cache-to", value_name = "type=inline")]
    pub cache_to: Option<String>,
    /// Do not cache these stages (needs a newer BuildKit than the engine's; refused there)
    #[arg(long = "no-cache-filter", value_name = "STAGE")]
    pub no_cache_filter: Vec<String>,
}

/// `build --builder`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BuilderArg {
    /// The engine's embedded BuildKit (`/build?version=2` with a session).
    Buildkit,
    /// The engine's classic builder (`/build`, version 1).
    Classic,
}

/// `dockjob push`.
#[derive(Debug, clap::Args)]
pub struct PushArgs {
    /// Images to push (NAME[:TAG])
    #[arg(value_name = "REF", required = true)]
    pub refs: Vec<String>,
    /// Also write the NAME:TAG@sha256:… lines to this file (for release pipelines)
    #[arg(long = "digest-file", value_name = "FILE")]
    pub digest_file: Option<PathBuf>,
}

/// `dockjob lint`.
#[derive(Debug, clap::Args)]
pub struct LintArgs {
    /// Dockerfiles to check [default: ./Dockerfile]
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value_t = LintFormat::Text)]
    pub format: LintFormat,
    /// Lowest severity that makes the exit status 1
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
    /// Build context whose .dockerignore enables CopyIgnoredFile [default: the file's directory]
    #[arg(long, value_name = "DIR")]
    pub context: Option<PathBuf>,
}

/// `lint --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LintFormat {
    /// `file:line:col`, the source line with a caret, and a hint.
    Text,
    /// A JSON array with one report per file.
    Json,
}

/// `lint --fail-on`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    /// Exit 1 only for errors (syntax errors, `# check=error=true`).
    Error,
    /// Exit 1 for warnings too.
    Warning,
}
