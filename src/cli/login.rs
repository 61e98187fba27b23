//! Arguments of `login` and `logout`.

/// `dockjob login`.
#[derive(Debug, clap::Args)]
pub struct LoginArgs {
    /// The registry (host[:port]) [default: Docker Hub]
    #[arg(value_name = "SERVER")]
    pub server: Option<String>,
    /// Username
    #[arg(short = 'u', long = "username", value_name = "USER")]
    pub username: String,
    /// Read the password (or access token) from stdin; the only way to give it, so it never
    /// appears in the process list or the shell history
    #[arg(long = "password-stdin")]
    pub password_stdin: bool,
}

/// `dockjob logout`.
#[derive(Debug, clap::Args)]
pub struct LogoutArgs {
    /// The registry (host[:port]) [default: Docker Hub]
    #[arg(value_name = "SERVER")]
    pub server: Option<String>,
}
