//! SQLite storage (the embedded default): one writer connection behind a mutex, a pool of
//! reader connections, WAL with `synchronous=FULL` so an acknowledged change survives a crash
//! or power loss.

pub mod private;
mod schema;

use super::{
    DeviceRow, DutyRuleRow, LoggedChange, NewChange, Page, ReadFilter, Storage, StorageError,
    StorageResult, StoredDocument, UserRow, WriteTx,
};
use beatbook_model::{
    Assignment, County, DutyRule, Kind, RecordId, Role, Scope, StationId, VillageId,
};
use chrono::{DateTime, Utc};
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, OpenFlags, OptionalExtension, Row};
use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// Reader connections kept open for reuse.
const MAX_IDLE_READERS: usize = 8;

impl From<rusqlite::Error> for StorageError {
    fn from(e: rusqlite::Error) -> Self {
        StorageError::Backend(e.to_string())
    }
}

/// The SQLite backend.
pub struct SqliteStorage {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
}

impl std::fmt::Debug for SqliteStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStorage")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

fn from_ms(v: i64) -> StorageResult<DateTime<Utc>> {
    DateTime::from_timestamp_millis(v).ok_or_else(|| corrupt(format!("time {v}")))
}

fn corrupt(what: impl std::fmt::Display) -> StorageError {
    StorageError::Corrupt(what.to_string())
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock leaves nothing half-written: an open transaction is
    // rolled back when its guard drops during unwinding.
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    // FULL: a change the server acknowledged is on disk, even after power loss.
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(())
}

impl SqliteStorage {
    /// Opens (creating and migrating if needed) the database at `path`. The file and its
    /// `-wal` and `-shm` are `0600` ([`private`]); looser ones are tightened with a warning.
    pub fn open(path: impl AsRef<Path>) -> StorageResult<SqliteStorage> {
        let path = path.as_ref().to_path_buf();
        let private = |tightened: std::io::Result<Vec<(PathBuf, u32)>>| {
            let tightened = tightened.map_err(|e| {
                StorageError::Backend(format!(
                    "无法设置数据库文件权限 / cannot make {} private: {e}",
                    path.display()
                ))
            })?;
            for (file, mode) in tightened {
                tracing::warn!(
                    file = %file.display(),
                    mode = format!("{mode:04o}"),
                    "数据库文件其他用户可读，已改为 0600 / the database file was open to other users; it is now 0600"
                );
            }
            Ok::<(), StorageError>(())
        };
        private(private::prepare_database(&path))?;
        let mut conn = Connection::open(&path)?;
        configure(&conn)?;
        // SQLite made the `-wal` and `-shm` with the database file's mode; checked anyway.
        private(private::tighten_database(&path))?;
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if version > schema::current_version() {
            return Err(StorageError::Backend(format!(
                "数据库版本 {version} 比本程序新，请升级服务器 / the database was written by a \
                 newer server (schema {version}); upgrade this server"
            )));
        }
        schema::migrate(&mut conn)?;
        Ok(SqliteStorage {
            path,
            writer: Mutex::new(conn),
            readers: Mutex::new(Vec::new()),
        })
    }

    /// Runs `f` on a reader connection (WAL: readers never wait for the writer).
    fn read<T>(&self, f: impl FnOnce(&Connection) -> StorageResult<T>) -> StorageResult<T> {
        let conn = match lock(&self.readers).pop() {
            Some(conn) => conn,
            None => {
                let conn = Connection::open_with_flags(
                    &self.path,
                    OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                conn.busy_timeout(Duration::from_secs(10))?;
                conn.pragma_update(None, "query_only", "ON")?;
                conn
            }
        };
        let result = f(&conn);
        let mut idle = lock(&self.readers);
        if idle.len() < MAX_IDLE_READERS {
            idle.push(conn);
        }
        result
    }
}

/// A user row as read, before its role and villages are parsed.
type RawUser = (
    String,
    String,
    String,
    String,
    Option<String>,
    String,
    bool,
    i64,
);

const USER_COLUMNS: &str =
    "username, display_name, password_hash, role, station, villages, disabled, created_at";

fn user_from_row(r: &Row<'_>) -> rusqlite::Result<RawUser> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
    ))
}

