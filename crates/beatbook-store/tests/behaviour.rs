//! The store as its callers see it: saving, reading, listing, searching, editing, deleting,
//! merging, encryption, on real SQLite files.

mod common;

use beatbook_model::{
    Body, DisputeStatus, DisputeType, FiveOnes, Hazard, HazardStatus, Kind, Lang, Publicity,
    Session, Task, TaskAction, TaskStatus, Visit,
};
use beatbook_store::{ListQuery, Store, StoreError, StoreKey, COMPACT_AT};
use common::*;
use serde_json::json;

fn file_store(dir: &tempfile::TempDir) -> Store {
    Store::open_with_clock(dir.path().join("device.db"), None, clock()).unwrap()
}

#[test]
fn a_saved_record_reads_back_lists_and_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = file_store(&dir);
    let h = store
        .create(
            &"li.officer".into(),
            scope("nanjie"),
            household("张三丰", "11010519491231002X"),
        )
        .unwrap();
    assert_eq!(h.created_at, t0());
    assert_eq!(h.kind(), Kind::Household);
    drop(store);

    let mut store = file_store(&dir);
    assert_eq!(store.get(h.id).unwrap().unwrap(), h);
    assert_eq!(store.open_record(h.id).unwrap().record, h);
    let listed = store
        .list(&ListQuery {
            kind: Some(Kind::Household),
            village: Some("nanjie".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].title, "张三丰 · 南街村三组12号");
    assert!(store
        .list(&ListQuery {
            village: Some("beijie".into()),
            ..Default::default()
        })
        .unwrap()
        .is_empty());
    assert_eq!(store.pending_count().unwrap(), 1);
}

#[test]
fn invalid_records_are_refused_and_nothing_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = file_store(&dir);
    let err = store
        .create(
            &"li.officer".into(),
            scope("nanjie"),
            household("张三丰", "110105194912310021"),
        )
        .unwrap_err();
    assert_eq!(err.code(), "invalid");
    assert!(
        err.message(Lang::Zh).contains("校验位"),
        "{}",
        err.message(Lang::Zh)
    );
    assert!(err.message(Lang::En).contains("check digit"));
    assert_eq!(store.pending_count().unwrap(), 0);
    assert!(store.document_ids().unwrap().is_empty());
    assert!(store.list(&ListQuery::default()).unwrap().is_empty());
}

#[test]
fn two_character_names_are_found_inside_longer_ones() {
    let mut store = Store::open_in_memory(clock()).unwrap();
    let h = store
        .create(
            &"li.officer".into(),
            scope("nanjie"),
            household("张三丰", "11010519491231002X"),
        )
        .unwrap();
    let other_id = beatbook_model::sample::Sampler::new(1).id_number();
    store
        .create(
            &"li.officer".into(),
            scope("nanjie"),
            household("李四", &other_id),
        )
        .unwrap();
    for q in [
        "张三",
        "三丰",
        "张三丰",
        "张",
        "丰",
        "1949123",
        "138 1234",
        "南街村",
    ] {
        let hits = store.search(q, 10).unwrap();
        assert!(hits.iter().any(|s| s.id == h.id), "{q} should find 张三丰");
    }
    assert_eq!(store.search("张三", 10).unwrap().len(), 1);
    assert!(store.search("王五", 10).unwrap().is_empty());
    assert!(store.search("  ", 10).unwrap().is_empty());
    assert!(store.search("%", 10).unwrap().is_empty());
    assert_eq!(
        store.find_person("11010519491231002x").unwrap()[0].name,
        "张三丰"
    );
    assert_eq!(store.find_person("+86 138-1234-5678").unwrap().len(), 2);
}

