//! The store: every write goes document → chunk → outbox → projection in one SQLite
//! transaction, so a crash leaves the old state or the new one, never a mix.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use automerge::transaction::CommitOptions;
use automerge::{ActorId, AutoCommit, Change, ChangeHash};
use beatbook_model::time::SystemClock;
use beatbook_model::{Body, Clock, Kind, Record, RecordId, Scope, StationId, UserId, VillageId};
use chrono::{DateTime, SubsecRound, Utc};
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Transaction};
use serde::Serialize;
use serde_json::{json, Value as Json};

use crate::error::{Result, StoreError};
use crate::schema;
use crate::search;
use beatbook_doc::{self as doc, Conflict};

/// A record's chunks are folded into one snapshot once there are this many, at the latest.
pub const COMPACT_AT: i64 = 32;
/// How many recently used documents stay in memory.
const CACHE_DOCS: usize = 128;

/// The key that encrypts the store file (SQLCipher).
#[derive(Clone)]
pub enum StoreKey {
    /// A passphrase or PIN; SQLCipher derives the key from it (PBKDF2, deliberately slow).
    Passphrase(String),
    /// A raw 256-bit key (e.g. from the OS keystore); no derivation.
    Raw([u8; 32]),
}

impl std::fmt::Debug for StoreKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreKey(..)")
    }
}

/// One line of a list: what the projection knows without loading the document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// The record.
    pub id: RecordId,
    /// Its kind.
    pub kind: Kind,
    /// Its village and station.
    pub scope: Scope,
    /// A one-line title.
    pub title: String,
    /// Status, for kinds that have one.
    pub status: Option<String>,
    /// Assignee, for tasks (responsible officer for key persons).
    pub assignee: Option<UserId>,
    /// When the work happened (creation time for kinds without a time of their own).
    pub occurred_at: DateTime<Utc>,
    /// When it is due.
    pub due_at: Option<DateTime<Utc>>,
    /// The latest edit.
    pub updated_at: DateTime<Utc>,
    /// Deleted (hidden unless asked for).
    pub deleted: bool,
    /// How many fields hold concurrent values awaiting a choice.
    pub conflicts: usize,
    /// A chief (or county admin) has reviewed it.
    pub reviewed: bool,
}

/// A record read from its document, with the conflicts it holds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordView {
    /// The record, with each conflicted field at its current winner.
    pub record: Record,
    /// Fields with concurrent values.
    pub conflicts: Vec<Conflict>,
}

/// Filters for [`Store::list`]; every field left `None` matches everything.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    /// Only this kind.
    pub kind: Option<Kind>,
    /// Only this station.
    pub station: Option<StationId>,
    /// Only this village.
    pub village: Option<VillageId>,
    /// Only this status (e.g. `open`).
    pub status: Option<String>,
    /// Only records assigned to this person.
    pub assignee: Option<UserId>,
    /// Only work on or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Only work before this time.
    pub until: Option<DateTime<Utc>>,
    /// Only reviewed (`Some(true)`) or unreviewed (`Some(false)`) records.
    pub reviewed: Option<bool>,
    /// Include deleted records.
    pub include_deleted: bool,
    /// At most this many rows (default 200).
    pub limit: Option<usize>,
    /// Skip this many rows.
    pub offset: usize,
}

/// A change made here that the server has not acknowledged yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingChange {
    /// Order of creation on this device.
    pub seq: i64,
    /// The change's hash.
    pub hash: ChangeHash,
    /// The record it belongs to.
    pub record_id: RecordId,
    /// The encoded Automerge change.
    pub bytes: Vec<u8>,
}

/// A change from elsewhere to apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingChange {
    /// The record it belongs to.
    pub record_id: RecordId,
    /// The encoded Automerge change.
    pub bytes: Vec<u8>,
}

/// What [`Store::apply_changes`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ApplyReport {
    /// Changes new to this device.
    pub applied: usize,
    /// Changes it already had (a duplicate is a no-op).
    pub duplicates: usize,
    /// Records whose projection changed.
    pub records: Vec<RecordId>,
    /// Records whose document cannot be read yet (waiting for earlier changes).
    pub incomplete: Vec<RecordId>,
    /// Records newly found unreadable and kept aside ([`Store::unreadable`]).
    pub unreadable: Vec<RecordId>,
}

/// A record pulled from the server that this device cannot read: kept (byte for byte),
/// listed as 无法读取, never fatal to a sync.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unreadable {
    /// The record's id.
    pub id: RecordId,
    /// Who wrote it, when the document says ("" when it cannot be told).
    pub author: String,
    /// Why it cannot be read (for the admin; not for officers).
    pub reason: String,
    /// When this device first failed to read it.
    pub first_seen: DateTime<Utc>,
}

/// A person found by ID number or phone, and the record naming them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PersonHit {
    /// The record naming the person.
    pub record: Summary,
    /// The name as recorded there.
    pub name: String,
}

/// The on-device record store.
pub struct Store {
    conn: Connection,
    actor: ActorId,
    clock: Arc<dyn Clock>,
    docs: HashMap<RecordId, AutoCommit>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("actor", &self.actor)
            .finish_non_exhaustive()
    }
}

/// How the store writes a time: RFC 3339 in UTC with milliseconds. Years 0–9999 (every
/// time the model accepts) come out as four digits, so the text sorts in time order; chrono
/// writes any other year with a sign (`-0001`, `+10000`), which [`parse_ts`] reads back too.
const TS_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.3fZ";

fn ts(t: DateTime<Utc>) -> String {
    t.format(TS_FORMAT).to_string()
}

/// Reads what [`ts`] wrote, for every instant chrono can hold (see the round-trip test).
fn parse_ts(s: &str) -> Result<DateTime<Utc>> {
    chrono::NaiveDateTime::parse_from_str(s, TS_FORMAT)
        .map(|t| t.and_utc())
        .or_else(|_| DateTime::parse_from_rfc3339(s).map(|t| t.to_utc()))
        .map_err(|e| StoreError::Document(format!("bad time {s}: {e}")))
}

