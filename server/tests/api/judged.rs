//! The server judges what a pushed change does with the same model the devices use: the
//! record after the change must be valid, its status move allowed, and its author allowed to
//! make it. A device is never trusted to have checked; a refusal names the record and field
//! and changes nothing.

use crate::harness::*;
use automerge::AutoCommit;
use axum::http::StatusCode;
use beatbook_model::{
    Body as RecordBody, Dispute, DisputeStatus, DisputeType, Hazard, HazardStatus, Party,
    Publicity, RecordId, Task, TaskAction, TaskStatus,
};
use beatbook_protocol::{ErrorCode, PushedChange};
use chrono::{TimeZone, Utc};
use serde_json::{json, Value};

fn publicity() -> RecordBody {
    RecordBody::Publicity(Publicity {
        topic: "防范电信诈骗".into(),
        place: "村委会".into(),
        held_at: Utc.with_ymd_and_hms(2026, 11, 27, 2, 0, 0).unwrap(),
        audience: 45,
        notes: String::new(),
    })
}

/// Edits several fields of `doc` as `device`, as one change.
fn edit_many(
    device: &Device,
    doc: &AutoCommit,
    fields: &[(&str, Value)],
) -> (AutoCommit, PushedChange) {
    let mut mine = doc.clone().with_actor(device.actor.clone());
    for (path, value) in fields {
        beatbook_doc::put_path(&mut mine, path, value).unwrap();
    }
    let (id, _, _) = beatbook_doc::read_header(&mine).unwrap();
    let change = device.commit(&mut mine, id);
    (mine, change)
}

#[tokio::test]
async fn a_record_the_model_refuses_is_refused_naming_the_record_and_field() {
    let s = Server::with_people();
    let officer = s.enrol("officer").await;
    let (doc, create) = officer.create(scope("gucheng", "nanjie"), publicity());
    let id = record_of(&create);
    s.sync_ok(&officer, vec![create], start()).await;

    // A time in year -1 (what took a station down before), a year typed as 0202, a blank
    // required field, a count out of range: each refused with the record and field named.
    let cases: [(&str, Value, &str); 4] = [
        ("data.held_at", json!("-0001-01-01T00:00:00Z"), "1900"),
        ("data.held_at", json!("0202-11-27T02:00:00Z"), "1900"),
        ("data.topic", json!("  "), "必填"),
        ("data.held_at", json!("2031-01-01T00:00:00Z"), "太多"),
    ];
    for (path, value, says) in cases {
        let (_, bad) = officer.edit(&doc, path, value.clone());
        let a = s.sync(&officer, vec![bad.clone()], start()).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{path} = {value}");
        let e = a.error();
        assert_eq!(e.code, ErrorCode::BadChange, "{path} = {value}");
        assert_eq!(e.change, Some(hash_of(&bad)));
        assert!(e.message.contains(&id.to_string()), "{}", e.message);
        assert!(e.message.contains(says), "{path}: {}", e.message);
    }
    assert_eq!(s.logged(), 1, "nothing of a refused push is kept");

    // A new record is judged too, including the envelope the model keeps.
    let mut neg = publicity();
    if let RecordBody::Publicity(p) = &mut neg {
        p.held_at = Utc.with_ymd_and_hms(-1, 1, 1, 0, 0, 0).unwrap();
    }
    let (_, bad_new) = officer.create(scope("gucheng", "nanjie"), neg);
    let a = s.sync(&officer, vec![bad_new], start()).await;
    assert_eq!(a.error().code, ErrorCode::BadChange);
    assert!(a.error().message.contains("1900"), "{}", a.error().message);
    // And the record still takes a good edit.
    let (_, fine) = officer.edit(&doc, "data.audience", json!(60));
    s.sync_ok(&officer, vec![fine], start()).await;
    assert_eq!(s.logged(), 2);
}

#[tokio::test]
async fn status_moves_follow_the_models_machines() {
    let s = Server::with_people();
    let officer = s.enrol("officer").await;
    let hazard = RecordBody::Hazard(Hazard {
        description: "电线老化".into(),
        place: "村东头".into(),
        location: None,
        found_at: Utc.with_ymd_and_hms(2026, 11, 27, 2, 0, 0).unwrap(),
        found_by: "officer".into(),
        source: None,
        status: HazardStatus::Open,
        deadline: None,
        rectification: String::new(),
        cleared_at: None,
        clearance_note: String::new(),
        cleared_by: None,
    });
    let (doc, create) = officer.create(scope("gucheng", "nanjie"), hazard);
    s.sync_ok(&officer, vec![create], start()).await;
    // Straight from open to cleared skips rectifying.
    let (_, jump) = edit_many(
        &officer,
        &doc,
        &[
            ("data.status", json!("cleared")),
            ("data.cleared_at", json!("2026-11-28T01:00:00Z")),
            ("data.cleared_by", json!("officer")),
            ("data.clearance_note", json!("已更换电线")),
        ],
    );
    let a = s.sync(&officer, vec![jump], start()).await;
    assert_eq!(a.error().code, ErrorCode::BadChange);
    assert!(a.error().message.contains("隐患"), "{}", a.error().message);
    // The author and kind are fixed too.
    let (_, author) = officer.edit(&doc, "author", json!("chief"));
    assert_eq!(
        s.sync(&officer, vec![author], start()).await.error().code,
        ErrorCode::BadChange
    );
    assert_eq!(s.logged(), 1);
}

