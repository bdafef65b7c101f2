//! SQLite I/O errors under the device store, injected by a fault-injecting VFS
//! (`beatbook_tests::faultvfs`): a scripted day of work (creates of three kinds, edits, a
//! review, a delete, a sync cursor, an acknowledgement from the server) runs once clean to
//! count its file writes, syncs and truncates, then once per fault point with that call failing
//! (once, or from then on as a disk gone bad; writes also as a full disk). After each run the
//! file is reopened normally and must open, pass `PRAGMA integrity_check`, hold every
//! acknowledged operation exactly, show nothing of a failed one, and accept a new save.
//!
//! `BEATBOOK_IO_FAULTS=<n>` runs up to `n` points per kind of call and mode (default 60,
//! the rest a seeded sample); `BEATBOOK_IO_FAULTS=all` runs every point.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use beatbook_model::{Body, Record, RecordId, Review};
use beatbook_store::{ChangeHash, ListQuery, Store, StoreKey};
use beatbook_tests::faultvfs::{self, Fault, FaultPlan, Mode, Op};
use beatbook_tests::{dispute, household, key_person, scope};

/// The store is encrypted, as on a device; a raw key costs no key derivation per open.
const KEY: StoreKey = StoreKey::Raw([7; 32]);
const CURSOR: &str = "sync_cursor";

/// What one run of the workload did, as the store reported it.
#[derive(Debug, Default)]
struct Outcome {
    /// The store opened through the faulty VFS.
    opened: bool,
    /// Every record whose saves were acknowledged, at its last acknowledged content.
    records: BTreeMap<RecordId, Record>,
    /// The changes that must wait in the outbox: acknowledged saves minus acknowledged acks.
    outbox: BTreeSet<ChangeHash>,
    /// The acknowledged sync cursor.
    cursor: Option<String>,
    /// Operations that failed: (step, error code, message).
    failures: Vec<(usize, String, String)>,
    /// Operations that returned Ok.
    acknowledged: usize,
    /// The first operation that failed after the last that wrote (see
    /// [`with_uncertain_applied`]).
    uncertain: Option<Attempt>,
}

fn body_notes(body: &mut Body) -> &mut String {
    match body {
        Body::Household(h) => &mut h.notes,
        Body::KeyPerson(k) => &mut k.notes,
        Body::Dispute(d) => &mut d.description,
        other => panic!("no notes on {:?}", other.kind()),
    }
}

/// An operation as tried, to recognise it on disk if it failed and still took effect.
#[derive(Debug, Clone)]
enum Attempt {
    Create(Body),
    Update(RecordId, Body),
    Review(RecordId, Review),
    Delete(RecordId),
    Cursor(String),
    Ack(Vec<ChangeHash>),
}

fn create(store: &mut Store, body: Body, tried: &mut Option<Attempt>) -> StoreResult<Record> {
    *tried = Some(Attempt::Create(body.clone()));
    store.create(&"officer".into(), scope("gucheng", "nanjie"), body)
}

fn edit(
    store: &mut Store,
    id: RecordId,
    marker: &str,
    tried: &mut Option<Attempt>,
) -> StoreResult<Record> {
    let mut body = store.get(id)?.expect("an acknowledged record").body;
    body_notes(&mut body).push_str(marker);
    *tried = Some(Attempt::Update(id, body.clone()));
    store.update(id, body)
}

type StoreResult<T> = Result<T, beatbook_store::StoreError>;

/// One step of the workload; `Ok(Some(record))` for a saved record.
fn step(
    store: &mut Store,
    step: usize,
    slots: [Option<RecordId>; 4],
    tried: &mut Option<Attempt>,
) -> StoreResult<Option<Record>> {
    let long = "入户走访，了解家庭情况，登记常住人口。".repeat(60);
    Ok(match (step, slots) {
        (0, _) => {
            let mut body = household("王五");
            *body_notes(&mut body) = long;
            Some(create(store, body, tried)?)
        }
        (1, _) => Some(create(store, key_person("李四", "officer"), tried)?),
        (2, _) => Some(create(
            store,
            Body::Dispute(dispute("宅基地边界争议")),
            tried,
        )?),
        (3, [Some(id), ..]) => Some(edit(store, id, "〔第二次走访〕", tried)?),
        (4, _) => {
            *tried = Some(Attempt::Cursor("c-42".into()));
            store.set_meta(CURSOR, "c-42")?;
            None
        }
        (5, [_, Some(id), ..]) => {
            let review = Review {
                by: "chief".into(),
                at: chrono::Utc::now(),
                comment: "已阅".into(),
            };
            *tried = Some(Attempt::Review(id, review.clone()));
            Some(store.review(id, review)?)
        }
        (6, _) => {
            // The server acknowledged the two oldest changes.
            let sent: Vec<ChangeHash> = store.pending_changes(2)?.iter().map(|c| c.hash).collect();
            *tried = Some(Attempt::Ack(sent.clone()));
            store.acknowledge(&sent)?;
            None
        }
        (7, [_, _, Some(id), _]) => {
            *tried = Some(Attempt::Delete(id));
            Some(store.delete(id)?)
        }
        (8, [_, Some(id), ..]) => Some(edit(store, id, "〔已帮教〕", tried)?),
        (9, _) => {
            let mut body = household("赵六");
            *body_notes(&mut body) = long.repeat(3);
            Some(create(store, body, tried)?)
        }
        (10, [.., Some(id)]) => Some(edit(store, id, "〔复查〕", tried)?),
        (11, [Some(id), ..]) => Some(edit(store, id, "〔第三次走访〕", tried)?),
        _ => None, // its record's create failed
    })
}