fn doc_err(e: impl std::fmt::Display) -> StoreError {
    StoreError::Document(e.to_string())
}

fn parse_id(s: &str) -> Result<RecordId> {
    s.parse().map_err(doc_err)
}

impl Store {
    /// Opens (creating if needed) the store at `path`, encrypted with `key` if given.
    ///
    /// The store file and SQLite's files beside it (`-wal`, `-shm`, `-journal`) are readable
    /// by their owner only (`0600`, see [`crate::private`]): a new file is created so, and
    /// looser ones left by an older version are tightened. The folder is the caller's to make
    /// private ([`crate::private::ensure_dir`]).
    pub fn open(path: impl AsRef<Path>, key: Option<&StoreKey>) -> Result<Store> {
        Self::open_with_clock(path, key, Arc::new(SystemClock))
    }

    /// Like [`Store::open`], reading time from `clock`.
    pub fn open_with_clock(
        path: impl AsRef<Path>,
        key: Option<&StoreKey>,
        clock: Arc<dyn Clock>,
    ) -> Result<Store> {
        let path = path.as_ref();
        let file = crate::private::database_path(path);
        if let Some(file) = &file {
            Self::make_private(file, true)?;
        }
        let store = Self::open_private(path, key, clock)?;
        // SQLite made the `-wal` and `-shm` files with the store file's mode; checked anyway.
        if let Some(file) = &file {
            Self::make_private(file, false)?;
        }
        Ok(store)
    }

    /// Creates the store file `0600` (unless `create` is false or it exists) and tightens it
    /// and its companions.
    fn make_private(file: &Path, create: bool) -> Result<()> {
        let unreadable =
            |e: std::io::Error| StoreError::Unreadable(format!("{}: {e}", file.display()));
        if create {
            crate::private::create_file(file).map_err(unreadable)?;
        }
        crate::private::tighten_database(file).map_err(unreadable)?;
        Ok(())
    }

    fn open_private(path: &Path, key: Option<&StoreKey>, clock: Arc<dyn Clock>) -> Result<Store> {
        match Self::init(Connection::open(path)?, key, clock.clone()) {
            // SQLCipher reads the file's salt itself and, if that read fails, goes on with a
            // random salt: a disk error then looks exactly like a wrong key. Before telling
            // the officer their PIN is wrong, read the header once more, directly, and try
            // again on a fresh connection (a passing read error then opens the store).
            Err(StoreError::WrongKey) => {
                let mut header = [0u8; 16];
                if let Ok(mut file) = std::fs::File::open(path) {
                    use std::io::Read;
                    if let Err(e) = file.read_exact(&mut header) {
                        if e.kind() != std::io::ErrorKind::UnexpectedEof {
                            return Err(StoreError::Unreadable(e.to_string()));
                        }
                    }
                }
                Self::init(Connection::open(path)?, key, clock)
            }
            other => other,
        }
    }

    /// A store in memory (tests and simulations).
    pub fn open_in_memory(clock: Arc<dyn Clock>) -> Result<Store> {
        Self::init(Connection::open_in_memory()?, None, clock)
    }

