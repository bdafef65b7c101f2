//! Hostile clients against a real server: a captured request sent again, an expired token,
//! hostile strings in every text field, slowloris connections, and a burst of devices larger
//! than the server admits at once. Each is refused or absorbed, loses nothing and changes
//! nothing it should not. (Forged and misattributed changes, stolen tokens, revoked devices
//! and password guessing are in `security.rs`; an oversized body in `server/tests/api/auth.rs`;
//! the store file read without its key in `crates/beatbook-store/tests/behaviour.rs`.)

use std::sync::{Arc, Mutex};
use std::time::Duration;

use beatbook_model::sample::Sampler;
use beatbook_model::{Body, Kind, Role};
use beatbook_protocol::{
    encode, request_payload, ApiErrorBody, Cursor, ErrorCode, SyncRequest, PROTOCOL_HEADER,
    PROTOCOL_VERSION, SIGNATURE_HEADER, TIME_HEADER,
};
use beatbook_server::{AppState, HttpLimits, ServerConfig};
use beatbook_store::Store;
use beatbook_sync::{http::HttpTransport, Backoff, SyncError};
use beatbook_tests::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A signed sync request as a client would send it, with its time header.
fn signed(c: &Client, time: i64) -> (String, Vec<u8>) {
    let pending = c.with(|s| s.pending_changes(100).unwrap());
    let key = c.device.key().unwrap();
    let body = encode(&SyncRequest {
        protocol: PROTOCOL_VERSION,
        cursor: Cursor::default(),
        push: pending
            .into_iter()
            .map(|p| beatbook_protocol::PushedChange {
                record: *p.record_id.0.as_bytes(),
                signature: key
                    .sign(&beatbook_protocol::change_payload(&p.hash.0))
                    .to_vec(),
                change: p.bytes,
            })
            .collect(),
        max_pull_bytes: 1 << 20,
    })
    .unwrap();
    let sig = key.sign(&request_payload(
        "POST",
        "/v1/sync",
        time,
        &c.device.token,
        &body,
    ));
    (beatbook_protocol::hex(&sig), body)
}

async fn send(url: &str, c: &Client, time: i64, sig: &str, body: &[u8]) -> (u16, Vec<u8>) {
    let resp = reqwest::Client::new()
        .post(format!("{url}/v1/sync"))
        .bearer_auth(&c.device.token)
        .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
        .header(TIME_HEADER, time.to_string())
        .header(SIGNATURE_HEADER, sig)
        .body(body.to_vec())
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.bytes().await.unwrap().to_vec())
}

