//! What can go wrong with a sync, sorted by what the caller should do about it.

use beatbook_protocol::{ApiErrorBody, ErrorCode};
use beatbook_store::StoreError;

/// A failed sync or enrolment.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The server cannot be reached (no signal, server down): try again later; nothing lost.
    #[error("无法连接服务器，已保存在本机，稍后自动重试 / cannot reach the server; work is saved on this device and will be sent later ({0})")]
    Offline(String),
    /// The server refused the request.
    #[error("{} ({})", .0.message, .0.code.as_str())]
    Refused(ApiErrorBody),
    /// The server answered with something that is not the protocol.
    #[error("服务器响应无效 / the server's answer is not valid: {0}")]
    BadResponse(String),
    /// This device is not enrolled: log in first.
    #[error("本机尚未登录，请先登录 / this device is not enrolled: log in first")]
    NotEnrolled,
    /// Someone else's work on this handset has not been sent yet; logging in as another user
    /// now would strand it.
    #[error("本机还有 {count} 条 {username} 的修改尚未上传，请先由 {username} 登录并同步 / {count} changes by {username} have not been sent yet: let {username} log in and sync first")]
    PendingWork { username: String, count: usize },
    /// The local store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl SyncError {
    /// Whether retrying later may succeed without the user doing anything.
    pub fn is_transient(&self) -> bool {
        match self {
            SyncError::Offline(_) => true,
            SyncError::Refused(body) => body.code.is_transient(),
            SyncError::BadResponse(_) => true,
            SyncError::NotEnrolled | SyncError::PendingWork { .. } | SyncError::Store(_) => false,
        }
    }

    /// Whether the user must log in again (expired token, revoked device, disabled account).
    pub fn needs_login(&self) -> bool {
        matches!(
            self,
            SyncError::NotEnrolled
                | SyncError::Refused(ApiErrorBody {
                    code: ErrorCode::Unauthorized
                        | ErrorCode::TokenExpired
                        | ErrorCode::DeviceRevoked
                        | ErrorCode::AccountDisabled
                        | ErrorCode::BadCredentials,
                    ..
                })
        )
    }

    /// A stable code for programs.
    pub fn code(&self) -> &'static str {
        match self {
            SyncError::Offline(_) => "offline",
            SyncError::Refused(body) => body.code.as_str(),
            SyncError::BadResponse(_) => "bad_response",
            SyncError::NotEnrolled => "not_enrolled",
            SyncError::PendingWork { .. } => "pending_work",
            SyncError::Store(e) => e.code(),
        }
    }
}
