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
