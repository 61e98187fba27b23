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
    /// Password (or access token); insecure: it shows in the process list and the shell
    /// history, prefer --password-stdin
    // A password may start with `-`: docker (pflag) takes the next word whatever it is, and
    // clap's refusal would print it ("unexpected argument '--…'").
    #[arg(
        short = 'p',
        long = "password",
        value_name = "PASSWORD",
        conflicts_with = "password_stdin",
        allow_hyphen_values = true
    )]
    pub password: Option<Password>,
    /// Read the password (or access token) from stdin, so it never appears in the process
    /// list or the shell history
    #[arg(long = "password-stdin")]
    pub password_stdin: bool,
}

/// A password given on the command line. `Debug` hides it, so no debug output of the
/// arguments can show it.
#[derive(Clone)]
pub struct Password(pub String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

impl std::str::FromStr for Password {
    type Err = std::convert::Infallible;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(Password(text.to_string()))
    }
}

/// `dockjob logout`.
#[derive(Debug, clap::Args)]
pub struct LogoutArgs {
    /// The registry (host[:port]) [default: Docker Hub]
    #[arg(value_name = "SERVER")]
    pub server: Option<String>,
}