#[test]
fn edits_follow_the_status_machines_and_refusals_change_nothing() {
    let mut store = Store::open_in_memory(clock()).unwrap();
    let d = store
        .create(
            &"li.officer".into(),
            scope("nanjie"),
            Body::Dispute(dispute("宅基地边界争议")),
        )
        .unwrap();
    let Body::Dispute(mut data) = d.body.clone() else {
        unreachable!()
    };
    data.status = DisputeStatus::Closed;
    let err = store.update(d.id, Body::Dispute(data.clone())).unwrap_err();
    assert_eq!(err.code(), "illegal_transition");
    assert!(err.message(Lang::Zh).contains("不能从"));
    assert_eq!(store.get(d.id).unwrap().unwrap(), d);
    assert_eq!(store.pending_count().unwrap(), 1);

    data.status = DisputeStatus::Mediating;
    data.sessions.push(Session {
        held_at: t0(),
        participants: vec!["村调委会".into()],
        notes: "双方到场".into(),
        outcome: "约定下周再谈".into(),
    });
    let after = store.update(d.id, Body::Dispute(data.clone())).unwrap();
    assert_eq!(after.body, Body::Dispute(data.clone()));
    assert_eq!(
        store
            .list(&ListQuery {
                status: Some("mediating".into()),
                ..Default::default()
            })
            .unwrap()
            .len(),
        1
    );
    // Writing the same content again makes no change at all.
    store.update(d.id, Body::Dispute(data)).unwrap();
    assert_eq!(store.pending_count().unwrap(), 2);

    let other_kind = Body::Publicity(Publicity {
        topic: "x".into(),
        place: "y".into(),
        held_at: t0(),
        audience: 1,
        notes: String::new(),
    });
    assert_eq!(
        store.update(d.id, other_kind).unwrap_err().code(),
        "immutable"
    );
}

#[test]
fn deleted_records_are_hidden_kept_and_frozen() {
    let mut store = Store::open_in_memory(clock()).unwrap();
    let h = store
        .create(
            &"li.officer".into(),
            scope("nanjie"),
            household("张三丰", "11010519491231002X"),
        )
        .unwrap();
    let deleted = store.delete(h.id).unwrap();
    assert!(deleted.deleted);
    assert!(store.list(&ListQuery::default()).unwrap().is_empty());
    assert!(store.search("张三", 5).unwrap().is_empty());
    assert_eq!(
        store
            .list(&ListQuery {
                include_deleted: true,
                ..Default::default()
            })
            .unwrap()
            .len(),
        1
    );
    assert!(matches!(store.delete(h.id), Err(StoreError::Deleted(_))));
    assert!(store.get(h.id).unwrap().unwrap().deleted);
}