fn finish_user(raw: RawUser) -> StorageResult<UserRow> {
    let (username, display_name, password_hash, role, station, villages, disabled, created) = raw;
    let villages = serde_json::from_str::<Vec<VillageId>>(&villages)
        .map_err(|e| corrupt(format!("villages of {username}: {e}")))?;
    Ok(UserRow {
        assignment: Assignment {
            role: role.parse::<Role>().map_err(corrupt)?,
            station: station.map(|s| s.as_str().into()),
            villages,
        },
        created_at: from_ms(created)?,
        username,
        display_name,
        password_hash,
        disabled,
    })
}

fn device_from_row(r: &Row<'_>) -> rusqlite::Result<StorageResult<DeviceRow>> {
    let token_hash: Vec<u8> = r.get("token_hash")?;
    let expires: i64 = r.get("expires_at")?;
    let enrolled: i64 = r.get("enrolled_at")?;
    let seen: Option<i64> = r.get("last_seen_at")?;
    let id: String = r.get("id")?;
    let username: String = r.get("username")?;
    let name: String = r.get("name")?;
    let public_key: Vec<u8> = r.get("public_key")?;
    let revoked: bool = r.get("revoked")?;
    Ok((|| {
        Ok(DeviceRow {
            token_hash: token_hash
                .try_into()
                .map_err(|_| corrupt(format!("token hash of device {id}")))?,
            expires_at: from_ms(expires)?,
            enrolled_at: from_ms(enrolled)?,
            last_seen_at: seen.map(from_ms).transpose()?,
            id,
            username,
            name,
            public_key,
            revoked,
        })
    })())
}

const DEVICE_COLUMNS: &str = "id, username, name, public_key, token_hash, expires_at, revoked, \
                              enrolled_at, last_seen_at";

/// The first bytes of a zstd frame; Automerge's documents begin otherwise.
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// zstd level for documents at rest: for a household, level 1 packs within 1 % of level 3
/// (603 against 599 bytes) for less CPU on every push; after 20 edits it is 1.4 KB, against
/// 1.6 KB with Automerge's DEFLATE.
const PACK_LEVEL: i32 = 1;

/// The largest document [`unpack`] accepts (a corrupt length must not exhaust memory).
const MAX_DOCUMENT_BYTES: usize = 64 << 20;

thread_local! {
    /// zstd contexts reused across documents: making one per call cost more than the
    /// compression itself (callgrind: ~70 k instructions per packed household).
    static PACKER: RefCell<Option<(zstd::bulk::Compressor<'static>, zstd::bulk::Decompressor<'static>)>> =
        const { RefCell::new(None) };
}

fn with_packer<T>(
    f: impl FnOnce(
        &mut zstd::bulk::Compressor<'static>,
        &mut zstd::bulk::Decompressor<'static>,
    ) -> std::io::Result<T>,
) -> std::io::Result<T> {
    PACKER.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            *slot = Some((
                zstd::bulk::Compressor::new(PACK_LEVEL)?,
                zstd::bulk::Decompressor::new()?,
            ));
        }
        let (c, d) = slot.as_mut().expect("just set");
        f(c, d)
    })
}

/// A document as kept on disk: its Automerge bytes (saved without DEFLATE, so that pages of
/// documents compress well on the wire) compressed with zstd, which is both smaller and
/// cheaper than Automerge's DEFLATE.
fn pack(document: &[u8]) -> StorageResult<Vec<u8>> {
    with_packer(|c, _| c.compress(document)).map_err(|e| StorageError::Backend(e.to_string()))
}

/// A stored document's Automerge bytes. Rows written before documents were packed hold
/// Automerge bytes as they are.
fn unpack(stored: Vec<u8>) -> StorageResult<Vec<u8>> {
    if !stored.starts_with(&ZSTD_MAGIC) {
        return Ok(stored);
    }
    let size = match zstd::zstd_safe::get_frame_content_size(&stored) {
        Ok(Some(n)) if n as usize <= MAX_DOCUMENT_BYTES => n as usize,
        _ => return Err(corrupt("document: bad zstd frame size".to_owned())),
    };
    with_packer(|_, d| d.decompress(&stored, size)).map_err(|e| corrupt(format!("document: {e}")))
}

fn parse_record_id(s: &str) -> StorageResult<RecordId> {
    s.parse().map_err(|_| corrupt(format!("record id {s}")))
}

