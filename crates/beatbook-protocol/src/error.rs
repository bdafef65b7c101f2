//! The error shape every API error has: `{code, message}` with a stable code for programs and
//! a message for people (Chinese, then English).

use serde::{Deserialize, Serialize};

/// Stable error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The body or a parameter is malformed.
    BadRequest,
    /// No, unknown or expired credentials.
    Unauthorized,
    /// Wrong username or password.
    BadCredentials,
    /// The account is disabled.
    AccountDisabled,
    /// The device was revoked (lost handset).
    DeviceRevoked,
    /// The token has expired: log in again.
    TokenExpired,
    /// A request or change signature does not verify.
    BadSignature,
    /// A change's actor belongs to no enrolled device, or to another one.
    UnknownActor,
    /// A change touches a record outside the user's scope, or changes a fixed field.
    OutOfScope,
    /// The user's role may not do this (e.g. an officer changing the station's duty rules).
    Forbidden,
    /// A change's bytes are not a valid Automerge change for its record.
    BadChange,
    /// The client speaks an older protocol: upgrade the app.
    UpgradeRequired,
    /// Too many attempts: wait and retry.
    RateLimited,
    /// The body is too large.
    TooLarge,
    /// Not found.
    NotFound,
    /// Conflicts with existing state (e.g. the username is taken).
    Conflict,
    /// The server is overloaded or shutting down: retry later.
    Unavailable,
    /// Something failed on the server; it was logged.
    Internal,
}

impl ErrorCode {
    /// The code as written on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::BadCredentials => "bad_credentials",
            ErrorCode::AccountDisabled => "account_disabled",
            ErrorCode::DeviceRevoked => "device_revoked",
            ErrorCode::TokenExpired => "token_expired",
            ErrorCode::BadSignature => "bad_signature",
            ErrorCode::UnknownActor => "unknown_actor",
            ErrorCode::OutOfScope => "out_of_scope",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::BadChange => "bad_change",
            ErrorCode::UpgradeRequired => "upgrade_required",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::TooLarge => "too_large",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Conflict => "conflict",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::Internal => "internal",
        }
    }

    /// Whether retrying the same request later may succeed.
    pub fn is_transient(self) -> bool {
        matches!(
            self,
            ErrorCode::RateLimited | ErrorCode::Unavailable | ErrorCode::Internal
        )
    }
}

/// The JSON body of every error response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiErrorBody {
    /// Stable code.
    pub code: ErrorCode,
    /// For people: Chinese, then English.
    pub message: String,
    /// The change (hex hash) that caused the refusal, when one did: the client sets it
    /// aside so the rest of its work still syncs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change: Option<String>,
}
