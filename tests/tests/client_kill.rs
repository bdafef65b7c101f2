//! The real `beatbook sync` command is killed with SIGKILL at random moments while it pushes
//! and pulls, many times. After every kill the device's store opens, keeps every record made
//! on it, and its lists equal its documents; in the end one sync sends everything and the
//! server's log holds each change exactly once. Rounds: `BEATBOOK_CLIENT_KILL_ROUNDS`
//! (default 20).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use beatbook_model::sample::Sampler;
use beatbook_model::{Body, Role};
use beatbook_store::{ListQuery, Store};
use beatbook_tests::*;

/// The `beatbook` command next to this test's own executable, built if missing.
fn cli_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let bin = exe.parent().unwrap().parent().unwrap().join("beatbook");
    if !bin.exists() {
        let status = Command::new(env!("CARGO"))
            .args(["build", "-p", "beatbook-cli", "--bin", "beatbook"])
            .status()
            .unwrap();
        assert!(status.success());
    }
    bin
}

fn beatbook(home: &Path) -> Command {
    let mut cmd = Command::new(cli_binary());
    cmd.env("BEATBOOK_HOME", home)
        .env_remove("BEATBOOK_KEY")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    cmd
}

/// Opens the device's store and checks it: every record made so far is there, and each
/// list row agrees with its document.
fn check_store(home: &Path, made: &[beatbook_model::RecordId], round: u64) {
    let mut store = Store::open(home.join("device.db"), None)
        .unwrap_or_else(|e| panic!("round {round}: the store does not open after a kill: {e}"));
    let listed = store
        .list(&ListQuery {
            include_deleted: true,
            limit: Some(1_000_000),
            ..Default::default()
        })
        .unwrap();
    let docs = store.document_ids().unwrap();
    assert_eq!(listed.len(), docs.len(), "round {round}: rows vs documents");
    for id in made {
        let view = store
            .open_record(*id)
            .unwrap_or_else(|e| panic!("round {round}: record {id} lost: {e}"));
        assert_eq!(store.get(*id).unwrap().as_ref(), Some(&view.record));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_sync_command_loses_nothing() {
    let rounds: u64 = std::env::var("BEATBOOK_CLIENT_KILL_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let server = TestServer::start().await;
    server.add_user(
        "officer",
        Role::CommunityOfficer,
        Some("gucheng"),
        &["nanjie"],
    );
    server.add_user("chief", Role::StationChief, Some("gucheng"), &[]);
    let home = tempfile::tempdir().unwrap();
    let mut login = beatbook(home.path())
        .args(["login", "--server", &server.url, "--username", "officer"])
        .arg("--password-stdin")
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(login.stdin.take().unwrap(), "{PASSWORD}").unwrap();
    let out = login.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let mut rng = Sampler::new(0xC1);
    let mut made = Vec::new();
    let mut killed_mid_sync = 0;
    for round in 0..rounds {
        {
            let mut store = Store::open(home.path().join("device.db"), None).unwrap();
            for _ in 0..10 {
                let mut h = rng.household("南街村");
                h.notes = "走访记录。".repeat(200);
                let r = store
                    .create(
                        &"officer".into(),
                        scope("gucheng", "nanjie"),
                        Body::Household(h),
                    )
                    .unwrap();
                made.push(r.id);
            }
        }
        let mut child = beatbook(home.path()).arg("sync").spawn().unwrap();
        tokio::time::sleep(Duration::from_millis(rng.below(60))).await;
        if child.try_wait().unwrap().is_none() {
            killed_mid_sync += 1;
        }
        child.kill().unwrap();
        child.wait().unwrap();
        check_store(home.path(), &made, round);
    }
    assert!(
        killed_mid_sync > 0,
        "no kill landed during a sync; the test proved nothing"
    );

    // One sync that is left alone sends everything; each change is in the log once.
    let out = beatbook(home.path()).arg("sync").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let store = Store::open(home.path().join("device.db"), None).unwrap();
    assert_eq!(store.pending_count().unwrap(), 0);
    assert!(store.set_aside_changes().unwrap().is_empty());
    drop(store);
    assert_eq!(
        server.state.storage().max_seq().unwrap(),
        made.len() as u64,
        "the server's log holds each change exactly once"
    );
    let chief = Client::enrol(&server.url, "chief").await;
    chief.sync().await.unwrap();
    let mut expected: Vec<String> = made.iter().map(|id| id.to_string()).collect();
    expected.sort();
    assert_eq!(chief.record_ids(), expected);
    eprintln!(
        "client kill: {rounds} kills, {killed_mid_sync} during a sync, {} records, none lost",
        made.len()
    );
    server.stop().await;
}
