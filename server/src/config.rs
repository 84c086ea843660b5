//! Typed configuration from command-line flags and `ZSK_*` environment
//! variables. Every setting has a default that serves the embedded set-up.

use std::net::SocketAddr;
use std::path::PathBuf;

/// A secret that never shows in logs or debug output.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(s.to_owned()))
    }
}

/// Where the database lives.
#[derive(Debug, Clone, clap::Args)]
pub struct DatabaseConfig {
    /// PostgreSQL URL. Without it the server runs its own private cluster
    /// under the data folder.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true, global = true)]
    pub database_url: Option<Secret>,

    /// Folder for the embedded PostgreSQL cluster and other local state.
    #[arg(long, env = "ZSK_DATA_DIR", default_value = ".zsk", global = true)]
    pub data_dir: PathBuf,
}

/// Settings of `zsk serve`.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeConfig {
    /// Address to listen on.
    #[arg(long, env = "ZSK_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,

    /// The built single-page app (Trunk's output).
    #[arg(long, env = "ZSK_SITE_ROOT", default_value = "dist")]
    pub site_root: PathBuf,

    /// Folder with the official reference data (regions/GV100AD_*.txt,
    /// report-2024-02/), read on first start.
    #[arg(long, env = "ZSK_REFERENCE_DIR", default_value = "../shared/data")]
    pub reference_dir: PathBuf,

    /// Load the demo data set and demo users on start. A real installation
    /// sets this to false.
    #[arg(long, env = "ZSK_DEMO", default_value_t = true, action = clap::ArgAction::Set)]
    pub demo: bool,

    /// Mark the session cookie `Secure` (behind HTTPS).
    #[arg(long, env = "ZSK_SECURE_COOKIES", default_value_t = false, action = clap::ArgAction::Set)]
    pub secure_cookies: bool,

    /// Largest request body in bytes.
    #[arg(long, env = "ZSK_MAX_BODY_BYTES", default_value_t = 20 * 1024 * 1024)]
    pub max_body_bytes: usize,

    /// Counts files with this many data rows or more are delivered in the
    /// background (answer 202 and a job to poll); smaller ones at once.
    #[arg(long, env = "ZSK_JOB_ROWS", default_value_t = app::delivery::jobs::DEFAULT_INLINE_ROWS)]
    pub job_rows: usize,
}
