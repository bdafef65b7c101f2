//! Keeps the benchmark suite working: every scenario runs end to end at tiny sizes and every
//! figure is produced. Nothing here looks at how fast anything was.

use beatbook_bench::{report, Config};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_produces_its_figures() {
    let exe = std::path::PathBuf::from(env!("CARGO_BIN_EXE_beatbook-bench"));
    let config = Config::tiny(exe);
    let r = beatbook_bench::run_all(&config, "smoke test".into())
        .await
        .expect("the suite runs");

    assert_eq!(r.save.encrypted.n, config.saves);
    assert_eq!(r.save.plain.n, config.saves);
    assert_eq!(r.seeding.records, config.store_records);
    assert_eq!(r.open.records, config.store_records);
    assert!(r.open.rss.after_open > 0);
    assert!(r.open.term2_matches > 0 && r.open.term3_matches > 0);

    assert_eq!(r.initial.len(), config.links.len());
    for s in &r.initial {
        assert_eq!(s.records, config.records);
        assert!(s.round_trips >= 1 && s.body_down > 0 && s.wire.down > s.body_down);
    }
    assert_eq!(r.initial_big.records, config.store_records);
    assert_eq!(r.json_baseline.records, config.records);
    assert!(r.json_baseline.zstd3_bytes > 0);

    assert_eq!(r.reconnect.len(), 2 * config.links.len());
    for c in &r.reconnect {
        assert_eq!(c.sync.documents + c.sync.changes, 0, "nothing new");
    }
    assert_eq!(r.edits.len(), config.edits.len() * config.links.len());
    for e in &r.edits {
        assert_eq!(e.sync.pushed, e.k);
        assert!(e.change_bytes > 0);
    }

    assert_eq!(
        r.automerge.len(),
        config.am_concurrency.len() * config.links.len()
    );
    for a in &r.automerge {
        assert_eq!(a.documents_in_scope, config.records);
        assert!(a.documents > 0 && a.round_trips > a.documents as u64);
    }

    assert_eq!(r.load.phases.len(), 2);
    assert_eq!(r.load.merge.changes, config.load.merge_changes);
    for p in &r.load.phases {
        assert!(p.requests > 0, "{p:?}");
        assert_eq!(p.errors, 0, "{p:?}");
    }
    assert!(r.load.server_rss_peak > 0);

    assert_eq!(r.storage.records, config.storage_records);
    assert!(r.storage.json > 0.0 && r.storage.device.documents > 0.0);
    assert!(r.storage.server.documents > 0.0 && r.storage.server.pieces >= 4.0);

    assert!(r.goals.len() >= 12);
    let md = report::markdown(&r, None, None);
    for section in [
        "## Goals",
        "## 1.",
        "## 2.",
        "## 3.",
        "## 4.",
        "## 5.",
        "## 6.",
        "## 7.",
        "## 8.",
        report::NOTES_START,
    ] {
        assert!(md.contains(section), "{section} missing");
    }
    let json: serde_json::Value = serde_json::from_str(&report::json(&r, None).unwrap()).unwrap();
    assert_eq!(json["goals"].as_array().unwrap().len(), r.goals.len());
}
