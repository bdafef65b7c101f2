//! Who is asking: the checks every signed endpoint after enrolment makes (protocol version,
//! bearer token, device not revoked, token not expired, account enabled, clock within ±10
//! minutes, and the device key's signature over method, path, time, token and body).

use super::{blocking, read_body, ApiError};
use crate::credentials::token_hash;
use crate::state::AppState;
use crate::storage::{DeviceRow, UserRow};
use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap};
use beatbook_protocol::{
    request_payload, unhex, verify, ErrorCode, MAX_BODY_BYTES, PROTOCOL_HEADER, PROTOCOL_VERSION,
    SIGNATURE_HEADER, TIME_HEADER,
};
use chrono::{DateTime, Utc};

/// How far a device's clock may be from the server's.
const MAX_CLOCK_SKEW_MS: i64 = 10 * 60 * 1000;

/// An authenticated request: the device that signed it, its (enabled) user, the server's
/// time when it was checked, and the body the signature covers.
pub(super) struct Signed {
    /// The enrolled, unrevoked device.
    pub(super) device: DeviceRow,
    /// Its account.
    pub(super) user: UserRow,
    /// The server's clock at the check.
    pub(super) now: DateTime<Utc>,
    /// The request body.
    pub(super) body: Bytes,
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

/// Checks a signed `POST` to `path` and reads its body.
pub(super) async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
    path: &str,
) -> Result<Signed, ApiError> {
    // An old client gets a clear answer before anything it cannot do right.
    if let Some(v) = headers.get(PROTOCOL_HEADER) {
        match v.to_str().ok().and_then(|s| s.trim().parse::<u32>().ok()) {
            Some(p) if p != PROTOCOL_VERSION => return Err(ApiError::unsupported_protocol(p)),
            Some(_) => {}
            None => {
                return Err(ApiError::new(
                    ErrorCode::BadRequest,
                    "协议版本头无效 / the protocol header is not a number",
                ))
            }
        }
    }

    let unauthorized =
        |zh: &str, en: &str| ApiError::new(ErrorCode::Unauthorized, format!("{zh} / {en}"));
    let token = header_str(headers, header::AUTHORIZATION.as_str())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .ok_or_else(|| unauthorized("未登录，请先登录", "no bearer token; log in first"))?;
    let storage = state.storage_arc();
    let hash = token_hash(&token);
    let found = blocking(move || {
        let Some(device) = storage.device_by_token(&hash)? else {
            return Ok(None);
        };
        let user = storage.user(&device.username)?;
        Ok(Some((device, user)))
    })
    .await?;
    let Some((device, user)) = found else {
        return Err(unauthorized(
            "登录凭据无效，请重新登录",
            "unknown token; log in again",
        ));
    };
    if device.revoked {
        return Err(ApiError::new(
            ErrorCode::DeviceRevoked,
            "此设备已被停用，请联系管理员 / this device was revoked; contact your administrator",
        ));
    }
    let now = state.now();
    if device.expires_at <= now {
        return Err(ApiError::new(
            ErrorCode::TokenExpired,
            "登录已过期，请重新登录 / the login has expired; log in again",
        ));
    }
    let user =
        match user {
            Some(u) if !u.disabled => u,
            _ => return Err(ApiError::new(
                ErrorCode::AccountDisabled,
                "账号已停用，请联系管理员 / this account is disabled; contact your administrator",
            )),
        };
    let time = header_str(headers, TIME_HEADER)
        .and_then(|v| v.parse::<i64>().ok())
        .ok_or_else(|| unauthorized("缺少请求时间", "missing or invalid x-beatbook-time"))?;
    if (time - now.timestamp_millis()).abs() > MAX_CLOCK_SKEW_MS {
        return Err(unauthorized(
            "设备时间与服务器相差超过 10 分钟，请校准设备时间后重试",
            "the device clock is off by more than 10 minutes; set the time and retry",
        ));
    }

    let body = read_body(body, MAX_BODY_BYTES).await?;
    let signature = header_str(headers, SIGNATURE_HEADER).and_then(unhex);
    let payload = request_payload("POST", path, time, &token, &body);
    if !signature.is_some_and(|s| verify(&device.public_key, &payload, &s)) {
        return Err(ApiError::new(
            ErrorCode::BadSignature,
            "请求签名无效 / the request signature does not verify",
        ));
    }
    Ok(Signed {
        device,
        user,
        now,
        body,
    })
}
