//! The shared server state: configuration, storage, login limiter and metrics, behind one
//! `Arc` so handlers clone it cheaply.

use crate::config::ServerConfig;
use crate::error::ServerError;
use crate::limiter::LoginLimiter;
use crate::metrics::Metrics;
use crate::storage::sqlite::SqliteStorage;
use crate::storage::Storage;
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// The database file inside the data directory.
pub const DATABASE_FILE: &str = "server.db";

/// Everything a request needs. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    config: ServerConfig,
    storage: Arc<dyn Storage>,
    limiter: LoginLimiter,
    metrics: Metrics,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// Opens (creating and migrating if needed) `data_dir/server.db`. The folder is created
    /// `0700`, or tightened to `0700` with a warning if others could use it.
    pub fn open(config: ServerConfig) -> Result<AppState, ServerError> {
        let dir = &config.data_dir;
        config
            .prepare_data_dir()
            .map_err(|error| ServerError::DataDir {
                path: dir.clone(),
                error,
            })?;
        let storage = SqliteStorage::open(dir.join(DATABASE_FILE))?;
        Ok(AppState::with_storage(config, Arc::new(storage)))
    }

    /// A state over any storage backend.
    pub fn with_storage(config: ServerConfig, storage: Arc<dyn Storage>) -> AppState {
        AppState {
            inner: Arc::new(Inner {
                config,
                storage,
                limiter: LoginLimiter::default(),
                metrics: Metrics::default(),
            }),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &ServerConfig {
        &self.inner.config
    }

    /// The storage backend.
    pub fn storage(&self) -> &dyn Storage {
        self.inner.storage.as_ref()
    }

    /// A handle to the storage that can move into a blocking task.
    pub(crate) fn storage_arc(&self) -> Arc<dyn Storage> {
        self.inner.storage.clone()
    }

    /// The injected clock's now.
    pub fn now(&self) -> DateTime<Utc> {
        self.inner.config.clock.now()
    }

    pub(crate) fn limiter(&self) -> &LoginLimiter {
        &self.inner.limiter
    }

    pub(crate) fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }
}
