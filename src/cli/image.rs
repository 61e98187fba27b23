//! Arguments of `image …`.

use std::path::PathBuf;

/// `dockjob image`.
#[derive(Debug, clap::Args)]
pub struct ImageArgs {
    /// What to do with images.
    #[command(subcommand)]
    pub command: ImageCommand,
}

/// The `image` sub-verbs.
#[derive(Debug, clap::Subcommand)]
pub enum ImageCommand {
    /// Import a root filesystem (a directory, or a .tar/.tar.gz file) as an image
    Import(ImportArgs),
    /// Pull an image from its registry
    Pull(RefArgs),
    /// Show an image's ID, ENTRYPOINT, CMD and digests as JSON; exit 2 when it is absent
    Inspect(RefArgs),
    /// Remove image references
    Rm(RmArgs),
}

/// One image reference.
#[derive(Debug, clap::Args)]
pub struct RefArgs {
    /// The image (NAME[:TAG] or NAME@DIGEST)
    #[arg(value_name = "REF")]
    pub reference: String,
}

/// `dockjob image rm`.
#[derive(Debug, clap::Args)]
pub struct RmArgs {
    /// The images (NAME[:TAG] or ID)
    #[arg(value_name = "REF", required = true)]
    pub references: Vec<String>,
    /// Remove an image ID with several tags, or one a stopped container uses (as `docker rmi -f`)
    #[arg(short, long)]
    pub force: bool,
}

/// Several image references.
#[derive(Debug, clap::Args)]
pub struct RefsArgs {
    /// The images (NAME[:TAG])
    #[arg(value_name = "REF", required = true)]
    pub references: Vec<String>,
}

/// `dockjob image import`.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// Root filesystem: a directory, or a tar file (plain or gzip-compressed)
    #[arg(value_name = "ROOTFS")]
    pub rootfs: PathBuf,
    /// Name and tag of the new image (NAME[:TAG], tag defaults to latest)
    #[arg(short = 't', long = "tag", value_name = "REF", required = true)]
    pub tag: String,
    /// Dockerfile instruction to apply to the image, e.g. 'CMD ["/bin/sh"]' (repeatable)
    #[arg(short = 'c', long = "change", value_name = "INSTRUCTION")]
    pub changes: Vec<String>,
}
