//! Administration, durability across restarts, metrics and the demo seed.

use crate::harness::*;
use axum::http::StatusCode;
use beatbook_model::{Assignment, Role};
use beatbook_server::{NewUser, ServerError};

#[tokio::test]
async fn acknowledged_changes_survive_a_restart() {
    let mut s = Server::with_people();
    let d = s.enrol("officer").await;
    let (_, a) = d.create(scope("gucheng", "nanjie"), household(1));
    let (_, b) = d.create(scope("gucheng", "nanjie"), household(2));
    s.sync_ok(&d, vec![a.clone(), b.clone()], start()).await;
    s.restart();
    assert_eq!(s.logged(), 2);
    assert_eq!(s.state.list_users().unwrap().len(), 5);
    assert_eq!(s.state.county().unwrap(), Some(test_county()));
    // The token still works, and a new device gets both records.
    let res = s.sync_ok(&d, vec![a.clone()], start()).await;
    assert_eq!(res.acked.len(), 1);
    let fresh = s.enrol("chief").await;
    let (pulled, _) = s.pull_all(&fresh, start()).await;
    let mut got = pulled.documents;
    got.sort();
    let mut want = vec![record_of(&a), record_of(&b)];
    want.sort();
    assert_eq!(got, want);
}

#[tokio::test]
async fn metrics_count_requests_changes_and_devices() {
    let s = Server::with_people();
    let d = s.enrol("officer").await;
    let (_, c) = d.create(scope("gucheng", "nanjie"), household(1));
    s.sync_ok(&d, vec![c], start()).await;
    let a = s.get("/metrics").await;
    assert_eq!(a.status, StatusCode::OK);
    let text = a.text();
    for line in [
        "beatbook_requests_total{route=\"/v1/sync\",status=\"200\"} 1",
        "beatbook_requests_total{route=\"/v1/enrol\",status=\"200\"} 1",
        "beatbook_changes_applied_total 1",
        "beatbook_sync_duration_seconds_count 1",
        "beatbook_sync_duration_seconds_bucket{le=\"+Inf\"} 1",
        "beatbook_connected_devices 1",
    ] {
        assert!(text.contains(line), "{line} missing from\n{text}");
    }
    assert!(text.contains("beatbook_sync_duration_seconds_sum "));
}

#[tokio::test]
async fn accounts_are_checked_before_they_are_made() {
    let s = Server::with_people();
    let base = NewUser {
        username: "wang.lei".into(),
        display_name: "王磊".into(),
        password: "long-enough".into(),
        assignment: Assignment {
            role: Role::CommunityOfficer,
            station: Some("gucheng".into()),
            villages: vec!["nanjie".into()],
        },
    };
    let with = |f: &dyn Fn(&mut NewUser)| {
        let mut u = base.clone();
        f(&mut u);
        u
    };
    let invalid = [
        with(&|u| u.username = "Wang Lei".into()),
        with(&|u| u.username = "w".into()),
        with(&|u| u.password = "short".into()),
        with(&|u| u.display_name = " ".into()),
        with(&|u| u.assignment.station = None),
        with(&|u| u.assignment.villages.clear()),
        with(&|u| u.assignment.station = Some("nowhere".into())),
        with(&|u| u.assignment.villages = vec!["dongguan".into()]),
    ];
    for u in invalid {
        let err = s.state.add_user(u.clone()).unwrap_err();
        assert!(matches!(err, ServerError::Invalid(_)), "{u:?}: {err}");
        assert!(err.to_string().contains(" / "), "bilingual: {err}");
    }
    s.state.add_user(base.clone()).unwrap();
    assert!(matches!(
        s.state.add_user(base).unwrap_err(),
        ServerError::UserExists(_)
    ));
    s.state
        .add_user(NewUser {
            username: "chief2".into(),
            display_name: "李所长".into(),
            password: "long-enough".into(),
            assignment: Assignment {
                role: Role::StationChief,
                station: Some("liuta".into()),
                villages: vec![],
            },
        })
        .unwrap();
    assert!(matches!(
        s.state.disable_user("nobody").unwrap_err(),
        ServerError::NoSuchUser(_)
    ));
    assert!(matches!(
        s.state.revoke_device("nope").unwrap_err(),
        ServerError::NoSuchDevice(_)
    ));
}

#[tokio::test]
async fn the_demo_seed_makes_accounts_that_work() {
    let s = Server::empty();
    let state = &s.state;
    let seeded = state.seed_demo().unwrap();
    assert!(
        (200..=600).contains(&seeded.households),
        "{}",
        seeded.households
    );
    let county = state.county().unwrap().unwrap();
    assert!(county.stations.len() >= 5);
    let roles: Vec<Role> = seeded.credentials.iter().map(|c| c.2).collect();
    for role in Role::ALL {
        assert!(roles.contains(&role), "{role:?}");
    }
    assert!(seeded.credentials.iter().all(|c| c.1.len() >= 8));
    assert!(matches!(
        state.seed_demo().unwrap_err(),
        ServerError::AlreadySeeded
    ));

    // An officer and a grid worker log in and receive their villages' records.
    let (officer, password, _, _) = seeded
        .credentials
        .iter()
        .find(|c| c.2 == Role::CommunityOfficer)
        .unwrap();
    let d = s
        .enrol_with(officer, password, automerge::ActorId::random())
        .await
        .ok()
        .unwrap();
    let villages = d.enrolment.user.assignment.villages.clone();
    assert!((2..=3).contains(&villages.len()));
    let (pulled, _) = s.pull_all(&d, start()).await;
    assert!(pulled.documents.len() >= 16, "{}", pulled.documents.len());

    let (grid, password, _, _) = seeded
        .credentials
        .iter()
        .find(|c| c.2 == Role::GridWorker)
        .unwrap();
    let g = s
        .enrol_with(grid, password, automerge::ActorId::random())
        .await
        .ok()
        .unwrap();
    let res = s.sync_ok(&g, vec![], start()).await;
    for doc in &res.documents {
        let doc = automerge::AutoCommit::load(&doc.document).unwrap();
        let (_, kind, scope) = beatbook_doc::read_header(&doc).unwrap();
        assert_eq!(kind, beatbook_model::Kind::Household);
        assert!(g
            .enrolment
            .user
            .assignment
            .villages
            .contains(&scope.village));
    }
}
