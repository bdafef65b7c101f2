//! `POST /v1/enrol`: log in with username and password and register the handset's key and
//! Automerge actor. Answers a bearer token that works only with the enrolled key's
//! signatures.

use super::{blocking, read_body, ApiError, ClientIp};
use crate::credentials::{new_token, token_hash, verify_nobody, verify_password};
use crate::state::AppState;
use crate::storage::{DeviceRow, UserRow};
use axum::body::Body;
use axum::extract::State;
use axum::Json;
use beatbook_model::{Assignment, County, Role};
use beatbook_protocol::{
    unhex, EnrolRequest, EnrolResponse, ErrorCode, UserInfo, PROTOCOL_VERSION,
};

/// An enrolment body is small; anything bigger is not one.
const MAX_ENROL_BYTES: usize = 64 * 1024;
/// Longest device name kept.
const MAX_DEVICE_NAME_CHARS: usize = 64;

fn bad_request(zh: &str, en: &str) -> ApiError {
    ApiError::new(ErrorCode::BadRequest, format!("{zh} / {en}"))
}

pub(super) async fn enrol(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    body: Body,
) -> Result<Json<EnrolResponse>, ApiError> {
    let bytes = read_body(body, MAX_ENROL_BYTES).await?;
    let req: EnrolRequest = serde_json::from_slice(&bytes).map_err(|e| {
        bad_request(
            "登录请求格式错误",
            &format!("not an enrolment request: {e}"),
        )
    })?;
    if req.protocol != PROTOCOL_VERSION {
        return Err(ApiError::unsupported_protocol(req.protocol));
    }
    let username = req.username.trim().to_lowercase();
    let now = state.now();
    if let Err(seconds) = state.limiter().check(&username, ip, now) {
        let mut err = ApiError::new(
            ErrorCode::RateLimited,
            format!(
                "登录失败次数过多，请 {} 分钟后再试 / too many failed logins; retry in {seconds} s",
                seconds.div_ceil(60)
            ),
        );
        err.retry_after = Some(seconds);
        return Err(err);
    }
    let public_key = unhex(req.public_key.trim())
        .filter(|k| k.len() == 32)
        .ok_or_else(|| bad_request("设备公钥无效", "public_key must be 32 bytes of hex"))?;
    let actor = unhex(req.actor.trim())
        .filter(|a| (1..=32).contains(&a.len()))
        .ok_or_else(|| bad_request("设备标识无效", "actor must be 1 to 32 bytes of hex"))?;
    let mut device_name = req.device_name.trim().to_owned();
    if device_name.is_empty() {
        device_name = "未命名设备".to_owned();
    }
    if device_name.chars().count() > MAX_DEVICE_NAME_CHARS {
        return Err(bad_request(
            "设备名称过长",
            "device_name is longer than 64 characters",
        ));
    }

    let storage = state.storage_arc();
    let password = req.password;
    let name = username.clone();
    let user = blocking(move || {
        Ok(match storage.user(&name)? {
            Some(u) if verify_password(&password, &u.password_hash) => Some(u),
            Some(_) => None,
            None => {
                verify_nobody(&password);
                None
            }
        })
    })
    .await?;
    let Some(user) = user else {
        state.limiter().failed(&username, ip, now);
        tracing::info!(%username, ?ip, "failed login");
        return Err(ApiError::new(
            ErrorCode::BadCredentials,
            "用户名或密码错误 / wrong username or password",
        ));
    };
    state.limiter().succeeded(&username);
    if user.disabled {
        return Err(ApiError::new(
            ErrorCode::AccountDisabled,
            "账号已停用，请联系管理员 / this account is disabled; contact your administrator",
        ));
    }

    let token = new_token().map_err(ApiError::internal)?;
    let device = DeviceRow {
        id: uuid::Uuid::now_v7().to_string(),
        username: user.username.clone(),
        name: device_name,
        public_key,
        token_hash: token_hash(&token),
        expires_at: now + state.config().token_ttl,
        revoked: false,
        enrolled_at: now,
        last_seen_at: None,
    };
    let storage = state.storage_arc();
    let new_device = device.clone();
    let county = blocking(move || {
        let mut tx = storage.begin()?;
        match tx.device_by_actor(&actor)? {
            Some(old) if old.username != new_device.username => {
                return Err(ApiError::new(
                    ErrorCode::Conflict,
                    "此设备上的数据属于另一个账号，请先清除设备数据 / this handset's data \
                     belongs to another account; reset the app's data first",
                ));
            }
            // The same person logging in again on the same handset store: the old
            // enrolment gives way so one actor always means one live device.
            Some(old) => tx.revoke_device(&old.id)?,
            None => {}
        }
        tx.insert_device(&new_device)?;
        tx.bind_actor(&actor, &new_device.id)?;
        tx.commit()?;
        Ok((storage.county()?, storage.users()?))
    })
    .await?;
    let (county, users) = county;
    let staff = colleagues(&user.assignment, users);
    tracing::info!(username = %user.username, device = %device.id, "device enrolled");
    Ok(Json(EnrolResponse {
        user: UserInfo {
            username: user.username,
            display_name: user.display_name,
            assignment: user.assignment,
        },
        device_id: device.id,
        token,
        expires_at: device.expires_at,
        county: county.unwrap_or_else(|| County {
            name: String::new(),
            stations: Vec::new(),
        }),
        staff,
    }))
}

/// The active accounts `me` works with: everyone for a county admin, the same station for
/// everyone else (names and roles only; no credentials).
fn colleagues(me: &Assignment, users: Vec<UserRow>) -> Vec<UserInfo> {
    users
        .into_iter()
        .filter(|u| !u.disabled)
        .filter(|u| me.role == Role::CountyAdmin || u.assignment.station == me.station)
        .map(|u| UserInfo {
            username: u.username,
            display_name: u.display_name,
            assignment: u.assignment,
        })
        .collect()
}