    fn init(mut conn: Connection, key: Option<&StoreKey>, clock: Arc<dyn Clock>) -> Result<Store> {
        // A wrong key is reported as `StoreError::WrongKey`; SQLCipher need not also log it.
        conn.query_row("PRAGMA cipher_log_level = NONE", [], |_| Ok(()))
            .optional()?;
        match key {
            Some(StoreKey::Passphrase(p)) => conn.pragma_update(None, "key", p)?,
            Some(StoreKey::Raw(k)) => {
                let hex: String = k.iter().map(|b| format!("{b:02x}")).collect();
                conn.pragma_update(None, "key", format!("x'{hex}'"))?
            }
            None => {}
        }
        // The first read tells whether the key fits: SQLCipher reports a foreign or
        // wrongly keyed file as "not a database".
        let probe: rusqlite::Result<i64> =
            conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0));
        if let Err(rusqlite::Error::SqliteFailure(e, _)) = &probe {
            if e.code == rusqlite::ErrorCode::NotADatabase {
                return Err(StoreError::WrongKey);
            }
        }
        probe?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // FULL: a write the officer saw saved survives power loss, not only a crash.
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        // Room for the write path's statements beside the queries (see `run`).
        conn.set_prepared_statement_cache_capacity(64);
        schema::migrate(&mut conn)?;
        let actor = match Self::meta(&conn, "actor")? {
            Some(hex) => ActorId::from(
                (0..hex.len())
                    .step_by(2)
                    .map(|i| u8::from_str_radix(&hex[i..i + 2], 16))
                    .collect::<std::result::Result<Vec<u8>, _>>()
                    .map_err(doc_err)?,
            ),
            None => {
                let actor = ActorId::random();
                conn.execute(
                    "INSERT INTO meta (key, value) VALUES ('actor', ?1)",
                    [actor.to_hex_string()],
                )?;
                actor
            }
        };
        Ok(Store {
            conn,
            actor,
            clock,
            docs: HashMap::new(),
        })
    }

    fn meta(conn: &Connection, key: &str) -> Result<Option<String>> {
        Ok(conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    /// This device's Automerge actor id: every local change carries it.
    pub fn actor(&self) -> &ActorId {
        &self.actor
    }

    /// Reads a device fact (e.g. `sync_cursor`).
    pub fn get_meta(&self, key: &str) -> Result<Option<String>> {
        Self::meta(&self.conn, key)
    }

    /// Stores a device fact durably.
    pub fn set_meta(&mut self, key: &str, value: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    fn now(&self) -> DateTime<Utc> {
        self.clock.now().trunc_subsecs(3)
    }

    // ---- writing -------------------------------------------------------------------------

    /// Creates a record in `scope`, written by `author`. Validated first; nothing is stored if
    /// it is invalid.
    pub fn create(&mut self, author: &UserId, scope: Scope, body: Body) -> Result<Record> {
        let now = self.now();
        let record = Record::new(scope, author.clone(), now, body);
        record.validate(now)?;
        let mut doc = AutoCommit::new().with_actor(self.actor.clone());
        doc::reconcile_root(&mut doc, &json!({}), &to_json(&record)?)?;
        self.commit_local(record.id, doc)?;
        self.get(record.id)?.ok_or(StoreError::NotFound(record.id))
    }

    /// Replaces a record's content with `body`. Only fields that differ are written, so edits
    /// to other fields made elsewhere merge in. Status moves must follow the model's machines.
    pub fn update(&mut self, id: RecordId, body: Body) -> Result<Record> {
        self.edit(id, |current, now| {
            let mut next = current.clone();
            next.body = body;
            next.check_update(current, now)?;
            Ok(next)
        })
    }

    /// Records `review` on a record (who reviewed it, when, with what comment). The caller
    /// decides who may review ([`beatbook_model::Review::new`]); a later review replaces an
    /// earlier one, and the review syncs like any change.
    pub fn review(&mut self, id: RecordId, review: beatbook_model::Review) -> Result<Record> {
        self.edit(id, |current, _| {
            let mut next = current.clone();
            next.review = Some(review);
            Ok(next)
        })
    }

    /// Marks a record deleted. It stays on the device (and syncs) but is hidden from lists.
    pub fn delete(&mut self, id: RecordId) -> Result<Record> {
        self.edit(id, |current, _| {
            let mut next = current.clone();
            next.deleted = true;
            Ok(next)
        })
    }

    /// Settles a conflict: sets the field at `path` (as shown in [`Conflict::path`]) to
    /// `value`, superseding every concurrent value. The choice is itself a change that syncs.
    pub fn resolve(&mut self, id: RecordId, path: &str, value: Json) -> Result<Record> {
        let now = self.now();
        let mut doc = self.take_doc(id)?;
        doc::put_path(&mut doc, path, &value)?;
        doc::put_path(&mut doc, "updated_at", &json!(ts(now)))?;
        let (json, _) = doc::hydrate(&doc)?;
        let record: Record = serde_json::from_value(json)
            .map_err(|e| beatbook_model::ModelError::Malformed(e.to_string()))?;
        record.validate(now.max(record.updated_at))?;
        self.commit_local(id, doc)?;
        self.get(id)?.ok_or(StoreError::NotFound(id))
    }

    /// Loads the document, lets `f` derive the next record from the current one, and writes
    /// the difference.
    fn edit(
        &mut self,
        id: RecordId,
        f: impl FnOnce(&Record, DateTime<Utc>) -> Result<Record>,
    ) -> Result<Record> {
        let now = self.now();
        let mut doc = self.take_doc(id)?;
        let (old_json, _) = doc::hydrate(&doc)?;
        let current: Record = serde_json::from_value(old_json.clone())
            .map_err(|e| beatbook_model::ModelError::Malformed(e.to_string()))?;
        if current.deleted {
            self.docs.insert(id, doc);
            return Err(StoreError::Deleted(id));
        }
        let mut next = match f(&current, now) {
            Ok(next) => next,
            Err(e) => {
                self.docs.insert(id, doc);
                return Err(e);
            }
        };
        let mut new_json = to_json(&next)?;
        if new_json == to_json(&current)? {
            self.docs.insert(id, doc);
            return Ok(current);
        }
        next.updated_at = now;
        new_json["updated_at"] = json!(ts(now));
        doc::reconcile_root(&mut doc, &old_json, &new_json)?;
        self.commit_local(id, doc)?;
        self.get(id)?.ok_or(StoreError::NotFound(id))
    }

    /// Commits the document's pending operations as one change and persists it.
    fn commit_local(&mut self, id: RecordId, mut doc: AutoCommit) -> Result<()> {
        let time = self.clock.now().timestamp_millis();
        if doc
            .commit_with(CommitOptions::default().with_time(time))
            .is_none()
        {
            self.docs.insert(id, doc);
            return Ok(());
        }
        let mut change = doc
            .get_last_local_change()
            .ok_or_else(|| doc_err("the change just made is missing"))?;
        let bytes = change.bytes().into_owned();
        let tx = self.conn.transaction()?;
        append_chunk(&tx, id, &bytes)?;
        run(
            &tx,
            "INSERT INTO outbox (hash, record_id, data) VALUES (?1, ?2, ?3)",
            params![change.hash().0.as_slice(), id.to_string(), bytes],
        )?;
        project(&tx, id, &doc)?;
        maybe_compact(&tx, id, &mut doc)?;
        tx.commit()?;
        self.cache(id, doc);
        Ok(())
    }

    fn cache(&mut self, id: RecordId, doc: AutoCommit) {
        if self.docs.len() >= CACHE_DOCS {
            if let Some(evict) = self.docs.keys().next().copied() {
                self.docs.remove(&evict);
            }
        }
        self.docs.insert(id, doc);
    }

    /// Takes a record's document out of the cache (or loads it). Callers put it back only
    /// once what they did to it is committed, so the cache never holds unsaved state.
    fn take_doc(&mut self, id: RecordId) -> Result<AutoCommit> {
        if let Some(doc) = self.docs.remove(&id) {
            return Ok(doc);
        }
        load_doc(&self.conn, id, &self.actor)?.ok_or(StoreError::NotFound(id))
    }

    // ---- sync support ----------------------------------------------------------------------

    /// The oldest changes not yet acknowledged by the server, at most `limit`.
    pub fn pending_changes(&self, limit: usize) -> Result<Vec<PendingChange>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, hash, record_id, data FROM outbox ORDER BY seq LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit as i64], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, Vec<u8>>(1)?,
                r.get::<_, String>(2)?,
                r.get(3)?,
            ))
        })?;
        rows.map(|row| {
            let (seq, hash, record_id, bytes) = row?;
            Ok(PendingChange {
                seq,
                hash: ChangeHash::try_from(hash.as_slice()).map_err(doc_err)?,
                record_id: parse_id(&record_id)?,
                bytes,
            })
        })
        .collect()
    }

    /// How many changes wait to be sent.
    pub fn pending_count(&self) -> Result<usize> {
        let n: i64 = self
            .conn
            .query_row("SELECT count(*) FROM outbox", [], |r| r.get(0))?;
        Ok(n as usize)
    }

    /// Forgets changes the server has acknowledged. Unknown hashes are ignored.
    pub fn acknowledge(&mut self, hashes: &[ChangeHash]) -> Result<usize> {
        let tx = self.conn.transaction()?;
        let mut n = 0;
        {
            let mut stmt = tx.prepare_cached("DELETE FROM outbox WHERE hash = ?1")?;
            for h in hashes {
                n += stmt.execute([h.0.as_slice()])?;
            }
        }
        tx.commit()?;
        Ok(n)
    }

    /// Applies changes made elsewhere, all in one transaction: the batch is applied whole or
    /// not at all. A change already known is a no-op; order does not matter (a change whose
    /// predecessors are missing is kept and takes effect when they arrive).
    pub fn apply_changes(&mut self, changes: &[IncomingChange]) -> Result<ApplyReport> {
        self.apply_pulled(changes, &[], &[])
    }

    /// Applies what a sync pulled (whole documents and changes) and records device facts such
    /// as the new sync cursor in the same transaction, so the cursor never runs ahead of the
    /// data it stands for.
    pub fn apply_pulled(
        &mut self,
        changes: &[IncomingChange],
        documents: &[(RecordId, Vec<u8>)],
        meta: &[(&str, &str)],
    ) -> Result<ApplyReport> {
        // Whatever one record holds, the others still sync: a document or change that cannot
        // be read, or a record whose changes cannot be applied, is kept aside as unreadable
        // (its bytes as received), and the rest of the pull goes in.
        let mut unreadable: Vec<(RecordId, String, Vec<u8>)> = Vec::new();
        let mut from_docs = Vec::new();
        for (id, bytes) in documents {
            let mut doc = match AutoCommit::load(bytes) {
                Ok(doc) => doc,
                Err(e) => {
                    unreadable.push((*id, format!("document: {e}"), bytes.clone()));
                    continue;
                }
            };
            from_docs.extend(
                doc.get_changes(&[])
                    .into_iter()
                    .map(|mut c| IncomingChange {
                        record_id: *id,
                        bytes: c.bytes().into_owned(),
                    }),
            );
        }
        let changes: Vec<&IncomingChange> = from_docs.iter().chain(changes).collect();
        let mut by_record: Vec<(RecordId, Vec<Change>)> = Vec::new();
        for c in changes {
            let change = match Change::from_bytes(c.bytes.clone()) {
                Ok(change) => change,
                Err(e) => {
                    unreadable.push((c.record_id, format!("change: {e}"), c.bytes.clone()));
                    continue;
                }
            };
            match by_record.iter_mut().find(|(id, _)| *id == c.record_id) {
                Some((_, list)) => list.push(change),
                None => by_record.push((c.record_id, vec![change])),
            }
        }
        let mut report = ApplyReport::default();
        let mut touched = Vec::new();
        let at = ts(self.clock.now());
        let tx = self.conn.transaction()?;
        for (id, mut changes) in by_record {
            let raw: Vec<u8> = changes
                .iter_mut()
                .flat_map(|c| c.bytes().into_owned())
                .collect();
            let before = report.clone();
            run(&tx, "SAVEPOINT pulled_record", [])?;
            let attempt = match self.docs.remove(&id) {
                Some(doc) => Ok(doc),
                None => load_doc(&tx, id, &self.actor)
                    .map(|d| d.unwrap_or_else(|| AutoCommit::new().with_actor(self.actor.clone()))),
            }
            .and_then(|mut doc| {
                apply_to_doc(&tx, id, &mut doc, changes, &mut report, &at)?;
                Ok(doc)
            });
            match attempt {
                Ok(doc) => {
                    run(&tx, "RELEASE pulled_record", [])?;
                    touched.push((id, doc));
                }
                // Storage failing is the device's problem, not the record's: the whole pull
                // rolls back and is retried. The cache cannot hold what the database does not.
                Err(e) if !e.is_unreadable_record() => return Err(e),
                Err(e) => {
                    run(&tx, "ROLLBACK TO pulled_record", [])?;
                    run(&tx, "RELEASE pulled_record", [])?;
                    report = before;
                    unreadable.push((id, e.to_string(), raw));
                }
            }
        }
        for (id, reason, bytes) in unreadable {
            let author = author_in(&bytes);
            let new = keep_unreadable(&tx, id, &author, &reason, Some(&bytes), &at)?;
            if new && !report.unreadable.contains(&id) {
                report.unreadable.push(id);
            }
        }
        for (key, value) in meta {
            tx.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )?;
        }
        tx.commit()?;
        for (id, doc) in touched {
            self.cache(id, doc);
        }
        Ok(report)
    }

    /// The records this device holds but cannot read, oldest first.
    pub fn unreadable(&self) -> Result<Vec<Unreadable>> {
        self.unreadable_where("1")
    }

    /// Unreadable records the user has not been told about yet; they count as told from now.
    pub fn take_unnotified_unreadable(&mut self) -> Result<Vec<Unreadable>> {
        let list = self.unreadable_where("notified = 0")?;
        run(
            &self.conn,
            "UPDATE unreadable SET notified = 1 WHERE notified = 0",
            [],
        )?;
        Ok(list)
    }

    /// Unreadable records not yet reported to the server.
    pub fn unreported_unreadable(&self) -> Result<Vec<Unreadable>> {
        self.unreadable_where("reported = 0")
    }

    /// Marks unreadable records as reported to the server.
    pub fn mark_unreadable_reported(&mut self, ids: &[RecordId]) -> Result<()> {
        for id in ids {
            run(
                &self.conn,
                "UPDATE unreadable SET reported = 1 WHERE record_id = ?1",
                [id.to_string()],
            )?;
        }
        Ok(())
    }

    /// The bytes kept for an unreadable record: as received when they could not be stored as
    /// a document, else the stored document's chunks in order.
    pub fn unreadable_bytes(&self, id: RecordId) -> Result<Vec<u8>> {
        let kept: Option<Option<Vec<u8>>> = self
            .conn
            .query_row(
                "SELECT data FROM unreadable WHERE record_id = ?1",
                [id.to_string()],
                |r| r.get(0),
            )
            .optional()?;
        match kept {
            Some(Some(bytes)) => Ok(bytes),
            Some(None) => {
                let mut stmt = self.conn.prepare_cached(
                    "SELECT data FROM doc_chunks WHERE record_id = ?1 ORDER BY seq",
                )?;
                let chunks = stmt.query_map([id.to_string()], |r| r.get::<_, Vec<u8>>(0))?;
                let mut out = Vec::new();
                for c in chunks {
                    out.extend(c?);
                }
                Ok(out)
            }
            None => Err(StoreError::NotFound(id)),
        }
    }

    fn unreadable_where(&self, filter: &str) -> Result<Vec<Unreadable>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT record_id, author, reason, first_seen FROM unreadable WHERE {filter}
             ORDER BY first_seen, record_id"
        ))?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, author, reason, first_seen) = row?;
            out.push(Unreadable {
                id: parse_id(&id)?,
                author,
                reason,
                first_seen: parse_ts(&first_seen)?,
            });
        }
        Ok(out)
    }

    /// Sets a change of this device aside after the server refused it for good: it leaves
    /// the outbox (so the rest syncs) but is kept, with the reason, for the user to see.
    pub fn set_aside(&mut self, hash: &ChangeHash, code: &str, message: &str) -> Result<bool> {
        let at = ts(self.clock.now());
        let tx = self.conn.transaction()?;
        let moved = tx.execute(
            "INSERT OR IGNORE INTO set_aside (hash, record_id, data, code, message, at)
             SELECT hash, record_id, data, ?2, ?3, ?4 FROM outbox WHERE hash = ?1",
            params![hash.0.as_slice(), code, message, at],
        )?;
        tx.execute("DELETE FROM outbox WHERE hash = ?1", [hash.0.as_slice()])?;
        tx.commit()?;
        Ok(moved > 0)
    }

    /// Changes the server refused for good: record, code and message.
    pub fn set_aside_changes(&self) -> Result<Vec<(RecordId, String, String)>> {
        let mut stmt = self
            .conn
            .prepare("SELECT record_id, code, message FROM set_aside ORDER BY at")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?)))?;
        rows.map(|r| {
            let (id, code, message) = r?;
            Ok((parse_id(&id)?, code, message))
        })
        .collect()
    }

    /// Gives this store a new Automerge actor (e.g. when a different person enrols on it).
    pub fn reset_actor(&mut self) -> Result<()> {
        let actor = ActorId::random();
        self.set_meta("actor", &actor.to_hex_string())?;
        self.docs.clear();
        self.actor = actor;
        Ok(())
    }

    /// Every change of a record's document, encoded, in causal order.
    pub fn record_changes(&mut self, id: RecordId) -> Result<Vec<Vec<u8>>> {
        let mut doc = self.take_doc(id)?;
        let out = doc
            .get_changes(&[])
            .into_iter()
            .map(|mut c| c.bytes().into_owned())
            .collect();
        self.docs.insert(id, doc);
        Ok(out)
    }

    /// The heads (latest change hashes) of a record's document.
    pub fn heads(&mut self, id: RecordId) -> Result<Vec<ChangeHash>> {
        let mut doc = self.take_doc(id)?;
        let heads = doc.get_heads();
        self.docs.insert(id, doc);
        Ok(heads)
    }

    /// Ids of every document on the device, readable or not, deleted or not.
    pub fn document_ids(&self) -> Result<Vec<RecordId>> {
        let mut stmt = self
            .conn
            .prepare("SELECT DISTINCT record_id FROM doc_chunks ORDER BY record_id")?;
        let ids = stmt.query_map([], |r| r.get::<_, String>(0))?;
        ids.map(|s| parse_id(&s?)).collect()
    }

    // ---- reading ---------------------------------------------------------------------------

    /// A record as projected (fast; no document load). `None` if it is not on this device.
    pub fn get(&self, id: RecordId) -> Result<Option<Record>> {
        let json: Option<String> = self
            .conn
            .prepare_cached("SELECT json FROM records WHERE id = ?1")?
            .query_row([id.to_string()], |r| r.get(0))
            .optional()?;
        json.map(|j| {
            serde_json::from_str(&j)
                .map_err(|e| beatbook_model::ModelError::Malformed(e.to_string()).into())
        })
        .transpose()
    }

    /// A record read from its document, with its conflicts.
    pub fn open_record(&mut self, id: RecordId) -> Result<RecordView> {
        let doc = self.take_doc(id)?;
        let read = doc::hydrate(&doc);
        self.docs.insert(id, doc);
        let (json, conflicts) = read?;
        let record = serde_json::from_value(json)
            .map_err(|e| beatbook_model::ModelError::Malformed(e.to_string()))?;
        Ok(RecordView { record, conflicts })
    }

    /// Records matching `q`, most recent work first.
    pub fn list(&self, q: &ListQuery) -> Result<Vec<Summary>> {
        let mut sql = format!("SELECT {SUMMARY_COLUMNS} FROM records WHERE 1 = 1");
        let mut args: Vec<String> = Vec::new();
        let mut filter = |col: &str, op: &str, v: Option<String>| {
            if let Some(v) = v {
                args.push(v);
                sql.push_str(&format!(" AND {col} {op} ?{}", args.len()));
            }
        };
        filter("kind", "=", q.kind.map(|k| k.as_str().to_owned()));
        filter("station", "=", q.station.as_ref().map(|s| s.0.clone()));
        filter("village", "=", q.village.as_ref().map(|s| s.0.clone()));
        filter("status", "=", q.status.clone());
        filter("assignee", "=", q.assignee.as_ref().map(|s| s.0.clone()));
        filter("occurred_at", ">=", q.since.map(ts));
        filter("occurred_at", "<", q.until.map(ts));
        filter(
            "reviewed",
            "=",
            q.reviewed.map(|r| i64::from(r).to_string()),
        );
        if !q.include_deleted {
            sql.push_str(" AND deleted = 0");
        }
        sql.push_str(&format!(
            " ORDER BY occurred_at DESC, id DESC LIMIT {} OFFSET {}",
            q.limit.unwrap_or(200),
            q.offset
        ));
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params_from_iter(args.iter()), summary_row)?;
        rows.map(|r| r?).collect()
    }

    /// Records whose names, addresses, ID numbers, phones or notes contain `text` (any
    /// Chinese substring, even two characters). Deleted records are not searched.
    pub fn search(&self, text: &str, limit: usize) -> Result<Vec<Summary>> {
        let Some(expr) = search::match_expr(text) else {
            return Ok(Vec::new());
        };
        let cols = SUMMARY_COLUMNS.replace("id,", "records.id,");
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {cols} FROM search JOIN records ON records.rowid = search.rowid
             WHERE search MATCH ?1 AND deleted = 0 ORDER BY rank LIMIT {limit}"
        ))?;
        let rows = stmt.query_map([expr], summary_row)?;
        rows.map(|r| r?).collect()
    }

    /// Records that refer to `target` (visits to a household, checks of a key person, tasks
    /// about it …), oldest first: the raw material of a dossier's timeline.
    pub fn referring_to(&self, target: RecordId) -> Result<Vec<Summary>> {
        let cols = SUMMARY_COLUMNS.replace("id,", "records.id,");
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT DISTINCT {cols} FROM links JOIN records ON records.id = links.source
             WHERE links.target = ?1 AND deleted = 0 ORDER BY occurred_at, records.id"
        ))?;
        let rows = stmt.query_map([target.to_string()], summary_row)?;
        rows.map(|r| r?).collect()
    }

    /// How many of `ids` hold conflicting values.
    pub fn count_conflicted(&self, ids: &[RecordId]) -> Result<usize> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT conflicts > 0 FROM records WHERE id = ?1")?;
        let mut n = 0;
        for id in ids {
            let conflicted: Option<bool> =
                stmt.query_row([id.to_string()], |r| r.get(0)).optional()?;
            n += usize::from(conflicted == Some(true));
        }
        Ok(n)
    }

    /// Every record naming a person with this ID number or phone (households, key persons,
    /// disputes).
    pub fn find_person(&self, id_number_or_phone: &str) -> Result<Vec<PersonHit>> {
        let cols = SUMMARY_COLUMNS.replace("id,", "records.id,");
        let key = id_number_or_phone.trim().to_ascii_uppercase();
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {cols}, people.name FROM people JOIN records ON records.id = people.record_id
             WHERE (people.id_number = ?1 OR people.phone = ?2) AND deleted = 0
             ORDER BY occurred_at DESC"
        ))?;
        let phone = beatbook_model::validate::normalize_phone(&key);
        let rows = stmt.query_map(params![key, phone], |r| {
            Ok(summary_row(r)?.map(|record| PersonHit {
                record,
                name: r.get(13).unwrap_or_default(),
            }))
        })?;
        rows.map(|r| r?).collect()
    }
}

