//! The beatbook sync server: accounts and enrolled devices, signed Automerge changes merged
//! into the server's copy of each record, and a feed scoped to what each user may see.
//!
//! Layout: [`http`] (routes, errors, serving) calls [`sync`] (push and pull rules) and the
//! administration in [`admin`] / [`seed`], which all reach persistent state only through
//! [`storage::Storage`].

pub mod admin;
pub mod config;
mod credentials;
pub mod error;
pub mod http;
mod limiter;
mod metrics;
pub mod seed;
pub mod state;
pub mod storage;
mod sync;

pub use admin::{DeviceSummary, NewUser, UserSummary};
pub use config::ServerConfig;
pub use error::ServerError;
pub use http::{router, router_with, serve, serve_with, ApiError, HttpLimits};
pub use seed::DemoSeed;
pub use state::AppState;
pub use storage::Storage;