const STEPS: usize = 12;

/// The scripted workload through `open_at` (a path or a `file:` URI). Never panics on a store
/// error: it records the outcome and goes on, as an officer would.
fn workload(open_at: &str) -> Outcome {
    let mut out = Outcome::default();
    let Ok(mut store) = Store::open(open_at, Some(&KEY)) else {
        return out;
    };
    out.opened = true;
    let mut slots: [Option<RecordId>; 4] = [None; 4];
    for i in 0..STEPS {
        let mut tried = None;
        match step(&mut store, i, slots, &mut tried) {
            // Skipped: the record it would change was never saved.
            Ok(None) if tried.is_none() => {}
            Ok(record) => {
                out.acknowledged += 1;
                // A commit that wrote overwrites what a failed one left in the WAL.
                if !matches!(&tried, Some(Attempt::Ack(sent)) if sent.is_empty()) {
                    out.uncertain = None;
                }
                match (record, tried) {
                    (Some(r), _) => {
                        if let Some(slot) = [0, 1, 2, 9].iter().position(|&s| s == i) {
                            slots[slot] = Some(r.id);
                        }
                        let heads = store.heads(r.id).expect("heads of a saved record");
                        assert_eq!(heads.len(), 1, "one local line of changes");
                        out.outbox.insert(heads[0]);
                        out.records.insert(r.id, r);
                    }
                    (None, Some(Attempt::Cursor(c))) => out.cursor = Some(c),
                    (None, Some(Attempt::Ack(sent))) => {
                        for h in &sent {
                            out.outbox.remove(h);
                        }
                    }
                    _ => {}
                }
            }
            Err(e) => {
                if out.uncertain.is_none() {
                    out.uncertain = tried;
                }
                out.failures.push((i, e.code().to_owned(), e.to_string()));
            }
        }
    }
    check_in_process(&mut store, &out);
    out
}

/// When an fsync fails at commit, the transaction's WAL frames may be written already; if the
/// disk stays bad, the WAL outlives the process and recovery on the next open takes them. So
/// the first operation that failed after the last one that wrote may have taken effect —
/// wholly. This is the outcome with it, read from disk and checked against what was tried.
fn with_uncertain_applied(path: &Path, out: &Outcome) -> Result<Outcome, String> {
    let tried = out
        .uncertain
        .clone()
        .ok_or("no operation of uncertain outcome")?;
    let mut store = Store::open(path, Some(&KEY)).map_err(|e| format!("reopen: {e}"))?;
    let mut next = Outcome {
        records: out.records.clone(),
        outbox: out.outbox.clone(),
        cursor: out.cursor.clone(),
        ..Outcome::default()
    };
    let id = match &tried {
        Attempt::Cursor(c) => {
            next.cursor = Some(c.clone());
            None
        }
        Attempt::Ack(sent) => {
            for h in sent {
                next.outbox.remove(h);
            }
            None
        }
        Attempt::Create(_) => {
            let new: Vec<RecordId> = store
                .document_ids()
                .unwrap()
                .into_iter()
                .filter(|id| !out.records.contains_key(id))
                .collect();
            match new.as_slice() {
                [id] => Some(*id),
                _ => return Err(format!("{} unacknowledged documents", new.len())),
            }
        }
        Attempt::Update(id, _) | Attempt::Review(id, _) | Attempt::Delete(id) => Some(*id),
    };
    if let Some(id) = id {
        let r = store.open_record(id).map_err(|e| e.to_string())?.record;
        let before = out.records.get(&id);
        let whole = match &tried {
            Attempt::Create(body) => &r.body == body && !r.deleted && r.review.is_none(),
            Attempt::Update(_, body) => {
                &r.body == body && before.is_some_and(|b| b.review == r.review)
            }
            Attempt::Review(_, review) => {
                r.review.as_ref() == Some(review) && before.is_some_and(|b| b.body == r.body)
            }
            Attempt::Delete(_) => r.deleted && before.is_some_and(|b| b.body == r.body),
            _ => unreachable!(),
        };
        if !whole {
            return Err(format!("{tried:?} is on disk only in part: {r:?}"));
        }
        let heads = store.heads(id).map_err(|e| e.to_string())?;
        next.outbox.extend(heads);
        next.records.insert(id, r);
    }
    Ok(next)
}

