//! Pushing changes: every change is attributable and in scope, or the whole batch is refused
//! and nothing is applied.

use crate::harness::*;
use automerge::ActorId;
use axum::http::StatusCode;
use beatbook_protocol::{DeviceKey, ErrorCode};
use serde_json::json;

#[tokio::test]
async fn a_change_in_scope_is_acked_once_and_logged_once() {
    let s = Server::with_people();
    let d = s.enrol("officer").await;
    let (_, change) = d.create(scope("gucheng", "nanjie"), household(1));
    let res = s.sync_ok(&d, vec![change.clone()], start()).await;
    assert_eq!(res.acked.len(), 1);
    assert_eq!(beatbook_protocol::hex(&res.acked[0]), hash_of(&change));
    assert_eq!(s.logged(), 1);
    // A retry (e.g. the answer was lost) is acked again without a second row.
    let again = s
        .sync_ok(&d, vec![change.clone(), change], res.cursor)
        .await;
    assert_eq!(again.acked.len(), 2);
    assert_eq!(s.logged(), 1);
}

#[tokio::test]
async fn a_forged_signature_is_refused_and_nothing_is_applied() {
    let s = Server::with_people();
    let d = s.enrol("officer").await;
    let (_, mut change) = d.create(scope("gucheng", "nanjie"), household(1));
    let forger = DeviceKey::generate().unwrap();
    change.signature = forger.sign(&[1, 2, 3]).to_vec();
    let a = s.sync(&d, vec![change.clone()], start()).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let e = a.error();
    assert_eq!(e.code, ErrorCode::BadSignature);
    assert_eq!(e.change, Some(hash_of(&change)));
    assert_eq!(s.logged(), 0);
}

#[tokio::test]
async fn a_change_by_an_unknown_actor_is_refused() {
    let s = Server::with_people();
    let d = s.enrol("officer").await;
    let mut stranger = s.enrol("officer").await;
    stranger.actor = ActorId::random();
    let (_, change) = stranger.create(scope("gucheng", "nanjie"), household(1));
    let a = s.sync(&d, vec![change.clone()], start()).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let e = a.error();
    assert_eq!(e.code, ErrorCode::UnknownActor);
    assert_eq!(e.change, Some(hash_of(&change)));
    assert_eq!(s.logged(), 0);
}

#[tokio::test]
async fn records_outside_the_users_scope_are_refused() {
    let s = Server::with_people();
    let officer = s.enrol("officer").await;
    let (_, elsewhere) = officer.create(scope("gucheng", "beijie"), household(1));
    let a = s.sync(&officer, vec![elsewhere.clone()], start()).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert_eq!(a.error().code, ErrorCode::OutOfScope);
    assert_eq!(a.error().change, Some(hash_of(&elsewhere)));

    // Grid workers may not write key persons, even in their own village.
    let grid = s.enrol("grid").await;
    let (_, kp) = grid.create(scope("gucheng", "nanjie"), key_person());
    let a = s.sync(&grid, vec![kp], start()).await;
    assert_eq!(a.error().code, ErrorCode::OutOfScope);
    assert_eq!(s.logged(), 0);
}

#[tokio::test]
async fn a_batch_with_one_bad_change_applies_nothing() {
    let s = Server::with_people();
    let d = s.enrol("officer").await;
    let (_, good) = d.create(scope("gucheng", "nanjie"), household(1));
    let (_, bad) = d.create(scope("liuta", "dongguan"), household(2));
    let a = s.sync(&d, vec![good.clone(), bad.clone()], start()).await;
    assert_eq!(a.error().code, ErrorCode::OutOfScope);
    assert_eq!(a.error().change, Some(hash_of(&bad)));
    assert_eq!(s.logged(), 0);
    let chief = s.enrol("chief").await;
    let (pulled, _) = s.pull_all(&chief, start()).await;
    assert!(pulled.documents.is_empty());
    // Once the bad change is set aside, the good one goes through.
    s.sync_ok(&d, vec![good], start()).await;
    assert_eq!(s.logged(), 1);
}

#[tokio::test]
async fn the_scope_and_kind_of_a_record_are_fixed() {
    let s = Server::with_people();
    let chief = s.enrol("chief").await;
    let (doc, create) = chief.create(scope("gucheng", "nanjie"), household(1));
    s.sync_ok(&chief, vec![create], start()).await;
    let (_, moved) = chief.edit(&doc, "scope.village", json!("beijie"));
    let a = s.sync(&chief, vec![moved], start()).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert_eq!(a.error().code, ErrorCode::OutOfScope);
    let (_, rekinded) = chief.edit(&doc, "kind", json!("hazard"));
    let a = s.sync(&chief, vec![rekinded], start()).await;
    assert_eq!(a.error().code, ErrorCode::OutOfScope);
    let (_, renamed) = chief.edit(&doc, "id", json!(uuid::Uuid::now_v7().to_string()));
    let a = s.sync(&chief, vec![renamed], start()).await;
    assert_eq!(a.error().code, ErrorCode::BadChange);
    assert_eq!(s.logged(), 1);
}

