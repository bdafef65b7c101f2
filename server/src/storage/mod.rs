//! The server's storage boundary: the only way handlers and admin operations touch persistent
//! state. SQLite ([`sqlite::SqliteStorage`]) is the embedded default; another backend (e.g.
//! PostgreSQL) implements [`Storage`] and [`WriteTx`] and nothing else changes.
//!
//! The trait is deliberately dumb: rows in, rows out, one write transaction at a time. Rules
//! (who may write what, how Automerge changes are checked) live in the callers, so a second
//! backend cannot drift from the first.

pub mod sqlite;

use beatbook_model::{
    Assignment, County, DutyRule, Kind, RecordId, Role, Scope, StationId, VillageId,
};
use chrono::{DateTime, Utc};

/// A storage operation that failed. Callers log it and answer with a generic message.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The database refused or failed.
    #[error("数据库出错：{0} / database error")]
    Backend(String),
    /// A stored row could not be read back (damaged or written by a newer version).
    #[error("存储的数据无法读取：{0} / stored data is damaged")]
    Corrupt(String),
}

/// Result of storage operations.
pub type StorageResult<T> = Result<T, StorageError>;

/// An account as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRow {
    /// Account name.
    pub username: String,
    /// Name shown to people.
    pub display_name: String,
    /// PHC string of the argon2id hash.
    pub password_hash: String,
    /// Role and place of work.
    pub assignment: Assignment,
    /// Disabled accounts cannot log in or sync.
    pub disabled: bool,
    /// When the account was made.
    pub created_at: DateTime<Utc>,
}

/// An enrolled device as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRow {
    /// Server-side id (UUID v7 text).
    pub id: String,
    /// The account it enrolled with.
    pub username: String,
    /// A name for people, e.g. 警务通-0042.
    pub name: String,
    /// ed25519 public key (32 bytes).
    pub public_key: Vec<u8>,
    /// sha256 of the bearer token; the token itself is never stored.
    pub token_hash: [u8; 32],
    /// When the token stops working.
    pub expires_at: DateTime<Utc>,
    /// Revoked devices can neither sync nor have new changes accepted.
    pub revoked: bool,
    /// When it enrolled.
    pub enrolled_at: DateTime<Utc>,
    /// When it last synced.
    pub last_seen_at: Option<DateTime<Utc>>,
}

/// A record's Automerge document as the server keeps it, with the header fields that decide
/// who may see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDocument {
    /// The record.
    pub record: RecordId,
    /// Its kind (fixed at creation).
    pub kind: Kind,
    /// Its village (fixed at creation).
    pub scope: Scope,
    /// What `AutoCommit::load` reads: the saved document, or for a record whose history is
    /// one change, that change's chunk (how a backend keeps it at rest is its own affair).
    pub data: Vec<u8>,
    /// The log position of the last change applied to it.
    pub last_seq: u64,
}

/// A change to append to the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewChange {
    /// Automerge change hash.
    pub hash: [u8; 32],
    /// The record it belongs to.
    pub record: RecordId,
    /// The record's kind.
    pub kind: Kind,
    /// The record's scope.
    pub scope: Scope,
    /// The encoded change.
    pub data: Vec<u8>,
    /// The author device's signature over `change_payload(hash)`.
    pub signature: Vec<u8>,
    /// The device whose key signed it (owner of the change's actor).
    pub device_id: String,
    /// The user who pushed it (may differ from the device's user when relayed).
    pub username: String,
    /// When the server received it.
    pub received_at: DateTime<Utc>,
}

/// A change read back from the log for a pull.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedChange {
    /// Log position.
    pub seq: u64,
    /// The record.
    pub record: RecordId,
    /// The record's kind.
    pub kind: Kind,
    /// The record's scope.
    pub scope: Scope,
    /// The encoded change.
    pub data: Vec<u8>,
}

/// A station's duty rule as stored, with who last changed it. Rules are immutable; the only
/// change after creation is the removal, which is final.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DutyRuleRow {
    /// The rule's id.
    pub id: RecordId,
    /// Its station.
    pub station: StationId,
    /// The rule; `None` for a removal that arrived before the rule itself.
    pub rule: Option<DutyRule>,
    /// Whether it was removed.
    pub removed: bool,
    /// The user who made the last change.
    pub updated_by: String,
    /// The device that sent it.
    pub device: String,
    /// When the server received it.
    pub updated_at: DateTime<Utc>,
}