/// A server with an officer of 南街 and the chief of 固城, each on a device.
async fn officer_and_chief() -> (TestServer, Client, Client) {
    let server = TestServer::start().await;
    server.add_user(
        "officer",
        Role::CommunityOfficer,
        Some("gucheng"),
        &["nanjie"],
    );
    server.add_user("chief", Role::StationChief, Some("gucheng"), &[]);
    let officer = Client::enrol(&server.url, "officer").await;
    let chief = Client::enrol(&server.url, "chief").await;
    (server, officer, chief)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_request_changes_nothing_and_an_old_one_is_refused() {
    let (server, officer, chief) = officer_and_chief().await;
    officer
        .create(scope("gucheng", "nanjie"), household("张三丰"))
        .unwrap();

    // The same signed request, captured and sent three times: the change is stored once.
    let now = chrono::Utc::now().timestamp_millis();
    let (sig, body) = signed(&officer, now);
    for _ in 0..3 {
        let (status, _) = send(&server.url, &officer, now, &sig, &body).await;
        assert_eq!(status, 200);
    }
    let max_seq = server.state.storage().max_seq().unwrap();
    assert_eq!(max_seq, 1, "one change in the log, however often it came");
    chief.sync().await.unwrap();
    assert_eq!(chief.record_ids(), officer.record_ids());

    // A request captured eleven minutes ago is refused, though its signature is genuine.
    let old = now - 11 * 60 * 1000;
    let (sig, body) = signed(&officer, old);
    let (status, answer) = send(&server.url, &officer, old, &sig, &body).await;
    assert_eq!(status, 401);
    let err: ApiErrorBody = serde_json::from_slice(&answer).unwrap();
    assert_eq!(err.code, ErrorCode::Unauthorized);
    assert!(err.message.contains("10 分钟"), "{}", err.message);
    // The signature covers the time: a fresh time on the old signature does not verify.
    let (status, answer) = send(&server.url, &officer, now, &sig, &body).await;
    assert_eq!(status, 401, "{}", String::from_utf8_lossy(&answer));
    assert_eq!(server.state.storage().max_seq().unwrap(), max_seq);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_token_asks_for_login_and_keeps_the_work() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = ServerConfig::new(dir.path());
    config.token_ttl = chrono::Duration::milliseconds(1);
    let state = AppState::open(config).unwrap();
    state.set_county(test_county()).unwrap();
    let server = TestServer::serve(state, dir).await;
    server.add_user(
        "officer",
        Role::CommunityOfficer,
        Some("gucheng"),
        &["nanjie"],
    );
    let officer = Client::enrol(&server.url, "officer").await;
    officer
        .create(scope("gucheng", "nanjie"), household("李四"))
        .unwrap();
    let err = officer.sync().await.unwrap_err();
    assert!(err.needs_login(), "{err:?}");
    assert_eq!(err.code(), "token_expired");
    assert_eq!(officer.with(|s| s.pending_count().unwrap()), 1, "work kept");
    assert_eq!(
        server.state.storage().max_seq().unwrap(),
        0,
        "nothing applied"
    );
    server.stop().await;
}

/// Strings that break careless SQL, paths, format strings and HTML.
const HOSTILE: [&str; 8] = [
    "Robert'); DROP TABLE records;--",
    "\" OR 1=1 --",
    "../../../../etc/passwd",
    "..\\..\\windows\\system32\\config",
    "%s%s%n%x",
    "<script>alert(1)</script>",
    "'; DELETE FROM changes; SELECT '",
    "名字\u{202e}反转 \t\r\n尾",
];

/// Free-text keys of record data (never ids, enums or times).
const TEXT_KEYS: [&str; 24] = [
    "name",
    "address",
    "notes",
    "description",
    "place",
    "topic",
    "area",
    "text",
    "findings",
    "problems",
    "follow_up",
    "situation",
    "purpose",
    "hazards_found",
    "rectification",
    "instructions",
    "unit_name",
    "item",
    "note",
    "outcome",
    "agreement",
    "clearance_note",
    "cancel_reason",
    "participants",
];

/// Puts `s` in every free-text field, however deep.
fn poison(v: &mut serde_json::Value, s: &str) {
    match v {
        serde_json::Value::Object(map) => {
            for (k, x) in map.iter_mut() {
                if TEXT_KEYS.contains(&k.as_str()) && x.is_string() {
                    *x = serde_json::Value::String(s.to_owned());
                } else {
                    poison(x, s);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(|x| poison(x, s)),
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_strings_in_every_text_field_are_stored_verbatim() {
    let (server, officer, chief) = officer_and_chief().await;
    let mut rng = Sampler::new(8);
    let now = chrono::Utc::now();
    let hh = officer
        .create(scope("gucheng", "nanjie"), household("王五"))
        .unwrap()
        .id;
    let kp = officer
        .create(scope("gucheng", "nanjie"), key_person("赵六", "officer"))
        .unwrap()
        .id;
    let mut made = Vec::new();
    for (i, kind) in Kind::ALL.into_iter().enumerate() {
        let evil = HOSTILE[i % HOSTILE.len()];
        let body = fuzz::new_body(kind, "officer", now, &mut rng, Some(hh), Some(kp)).unwrap();
        let mut data = serde_json::to_value(&body).unwrap()["data"].clone();
        poison(&mut data, evil);
        let body = Body::from_json(kind, data).unwrap();
        // Tasks are given out by the chief (the server refuses an officer's).
        let by = if kind == Kind::Task { &chief } else { &officer };
        let record = by.create(scope("gucheng", "nanjie"), body.clone()).unwrap();
        made.push((record.id, body));
    }
    // The officer's hostile household notes, and the search for them.
    officer.with(|s| {
        let Body::Household(mut h) = s.get(hh).unwrap().unwrap().body else {
            unreachable!()
        };
        h.notes = HOSTILE.join("\n");
        s.update(hh, Body::Household(h)).unwrap();
    });
    officer.sync().await.unwrap();
    chief.sync().await.unwrap();
    officer.sync().await.unwrap();
    for (id, body) in &made {
        let got = chief.with(|s| s.get(*id).unwrap().unwrap());
        assert_eq!(&got.body, body, "{:?} changed on the way", body.kind());
    }
    let Body::Household(h) = chief.with(|s| s.get(hh).unwrap().unwrap().body) else {
        unreachable!()
    };
    assert_eq!(h.notes, HOSTILE.join("\n"));
    let hits = chief.with(|s| s.search("DROP TABLE", 10).unwrap());
    assert!(
        !hits.is_empty(),
        "hostile text is searchable like any other"
    );
    // Nothing broke: the server and both devices still sync and hold everything.
    officer
        .create(scope("gucheng", "nanjie"), household("钱七"))
        .unwrap();
    officer.sync().await.unwrap();
    chief.sync().await.unwrap();
    assert_eq!(chief.record_ids(), officer.record_ids());
    assert_eq!(chief.record_ids().len(), made.len() + 3);
    server.stop().await;
}

/// A server with short connection timeouts and room for `in_flight` syncs at once.
async fn guarded_server(
    limits: HttpLimits,
) -> (String, AppState, tokio::sync::oneshot::Sender<()>) {
    let dir = tempfile::tempdir().unwrap();
    let state = AppState::open(ServerConfig::new(dir.keep())).unwrap();
    state.set_county(test_county()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel();
    tokio::spawn(beatbook_server::serve_with(
        listener,
        state.clone(),
        limits,
        async {
            let _ = rx.await;
        },
    ));
    let server = TestServer::from_state(state.clone());
    for user in ["officer", "aux"] {
        server.add_user(user, Role::CommunityOfficer, Some("gucheng"), &["nanjie"]);
    }
    (url, state, tx)
}

/// Reads until the server closes the connection (or `limit` passes: then it never did).
async fn closed_by_server(stream: &mut tokio::net::TcpStream, limit: Duration) -> bool {
    let mut buf = [0u8; 1024];
    tokio::time::timeout(limit, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_idle_connections_are_dropped_while_others_sync() {
    let limits = HttpLimits {
        header_timeout: Duration::from_millis(500),
        idle_timeout: Duration::from_secs(1),
        ..HttpLimits::default()
    };
    let (url, _state, _stop) = guarded_server(limits).await;
    let addr = url.trim_start_matches("http://").to_owned();

    // Slowloris: headers one byte at a time, never finished.
    let mut slow = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let trickle = async {
        for b in b"POST /v1/sync HTTP/1.1\r\nHost: x\r\nX-Padding: "
            .iter()
            .cycle()
        {
            if slow.write_all(&[*b]).await.is_err() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        false
    };
    let cut = tokio::time::timeout(Duration::from_secs(60), trickle)
        .await
        .expect("the server never cut the slowloris connection");
    assert!(cut);

    // A connection that sends nothing at all is closed too.
    let mut idle = tokio::net::TcpStream::connect(&addr).await.unwrap();
    assert!(closed_by_server(&mut idle, Duration::from_secs(60)).await);

    // Meanwhile a real device enrols and syncs as usual.
    let officer = Client::enrol(&url, "officer").await;
    officer
        .create(scope("gucheng", "nanjie"), household("孙八"))
        .unwrap();
    assert_eq!(officer.sync().await.unwrap().pushed, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_beyond_capacity_gets_503_and_retry_after_and_loses_nothing() {
    let limits = HttpLimits {
        max_syncs_in_flight: 1,
        retry_after_secs: 1,
        ..HttpLimits::default()
    };
    let (url, _state, _stop) = guarded_server(limits).await;
    let officer = Arc::new(Client::enrol(&url, "officer").await);
    let aux = Arc::new(Client::enrol(&url, "aux").await);

    // Many devices at once (two enrolled people, each on many handsets sharing nothing).
    let mut devices = Vec::new();
    for i in 0..24 {
        let dir = tempfile::tempdir().unwrap();
        let template = if i % 2 == 0 { &officer } else { &aux };
        let store = Store::open(dir.path().join("d.db"), None).unwrap();
        let store = Arc::new(Mutex::new(store));
        let device = beatbook_sync::http::enrol(
            &store,
            &url,
            template.device.user.username.as_str(),
            PASSWORD,
            "burst",
        )
        .await
        .unwrap();
        for j in 0..5 {
            let author = device.user.username.as_str().into();
            store
                .lock()
                .unwrap()
                .create(
                    &author,
                    scope("gucheng", "nanjie"),
                    household(&format!("户{i}-{j}")),
                )
                .unwrap();
        }
        devices.push((dir, store, device));
    }

    // A raw look at one refusal: 503, Retry-After, the JSON error.
    let busy = {
        let (_, store, device) = &devices[0];
        let transport = HttpTransport::new(device).unwrap();
        let mut set = tokio::task::JoinSet::new();
        for (_, s, d) in devices.iter().take(8) {
            let (s, d) = (s.clone(), d.clone());
            set.spawn(async move {
                let t = HttpTransport::new(&d).unwrap();
                beatbook_sync::run(&s, &d, &t, |_| {}).await
            });
        }
        let mine = beatbook_sync::run(store, device, &transport, |_| {}).await;
        let mut results = vec![mine];
        while let Some(r) = set.join_next().await {
            results.push(r.unwrap());
        }
        results
    };
    let refused: Vec<&SyncError> = busy.iter().filter_map(|r| r.as_ref().err()).collect();
    for e in &refused {
        assert_eq!(e.code(), "unavailable", "{e:?}");
        assert!(e.is_transient());
    }

    // Everyone retries with backoff until done; nothing is lost.
    let mut set = tokio::task::JoinSet::new();
    for (i, (_, s, d)) in devices.iter().enumerate() {
        let (s, d) = (s.clone(), d.clone());
        set.spawn(async move {
            let t = HttpTransport::new(&d).unwrap();
            let mut backoff = Backoff::with_limits(
                Duration::from_millis(20),
                Duration::from_millis(400),
                i as u64,
            );
            beatbook_sync::run_with_retry(&s, &d, &t, &mut backoff, 1000, |_| {}).await
        });
    }
    while let Some(r) = set.join_next().await {
        r.unwrap().unwrap();
    }
    for (_, s, _) in &devices {
        assert_eq!(s.lock().unwrap().pending_count().unwrap(), 0);
    }
    officer.sync().await.unwrap();
    assert_eq!(officer.record_ids().len(), devices.len() * 5);

    // Shedding showed in the metrics as 503s, answered with Retry-After.
    let metrics = reqwest::get(format!("{url}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let shed_line = metrics
        .lines()
        .find(|l| l.contains("/v1/sync") && l.contains("503"));
    assert!(
        shed_line.is_some() || !refused.is_empty(),
        "a burst of {} devices against 1 slot was never shed:\n{metrics}",
        devices.len()
    );
    let probe = raw_busy_probe(&url, &devices).await;
    assert!(probe, "no 503 carried Retry-After");
}

/// Fires concurrent raw requests until one is shed, and checks that answer's headers and body.
async fn raw_busy_probe(
    url: &str,
    devices: &[(tempfile::TempDir, Arc<Mutex<Store>>, beatbook_sync::Device)],
) -> bool {
    for _ in 0..20 {
        let mut set = tokio::task::JoinSet::new();
        for (_, _, d) in devices {
            let (d, url) = (d.clone(), url.to_owned());
            set.spawn(async move {
                let body = encode(&SyncRequest {
                    protocol: PROTOCOL_VERSION,
                    cursor: Cursor::default(),
                    push: vec![],
                    max_pull_bytes: 1 << 20,
                })
                .unwrap();
                let time = chrono::Utc::now().timestamp_millis();
                let sig = d
                    .key()
                    .unwrap()
                    .sign(&request_payload("POST", "/v1/sync", time, &d.token, &body));
                reqwest::Client::new()
                    .post(format!("{url}/v1/sync"))
                    .bearer_auth(&d.token)
                    .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
                    .header(TIME_HEADER, time.to_string())
                    .header(SIGNATURE_HEADER, beatbook_protocol::hex(&sig))
                    .body(body)
                    .send()
                    .await
                    .unwrap()
            });
        }
        while let Some(r) = set.join_next().await {
            let resp = r.unwrap();
            if resp.status().as_u16() == 503 {
                let retry = resp.headers().get("retry-after").cloned();
                let err: ApiErrorBody = resp.json().await.unwrap();
                assert_eq!(err.code, ErrorCode::Unavailable);
                return retry.is_some_and(|v| v == "1");
            }
        }
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guessing_across_many_usernames_is_limited_by_address() {
    // The limiter sees the client's address through the guarded listener: twenty failed
    // logins from one address under twenty names block the twenty-first, even a right one.
    let server = TestServer::start().await;
    server.add_user(
        "officer",
        Role::CommunityOfficer,
        Some("gucheng"),
        &["nanjie"],
    );
    let store = Mutex::new(Store::open_in_memory(Arc::new(beatbook_model::SystemClock)).unwrap());
    for i in 0..20 {
        let err = beatbook_sync::http::enrol(&store, &server.url, &format!("guess{i}"), "x", "t")
            .await
            .unwrap_err();
        assert_eq!(err.code(), "bad_credentials", "{err:?}");
    }
    let err = beatbook_sync::http::enrol(&store, &server.url, "officer", PASSWORD, "t")
        .await
        .unwrap_err();
    assert_eq!(err.code(), "rate_limited", "{err:?}");
    server.stop().await;
}
