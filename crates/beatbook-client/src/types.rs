//! The shapes the UI receives and sends. Each derives `ts_rs::TS`; `tests/bindings.rs` writes
//! them to `app-ui/src/lib/bindings.ts`, so the front end never copies a type by hand.

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use ts_rs::TS;

/// An error as it crosses the IPC boundary: a stable code, a message in the user's language,
/// and, for invalid input, the message of each field.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct AppError {
    /// Stable machine-readable code, e.g. `wrong_key`, `offline`, `invalid`.
    pub code: String,
    /// What happened and what to do, in the user's language.
    pub message: String,
    /// Per-field problems (for `invalid`): path such as `members[0].id_number` and message.
    pub fields: Vec<FieldProblem>,
    /// Trying again later may succeed without the user doing anything (no signal, busy).
    pub transient: bool,
    /// The user must log in again (expired, revoked, disabled).
    pub needs_login: bool,
}

/// One field's problem, shown under that field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct FieldProblem {
    /// The field path, e.g. `members[0].id_number`.
    pub field: String,
    /// Stable code, e.g. `id_number_checksum`.
    pub code: String,
    /// The message in the user's language.
    pub message: String,
}

/// Where the app stands when it starts or wakes.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct LaunchState {
    /// A store exists on this device (so a PIN unlocks it).
    pub has_store: bool,
    /// The store is open.
    pub unlocked: bool,
    /// Who is logged in, once unlocked and enrolled.
    pub me: Option<Me>,
}

/// A village or station: id and name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct Place {
    /// Stable id, e.g. `guchengcun`.
    pub id: String,
    /// Name people read, e.g. 固城村.
    pub name: String,
}

/// The logged-in user and what they may do.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct Me {
    /// Account name.
    pub username: String,
    /// Name shown to people.
    pub display_name: String,
    /// Role code, e.g. `community_officer`.
    pub role: String,
    /// Role label, e.g. 社区民警.
    pub role_label: String,
    /// The station, if any.
    pub station: Option<Place>,
    /// Villages the user records in (a chief's: every village of the station).
    pub villages: Vec<Place>,
    /// The server address.
    pub server: String,
    /// Whether the user reviews the whole station's work (chief, county admin).
    pub reviews: bool,
    /// Record kinds the user may create.
    pub writable: Vec<String>,
}

/// One line of a list: a record as the projection knows it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct Item {
    /// Record id.
    pub id: String,
    /// Kind code, e.g. `visit`.
    pub kind: String,
    /// Kind label, e.g. 入户走访.
    pub kind_label: String,
    /// Village id.
    pub village: String,
    /// Village name.
    pub village_name: String,
    /// One-line title.
    pub title: String,
    /// Status code, for kinds with a status.
    pub status: Option<String>,
    /// Status label.
    pub status_label: Option<String>,
    /// When the work happened (RFC 3339, UTC).
    pub occurred_at: String,
    /// The same in Beijing time, e.g. `2026-11-28 15:04`.
    pub occurred_local: String,
    /// When it is due (RFC 3339), if it has a due date.
    pub due_at: Option<String>,
    /// The same in Beijing time.
    pub due_local: Option<String>,
    /// Assignee (tasks) or responsible officer (key persons).
    pub assignee: Option<String>,
    /// How many fields hold conflicting values.
    pub conflicts: u32,
    /// A chief (or county admin) has reviewed it.
    pub reviewed: bool,
}

/// A field holding values written concurrently on two devices.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ConflictView {
    /// Path in the record, e.g. `data.purpose` or `data.members[0].phone`.
    pub path: String,
    /// The field's label, e.g. 目的.
    pub label: String,
    /// The competing values (the first is the one shown now).
    pub values: Vec<Json>,
    /// The values as text people read.
    pub shown: Vec<String>,
}

/// A record opened for reading or editing.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct RecordView {
    /// The list line of this record.
    pub item: Item,
    /// Who created it.
    pub author: String,
    /// When it was created (Beijing time).
    pub created_local: String,
    /// Last change (Beijing time).
    pub updated_local: String,
    /// Deleted records are shown, not edited.
    pub deleted: bool,
    /// The kind's data, as the model's JSON (field names as in the form spec).
    pub data: Json,
    /// Fields with conflicting values.
    pub conflicts: Vec<ConflictView>,
    /// Whether the user may change it.
    pub writable: bool,
    /// The chief's review, if someone reviewed it.
    pub review: Option<ReviewNote>,
    /// Whether the user may mark it reviewed (a chief of its station, a county admin).
    pub reviewable: bool,
}

/// Who reviewed a record, when, and what they said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ReviewNote {
    /// The reviewer's account name.
    pub by: String,
    /// When (RFC 3339, UTC).
    pub at: String,
    /// The same in Beijing time.
    pub at_local: String,
    /// The comment (may be empty).
    pub comment: String,
}

/// A household's dossier (档案): the household and everything that concerns it, in time order.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct Dossier {
    /// The household.
    pub record: RecordView,
    /// Visits, checks, disputes, hazards, tasks and key persons concerning it, oldest first.
    pub timeline: Vec<Item>,
}

/// One allowed value of a choice field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ChoiceSpec {
    /// Stored code.
    pub code: String,
    /// Label in the user's language.
    pub label: String,
}