fn parse_kind(s: &str) -> StorageResult<Kind> {
    s.parse().map_err(|_| corrupt(format!("kind {s}")))
}

/// The SQL condition (and its parameters) for a read filter, or `None` if nothing matches.
fn filter_sql(filter: &ReadFilter) -> Option<(String, Vec<Value>)> {
    let mut sql = String::from("1");
    let mut args: Vec<Value> = Vec::new();
    let hidden = match filter {
        ReadFilter::Nothing => return None,
        ReadFilter::All { hidden } => hidden,
        ReadFilter::Station { station, hidden } => {
            sql.push_str(" AND station = ?");
            args.push(Value::Text(station.0.clone()));
            hidden
        }
        ReadFilter::Villages {
            station,
            villages,
            hidden,
        } => {
            sql.push_str(" AND station = ? AND village IN (");
            args.push(Value::Text(station.0.clone()));
            for (i, v) in villages.iter().enumerate() {
                sql.push_str(if i == 0 { "?" } else { ", ?" });
                args.push(Value::Text(v.0.clone()));
            }
            sql.push(')');
            hidden
        }
    };
    if !hidden.is_empty() {
        sql.push_str(" AND kind NOT IN (");
        for (i, k) in hidden.iter().enumerate() {
            sql.push_str(if i == 0 { "?" } else { ", ?" });
            args.push(Value::Text(k.as_str().to_owned()));
        }
        sql.push(')');
    }
    Some((sql, args))
}

impl Storage for SqliteStorage {
    fn insert_user(&self, user: &UserRow) -> StorageResult<bool> {
        let villages = serde_json::to_string(&user.assignment.villages)
            .map_err(|e| StorageError::Backend(e.to_string()))?;
        let n = lock(&self.writer).execute(
            "INSERT OR IGNORE INTO users
                (username, display_name, password_hash, role, station, villages, disabled, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                user.username,
                user.display_name,
                user.password_hash,
                user.assignment.role.as_str(),
                user.assignment.station.as_ref().map(|s| s.as_str()),
                villages,
                user.disabled,
                ms(user.created_at),
            ],
        )?;
        Ok(n == 1)
    }

    fn user(&self, username: &str) -> StorageResult<Option<UserRow>> {
        self.read(|c| {
            c.prepare_cached(&format!(
                "SELECT {USER_COLUMNS} FROM users WHERE username = ?1"
            ))?
            .query_row([username], user_from_row)
            .optional()?
            .map(finish_user)
            .transpose()
        })
    }