const SUMMARY_COLUMNS: &str = "id, kind, station, village, title, status, assignee, occurred_at, \
     due_at, updated_at, deleted, conflicts, reviewed";

fn summary_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Result<Summary>> {
    let id: String = r.get(0)?;
    let kind: String = r.get(1)?;
    let occurred: String = r.get(7)?;
    let due: Option<String> = r.get(8)?;
    let updated: String = r.get(9)?;
    let reviewed: bool = r.get(12)?;
    let (station, village, title, status, assignee, deleted, conflicts): (
        String,
        String,
        String,
        Option<String>,
        Option<String>,
        bool,
        i64,
    ) = (
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(10)?,
        r.get(11)?,
    );
    Ok((|| {
        Ok(Summary {
            id: parse_id(&id)?,
            kind: kind.parse()?,
            scope: Scope {
                station: StationId(station),
                village: VillageId(village),
            },
            title,
            status,
            assignee: assignee.map(UserId),
            occurred_at: parse_ts(&occurred)?,
            due_at: due.as_deref().map(parse_ts).transpose()?,
            updated_at: parse_ts(&updated)?,
            deleted,
            conflicts: conflicts as usize,
            reviewed,
        })
    })())
}

fn to_json(record: &Record) -> Result<Json> {
    serde_json::to_value(record).map_err(doc_err)
}