#[test]
fn a_household_timeline_gathers_what_refers_to_it() {
    let mut store = Store::open_in_memory(clock()).unwrap();
    let me = "li.officer".into();
    let h = store
        .create(
            &me,
            scope("nanjie"),
            household("张三丰", "11010519491231002X"),
        )
        .unwrap();
    let v = store
        .create(
            &me,
            scope("nanjie"),
            Body::Visit(Visit {
                household: h.id,
                visitors: vec![me.clone()],
                visited_at: t0(),
                method: FiveOnes::Visit,
                place: "家中".into(),
                location: None,
                purpose: "走访".into(),
                findings: "电线老化".into(),
                problems: String::new(),
                follow_up: String::new(),
            }),
        )
        .unwrap();
    let hz = store
        .create(
            &me,
            scope("nanjie"),
            Body::Hazard(Hazard {
                description: "电线老化".into(),
                place: "张三丰家".into(),
                location: None,
                found_at: t0(),
                found_by: me.clone(),
                source: Some(v.id),
                status: HazardStatus::Open,
                deadline: None,
                rectification: String::new(),
                cleared_at: None,
                clearance_note: String::new(),
                cleared_by: None,
            }),
        )
        .unwrap();
    let task = store
        .create(
            &"chief".into(),
            scope("nanjie"),
            Body::Task(Task {
                assignee: me.clone(),
                assigned_by: "chief".into(),
                action: TaskAction::VisitHousehold,
                target: Some(h.id),
                instructions: "回访张三丰家".into(),
                due_at: t0(),
                status: TaskStatus::Open,
                completed_by: None,
                cancel_reason: String::new(),
            }),
        )
        .unwrap();
    let ids: Vec<_> = store
        .referring_to(h.id)
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(ids.len(), 2);
    assert!(ids.contains(&v.id) && ids.contains(&task.id));
    assert_eq!(store.referring_to(v.id).unwrap()[0].id, hz.id);
    let mine = store
        .list(&ListQuery {
            assignee: Some(me),
            status: Some("open".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].due_at, Some(t0()));
}

#[test]
fn concurrent_edits_merge_by_field_and_same_field_edits_become_a_resolvable_conflict() {
    let mut a = Store::open_in_memory(clock()).unwrap();
    let mut b = Store::open_in_memory(clock()).unwrap();
    let d = a
        .create(
            &"li.officer".into(),
            scope("nanjie"),
            Body::Dispute(dispute("宅基地边界争议")),
        )
        .unwrap();
    send(&a, &mut b);
    assert_eq!(b.get(d.id).unwrap().unwrap(), d);

    let Body::Dispute(base) = d.body.clone() else {
        unreachable!()
    };
    let mut on_a = base.clone();
    on_a.description.push_str("。东邻称围墙越界");
    on_a.dispute_type = DisputeType::Neighbour;
    let mut on_b = base.clone();
    on_b.status = DisputeStatus::Mediating;
    on_b.dispute_type = DisputeType::Debt;
    on_b.agreement = "乙方补偿五百元".into();
    a.update(d.id, Body::Dispute(on_a)).unwrap();
    b.update(d.id, Body::Dispute(on_b)).unwrap();
    send(&a, &mut b);
    send(&b, &mut a);

    let va = a.open_record(d.id).unwrap();
    let vb = b.open_record(d.id).unwrap();
    assert_eq!(va, vb);
    let Body::Dispute(merged) = &va.record.body else {
        unreachable!()
    };
    assert_eq!(merged.description, "宅基地边界争议。东邻称围墙越界");
    assert_eq!(merged.status, DisputeStatus::Mediating);
    assert_eq!(merged.agreement, "乙方补偿五百元");
    assert_eq!(va.conflicts.len(), 1, "{:?}", va.conflicts);
    assert_eq!(va.conflicts[0].path, "data.dispute_type");
    let mut values = va.conflicts[0].values.clone();
    values.sort_by_key(|v| v.to_string());
    assert_eq!(values, [json!("debt"), json!("neighbour")]);
    assert_eq!(a.list(&ListQuery::default()).unwrap()[0].conflicts, 1);

    let resolved = b
        .resolve(d.id, "data.dispute_type", json!("neighbour"))
        .unwrap();
    send(&b, &mut a);
    assert!(a.open_record(d.id).unwrap().conflicts.is_empty());
    assert_eq!(a.get(d.id).unwrap().unwrap().body, resolved.body);
    assert_eq!(a.list(&ListQuery::default()).unwrap()[0].conflicts, 0);
    assert_eq!(
        b.resolve(d.id, "data.[x", json!(1)).unwrap_err().code(),
        "bad_path"
    );
}

#[test]
fn duplicates_and_out_of_order_changes_converge() {
    let mut a = Store::open_in_memory(clock()).unwrap();
    let d = a
        .create(
            &"li.officer".into(),
            scope("nanjie"),
            Body::Dispute(dispute("起因")),
        )
        .unwrap();
    let Body::Dispute(mut data) = d.body.clone() else {
        unreachable!()
    };
    for i in 0..5 {
        data.description.push_str(&format!("，补充{i}"));
        a.update(d.id, Body::Dispute(data.clone())).unwrap();
    }
    let mut changes: Vec<_> = a
        .pending_changes(100)
        .unwrap()
        .into_iter()
        .map(|c| beatbook_store::IncomingChange {
            record_id: c.record_id,
            bytes: c.bytes,
        })
        .collect();
    changes.reverse();
    let mut b = Store::open_in_memory(clock()).unwrap();
    // The newest change alone cannot be read yet: it waits for its predecessors.
    let first = b.apply_changes(&changes[..1]).unwrap();
    assert_eq!(first.incomplete, vec![d.id]);
    assert!(b.get(d.id).unwrap().is_none());
    let rest = b.apply_changes(&changes).unwrap();
    assert_eq!((rest.applied, rest.duplicates), (5, 1));
    let again = b.apply_changes(&changes).unwrap();
    assert_eq!((again.applied, again.duplicates), (0, 6));
    assert_eq!(b.open_record(d.id).unwrap(), a.open_record(d.id).unwrap());
    assert_eq!(
        b.pending_count().unwrap(),
        0,
        "others' changes are not ours to send"
    );
}

#[test]
fn acknowledged_changes_leave_the_outbox_and_many_edits_compact() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = file_store(&dir);
    let d = store
        .create(
            &"li.officer".into(),
            scope("nanjie"),
            Body::Dispute(dispute("起因")),
        )
        .unwrap();
    let Body::Dispute(mut data) = d.body.clone() else {
        unreachable!()
    };
    for i in 0..(COMPACT_AT + 5) {
        data.description.push_str(&format!("{i}"));
        store.update(d.id, Body::Dispute(data.clone())).unwrap();
    }
    let expected = store.open_record(d.id).unwrap();
    let pending = store.pending_changes(1000).unwrap();
    assert_eq!(pending.len() as i64, COMPACT_AT + 6);
    let hashes: Vec<_> = pending.iter().take(10).map(|c| c.hash).collect();
    assert_eq!(store.acknowledge(&hashes).unwrap(), 10);
    assert_eq!(store.acknowledge(&hashes).unwrap(), 0);
    assert_eq!(store.pending_changes(1).unwrap()[0].hash, pending[10].hash);
    drop(store);

    let mut store = file_store(&dir);
    assert_eq!(store.open_record(d.id).unwrap(), expected);
    assert_eq!(
        store.record_changes(d.id).unwrap().len() as i64,
        COMPACT_AT + 6
    );
    let db = rusqlite::Connection::open(dir.path().join("device.db")).unwrap();
    let chunks: i64 = db
        .query_row("SELECT count(*) FROM doc_chunks", [], |r| r.get(0))
        .unwrap();
    assert!(
        chunks < COMPACT_AT,
        "{chunks} chunks: compaction did not run"
    );
}

