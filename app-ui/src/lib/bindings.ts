// Generated from crates/beatbook-client/src/types.rs by its `bindings` test; do not edit.
// Update: UPDATE_EXPECT=1 cargo test -p beatbook-client --test bindings

export type JsonValue = number | string | boolean | Array<JsonValue> | { [key in string]?: JsonValue } | null;
/** Record kinds, in display order. */
export type Kind = "household" | "visit" | "key_person" | "key_person_check" | "inspection" | "dispute" | "patrol" | "publicity" | "hazard" | "task";
export const KINDS: Kind[] = ["household", "visit", "key_person", "key_person_check", "inspection", "dispute", "patrol", "publicity", "hazard", "task"];
export type AppError = { 
/**
 * Stable machine-readable code, e.g. `wrong_key`, `offline`, `invalid`.
 */
code: string, 
/**
 * What happened and what to do, in the user's language.
 */
message: string, 
/**
 * Per-field problems (for `invalid`): path such as `members[0].id_number` and message.
 */
fields: Array<FieldProblem>, 
/**
 * Trying again later may succeed without the user doing anything (no signal, busy).
 */
transient: boolean, 
/**
 * The user must log in again (expired, revoked, disabled).
 */
needs_login: boolean, };
export type FieldProblem = { 
/**
 * The field path, e.g. `members[0].id_number`.
 */
field: string, 
/**
 * Stable code, e.g. `id_number_checksum`.
 */
code: string, 
/**
 * The message in the user's language.
 */
message: string, };
export type LaunchState = { 
/**
 * A store exists on this device (so a PIN unlocks it).
 */
has_store: boolean, 
/**
 * The store is open.
 */
unlocked: boolean, 
/**
 * Who is logged in, once unlocked and enrolled.
 */
me: Me | null, };
export type Place = { 
/**
 * Stable id, e.g. `guchengcun`.
 */
id: string, 
/**
 * Name people read, e.g. 固城村.
 */
name: string, };
export type Me = { 
/**
 * Account name.
 */
username: string, 
/**
 * Name shown to people.
 */
display_name: string, 
/**
 * Role code, e.g. `community_officer`.
 */
role: string, 
/**
 * Role label, e.g. 社区民警.
 */
role_label: string, 
/**
 * The station, if any.
 */
station: Place | null, 
/**
 * Villages the user records in (a chief's: every village of the station).
 */
villages: Array<Place>, 
/**
 * The server address.
 */
server: string, 
/**
 * Whether the user reviews the whole station's work (chief, county admin).
 */
reviews: boolean, 
/**
 * Record kinds the user may create.
 */
writable: Array<string>, };
export type Item = { 
/**
 * Record id.
 */
id: string, 
/**
 * Kind code, e.g. `visit`.
 */
kind: string, 
/**
 * Kind label, e.g. 入户走访.
 */
kind_label: string, 
/**
 * Village id.
 */
village: string, 
/**
 * Village name.
 */
village_name: string, 
/**
 * One-line title.
 */
title: string, 
/**
 * Status code, for kinds with a status.
 */
status: string | null, 
/**
 * Status label.
 */
status_label: string | null, 
/**
 * When the work happened (RFC 3339, UTC).
 */
occurred_at: string, 
/**
 * The same in Beijing time, e.g. `2026-11-28 15:04`.
 */
occurred_local: string, 
/**
 * When it is due (RFC 3339), if it has a due date.
 */
due_at: string | null, 
/**
 * The same in Beijing time.
 */
due_local: string | null, 
/**
 * Assignee (tasks) or responsible officer (key persons).
 */
assignee: string | null, 
/**
 * How many fields hold conflicting values.
 */
conflicts: number, 
/**
 * A chief (or county admin) has reviewed it.
 */
reviewed: boolean, };
export type ConflictView = { 
/**
 * Path in the record, e.g. `data.purpose` or `data.members[0].phone`.
 */
path: string, 
/**
 * The field's label, e.g. 目的.
 */
label: string, 
/**
 * The competing values (the first is the one shown now).
 */
values: Array<JsonValue>, 
/**
 * The values as text people read.
 */
shown: Array<string>, };
export type RecordView = { 
/**
 * The list line of this record.
 */
item: Item, 
/**
 * Who created it.
 */
author: string, 
/**
 * When it was created (Beijing time).
 */
created_local: string, 
/**
 * Last change (Beijing time).
 */
updated_local: string, 
/**
 * Deleted records are shown, not edited.
 */
deleted: boolean, 
/**
 * The kind's data, as the model's JSON (field names as in the form spec).
 */
data: JsonValue, 
/**
 * Fields with conflicting values.
 */
conflicts: Array<ConflictView>, 
/**
 * Whether the user may change it.
 */
writable: boolean, 
/**
 * The chief's review, if someone reviewed it.
 */
review: ReviewNote | null, 
/**
 * Whether the user may mark it reviewed (a chief of its station, a county admin).
 */
reviewable: boolean, };
export type ReviewNote = { 
/**
 * The reviewer's account name.
 */
by: string, 
/**
 * When (RFC 3339, UTC).
 */
at: string, 
/**
 * The same in Beijing time.
 */
at_local: string, 
/**
 * The comment (may be empty).
 */
comment: string, };
export type Dossier = { 
/**
 * The household.
 */
record: RecordView, 
/**
 * Visits, checks, disputes, hazards, tasks and key persons concerning it, oldest first.
 */
timeline: Array<Item>, };
export type ChoiceSpec = { 
/**
 * Stored code.
 */
code: string, 
/**
 * Label in the user's language.
 */
label: string, };
export type FieldSpec = { 
/**
 * Name in the record's data.
 */
name: string, 
/**
 * Type code: text, long_text, int, bool, time, record, records, user, users, choice,
 * choices, point, json.
 */
ty: string, 
/**
 * A new record must have it.
 */
required: boolean, 
/**
 * The value may be absent.
 */
optional: boolean, 
/**
 * Filled in when left empty: `now`, `me`, `[me]`.
 */
fill: string | null, 
/**
 * Label in the user's language.
 */
label: string, 
/**
 * Allowed values, for choice fields.
 */
choices: Array<ChoiceSpec>, 
/**
 * For JSON fields: the shape, e.g. `[{name, id_number?, phone?, relation}]`.
 */
shape: string | null, };
export type FormSpec = { 
/**
 * Kind code.
 */
kind: string, 
/**
 * Kind label.
 */
label: string, 
/**
 * Its fields, in order.
 */
fields: Array<FieldSpec>, };
export type Catalog = { 
/**
 * One form per kind, in display order.
 */
forms: Array<FormSpec>, 
/**
 * Status values per kind code.
 */
statuses: Array<KindStatuses>, 
/**
 * Relations of a household member to its head.
 */
relations: Array<ChoiceSpec>, };
export type KindStatuses = { 
/**
 * Kind code.
 */
kind: string, 
/**
 * Its statuses.
 */
statuses: Array<ChoiceSpec>, };
export type Home = { 
/**
 * Open tasks assigned to me due today (Beijing time).
 */
tasks_today: Array<Item>, 
/**
 * Open tasks assigned to me past due.
 */
tasks_overdue: Array<Item>, 
/**
 * Open tasks assigned to me due later.
 */
tasks_later: Array<Item>, 
/**
 * Hazards not yet cleared.
 */
open_hazards: Array<Item>, 
/**
 * Disputes not yet closed.
 */
open_disputes: Array<Item>, 
/**
 * Key persons I am responsible for whose last check is older than their risk allows.
 */
key_persons_due: Array<Item>, 
/**
 * Records holding conflicting values.
 */
conflicted: Array<Item>, 
/**
 * A patrol of mine still under way.
 */
ongoing_patrol: Item | null, 
/**
 * The sync state.
 */
sync: SyncState, };
export type SyncState = { 
/**
 * Changes made here not yet acknowledged by the server.
 */
pending: number, 
/**
 * Changes the server refused for good.
 */
set_aside: number, 
/**
 * Last successful sync (RFC 3339), if any.
 */
last_sync_at: string | null, 
/**
 * The same in Beijing time.
 */
last_sync_local: string | null, 
/**
 * Records received that this device cannot read and keeps aside (无法读取).
 */
unreadable: number, };
export type UnreadableView = { 
/**
 * The record's id.
 */
id: string, 
/**
 * Its author's account, when the device could tell ("" otherwise).
 */
author: string, 
/**
 * The author's name, when known (else the account, else 未知 / unknown).
 */
author_name: string, 
/**
 * When this device first received it, in Beijing time.
 */
first_seen_local: string, };
export type SyncReport = { 
/**
 * Changes sent and acknowledged.
 */
pushed: number, 
/**
 * Tasks a station chief's device made from the station's duty rules after the sync
 * (sent in the same sync).
 */
generated: number, 
/**
 * Changes and documents received.
 */
pulled: number, 
/**
 * Records that changed here.
 */
records_updated: number, 
/**
 * Records now holding conflicts.
 */
conflicts: number, 
/**
 * Changes refused for good.
 */
set_aside: number, 
/**
 * Records received in this sync (or earlier, not yet shown) that this device cannot
 * read; the UI tells the user once.
 */
newly_unreadable: number, 
/**
 * The state after it.
 */
state: SyncState, };
export type SyncProgress = { 
/**
 * Items done.
 */
done: number, 
/**
 * Items known.
 */
total: number, };
export type Filter = { 
/**
 * Kind code.
 */
kind?: string, 
/**
 * Village id.
 */
village?: string, 
/**
 * Status code.
 */
status?: string, 
/**
 * Author (the officer who recorded it).
 */
author?: string, 
/**
 * Assignee (tasks, key persons).
 */
assignee?: string, 
/**
 * From this day (YYYY-MM-DD, Beijing time), inclusive.
 */
from?: string, 
/**
 * To this day (YYYY-MM-DD, Beijing time), inclusive.
 */
to?: string, 
/**
 * Only reviewed (`true`) or not yet reviewed (`false`) records.
 */
reviewed?: boolean, 
/**
 * At most this many.
 */
limit?: number, };
export type Review = { 
/**
 * The records, most recent first, with who recorded them.
 */
items: Array<ReviewItem>, 
/**
 * Per officer: records in the period, by kind.
 */
officers: Array<OfficerCount>, };
export type ReviewItem = { 
/**
 * The record.
 */
item: Item, 
/**
 * Who recorded it.
 */
author: string, };
export type OfficerCount = { 
/**
 * Account name.
 */
author: string, 
/**
 * All records.
 */
total: number, 
/**
 * Per kind: (kind label, count).
 */
by_kind: Array<[string, number]>, };
export type BoardItem = { 
/**
 * The hazard's record id (opens its record page).
 */
id: string, 
/**
 * Place and first line of the description.
 */
title: string, 
/**
 * `open` or `rectifying`.
 */
status: string, 
/**
 * The status in the user's language.
 */
status_label: string, 
/**
 * When it was found, local time.
 */
found_local: string, 
/**
 * When it must be put right, local time.
 */
deadline_local: string | null, 
/**
 * Whole days since it was found.
 */
age_days: number, 
/**
 * Whole days past the deadline; `None` unless overdue.
 */
overdue_days: number | null, };
export type BoardVillage = { 
/**
 * Village id.
 */
village: string, 
/**
 * Village name.
 */
village_name: string, 
/**
 * How many are overdue.
 */
overdue: number, 
/**
 * Its hazards in board order.
 */
rows: Array<BoardItem>, };
export type BoardView = { 
/**
 * When ages and overdue days were counted, local time.
 */
at_local: string, 
/**
 * Villages with open hazards, most overdue first.
 */
villages: Array<BoardVillage>, };
export type FiguresView = { 
/**
 * 走访次数.
 */
visits: number, 
/**
 * Key-person checks due.
 */
checks_due: number, 
/**
 * Key-person checks done on time.
 */
checks_on_time: number, 
/**
 * Tasks due.
 */
tasks_due: number, 
/**
 * Tasks done on time.
 */
tasks_on_time: number, 
/**
 * Tasks done late or open past due.
 */
tasks_overdue: number, 
/**
 * Hazards found.
 */
hazards_found: number, 
/**
 * Hazards cleared.
 */
hazards_cleared: number, 
/**
 * Disputes resolved.
 */
disputes_resolved: number, 
/**
 * Median days from report to resolution.
 */
median_days_to_resolve: number | null, 
/**
 * Ended patrols.
 */
patrols: number, 
/**
 * Patrol hours.
 */
patrol_hours: number, };
export type AssessRow = { 
/**
 * Account, village or station id.
 */
key: string, 
/**
 * Its name.
 */
label: string, 
/**
 * The figures.
 */
figures: FiguresView, };
export type AssessView = { 
/**
 * First day, `YYYY-MM-DD`.
 */
from: string, 
/**
 * Last day (inclusive), `YYYY-MM-DD`.
 */
to: string, 
/**
 * `officer`, `village` or `station`.
 */
by: string, 
/**
 * Column headers of the table (first: the row's kind), in the user's language.
 */
header: Array<string>, 
/**
 * The rows.
 */
rows: Array<AssessRow>, 
/**
 * Everything together (each record once).
 */
total: FiguresView, 
/**
 * Table cells of each row, then the total row, as the XLSX has them.
 */
cells: Array<Array<string>>, 
/**
 * When this device last synced, local time; `None` if never.
 */
last_sync_local: string | null, 
/**
 * The newest change of any record counted, local time.
 */
newest_record_local: string | null, 
/**
 * When the figures were computed, local time.
 */
computed_local: string, };
export type StaffView = { 
/**
 * Account name.
 */
user: string, 
/**
 * Display name.
 */
name: string, 
/**
 * Role in the user's language.
 */
role_label: string, 
/**
 * Village ids they work in.
 */
villages: Array<string>, };
export type ActionChoice = { 
/**
 * `check_key_person`, `visit_household` …
 */
code: string, 
/**
 * Label in the user's language.
 */
label: string, };
export type BulkInput = { 
/**
 * The action (see [`Client::dispatch_actions`]).
 */
action: string, 
/**
 * Village ids (every village on the device when empty).
 */
villages: Array<string>, 
/**
 * Who does them; each key person's responsible officer when `None`.
 */
assignee: string | null, 
/**
 * The last day (`YYYY-MM-DD`, Asia/Shanghai); due at the end of that day.
 */
due: string, 
/**
 * Instructions; empty: the action and the target's title.
 */
instructions: string, };
export type BulkResult = { 
/**
 * Task ids created.
 */
created: Array<string>, 
/**
 * How many targets already had an open task of this action (skipped).
 */
already_open: number, };
export type DutyRuleView = { 
/**
 * Rule id.
 */
id: string, 
/**
 * Its name, e.g. 高风险重点人员每周核查.
 */
name: string, 
/**
 * What each task asks, in the user's language.
 */
action_label: string, 
/**
 * Length of a period in days.
 */
every_days: number, 
/**
 * Village names covered; every village of the station when empty.
 */
villages: Array<string>, 
/**
 * Key-person categories covered, as labels; all when empty.
 */
categories: Array<string>, 
/**
 * Lowest risk level covered, as a label.
 */
min_risk: string | null, 
/**
 * Who gets the tasks (name); each key person's responsible officer when `None`.
 */
assignee: string | null, 
/**
 * The first day of the first period (`YYYY-MM-DD`).
 */
starts_on: string, 
/**
 * Who made the rule (name).
 */
created_by: string, 
/**
 * A change to it made here still waits for the next sync.
 */
waiting: boolean, };
export type DutyRulesView = { 
/**
 * The rules, oldest first.
 */
rules: Array<DutyRuleView>, 
/**
 * Changes (new rules and removals) waiting for the next sync.
 */
waiting: number, 
/**
 * Changes the server refused for good, as messages.
 */
refused: Array<string>, 
/**
 * Whether this user may add and remove rules (a station chief).
 */
editable: boolean, 
/**
 * Actions a rule can generate.
 */
actions: Array<ActionChoice>, 
/**
 * Key-person categories.
 */
categories: Array<ActionChoice>, 
/**
 * Risk levels.
 */
risks: Array<ActionChoice>, };
export type DutyRuleInput = { 
/**
 * Its name.
 */
name: string, 
/**
 * `check_key_person` or `visit_household`.
 */
action: string, 
/**
 * Length of a period in days (1–366).
 */
every_days: number, 
/**
 * Village ids; every village of the station when empty.
 */
villages: Array<string>, 
/**
 * Key-person category codes; all when empty.
 */
categories: Array<string>, 
/**
 * Lowest risk level code covered.
 */
min_risk: string | null, 
/**
 * Who gets the tasks (user id); needed for households.
 */
assignee: string | null, 
/**
 * The first day (`YYYY-MM-DD`, Asia/Shanghai).
 */
starts_on: string, };
export type DutyRunView = { 
/**
 * Tasks created now.
 */
created: number, 
/**
 * Targets that already had their task for the current period.
 */
existing: number, 
/**
 * Duplicate generated tasks cancelled.
 */
duplicates_cancelled: number, 
/**
 * Targets given no task (e.g. the assignee is not on the staff list).
 */
skipped: number, };
