//! `POST /v1/unreadable`: a device reports records it received but cannot read (it keeps
//! them aside; its sync goes on). Each becomes a warning in the server log naming the record,
//! its author, the reporting user and device and the reason, and counts in
//! `beatbook_unreadable_records_reported_total`, so the admin learns of a bad record before an
//! officer does. Authenticated like `/v1/sync`; the report changes no data.

use super::auth::{authenticate, Signed};
use super::ApiError;
use crate::state::AppState;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use beatbook_protocol::{
    decode_request, ErrorCode, UnreadableReport, MAX_UNREADABLE_REPORTED, PROTOCOL_VERSION,
    UNREADABLE_PATH,
};

pub(super) async fn unreadable(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<StatusCode, ApiError> {
    let Signed { device, body, .. } = authenticate(&state, &headers, body, UNREADABLE_PATH).await?;
    let report: UnreadableReport = decode_request(&body).map_err(|e| {
        ApiError::new(
            ErrorCode::BadRequest,
            format!("报告格式错误 / not an unreadable-records report: {e}"),
        )
    })?;
    if report.protocol != PROTOCOL_VERSION {
        return Err(ApiError::unsupported_protocol(report.protocol));
    }
    if report.records.len() > MAX_UNREADABLE_REPORTED {
        return Err(ApiError::new(
            ErrorCode::TooLarge,
            format!(
                "一次最多报告 {MAX_UNREADABLE_REPORTED} 条 / at most \
                 {MAX_UNREADABLE_REPORTED} records per report"
            ),
        ));
    }
    for r in &report.records {
        let record = uuid::Uuid::from_bytes(r.record);
        let reason: String = r.reason.chars().take(500).collect();
        let author: String = r.author.chars().take(64).collect();
        tracing::warn!(
            %record, author = %author.escape_debug(), username = %device.username,
            device = %device.id, reason = %reason.escape_debug(),
            "a device cannot read a record; it keeps it aside as 无法读取"
        );
    }
    state
        .metrics()
        .unreadable_reported(report.records.len() as u64);
    Ok(StatusCode::NO_CONTENT)
}
