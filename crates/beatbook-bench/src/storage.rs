//! Storage (scenario 8): bytes per record on the device and on the server after every record
//! was edited 20 times (and synced after each round), against the record's own JSON.

use std::path::Path;

use anyhow::{Context, Result};
use beatbook_model::sample::Sampler;
use beatbook_model::{Body, RecordId, UserId};
use beatbook_store::ListQuery;
use rusqlite::Connection;
use serde::Serialize;

use crate::world::{county, officer_of, villages, Handset, Server, DEVICE_KEY};

/// Bytes per record on one side.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SideBytes {
    /// The database file (after a checkpoint) minus the same database before any record.
    pub file: f64,
    /// The Automerge document(s): device chunks, or the server's saved document.
    pub documents: f64,
    /// Device: the projection's JSON column. Server: the change log (changes + signatures).
    pub other: f64,
    /// What `other` is.
    pub other_label: String,
    /// Automerge chunks (device) or logged changes (server) per record.
    pub pieces: f64,
}

/// Scenario 8.
#[derive(Debug, Clone, Serialize)]
pub struct StorageFigures {
    /// Records measured.
    pub records: usize,
    /// Edits made to each after its creation.
    pub edits: usize,
    /// The record's JSON (`serde_json` of `Record`), mean bytes.
    pub json: f64,
    /// On the device (SQLCipher store).
    pub device: SideBytes,
    /// On the server.
    pub server: SideBytes,
}

fn open_db(path: &Path, key: Option<&[u8; 32]>) -> Result<Connection> {
    let conn = Connection::open(path)?;
    if let Some(k) = key {
        let hex: String = k.iter().map(|b| format!("{b:02x}")).collect();
        conn.pragma_update(None, "key", format!("x'{hex}'"))?;
    }
    Ok(conn)
}

/// Folds the WAL into the file and returns the file's size.
fn checkpointed_size(path: &Path, key: Option<&[u8; 32]>) -> Result<u64> {
    let conn = open_db(path, key)?;
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    drop(conn);
    Ok(crate::measure::db_size(path))
}

fn sum(conn: &Connection, sql: &str) -> Result<f64> {
    Ok(conn
        .query_row(sql, [], |r| r.get::<_, Option<f64>>(0))?
        .unwrap_or(0.0))
}

/// Scenario 8 with `n` households, each edited `edits` times.
pub async fn run(dir: &Path, n: usize, edits: usize) -> Result<StorageFigures> {
    std::fs::create_dir_all(dir)?;
    let village = villages(&county())[0].clone();
    let mut server = Server::start(&dir.join("server")).await?;
    server
        .add_users(vec![("store.officer".into(), officer_of(&village.scope))])
        .await?;
    let server_db = dir
        .join("server")
        .join(beatbook_server::state::DATABASE_FILE);
    let device_db = dir.join("device.db");
    let handset = Handset::enrol_file(&server.url(), "store.officer", device_db.clone()).await?;
    handset.sync(&server.url()).await?;
    let server_empty = checkpointed_size(&server_db, None)?;
    let device_empty = checkpointed_size(&device_db, Some(&DEVICE_KEY))?;

    let mut sampler = Sampler::new(8);
    let officer = UserId::from("store.officer");
    let ids: Vec<RecordId> = handset.with(|s| {
        (0..n)
            .map(|_| {
                let body = Body::Household(sampler.household(&village.name));
                Ok(s.create(&officer, village.scope.clone(), body)?.id)
            })
            .collect::<Result<_>>()
    })?;
    handset.sync(&server.url()).await?;
    for round in 0..edits {
        // Rotate which edit each record gets, so every kind of edit lands on every record.
        let mut rotated = ids.clone();
        rotated.rotate_left(round % ids.len().max(1));
        crate::sync::edit_households(&handset, &rotated, &mut sampler)?;
        handset.sync(&server.url()).await?;
    }
    let json = handset.with(|s| -> Result<f64> {
        let all = s.list(&ListQuery {
            limit: Some(usize::MAX / 2),
            ..Default::default()
        })?;
        let mut total = 0usize;
        for summary in &all {
            let record = s.get(summary.id)?.context("a listed record is missing")?;
            total += serde_json::to_string(&record)?.len();
        }
        Ok(total as f64 / all.len().max(1) as f64)
    })?;
    drop(handset);
    server.stop().await?;

    let per = |bytes: f64| bytes / n.max(1) as f64;
    let device = {
        let size = checkpointed_size(&device_db, Some(&DEVICE_KEY))?;
        let conn = open_db(&device_db, Some(&DEVICE_KEY))?;
        SideBytes {
            file: per(size.saturating_sub(device_empty) as f64),
            documents: per(sum(&conn, "SELECT sum(length(data)) FROM doc_chunks")?),
            other: per(sum(&conn, "SELECT sum(length(json)) FROM records")?),
            other_label: "projection JSON".into(),
            pieces: per(sum(&conn, "SELECT count(*) FROM doc_chunks")?),
        }
    };
    let server_side = {
        let size = checkpointed_size(&server_db, None)?;
        let conn = open_db(&server_db, None)?;
        SideBytes {
            file: per(size.saturating_sub(server_empty) as f64),
            documents: per(sum(&conn, "SELECT sum(length(data)) FROM documents")?),
            other: per(sum(
                &conn,
                "SELECT sum(length(data) + length(signature)) FROM changes",
            )?),
            other_label: "change log".into(),
            pieces: per(sum(&conn, "SELECT count(*) FROM changes")?),
        }
    };
    Ok(StorageFigures {
        records: n,
        edits,
        json,
        device,
        server: server_side,
    })
}
