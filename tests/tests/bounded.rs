//! Issue 13: no small request may cost the server a large amount of memory or time. Crafted
//! changes signed by a real enrolled device (a compressed change that inflates to 256 MiB, a
//! document chunk with a DEFLATE'd column of 256 MiB, a change whose action column claims
//! 2^40 operations) are pushed to the real server binary; each is refused 4xx with its JSON
//! `{code, message}` within a second, the server's peak resident memory stays within a few
//! MiB, and nothing changes. Also: protocol versions the server does not speak get 426 (in
//! the header and in the body), bytes after the request 400, a push of too many changes 413.

use std::time::{Duration, Instant};

use beatbook_model::Role;
use beatbook_protocol::{
    change_payload, encode, request_payload, ApiErrorBody, Cursor, ErrorCode, PushedChange,
    SyncRequest, MAX_PUSHED_CHANGES, PROTOCOL_HEADER, PROTOCOL_VERSION, SIGNATURE_HEADER,
    TIME_HEADER,
};
use beatbook_server::{AppState, ServerConfig};
use beatbook_tests::*;

/// A field of `/proc/<pid>/status` in KiB (`VmRSS`, or `VmHWM`: the peak).
fn status_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Sends `body` to `/v1/sync` signed by `c`, with `protocol` in the header (or none).
async fn send(url: &str, c: &Client, body: Vec<u8>, protocol: Option<&str>) -> (u16, Vec<u8>) {
    let key = c.device.key().unwrap();
    let time = chrono::Utc::now().timestamp_millis();
    let sig = key.sign(&request_payload(
        "POST",
        "/v1/sync",
        time,
        &c.device.token,
        &body,
    ));
    let mut req = reqwest::Client::new()
        .post(format!("{url}/v1/sync"))
        .bearer_auth(&c.device.token)
        .header(TIME_HEADER, time.to_string())
        .header(SIGNATURE_HEADER, beatbook_protocol::hex(&sig));
    if let Some(p) = protocol {
        req = req.header(PROTOCOL_HEADER, p);
    }
    let resp = req.body(body).send().await.unwrap();
    (resp.status().as_u16(), resp.bytes().await.unwrap().to_vec())
}

fn request(push: Vec<PushedChange>, protocol: u32) -> SyncRequest {
    SyncRequest {
        protocol,
        cursor: Cursor::default(),
        push,
        max_pull_bytes: 1 << 20,
    }
}

fn error(status: u16, answer: &[u8]) -> ApiErrorBody {
    serde_json::from_slice(answer).unwrap_or_else(|e| {
        panic!(
            "{status} without a JSON error body ({e}): {}",
            String::from_utf8_lossy(answer)
        )
    })
}

