//! SQLite I/O errors under the device store, injected by a fault-injecting VFS
//! (`beatbook_tests::faultvfs`): a scripted day of work (creates of three kinds, edits, a
//! review, a delete, a sync cursor, an acknowledgement from the server) runs once clean to
//! count its file writes, syncs, truncates, reads, WAL-index maps and WAL-index locks, then
//! once per fault point with that call failing (once, or from then on as a disk gone bad;
//! writes also as a full disk). After each run the file is reopened normally and must open,
//! pass `PRAGMA integrity_check`, hold every acknowledged operation exactly, show nothing of a
//! failed one (or, where SQLite cannot know, all of it), and accept a new save.
//!
//! `BEATBOOK_IO_FAULTS=<n>` runs up to `n` points per kind of call and mode (default 60,
//! the rest a seeded sample); `BEATBOOK_IO_FAULTS=all` runs every point.
//! `BEATBOOK_IO_FAULT_OP=Read` (or `Write,Sync,Truncate,Read,ShmMap,ShmLock`, comma-separated)
//! runs only those kinds.

use std::collections::{BTreeMap, BTreeSet};
use std::panic::{catch_unwind, AssertUnwindSafe};
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
    /// The first operation that failed after the last that wrote (see [`explain`]).
    uncertain: Option<Attempt>,
    /// Every operation that failed, as tried, in order.
    failed: Vec<Attempt>,
    /// What the store in the process that saw the faults showed at the end; `Err` if it could
    /// not be read; `None` if the day ended early (the store could not be opened again).
    in_process: Option<StoreResult<Seen>>,
    /// The midday restart came after an operation had failed: recovery at the reopen may have
    /// taken that operation's WAL frames, so the process may show it too.
    restarted_after_failure: bool,
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
    let mut body = store
        .get(id)?
        .expect("get returned Ok(None) for an acknowledged record")
        .body;
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
/// The app restarts (the store is closed and opened again) before this step: the afternoon
/// runs on cold caches, so its saves and reads go to the file (and its reads can fail).
const RESTART: usize = 6;

/// Closes the store and opens it again, as after the app was restarted; if the open fails,
/// tries once more. `None` if the store cannot be opened any more: the day ends there.
fn restart(store: Store, open_at: &str, at: usize, out: &mut Outcome) -> Option<Store> {
    drop(store);
    if !out.failures.is_empty() {
        out.restarted_after_failure = true;
    }
    for _ in 0..2 {
        match Store::open(open_at, Some(&KEY)) {
            Ok(store) => return Some(store),
            Err(e) => out
                .failures
                .push((at, e.code().to_owned(), format!("restart: {e}"))),
        }
    }
    None
}

/// The scripted workload through `open_at` (a path or a `file:` URI). Never panics on a store
/// error: it records the outcome and goes on, as an officer would.
///
/// With `restart_after_failure`, a failed operation is followed by a restart of the app, as
/// its storage error asks the officer to do: after a failed read SQLCipher keeps the
/// connection failing (it decrypts the page that was never read, the HMAC check fails and it
/// marks the database unusable), so only a fresh connection goes on.
fn workload(open_at: &str, restart_after_failure: bool) -> Outcome {
    let mut out = Outcome::default();
    let Ok(mut store) = Store::open(open_at, Some(&KEY)) else {
        return out;
    };
    out.opened = true;
    let mut slots: [Option<RecordId>; 4] = [None; 4];
    for i in 0..STEPS {
        let failed_before =
            restart_after_failure && out.failures.last().is_some_and(|f| f.0 + 1 == i);
        if i == RESTART || failed_before {
            match restart(store, open_at, i, &mut out) {
                Some(s) => store = s,
                None => return out,
            }
        }
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
                    out.uncertain.clone_from(&tried);
                }
                out.failed.extend(tried);
                out.failures.push((i, e.code().to_owned(), e.to_string()));
            }
        }
    }
    out.in_process = Some(seen(&mut store));
    out
}