/// Loads a document from its chunks, or `None` if there are none.
fn load_doc(conn: &Connection, id: RecordId, actor: &ActorId) -> Result<Option<AutoCommit>> {
    let mut stmt =
        conn.prepare_cached("SELECT data FROM doc_chunks WHERE record_id = ?1 ORDER BY seq")?;
    let mut rows = stmt.query([id.to_string()])?;
    let mut doc: Option<AutoCommit> = None;
    while let Some(row) = rows.next()? {
        let data: Vec<u8> = row.get(0)?;
        let d = doc.get_or_insert_with(|| AutoCommit::new().with_actor(actor.clone()));
        d.load_incremental(&data).map_err(doc_err)?;
    }
    Ok(doc)
}

/// Applies one record's incoming changes: known ones are counted as duplicates, ones whose
/// predecessors are missing are parked, and parked ones whose predecessors have now arrived
/// are applied with them.
fn apply_to_doc(
    tx: &Transaction<'_>,
    id: RecordId,
    doc: &mut AutoCommit,
    changes: Vec<Change>,
    report: &mut ApplyReport,
    at: &str,
) -> Result<()> {
    let key = id.to_string();
    let mut waiting: Vec<(Change, bool)> = Vec::new();
    {
        let mut is_parked = tx.prepare_cached("SELECT 1 FROM parked WHERE hash = ?1")?;
        for change in changes {
            let hash = change.hash();
            let known = doc.get_change_by_hash(&hash).is_some()
                || waiting.iter().any(|(c, _)| c.hash() == hash)
                || is_parked.exists([hash.0.as_slice()])?;
            if known {
                report.duplicates += 1;
            } else {
                report.applied += 1;
                waiting.push((change, false));
            }
        }
        let mut parked = tx.prepare_cached("SELECT data FROM parked WHERE record_id = ?1")?;
        let rows = parked.query_map([&key], |r| r.get::<_, Vec<u8>>(0))?;
        for data in rows {
            waiting.push((Change::from_bytes(data?).map_err(doc_err)?, true));
        }
    }
    if waiting.is_empty() {
        return Ok(());
    }
    let mut progressed = false;
    loop {
        let (ready, rest): (Vec<_>, Vec<_>) = waiting
            .into_iter()
            .partition(|(c, _)| c.deps().iter().all(|d| doc.get_change_by_hash(d).is_some()));
        waiting = rest;
        if ready.is_empty() {
            break;
        }
        progressed = true;
        for (mut change, was_parked) in ready {
            append_chunk(tx, id, &change.bytes())?;
            if was_parked {
                tx.execute(
                    "DELETE FROM parked WHERE hash = ?1",
                    [change.hash().0.as_slice()],
                )?;
            }
            doc.apply_changes([change]).map_err(doc_err)?;
        }
    }
    for (mut change, was_parked) in waiting {
        if !was_parked {
            tx.execute(
                "INSERT INTO parked (hash, record_id, data) VALUES (?1, ?2, ?3)",
                params![change.hash().0.as_slice(), key, change.bytes().as_ref()],
            )?;
        }
    }
    if progressed {
        if project(tx, id, doc)? {
            report.records.push(id);
            run(tx, "DELETE FROM unreadable WHERE record_id = ?1", [&key])?;
        } else {
            // Every change applied, yet the content is not a record this version can read
            // (a newer version's kind, a bug, a hostile peer): the document stays in
            // doc_chunks byte for byte, and the record is listed as unreadable.
            let (json, _) = doc::hydrate(doc)?;
            let reason = match serde_json::from_value::<Record>(json.clone()) {
                Err(e) => format!("not a record: {e}"),
                Ok(r) => format!("the document holds record {} instead", r.id),
            };
            let author = json["author"].as_str().unwrap_or_default().to_owned();
            if keep_unreadable(tx, id, &author, &reason, None, at)? {
                report.unreadable.push(id);
            }
        }
        maybe_compact(tx, id, doc)?;
    } else if tx
        .query_row("SELECT 1 FROM records WHERE id = ?1", [&key], |_| Ok(()))
        .optional()?
        .is_none()
    {
        report.incomplete.push(id);
    }
    Ok(())
}

