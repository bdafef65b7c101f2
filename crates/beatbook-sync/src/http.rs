//! The network adapter: reqwest over HTTP(S). Signs every request with the device key, maps
//! transport failures to "offline" and refusals to the server's `{code, message}`.

use std::sync::Mutex;
use std::time::Duration;

use beatbook_protocol::{
    decode, encode, request_payload, ApiErrorBody, DeviceKey, DutyRulesRequest, DutyRulesResponse,
    EnrolRequest, EnrolResponse, ErrorCode, BINARY_CONTENT_TYPE, DUTY_RULES_PATH, PROTOCOL_HEADER,
    PROTOCOL_VERSION, SIGNATURE_HEADER, SYNC_PATH, TIME_HEADER,
};
use beatbook_protocol::{
    UnreadableRecord, UnreadableReport, MAX_UNREADABLE_REPORTED, UNREADABLE_PATH,
};
use beatbook_store::Store;

use crate::{Device, SyncError, Transport, CURSOR_META_KEY};

fn client() -> Result<reqwest::Client, SyncError> {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(120))
        .build()
        .map_err(|e| SyncError::Offline(e.to_string()))
}

fn base(server: &str) -> String {
    server.trim().trim_end_matches('/').to_owned()
}

/// Turns a non-success answer into the server's error, or a generic one if it sent none.
async fn refusal(resp: reqwest::Response) -> SyncError {
    let status = resp.status();
    let body = resp.bytes().await.unwrap_or_default();
    match serde_json::from_slice::<ApiErrorBody>(&body) {
        Ok(err) => SyncError::Refused(err),
        Err(_) if status.is_server_error() => SyncError::Refused(ApiErrorBody {
            code: ErrorCode::Unavailable,
            message: format!("服务器暂时不可用 / the server is unavailable ({status})"),
            change: None,
        }),
        Err(_) => SyncError::BadResponse(format!("HTTP {status}")),
    }
}

fn offline(e: reqwest::Error) -> SyncError {
    SyncError::Offline(e.to_string())
}

/// Sync over HTTP with an enrolled device's token and key.
#[derive(Debug)]
pub struct HttpTransport {
    client: reqwest::Client,
    server: String,
    token: String,
    key: DeviceKey,
}

impl HttpTransport {
    /// A transport for `device`.
    pub fn new(device: &Device) -> Result<Self, SyncError> {
        Ok(HttpTransport {
            client: client()?,
            server: base(&device.server),
            token: device.token.clone(),
            key: device.key()?,
        })
    }

    /// Sends the station's duty-rule changes (`POST /v1/duty-rules`) and returns its rules.
    pub async fn duty_rules(&self, req: &DutyRulesRequest) -> Result<DutyRulesResponse, SyncError> {
        let body = encode(req).map_err(|e| SyncError::BadResponse(e.to_string()))?;
        let answer = self.post(DUTY_RULES_PATH, body).await?;
        decode(&answer).map_err(|e| SyncError::BadResponse(e.to_string()))
    }

    /// Reports records this device cannot read (`POST /v1/unreadable`).
    pub async fn report_unreadable(&self, report: &UnreadableReport) -> Result<(), SyncError> {
        let body = encode(report).map_err(|e| SyncError::BadResponse(e.to_string()))?;
        self.post(UNREADABLE_PATH, body).await.map(drop)
    }

    /// A signed binary `POST` to `path`, as every endpoint after enrolment takes it.
    async fn post(&self, path: &str, body: Vec<u8>) -> Result<Vec<u8>, SyncError> {
        let time = chrono::Utc::now().timestamp_millis();
        let signature = self
            .key
            .sign(&request_payload("POST", path, time, &self.token, &body));
        let resp = self
            .client
            .post(format!("{}{path}", self.server))
            .bearer_auth(&self.token)
            .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
            .header(TIME_HEADER, time.to_string())
            .header(SIGNATURE_HEADER, beatbook_protocol::hex(&signature))
            .header(reqwest::header::CONTENT_TYPE, BINARY_CONTENT_TYPE)
            .body(body)
            .send()
            .await
            .map_err(offline)?;
        if !resp.status().is_success() {
            return Err(refusal(resp).await);
        }
        Ok(resp.bytes().await.map_err(offline)?.to_vec())
    }
}

