//! The one error type every handler returns: a status, and the JSON `{code, message}` body
//! of [`ApiErrorBody`]. Bad input gets a clear message; internal failures are logged and
//! answered with a generic one.

use crate::storage::StorageError;
use crate::sync::SyncError;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use beatbook_protocol::{hex, ApiErrorBody, ErrorCode};

/// An HTTP error answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The JSON body.
    pub body: ApiErrorBody,
    /// Seconds for a `Retry-After` header.
    pub retry_after: Option<u64>,
}

/// The usual status of each code.
pub(crate) fn status_of(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::BadRequest | ErrorCode::BadChange => StatusCode::BAD_REQUEST,
        ErrorCode::Unauthorized
        | ErrorCode::BadCredentials
        | ErrorCode::TokenExpired
        | ErrorCode::BadSignature => StatusCode::UNAUTHORIZED,
        ErrorCode::AccountDisabled
        | ErrorCode::DeviceRevoked
        | ErrorCode::UnknownActor
        | ErrorCode::OutOfScope
        | ErrorCode::Forbidden => StatusCode::FORBIDDEN,
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::Conflict => StatusCode::CONFLICT,
        ErrorCode::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::UpgradeRequired => StatusCode::UPGRADE_REQUIRED,
        ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl ApiError {
    /// An error with the code's usual status. `message`: Chinese, then English.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status: status_of(code),
            body: ApiErrorBody {
                code,
                message: message.into(),
                change: None,
            },
            retry_after: None,
        }
    }

    /// The same error with another status.
    pub fn with_status(mut self, status: StatusCode) -> ApiError {
        self.status = status;
        self
    }

    /// An internal failure: logged in full, answered generically.
    pub fn internal(error: impl std::fmt::Display) -> ApiError {
        tracing::error!(error = %error, "internal error");
        ApiError::new(
            ErrorCode::Internal,
            "服务器内部错误，已记录，请稍后重试 / internal server error (logged); retry later",
        )
    }

    /// The client speaks protocol `version`, which this server does not: an older one (the
    /// app must be upgraded) or a newer one (the server must be). Both are `426`.
    pub fn unsupported_protocol(version: u32) -> ApiError {
        if version < beatbook_protocol::PROTOCOL_VERSION {
            return ApiError::upgrade_required();
        }
        ApiError::new(
            ErrorCode::UpgradeRequired,
            format!(
                "服务器版本较旧，暂不支持此版本的应用，请联系管理员升级服务器 / this app speaks \
                 protocol {version}, newer than the server's {}; ask your administrator to \
                 upgrade the server",
                beatbook_protocol::PROTOCOL_VERSION
            ),
        )
    }

    /// A request without a protocol version: a client older than versioning.
    pub fn no_protocol() -> ApiError {
        ApiError::new(
            ErrorCode::UpgradeRequired,
            format!(
                "客户端版本过旧，请升级应用 / the request names no protocol version (this server \
                 speaks {}); please upgrade the app",
                beatbook_protocol::PROTOCOL_VERSION
            ),
        )
    }

    /// The client speaks an older protocol.
    pub fn upgrade_required() -> ApiError {
        ApiError::new(
            ErrorCode::UpgradeRequired,
            format!(
                "应用版本过旧，请升级后再同步 / this app is too old for the server (protocol {}); \
                 please upgrade",
                beatbook_protocol::PROTOCOL_VERSION
            ),
        )
    }
}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> Self {
        ApiError::internal(e)
    }
}

impl From<SyncError> for ApiError {
    fn from(e: SyncError) -> Self {
        match e {
            SyncError::Refused {
                code,
                message,
                change,
            } => {
                let status = match code {
                    ErrorCode::BadChange => StatusCode::BAD_REQUEST,
                    ErrorCode::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
                    _ => StatusCode::FORBIDDEN,
                };
                let mut err = ApiError::new(code, message).with_status(status);
                err.body.change = change.map(|h| hex(&h));
                err
            }
            other => ApiError::internal(other),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.body)).into_response();
        if let Some(secs) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}
