//! The device's disk fills up mid-work: a child process writes records under a file-size
//! limit (`ulimit -f`, so `write` fails with EFBIG, as on a full disk) and keeps trying after
//! the first failure. Each failed save must be a clear `storage` error that changes nothing;
//! after the limit is gone the store opens, every save that was reported done is there
//! (creates and edits), nothing half-written is visible, and saving works again.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::Command;

use beatbook_model::sample::Sampler;
use beatbook_model::{Body, RecordId};
use beatbook_store::{ListQuery, Store};
use beatbook_tests::scope;

const CHILD_ENV: &str = "BEATBOOK_DISK_FULL_CHILD";
const TEST_NAME: &str = "a_full_disk_fails_saves_clearly_and_loses_nothing";

/// In the child: save until the disk is "full", then keep trying; report each outcome.
fn child(dir: &Path) {
    let mut out = std::io::stdout().lock();
    // The test harness's "test … " has no newline yet.
    writeln!(out).unwrap();
    let mut store = Store::open(dir.join("device.db"), None).unwrap();
    let mut rng = Sampler::new(5);
    let mut ids: Vec<RecordId> = Vec::new();
    let mut failures = 0;
    for i in 0.. {
        let result = if ids.is_empty() || i % 3 != 0 {
            let mut h = rng.household("南街村");
            h.notes = format!("〔c{i}〕{}", "入户走访记录。".repeat(150));
            store
                .create(
                    &"officer".into(),
                    scope("gucheng", "nanjie"),
                    Body::Household(h),
                )
                .map(|r| {
                    ids.push(r.id);
                    format!("create {}", r.id)
                })
        } else {
            let id = ids[rng.below(ids.len() as u64) as usize];
            let Body::Household(mut h) = store.get(id).unwrap().unwrap().body else {
                unreachable!()
            };
            let marker = format!("〔u{i}〕");
            h.notes.push_str(&marker);
            store
                .update(id, Body::Household(h))
                .map(|_| format!("edit {id} {marker}"))
        };
        match result {
            Ok(line) => writeln!(out, "ok {line}").unwrap(),
            Err(e) => {
                writeln!(out, "err {}\t{}", e.code(), e).unwrap();
                failures += 1;
                if failures == 40 {
                    break;
                }
            }
        }
        out.flush().unwrap();
    }
}

#[test]
fn a_full_disk_fails_saves_clearly_and_loses_nothing() {
    if let Ok(dir) = std::env::var(CHILD_ENV) {
        child(Path::new(&dir));
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    // SIGXFSZ ignored, so going over the limit is an EFBIG error rather than death;
    // `ulimit -f` counts 512-byte blocks in POSIX sh: about 4 MB per file.
    let out = Command::new("sh")
        .arg("-c")
        .arg(
            "trap '' XFSZ; ulimit -f 8000; exec \"$0\" --exact \"$1\" --nocapture --test-threads 1",
        )
        .arg(&exe)
        .arg(TEST_NAME)
        .env(CHILD_ENV, dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the writer died instead of reporting errors: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );

    let mut created = Vec::new();
    let mut edits: BTreeMap<RecordId, Vec<String>> = BTreeMap::new();
    let mut errors = Vec::new();
    for line in stdout.lines() {
        let words: Vec<&str> = line.split(' ').collect();
        match words.as_slice() {
            ["ok", "create", id] => created.push(id.parse::<RecordId>().unwrap()),
            ["ok", "edit", id, marker] => edits
                .entry(id.parse().unwrap())
                .or_default()
                .push((*marker).to_owned()),
            ["err", ..] => errors.push(line.to_owned()),
            _ => {}
        }
    }
    assert!(
        created.len() > 10,
        "the disk filled before any work: {stdout}"
    );
    assert!(
        !errors.is_empty(),
        "the disk never filled: {} saves",
        created.len()
    );
    for e in &errors {
        assert!(
            e.starts_with("err storage\t"),
            "not a clear storage error: {e}"
        );
    }

    // Room again: the store opens with everything that was reported saved, and no more.
    let mut store = Store::open(dir.path().join("device.db"), None).unwrap();
    let listed = store
        .list(&ListQuery {
            include_deleted: true,
            limit: Some(1_000_000),
            ..Default::default()
        })
        .unwrap();
    let mut docs = store.document_ids().unwrap();
    docs.sort();
    let mut want = created.clone();
    want.sort();
    assert_eq!(
        docs, want,
        "documents on disk are exactly the saves reported done"
    );
    assert_eq!(
        listed.len(),
        created.len(),
        "no half-written projection rows"
    );
    for id in &created {
        let view = store
            .open_record(*id)
            .unwrap_or_else(|e| panic!("{id} unreadable after the disk filled: {e}"));
        assert_eq!(store.get(*id).unwrap().as_ref(), Some(&view.record));
        let Body::Household(h) = &view.record.body else {
            unreachable!()
        };
        for marker in edits.get(id).into_iter().flatten() {
            assert!(
                h.notes.contains(marker.as_str()),
                "edit {marker} of {id} lost"
            );
        }
    }
    assert_eq!(
        store.pending_changes(1_000_000).unwrap().len(),
        created.len() + edits.values().map(Vec::len).sum::<usize>(),
        "every reported save waits in the outbox, once"
    );
    let more = store
        .create(
            &"officer".into(),
            scope("gucheng", "nanjie"),
            beatbook_tests::household("周九"),
        )
        .unwrap();
    assert!(store.get(more.id).unwrap().is_some());
    eprintln!(
        "disk full: {} creates and {} edits saved, {} saves refused ({}), none lost",
        created.len(),
        edits.values().map(Vec::len).sum::<usize>(),
        errors.len(),
        errors[0]
    );
}
