//! `POST /v1/sync`: authenticate the device (token, clock, signature), apply its pushed
//! changes all-or-nothing, and answer with the next page of its scoped feed, in one round
//! trip.

use super::{blocking, read_body, ApiError};
use crate::credentials::token_hash;
use crate::state::AppState;
use crate::sync::{pull, push, Pusher};
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use beatbook_protocol::{
    decode, encode, request_payload, unhex, verify, ErrorCode, SyncRequest, SyncResponse,
    BINARY_CONTENT_TYPE, MAX_BODY_BYTES, PROTOCOL_HEADER, PROTOCOL_VERSION, SIGNATURE_HEADER,
    TIME_HEADER,
};
use std::time::Instant;

/// How far a device's clock may be from the server's.
const MAX_CLOCK_SKEW_MS: i64 = 10 * 60 * 1000;
/// `last_seen_at` is written at most this often per device, so an idle sync costs no disk
/// write (every write is an fsync).
const TOUCH_EVERY_SECS: i64 = 60;

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

pub(super) async fn sync(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let started = Instant::now();
    // An old client gets a clear answer before anything it cannot do right.
    if let Some(v) = headers.get(PROTOCOL_HEADER) {
        match v.to_str().ok().and_then(|s| s.trim().parse::<u32>().ok()) {
            Some(p) if p < PROTOCOL_VERSION => return Err(ApiError::upgrade_required()),
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
    let token = header_str(&headers, header::AUTHORIZATION.as_str())
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
    let time = header_str(&headers, TIME_HEADER)
        .and_then(|v| v.parse::<i64>().ok())
        .ok_or_else(|| unauthorized("缺少请求时间", "missing or invalid x-beatbook-time"))?;
    if (time - now.timestamp_millis()).abs() > MAX_CLOCK_SKEW_MS {
        return Err(unauthorized(
            "设备时间与服务器相差超过 10 分钟，请校准设备时间后重试",
            "the device clock is off by more than 10 minutes; set the time and retry",
        ));
    }

    let body = read_body(body, MAX_BODY_BYTES).await?;
    let signature = header_str(&headers, SIGNATURE_HEADER).and_then(unhex);
    let payload = request_payload("POST", "/v1/sync", time, &token, &body);
    if !signature.is_some_and(|s| verify(&device.public_key, &payload, &s)) {
        return Err(ApiError::new(
            ErrorCode::BadSignature,
            "请求签名无效 / the request signature does not verify",
        ));
    }

    let storage = state.storage_arc();
    let device_id = device.id.clone();
    let touch = device
        .last_seen_at
        .is_none_or(|seen| (now - seen).num_seconds() >= TOUCH_EVERY_SECS);
    let (bytes, applied, pushed, pulled) = blocking(move || {
        let req: SyncRequest = decode(&body).map_err(|e| {
            ApiError::new(
                ErrorCode::BadRequest,
                format!("同步请求格式错误 / not a sync request: {e}"),
            )
        })?;
        if req.protocol < PROTOCOL_VERSION {
            return Err(ApiError::upgrade_required());
        }
        let pusher = Pusher {
            username: &user.username,
            assignment: &user.assignment,
        };
        let pushed = req.push.len();
        let outcome = push(storage.as_ref(), &pusher, req.push, now)?;
        let page = pull(
            storage.as_ref(),
            &user.assignment,
            req.cursor,
            req.max_pull_bytes,
            &outcome.appended,
        )?;
        if touch {
            storage.touch_device(&device_id, now)?;
        }
        let pulled = page.documents.len() + page.changes.len();
        let response = SyncResponse {
            acked: outcome.acked,
            documents: page.documents,
            changes: page.changes,
            cursor: page.cursor,
            more: page.more,
            remaining: page.remaining,
        };
        let bytes = encode(&response).map_err(ApiError::internal)?;
        Ok((bytes, outcome.applied, pushed, pulled))
    })
    .await?;

    let metrics = state.metrics();
    metrics.changes_applied(applied);
    metrics.sync(&device.id, started.elapsed().as_secs_f64(), now);
    tracing::debug!(
        username = %device.username, device = %device.id, pushed, applied, pulled,
        "synced"
    );
    Ok(([(header::CONTENT_TYPE, BINARY_CONTENT_TYPE)], bytes).into_response())
}
