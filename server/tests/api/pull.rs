//! Pulling: each user receives exactly their scope, first as whole documents, then as the
//! change log; cursors the server does not know start over.

use crate::harness::*;
use automerge::AutoCommit;
use beatbook_model::RecordId;
use beatbook_protocol::{Cursor, SnapshotCursor};
use serde_json::json;
use std::collections::BTreeSet;

/// Admin writes: two households and a key person in nanjie, one household in beijie (same
/// station) and one in dongguan (another station).
struct World {
    s: Server,
    admin: Device,
    nanjie: Vec<(AutoCommit, RecordId)>,
    key_person: RecordId,
    beijie: RecordId,
    dongguan: RecordId,
}

async fn world() -> World {
    let s = Server::with_people();
    let admin = s.enrol("admin").await;
    let mut push = Vec::new();
    let mut nanjie = Vec::new();
    for seed in 1..=2 {
        let (doc, c) = admin.create(scope("gucheng", "nanjie"), household(seed));
        nanjie.push((doc, record_of(&c)));
        push.push(c);
    }
    let (_, kp) = admin.create(scope("gucheng", "nanjie"), key_person());
    let (_, bj) = admin.create(scope("gucheng", "beijie"), household(3));
    let (_, dg) = admin.create(scope("liuta", "dongguan"), household(4));
    let (key_person, beijie, dongguan) = (record_of(&kp), record_of(&bj), record_of(&dg));
    push.extend([kp, bj, dg]);
    s.sync_ok(&admin, push, start()).await;
    World {
        s,
        admin,
        nanjie,
        key_person,
        beijie,
        dongguan,
    }
}

fn set(ids: impl IntoIterator<Item = RecordId>) -> BTreeSet<RecordId> {
    ids.into_iter().collect()
}

#[tokio::test]
async fn each_role_receives_its_scope() {
    let w = world().await;
    let nanjie = || w.nanjie.iter().map(|(_, id)| *id);
    let cases = [
        ("officer", set(nanjie().chain([w.key_person]))),
        ("grid", set(nanjie())),
        ("chief", set(nanjie().chain([w.key_person, w.beijie]))),
        (
            "admin",
            set(nanjie().chain([w.key_person, w.beijie, w.dongguan])),
        ),
        ("liu", set([w.dongguan])),
    ];
    for (user, expected) in cases {
        let d = w.s.enrol(user).await;
        let (pulled, cursor) = w.s.pull_all(&d, start()).await;
        assert_eq!(set(pulled.documents.clone()), expected, "{user}");
        assert_eq!(
            pulled.documents.len(),
            expected.len(),
            "{user}: no duplicates"
        );
        assert!(pulled.changes.is_empty(), "{user}");
        assert_eq!(
            cursor,
            Cursor {
                seq: w.s.logged(),
                snapshot: None
            }
        );
    }
}

#[tokio::test]
async fn pulled_documents_are_the_records() {
    let w = world().await;
    let d = w.s.enrol("liu").await;
    let res = w.s.sync_ok(&d, vec![], start()).await;
    let doc = AutoCommit::load(&res.documents[0].document).unwrap();
    let (record, conflicts) = beatbook_doc::read_record(&doc).unwrap();
    assert_eq!(record.id, w.dongguan);
    assert_eq!(record.scope, scope("liuta", "dongguan"));
    assert!(conflicts.is_empty());
}

#[tokio::test]
async fn after_the_snapshot_only_new_changes_in_scope_come() {
    let w = world().await;
    let officer = w.s.enrol("officer").await;
    let (_, cursor) = w.s.pull_all(&officer, start()).await;

    // Nothing new: one small answer, same cursor.
    let res = w.s.sync_ok(&officer, vec![], cursor).await;
    assert!(res.documents.is_empty() && res.changes.is_empty());
    assert_eq!((res.cursor, res.more, res.remaining), (cursor, false, 0));

    // An edit in nanjie, then one in dongguan: the officer gets the first, and the cursor
    // moves past the second so it is never scanned again.
    let (doc, id) = &w.nanjie[0];
    let (_, edit) = w.admin.edit(doc, "data.notes", json!("已走访"));
    w.s.sync_ok(&w.admin, vec![edit], start()).await;
    let (_, other) = w.admin.create(scope("liuta", "dongguan"), household(5));
    w.s.sync_ok(&w.admin, vec![other], start()).await;
    let res = w.s.sync_ok(&officer, vec![], cursor).await;
    assert!(res.documents.is_empty());
    assert_eq!(res.changes.len(), 1);
    assert_eq!(res.changes[0].record, id.0.into_bytes());
    assert_eq!(res.cursor.seq, w.s.logged());
    assert!(!res.more);
}

#[tokio::test]
async fn small_pages_walk_the_snapshot_then_the_log() {
    let w = world().await;
    let chief = w.s.enrol("chief").await;
    // A change after the chief's snapshot begins comes from the log.
    let first = w.s.sync_sized(&chief, vec![], start(), 1).await;
    let first: beatbook_protocol::SyncResponse = beatbook_protocol::decode(&first.body).unwrap();
    assert_eq!(
        first.documents.len(),
        1,
        "at least one item, even over budget"
    );
    assert!(first.more);
    assert_eq!(first.remaining, 3);
    let snap = first.cursor.snapshot.expect("still in snapshot mode");
    assert_eq!(snap.upto, 5);

    let (doc, id) = &w.nanjie[1];
    let (_, edit) = w.admin.edit(doc, "data.notes", json!("新情况"));
    w.s.sync_ok(&w.admin, vec![edit], start()).await;

    let mut cursor = first.cursor;
    let mut docs = vec![RecordId(uuid::Uuid::from_bytes(first.documents[0].record))];
    let mut changes = Vec::new();
    loop {
        let a = w.s.sync_sized(&chief, vec![], cursor, 1).await;
        let res: beatbook_protocol::SyncResponse = beatbook_protocol::decode(&a.body).unwrap();
        assert!(res.documents.len() + res.changes.len() <= 1);
        docs.extend(
            res.documents
                .iter()
                .map(|d| RecordId(uuid::Uuid::from_bytes(d.record))),
        );
        changes.extend(
            res.changes
                .iter()
                .map(|c| RecordId(uuid::Uuid::from_bytes(c.record))),
        );
        cursor = res.cursor;
        if !res.more {
            break;
        }
    }
    assert_eq!(docs.len(), 4);
    let mut sorted = docs.clone();
    sorted.sort();
    assert_eq!(docs, sorted, "snapshot pages go by record id");
    assert_eq!(changes, [*id]);
    assert_eq!(
        cursor,
        Cursor {
            seq: 6,
            snapshot: None
        }
    );
}

#[tokio::test]
async fn an_unknown_cursor_starts_a_snapshot() {
    let w = world().await;
    let liu = w.s.enrol("liu").await;
    // E.g. the server was restored from a backup older than the device's last sync.
    let res =
        w.s.sync_ok(
            &liu,
            vec![],
            Cursor {
                seq: 1000,
                snapshot: None,
            },
        )
        .await;
    assert_eq!(res.documents.len(), 1);
    assert_eq!(
        res.cursor,
        Cursor {
            seq: 5,
            snapshot: None
        }
    );
    let res =
        w.s.sync_ok(
            &liu,
            vec![],
            Cursor {
                seq: 0,
                snapshot: Some(SnapshotCursor {
                    upto: 1000,
                    after: [0xff; 16],
                }),
            },
        )
        .await;
    assert_eq!(
        res.documents.len(),
        1,
        "a snapshot from the future restarts"
    );
}