/// What a store shows through its API: every document (read from the document and from the
/// projection, which must agree), the outbox and the cursor.
#[derive(Debug)]
struct Seen {
    records: BTreeMap<RecordId, Record>,
    /// Outbox entries in order: (hash, record).
    outbox: Vec<(ChangeHash, RecordId)>,
    cursor: Option<String>,
    /// Documents whose projection differs from the document.
    projection_differs: Vec<String>,
}

fn seen(store: &mut Store) -> StoreResult<Seen> {
    let mut out = Seen {
        records: BTreeMap::new(),
        outbox: Vec::new(),
        cursor: store.get_meta(CURSOR)?,
        projection_differs: Vec::new(),
    };
    for id in store.document_ids()? {
        let document = store.open_record(id)?.record;
        let projected = store.get(id)?;
        if projected.as_ref() != Some(&document) {
            out.projection_differs.push(format!(
                "{id}: document {document:?}\nprojection {projected:?}"
            ));
        }
        out.records.insert(id, document);
    }
    out.outbox = store
        .pending_changes(1000)?
        .iter()
        .map(|c| (c.hash, c.record_id))
        .collect();
    Ok(out)
}

/// Checks that what a store shows is what the workload acknowledged, give or take the failed
/// operations in `maybe`, each of which may have taken effect — but only whole. Returns how
/// many of them did.
///
/// Which failed operations may have taken effect:
/// - after a failed `fsync` at commit the transaction's WAL frames may be written already; if
///   the disk stays bad, the WAL outlives the process and recovery on the next open takes
///   them. So the first operation that failed after the last one that wrote may be there
///   (`Outcome::uncertain`);
/// - a save (create, edit, review, delete) reads its record back after its transaction has
///   committed; when that read fails, the save is refused although it is on disk. So under
///   read and WAL-index faults every failed save may be there.
fn explain(seen: &Seen, out: &Outcome, maybe: &[Attempt]) -> Result<usize, String> {
    if !seen.projection_differs.is_empty() {
        return Err(format!(
            "projection differs from the document: {}",
            seen.projection_differs.join("\n")
        ));
    }
    let mut want = out.records.clone();
    // The failed operations found to have taken effect, by what they touched.
    let mut used: BTreeSet<String> = BTreeSet::new();
    // Outbox entries a failed save that took effect may have left, per record.
    let mut allowance: BTreeMap<RecordId, usize> = BTreeMap::new();
    let mut creates: Vec<&Body> = maybe
        .iter()
        .filter_map(|a| match a {
            Attempt::Create(body) => Some(body),
            _ => None,
        })
        .collect();
    for (id, r) in &seen.records {
        if want.contains_key(id) {
            continue;
        }
        let whole = |body: &&Body| {
            &r.body == *body && !r.deleted && r.review.is_none() && r.author == "officer".into()
        };
        let Some(i) = creates.iter().position(whole) else {
            return Err(format!("an unacknowledged document {id}: {r:?}"));
        };
        creates.remove(i);
        used.insert(id.to_string());
        allowance.insert(*id, 1);
        want.insert(*id, r.clone());
    }
    for (id, acked) in &out.records {
        let Some(r) = seen.records.get(id) else {
            return Err(format!("acknowledged {id} is gone: {acked:?}"));
        };
        let tried: Vec<&Attempt> = maybe
            .iter()
            .filter(|a| {
                matches!(a, Attempt::Update(i, _) | Attempt::Review(i, _) | Attempt::Delete(i)
                    if i == id)
            })
            .collect();
        allowance.insert(*id, tried.len());
        if r == acked {
            continue;
        }
        // Each field holds what some save wrote whole: the acknowledged value or the one a
        // failed save tried.
        let body_ok = r.body == acked.body
            || tried
                .iter()
                .any(|a| matches!(a, Attempt::Update(_, b) if *b == r.body));
        let review_ok = r.review == acked.review
            || tried
                .iter()
                .any(|a| matches!(a, Attempt::Review(_, v) if Some(v) == r.review.as_ref()));
        let deleted_ok = r.deleted == acked.deleted
            || (r.deleted && tried.iter().any(|a| matches!(a, Attempt::Delete(_))));
        let same_record = r.id == acked.id
            && r.scope == acked.scope
            && r.author == acked.author
            && r.created_at == acked.created_at;
        if !(body_ok && review_ok && deleted_ok && same_record) {
            return Err(format!(
                "{id}: acknowledged {acked:?}\non disk {r:?}\nfailed saves that may be there: \
                 {tried:?}"
            ));
        }
        used.insert(id.to_string());
        want.insert(*id, r.clone());
    }
    if seen.cursor != out.cursor {
        if maybe
            .iter()
            .any(|a| matches!(a, Attempt::Cursor(c) if Some(c) == seen.cursor.as_ref()))
        {
            used.insert("cursor".into());
        } else {
            return Err(format!(
                "cursor {:?}, acknowledged {:?}",
                seen.cursor, out.cursor
            ));
        }
    }
    let hashes: BTreeSet<ChangeHash> = seen.outbox.iter().map(|(h, _)| *h).collect();
    if hashes.len() != seen.outbox.len() {
        return Err(format!("an outbox change twice: {:?}", seen.outbox));
    }
    let missing: BTreeSet<ChangeHash> = out.outbox.difference(&hashes).copied().collect();
    if !missing.is_empty() {
        // Only a failed acknowledgement, whole: every change it named that was waiting left.
        let whole_ack = maybe.iter().any(|a| match a {
            Attempt::Ack(sent) => {
                missing.iter().all(|h| sent.contains(h)) && sent.iter().all(|h| !hashes.contains(h))
            }
            _ => false,
        });
        if !whole_ack {
            return Err(format!(
                "outbox lost {} acknowledged saves: {missing:?}",
                missing.len()
            ));
        }
        used.insert("ack".into());
    }
    for (h, id) in &seen.outbox {
        if out.outbox.contains(h) {
            continue;
        }
        match allowance.get_mut(id) {
            Some(n) if *n > 0 => {
                *n -= 1;
                used.insert(id.to_string());
            }
            _ => {
                return Err(format!(
                    "outbox: {} changes, {} acknowledged saves waiting; {h:?} of {id} unexplained",
                    seen.outbox.len(),
                    out.outbox.len()
                ))
            }
        }
    }
    Ok(used.len())
}

