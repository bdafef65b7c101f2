//! Server configuration: where data lives, how long tokens last, and the clock.

use beatbook_model::{Clock, SystemClock};
use std::path::PathBuf;
use std::sync::Arc;

/// How the server runs.
#[derive(Clone)]
pub struct ServerConfig {
    /// Directory holding `server.db`.
    pub data_dir: PathBuf,
    /// How long a device's token is valid after enrolment.
    pub token_ttl: chrono::Duration,
    /// Where "now" comes from (injected so tests control time).
    pub clock: Arc<dyn Clock>,
}

impl ServerConfig {
    /// Defaults: tokens last 30 days, the wall clock.
    pub fn new(data_dir: impl Into<PathBuf>) -> ServerConfig {
        ServerConfig {
            data_dir: data_dir.into(),
            token_ttl: chrono::Duration::days(30),
            clock: Arc::new(SystemClock),
        }
    }
}

impl ServerConfig {
    /// Creates the data folder readable by the server's account only (`0700`), or tightens
    /// one that others could use, with a warning: its database may have been read already.
    pub fn prepare_data_dir(&self) -> std::io::Result<()> {
        let dir = &self.data_dir;
        if let Some(mode) = crate::storage::sqlite::private::ensure_dir(dir)? {
            tracing::warn!(
                dir = %dir.display(),
                mode = format!("{mode:04o}"),
                "数据目录其他用户可以访问，已改为 0700 / the data folder was open to other users; it is now 0700"
            );
        }
        Ok(())
    }
}

impl std::fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerConfig")
            .field("data_dir", &self.data_dir)
            .field("token_ttl", &self.token_ttl)
            .field("now", &self.clock.now())
            .finish()
    }
}
