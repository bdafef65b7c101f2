//! Authentication of `/v1/sync`, checked in a fixed order, and JSON errors everywhere.

use crate::harness::*;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use beatbook_protocol::{
    encode, hex, ErrorCode, SyncRequest, BINARY_CONTENT_TYPE, MAX_BODY_BYTES, PROTOCOL_VERSION,
};
use chrono::Duration;

#[tokio::test]
async fn a_signed_sync_with_a_good_token_works() {
    let s = Server::with_people();
    let d = s.enrol("officer").await;
    let res = s.sync_ok(&d, vec![], start()).await;
    assert!(res.documents.is_empty() && res.changes.is_empty() && !res.more);
    assert_eq!(
        s.state.list_devices().unwrap()[0].last_seen_at,
        Some(s.now())
    );
}

#[tokio::test]
async fn missing_and_unknown_tokens_are_unauthorized() {
    let s = Server::with_people();
    let a = s
        .send(Request::post("/v1/sync").body(Body::empty()).unwrap())
        .await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(a.error().code, ErrorCode::Unauthorized);

    let mut d = s.enrol("officer").await;
    d.token = hex(&[7; 32]);
    let a = s.sync(&d, vec![], start()).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(a.error().code, ErrorCode::Unauthorized);
}

#[tokio::test]
async fn a_request_signed_by_another_key_is_refused() {
    let s = Server::with_people();
    let mut d = s.enrol("officer").await;
    let other = s.enrol("officer").await;
    d.key = other.key.clone();
    let a = s.sync(&d, vec![], start()).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(a.error().code, ErrorCode::BadSignature);

    // Signed over another body than the one sent.
    let body = encode(&SyncRequest {
        protocol: PROTOCOL_VERSION,
        cursor: start(),
        push: vec![],
        max_pull_bytes: 1000,
    })
    .unwrap();
    let mut req = other.signed(s.now().timestamp_millis(), body.clone(), PROTOCOL_VERSION);
    let mut tampered = body;
    tampered.push(0);
    *req.body_mut() = Body::from(tampered);
    let a = s.send(req).await;
    assert_eq!(a.error().code, ErrorCode::BadSignature);
}

#[tokio::test]
async fn a_device_clock_far_off_is_told_so() {
    let s = Server::with_people();
    let d = s.enrol("officer").await;
    let body = encode(&SyncRequest {
        protocol: PROTOCOL_VERSION,
        cursor: start(),
        push: vec![],
        max_pull_bytes: 1000,
    })
    .unwrap();
    let late = s.now() + Duration::minutes(11);
    let a = s
        .send(d.signed(late.timestamp_millis(), body.clone(), PROTOCOL_VERSION))
        .await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    let e = a.error();
    assert_eq!(e.code, ErrorCode::Unauthorized);
    assert!(
        e.message.contains("时间") && e.message.contains("clock"),
        "{}",
        e.message
    );
    let close = s.now() - Duration::minutes(9);
    let a = s
        .send(d.signed(close.timestamp_millis(), body, PROTOCOL_VERSION))
        .await;
    assert_eq!(a.status, StatusCode::OK);
}

#[tokio::test]
async fn expired_revoked_and_disabled_in_that_order() {
    let s = Server::with_people();
    let d = s.enrol("officer").await;
    s.clock.advance(Duration::days(31));
    let a = s.sync(&d, vec![], start()).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(a.error().code, ErrorCode::TokenExpired);

    // Revoked wins over expired.
    s.state.revoke_device(&d.enrolment.device_id).unwrap();
    let a = s.sync(&d, vec![], start()).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert_eq!(a.error().code, ErrorCode::DeviceRevoked);

    // A disabled account stops its (fresh, valid) devices, before any signature check.
    let mut fresh = s.enrol("officer").await;
    s.state.disable_user("officer").unwrap();
    let a = s.sync(&fresh, vec![], start()).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert_eq!(a.error().code, ErrorCode::AccountDisabled);
    fresh.key = beatbook_protocol::DeviceKey::generate().unwrap();
    let a = s.sync(&fresh, vec![], start()).await;
    assert_eq!(a.error().code, ErrorCode::AccountDisabled);
}

#[tokio::test]
async fn an_old_protocol_gets_426_with_a_json_body() {
    let s = Server::with_people();
    let d = s.enrol("officer").await;
    // Header first: the body is not even read.
    let a = s
        .sync_raw(&d, b"whatever an old client sends".to_vec(), 0)
        .await;
    assert_eq!(a.status, StatusCode::UPGRADE_REQUIRED);
    let e = a.error();
    assert_eq!(e.code, ErrorCode::UpgradeRequired);
    assert!(e.message.contains("升级") && e.message.contains("upgrade"));

    // A current header but an old body.
    let body = encode(&SyncRequest {
        protocol: 0,
        cursor: start(),
        push: vec![],
        max_pull_bytes: 1000,
    })
    .unwrap();
    let a = s.sync_raw(&d, body, PROTOCOL_VERSION).await;
    assert_eq!(a.status, StatusCode::UPGRADE_REQUIRED);
    assert_eq!(a.error().code, ErrorCode::UpgradeRequired);
}

#[tokio::test]
async fn garbage_and_oversized_bodies_are_refused_clearly() {
    let s = Server::with_people();
    let d = s.enrol("officer").await;
    let a = s.sync_raw(&d, b"not zstd".to_vec(), PROTOCOL_VERSION).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(a.error().code, ErrorCode::BadRequest);

    let a = s
        .sync_raw(&d, vec![0; MAX_BODY_BYTES + 1], PROTOCOL_VERSION)
        .await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(a.error().code, ErrorCode::TooLarge);
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_json() {
    let s = Server::new();
    let a = s.get("/nope").await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert_eq!(a.error().code, ErrorCode::NotFound);
    let a = s.get("/v1/sync").await;
    assert_eq!(a.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(a.error().code, ErrorCode::BadRequest);
    let a = s
        .send(
            Request::post("/v1/enrol")
                .header(header::CONTENT_TYPE, BINARY_CONTENT_TYPE)
                .body(Body::from("{not json"))
                .unwrap(),
        )
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(a.error().code, ErrorCode::BadRequest);
    let a = s.get("/healthz").await;
    assert_eq!((a.status, a.text().as_str()), (StatusCode::OK, "ok"));
}
