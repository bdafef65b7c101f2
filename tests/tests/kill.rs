//! The real server binary is killed with SIGKILL while devices push and pull, many times.
//! After each restart, everything it had acknowledged is still there, and in the end all
//! devices converge with nothing lost. Rounds: `BEATBOOK_KILL_ROUNDS` (default 25).

use std::time::Duration;

use beatbook_model::sample::Sampler;
use beatbook_model::{Body, Role};
use beatbook_server::{AppState, ServerConfig};
use beatbook_tests::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_acknowledged_is_lost_when_the_server_is_killed() {
    let rounds: u64 = std::env::var("BEATBOOK_KILL_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(25);
    let data = tempfile::tempdir().unwrap();
    {
        let state = AppState::open(ServerConfig::new(data.path())).unwrap();
        state.set_county(test_county()).unwrap();
        let server = TestServer::from_state(state);
        server.add_user(
            "officer",
            Role::CommunityOfficer,
            Some("gucheng"),
            &["nanjie"],
        );
        server.add_user("chief", Role::StationChief, Some("gucheng"), &[]);
    }
    let (mut child, url) = start_server_process(data.path(), "127.0.0.1:0");
    let listen = url.trim_start_matches("http://").to_owned();
    let officer = Client::enrol(&url, "officer").await;
    let chief = Client::enrol(&url, "chief").await;
    let mut rng = Sampler::new(7);
    let mut written = 0;
    for round in 0..rounds {
        // New work on both sides, then a sync cut short by SIGKILL at a random moment.
        for _ in 0..(20 + rng.below(60)) {
            officer
                .create(
                    scope("gucheng", "nanjie"),
                    household(&format!("户{written}")),
                )
                .unwrap();
            written += 1;
        }
        chief
            .create(
                scope("gucheng", "nanjie"),
                Body::Dispute(dispute(&format!("第{round}轮"))),
            )
            .unwrap();
        let pending_before = officer.with(|s| s.pending_count().unwrap());
        let sync = {
            let store = officer.store.clone();
            let device = officer.device.clone();
            tokio::spawn(async move {
                let t = beatbook_sync::http::HttpTransport::new(&device).unwrap();
                beatbook_sync::run(&store, &device, &t, |_| {}).await
            })
        };
        tokio::time::sleep(Duration::from_millis(rng.below(30))).await;
        child.kill().unwrap();
        child.wait().unwrap();
        let _ = sync.await.unwrap();
        let acked: Vec<String> = {
            let pending: std::collections::HashSet<_> = officer
                .with(|s| s.pending_changes(100_000).unwrap())
                .into_iter()
                .map(|c| c.record_id.to_string())
                .collect();
            officer
                .record_ids()
                .into_iter()
                .filter(|id| !pending.contains(id))
                .collect()
        };
        assert!(officer.with(|s| s.pending_count().unwrap()) <= pending_before);

        // Restart on the same data and port: every acknowledged record must be there.
        let (c, _) = start_server_process(data.path(), &listen);
        child = c;
        chief
            .sync()
            .await
            .unwrap_or_else(|e| panic!("round {round}: chief sync failed: {e}"));
        let on_server = chief.record_ids();
        for id in &acked {
            assert!(
                on_server.contains(id),
                "round {round}: acknowledged record {id} lost"
            );
        }
    }
    officer.sync().await.unwrap();
    chief.sync().await.unwrap();
    officer.sync().await.unwrap();
    assert_eq!(officer.with(|s| s.pending_count().unwrap()), 0);
    assert_eq!(chief.with(|s| s.pending_count().unwrap()), 0);
    assert_eq!(officer.record_ids(), chief.record_ids());
    assert_eq!(officer.record_ids().len() as u64, written + rounds);
    child.kill().unwrap();
    child.wait().unwrap();
}
