//! Arguments of `completion` and `man`, which print what clap_complete and clap_mangen make
//! of these very definitions.

use std::path::PathBuf;

/// `dockjob completion`.
#[derive(Debug, clap::Args)]
pub struct CompletionArgs {
    /// The shell to complete for
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}

/// `dockjob man`.
#[derive(Debug, clap::Args)]
pub struct ManArgs {
    /// Write dockjob.1 and one page per command (dockjob-run.1, …) into DIR instead of printing
    /// dockjob(1) on stdout
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}
