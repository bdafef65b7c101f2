//! Sustained load on the real server binary: many devices sync over and over for a while,
//! mostly with nothing new, some filing records. Every window of the run prints the syncs
//! done, their p50/p99 time and the server's resident memory, so a long run shows whether
//! latency stays steady and memory flat (figures only; no timing is asserted). What is
//! asserted: no sync fails for good and nothing filed is lost.
//! Scale: `BEATBOOK_LOAD_DEVICES` (default 30), `BEATBOOK_LOAD_SECS` (default 15).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use beatbook_model::sample::Sampler;
use beatbook_model::{Body, Role};
use beatbook_server::{AppState, ServerConfig};
use beatbook_sync::{http::HttpTransport, Backoff};
use beatbook_tests::*;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The server process's resident memory in KiB.
fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

const VILLAGES: [(&str, &str); 3] = [
    ("gucheng", "nanjie"),
    ("gucheng", "beijie"),
    ("liuta", "dongguan"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_devices_sync_for_a_while_and_nothing_is_lost() {
    let devices = env_u64("BEATBOOK_LOAD_DEVICES", 30) as usize;
    let secs = env_u64("BEATBOOK_LOAD_SECS", 15);
    let data = tempfile::tempdir().unwrap();
    {
        let state = AppState::open(ServerConfig::new(data.path())).unwrap();
        state.set_county(test_county()).unwrap();
        let server = TestServer::from_state(state);
        for (station, village) in VILLAGES {
            server.add_user(village, Role::CommunityOfficer, Some(station), &[village]);
        }
        server.add_user("admin", Role::CountyAdmin, None, &[]);
    }
    let (mut child, url) = start_server_process(data.path(), "127.0.0.1:0");
    let pid = child.id();

    let mut clients = Vec::new();
    for i in 0..devices {
        clients.push(Arc::new(
            Client::enrol(&url, VILLAGES[i % VILLAGES.len()].1).await,
        ));
    }
    let rss_start = rss_kib(pid);
    let stop = Arc::new(AtomicBool::new(false));
    let latencies: Arc<Mutex<Vec<Duration>>> = Arc::default();
    let filed = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = tokio::task::JoinSet::new();
    for (i, c) in clients.iter().enumerate() {
        let (c, stop, latencies, filed) =
            (c.clone(), stop.clone(), latencies.clone(), filed.clone());
        tasks.spawn(async move {
            let mut rng = Sampler::new(i as u64);
            let transport = HttpTransport::new(&c.device).unwrap();
            let mut backoff =
                Backoff::with_limits(Duration::from_millis(50), Duration::from_secs(2), i as u64);
            let (station, village) = VILLAGES[i % VILLAGES.len()];
            while !stop.load(Ordering::Relaxed) {
                if rng.below(10) == 0 {
                    let r = c
                        .create(
                            scope(station, village),
                            Body::Household(rng.household("村")),
                        )
                        .unwrap();
                    filed.lock().unwrap().push(r.id.to_string());
                }
                let started = Instant::now();
                beatbook_sync::run_with_retry(
                    &c.store,
                    &c.device,
                    &transport,
                    &mut backoff,
                    100,
                    |_| {},
                )
                .await
                .unwrap_or_else(|e| panic!("device {i}: sync failed for good: {e}"));
                latencies.lock().unwrap().push(started.elapsed());
                tokio::time::sleep(Duration::from_millis(100 + rng.below(400))).await;
            }
        });
    }

    // One line per window: syncs, p50, p99, server memory.
    let window = Duration::from_secs(5.min(secs.max(1)));
    let until = Instant::now() + Duration::from_secs(secs);
    let mut rss_max = rss_start;
    let mut total = 0;
    eprintln!("load: {devices} devices for {secs} s; server RSS at start {rss_start} KiB");
    while Instant::now() < until {
        tokio::time::sleep(window).await;
        let mut lat = std::mem::take(&mut *latencies.lock().unwrap());
        lat.sort();
        total += lat.len();
        let rss = rss_kib(pid);
        rss_max = rss_max.max(rss);
        eprintln!(
            "  window: {:>5} syncs  p50 {:>7.1} ms  p99 {:>7.1} ms  server RSS {rss} KiB",
            lat.len(),
            percentile(&lat, 0.5).as_secs_f64() * 1e3,
            percentile(&lat, 0.99).as_secs_f64() * 1e3,
        );
    }
    stop.store(true, Ordering::Relaxed);
    while let Some(r) = tasks.join_next().await {
        r.unwrap();
    }
    assert!(total > 0, "no sync completed");

    // Nothing lost: every device has sent everything; the county sees every record filed.
    for c in &clients {
        c.sync().await.unwrap();
        assert_eq!(c.with(|s| s.pending_count().unwrap()), 0);
    }
    let admin = Client::enrol(&url, "admin").await;
    admin.sync().await.unwrap();
    let mut want = filed.lock().unwrap().clone();
    want.sort();
    assert_eq!(
        admin.record_ids(),
        want,
        "records filed under load went missing"
    );
    eprintln!(
        "load: {total} syncs, {} records filed, all on the server; server RSS start {rss_start} KiB, max {rss_max} KiB, end {} KiB",
        want.len(),
        rss_kib(pid)
    );
    child.kill().unwrap();
    child.wait().unwrap();
}

/// One signed sync request as the client makes it (nothing pushed), ready to send.
fn idle_request(device: &beatbook_sync::Device) -> (String, String, Vec<u8>) {
    use beatbook_protocol::{encode, request_payload, Cursor, SyncRequest, PROTOCOL_VERSION};
    let body = encode(&SyncRequest {
        protocol: PROTOCOL_VERSION,
        cursor: Cursor::default(),
        push: vec![],
        max_pull_bytes: 1 << 20,
    })
    .unwrap();
    let time = chrono::Utc::now().timestamp_millis();
    let sig = device.key().unwrap().sign(&request_payload(
        "POST",
        "/v1/sync",
        time,
        &device.token,
        &body,
    ));
    (time.to_string(), beatbook_protocol::hex(&sig), body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_thousands_is_shed_or_served_and_loses_nothing() {
    // `BEATBOOK_BURST` requests at once (default 3000, a county's handsets all at once) from
    // 30 devices against the real server binary with its production limits.
    let burst = env_u64("BEATBOOK_BURST", 3000) as usize;
    let data = tempfile::tempdir().unwrap();
    {
        let state = AppState::open(ServerConfig::new(data.path())).unwrap();
        state.set_county(test_county()).unwrap();
        let server = TestServer::from_state(state);
        server.add_user(
            "nanjie",
            Role::CommunityOfficer,
            Some("gucheng"),
            &["nanjie"],
        );
        server.add_user("admin", Role::CountyAdmin, None, &[]);
    }
    let (mut child, url) = start_server_process(data.path(), "127.0.0.1:0");
    let mut clients = Vec::new();
    for i in 0..30 {
        let c = Client::enrol(&url, "nanjie").await;
        c.create(scope("gucheng", "nanjie"), household(&format!("户{i}")))
            .unwrap();
        clients.push(Arc::new(c));
    }

    let mut set = tokio::task::JoinSet::new();
    for i in 0..burst {
        let c = clients[i % clients.len()].clone();
        let url = url.clone();
        set.spawn(async move {
            let (time, sig, body) = idle_request(&c.device);
            let resp = reqwest::Client::new()
                .post(format!("{url}/v1/sync"))
                .bearer_auth(&c.device.token)
                .header(beatbook_protocol::PROTOCOL_HEADER, "1")
                .header(beatbook_protocol::TIME_HEADER, time)
                .header(beatbook_protocol::SIGNATURE_HEADER, sig)
                .body(body)
                .send()
                .await;
            match resp {
                Err(_) => (0u16, false),
                Ok(r) => {
                    let status = r.status().as_u16();
                    let retry_after = r.headers().contains_key("retry-after");
                    let json = r
                        .json::<beatbook_protocol::ApiErrorBody>()
                        .await
                        .is_ok_and(|e| e.code == beatbook_protocol::ErrorCode::Unavailable);
                    (status, status != 503 || (retry_after && json))
                }
            }
        });
    }
    let (mut ok, mut shed, mut cut) = (0, 0, 0);
    while let Some(r) = set.join_next().await {
        let (status, well_formed) = r.unwrap();
        match status {
            200 => ok += 1,
            503 => {
                assert!(well_formed, "a 503 without Retry-After or the JSON error");
                shed += 1
            }
            0 => cut += 1,
            other => panic!("the burst got HTTP {other}, neither served nor shed"),
        }
    }
    assert!(ok > 0, "nothing was served");

    // Afterwards every device's work goes through with the client's own retries.
    for (i, c) in clients.iter().enumerate() {
        let t = HttpTransport::new(&c.device).unwrap();
        let mut backoff =
            Backoff::with_limits(Duration::from_millis(50), Duration::from_secs(2), i as u64);
        beatbook_sync::run_with_retry(&c.store, &c.device, &t, &mut backoff, 50, |_| {})
            .await
            .unwrap();
    }
    let admin = Client::enrol(&url, "admin").await;
    admin.sync().await.unwrap();
    assert_eq!(admin.record_ids().len(), clients.len());
    eprintln!(
        "burst: {burst} requests at once: {ok} served, {shed} shed with 503 + Retry-After, \
         {cut} connections failed (client retries), nothing lost"
    );
    child.kill().unwrap();
    child.wait().unwrap();
}

/// Password hashing must not leave memory behind: every enrolment allocates argon2's 19 MiB
/// block, and glibc used to keep those blocks resident after the first one was freed (the
/// server binary now pins malloc's mmap threshold). Sixteen enrolments at once, against the
/// real binary: without the pin its resident memory grew by about 157 MB, with it by about 2 MB.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enrolments_leave_no_memory_behind() {
    let data = tempfile::tempdir().unwrap();
    {
        let state = AppState::open(ServerConfig::new(data.path())).unwrap();
        state.set_county(test_county()).unwrap();
        let server = TestServer::from_state(state);
        for i in 0..16 {
            server.add_user(
                &format!("officer{i}"),
                Role::CommunityOfficer,
                Some("gucheng"),
                &["nanjie"],
            );
        }
    }
    let (mut child, url) = start_server_process(data.path(), "127.0.0.1:0");
    let pid = child.id();
    // One enrolment first, so the baseline includes the server's warmed-up state.
    let first = Client::enrol(&url, "officer0").await;
    let before = rss_kib(pid);
    let mut enrolments = tokio::task::JoinSet::new();
    for i in 1..16 {
        let url = url.clone();
        enrolments.spawn(async move { Client::enrol(&url, &format!("officer{i}")).await });
    }
    let mut clients = vec![first];
    while let Some(c) = enrolments.join_next().await {
        clients.push(c.unwrap());
    }
    let after = rss_kib(pid);
    child.kill().unwrap();
    child.wait().unwrap();
    eprintln!("enrolments: 16 devices; server RSS {before} KiB → {after} KiB");
    assert!(
        before > 0 && after > 0,
        "could not read the server's memory"
    );
    // Fifteen 19 MiB blocks kept would be 285 MiB; a quarter of one per enrolment is slack.
    let grown = after.saturating_sub(before);
    assert!(
        grown < 15 * 19 * 1024 / 4,
        "the server kept {grown} KiB after 15 enrolments (argon2 blocks stay resident?)"
    );
}
