//! `POST /v1/duty-rules`: the stations' duty rules. A device sends the rule changes it made
//! (none to just read) and receives the live rules: its station's, or every station's for a
//! county admin. Authenticated like `/v1/sync` (token, clock, device signature).
//!
//! Only a chief (for their own station) or a county admin (any station) may change rules;
//! anyone else sending an op gets `403 forbidden` and nothing changes. Every rule is checked by
//! the model. A rule is immutable once made and a removal is final (a tombstone, even for a
//! rule not seen yet), so duplicates, retries and reordered ops converge. All ops of a request
//! are applied in one transaction, durable before the answer, or none is; every row keeps the
//! user and device of its last change.

use super::auth::{authenticate, Signed};
use super::{blocking, ApiError};
use crate::state::AppState;
use crate::storage::{DutyRuleRow, Storage, UserRow};
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use beatbook_model::{Lang, Role};
use beatbook_protocol::{
    decode_request, encode, DutyRuleOp, DutyRulesRequest, DutyRulesResponse, ErrorCode,
    BINARY_CONTENT_TYPE, DUTY_RULES_PATH, PROTOCOL_VERSION,
};
use chrono::{DateTime, Utc};

pub(super) async fn duty_rules(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let Signed {
        device,
        user,
        now,
        body,
    } = authenticate(&state, &headers, body, DUTY_RULES_PATH).await?;
    let storage = state.storage_arc();
    let device_id = device.id.clone();
    let (bytes, ops, applied) = blocking(move || {
        let req: DutyRulesRequest = decode_request(&body).map_err(|e| {
            ApiError::new(
                ErrorCode::BadRequest,
                format!("值勤规则请求格式错误 / not a duty-rules request: {e}"),
            )
        })?;
        if req.protocol != PROTOCOL_VERSION {
            return Err(ApiError::unsupported_protocol(req.protocol));
        }
        let ops = req.ops.len();
        let applied = apply(storage.as_ref(), &user, &device_id, &req.ops, now)?;
        let a = &user.assignment;
        let rules = match (a.role, &a.station) {
            (Role::CountyAdmin, _) => storage.duty_rules(None)?,
            (_, Some(station)) => storage.duty_rules(Some(station))?,
            (_, None) => Vec::new(),
        };
        let bytes = encode(&DutyRulesResponse { rules, applied }).map_err(ApiError::internal)?;
        Ok((bytes, ops, applied))
    })
    .await?;
    tracing::debug!(
        username = %device.username, device = %device.id, ops, applied,
        "duty rules exchanged"
    );
    Ok(([(header::CONTENT_TYPE, BINARY_CONTENT_TYPE)], bytes).into_response())
}

/// Checks every op, then applies them all in one transaction; returns how many changed
/// something.
fn apply(
    storage: &dyn Storage,
    user: &UserRow,
    device: &str,
    ops: &[DutyRuleOp],
    now: DateTime<Utc>,
) -> Result<u32, ApiError> {
    if ops.is_empty() {
        return Ok(0);
    }
    let a = &user.assignment;
    for op in ops {
        if !a.can_manage_duty_rules(op.station()) {
            let denied = beatbook_model::Denied::DutyRules;
            return Err(ApiError::new(
                ErrorCode::Forbidden,
                format!(
                    "{}（{}） / {} ({})",
                    denied.message(Lang::Zh),
                    op.station(),
                    denied.message(Lang::En),
                    op.station()
                ),
            ));
        }
        if let DutyRuleOp::Put(rule) = op {
            rule.check().map_err(|e| {
                ApiError::new(
                    ErrorCode::BadRequest,
                    format!("{} / {}", e.message(Lang::Zh), e.message(Lang::En)),
                )
                .with_status(StatusCode::UNPROCESSABLE_ENTITY)
            })?;
        }
    }

    let conflict = |zh: &str, en: &str| {
        ApiError::new(
            ErrorCode::Conflict,
            format!("值勤规则 {zh} / duty rule {en}"),
        )
    };
    let mut tx = storage.begin()?;
    let mut applied = 0;
    for op in ops {
        let id = op.id();
        let existing = tx.duty_rule(id)?;
        if let Some(row) = existing.as_ref().filter(|r| &r.station != op.station()) {
            return Err(conflict(
                &format!("{id} 属于另一个派出所（{}）", row.station),
                &format!("{id} belongs to another station ({})", row.station),
            ));
        }
        let row = match (op, existing) {
            // A removal is final: a rule arriving after it stays removed.
            (_, Some(row)) if row.removed => continue,
            (DutyRuleOp::Put(rule), Some(row)) if row.rule.as_ref() == Some(rule) => continue,
            (DutyRuleOp::Put(_), Some(_)) => {
                return Err(conflict(
                    &format!("{id} 创建后不能修改，请删除后新建"),
                    &format!("{id} cannot change once made; remove it and add a new one"),
                ))
            }
            (DutyRuleOp::Put(rule), None) => DutyRuleRow {
                id,
                station: rule.station.clone(),
                rule: Some(rule.clone()),
                removed: false,
                updated_by: user.username.clone(),
                device: device.to_owned(),
                updated_at: now,
            },
            (DutyRuleOp::Remove { station, .. }, existing) => DutyRuleRow {
                id,
                station: station.clone(),
                rule: existing.and_then(|r| r.rule),
                removed: true,
                updated_by: user.username.clone(),
                device: device.to_owned(),
                updated_at: now,
            },
        };
        tx.put_duty_rule(&row)?;
        applied += 1;
    }
    tx.commit()?;
    Ok(applied)
}
