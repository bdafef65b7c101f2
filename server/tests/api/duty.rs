//! `POST /v1/duty-rules`: who may change a station's duty rules, who reads them, and how
//! duplicated, retried and reordered ops converge.

use crate::harness::*;
use axum::http::StatusCode;
use beatbook_model::{DutyRule, RecordId};
use beatbook_protocol::{
    decode, encode, DutyRuleOp, DutyRulesRequest, DutyRulesResponse, ErrorCode, DUTY_RULES_PATH,
    PROTOCOL_VERSION,
};
use chrono::Duration;

fn rule(station: &str, name: &str) -> DutyRule {
    DutyRule::sample(name, station)
}

fn remove(r: &DutyRule) -> DutyRuleOp {
    DutyRuleOp::Remove {
        id: r.id,
        station: r.station.clone(),
    }
}

async fn send(s: &Server, d: &Device, ops: Vec<DutyRuleOp>) -> Answer {
    let body = encode(&DutyRulesRequest {
        protocol: PROTOCOL_VERSION,
        ops,
    })
    .unwrap();
    let req = d.signed_to(
        DUTY_RULES_PATH,
        s.now().timestamp_millis(),
        body,
        PROTOCOL_VERSION,
    );
    s.send(req).await
}

async fn ok(s: &Server, d: &Device, ops: Vec<DutyRuleOp>) -> DutyRulesResponse {
    let a = send(s, d, ops).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    decode(&a.body).unwrap()
}

fn ids(res: &DutyRulesResponse) -> Vec<RecordId> {
    res.rules.iter().map(|r| r.id).collect()
}

#[tokio::test]
async fn a_chiefs_rule_reaches_everyone_of_the_station_and_is_attributed() {
    let s = Server::with_people();
    let chief = s.enrol("chief").await;
    let officer = s.enrol("officer").await;
    let admin = s.enrol("admin").await;
    let liu = s.enrol("liu").await;
    let r = rule("gucheng", "每周核查");

    let res = ok(&s, &chief, vec![DutyRuleOp::Put(r.clone())]).await;
    assert_eq!((res.rules.clone(), res.applied), (vec![r.clone()], 1));
    assert_eq!(ok(&s, &officer, vec![]).await.rules, vec![r.clone()]);
    assert_eq!(ok(&s, &admin, vec![]).await.rules, vec![r.clone()]);
    // Another station's officer sees none of gucheng's rules.
    assert!(ok(&s, &liu, vec![]).await.rules.is_empty());

    let mut tx = s.state.storage().begin().unwrap();
    let row = tx.duty_rule(r.id).unwrap().unwrap();
    assert_eq!(row.updated_by, "chief");
    assert_eq!(row.device, chief.enrolment.device_id);
    assert_eq!(row.updated_at, s.now());
    drop(tx);

    // Removal by the county admin; attributed to the admin; durable across a restart.
    s.clock.advance(Duration::minutes(5));
    let res = ok(&s, &admin, vec![remove(&r)]).await;
    assert!(res.rules.is_empty());
    let mut s = s;
    s.restart();
    assert!(ok(&s, &officer, vec![]).await.rules.is_empty());
    let mut tx = s.state.storage().begin().unwrap();
    let row = tx.duty_rule(r.id).unwrap().unwrap();
    assert!(row.removed);
    assert_eq!(row.updated_by, "admin");
    assert_eq!(row.device, admin.enrolment.device_id);
}

#[tokio::test]
async fn an_officers_op_is_forbidden_and_changes_nothing() {
    let s = Server::with_people();
    let chief = s.enrol("chief").await;
    let kept = rule("gucheng", "每周核查");
    ok(&s, &chief, vec![DutyRuleOp::Put(kept.clone())]).await;
    for who in ["officer", "grid"] {
        let d = s.enrol(who).await;
        let a = send(
            &s,
            &d,
            vec![DutyRuleOp::Put(rule("gucheng", "私加规则")), remove(&kept)],
        )
        .await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{who}");
        let e = a.error();
        assert_eq!(e.code, ErrorCode::Forbidden);
        assert!(
            e.message
                .contains("只有本所所长和县局管理员可以设置值勤规则")
                && e.message
                    .contains("only the station's chief or the county admin"),
            "{}",
            e.message
        );
    }
    assert_eq!(ids(&ok(&s, &chief, vec![]).await), vec![kept.id]);
}