/// Lists `id` as unreadable (keeping `data`, the bytes as received, when given); returns
/// whether it is newly listed. A record already listed keeps its first reason and time, and
/// bytes received later are added to those kept.
fn keep_unreadable(
    conn: &Connection,
    id: RecordId,
    author: &str,
    reason: &str,
    data: Option<&[u8]>,
    at: &str,
) -> Result<bool> {
    let key = id.to_string();
    let known = conn
        .prepare_cached("SELECT 1 FROM unreadable WHERE record_id = ?1")?
        .exists([&key])?;
    if known {
        if let Some(data) = data {
            run(
                conn,
                "UPDATE unreadable SET data = COALESCE(data, x'') || ?2 WHERE record_id = ?1",
                params![key, data],
            )?;
        }
        return Ok(false);
    }
    run(
        conn,
        "INSERT INTO unreadable (record_id, author, reason, data, first_seen)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            key,
            author,
            reason.chars().take(500).collect::<String>(),
            data,
            at
        ],
    )?;
    Ok(true)
}

/// Who wrote a record, read leniently from bytes that may not load: "" when they do not say.
fn author_in(bytes: &[u8]) -> String {
    use automerge::ReadDoc;
    AutoCommit::load(bytes)
        .ok()
        .and_then(|doc| match doc.get(automerge::ROOT, "author") {
            Ok(Some((automerge::Value::Scalar(s), _))) => match s.as_ref() {
                automerge::ScalarValue::Str(s) => Some(s.to_string()),
                _ => None,
            },
            _ => None,
        })
        .unwrap_or_default()
}