    fn users(&self) -> StorageResult<Vec<UserRow>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {USER_COLUMNS} FROM users ORDER BY username"
            ))?;
            let rows = stmt.query_map([], user_from_row)?;
            rows.map(|r| finish_user(r?)).collect()
        })
    }

    fn set_user_disabled(&self, username: &str, disabled: bool) -> StorageResult<bool> {
        let n = lock(&self.writer).execute(
            "UPDATE users SET disabled = ?2 WHERE username = ?1",
            params![username, disabled],
        )?;
        Ok(n == 1)
    }

    fn device_by_token(&self, token_hash: &[u8; 32]) -> StorageResult<Option<DeviceRow>> {
        self.read(|c| {
            c.prepare_cached(&format!(
                "SELECT {DEVICE_COLUMNS} FROM devices WHERE token_hash = ?1"
            ))?
            .query_row([token_hash.as_slice()], device_from_row)
            .optional()?
            .transpose()
        })
    }

    fn devices(&self) -> StorageResult<Vec<DeviceRow>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {DEVICE_COLUMNS} FROM devices ORDER BY enrolled_at DESC, id DESC"
            ))?;
            let rows = stmt.query_map([], device_from_row)?;
            rows.map(|r| r?).collect()
        })
    }

    fn revoke_device(&self, id: &str) -> StorageResult<bool> {
        let n = lock(&self.writer).execute("UPDATE devices SET revoked = 1 WHERE id = ?1", [id])?;
        Ok(n == 1)
    }

    fn touch_device(&self, id: &str, at: DateTime<Utc>) -> StorageResult<()> {
        lock(&self.writer).execute(
            "UPDATE devices SET last_seen_at = ?2 WHERE id = ?1",
            params![id, ms(at)],
        )?;
        Ok(())
    }

    fn county(&self) -> StorageResult<Option<County>> {
        self.read(|c| {
            let json: Option<String> = c
                .query_row("SELECT json FROM county WHERE id = 1", [], |r| r.get(0))
                .optional()?;
            json.map(|j| serde_json::from_str(&j).map_err(|e| corrupt(format!("county: {e}"))))
                .transpose()
        })
    }

    fn set_county(&self, county: &County) -> StorageResult<()> {
        let json =
            serde_json::to_string(county).map_err(|e| StorageError::Backend(e.to_string()))?;
        lock(&self.writer).execute(
            "INSERT INTO county (id, json) VALUES (1, ?1)
             ON CONFLICT (id) DO UPDATE SET json = excluded.json",
            [json],
        )?;
        Ok(())
    }

    fn begin(&self) -> StorageResult<Box<dyn WriteTx + '_>> {
        let conn = lock(&self.writer);
        conn.execute_batch("BEGIN IMMEDIATE")?;
        Ok(Box::new(SqliteTx { conn, open: true }))
    }

    fn max_seq(&self) -> StorageResult<u64> {
        self.read(|c| {
            let max: Option<i64> = c.query_row("SELECT MAX(seq) FROM changes", [], |r| r.get(0))?;
            Ok(max.unwrap_or(0) as u64)
        })
    }

    fn documents_page(
        &self,
        filter: &ReadFilter,
        after: Option<RecordId>,
        budget: usize,
    ) -> StorageResult<Page<StoredDocument>> {
        let Some((cond, mut args)) = filter_sql(filter) else {
            return Ok(Page {
                items: Vec::new(),
                exhausted: true,
            });
        };
        let after_sql = if let Some(after) = after {
            args.push(Value::Text(after.to_string()));
            " AND record_id > ?"
        } else {
            ""
        };
        self.read(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT record_id, kind, station, village, last_seq, data
                 FROM documents WHERE {cond}{after_sql} ORDER BY record_id"
            ))?;
            let mut rows = stmt.query(params_from_iter(args))?;
            let mut items = Vec::new();
            let mut used = 0usize;
            while let Some(r) = rows.next()? {
                let data = unpack(r.get(5)?)?;
                let len = data.len();
                if !items.is_empty() && used + len > budget {
                    return Ok(Page {
                        items,
                        exhausted: false,
                    });
                }
                used += len;
                let station: String = r.get(2)?;
                let village: String = r.get(3)?;
                items.push(StoredDocument {
                    record: parse_record_id(&r.get::<_, String>(0)?)?,
                    kind: parse_kind(&r.get::<_, String>(1)?)?,
                    scope: Scope {
                        station: station.as_str().into(),
                        village: village.as_str().into(),
                    },
                    last_seq: r.get::<_, i64>(4)? as u64,
                    data,
                });
            }
            Ok(Page {
                items,
                exhausted: true,
            })
        })
    }

    fn count_documents(&self, filter: &ReadFilter, after: Option<RecordId>) -> StorageResult<u64> {
        let Some((cond, mut args)) = filter_sql(filter) else {
            return Ok(0);
        };
        let after_sql = if let Some(after) = after {
            args.push(Value::Text(after.to_string()));
            " AND record_id > ?"
        } else {
            ""
        };
        self.read(|c| {
            let n: i64 = c
                .prepare_cached(&format!(
                    "SELECT count(*) FROM documents WHERE {cond}{after_sql}"
                ))?
                .query_row(params_from_iter(args), |r| r.get(0))?;
            Ok(n as u64)
        })
    }

    fn changes_page(
        &self,
        filter: &ReadFilter,
        after: u64,
        upto: u64,
        budget: usize,
    ) -> StorageResult<Page<LoggedChange>> {
        let Some((cond, mut args)) = filter_sql(filter) else {
            return Ok(Page {
                items: Vec::new(),
                exhausted: true,
            });
        };
        args.push(Value::Integer(after as i64));
        args.push(Value::Integer(upto as i64));
        self.read(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT seq, record_id, length(data), data, kind, station, village FROM changes
                 WHERE {cond} AND seq > ? AND seq <= ? ORDER BY seq"
            ))?;
            let mut rows = stmt.query(params_from_iter(args))?;
            let mut items = Vec::new();
            let mut used = 0usize;
            while let Some(r) = rows.next()? {
                let len = r.get::<_, i64>(2)? as usize;
                if !items.is_empty() && used + len > budget {
                    return Ok(Page {
                        items,
                        exhausted: false,
                    });
                }
                used += len;
                let station: String = r.get(5)?;
                let village: String = r.get(6)?;
                items.push(LoggedChange {
                    seq: r.get::<_, i64>(0)? as u64,
                    record: parse_record_id(&r.get::<_, String>(1)?)?,
                    kind: parse_kind(&r.get::<_, String>(4)?)?,
                    scope: Scope {
                        station: station.as_str().into(),
                        village: village.as_str().into(),
                    },
                    data: r.get(3)?,
                });
            }
            Ok(Page {
                items,
                exhausted: true,
            })
        })
    }

    fn count_changes(&self, filter: &ReadFilter, after: u64, upto: u64) -> StorageResult<u64> {
        let Some((cond, mut args)) = filter_sql(filter) else {
            return Ok(0);
        };
        args.push(Value::Integer(after as i64));
        args.push(Value::Integer(upto as i64));
        self.read(|c| {
            let n: i64 = c
                .prepare_cached(&format!(
                    "SELECT count(*) FROM changes WHERE {cond} AND seq > ? AND seq <= ?"
                ))?
                .query_row(params_from_iter(args), |r| r.get(0))?;
            Ok(n as u64)
        })
    }

    fn duty_rules(&self, station: Option<&StationId>) -> StorageResult<Vec<DutyRule>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT json FROM duty_rules
                 WHERE removed = 0 AND json IS NOT NULL AND (?1 IS NULL OR station = ?1)
                 ORDER BY id",
            )?;
            let rows =
                stmt.query_map([station.map(StationId::as_str)], |r| r.get::<_, String>(0))?;
            rows.map(|json| parse_rule(&json?)).collect()
        })
    }
}