/// After the faults, the store still in memory agrees with what it acknowledged: no document
/// in its cache runs ahead of (or behind) the disk.
fn check_in_process(store: &mut Store, out: &Outcome) {
    for (id, want) in &out.records {
        assert_eq!(
            store.get(*id).unwrap().as_ref(),
            Some(want),
            "in process: {id}"
        );
        assert_eq!(
            &store.open_record(*id).unwrap().record,
            want,
            "in process: {id}"
        );
    }
    let pending: BTreeSet<ChangeHash> = store
        .pending_changes(1000)
        .unwrap()
        .iter()
        .map(|c| c.hash)
        .collect();
    assert_eq!(pending, out.outbox, "in process: the outbox");
}

/// Reopens the file normally and checks it against the outcome; then saves once more.
fn check_on_disk(path: &Path, out: &Outcome) -> Result<(), String> {
    let conn = rusqlite::Connection::open(path).map_err(|e| e.to_string())?;
    let StoreKey::Raw(k) = KEY else {
        unreachable!()
    };
    let hex: String = k.iter().map(|b| format!("{b:02x}")).collect();
    conn.pragma_update(None, "key", format!("x'{hex}'"))
        .map_err(|e| e.to_string())?;
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .map_err(|e| format!("integrity_check failed to run: {e}"))?;
    if integrity != "ok" {
        return Err(format!("integrity_check: {integrity}"));
    }
    drop(conn);

    let mut store = Store::open(path, Some(&KEY)).map_err(|e| format!("reopen: {e}"))?;
    let docs: BTreeSet<RecordId> = store.document_ids().unwrap().into_iter().collect();
    let want: BTreeSet<RecordId> = out.records.keys().copied().collect();
    if docs != want {
        return Err(format!("documents {docs:?}, acknowledged {want:?}"));
    }
    let listed = store
        .list(&ListQuery {
            include_deleted: true,
            limit: Some(1000),
            ..Default::default()
        })
        .unwrap();
    if listed.len() != docs.len() {
        return Err(format!(
            "{} list rows for {} documents",
            listed.len(),
            docs.len()
        ));
    }
    for row in &listed {
        let Some(record) = out.records.get(&row.id) else {
            return Err(format!("a list row for unknown {}", row.id));
        };
        let view = store.open_record(row.id).map_err(|e| e.to_string())?;
        let projected = store.get(row.id).unwrap();
        if &view.record != record || projected.as_ref() != Some(record) {
            return Err(format!(
                "{}: acknowledged {record:?}\ndocument {:?}\nprojection {projected:?}",
                row.id, view.record
            ));
        }
        if row.deleted != record.deleted
            || row.reviewed != record.review.is_some()
            || row.updated_at != record.updated_at
        {
            return Err(format!(
                "{}: list row {row:?} differs from {record:?}",
                row.id
            ));
        }
    }
    let pending = store.pending_changes(1000).unwrap();
    let hashes: BTreeSet<ChangeHash> = pending.iter().map(|c| c.hash).collect();
    if hashes != out.outbox || pending.len() != out.outbox.len() {
        return Err(format!(
            "outbox {} changes ({} distinct), {} acknowledged saves waiting",
            pending.len(),
            hashes.len(),
            out.outbox.len()
        ));
    }
    let cursor = store.get_meta(CURSOR).unwrap();
    if cursor != out.cursor {
        return Err(format!("cursor {cursor:?}, acknowledged {:?}", out.cursor));
    }
    let more = store
        .create(
            &"officer".into(),
            scope("gucheng", "nanjie"),
            household("周九"),
        )
        .map_err(|e| format!("no save after the fault: {e}"))?;
    if store.get(more.id).unwrap().is_none() {
        return Err("the new save is not there".into());
    }
    Ok(())
}

/// The fault points to run for `calls` calls: all up to `limit`, then a seeded sample.
fn points(calls: u64, limit: u64, seed: u64) -> Vec<u64> {
    if calls <= limit {
        return (1..=calls).collect();
    }
    let mut x = seed | 1;
    let mut chosen = BTreeSet::new();
    while chosen.len() < limit as usize {
        // xorshift64: deterministic, good enough to spread the points.
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        chosen.insert(1 + x % calls);
    }
    chosen.into_iter().collect()
}

