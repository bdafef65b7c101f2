//! The server database's tables and their migrations. `PRAGMA user_version` says which
//! migrations ran; each runs once, in order, in the transaction that bumps the version.

use rusqlite::Connection;

/// Migrations in order; the schema version is their count.
const MIGRATIONS: &[&str] = &[
    // 1: accounts, devices, documents, the change log, the county.
    r#"
    -- Accounts. `villages` is a JSON array of village ids.
    CREATE TABLE users (
        username      TEXT PRIMARY KEY,
        display_name  TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        role          TEXT NOT NULL,
        station       TEXT,
        villages      TEXT NOT NULL DEFAULT '[]',
        disabled      INTEGER NOT NULL DEFAULT 0,
        created_at    INTEGER NOT NULL
    );

    -- Enrolled handsets. Only the sha256 of a bearer token is kept. Times are Unix ms.
    CREATE TABLE devices (
        id           TEXT PRIMARY KEY,
        username     TEXT NOT NULL REFERENCES users (username),
        name         TEXT NOT NULL,
        public_key   BLOB NOT NULL,
        token_hash   BLOB NOT NULL UNIQUE,
        expires_at   INTEGER NOT NULL,
        revoked      INTEGER NOT NULL DEFAULT 0,
        enrolled_at  INTEGER NOT NULL,
        last_seen_at INTEGER
    );
    CREATE INDEX devices_by_user ON devices (username);

    -- Which device an Automerge actor belongs to: every change is attributed through this.
    CREATE TABLE actors (
        actor     BLOB PRIMARY KEY,
        device_id TEXT NOT NULL REFERENCES devices (id)
    ) WITHOUT ROWID;

    -- The server's copy of each record: the whole Automerge document, and the header fields
    -- (fixed at creation) that scope it.
    CREATE TABLE documents (
        record_id TEXT PRIMARY KEY,
        kind      TEXT NOT NULL,
        station   TEXT NOT NULL,
        village   TEXT NOT NULL,
        data      BLOB NOT NULL,
        last_seq  INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX documents_by_scope ON documents (station, village, record_id);

    -- Every accepted change, in arrival order: the feed devices pull from, and the audit
    -- trail (who signed, who pushed, when).
    CREATE TABLE changes (
        seq         INTEGER PRIMARY KEY AUTOINCREMENT,
        hash        BLOB NOT NULL UNIQUE,
        record_id   TEXT NOT NULL,
        kind        TEXT NOT NULL,
        station     TEXT NOT NULL,
        village     TEXT NOT NULL,
        data        BLOB NOT NULL,
        signature   BLOB NOT NULL,
        device_id   TEXT NOT NULL REFERENCES devices (id),
        username    TEXT NOT NULL,
        received_at INTEGER NOT NULL
    );
    CREATE INDEX changes_by_scope ON changes (station, village, seq);
    CREATE INDEX changes_by_record ON changes (record_id, seq);

    -- The county's stations and villages (one row, JSON).
    CREATE TABLE county (
        id   INTEGER PRIMARY KEY CHECK (id = 1),
        json TEXT NOT NULL
    );
    "#,
    // 2: the stations' duty rules.
    r#"
    -- Station duty rules (JSON of beatbook_model::DutyRule). Immutable once made; `removed`
    -- is final. `json` is NULL for a removal that arrived before its rule. Who made the last
    -- change (user and device) and when (Unix ms).
    CREATE TABLE duty_rules (
        id         TEXT PRIMARY KEY,
        station    TEXT NOT NULL,
        json       TEXT,
        removed    INTEGER NOT NULL DEFAULT 0,
        updated_by TEXT NOT NULL,
        device     TEXT NOT NULL REFERENCES devices (id),
        updated_at INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX duty_rules_by_station ON duty_rules (station, removed, id);
    "#,
];

/// Runs the migrations this database has not had yet.
pub(super) fn migrate(conn: &mut Connection) -> rusqlite::Result<()> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version.max(0) as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}

/// The schema version this build writes.
pub(super) fn current_version() -> i64 {
    MIGRATIONS.len() as i64
}