#[test]
fn an_encrypted_store_needs_its_key_and_holds_no_plaintext() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("secret.db");
    let key = StoreKey::Raw([7; 32]);
    let mut store = Store::open_with_clock(&path, Some(&key), clock()).unwrap();
    let h = store
        .create(
            &"li.officer".into(),
            scope("nanjie"),
            household("张三丰", "11010519491231002X"),
        )
        .unwrap();
    drop(store);

    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        bytes.extend(std::fs::read(entry.unwrap().path()).unwrap());
    }
    let has = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    assert!(!has(b"11010519491231002X"), "ID number in plaintext");
    assert!(!has("张三丰".as_bytes()), "name in plaintext");
    assert!(!has(b"SQLite format 3"), "file header in plaintext");

    for wrong in [
        None,
        Some(StoreKey::Raw([8; 32])),
        Some(StoreKey::Passphrase("1234".into())),
    ] {
        let err = Store::open_with_clock(&path, wrong.as_ref(), clock()).unwrap_err();
        assert!(matches!(err, StoreError::WrongKey), "{err}");
        assert!(err.message(Lang::Zh).contains("密钥"));
    }
    let store = Store::open_with_clock(&path, Some(&key), clock()).unwrap();
    assert_eq!(store.get(h.id).unwrap().unwrap(), h);

    let pin = dir.path().join("pin.db");
    Store::open(&pin, Some(&StoreKey::Passphrase("246810".into()))).unwrap();
    assert!(Store::open(&pin, Some(&StoreKey::Passphrase("246811".into()))).is_err());
    assert!(Store::open(&pin, Some(&StoreKey::Passphrase("246810".into()))).is_ok());
}