/// `execute` through the statement cache: every save and every pulled record runs the same
/// statements, and parsing them anew each time cost more than running them.
fn run(conn: &Connection, sql: &str, params: impl rusqlite::Params) -> Result<usize> {
    Ok(conn.prepare_cached(sql)?.execute(params)?)
}

fn append_chunk(tx: &Transaction<'_>, id: RecordId, bytes: &[u8]) -> Result<()> {
    run(
        tx,
        "INSERT INTO doc_chunks (record_id, seq, is_snapshot, data)
         VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM doc_chunks WHERE record_id = ?1), 0, ?2)",
        params![id.to_string(), bytes],
    )?;
    Ok(())
}

/// Folds a record's chunks into one snapshot once the chunks added since the last snapshot
/// weigh more than half of it, or there are [`COMPACT_AT`] of them: a record then takes at
/// most about 1.5× its compacted size (each edit's change is a couple of hundred bytes beside
/// a household's kilobyte, which 32 loose changes multiplied fourfold). Changes with missing
/// predecessors never enter a document (they are parked), so the snapshot holds everything.
fn maybe_compact(tx: &Transaction<'_>, id: RecordId, doc: &mut AutoCommit) -> Result<()> {
    let (n, loose, snapshot): (i64, i64, i64) = tx
        .prepare_cached(
            "SELECT count(*),
                    COALESCE(SUM(CASE WHEN is_snapshot = 0 THEN length(data) END), 0),
                    COALESCE(SUM(CASE WHEN is_snapshot = 1 THEN length(data) END), 0)
             FROM doc_chunks WHERE record_id = ?1",
        )?
        .query_row([id.to_string()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    if n < 2 || (n < COMPACT_AT && 2 * loose <= snapshot) {
        return Ok(());
    }
    let snapshot = doc.save();
    let key = id.to_string();
    let next: i64 = tx.query_row(
        "SELECT MAX(seq) + 1 FROM doc_chunks WHERE record_id = ?1",
        [&key],
        |r| r.get(0),
    )?;
    tx.execute("DELETE FROM doc_chunks WHERE record_id = ?1", [&key])?;
    tx.execute(
        "INSERT INTO doc_chunks (record_id, seq, is_snapshot, data) VALUES (?1, ?2, 1, ?3)",
        params![key, next, snapshot],
    )?;
    Ok(())
}

/// Rebuilds a record's projection rows from its document. Returns false (and leaves no rows)
/// if the document does not hold a readable record yet.
fn project(tx: &Transaction<'_>, id: RecordId, doc: &AutoCommit) -> Result<bool> {
    let key = id.to_string();
    let old_rowid: Option<i64> = tx
        .prepare_cached("SELECT rowid FROM records WHERE id = ?1")?
        .query_row([&key], |r| r.get(0))
        .optional()?;
    if let Some(rowid) = old_rowid {
        run(tx, "DELETE FROM search WHERE rowid = ?1", [rowid])?;
    }
    run(tx, "DELETE FROM people WHERE record_id = ?1", [&key])?;
    run(tx, "DELETE FROM links WHERE source = ?1", [&key])?;
    let (json, conflicts) = doc::hydrate(doc)?;
    let record = match serde_json::from_value::<Record>(json) {
        Ok(r) if r.id == id => r,
        _ => {
            tx.execute("DELETE FROM records WHERE id = ?1", [&key])?;
            return Ok(false);
        }
    };
    let body = &record.body;
    let search_text = body.search_text();
    let occurred = body.occurred_at().unwrap_or(record.created_at);
    run(
        tx,
        "INSERT INTO records (id, kind, station, village, author, created_at, updated_at,
             occurred_at, status, assignee, due_at, title, deleted, conflicts, json, reviewed)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)
         ON CONFLICT (id) DO UPDATE SET
             kind = excluded.kind, station = excluded.station, village = excluded.village,
             author = excluded.author, created_at = excluded.created_at,
             updated_at = excluded.updated_at, occurred_at = excluded.occurred_at,
             status = excluded.status, assignee = excluded.assignee, due_at = excluded.due_at,
             title = excluded.title, deleted = excluded.deleted, conflicts = excluded.conflicts,
             json = excluded.json, reviewed = excluded.reviewed",
        params![
            key,
            body.kind().as_str(),
            record.scope.station.as_str(),
            record.scope.village.as_str(),
            record.author.as_str(),
            ts(record.created_at),
            ts(record.updated_at),
            ts(occurred),
            body.status(),
            body.assignee().map(UserId::as_str),
            body.due_at().map(ts),
            body.title(),
            record.deleted,
            conflicts.len() as i64,
            serde_json::to_string(&record).map_err(doc_err)?,
            record.review.is_some(),
        ],
    )?;
    if record.deleted {
        return Ok(true);
    }
    let rowid: i64 = tx
        .prepare_cached("SELECT rowid FROM records WHERE id = ?1")?
        .query_row([&key], |r| r.get(0))?;
    run(
        tx,
        "INSERT INTO search (rowid, grams) VALUES (?1, ?2)",
        params![rowid, search::index_tokens(&search_text)],
    )?;
    for (i, (name, id_number, phone)) in people(body).into_iter().enumerate() {
        run(
            tx,
            "INSERT INTO people (record_id, idx, name, id_number, phone) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                key,
                i as i64,
                name,
                id_number.map(|s| beatbook_model::validate::normalize_id_number(&s)),
                phone.map(|s| beatbook_model::validate::normalize_phone(&s)),
            ],
        )?;
    }
    for link in body.links() {
        run(
            tx,
            "INSERT OR IGNORE INTO links (source, target, role) VALUES (?1, ?2, ?3)",
            params![key, link.target.to_string(), link.role],
        )?;
    }
    Ok(true)
}