/// One field of a record form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct FieldSpec {
    /// Name in the record's data.
    pub name: String,
    /// Type code: text, long_text, int, bool, time, record, records, user, users, choice,
    /// choices, point, json.
    pub ty: String,
    /// A new record must have it.
    pub required: bool,
    /// The value may be absent.
    pub optional: bool,
    /// Filled in when left empty: `now`, `me`, `[me]`.
    pub fill: Option<String>,
    /// Label in the user's language.
    pub label: String,
    /// Allowed values, for choice fields.
    pub choices: Vec<ChoiceSpec>,
    /// For JSON fields: the shape, e.g. `[{name, id_number?, phone?, relation}]`.
    pub shape: Option<String>,
}

/// The form of one record kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct FormSpec {
    /// Kind code.
    pub kind: String,
    /// Kind label.
    pub label: String,
    /// Its fields, in order.
    pub fields: Vec<FieldSpec>,
}

/// Every kind's form and the labels the UI shows for codes (kinds, statuses).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct Catalog {
    /// One form per kind, in display order.
    pub forms: Vec<FormSpec>,
    /// Status values per kind code.
    pub statuses: Vec<KindStatuses>,
    /// Relations of a household member to its head.
    pub relations: Vec<ChoiceSpec>,
}

/// The status values of one kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct KindStatuses {
    /// Kind code.
    pub kind: String,
    /// Its statuses.
    pub statuses: Vec<ChoiceSpec>,
}

/// The home screen (我的村): what needs doing and how sync stands.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct Home {
    /// Open tasks assigned to me due today (Beijing time).
    pub tasks_today: Vec<Item>,
    /// Open tasks assigned to me past due.
    pub tasks_overdue: Vec<Item>,
    /// Open tasks assigned to me due later.
    pub tasks_later: Vec<Item>,
    /// Hazards not yet cleared.
    pub open_hazards: Vec<Item>,
    /// Disputes not yet closed.
    pub open_disputes: Vec<Item>,
    /// Key persons I am responsible for whose last check is older than their risk allows.
    pub key_persons_due: Vec<Item>,
    /// Records holding conflicting values.
    pub conflicted: Vec<Item>,
    /// A patrol of mine still under way.
    pub ongoing_patrol: Option<Item>,
    /// The sync state.
    pub sync: SyncState,
}

/// How this device stands with the server.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct SyncState {
    /// Changes made here not yet acknowledged by the server.
    pub pending: u32,
    /// Changes the server refused for good.
    pub set_aside: u32,
    /// Last successful sync (RFC 3339), if any.
    pub last_sync_at: Option<String>,
    /// The same in Beijing time.
    pub last_sync_local: Option<String>,
    /// Records received that this device cannot read and keeps aside (无法读取).
    pub unreadable: u32,
}

/// A record this device received but cannot read (无法读取): kept byte for byte, never in the
/// way of a sync, and reported to the server for the admin.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct UnreadableView {
    /// The record's id.
    pub id: String,
    /// Its author's account, when the device could tell ("" otherwise).
    pub author: String,
    /// The author's name, when known (else the account, else 未知 / unknown).
    pub author_name: String,
    /// When this device first received it, in Beijing time.
    pub first_seen_local: String,
}

/// What one sync did.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct SyncReport {
    /// Changes sent and acknowledged.
    pub pushed: u32,
    /// Tasks a station chief's device made from the station's duty rules after the sync
    /// (sent in the same sync).
    pub generated: u32,
    /// Changes and documents received.
    pub pulled: u32,
    /// Records that changed here.
    pub records_updated: u32,
    /// Records now holding conflicts.
    pub conflicts: u32,
    /// Changes refused for good.
    pub set_aside: u32,
    /// Records received in this sync (or earlier, not yet shown) that this device cannot
    /// read; the UI tells the user once.
    pub newly_unreadable: u32,
    /// The state after it.
    pub state: SyncState,
    /// How the station's duty rules fared (sent after the records). Not in the UI's
    /// bindings yet.
    #[ts(skip)]
    pub duty_rules: beatbook_station::duty::RulesSync,
}

/// Progress of a running sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
pub struct SyncProgress {
    /// Items done.
    pub done: u32,
    /// Items known.
    pub total: u32,
}

/// Filters for lists and the chief's review; empty fields match everything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, TS)]
#[serde(default)]
#[ts(optional_fields)]
pub struct Filter {
    /// Kind code.
    pub kind: Option<String>,
    /// Village id.
    pub village: Option<String>,
    /// Status code.
    pub status: Option<String>,
    /// Author (the officer who recorded it).
    pub author: Option<String>,
    /// Assignee (tasks, key persons).
    pub assignee: Option<String>,
    /// From this day (YYYY-MM-DD, Beijing time), inclusive.
    pub from: Option<String>,
    /// To this day (YYYY-MM-DD, Beijing time), inclusive.
    pub to: Option<String>,
    /// Only reviewed (`true`) or not yet reviewed (`false`) records.
    pub reviewed: Option<bool>,
    /// At most this many.
    pub limit: Option<u32>,
}

/// The chief's review: records matching a filter and how many each officer recorded.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct Review {
    /// The records, most recent first, with who recorded them.
    pub items: Vec<ReviewItem>,
    /// Per officer: records in the period, by kind.
    pub officers: Vec<OfficerCount>,
}

/// A record in the review list.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ReviewItem {
    /// The record.
    pub item: Item,
    /// Who recorded it.
    pub author: String,
}

/// How much one officer recorded in the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct OfficerCount {
    /// Account name.
    pub author: String,
    /// All records.
    pub total: u32,
    /// Per kind: (kind label, count).
    pub by_kind: Vec<(String, u32)>,
}