#[tokio::test]
async fn concurrent_moves_are_each_judged_in_their_own_view() {
    let s = Server::with_people();
    let officer = s.enrol("officer").await;
    let chief = s.enrol("chief").await;
    let dispute = RecordBody::Dispute(Dispute {
        reported_at: Utc.with_ymd_and_hms(2026, 11, 20, 2, 0, 0).unwrap(),
        parties: vec![Party {
            name: "赵六".into(),
            id_number: None,
            phone: None,
        }],
        dispute_type: DisputeType::Land,
        description: "宅基地纠纷".into(),
        status: DisputeStatus::Mediating,
        referral: None,
        sessions: vec![],
        outcome: String::new(),
        agreement: String::new(),
        resolved_at: None,
        return_visit: None,
        household: None,
        source: None,
    });
    let (doc, create) = officer.create(scope("gucheng", "nanjie"), dispute);
    s.sync_ok(&officer, vec![create], start()).await;
    // Offline, the officer resolves it while the chief refers it: each a legal move from
    // what its author saw, though one would not follow the other.
    let (_, resolved) = edit_many(
        &officer,
        &doc,
        &[
            ("data.status", json!("resolved")),
            ("data.outcome", json!("双方达成协议")),
            ("data.resolved_at", json!("2026-11-27T03:00:00Z")),
        ],
    );
    let (_, referred) = edit_many(
        &chief,
        &doc,
        &[
            ("data.status", json!("referred")),
            ("data.referral", json!("peoples_mediation")),
        ],
    );
    s.sync_ok(&officer, vec![resolved], start()).await;
    s.sync_ok(&chief, vec![referred], start()).await;
    assert_eq!(s.logged(), 3);
}

fn task(assignee: &str) -> RecordBody {
    RecordBody::Task(Task {
        assignee: assignee.into(),
        assigned_by: "chief".into(),
        action: TaskAction::Publicity,
        target: None,
        instructions: "到村委会宣讲防范电信诈骗".into(),
        due_at: Utc.with_ymd_and_hms(2026, 12, 5, 10, 0, 0).unwrap(),
        status: TaskStatus::Open,
        completed_by: None,
        cancel_reason: String::new(),
    })
}

#[tokio::test]
async fn only_dispatchers_give_out_tasks_and_the_assignee_only_completes_them() {
    let s = Server::with_people();
    let officer = s.enrol("officer").await;
    let grid = s.enrol("grid").await;
    let chief = s.enrol("chief").await;
    // An officer's device that skips the rule still cannot give out work.
    let (_, own) = officer.create(scope("gucheng", "nanjie"), task("officer"));
    let a = s.sync(&officer, vec![own], start()).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert_eq!(a.error().code, ErrorCode::Forbidden);
    assert!(
        a.error().message.contains("只有所长和县局管理员可以派单"),
        "{}",
        a.error().message
    );
    // The chief can; the officer may complete it, and nothing else.
    let (doc, given) = chief.create(scope("gucheng", "nanjie"), task("officer"));
    s.sync_ok(&chief, vec![given], start()).await;
    let (_, later) = officer.edit(&doc, "data.due_at", json!("2026-12-31T10:00:00Z"));
    assert_eq!(
        s.sync(&officer, vec![later], start()).await.error().code,
        ErrorCode::Forbidden
    );
    let (_, by_grid) = edit_many(
        &grid,
        &doc,
        &[
            ("data.status", json!("done")),
            ("data.completed_by", json!(RecordId::new().to_string())),
        ],
    );
    assert_eq!(
        s.sync(&grid, vec![by_grid], start()).await.error().code,
        ErrorCode::Forbidden
    );
    let (_, done) = edit_many(
        &officer,
        &doc,
        &[
            ("data.status", json!("done")),
            ("data.completed_by", json!(RecordId::new().to_string())),
        ],
    );
    s.sync_ok(&officer, vec![done], start()).await;
    assert_eq!(s.logged(), 2);
}
