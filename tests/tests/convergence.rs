//! An officer, an auxiliary and the chief edit overlapping records offline and sync in random
//! (seeded) orders through a real server: all end identical, field-level merges are kept and
//! same-field conflicts are visible.

use beatbook_model::sample::Sampler;
use beatbook_model::{Body, DisputeStatus, DisputeType, Role, Session};
use beatbook_tests::*;

async fn converge_with_seed(seed: u64) {
    let server = TestServer::start().await;
    server.add_user(
        "officer",
        Role::CommunityOfficer,
        Some("gucheng"),
        &["nanjie", "beijie"],
    );
    server.add_user("aux", Role::Auxiliary, Some("gucheng"), &["nanjie"]);
    server.add_user("chief", Role::StationChief, Some("gucheng"), &[]);
    let officer = Client::enrol(&server.url, "officer").await;
    let aux = Client::enrol(&server.url, "aux").await;
    let chief = Client::enrol(&server.url, "chief").await;
    let clients = [&officer, &aux, &chief];

    let d = officer
        .create(
            scope("gucheng", "nanjie"),
            Body::Dispute(dispute("宅基地边界争议")),
        )
        .unwrap();
    let h = officer
        .create(scope("gucheng", "nanjie"), household("张三丰"))
        .unwrap();
    officer.sync().await.unwrap();
    aux.sync().await.unwrap();
    chief.sync().await.unwrap();

    // Offline, each edits the same two records.
    let edit_dispute = |c: &Client, f: &dyn Fn(&mut beatbook_model::Dispute)| {
        c.with(|s| {
            let Body::Dispute(mut data) = s.get(d.id).unwrap().unwrap().body else {
                unreachable!()
            };
            f(&mut data);
            s.update(d.id, Body::Dispute(data)).unwrap();
        })
    };
    let append_notes = |c: &Client, text: &str| {
        c.with(|s| {
            let Body::Household(mut data) = s.get(h.id).unwrap().unwrap().body else {
                unreachable!()
            };
            data.notes.push_str(text);
            s.update(h.id, Body::Household(data)).unwrap();
        })
    };
    edit_dispute(&officer, &|x| {
        x.description.push_str("；东邻称围墙越界");
        x.dispute_type = DisputeType::Neighbour;
    });
    edit_dispute(&aux, &|x| {
        x.dispute_type = DisputeType::Debt;
        x.sessions.push(Session {
            held_at: chrono::Utc::now(),
            participants: vec!["村调委会".into()],
            notes: "辅警组织双方座谈".into(),
            outcome: String::new(),
        });
    });
    edit_dispute(&chief, &|x| x.status = DisputeStatus::Mediating);
    append_notes(&officer, "民警走访。");
    append_notes(&aux, "辅警回访。");
    append_notes(&chief, "所长抽查。");

    // Sync in a random order, twice round, so everyone has seen everything.
    let mut rng = Sampler::new(seed);
    let mut order: Vec<usize> = (0..3).chain(0..3).chain(0..3).collect();
    for i in (1..order.len()).rev() {
        order.swap(i, rng.below(i as u64 + 1) as usize);
    }
    for i in order {
        clients[i].sync().await.unwrap();
    }
    for c in clients {
        c.sync().await.unwrap();
    }

    let views: Vec<_> = clients
        .iter()
        .map(|c| c.with(|s| (s.open_record(d.id).unwrap(), s.open_record(h.id).unwrap())))
        .collect();
    for v in &views[1..] {
        assert_eq!(v, &views[0], "seed {seed}: replicas differ");
    }
    let (dv, hv) = &views[0];
    let Body::Dispute(merged) = &dv.record.body else {
        unreachable!()
    };
    assert!(
        merged.description.ends_with("；东邻称围墙越界"),
        "seed {seed}"
    );
    assert_eq!(merged.status, DisputeStatus::Mediating, "seed {seed}");
    assert_eq!(merged.sessions.len(), 1, "seed {seed}");
    assert_eq!(dv.conflicts.len(), 1, "seed {seed}: {:?}", dv.conflicts);
    assert_eq!(dv.conflicts[0].path, "data.dispute_type");
    let Body::Household(hh) = &hv.record.body else {
        unreachable!()
    };
    for part in ["民警走访。", "辅警回访。", "所长抽查。"] {
        assert!(
            hh.notes.contains(part),
            "seed {seed}: {part} lost from {}",
            hh.notes
        );
    }
    assert!(hv.conflicts.is_empty());
    for c in clients {
        assert_eq!(c.with(|s| s.pending_count().unwrap()), 0);
    }

    // Settling the conflict on one device settles it everywhere.
    chief.with(|s| {
        s.resolve(d.id, "data.dispute_type", serde_json::json!("neighbour"))
            .unwrap()
    });
    chief.sync().await.unwrap();
    officer.sync().await.unwrap();
    assert!(officer.with(|s| s.open_record(d.id).unwrap().conflicts.is_empty()));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn officer_auxiliary_and_chief_converge_in_any_order() {
    for seed in [1, 2, 3, 0xBEEF] {
        converge_with_seed(seed).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_with_nothing_new_is_one_small_round_trip() {
    let server = TestServer::start().await;
    server.add_user(
        "officer",
        Role::CommunityOfficer,
        Some("gucheng"),
        &["nanjie"],
    );
    let officer = Client::enrol(&server.url, "officer").await;
    for i in 0..300 {
        officer
            .create(scope("gucheng", "nanjie"), household(&format!("户主{i}")))
            .unwrap();
    }
    let first = officer.sync().await.unwrap();
    assert_eq!(first.pushed, 300);
    let idle = officer.sync().await.unwrap();
    assert_eq!(idle.round_trips, 1);
    assert!(idle.bytes_sent + idle.bytes_received < 1024, "{idle:?}");
    // A device whose store was lost enrols again and gets its whole scope back.
    let replacement = Client::enrol(&server.url, "officer").await;
    let restored = replacement.sync().await.unwrap();
    assert_eq!(restored.pulled_documents, 300, "{restored:?}");
    assert_eq!(replacement.record_ids(), officer.record_ids());
    server.stop().await;
}
