//! Attacks through a real server: forged signatures, a change in another device's name, a
//! stolen token, a revoked device, password guessing. Each is refused and changes nothing.

use beatbook_model::{Body, Role};
use beatbook_protocol::{
    change_payload, encode, request_payload, ApiErrorBody, Cursor, DeviceKey, ErrorCode,
    PushedChange, SyncRequest, PROTOCOL_HEADER, PROTOCOL_VERSION, SIGNATURE_HEADER, TIME_HEADER,
};
use beatbook_sync::SyncError;
use beatbook_tests::*;

/// Sends a hand-made sync request; returns the status and, on error, the JSON body.
async fn raw_sync(
    url: &str,
    token: &str,
    key: &DeviceKey,
    push: Vec<PushedChange>,
) -> (u16, Option<ApiErrorBody>) {
    let body = encode(&SyncRequest {
        protocol: PROTOCOL_VERSION,
        cursor: Cursor::default(),
        push,
        max_pull_bytes: 1 << 20,
    })
    .unwrap();
    let time = chrono::Utc::now().timestamp_millis();
    let sig = key.sign(&request_payload("POST", "/v1/sync", time, token, &body));
    let resp = reqwest::Client::new()
        .post(format!("{url}/v1/sync"))
        .bearer_auth(token)
        .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
        .header(TIME_HEADER, time.to_string())
        .header(SIGNATURE_HEADER, beatbook_protocol::hex(&sig))
        .body(body)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let err = resp.json::<ApiErrorBody>().await.ok();
    (status, err)
}

/// The oldest pending change of a client, signed with `key`.
fn pushed(c: &Client, key: &DeviceKey) -> PushedChange {
    let p = c.with(|s| s.pending_changes(1).unwrap().remove(0));
    PushedChange {
        record: *p.record_id.0.as_bytes(),
        signature: key.sign(&change_payload(&p.hash.0)).to_vec(),
        change: p.bytes,
    }
}

