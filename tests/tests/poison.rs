//! One bad record never stops anybody's sync: records planted on the server directly (as a
//! bug, an older server or a hostile peer could leave them) reach every device in scope by
//! both roads — whole documents at a first sync, changes after — and each device keeps them
//! aside as unreadable, finishes its sync, tells its user once and reports them to the server,
//! whose metric the admin reads. Then work goes on as before.

use automerge::AutoCommit;
use beatbook_model::{Kind, RecordId, Role};
use beatbook_server::storage::{NewChange, StoredDocument};
use beatbook_tests::*;
use serde_json::json;

/// Plants `data` as the one change and the document of `record` in 南街村, bypassing every
/// check the push path makes.
fn plant(server: &TestServer, record: RecordId, data: Vec<u8>, device_id: &str) {
    let storage = server.state.storage();
    let mut tx = storage.begin().unwrap();
    let hash = match automerge::Change::from_bytes(data.clone()) {
        Ok(c) => c.hash().0,
        Err(_) => *record.0.as_bytes().repeat(2).first_chunk::<32>().unwrap(),
    };
    let last_seq = tx
        .append_change(&NewChange {
            hash,
            record,
            kind: Kind::Visit,
            scope: scope("gucheng", "nanjie"),
            data: data.clone(),
            signature: vec![0; 64],
            device_id: device_id.to_owned(),
            username: "officer".into(),
            received_at: server.state.now(),
        })
        .unwrap();
    tx.put_document(&StoredDocument {
        record,
        kind: Kind::Visit,
        scope: scope("gucheng", "nanjie"),
        data,
        last_seq,
    })
    .unwrap();
    tx.commit().unwrap();
}

/// The JSON of a valid record with `field` replaced, as one Automerge change.
fn record_with(
    mut json: serde_json::Value,
    id: RecordId,
    field: &str,
    value: serde_json::Value,
) -> Vec<u8> {
    json["id"] = json!(id.to_string());
    json[field] = value;
    let mut doc = AutoCommit::new();
    beatbook_doc::reconcile_root(&mut doc, &json!({}), &json).unwrap();
    doc.commit();
    doc.get_last_local_change().unwrap().bytes().into_owned()
}

async fn reported(url: &str) -> u64 {
    let text = reqwest::get(format!("{url}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("beatbook_unreadable_records_reported_total "))
        .and_then(|n| n.trim().parse().ok())
        .expect("the metric is exposed")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_nobody_can_read_never_stop_a_sync() {
    let server = TestServer::start().await;
    server.add_user(
        "officer",
        Role::CommunityOfficer,
        Some("gucheng"),
        &["nanjie"],
    );
    server.add_user("chief", Role::StationChief, Some("gucheng"), &[]);
    server.add_user("admin", Role::CountyAdmin, None, &[]);
    let officer = Client::enrol(&server.url, "officer").await;
    let home = officer
        .create(scope("gucheng", "nanjie"), household("张三丰"))
        .unwrap();
    officer.sync().await.unwrap();
    let chief = Client::enrol(&server.url, "chief").await;
    chief.sync().await.unwrap();

    // A record from a newer version (a kind this one does not know), one dated in year -1
    // (readable, so listed like any record), and bytes that are no Automerge data at all.
    let template =
        officer.with(|s| serde_json::to_value(s.get(home.id).unwrap().unwrap()).unwrap());
    let future = RecordId::new();
    let negative = RecordId::new();
    let garbage = RecordId::new();
    let dev = &officer.device.device_id;
    let future_bytes = record_with(template.clone(), future, "kind", json!("drone_flight"));
    plant(&server, future, future_bytes.clone(), dev);
    plant(
        &server,
        negative,
        record_with(
            template.clone(),
            negative,
            "created_at",
            json!("-0001-01-01T00:00:00Z"),
        ),
        dev,
    );
    plant(
        &server,
        garbage,
        b"\x85\x6f\x4a\x83\x00garbage".to_vec(),
        dev,
    );

    // Changes for the devices that synced before; whole documents for the ones new now.
    let officer2 = Client::enrol(&server.url, "officer").await;
    let admin = Client::enrol(&server.url, "admin").await;
    for (who, c) in [
        ("officer", &officer),
        ("chief", &chief),
        ("officer2", &officer2),
        ("admin", &admin),
    ] {
        let summary = c.sync().await.unwrap_or_else(|e| panic!("{who}: {e}"));
        assert_eq!(summary.unreadable, 2, "{who}");
        let mut odd: Vec<RecordId> = c
            .with(|s| s.unreadable().unwrap())
            .iter()
            .map(|u| u.id)
            .collect();
        odd.sort();
        let mut want = vec![future, garbage];
        want.sort();
        assert_eq!(odd, want, "{who}");
        let ids = c.record_ids();
        assert!(ids.contains(&home.id.to_string()), "{who}");
        assert!(
            ids.contains(&negative.to_string()),
            "{who}: a readable odd record lists"
        );
        // Told once.
        assert_eq!(
            c.with(|s| s.take_unnotified_unreadable().unwrap().len()),
            2,
            "{who}"
        );
        assert!(
            c.with(|s| s.take_unnotified_unreadable().unwrap().is_empty()),
            "{who}"
        );
        // The future record is kept byte for byte.
        let kept = c.with(|s| s.unreadable_bytes(future).unwrap());
        assert_eq!(
            AutoCommit::load(&kept).unwrap().get_heads(),
            AutoCommit::load(&future_bytes).unwrap().get_heads(),
            "{who}"
        );
    }

    // Each device reports what it cannot read, once; the admin sees it in the metrics.
    let before = reported(&server.url).await;
    for c in [&officer, &chief] {
        let transport = beatbook_sync::http::HttpTransport::new(&c.device).unwrap();
        let n = beatbook_sync::http::report_unreadable(&c.store, &transport)
            .await
            .unwrap();
        assert_eq!(n, 2);
        assert_eq!(
            beatbook_sync::http::report_unreadable(&c.store, &transport)
                .await
                .unwrap(),
            0
        );
    }
    assert_eq!(reported(&server.url).await, before + 4);

    // And work goes on: a new record reaches the chief as before.
    let visit_home = officer
        .create(scope("gucheng", "nanjie"), household("李四"))
        .unwrap();
    officer.sync().await.unwrap();
    chief.sync().await.unwrap();
    assert!(chief.record_ids().contains(&visit_home.id.to_string()));
}