#[test]
fn a_store_from_a_newer_version_is_refused_not_damaged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("device.db");
    drop(Store::open(&path, None).unwrap());
    let db = rusqlite::Connection::open(&path).unwrap();
    db.pragma_update(None, "user_version", 99).unwrap();
    drop(db);
    let err = Store::open(&path, None).unwrap_err();
    assert_eq!(err.code(), "store_too_new");
}

fn review(by: &str, comment: &str) -> beatbook_model::Review {
    beatbook_model::Review {
        by: by.into(),
        at: t0(),
        comment: comment.into(),
    }
}

fn reviewed_ids(store: &Store, reviewed: bool) -> Vec<beatbook_model::RecordId> {
    store
        .list(&ListQuery {
            reviewed: Some(reviewed),
            ..Default::default()
        })
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect()
}

#[test]
fn a_review_syncs_to_the_author_and_filters_reviewed_from_unreviewed() {
    let mut officer = Store::open_in_memory(clock()).unwrap();
    let mut chief = Store::open_in_memory(clock()).unwrap();
    let seen = officer
        .create(
            &"li.officer".into(),
            scope("nanjie"),
            household("张三丰", "11010519491231002X"),
        )
        .unwrap();
    let other = officer
        .create(
            &"li.officer".into(),
            scope("nanjie"),
            household("李四", "11010519491231002X"),
        )
        .unwrap();
    send(&officer, &mut chief);
    let after = chief
        .review(seen.id, review("wang.chief", "已阅，注意回访"))
        .unwrap();
    assert_eq!(after.review.as_ref().unwrap().comment, "已阅，注意回访");
    assert_eq!(after.body, seen.body, "a review leaves the content alone");
    send(&chief, &mut officer);
    let on_device = officer.open_record(seen.id).unwrap();
    assert_eq!(on_device.record.review.unwrap().by.as_str(), "wang.chief");
    assert!(on_device.conflicts.is_empty());
    assert_eq!(reviewed_ids(&officer, true), [seen.id]);
    assert_eq!(reviewed_ids(&officer, false), [other.id]);
    // The author keeps editing; the review stays.
    let mut body = seen.body.clone();
    if let Body::Household(h) = &mut body {
        h.notes = "补充".into();
    }
    officer.update(seen.id, body).unwrap();
    assert!(officer.get(seen.id).unwrap().unwrap().review.is_some());
}

#[test]
fn a_store_made_before_reviews_is_upgraded_and_keeps_its_reviews_projected() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("device.db");
    let mut store = file_store(&dir);
    let h = store
        .create(
            &"li.officer".into(),
            scope("nanjie"),
            household("张三丰", "11010519491231002X"),
        )
        .unwrap();
    store.review(h.id, review("wang.chief", "")).unwrap();
    drop(store);
    // Back to schema 1: no reviewed column, as a device installed before reviews has it.
    let db = rusqlite::Connection::open(&path).unwrap();
    db.execute_batch(
        "DROP TABLE unreadable;
         DROP INDEX records_by_reviewed;
         ALTER TABLE records DROP COLUMN reviewed;
         PRAGMA user_version = 1;",
    )
    .unwrap();
    drop(db);
    let store = file_store(&dir);
    assert_eq!(reviewed_ids(&store, true), [h.id]);
    assert!(reviewed_ids(&store, false).is_empty());
}

/// A record as a hostile or newer peer could write it: the JSON of a valid visit with one
/// field replaced, as one Automerge change.
fn planted(mut json: serde_json::Value, field: &str, value: serde_json::Value) -> Vec<u8> {
    json[field] = value;
    let mut doc = automerge::AutoCommit::new();
    beatbook_doc::reconcile_root(&mut doc, &json!({}), &json).unwrap();
    doc.commit();
    doc.save()
}

