//! The on-device record store: one Automerge document per record so offline edits merge field
//! by field, SQLite projections for fast lists and Chinese substring search, and the outbox of
//! changes waiting for the server. Optionally encrypted at rest with SQLCipher.

mod error;
pub mod private;
mod schema;
pub mod search;
mod store;

pub use automerge::{ActorId, ChangeHash};
pub use beatbook_doc::Conflict;
pub use error::{Result, StoreError};
pub use schema::VERSION as SCHEMA_VERSION;
pub use store::{
    ApplyReport, IncomingChange, ListQuery, PendingChange, PersonHit, RecordView, Store, StoreKey,
    Summary, Unreadable, COMPACT_AT,
};
