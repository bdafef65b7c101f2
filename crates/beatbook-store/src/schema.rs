//! The store's tables and their migrations. `PRAGMA user_version` says which migrations ran;
//! each migration runs once, in order, inside the transaction that bumps the version.

use crate::error::{Result, StoreError};
use rusqlite::Connection;

/// Migrations in order; the store's schema version is their count.
const MIGRATIONS: &[&str] = &[
    // 1: documents, outbox, projections, search.
    r#"
    -- Key/value facts about this device: its Automerge actor, the sync cursor.
    CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );

    -- Each record's Automerge document: a snapshot and the incremental chunks after it,
    -- loaded in seq order. Compaction replaces them by one snapshot.
    CREATE TABLE doc_chunks (
        record_id   TEXT NOT NULL,
        seq         INTEGER NOT NULL,
        is_snapshot INTEGER NOT NULL,
        data        BLOB NOT NULL,
        PRIMARY KEY (record_id, seq)
    ) WITHOUT ROWID;

    -- Changes made on this device that the server has not acknowledged, oldest first.
    CREATE TABLE outbox (
        seq       INTEGER PRIMARY KEY AUTOINCREMENT,
        hash      BLOB NOT NULL UNIQUE,
        record_id TEXT NOT NULL,
        data      BLOB NOT NULL
    );

    -- Changes of this device the server refused for good (e.g. a record outside the user's
    -- scope): set aside so the rest still syncs, kept so nothing is lost, shown to the user.
    CREATE TABLE set_aside (
        hash      BLOB PRIMARY KEY,
        record_id TEXT NOT NULL,
        data      BLOB NOT NULL,
        code      TEXT NOT NULL,
        message   TEXT NOT NULL,
        at        TEXT NOT NULL
    );

    -- Changes from elsewhere that arrived before the changes they build on; applied (and
    -- removed from here) as soon as their predecessors are in the document.
    CREATE TABLE parked (
        hash      BLOB PRIMARY KEY,
        record_id TEXT NOT NULL,
        data      BLOB NOT NULL
    );
    CREATE INDEX parked_by_record ON parked (record_id);

    -- Projection: one row per readable record, rebuilt from its document on every change.
    -- Lists, filters and search read these rows only; documents load on open or edit.
    CREATE TABLE records (
        rowid       INTEGER PRIMARY KEY,
        id          TEXT NOT NULL UNIQUE,
        kind        TEXT NOT NULL,
        station     TEXT NOT NULL,
        village     TEXT NOT NULL,
        author      TEXT NOT NULL,
        created_at  TEXT NOT NULL,
        updated_at  TEXT NOT NULL,
        occurred_at TEXT NOT NULL,
        status      TEXT,
        assignee    TEXT,
        due_at      TEXT,
        title       TEXT NOT NULL,
        deleted     INTEGER NOT NULL,
        conflicts   INTEGER NOT NULL,
        json        TEXT NOT NULL
    );
    CREATE INDEX records_by_kind ON records (kind, village, occurred_at);
    CREATE INDEX records_by_village ON records (village, occurred_at);
    CREATE INDEX records_by_assignee ON records (assignee, status, due_at) WHERE assignee IS NOT NULL;
    CREATE INDEX records_by_status ON records (kind, status, due_at) WHERE status IS NOT NULL;

    -- Projection: people named in households, key persons and disputes.
    CREATE TABLE people (
        record_id TEXT NOT NULL,
        idx       INTEGER NOT NULL,
        name      TEXT NOT NULL,
        id_number TEXT,
        phone     TEXT,
        PRIMARY KEY (record_id, idx)
    ) WITHOUT ROWID;
    CREATE INDEX people_by_id_number ON people (id_number) WHERE id_number IS NOT NULL;
    CREATE INDEX people_by_phone ON people (phone) WHERE phone IS NOT NULL;

    -- Projection: which record refers to which (timelines and dossiers).
    CREATE TABLE links (
        source TEXT NOT NULL,
        target TEXT NOT NULL,
        role   TEXT NOT NULL,
        PRIMARY KEY (source, target, role)
    ) WITHOUT ROWID;
    CREATE INDEX links_by_target ON links (target);

    -- Search over character pairs (see search.rs); rowid = records.rowid.
    CREATE VIRTUAL TABLE search USING fts5 (
        grams, content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 0'
    );
    "#,
    // 2: the chief's review, projected so the review screen filters reviewed/unreviewed.
    // Stores made before reviews existed hold no reviewed record; the UPDATE keeps the
    // column true to the documents anyway.
    r#"
    ALTER TABLE records ADD COLUMN reviewed INTEGER NOT NULL DEFAULT 0;
    UPDATE records SET reviewed = (json_extract(json, '$.review') IS NOT NULL);
    CREATE INDEX records_by_reviewed ON records (reviewed, station, occurred_at);
    "#,
    // 3: records pulled from the server that this device cannot read (a newer version's kind,
    // a bug, a hostile peer). They are kept, never fatal to a sync: the document stays in
    // doc_chunks when it could be stored, else the bytes as received are kept here.
    r#"
    CREATE TABLE unreadable (
        record_id  TEXT PRIMARY KEY,
        author     TEXT NOT NULL DEFAULT '',
        reason     TEXT NOT NULL,
        data       BLOB,
        first_seen TEXT NOT NULL,
        notified   INTEGER NOT NULL DEFAULT 0,
        reported   INTEGER NOT NULL DEFAULT 0
    ) WITHOUT ROWID;
    "#,
];

/// The schema version this build writes.
pub const VERSION: i64 = MIGRATIONS.len() as i64;

/// Brings the database up to [`VERSION`].
pub fn migrate(conn: &mut Connection) -> Result<()> {
    let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if found > VERSION {
        return Err(StoreError::TooNew {
            found,
            supported: VERSION,
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}
