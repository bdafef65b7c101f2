//! The sync rules, independent of HTTP and of the storage backend: accepting a pushed batch
//! ([`push`]) and paging a user's scoped feed ([`pull`]).

mod check;
mod pull;
mod push;

pub(crate) use pull::pull;
pub(crate) use push::{push, push_within, Pusher};

use crate::storage::StorageError;
use beatbook_protocol::{ChangeKey, ErrorCode};

/// Why a sync could not be carried out.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SyncError {
    /// The batch breaks a rule; nothing of it was applied.
    #[error("{message}")]
    Refused {
        /// Stable code.
        code: ErrorCode,
        /// For people: Chinese, then English.
        message: String,
        /// The change that caused it, if one did.
        change: Option<ChangeKey>,
    },
    /// The database failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// Stored data the server cannot read back.
    #[error("{0}")]
    Internal(String),
}

impl SyncError {
    fn refused(code: ErrorCode, change: Option<ChangeKey>, zh: &str, en: &str) -> SyncError {
        SyncError::Refused {
            code,
            message: format!("{zh} / {en}"),
            change,
        }
    }
}
