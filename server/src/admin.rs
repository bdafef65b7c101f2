//! Administration: accounts, devices and the county's jurisdiction. Used by the binary's
//! subcommands and by tests. These calls block (argon2, SQLite): inside a runtime, run them
//! on `spawn_blocking`.

use crate::credentials::hash_password;
use crate::error::ServerError;
use crate::state::AppState;
use crate::storage::{DeviceRow, UserRow};
use beatbook_model::{Assignment, County, Role};
use chrono::{DateTime, Utc};
use std::collections::HashSet;

/// Shortest accepted password.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// An account to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    /// Account name: 2–32 of `a-z 0-9 . _ -`.
    pub username: String,
    /// Name shown to people, e.g. 王磊.
    pub display_name: String,
    /// At least 8 characters; only its argon2id hash is kept.
    pub password: String,
    /// Role and place of work.
    pub assignment: Assignment,
}

/// An account as administrators see it (no password hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserSummary {
    /// Account name.
    pub username: String,
    /// Name shown to people.
    pub display_name: String,
    /// Role and place of work.
    pub assignment: Assignment,
    /// Whether the account is disabled.
    pub disabled: bool,
    /// When it was made.
    pub created_at: DateTime<Utc>,
}

/// A device as administrators see it (no token or key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceSummary {
    /// Server-side id (for `device revoke`).
    pub id: String,
    /// The account it enrolled with.
    pub username: String,
    /// The handset's name.
    pub name: String,
    /// When it enrolled.
    pub enrolled_at: DateTime<Utc>,
    /// When it last synced.
    pub last_seen_at: Option<DateTime<Utc>>,
    /// When its token expires.
    pub expires_at: DateTime<Utc>,
    /// Whether it was revoked.
    pub revoked: bool,
}

impl From<UserRow> for UserSummary {
    fn from(u: UserRow) -> Self {
        UserSummary {
            username: u.username,
            display_name: u.display_name,
            assignment: u.assignment,
            disabled: u.disabled,
            created_at: u.created_at,
        }
    }
}

impl From<DeviceRow> for DeviceSummary {
    fn from(d: DeviceRow) -> Self {
        DeviceSummary {
            id: d.id,
            username: d.username,
            name: d.name,
            enrolled_at: d.enrolled_at,
            last_seen_at: d.last_seen_at,
            expires_at: d.expires_at,
            revoked: d.revoked,
        }
    }
}

fn invalid(zh: &str, en: &str) -> ServerError {
    ServerError::Invalid(format!("{zh} / {en}"))
}

/// Whether `name` is a valid username.
pub fn valid_username(name: &str) -> bool {
    (2..=32).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b".-_".contains(&b))
}

/// Checks an account against the rules and, if a county is set, against its jurisdiction.
fn check_new_user(new: &NewUser, county: Option<&County>) -> Result<(), ServerError> {
    if !valid_username(&new.username) {
        return Err(invalid(
            &format!(
                "用户名“{}”无效：须为 2–32 位小写字母、数字或 . _ -",
                new.username
            ),
            "a username is 2–32 of a-z, 0-9, '.', '_' or '-'",
        ));
    }
    let display = new.display_name.trim();
    if display.is_empty() || display.chars().count() > 64 {
        return Err(invalid(
            "姓名不能为空，且不超过 64 个字",
            "the display name must be 1–64 characters",
        ));
    }
    if new.password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(invalid(
            "密码至少 8 位",
            "the password must have at least 8 characters",
        ));
    }
    let a = &new.assignment;
    if a.role != Role::CountyAdmin && a.station.is_none() {
        return Err(invalid(
            "除县局管理员外，每个角色都必须指定派出所",
            "every role but county admin needs a station",
        ));
    }
    if matches!(
        a.role,
        Role::CommunityOfficer | Role::Auxiliary | Role::GridWorker
    ) && a.villages.is_empty()
    {
        return Err(invalid(
            "社区民警、辅警和网格员至少负责一个村",
            "officers, auxiliaries and grid workers need at least one village",
        ));
    }
    let mut seen = HashSet::new();
    if let Some(v) = a.villages.iter().find(|v| !seen.insert(*v)) {
        return Err(invalid(
            &format!("村“{v}”重复"),
            &format!("village {v} is listed twice"),
        ));
    }
    if let Some(county) = county {
        if let Some(station) = &a.station {
            let Some(st) = county.stations.iter().find(|s| &s.id == station) else {
                return Err(invalid(
                    &format!("没有这个派出所：{station}"),
                    &format!("no station {station} in the county"),
                ));
            };
            if let Some(v) = a
                .villages
                .iter()
                .find(|v| !st.villages.iter().any(|sv| &sv.id == *v))
            {
                return Err(invalid(
                    &format!("{}没有这个村：{v}", st.name),
                    &format!("station {station} has no village {v}"),
                ));
            }
        } else if !a.villages.is_empty() {
            return Err(invalid(
                "指定村时必须同时指定派出所",
                "villages need their station",
            ));
        }
    }
    Ok(())
}

