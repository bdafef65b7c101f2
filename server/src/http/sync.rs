//! `POST /v1/sync`: authenticate the device (token, clock, signature), apply its pushed
//! changes all-or-nothing, and answer with the next page of its scoped feed, in one round
//! trip.

use super::auth::{authenticate, Signed};
use super::{blocking, ApiError};
use crate::state::AppState;
use crate::sync::{pull, push_within, Pusher};
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use beatbook_protocol::{
    decode_request, encode, CodecError, ErrorCode, SyncRequest, SyncResponse, BINARY_CONTENT_TYPE,
    PROTOCOL_HEADER, PROTOCOL_VERSION, SYNC_PATH,
};
use std::time::Instant;

/// `last_seen_at` is written at most this often per device, so an idle sync costs no disk
/// write (every write is an fsync).
const TOUCH_EVERY_SECS: i64 = 60;

pub(super) async fn sync(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let started = Instant::now();
    // A version this server does not speak is refused before anything else; a request
    // that names none, once it is known to come from a device.
    let named = headers.get(PROTOCOL_HEADER).is_some();
    if let Some(v) = headers.get(PROTOCOL_HEADER) {
        match v.to_str().ok().and_then(|s| s.trim().parse::<u32>().ok()) {
            Some(PROTOCOL_VERSION) => {}
            Some(other) => return Err(ApiError::unsupported_protocol(other)),
            None => {
                return Err(ApiError::new(
                    ErrorCode::BadRequest,
                    "协议版本头无效 / the protocol header is not a number",
                ))
            }
        }
    }
    let Signed {
        device,
        user,
        now,
        body,
    } = authenticate(&state, &headers, body, SYNC_PATH).await?;
    if !named {
        return Err(ApiError::no_protocol());
    }

    let storage = state.storage_arc();
    let device_id = device.id.clone();
    let touch = device
        .last_seen_at
        .is_none_or(|seen| (now - seen).num_seconds() >= TOUCH_EVERY_SECS);
    let (bytes, applied, pushed, pulled) = blocking(move || {
        // The body may decompress only in proportion to its size, and nothing may follow
        // the request.
        let req: SyncRequest = decode_request(&body).map_err(|e| match e {
            CodecError::TooLarge(_) => ApiError::new(
                ErrorCode::TooLarge,
                format!("同步请求解压后过大 / the sync request is too large: {e}"),
            ),
            _ => ApiError::new(
                ErrorCode::BadRequest,
                format!("同步请求格式错误 / not a sync request: {e}"),
            ),
        })?;
        if req.protocol != PROTOCOL_VERSION {
            return Err(ApiError::unsupported_protocol(req.protocol));
        }
        let pusher = Pusher {
            username: &user.username,
            assignment: &user.assignment,
        };
        let pushed = req.push.len();
        let outcome = push_within(storage.as_ref(), &pusher, req.push, now, body.len())?;
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
