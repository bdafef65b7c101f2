//! Enrolment: credentials, the login rate limit, and binding a handset's actor.

use crate::harness::*;
use automerge::ActorId;
use axum::http::StatusCode;
use beatbook_model::Role;
use beatbook_protocol::{hex, EnrolRequest, ErrorCode, PROTOCOL_VERSION};
use chrono::Duration;

#[tokio::test]
async fn enrolment_answers_the_user_county_and_a_token() {
    let s = Server::with_people();
    let d = s.enrol("officer").await;
    let e = &d.enrolment;
    assert_eq!(e.user.username, "officer");
    assert_eq!(e.user.assignment.role, Role::CommunityOfficer);
    assert_eq!(e.county, test_county());
    assert_eq!(e.token.len(), 64);
    assert_eq!(e.expires_at, s.now() + Duration::days(30));
    let devices = s.state.list_devices().unwrap();
    assert_eq!(devices.len(), 1);
    assert_eq!(devices[0].id, e.device_id);
    assert_eq!(devices[0].name, "警务通-0042");
}

#[tokio::test]
async fn wrong_password_and_unknown_user_look_the_same() {
    let s = Server::with_people();
    let wrong = s
        .enrol_with("officer", "not-the-password", ActorId::random())
        .await
        .err()
        .unwrap();
    let unknown = s
        .enrol_with("nobody", PASSWORD, ActorId::random())
        .await
        .err()
        .unwrap();
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.error(), unknown.error());
    assert_eq!(wrong.error().code, ErrorCode::BadCredentials);
}

#[tokio::test]
async fn the_sixth_attempt_is_rate_limited_even_with_the_right_password() {
    let s = Server::with_people();
    for _ in 0..5 {
        let a = s
            .enrol_with("officer", "guess-guess", ActorId::random())
            .await
            .err()
            .unwrap();
        assert_eq!(a.error().code, ErrorCode::BadCredentials);
    }
    let a = s
        .enrol_with("officer", PASSWORD, ActorId::random())
        .await
        .err()
        .unwrap();
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(a.error().code, ErrorCode::RateLimited);
    let retry: u64 = a.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=300).contains(&retry), "{retry}");
    // Another user is not affected; after the window the right password works again.
    s.enrol("chief").await;
    s.clock.advance(Duration::seconds(retry as i64));
    s.enrol("officer").await;
}

#[tokio::test]
async fn malformed_keys_and_old_clients_are_refused() {
    let s = Server::with_people();
    let good = EnrolRequest {
        protocol: PROTOCOL_VERSION,
        username: "officer".into(),
        password: PASSWORD.into(),
        device_name: "警务通".into(),
        public_key: hex(&[1; 32]),
        actor: hex(&[2; 16]),
    };
    for bad in [
        EnrolRequest {
            public_key: hex(&[1; 31]),
            ..good.clone()
        },
        EnrolRequest {
            public_key: "zz".repeat(32),
            ..good.clone()
        },
        EnrolRequest {
            actor: String::new(),
            ..good.clone()
        },
        EnrolRequest {
            actor: hex(&[2; 33]),
            ..good.clone()
        },
    ] {
        let a = s.enrol_raw(&bad).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{bad:?}");
        assert_eq!(a.error().code, ErrorCode::BadRequest);
    }
    let a = s
        .enrol_raw(&EnrolRequest {
            protocol: 0,
            ..good.clone()
        })
        .await;
    assert_eq!(a.status, StatusCode::UPGRADE_REQUIRED);
    assert_eq!(a.error().code, ErrorCode::UpgradeRequired);
    assert_eq!(s.enrol_raw(&good).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_disabled_account_cannot_enrol() {
    let s = Server::with_people();
    s.state.disable_user("officer").unwrap();
    let a = s
        .enrol_with("officer", PASSWORD, ActorId::random())
        .await
        .err()
        .unwrap();
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert_eq!(a.error().code, ErrorCode::AccountDisabled);
}

#[tokio::test]
async fn logging_in_again_on_the_same_store_rebinds_the_actor() {
    let s = Server::with_people();
    let actor = ActorId::random();
    let first = s
        .enrol_with("officer", PASSWORD, actor.clone())
        .await
        .ok()
        .unwrap();
    let second = s
        .enrol_with("officer", PASSWORD, actor.clone())
        .await
        .ok()
        .unwrap();
    assert_ne!(first.enrolment.device_id, second.enrolment.device_id);
    let a = s.sync(&first, vec![], start()).await;
    assert_eq!(a.error().code, ErrorCode::DeviceRevoked);

    // Changes by the actor are now verified with the new device's key.
    let (_, change) = second.create(scope("gucheng", "nanjie"), household(1));
    s.sync_ok(&second, vec![change], start()).await;
    let (_, old_signed) = first.create(scope("gucheng", "nanjie"), household(2));
    let a = s.sync(&second, vec![old_signed], start()).await;
    assert_eq!(a.error().code, ErrorCode::BadSignature);

    let devices = s.state.list_devices().unwrap();
    let old = devices
        .iter()
        .find(|d| d.id == first.enrolment.device_id)
        .unwrap();
    assert!(old.revoked);
}

#[tokio::test]
async fn another_users_actor_is_a_conflict() {
    let s = Server::with_people();
    let actor = ActorId::random();
    s.enrol_with("officer", PASSWORD, actor.clone())
        .await
        .ok()
        .unwrap();
    let a = s.enrol_with("chief", PASSWORD, actor).await.err().unwrap();
    assert_eq!(a.status, StatusCode::CONFLICT);
    assert_eq!(a.error().code, ErrorCode::Conflict);
}

#[tokio::test]
async fn enrolment_lists_the_people_the_user_works_with() {
    let s = Server::with_people();
    s.user("gone", Role::Auxiliary, Some("gucheng"), &["nanjie"]);
    s.state.disable_user("gone").unwrap();
    let names = |d: &Device| {
        let mut n: Vec<String> = d
            .enrolment
            .staff
            .iter()
            .map(|u| u.username.clone())
            .collect();
        n.sort();
        n
    };
    // A chief and an officer see their station's active people, never another station's
    // and never a disabled account; the county admin sees everyone.
    let gucheng = ["chief", "grid", "officer"];
    assert_eq!(names(&s.enrol("chief").await), gucheng);
    assert_eq!(names(&s.enrol("officer").await), gucheng);
    assert_eq!(names(&s.enrol("liu").await), ["liu"]);
    assert_eq!(
        names(&s.enrol("admin").await),
        ["admin", "chief", "grid", "liu", "officer"]
    );
    let chief = s.enrol("chief").await;
    let officer = chief
        .enrolment
        .staff
        .iter()
        .find(|u| u.username == "officer")
        .unwrap();
    assert_eq!(officer.assignment.villages, ["nanjie".into()]);
    assert_eq!(officer.display_name, "测试用户");
}