/// The plain (uncompressed) chunk and record of a change `c` has not pushed yet.
fn a_plain_change(c: &Client) -> ([u8; 16], Vec<u8>) {
    c.create(scope("gucheng", "nanjie"), household("张三"))
        .unwrap();
    let pending = c.with(|s| s.pending_changes(1).unwrap());
    let change = automerge::Change::from_bytes(pending[0].bytes.clone()).unwrap();
    (
        *pending[0].record_id.0.as_bytes(),
        change.raw_bytes().to_vec(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn small_requests_cost_the_server_little_memory_and_time() {
    let data = tempfile::tempdir().unwrap();
    {
        let state = AppState::open(ServerConfig::new(data.path())).unwrap();
        state.set_county(test_county()).unwrap();
        let server = TestServer::from_state(state);
        server.add_user("grid", Role::GridWorker, Some("gucheng"), &["nanjie"]);
    }
    let (mut child, url) = start_server_process(data.path(), "127.0.0.1:0");
    let pid = child.id();
    let c = Client::enrol(&url, "grid").await;
    // Warm up: one honest sync each way.
    c.sync().await.unwrap();
    let key = c.device.key().unwrap();
    let (record, plain) = a_plain_change(&c);

    let (bomb, bomb_hash) = beatbook_fuzz::crafted::compressed_change_bomb(&plain, 256 << 20);
    let (runs, runs_hash) = beatbook_fuzz::crafted::run_bomb(&plain);
    let document = beatbook_fuzz::crafted::document_bomb(256 << 20);
    let signed = |change: Vec<u8>, hash: [u8; 32]| PushedChange {
        record,
        signature: key.sign(&change_payload(&hash)).to_vec(),
        change,
    };
    let cases = [
        ("compressed change → 256 MiB", signed(bomb, bomb_hash)),
        ("document column → 256 MiB", signed(document, [0; 32])),
        ("2^40 operations", signed(runs, runs_hash)),
    ];

    // Peak RSS from here on: writing 5 to clear_refs resets the high-water mark (enrolment's
    // password hashing set it well above what the server holds now).
    let reset = std::fs::write(format!("/proc/{pid}/clear_refs"), "5").is_ok();
    let rss_before = status_kib(pid, "VmRSS:");
    let peak_before = if reset {
        status_kib(pid, "VmHWM:")
    } else {
        rss_before
    };
    assert!(
        rss_before > 0 && peak_before > 0,
        "cannot read server memory"
    );
    for (what, pushed) in cases {
        let body = encode(&request(vec![pushed], PROTOCOL_VERSION)).unwrap();
        let started = Instant::now();
        let (status, answer) = send(&url, &c, body.clone(), Some("1")).await;
        let took = started.elapsed();
        let e = error(status, &answer);
        eprintln!(
            "{what}: {} bytes on the wire → {status} {:?} in {took:?}; peak RSS {} KiB",
            body.len(),
            e.code,
            status_kib(pid, "VmHWM:")
        );
        assert!((400..500).contains(&status), "{what}: {status}");
        assert!(
            matches!(e.code, ErrorCode::BadChange | ErrorCode::TooLarge),
            "{what}: {e:?}"
        );
        assert!(
            e.message.contains(" / "),
            "Chinese, then English: {}",
            e.message
        );
        assert!(took < Duration::from_secs(1), "{what} took {took:?}");
    }
    let peak_after = status_kib(pid, "VmHWM:");
    let grown = peak_after.saturating_sub(peak_before);
    eprintln!(
        "server peak RSS {peak_before} → {peak_after} KiB (+{grown}); RSS {rss_before} → {} KiB",
        status_kib(pid, "VmRSS:")
    );
    // Unbounded, the first alone took the server from ~30 MiB to ~780 MiB.
    assert!(
        grown < 16 * 1024,
        "the server's peak RSS grew by {grown} KiB"
    );

    // Nothing was stored: the honest change still syncs, once.
    let summary = c.sync().await.unwrap();
    assert_eq!(summary.pushed, 1);
    child.kill().unwrap();
    child.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protocol_versions_the_server_does_not_speak_get_426() {
    let server = TestServer::start().await;
    server.add_user("grid", Role::GridWorker, Some("gucheng"), &["nanjie"]);
    let c = Client::enrol(&server.url, "grid").await;
    let current = encode(&request(vec![], PROTOCOL_VERSION)).unwrap();

    // In the header: older, newer, none.
    for (header, says) in [
        (Some("0"), "版本过旧"),
        (Some("2"), "升级服务器"),
        (None, "版本过旧"),
    ] {
        let (status, answer) = send(&server.url, &c, current.clone(), header).await;
        assert_eq!(status, 426, "{header:?}");
        let e = error(status, &answer);
        assert_eq!(e.code, ErrorCode::UpgradeRequired);
        assert!(
            e.message.contains(says) && e.message.contains("upgrade"),
            "{header:?}: {}",
            e.message
        );
    }
    // A header that is not a number.
    let (status, answer) = send(&server.url, &c, current.clone(), Some("v1")).await;
    assert_eq!(status, 400);
    assert_eq!(error(status, &answer).code, ErrorCode::BadRequest);

    // In the body, under a current header: older and newer.
    for version in [0, PROTOCOL_VERSION + 1] {
        let body = encode(&request(vec![], version)).unwrap();
        let (status, answer) = send(&server.url, &c, body, Some("1")).await;
        assert_eq!(status, 426, "body protocol {version}");
        assert_eq!(error(status, &answer).code, ErrorCode::UpgradeRequired);
    }

    // The current version, in both, is served.
    let (status, _) = send(&server.url, &c, current, Some("1")).await;
    assert_eq!(status, 200);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bytes_after_the_request_and_too_many_changes_are_refused() {
    let server = TestServer::start().await;
    server.add_user("grid", Role::GridWorker, Some("gucheng"), &["nanjie"]);
    let c = Client::enrol(&server.url, "grid").await;
    c.create(scope("gucheng", "nanjie"), household("李四"))
        .unwrap();
    let key = c.device.key().unwrap();
    let pending = c.with(|s| s.pending_changes(1).unwrap());
    let honest = PushedChange {
        record: *pending[0].record_id.0.as_bytes(),
        signature: key.sign(&change_payload(&pending[0].hash.0)).to_vec(),
        change: pending[0].bytes.clone(),
    };

    // A real push with one stray byte after the message.
    let mut raw = postcard_of(&request(vec![honest.clone()], PROTOCOL_VERSION));
    raw.push(0);
    let body = zstd_compress(&raw);
    let (status, answer) = send(&server.url, &c, body, Some("1")).await;
    assert_eq!(status, 400);
    let e = error(status, &answer);
    assert_eq!(e.code, ErrorCode::BadRequest);
    assert!(e.message.contains("after the message"), "{}", e.message);

    // One change more than a push may carry.
    let push = vec![honest.clone(); MAX_PUSHED_CHANGES + 1];
    let body = encode(&request(push, PROTOCOL_VERSION)).unwrap();
    let (status, answer) = send(&server.url, &c, body, Some("1")).await;
    assert_eq!(status, 413);
    assert_eq!(error(status, &answer).code, ErrorCode::TooLarge);

    // Nothing of either was stored: the change syncs now, once.
    let summary = c.sync().await.unwrap();
    assert_eq!(summary.pushed, 1);
    server.stop().await;
}

/// A message's postcard bytes, as `encode` makes them before compressing.
fn postcard_of(req: &SyncRequest) -> Vec<u8> {
    zstd::bulk::decompress(&encode(req).unwrap(), 1 << 26).unwrap()
}

fn zstd_compress(raw: &[u8]) -> Vec<u8> {
    zstd::bulk::compress(raw, 3).unwrap()
}

/// The most a small push may still cost: changes dense in operations (puts of one key, a few
/// hundred bytes on the wire). One of 99 000 operations is refused for good, naming it (it
/// cost the server 50 MB before the operation budget); one of 19 000 is read and applied
/// (and the record check refuses the result); three of 19 000 are more than one small push
/// may hold (`413`). The server's peak memory grows by about 10 MB at most.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dense_changes_cost_bounded_memory() {
    use automerge::transaction::Transactable;
    let data = tempfile::tempdir().unwrap();
    {
        let state = AppState::open(ServerConfig::new(data.path())).unwrap();
        state.set_county(test_county()).unwrap();
        let server = TestServer::from_state(state);
        server.add_user("grid", Role::GridWorker, Some("gucheng"), &["nanjie"]);
    }
    let (mut child, url) = start_server_process(data.path(), "127.0.0.1:0");
    let pid = child.id();
    let c = Client::enrol(&url, "grid").await;
    c.sync().await.unwrap();
    let key = c.device.key().unwrap();
    let actor = c.with(|s| s.actor().clone());
    // `n` puts of key `k{tag}`, alternating values so that every put is an operation.
    let dense = |tag: usize, n: usize| {
        let mut doc = automerge::AutoCommit::new().with_actor(actor.clone());
        for i in 0..n {
            doc.put(automerge::ROOT, format!("k{tag}"), (i % 2) as i64)
                .unwrap();
        }
        doc.commit();
        let mut change = doc.get_last_local_change().unwrap();
        assert_eq!(change.len(), n);
        PushedChange {
            record: *beatbook_model::RecordId::new().0.as_bytes(),
            signature: key.sign(&change_payload(&change.hash().0)).to_vec(),
            change: change.bytes().into_owned(),
        }
    };
    let _ = std::fs::write(format!("/proc/{pid}/clear_refs"), "5");
    let before = status_kib(pid, "VmHWM:");
    let cases = [
        (
            "1 × 99 000",
            vec![dense(0, 99_000)],
            400,
            ErrorCode::BadChange,
        ),
        (
            "1 × 19 000",
            vec![dense(1, 19_000)],
            400,
            ErrorCode::BadChange,
        ),
        (
            "3 × 19 000",
            (2..5).map(|t| dense(t, 19_000)).collect(),
            413,
            ErrorCode::TooLarge,
        ),
    ];
    for (what, push, want, code) in cases {
        let first = automerge::Change::from_bytes(push[0].change.clone())
            .unwrap()
            .hash();
        let body = encode(&request(push, PROTOCOL_VERSION)).unwrap();
        let started = Instant::now();
        let (status, answer) = send(&url, &c, body.clone(), Some("1")).await;
        let e = error(status, &answer);
        eprintln!(
            "{what} ops: {} bytes → {status} {:?} ({}) in {:?}; peak RSS {before} → {} KiB",
            body.len(),
            e.code,
            e.message,
            started.elapsed(),
            status_kib(pid, "VmHWM:")
        );
        assert_eq!((status, e.code), (want, code), "{what}");
        if code == ErrorCode::BadChange {
            assert_eq!(e.change, Some(beatbook_protocol::hex(&first.0)), "{what}");
        }
    }
    let grown = status_kib(pid, "VmHWM:").saturating_sub(before);
    assert!(grown < 24 * 1024, "peak RSS grew by {grown} KiB");
    child.kill().unwrap();
    child.wait().unwrap();
}