/// Reopens the file normally and checks it against the outcome; then saves once more. Returns
/// how many failed operations took effect (whole).
fn check_on_disk(path: &Path, out: &Outcome, maybe: &[Attempt]) -> Result<usize, String> {
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
    let seen = seen(&mut store).map_err(|e| format!("reading after reopen: {e}"))?;
    let used = explain(&seen, out, maybe)?;
    let listed = store
        .list(&ListQuery {
            include_deleted: true,
            limit: Some(1000),
            ..Default::default()
        })
        .map_err(|e| format!("list: {e}"))?;
    if listed.len() != seen.records.len() {
        return Err(format!(
            "{} list rows for {} documents",
            listed.len(),
            seen.records.len()
        ));
    }
    for row in &listed {
        let Some(record) = seen.records.get(&row.id) else {
            return Err(format!("a list row for unknown {}", row.id));
        };
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
    let more = store
        .create(
            &"officer".into(),
            scope("gucheng", "nanjie"),
            household("周九"),
        )
        .map_err(|e| format!("no save after the fault: {e}"))?;
    if store.get(more.id).ok().flatten().is_none() {
        return Err("the new save is not there".into());
    }
    Ok(used)
}

/// Per kind of call: what its fault points did.
#[derive(Debug, Default)]
struct Tally {
    runs: usize,
    fired: usize,
    open_failed: usize,
    acknowledged: usize,
    failed_ops: usize,
    took_effect: usize,
    /// Runs whose process could not read its store back at the end (storage error).
    unreadable_at_end: usize,
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

/// Points per kind and mode: `BEATBOOK_IO_FAULTS`, else 60 (30 for WAL-index locks, whose
/// points are much alike: each begins or ends a transaction).
fn limit(op: Op) -> u64 {
    match std::env::var("BEATBOOK_IO_FAULTS") {
        Ok(v) if v == "all" => u64::MAX,
        Ok(v) => v.parse().expect("BEATBOOK_IO_FAULTS: a number or `all`"),
        Err(_) if op == Op::ShmLock => 30,
        Err(_) => 60,
    }
}

fn only_ops() -> Option<Vec<String>> {
    std::env::var("BEATBOOK_IO_FAULT_OP")
        .ok()
        .map(|v| v.split(',').map(|s| s.trim().to_owned()).collect())
}

#[test]
fn io_errors_lose_nothing_acknowledged_and_show_nothing_half_written() {
    let vfs = "beatbook-faulty";
    let plan: Arc<FaultPlan> = faultvfs::register(vfs);
    let dir = tempfile::tempdir().unwrap();

    // A clean run through the VFS: how many calls of each kind the workload makes.
    let started = std::time::Instant::now();
    let clean = dir.path().join("clean.db");
    plan.reset();
    let out = workload(&faultvfs::uri(&clean, vfs), false);
    let calls: Vec<u64> = Op::ALL.iter().map(|&op| plan.calls(op)).collect();
    assert!(out.opened && out.failures.is_empty(), "clean run: {out:?}");
    assert_eq!(out.acknowledged, STEPS);
    let in_process = out.in_process.as_ref().unwrap().as_ref().unwrap();
    assert_eq!(
        explain(in_process, &out, &[]),
        Ok(0),
        "clean run in process"
    );
    check_on_disk(&clean, &out, &[]).unwrap();
    assert!(
        calls.iter().all(|&n| n > 0),
        "the VFS missed a kind of call: {calls:?}"
    );

    let only = only_ops();
    let mut tallies: BTreeMap<usize, Tally> = BTreeMap::new();
    let mut first_error: BTreeMap<usize, String> = BTreeMap::new();
    let mut bad = Vec::new();
    let mut took_effect = Vec::new();
    let mut runs = 0;
    for (i, op) in Op::ALL.into_iter().enumerate() {
        if only
            .as_ref()
            .is_some_and(|o| !o.contains(&format!("{op:?}")))
        {
            continue;
        }
        // Under read and WAL-index faults a save can fail in its read-back after commit.
        let reads = matches!(op, Op::Read | Op::ShmMap | Op::ShmLock);
        let variants: &[(Mode, bool)] = match op {
            Op::Write => &[
                (Mode::Once, false),
                (Mode::FromThenOn, false),
                (Mode::FromThenOn, true),
            ],
            _ => &[(Mode::Once, false), (Mode::FromThenOn, false)],
        };
        let tally = tallies.entry(i).or_default();
        for &(mode, full) in variants {
            for nth in points(calls[i], limit(op), 0x9e37_79b9 + i as u64) {
                let fault = Fault {
                    op,
                    nth,
                    mode,
                    full,
                };
                let path = dir.path().join(format!("run-{runs}.db"));
                plan.arm(fault);
                let run = catch_unwind(AssertUnwindSafe(|| {
                    workload(&faultvfs::uri(&path, vfs), reads)
                }));
                tally.fired += usize::from(plan.fired() > 0);
                plan.reset();
                runs += 1;
                tally.runs += 1;
                let out = match run {
                    Ok(out) => out,
                    Err(panic) => {
                        let msg = panic
                            .downcast_ref::<String>()
                            .cloned()
                            .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                            .unwrap_or_default();
                        bad.push(format!("{fault:?}: panicked: {msg}"));
                        continue;
                    }
                };
                tally.open_failed += usize::from(!out.opened);
                tally.acknowledged += out.acknowledged;
                tally.failed_ops += out.failures.len();
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
                    first_error.entry(i).or_insert_with(|| message.clone());
                }
                let mut maybe: Vec<Attempt> = out.uncertain.iter().cloned().collect();
                if reads {
                    maybe.extend(
                        out.failed
                            .iter()
                            .filter(|a| {
                                matches!(
                                    a,
                                    Attempt::Create(_)
                                        | Attempt::Update(..)
                                        | Attempt::Review(..)
                                        | Attempt::Delete(_)
                                )
                            })
                            .cloned(),
                    );
                }
                // In the process that saw the errors: no cached document ahead of (or behind)
                // the disk. Under write faults its reads must work; under read faults they
                // may fail, but only with the storage error.
                match &out.in_process {
                    None => {}
                    Some(Ok(seen)) => {
                        let maybe_here = if reads || out.restarted_after_failure {
                            &maybe[..]
                        } else {
                            &[]
                        };
                        if let Err(e) = explain(seen, &out, maybe_here) {
                            bad.push(format!(
                                "{fault:?}: in process: failures {:?}: {e}",
                                out.failures
                            ));
                        }
                    }
                    Some(Err(e)) if reads && e.code() == "storage" => tally.unreadable_at_end += 1,
                    Some(Err(e)) => bad.push(format!("{fault:?}: in process, reading: {e}")),
                }
                match check_on_disk(&path, &out, &[]) {
                    Ok(_) => {}
                    Err(e) => match check_on_disk(&path, &out, &maybe) {
                        Ok(n) => {
                            tally.took_effect += n;
                            let steps: Vec<usize> = out.failures.iter().map(|f| f.0).collect();
                            took_effect.push(format!(
                                "{op:?} #{nth} {mode:?}: {n} of the failed steps {steps:?}"
                            ));
                        }
                        Err(e2) => bad.push(format!(
                            "{fault:?}: failures {:?}: {e}\nwith the failed operations: {e2}",
                            out.failures
                        )),
                    },
                }
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
        }
    }
    let total = |f: fn(&Tally) -> usize| tallies.values().map(f).sum::<usize>();
    assert!(
        total(|t| t.failed_ops) > 0,
        "no fault ever reached the store"
    );
    eprintln!(
        "io faults: clean run {} · {runs} fault points ({} reached, {} failed opens) · \
         {} operations acknowledged, {} refused, {} refused yet whole on disk · {} ({:.1} s)",
        Op::ALL
            .iter()
            .zip(&calls)
            .map(|(op, n)| format!("{n} {op:?}"))
            .collect::<Vec<_>>()
            .join(", "),
        total(|t| t.fired),
        total(|t| t.open_failed),
        total(|t| t.acknowledged),
        total(|t| t.failed_ops),
        total(|t| t.took_effect),
        if bad.is_empty() {
            "integrity ok, nothing acknowledged lost, nothing half-written".to_owned()
        } else {
            format!(
                "{} fault points broke a guarantee (listed below)",
                bad.len()
            )
        },
        started.elapsed().as_secs_f64(),
    );
    for (i, t) in &tallies {
        eprintln!(
            "  {:?}: {} points ({} reached, {} failed opens) · {} acknowledged, {} refused \
             ({}), {} refused yet whole · {} runs could not read back at the end",
            Op::ALL[*i],
            t.runs,
            t.fired,
            t.open_failed,
            t.acknowledged,
            t.failed_ops,
            first_error.get(i).map(String::as_str).unwrap_or("-"),
            t.took_effect,
            t.unreadable_at_end,
        );
    }
    for t in &took_effect {
        eprintln!("  refused yet whole on disk: {t}");
    }
    assert!(
        bad.is_empty(),
        "{} of {runs} fault points failed:\n{}",
        bad.len(),
        bad.join("\n")
    );
    assert!(
        total(|t| t.failed_ops) > 0,
        "no fault ever reached the store"
    );
}