type Person = (String, Option<String>, Option<String>);

/// The people a record names, for the `people` projection.
fn people(body: &Body) -> Vec<Person> {
    match body {
        Body::Household(h) => h
            .members
            .iter()
            .map(|m| (m.name.clone(), m.id_number.clone(), m.phone.clone()))
            .collect(),
        Body::KeyPerson(p) => vec![(p.name.clone(), Some(p.id_number.clone()), p.phone.clone())],
        Body::Dispute(d) => d
            .parties
            .iter()
            .map(|p| (p.name.clone(), p.id_number.clone(), p.phone.clone()))
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Every instant chrono can hold, in milliseconds (the precision the store keeps).
    fn any_instant() -> impl Strategy<Value = DateTime<Utc>> {
        let min = DateTime::<Utc>::MIN_UTC.timestamp_millis();
        let max = DateTime::<Utc>::MAX_UTC.timestamp_millis();
        (min..=max).prop_map(|ms| DateTime::from_timestamp_millis(ms).expect("in chrono's range"))
    }

    proptest! {
        #[test]
        fn every_time_the_store_writes_reads_back(t in any_instant()) {
            prop_assert_eq!(parse_ts(&ts(t)).unwrap(), t);
        }
    }

    #[test]
    fn the_edges_read_back_and_model_years_sort_as_text() {
        let edges = [
            DateTime::<Utc>::MIN_UTC.trunc_subsecs(3),
            DateTime::<Utc>::MAX_UTC.trunc_subsecs(3),
            "-0001-01-01T00:00:00Z".parse().unwrap(),
            "0000-12-31T23:59:59.999Z".parse().unwrap(),
            "+10000-01-01T00:00:00Z".parse().unwrap(),
            "1900-01-01T00:00:00Z".parse().unwrap(),
        ];
        for t in edges {
            assert_eq!(parse_ts(&ts(t)).unwrap(), t, "{}", ts(t));
        }
        let early = ts("1900-01-01T00:00:00Z".parse().unwrap());
        let late = ts("2031-06-01T08:00:00.5Z".parse().unwrap());
        assert!(early < late);
        assert_eq!(early.len(), late.len());
    }
}