async fn setup() -> (TestServer, Client, Client, Client) {
    let server = TestServer::start().await;
    server.add_user(
        "officer",
        Role::CommunityOfficer,
        Some("gucheng"),
        &["nanjie"],
    );
    server.add_user("aux", Role::Auxiliary, Some("gucheng"), &["nanjie"]);
    server.add_user("chief", Role::StationChief, Some("gucheng"), &[]);
    let officer = Client::enrol(&server.url, "officer").await;
    let aux = Client::enrol(&server.url, "aux").await;
    let chief = Client::enrol(&server.url, "chief").await;
    (server, officer, aux, chief)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_and_misattributed_changes_are_refused_and_apply_nothing() {
    let (server, officer, aux, chief) = setup().await;
    officer
        .create(scope("gucheng", "nanjie"), household("张三丰"))
        .unwrap();
    let officer_key = officer.device.key().unwrap();
    let aux_key = aux.device.key().unwrap();

    // The officer's change signed by a key nobody enrolled.
    let stranger = DeviceKey::generate().unwrap();
    let (status, err) = raw_sync(
        &server.url,
        &officer.device.token,
        &officer_key,
        vec![pushed(&officer, &stranger)],
    )
    .await;
    assert_eq!((status, err.unwrap().code), (403, ErrorCode::BadSignature));

    // The auxiliary relays the officer's change but signs it itself: the change's actor is
    // the officer's device, so only the officer's key may sign it.
    let (status, err) = raw_sync(
        &server.url,
        &aux.device.token,
        &aux_key,
        vec![pushed(&officer, &aux_key)],
    )
    .await;
    assert_eq!((status, err.unwrap().code), (403, ErrorCode::BadSignature));

    // A good change and a forged one in one batch: neither is applied.
    aux.create(scope("gucheng", "nanjie"), household("李四"))
        .unwrap();
    let batch = vec![pushed(&aux, &aux_key), pushed(&officer, &stranger)];
    let (status, _) = raw_sync(&server.url, &aux.device.token, &aux_key, batch).await;
    assert_eq!(status, 403);
    chief.sync().await.unwrap();
    assert!(
        chief.record_ids().is_empty(),
        "a refused batch applied something"
    );

    // Properly signed, both go through.
    officer.sync().await.unwrap();
    aux.sync().await.unwrap();
    chief.sync().await.unwrap();
    assert_eq!(chief.record_ids().len(), 2);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stolen_token_is_useless_without_the_device_key() {
    let (server, officer, aux, _chief) = setup().await;
    officer
        .create(scope("gucheng", "nanjie"), household("张三丰"))
        .unwrap();
    // The auxiliary copies the officer's token but can only sign with its own key.
    let (status, err) = raw_sync(
        &server.url,
        &officer.device.token,
        &aux.device.key().unwrap(),
        vec![],
    )
    .await;
    assert_eq!((status, err.unwrap().code), (401, ErrorCode::BadSignature));
    let (status, err) = raw_sync(
        &server.url,
        "not-a-token",
        &aux.device.key().unwrap(),
        vec![],
    )
    .await;
    assert_eq!((status, err.unwrap().code), (401, ErrorCode::Unauthorized));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_device_receives_nothing_and_cannot_push() {
    let (server, officer, aux, _chief) = setup().await;
    let theirs = aux
        .create(scope("gucheng", "nanjie"), household("李四"))
        .unwrap();
    aux.sync().await.unwrap();
    let device = server
        .state
        .list_devices()
        .unwrap()
        .into_iter()
        .find(|d| d.username == "officer")
        .unwrap();
    server.state.revoke_device(&device.id).unwrap();
    officer
        .create(scope("gucheng", "nanjie"), household("王五"))
        .unwrap();
    let err = officer.sync().await.unwrap_err();
    assert_eq!(err.code(), "device_revoked");
    assert!(err.needs_login());
    assert!(
        !officer.record_ids().contains(&theirs.id.to_string()),
        "a revoked device received a record"
    );
    assert_eq!(
        officer.with(|s| s.pending_count().unwrap()),
        1,
        "the officer's work stays on the handset"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_guessing_is_rate_limited() {
    let server = TestServer::start().await;
    server.add_user(
        "officer",
        Role::CommunityOfficer,
        Some("gucheng"),
        &["nanjie"],
    );
    let store = std::sync::Mutex::new(
        beatbook_store::Store::open_in_memory(std::sync::Arc::new(beatbook_model::SystemClock))
            .unwrap(),
    );
    let mut codes = Vec::new();
    for i in 0..6 {
        let err = beatbook_sync::http::enrol(
            &store,
            &server.url,
            "officer",
            &format!("guess-{i}-xx"),
            "x",
        )
        .await
        .unwrap_err();
        let SyncError::Refused(body) = err else {
            panic!("{err}")
        };
        codes.push(body.code);
    }
    assert_eq!(&codes[..5], &[ErrorCode::BadCredentials; 5]);
    assert_eq!(codes[5], ErrorCode::RateLimited);
    // Even the right password waits now.
    let err = beatbook_sync::http::enrol(&store, &server.url, "officer", PASSWORD, "x")
        .await
        .unwrap_err();
    assert_eq!(err.code(), "rate_limited");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offline_device_keeps_its_work() {
    let (server, officer, _aux, chief) = setup().await;
    server.stop().await;
    let r = officer
        .create(
            scope("gucheng", "nanjie"),
            Body::Dispute(dispute("离线登记")),
        )
        .unwrap();
    let err = officer.sync().await.unwrap_err();
    assert_eq!(err.code(), "offline");
    assert!(err.is_transient());
    assert_eq!(officer.with(|s| s.pending_count().unwrap()), 1);
    assert!(officer.with(|s| s.get(r.id).unwrap()).is_some());
    drop(chief);
}
