//! The messages. Enrolment travels as JSON (once per device); sync and duty rules as
//! postcard + zstd.

use beatbook_model::{Assignment, County, DutyRule, RecordId, StationId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A record id on the wire (UUID bytes).
pub type RecordKey = [u8; 16];
/// An Automerge change hash.
pub type ChangeKey = [u8; 32];

/// `POST /v1/enrol` (JSON): log in and register this device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolRequest {
    /// Protocol version of the client.
    pub protocol: u32,
    /// Account name.
    pub username: String,
    /// Password (sent once over TLS; only its argon2id hash is stored).
    pub password: String,
    /// A name for the handset, e.g. 警务通-0042.
    pub device_name: String,
    /// The device's ed25519 public key (hex).
    pub public_key: String,
    /// The device store's Automerge actor id (hex): changes with this actor are this device's.
    pub actor: String,
}

/// The answer to an enrolment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolResponse {
    /// Who logged in.
    pub user: UserInfo,
    /// The device's id on the server.
    pub device_id: String,
    /// Bearer token; valid only with signatures by the enrolled key.
    pub token: String,
    /// When the token expires.
    pub expires_at: DateTime<Utc>,
    /// The county's stations and villages (for pickers and labels).
    pub county: County,
    /// The people the user works with (active accounts): the whole county for a county
    /// admin, the user's station for everyone else. For names on records and for choosing
    /// whom to give a task. Absent from older servers.
    #[serde(default)]
    pub staff: Vec<UserInfo>,
}

/// A user as the client needs to know them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserInfo {
    /// Account name (the id records use as author and assignee).
    pub username: String,
    /// Name shown to people.
    pub display_name: String,
    /// Role and place of work.
    pub assignment: Assignment,
}

/// Where a device is in the server's feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Cursor {
    /// The last log sequence number received (0: nothing yet).
    pub seq: u64,
    /// While a snapshot is being sent: the last record sent, and the log position the
    /// snapshot started at (the log resumes there).
    pub snapshot: Option<SnapshotCursor>,
}

/// Progress through a full-document snapshot of a device's scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotCursor {
    /// The log position when the snapshot began.
    pub upto: u64,
    /// The last record id sent.
    pub after: RecordKey,
}

/// `POST /v1/sync`: push changes and pull in the same round trip.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncRequest {
    /// Protocol version of the client.
    pub protocol: u32,
    /// Where the device is in the feed.
    pub cursor: Cursor,
    /// Changes the server has not acknowledged.
    pub push: Vec<PushedChange>,
    /// Roughly how many bytes of changes to return at most.
    pub max_pull_bytes: u32,
}

/// One change pushed by a device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushedChange {
    /// The record.
    pub record: RecordKey,
    /// The encoded Automerge change.
    pub change: Vec<u8>,
    /// The author device's ed25519 signature of [`crate::change_payload`].
    pub signature: Vec<u8>,
}

/// The answer to a sync.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SyncResponse {
    /// Hashes of pushed changes now durable on the server (including ones it already had).
    pub acked: Vec<ChangeKey>,
    /// Whole documents (snapshot mode: first sync or an unknown cursor).
    pub documents: Vec<PulledDocument>,
    /// Logged changes after the cursor, in order.
    pub changes: Vec<PulledChange>,
    /// The cursor to send next time.
    pub cursor: Cursor,
    /// Whether more is waiting: sync again at once.
    pub more: bool,
    /// About how many changes or documents are still to come (for progress).
    pub remaining: u64,
}

/// A change from the feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PulledChange {
    /// The record.
    pub record: RecordKey,
    /// The encoded Automerge change.
    pub change: Vec<u8>,
}

/// A whole document (a record's full history, compressed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PulledDocument {
    /// The record.
    pub record: RecordKey,
    /// The saved Automerge document.
    pub document: Vec<u8>,
}

/// One change to a station's duty rules. Rules are immutable once made and a removal is
/// final (a tombstone), so applying the same ops twice or in another order gives the same
/// rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum DutyRuleOp {
    /// Adds a rule (a no-op if the server already has it, or has removed it).
    Put(DutyRule),
    /// Removes a rule for good, known or not yet.
    Remove {
        /// The rule.
        id: RecordId,
        /// The station it belongs to.
        station: StationId,
    },
}

impl DutyRuleOp {
    /// The rule the op is about.
    pub fn id(&self) -> RecordId {
        match self {
            DutyRuleOp::Put(rule) => rule.id,
            DutyRuleOp::Remove { id, .. } => *id,
        }
    }

    /// The station whose rules it changes.
    pub fn station(&self) -> &StationId {
        match self {
            DutyRuleOp::Put(rule) => &rule.station,
            DutyRuleOp::Remove { station, .. } => station,
        }
    }
}

/// `POST /v1/duty-rules`: send this device's pending rule changes (none to just read) and
/// receive the live rules. All ops are applied, or none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DutyRulesRequest {
    /// Protocol version of the client.
    pub protocol: u32,
    /// Changes to apply, in the order made.
    pub ops: Vec<DutyRuleOp>,
}

/// The answer: every op of the request is now durable on the server.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DutyRulesResponse {
    /// The live (not removed) rules of the user's station, or of every station for a county
    /// admin, oldest first.
    pub rules: Vec<DutyRule>,
    /// How many ops changed something (the others were already applied).
    pub applied: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pins the encoding of a small request. If this changes, the wire format changed:
    /// bump `PROTOCOL_VERSION`.
    #[test]
    fn wire_format_is_pinned() {
        let req = SyncRequest {
            protocol: crate::PROTOCOL_VERSION,
            cursor: Cursor {
                seq: 300,
                snapshot: None,
            },
            push: vec![PushedChange {
                record: [1; 16],
                change: vec![2, 3],
                signature: vec![4],
            }],
            max_pull_bytes: 1000,
        };
        let raw = postcard::to_stdvec(&req).unwrap();
        assert_eq!(
            crate::hex(&raw),
            "01ac020001010101010101010101010101010101010202030104e807"
        );
        assert_eq!(crate::PROTOCOL_VERSION, 1);
    }

    /// Pins the encoding of a duty-rules request, as above.
    #[test]
    fn duty_rules_format_is_pinned() {
        let id: RecordId = "07070707-0707-0707-0707-070707070707".parse().unwrap();
        let req = DutyRulesRequest {
            protocol: crate::PROTOCOL_VERSION,
            ops: vec![DutyRuleOp::Remove {
                id,
                station: "gc".into(),
            }],
        };
        let raw = postcard::to_stdvec(&req).unwrap();
        assert_eq!(
            crate::hex(&raw),
            "0101011007070707070707070707070707070707026763"
        );
        let back: DutyRulesRequest = postcard::from_bytes(&raw).unwrap();
        assert_eq!(back, req);
    }
}