fn limit() -> u64 {
    match std::env::var("BEATBOOK_IO_FAULTS") {
        Ok(v) if v == "all" => u64::MAX,
        Ok(v) => v.parse().expect("BEATBOOK_IO_FAULTS: a number or `all`"),
        Err(_) => 60,
    }
}

#[test]
fn io_errors_lose_nothing_acknowledged_and_show_nothing_half_written() {
    let vfs = "beatbook-faulty";
    let plan: Arc<FaultPlan> = faultvfs::register(vfs);
    let dir = tempfile::tempdir().unwrap();

    // A clean run through the VFS: how many calls of each kind the workload makes.
    let clean = dir.path().join("clean.db");
    plan.reset();
    let out = workload(&faultvfs::uri(&clean, vfs));
    let calls: Vec<u64> = Op::ALL.iter().map(|&op| plan.calls(op)).collect();
    assert!(out.opened && out.failures.is_empty(), "clean run: {out:?}");
    assert_eq!(out.acknowledged, STEPS);
    check_on_disk(&clean, &out).unwrap();
    assert!(
        calls[0] > 0 && calls[1] > 0,
        "the VFS saw no writes: {calls:?}"
    );

    let limit = limit();
    let mut runs = 0;
    let mut fired_runs = 0;
    let mut failed_ops = 0;
    let mut acknowledged = 0;
    let mut open_failed = 0;
    let mut first_error = None;
    let mut bad = Vec::new();
    let mut took_effect = Vec::new();
    for (i, op) in Op::ALL.into_iter().enumerate() {
        let variants: &[(Mode, bool)] = match op {
            Op::Write => &[
                (Mode::Once, false),
                (Mode::FromThenOn, false),
                (Mode::FromThenOn, true),
            ],
            _ => &[(Mode::Once, false), (Mode::FromThenOn, false)],
        };
        for &(mode, full) in variants {
            for nth in points(calls[i], limit, 0x9e37_79b9 + i as u64) {
                if std::env::var("BEATBOOK_IO_FAULT_OP").is_ok_and(|o| o != format!("{op:?}")) {
                    continue;
                }
                let fault = Fault {
                    op,
                    nth,
                    mode,
                    full,
                };
                let path = dir.path().join(format!("run-{runs}.db"));
                plan.arm(fault);
                let out = workload(&faultvfs::uri(&path, vfs));
                fired_runs += usize::from(plan.fired() > 0);
                plan.reset();
                runs += 1;
                open_failed += usize::from(!out.opened);
                acknowledged += out.acknowledged;
                failed_ops += out.failures.len();
                // A passing fault costs at most the operation it hit: the store in memory
                // stays usable, and the next save goes through.
                if mode == Mode::Once && out.failures.len() > 1 {
                    bad.push(format!(
                        "{fault:?}: still failing afterwards: {:?}",
                        out.failures
                    ));
                }
                for (step, code, message) in &out.failures {
                    if code != "storage" {
                        bad.push(format!(
                            "{fault:?}: step {step} failed with {code}: {message}"
                        ));
                    }
                    first_error.get_or_insert_with(|| message.clone());
                }
                if let Err(e) = check_on_disk(&path, &out) {
                    // Not as acknowledged: only the uncertain operation, wholly, may be extra.
                    match with_uncertain_applied(&path, &out)
                        .and_then(|next| check_on_disk(&path, &next))
                    {
                        Ok(()) => {
                            took_effect.push(format!("{fault:?} step {:?}", out.failures.first()))
                        }
                        Err(e2) => bad.push(format!(
                            "{fault:?}: failures {:?}: {e}\nwith the failed operation: {e2}",
                            out.failures
                        )),
                    }
                }
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
        }
    }
    assert!(
        bad.is_empty(),
        "{} of {runs} fault points failed:\n{}",
        bad.len(),
        bad.join("\n")
    );
    assert!(failed_ops > 0, "no fault ever reached the store");
    eprintln!(
        "io faults: clean run {} writes, {} syncs, {} truncates · {runs} fault points \
         ({fired_runs} reached, {open_failed} failed opens) · \
         {acknowledged} operations acknowledged, {failed_ops} refused ({}), \
         {} refused yet whole on disk after an fsync failure · integrity ok, \
         nothing acknowledged lost, nothing half-written",
        calls[0],
        calls[1],
        calls[2],
        first_error.unwrap_or_default(),
        took_effect.len()
    );
    for t in &took_effect {
        eprintln!("  refused yet whole on disk: {t}");
    }
}
