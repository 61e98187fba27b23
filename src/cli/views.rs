//! Arguments of the kubectl-style verbs: `apply`, `create`, `get`, `describe`, `logs`,
//! `wait`, `delete`, and the hidden `__controller` a detached Job runs under.

use std::path::PathBuf;

/// `dockjob apply -f` / `dockjob create -f`.
#[derive(Debug, clap::Args)]
pub struct ApplyArgs {
    /// The manifest (YAML) of Jobs, ConfigMaps and Secrets; `-` reads it from stdin (may be
    /// repeated)
    #[arg(short = 'f', long = "filename", value_name = "FILE", required = true)]
    pub file: Vec<PathBuf>,
    /// Multiply every Kubernetes delay (pod-failure and restart backoff) by this factor
    #[arg(long, value_name = "FACTOR", default_value_t = 1.0)]
    pub backoff_scale: f64,
    /// `--dry-run`, `-o`
    #[command(flatten)]
    pub output: super::create::DryRunArgs,
}

/// `dockjob get`.
#[derive(Debug, clap::Args)]
pub struct GetArgs {
    /// jobs, pods, events, configmaps (cm), secrets, several comma-separated (jobs,pods), all
    /// (pods and jobs), or TYPE/NAME
    #[arg(value_name = "TYPE[,TYPE…][/NAME]")]
    pub resource: String,
    /// Names to show (or more TYPE/NAME)
    #[arg(value_name = "NAME")]
    pub names: Vec<String>,
    /// Output format: wide, yaml, json, name, jsonpath=TEMPLATE, jsonpath-file=FILE,
    /// jsonpath-as-json=TEMPLATE, custom-columns=HEADER:PATH,…, custom-columns-file=FILE
    /// (see docs/output-formats.md)
    #[arg(short = 'o', long = "output", value_name = "FORMAT")]
    pub output: Option<String>,
    /// Sort by the value at this JSONPath (`.metadata.name`, `{.status.startTime}`)
    #[arg(long, value_name = "JSONPATH")]
    pub sort_by: Option<String>,
    /// Label selector (`key=value`, `key!=value`, `key`, `!key`, comma-separated)
    #[arg(short = 'l', long = "selector", value_name = "SELECTOR")]
    pub selector: Option<String>,
    /// After listing, print each object again when it changes (until Ctrl-C)
    #[arg(short = 'w', long = "watch")]
    pub watch: bool,
    /// List across all namespaces
    #[arg(short = 'A', long = "all-namespaces")]
    pub all_namespaces: bool,
    /// Do not print headers (tables and custom columns)
    #[arg(long)]
    pub no_headers: bool,
}

impl GetArgs {
    /// The `--sort-by` path, if one was given: an empty one (`--sort-by=`) is kubectl's
    /// default and sorts nothing (kubectl `get.go` sorts only when `len(o.SortBy) > 0`).
    pub fn sort_path(&self) -> Option<&str> {
        self.sort_by.as_deref().filter(|path| !path.is_empty())
    }
}

/// `dockjob describe`.
#[derive(Debug, clap::Args)]
pub struct DescribeArgs {
    /// job, pod, configmap or secret (or TYPE/NAME)
    #[arg(value_name = "TYPE[/NAME]")]
    pub resource: String,
    /// Names to describe (all when none)
    #[arg(value_name = "NAME")]
    pub names: Vec<String>,
}

/// `dockjob logs`.
#[derive(Debug, clap::Args)]
pub struct LogsArgs {
    /// POD, pod/POD or job/NAME
    #[arg(value_name = "POD | TYPE/NAME")]
    pub target: String,
    /// Keep streaming until the container exits
    #[arg(short = 'f', long)]
    pub follow: bool,
    /// The previous (restarted) container's logs
    #[arg(short = 'p', long)]
    pub previous: bool,
    /// Prefix each line with [pod/NAME/CONTAINER]
    #[arg(long)]
    pub prefix: bool,
    /// Logs of every pod of the Job
    #[arg(long)]
    pub all_pods: bool,
    /// The container whose logs to print (default: the first, or the
    /// kubectl.kubernetes.io/default-container annotation)
    #[arg(short = 'c', long, value_name = "NAME")]
    pub container: Option<String>,
    /// Logs of every container of the pod(s)
    #[arg(long, conflicts_with = "container")]
    pub all_containers: bool,
}

/// `dockjob wait`.
#[derive(Debug, clap::Args)]
pub struct WaitArgs {
    /// job/NAME
    #[arg(value_name = "TYPE/NAME")]
    pub target: String,
    /// condition=complete, condition=failed (or condition=NAME=VALUE), delete
    #[arg(long = "for", value_name = "CONDITION", required = true)]
    pub condition: String,
    /// How long to wait (Go duration: 30s, 5m, 1h); 0 checks once
    #[arg(long, value_name = "DURATION", default_value = "30s")]
    pub timeout: String,
}

/// `dockjob delete`.
#[derive(Debug, clap::Args)]
pub struct DeleteArgs {
    /// job, configmap or secret (or TYPE/NAME)
    #[arg(value_name = "TYPE[/NAME]")]
    pub resource: Option<String>,
    /// Names to delete
    #[arg(value_name = "NAME")]
    pub names: Vec<String>,
    /// Delete the Jobs, ConfigMaps and Secrets of this manifest (may be repeated)
    #[arg(short = 'f', long = "filename", value_name = "FILE")]
    pub file: Vec<PathBuf>,
    /// Delete the objects of TYPE whose labels match (`key=value`, `key in (a,b)`, `!key`, …)
    #[arg(short = 'l', long = "selector", value_name = "SELECTOR")]
    pub selector: Option<String>,
    /// background (default), foreground, or orphan (keep the containers)
    #[arg(long, value_name = "MODE", default_value = "background")]
    pub cascade: String,
    /// No error when the Job does not exist
    #[arg(long)]
    pub ignore_not_found: bool,
}

/// The hidden `__controller`: runs one stored Job detached (started by `apply`).
#[derive(Debug, clap::Args)]
pub struct ControllerArgs {
    /// The Job's UID
    #[arg(long)]
    pub uid: String,
    /// Backoff multiplier (as `apply --backoff-scale`)
    #[arg(long, default_value_t = 1.0)]
    pub backoff_scale: f64,
}