impl Transport for HttpTransport {
    async fn exchange(&self, body: Vec<u8>) -> Result<Vec<u8>, SyncError> {
        self.post(SYNC_PATH, body).await
    }
}

/// Tells the server about the records this device keeps aside as unreadable and has not
/// reported yet (a metric and a log line for the admin). Returns how many were reported; a
/// failure leaves them for the next sync.
pub async fn report_unreadable(
    store: &Mutex<Store>,
    transport: &HttpTransport,
) -> Result<usize, SyncError> {
    let lock = || {
        store
            .lock()
            .map_err(|_| SyncError::BadResponse("the store lock was poisoned by a crash".into()))
    };
    let pending = lock()?.unreported_unreadable()?;
    let batch: Vec<_> = pending.into_iter().take(MAX_UNREADABLE_REPORTED).collect();
    if batch.is_empty() {
        return Ok(0);
    }
    let report = UnreadableReport {
        protocol: PROTOCOL_VERSION,
        records: batch
            .iter()
            .map(|u| UnreadableRecord {
                record: *u.id.0.as_bytes(),
                author: u.author.clone(),
                reason: u.reason.clone(),
            })
            .collect(),
    };
    transport.report_unreadable(&report).await?;
    let ids: Vec<_> = batch.iter().map(|u| u.id).collect();
    lock()?.mark_unreadable_reported(&ids)?;
    Ok(ids.len())
}

/// Logs in and enrols this device: makes its key pair, registers the key and the store's
/// actor with the server, and keeps the identity in the store. Logging in as someone else
/// on a store gives it a fresh actor and starts its feed over, so the new user receives
/// their whole scope.
pub async fn enrol(
    store: &Mutex<Store>,
    server: &str,
    username: &str,
    password: &str,
    device_name: &str,
) -> Result<Device, SyncError> {
    let key = DeviceKey::generate().map_err(|e| SyncError::BadResponse(e.to_string()))?;
    let previous = Device::load(&*lock(store)?)?;
    let same_user = previous
        .as_ref()
        .is_some_and(|d| d.user.username == username.trim());
    if let Some(previous) = previous.as_ref().filter(|_| !same_user) {
        let count = lock(store)?.pending_count()?;
        if count > 0 {
            return Err(SyncError::PendingWork {
                username: previous.user.username.clone(),
                count,
            });
        }
    }
    if previous.is_some() && !same_user {
        lock(store)?.reset_actor()?;
    }
    let actor = lock(store)?.actor().to_hex_string();
    let req = EnrolRequest {
        protocol: PROTOCOL_VERSION,
        username: username.trim().to_owned(),
        password: password.to_owned(),
        device_name: device_name.to_owned(),
        public_key: beatbook_protocol::hex(&key.public()),
        actor,
    };
    let resp = client()?
        .post(format!("{}/v1/enrol", base(server)))
        .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
        .json(&req)
        .send()
        .await
        .map_err(offline)?;
    if !resp.status().is_success() {
        return Err(refusal(resp).await);
    }
    let enrolled: EnrolResponse = resp
        .json()
        .await
        .map_err(|e| SyncError::BadResponse(e.to_string()))?;
    let device = Device::new(
        base(server),
        enrolled.device_id,
        enrolled.token,
        enrolled.expires_at,
        &key,
        enrolled.user,
    );
    let mut store = lock(store)?;
    device.save(&mut store)?;
    store.set_meta(
        crate::device::COUNTY_META_KEY,
        &serde_json::to_string(&enrolled.county).unwrap_or_default(),
    )?;
    store.set_meta(
        crate::device::STAFF_META_KEY,
        &serde_json::to_string(&enrolled.staff).unwrap_or_default(),
    )?;
    if previous.is_some() && !same_user {
        store.set_meta(CURSOR_META_KEY, "{}")?;
    }
    Ok(device)
}

fn lock(store: &Mutex<Store>) -> Result<std::sync::MutexGuard<'_, Store>, SyncError> {
    store
        .lock()
        .map_err(|_| SyncError::BadResponse("the store lock was poisoned by a crash".into()))
}