/// Checks that station ids, and village ids across the county, are unique and non-empty.
fn check_county(county: &County) -> Result<(), ServerError> {
    let mut stations = HashSet::new();
    let mut villages = HashSet::new();
    for s in &county.stations {
        if s.id.as_str().is_empty() || !stations.insert(&s.id) {
            return Err(invalid(
                &format!("派出所编号“{}”为空或重复", s.id),
                "station ids must be unique and non-empty",
            ));
        }
        for v in &s.villages {
            if v.id.as_str().is_empty() || !villages.insert(&v.id) {
                return Err(invalid(
                    &format!("村编号“{}”为空或重复", v.id),
                    "village ids must be unique across the county and non-empty",
                ));
            }
        }
    }
    Ok(())
}

impl AppState {
    /// Creates an account after checking it (see [`NewUser`]).
    pub fn add_user(&self, new: NewUser) -> Result<UserSummary, ServerError> {
        let county = self.storage().county()?;
        check_new_user(&new, county.as_ref())?;
        let row = UserRow {
            username: new.username.clone(),
            display_name: new.display_name.trim().to_owned(),
            password_hash: hash_password(&new.password)?,
            assignment: new.assignment,
            disabled: false,
            created_at: self.now(),
        };
        if !self.storage().insert_user(&row)? {
            return Err(ServerError::UserExists(new.username));
        }
        tracing::info!(username = %row.username, role = row.assignment.role.as_str(), "user added");
        Ok(row.into())
    }

    /// Every account, by username.
    pub fn list_users(&self) -> Result<Vec<UserSummary>, ServerError> {
        Ok(self
            .storage()
            .users()?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Disables an account: it can no longer log in or sync (its devices stop at once).
    pub fn disable_user(&self, username: &str) -> Result<(), ServerError> {
        if !self.storage().set_user_disabled(username, true)? {
            return Err(ServerError::NoSuchUser(username.to_owned()));
        }
        tracing::info!(%username, "user disabled");
        Ok(())
    }

    /// Every device, newest enrolment first.
    pub fn list_devices(&self) -> Result<Vec<DeviceSummary>, ServerError> {
        Ok(self
            .storage()
            .devices()?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Revokes a device (lost handset): its token stops working and changes it signed but
    /// the server has not yet accepted are refused.
    pub fn revoke_device(&self, device_id: &str) -> Result<(), ServerError> {
        if !self.storage().revoke_device(device_id)? {
            return Err(ServerError::NoSuchDevice(device_id.to_owned()));
        }
        tracing::info!(%device_id, "device revoked");
        Ok(())
    }

    /// Replaces the county's stations and villages.
    pub fn set_county(&self, county: County) -> Result<(), ServerError> {
        check_county(&county)?;
        self.storage().set_county(&county)?;
        Ok(())
    }

    /// The county's stations and villages, if set.
    pub fn county(&self) -> Result<Option<County>, ServerError> {
        Ok(self.storage().county()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        for ok in ["wang.lei", "li_2", "ab", "a-b"] {
            assert!(valid_username(ok), "{ok}");
        }
        for bad in ["a", "Wang", "王磊", "a b", "", &"x".repeat(33)] {
            assert!(!valid_username(bad), "{bad}");
        }
    }
}