fn parse_rule(json: &str) -> StorageResult<DutyRule> {
    serde_json::from_str(json).map_err(|e| corrupt(format!("duty rule: {e}")))
}

/// The write transaction: holds the writer for its whole life; rolls back on drop unless
/// committed.
struct SqliteTx<'a> {
    conn: MutexGuard<'a, Connection>,
    open: bool,
}

impl Drop for SqliteTx<'_> {
    fn drop(&mut self) {
        if self.open {
            if let Err(e) = self.conn.execute_batch("ROLLBACK") {
                tracing::error!(error = %e, "rollback failed");
            }
        }
    }
}

impl WriteTx for SqliteTx<'_> {
    fn device_by_actor(&mut self, actor: &[u8]) -> StorageResult<Option<DeviceRow>> {
        let cols = DEVICE_COLUMNS
            .split(", ")
            .map(|c| format!("d.{}", c.trim()))
            .collect::<Vec<_>>()
            .join(", ");
        self.conn
            .prepare_cached(&format!(
                "SELECT {cols} FROM actors a JOIN devices d ON d.id = a.device_id
                 WHERE a.actor = ?1"
            ))?
            .query_row([actor], device_from_row)
            .optional()?
            .transpose()
    }

    fn insert_device(&mut self, d: &DeviceRow) -> StorageResult<()> {
        self.conn.execute(
            &format!("INSERT INTO devices ({DEVICE_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"),
            params![
                d.id,
                d.username,
                d.name,
                d.public_key,
                d.token_hash.as_slice(),
                ms(d.expires_at),
                d.revoked,
                ms(d.enrolled_at),
                d.last_seen_at.map(ms),
            ],
        )?;
        Ok(())
    }

    fn revoke_device(&mut self, id: &str) -> StorageResult<()> {
        self.conn
            .execute("UPDATE devices SET revoked = 1 WHERE id = ?1", [id])?;
        Ok(())
    }

    fn bind_actor(&mut self, actor: &[u8], device_id: &str) -> StorageResult<()> {
        self.conn.execute(
            "INSERT INTO actors (actor, device_id) VALUES (?1, ?2)
             ON CONFLICT (actor) DO UPDATE SET device_id = excluded.device_id",
            params![actor, device_id],
        )?;
        Ok(())
    }

    fn change_logged(&mut self, hash: &[u8; 32]) -> StorageResult<bool> {
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM changes WHERE hash = ?1")?
            .exists([hash.as_slice()])?)
    }

    fn document(&mut self, record: RecordId) -> StorageResult<Option<StoredDocument>> {
        let row = self
            .conn
            .prepare_cached(
                "SELECT kind, station, village, data, last_seq FROM documents WHERE record_id = ?1",
            )?
            .query_row([record.to_string()], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Vec<u8>>(3)?,
                    r.get::<_, i64>(4)?,
                ))
            })
            .optional()?;
        row.map(|(kind, station, village, data, last_seq)| {
            Ok(StoredDocument {
                record,
                kind: parse_kind(&kind)?,
                scope: Scope {
                    station: station.as_str().into(),
                    village: village.as_str().into(),
                },
                data: unpack(data)?,
                last_seq: last_seq as u64,
            })
        })
        .transpose()
    }

    fn append_change(&mut self, c: &NewChange) -> StorageResult<u64> {
        self.conn
            .prepare_cached(
                "INSERT INTO changes (hash, record_id, kind, station, village, data, signature,
                                      device_id, username, received_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?
            .execute(params![
                c.hash.as_slice(),
                c.record.to_string(),
                c.kind.as_str(),
                c.scope.station.as_str(),
                c.scope.village.as_str(),
                c.data,
                c.signature,
                c.device_id,
                c.username,
                ms(c.received_at),
            ])?;
        Ok(self.conn.last_insert_rowid() as u64)
    }

    fn put_document(&mut self, d: &StoredDocument) -> StorageResult<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO documents (record_id, kind, station, village, data, last_seq)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (record_id) DO UPDATE SET data = excluded.data,
                     last_seq = excluded.last_seq",
            )?
            .execute(params![
                d.record.to_string(),
                d.kind.as_str(),
                d.scope.station.as_str(),
                d.scope.village.as_str(),
                pack(&d.data)?,
                d.last_seq as i64,
            ])?;
        Ok(())
    }

    fn duty_rule(&mut self, id: RecordId) -> StorageResult<Option<DutyRuleRow>> {
        let row = self
            .conn
            .prepare_cached(
                "SELECT station, json, removed, updated_by, device, updated_at
                 FROM duty_rules WHERE id = ?1",
            )?
            .query_row([id.to_string()], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, bool>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, i64>(5)?,
                ))
            })
            .optional()?;
        row.map(|(station, json, removed, updated_by, device, at)| {
            Ok(DutyRuleRow {
                id,
                station: station.as_str().into(),
                rule: json.as_deref().map(parse_rule).transpose()?,
                removed,
                updated_by,
                device,
                updated_at: from_ms(at)?,
            })
        })
        .transpose()
    }

    fn put_duty_rule(&mut self, row: &DutyRuleRow) -> StorageResult<()> {
        let json = row
            .rule
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| StorageError::Backend(e.to_string()))?;
        self.conn
            .prepare_cached(
                "INSERT INTO duty_rules (id, station, json, removed, updated_by, device, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (id) DO UPDATE SET station = excluded.station,
                     json = excluded.json, removed = excluded.removed,
                     updated_by = excluded.updated_by, device = excluded.device,
                     updated_at = excluded.updated_at",
            )?
            .execute(params![
                row.id.to_string(),
                row.station.as_str(),
                json,
                row.removed,
                row.updated_by,
                row.device,
                ms(row.updated_at),
            ])?;
        Ok(())
    }

    fn commit(mut self: Box<Self>) -> StorageResult<()> {
        self.conn.execute_batch("COMMIT")?;
        self.open = false;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_packed_at_rest_and_old_rows_still_read() {
        let mut doc = automerge::AutoCommit::new();
        automerge::transaction::Transactable::put(&mut doc, automerge::ROOT, "名字", "张三丰")
            .unwrap();
        let saved = doc.save_nocompress();
        let packed = pack(&saved).unwrap();
        assert!(packed.starts_with(&ZSTD_MAGIC));
        assert_eq!(unpack(packed).unwrap(), saved);
        // Rows written before packing hold the Automerge bytes themselves.
        assert_eq!(unpack(saved.clone()).unwrap(), saved);
        assert_eq!(unpack(doc.save()).unwrap(), doc.save());
        // A damaged frame is reported, not trusted.
        let mut bad = ZSTD_MAGIC.to_vec();
        bad.extend_from_slice(&[0xff; 12]);
        assert!(matches!(unpack(bad), Err(StorageError::Corrupt(_))));
    }
}
