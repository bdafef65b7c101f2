//! The enrolled device's identity, kept in the (encrypted) store: server address, token,
//! signing key and who is logged in.

use beatbook_protocol::{DeviceKey, UserInfo};
use beatbook_store::Store;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::SyncError;

/// The store meta key holding the device identity.
pub const DEVICE_META_KEY: &str = "device";
/// The store meta key holding the county's stations and villages (JSON), from enrolment.
pub const COUNTY_META_KEY: &str = "county";
/// The store meta key holding the people the user works with (JSON), from enrolment.
pub const STAFF_META_KEY: &str = "staff";

/// Everything a device needs to talk to its server.
#[derive(Clone, Serialize, Deserialize)]
pub struct Device {
    /// Server base URL, e.g. `http://10.0.0.5:8080`.
    pub server: String,
    /// The device's id on the server.
    pub device_id: String,
    /// Bearer token (useless without `key`).
    pub token: String,
    /// When the token expires.
    pub expires_at: DateTime<Utc>,
    /// The ed25519 secret key (hex).
    key: String,
    /// Who is logged in.
    pub user: UserInfo,
}

impl std::fmt::Debug for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Device")
            .field("server", &self.server)
            .field("device_id", &self.device_id)
            .field("user", &self.user.username)
            .finish_non_exhaustive()
    }
}

impl Device {
    /// A device identity from an enrolment.
    pub fn new(
        server: String,
        device_id: String,
        token: String,
        expires_at: DateTime<Utc>,
        key: &DeviceKey,
        user: UserInfo,
    ) -> Self {
        Device {
            server,
            device_id,
            token,
            expires_at,
            key: beatbook_protocol::hex(&key.secret()),
            user,
        }
    }

    /// The signing key.
    pub fn key(&self) -> Result<DeviceKey, SyncError> {
        beatbook_protocol::unhex(&self.key)
            .and_then(|b| DeviceKey::from_secret(&b).ok())
            .ok_or_else(|| SyncError::BadResponse("stored device key is damaged".into()))
    }

    /// The enrolled device of `store`, if any.
    pub fn load(store: &Store) -> Result<Option<Device>, SyncError> {
        match store.get_meta(DEVICE_META_KEY)? {
            None => Ok(None),
            Some(json) => serde_json::from_str(&json)
                .map(Some)
                .map_err(|e| SyncError::BadResponse(format!("stored device is damaged: {e}"))),
        }
    }

    /// The county (stations and villages) the server sent at enrolment.
    pub fn county(store: &Store) -> Result<Option<beatbook_model::County>, SyncError> {
        Ok(store
            .get_meta(COUNTY_META_KEY)?
            .and_then(|json| serde_json::from_str(&json).ok()))
    }

    /// The people the user works with, as the server listed them at enrolment (empty for a
    /// device enrolled with an older server; logging in again refreshes it).
    pub fn staff(store: &Store) -> Result<Vec<UserInfo>, SyncError> {
        Ok(store
            .get_meta(STAFF_META_KEY)?
            .and_then(|json| serde_json::from_str(&json).ok())
            .unwrap_or_default())
    }

    /// Saves this identity in `store`.
    pub fn save(&self, store: &mut Store) -> Result<(), SyncError> {
        let json =
            serde_json::to_string(self).map_err(|e| SyncError::BadResponse(e.to_string()))?;
        store.set_meta(DEVICE_META_KEY, &json)?;
        Ok(())
    }
}