/// One page of a feed: the items, and whether the query ran out (nothing further matched).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// Items in feed order.
    pub items: Vec<T>,
    /// True if no further item matched; false if the page stopped at the byte budget.
    pub exhausted: bool,
}

/// The records a user may receive, in a form a backend can turn into a query. Built from
/// [`Assignment::can_read`] so the two cannot disagree; callers still re-check every row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadFilter {
    /// Nothing (e.g. an officer without a station or villages).
    Nothing,
    /// Every station and village.
    All {
        /// Kinds never sent.
        hidden: Vec<Kind>,
    },
    /// One station.
    Station {
        /// The station.
        station: StationId,
        /// Kinds never sent.
        hidden: Vec<Kind>,
    },
    /// Some villages of one station.
    Villages {
        /// The station.
        station: StationId,
        /// Its villages.
        villages: Vec<VillageId>,
        /// Kinds never sent.
        hidden: Vec<Kind>,
    },
}

impl ReadFilter {
    /// The filter for a user's assignment.
    pub fn for_assignment(a: &Assignment) -> ReadFilter {
        let hidden_at = |scope: &Scope| -> Vec<Kind> {
            Kind::ALL
                .into_iter()
                .filter(|k| !a.can_read(*k, scope))
                .collect()
        };
        match (a.role, &a.station) {
            (Role::CountyAdmin, _) => ReadFilter::All {
                hidden: hidden_at(&Scope {
                    station: StationId(String::new()),
                    village: VillageId(String::new()),
                }),
            },
            (Role::StationChief, Some(station)) => ReadFilter::Station {
                station: station.clone(),
                hidden: hidden_at(&Scope {
                    station: station.clone(),
                    village: VillageId(String::new()),
                }),
            },
            (Role::CommunityOfficer | Role::Auxiliary | Role::GridWorker, Some(station))
                if !a.villages.is_empty() =>
            {
                ReadFilter::Villages {
                    station: station.clone(),
                    villages: a.villages.clone(),
                    hidden: hidden_at(&Scope {
                        station: station.clone(),
                        village: a.villages[0].clone(),
                    }),
                }
            }
            _ => ReadFilter::Nothing,
        }
    }

    /// Whether a record of `kind` in `scope` passes the filter.
    pub fn matches(&self, kind: Kind, scope: &Scope) -> bool {
        match self {
            ReadFilter::Nothing => false,
            ReadFilter::All { hidden } => !hidden.contains(&kind),
            ReadFilter::Station { station, hidden } => {
                &scope.station == station && !hidden.contains(&kind)
            }
            ReadFilter::Villages {
                station,
                villages,
                hidden,
            } => {
                &scope.station == station
                    && villages.contains(&scope.village)
                    && !hidden.contains(&kind)
            }
        }
    }
}