#[test]
fn a_pulled_record_that_cannot_be_read_is_kept_aside_and_the_rest_syncs() {
    let dir = tempfile::tempdir().unwrap();
    let mut author = Store::open_in_memory(clock()).unwrap();
    let good = author
        .create(
            &"li.officer".into(),
            scope("nanjie"),
            household("张三丰", "11010519491231002X"),
        )
        .unwrap();
    let good_doc = {
        let changes = author.record_changes(good.id).unwrap();
        changes.concat()
    };
    let template = serde_json::to_value(&good).unwrap();
    // A visit time no device can store (year -1), a kind from a newer version, and bytes
    // that are no document at all.
    let negative = beatbook_model::RecordId::new();
    let mut neg = template.clone();
    neg["id"] = json!(negative.to_string());
    let neg_bytes = planted(neg, "created_at", json!("-0001-01-01T00:00:00Z"));
    let future = beatbook_model::RecordId::new();
    let mut fut = template.clone();
    fut["id"] = json!(future.to_string());
    let fut_bytes = planted(fut, "kind", json!("drone_flight"));
    let garbage = beatbook_model::RecordId::new();
    let junk = b"\x85\x6f\x4a\x83not an automerge document".to_vec();

    let mut device = file_store(&dir);
    let report = device
        .apply_pulled(
            &[],
            &[
                (negative, neg_bytes.clone()),
                (good.id, good_doc),
                (future, fut_bytes.clone()),
                (garbage, junk.clone()),
            ],
            &[("sync_cursor", "7")],
        )
        .expect("one bad record never stops a sync");
    // A time out of the model's range still reads and lists (the store writes every time so
    // that it reads back); the other two are kept aside.
    let mut readable = report.records.clone();
    readable.sort();
    let mut want = vec![good.id, negative];
    want.sort();
    assert_eq!(readable, want);
    let mut odd = report.unreadable.clone();
    odd.sort();
    let mut want = vec![future, garbage];
    want.sort();
    assert_eq!(odd, want);
    assert_eq!(
        device.get_meta("sync_cursor").unwrap().as_deref(),
        Some("7")
    );
    // Everything else reads; the bad ones are listed with their author, kept byte for byte.
    assert_eq!(device.get(good.id).unwrap().unwrap().id, good.id);
    assert_eq!(device.list(&ListQuery::default()).unwrap().len(), 2);
    let listed = device.unreadable().unwrap();
    assert_eq!(listed.len(), 2);
    for u in &listed {
        let expected_author = if u.id == garbage { "" } else { "li.officer" };
        assert_eq!(u.author, expected_author, "{}", u.reason);
    }
    assert_eq!(device.unreadable_bytes(garbage).unwrap(), junk);
    let mut kept = automerge::AutoCommit::load(&device.unreadable_bytes(future).unwrap()).unwrap();
    assert_eq!(
        kept.get_heads(),
        automerge::AutoCommit::load(&fut_bytes).unwrap().get_heads()
    );
    // The user is told once; the server is told until it has heard.
    assert_eq!(device.take_unnotified_unreadable().unwrap().len(), 2);
    assert!(device.take_unnotified_unreadable().unwrap().is_empty());
    assert_eq!(device.unreported_unreadable().unwrap().len(), 2);
    device.mark_unreadable_reported(&[garbage]).unwrap();
    assert_eq!(device.unreported_unreadable().unwrap().len(), 1);
    // The same bad record again is not news, and survives reopening.
    let again = device
        .apply_pulled(&[], &[(future, fut_bytes)], &[])
        .unwrap();
    assert!(again.unreadable.is_empty());
    drop(device);
    let device = file_store(&dir);
    assert_eq!(device.unreadable().unwrap().len(), 2);
    assert_eq!(device.list(&ListQuery::default()).unwrap().len(), 2);
}