#[tokio::test]
async fn a_chief_changes_only_their_own_station() {
    let s = Server::with_people();
    s.user(
        "liu.chief",
        beatbook_model::Role::StationChief,
        Some("liuta"),
        &[],
    );
    let chief = s.enrol("chief").await;
    let other = s.enrol("liu.chief").await;
    let theirs = rule("liuta", "六塔规则");
    ok(&s, &other, vec![DutyRuleOp::Put(theirs.clone())]).await;

    let a = send(&s, &chief, vec![DutyRuleOp::Put(rule("liuta", "越权"))]).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let a = send(&s, &chief, vec![remove(&theirs)]).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    // Claiming the rule is gucheng's does not help either: the id is liuta's.
    let a = send(
        &s,
        &chief,
        vec![DutyRuleOp::Remove {
            id: theirs.id,
            station: "gucheng".into(),
        }],
    )
    .await;
    assert_eq!(a.status, StatusCode::CONFLICT);
    assert_eq!(ids(&ok(&s, &other, vec![]).await), vec![theirs.id]);

    // The county admin may change any station, and reads every station's rules.
    let admin = s.enrol("admin").await;
    let mine = rule("gucheng", "县局规则");
    let res = ok(&s, &admin, vec![DutyRuleOp::Put(mine.clone())]).await;
    assert_eq!(ids(&res), vec![theirs.id, mine.id]);
}

#[tokio::test]
async fn duplicates_retries_and_reordering_converge() {
    let s = Server::with_people();
    let chief = s.enrol("chief").await;
    let admin = s.enrol("admin").await;
    let a = rule("gucheng", "甲");
    let b = rule("gucheng", "乙");

    // The same put twice, in one request and again in a retry: one rule.
    let res = ok(
        &s,
        &chief,
        vec![DutyRuleOp::Put(a.clone()), DutyRuleOp::Put(a.clone())],
    )
    .await;
    assert_eq!((ids(&res), res.applied), (vec![a.id], 1));
    let res = ok(&s, &chief, vec![DutyRuleOp::Put(a.clone())]).await;
    assert_eq!((ids(&res), res.applied), (vec![a.id], 0));

    // A removal that arrives before its rule wins: the late put stays removed.
    let res = ok(&s, &admin, vec![remove(&b)]).await;
    assert_eq!((ids(&res), res.applied), (vec![a.id], 1));
    let res = ok(&s, &chief, vec![DutyRuleOp::Put(b.clone())]).await;
    assert_eq!((ids(&res), res.applied), (vec![a.id], 0));
    // Removing twice is a no-op; so is a put after the removal.
    ok(&s, &chief, vec![remove(&a)]).await;
    let res = ok(&s, &chief, vec![remove(&a), DutyRuleOp::Put(a.clone())]).await;
    assert_eq!((ids(&res), res.applied), (vec![], 0));
}

#[tokio::test]
async fn a_rule_is_immutable_and_a_bad_one_is_refused_whole() {
    let s = Server::with_people();
    let chief = s.enrol("chief").await;
    let r = rule("gucheng", "每周核查");
    ok(&s, &chief, vec![DutyRuleOp::Put(r.clone())]).await;

    let edited = DutyRule {
        every_days: 14,
        ..r.clone()
    };
    let a = send(&s, &chief, vec![DutyRuleOp::Put(edited)]).await;
    assert_eq!(a.status, StatusCode::CONFLICT);
    assert!(a.error().message.contains("remove it and add a new one"));

    let good = rule("gucheng", "好规则");
    let bad = DutyRule {
        every_days: 0,
        ..rule("gucheng", "坏规则")
    };
    let a = send(
        &s,
        &chief,
        vec![DutyRuleOp::Put(good), DutyRuleOp::Put(bad)],
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    let e = a.error();
    assert_eq!(e.code, ErrorCode::BadRequest);
    assert_eq!(
        e.message,
        "周期须在 1 到 366 天之间（--every-days） / the period must be 1 to 366 days (--every-days)"
    );
    // Nothing of the refused request was stored.
    assert_eq!(ids(&ok(&s, &chief, vec![]).await), vec![r.id]);
}

#[tokio::test]
async fn the_endpoint_checks_signatures_like_sync() {
    let s = Server::with_people();
    let chief = s.enrol("chief").await;
    let body = encode(&DutyRulesRequest {
        protocol: PROTOCOL_VERSION,
        ops: vec![DutyRuleOp::Put(rule("gucheng", "甲"))],
    })
    .unwrap();
    // A request signed for /v1/sync does not verify here.
    let mut req = chief.signed(s.now().timestamp_millis(), body.clone(), PROTOCOL_VERSION);
    *req.uri_mut() = DUTY_RULES_PATH.parse().unwrap();
    let a = s.send(req).await;
    assert_eq!(a.error().code, ErrorCode::BadSignature);
    // A clock off by more than ten minutes.
    let late = s.now() + Duration::minutes(11);
    let a = s
        .send(chief.signed_to(
            DUTY_RULES_PATH,
            late.timestamp_millis(),
            body,
            PROTOCOL_VERSION,
        ))
        .await;
    assert_eq!(a.error().code, ErrorCode::Unauthorized);
    // A revoked device.
    s.state.revoke_device(&chief.enrolment.device_id).unwrap();
    let a = send(&s, &chief, vec![]).await;
    assert_eq!(a.error().code, ErrorCode::DeviceRevoked);
    assert!(ok(&s, &s.enrol("chief").await, vec![])
        .await
        .rules
        .is_empty());
}