/// Persistent state of the server. Implementations are blocking: async callers run them on
/// `spawn_blocking`.
pub trait Storage: Send + Sync + 'static {
    /// Adds an account; `false` if the username is taken.
    fn insert_user(&self, user: &UserRow) -> StorageResult<bool>;
    /// An account by name.
    fn user(&self, username: &str) -> StorageResult<Option<UserRow>>;
    /// Every account, by name.
    fn users(&self) -> StorageResult<Vec<UserRow>>;
    /// Disables or re-enables an account; `false` if there is no such account.
    fn set_user_disabled(&self, username: &str, disabled: bool) -> StorageResult<bool>;

    /// The device a bearer token (by its sha256) belongs to.
    fn device_by_token(&self, token_hash: &[u8; 32]) -> StorageResult<Option<DeviceRow>>;
    /// Every device, newest enrolment first.
    fn devices(&self) -> StorageResult<Vec<DeviceRow>>;
    /// Revokes a device; `false` if there is no such device.
    fn revoke_device(&self, id: &str) -> StorageResult<bool>;
    /// Records that a device synced at `at`.
    fn touch_device(&self, id: &str, at: DateTime<Utc>) -> StorageResult<()>;

    /// The county's jurisdiction, if set.
    fn county(&self) -> StorageResult<Option<County>>;
    /// Replaces the county's jurisdiction.
    fn set_county(&self, county: &County) -> StorageResult<()>;

    /// Starts the single write transaction (writers are serialised). Dropping it without
    /// [`WriteTx::commit`] rolls everything back.
    fn begin(&self) -> StorageResult<Box<dyn WriteTx + '_>>;

    /// The highest log position (0 if the log is empty).
    fn max_seq(&self) -> StorageResult<u64>;
    /// Documents passing `filter` with a record id after `after` (all if `None`), by record
    /// id, until adding one more would pass `budget` bytes (at least one).
    fn documents_page(
        &self,
        filter: &ReadFilter,
        after: Option<RecordId>,
        budget: usize,
    ) -> StorageResult<Page<StoredDocument>>;
    /// How many documents pass `filter` after `after`.
    fn count_documents(&self, filter: &ReadFilter, after: Option<RecordId>) -> StorageResult<u64>;
    /// Logged changes passing `filter` with `after < seq <= upto`, by seq, until adding one
    /// more would pass `budget` bytes (at least one).
    fn changes_page(
        &self,
        filter: &ReadFilter,
        after: u64,
        upto: u64,
        budget: usize,
    ) -> StorageResult<Page<LoggedChange>>;
    /// How many logged changes pass `filter` with `after < seq <= upto`.
    fn count_changes(&self, filter: &ReadFilter, after: u64, upto: u64) -> StorageResult<u64>;

    /// The live (not removed) duty rules of `station`, or of every station when `None`,
    /// oldest first.
    fn duty_rules(&self, station: Option<&StationId>) -> StorageResult<Vec<DutyRule>>;
}

/// The write transaction: everything a push or an enrolment changes, committed together.
pub trait WriteTx {
    /// The device an Automerge actor is bound to.
    fn device_by_actor(&mut self, actor: &[u8]) -> StorageResult<Option<DeviceRow>>;
    /// Adds a device.
    fn insert_device(&mut self, device: &DeviceRow) -> StorageResult<()>;
    /// Revokes a device.
    fn revoke_device(&mut self, id: &str) -> StorageResult<()>;
    /// Binds an actor to a device, replacing an earlier binding.
    fn bind_actor(&mut self, actor: &[u8], device_id: &str) -> StorageResult<()>;
    /// Whether a change with this hash is already in the log.
    fn change_logged(&mut self, hash: &[u8; 32]) -> StorageResult<bool>;
    /// A record's document.
    fn document(&mut self, record: RecordId) -> StorageResult<Option<StoredDocument>>;
    /// Appends a change to the log; returns its (increasing) position.
    fn append_change(&mut self, change: &NewChange) -> StorageResult<u64>;
    /// Inserts or replaces a record's document.
    fn put_document(&mut self, doc: &StoredDocument) -> StorageResult<()>;
    /// A duty rule as stored (live or removed).
    fn duty_rule(&mut self, id: RecordId) -> StorageResult<Option<DutyRuleRow>>;
    /// Inserts or replaces a duty rule's row.
    fn put_duty_rule(&mut self, row: &DutyRuleRow) -> StorageResult<()>;
    /// Makes everything durable, or nothing.
    fn commit(self: Box<Self>) -> StorageResult<()>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_filter_agrees_with_the_access_rules() {
        let scopes: Vec<Scope> = [("a", "a1"), ("a", "a2"), ("b", "a1"), ("b", "b1")]
            .iter()
            .map(|(s, v)| Scope {
                station: (*s).into(),
                village: (*v).into(),
            })
            .collect();
        let mut assignments = Vec::new();
        for role in Role::ALL {
            for station in [None, Some("a"), Some("b")] {
                for villages in [vec![], vec!["a1"], vec!["a1", "a2"], vec!["b1"]] {
                    assignments.push(Assignment {
                        role,
                        station: station.map(Into::into),
                        villages: villages.into_iter().map(Into::into).collect(),
                    });
                }
            }
        }
        for a in &assignments {
            let filter = ReadFilter::for_assignment(a);
            for scope in &scopes {
                for kind in Kind::ALL {
                    assert_eq!(
                        filter.matches(kind, scope),
                        a.can_read(kind, scope),
                        "{a:?} {kind:?} {scope:?}"
                    );
                }
            }
        }
    }
}