#[tokio::test]
async fn edits_by_others_merge_and_relayed_changes_keep_their_author() {
    let s = Server::with_people();
    let officer = s.enrol("officer").await;
    let chief = s.enrol("chief").await;
    let (doc, create) = officer.create(scope("gucheng", "nanjie"), household(1));
    // The officer's change reaches the server through the chief's handset.
    s.sync_ok(&chief, vec![create.clone()], start()).await;
    let (_, edit) = chief.edit(&doc, "data.notes", json!("所长已核实"));
    s.sync_ok(&chief, vec![edit], start()).await;
    assert_eq!(s.logged(), 2);

    let db = rusqlite::Connection::open(s.dir.join("server.db")).unwrap();
    let rows: Vec<(String, String)> = db
        .prepare("SELECT device_id, username FROM changes ORDER BY seq")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        rows,
        [
            (officer.enrolment.device_id.clone(), "chief".to_owned()),
            (chief.enrolment.device_id.clone(), "chief".to_owned()),
        ]
    );

    let (pulled, _) = s.pull_all(&officer, start()).await;
    assert_eq!(pulled.documents, [record_of(&create)]);
}

#[tokio::test]
async fn changes_must_build_on_what_the_server_has() {
    let s = Server::with_people();
    let d = s.enrol("officer").await;
    let (doc, create) = d.create(scope("gucheng", "nanjie"), household(1));
    let (_, edit) = d.edit(&doc, "data.notes", json!("回访"));
    let a = s.sync(&d, vec![edit.clone()], start()).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(a.error().code, ErrorCode::BadChange);
    assert_eq!(a.error().change, Some(hash_of(&edit)));
    assert_eq!(s.logged(), 0);
    // In causal order within one batch it is fine.
    s.sync_ok(&d, vec![create, edit], start()).await;
    assert_eq!(s.logged(), 2);
}

#[tokio::test]
async fn garbage_changes_and_revoked_authors_are_refused() {
    let s = Server::with_people();
    let d = s.enrol("officer").await;
    let (_, mut garbage) = d.create(scope("gucheng", "nanjie"), household(1));
    garbage.change = b"not an automerge change".to_vec();
    let a = s.sync(&d, vec![garbage], start()).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(a.error().code, ErrorCode::BadChange);

    let lost = s.enrol("officer").await;
    let (_, change) = lost.create(scope("gucheng", "nanjie"), household(2));
    s.state.revoke_device(&lost.enrolment.device_id).unwrap();
    let a = s.sync(&d, vec![change.clone()], start()).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert_eq!(a.error().code, ErrorCode::DeviceRevoked);
    assert_eq!(a.error().change, Some(hash_of(&change)));
    assert_eq!(s.logged(), 0);
}

#[tokio::test]
async fn only_a_chief_or_admin_may_write_a_review() {
    let s = Server::with_people();
    let officer = s.enrol("officer").await;
    let chief = s.enrol("chief").await;
    let liu = s.enrol("liu").await;
    let (doc, create) = officer.create(scope("gucheng", "nanjie"), household(1));
    s.sync_ok(&officer, vec![create], start()).await;
    let review = json!({"by": "officer", "at": "2026-11-28T08:00:00Z", "comment": "自己审自己"});
    // An officer cannot mark the record reviewed, even from a device that skips the model's
    // rule; nothing of the refused batch is kept.
    let (_, own) = officer.edit(&doc, "review", review.clone());
    let a = s.sync(&officer, vec![own], start()).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert_eq!(a.error().code, ErrorCode::OutOfScope);
    assert_eq!(s.logged(), 1);
    // The station's chief can, and the officer may still edit other fields afterwards.
    let chief_review = json!({"by": "chief", "at": "2026-11-28T09:00:00Z", "comment": "已核实"});
    let (reviewed, by_chief) = chief.edit(&doc, "review", chief_review);
    s.sync_ok(&chief, vec![by_chief], start()).await;
    let (reviewed, notes) = officer.edit(&reviewed, "data.notes", json!("补充电话"));
    s.sync_ok(&officer, vec![notes], start()).await;
    // Changing or removing a review is writing it too.
    let (_, changed) = officer.edit(&reviewed, "review.comment", json!("改掉所长意见"));
    let a = s.sync(&officer, vec![changed], start()).await;
    assert_eq!(a.error().code, ErrorCode::OutOfScope);
    let (_, cleared) = officer.edit(&reviewed, "review", serde_json::Value::Null);
    let a = s.sync(&officer, vec![cleared], start()).await;
    assert_eq!(a.error().code, ErrorCode::OutOfScope);
    // Another station's officer is out of scope anyway.
    let (_, other) = liu.edit(&reviewed, "review.comment", json!("x"));
    let a = s.sync(&liu, vec![other], start()).await;
    assert_eq!(a.error().code, ErrorCode::OutOfScope);
    assert_eq!(s.logged(), 3);
}
