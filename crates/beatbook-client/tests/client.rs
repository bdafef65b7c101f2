//! The app's use cases against a real server on 127.0.0.1:0: PIN-encrypted store, enrolment
//! errors, field-level validation, two-character search, a dossier, sync and a conflict.

mod common;

use beatbook_client::Client;
use common::server;
use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
async fn an_officer_works_offline_first_and_the_chief_settles_a_conflict() {
    let (url, accounts, _server_dir) = server().await;
    let officer_dir = tempfile::tempdir().unwrap();
    let officer = Client::new(officer_dir.path());

    // A wrong password says so, and leaves no store behind.
    let err = officer
        .enrol(&url, "gucheng.officer1", "wrong", "246810")
        .await
        .unwrap_err();
    assert_eq!(err.code, "bad_credentials");
    assert_eq!(err.message, "用户名或密码错误");
    assert!(!officer.launch_state().has_store);
    // A short PIN is refused at the field.
    let err = officer
        .enrol(
            &url,
            "gucheng.officer1",
            &accounts["gucheng.officer1"],
            "12",
        )
        .await
        .unwrap_err();
    assert_eq!(err.fields[0].field, "pin");

    let state = officer
        .enrol(
            &url,
            "gucheng.officer1",
            &accounts["gucheng.officer1"],
            "246810",
        )
        .await
        .unwrap();
    assert_eq!(state.me.unwrap().role_label, "社区民警");
    officer.sync(|_| {}).await.unwrap();

    // The store is encrypted with the PIN.
    officer.lock();
    assert_eq!(officer.unlock("000000").unwrap_err().code, "wrong_key");
    assert!(officer.unlock("246810").unwrap().unlocked);

    // A wrong check digit is reported at the member's ID number, in Chinese and English.
    let household = json!({
        "address": "固城村三组12号",
        "members": [{"name": "张三丰", "id_number": "110105194912310021", "relation": "head"}],
    });
    let problems = officer.check("household", household.clone()).unwrap();
    assert_eq!(problems[0].field, "members[0].id_number");
    assert!(problems[0].message.contains("校验位错误"), "{problems:?}");
    officer.set_lang("en");
    assert!(officer.check("household", household.clone()).unwrap()[0]
        .message
        .contains("check digit"));
    officer.set_lang("zh");
    let err = officer
        .create("household", Some("guchengcun".into()), household)
        .unwrap_err();
    assert_eq!(err.code, "invalid");

    let h = officer
        .create(
            "household",
            Some("guchengcun".into()),
            json!({
                "address": "固城村三组12号",
                "members": [{"name": "张三丰", "id_number": "11010519491231002X", "phone": "", "relation": "head"}],
            }),
        )
        .unwrap();
    let hits = officer.search("张三", Some("household".into())).unwrap();
    assert!(hits.iter().any(|i| i.id == h.item.id), "{hits:?}");

    // A visit to it and the dispute raised there show on the household's dossier.
    let visit = officer
        .create(
            "visit",
            Some("guchengcun".into()),
            json!({"household": h.item.id, "method": "condolence", "purpose": "留守老人慰问", "place": "村委会"}),
        )
        .unwrap();
    let dispute = officer
        .create(
            "dispute",
            Some("guchengcun".into()),
            json!({"household": h.item.id, "source": visit.item.id, "parties": [{"name": "张三丰"}],
                   "dispute_type": "family", "description": "赡养纠纷"}),
        )
        .unwrap();
    let dossier = officer.dossier(&h.item.id).unwrap();
    let kinds: Vec<&str> = dossier.timeline.iter().map(|i| i.kind.as_str()).collect();
    assert_eq!(kinds, ["visit", "dispute"]);
    // A status move the machine forbids is refused with its label.
    let mut data = dispute.data.clone();
    data["status"] = json!("closed");
    let err = officer.update(&dispute.item.id, data).unwrap_err();
    assert_eq!(err.code, "illegal_transition");
    assert!(err.message.contains("已登记"), "{}", err.message);
    assert!(officer.home().unwrap().sync.pending > 0);
    officer.sync(|_| {}).await.unwrap();
    assert_eq!(officer.home().unwrap().sync.pending, 0);

    // The chief sees it; both change the visit's place; the chief settles the conflict.
    let chief_dir = tempfile::tempdir().unwrap();
    let chief = Client::new(chief_dir.path());
    chief
        .enrol(&url, "gucheng.chief", &accounts["gucheng.chief"], "135790")
        .await
        .unwrap();
    chief.sync(|_| {}).await.unwrap();
    let review = chief.review(Default::default()).unwrap();
    assert!(review
        .items
        .iter()
        .any(|r| r.item.id == visit.item.id && r.author == "gucheng.officer1"));
    let mut mine = visit.data.clone();
    mine["place"] = json!("张三丰家中");
    officer.update(&visit.item.id, mine).unwrap();
    let mut theirs = chief.record(&visit.item.id).unwrap().data;
    theirs["place"] = json!("村委会会议室");
    chief.update(&visit.item.id, theirs.clone()).unwrap();
    officer.sync(|_| {}).await.unwrap();
    chief.sync(|_| {}).await.unwrap();
    let seen = chief.record(&visit.item.id).unwrap();
    assert_eq!(seen.conflicts.len(), 1, "{seen:?}");
    assert_eq!(seen.conflicts[0].path, "data.place");
    assert_eq!(chief.home().unwrap().conflicted.len(), 1);
    // Overwriting the conflicted field without choosing is refused.
    theirs["place"] = json!("别处");
    assert_eq!(
        chief.update(&visit.item.id, theirs).unwrap_err().code,
        "conflict"
    );
    let settled = chief
        .resolve(&visit.item.id, "data.place", json!("张三丰家中"))
        .unwrap();
    assert!(settled.conflicts.is_empty());
    chief.sync(|_| {}).await.unwrap();
    officer.sync(|_| {}).await.unwrap();
    let end = officer.record(&visit.item.id).unwrap();
    assert!(end.conflicts.is_empty());
    assert_eq!(end.data["place"], "张三丰家中");

    // The chief marks the visit reviewed with a comment; the officer may not review.
    assert!(!end.reviewable);
    let err = officer
        .mark_reviewed(&visit.item.id, "自己审自己")
        .unwrap_err();
    assert_eq!(err.code, "review_not_allowed");
    assert!(err.message.contains("所长"), "{}", err.message);
    let err = chief
        .mark_reviewed(&visit.item.id, &"长".repeat(501))
        .unwrap_err();
    assert_eq!(err.fields[0].field, "review.comment");
    let unreviewed = beatbook_client::types::Filter {
        reviewed: Some(false),
        ..Default::default()
    };
    assert!(chief
        .review(unreviewed.clone())
        .unwrap()
        .items
        .iter()
        .any(|r| r.item.id == visit.item.id));
    let before = chief.record(&visit.item.id).unwrap();
    assert!(before.reviewable && before.review.is_none());
    let reviewed = chief
        .mark_reviewed(&visit.item.id, "已阅，请一周内回访")
        .unwrap();
    let note = reviewed.review.clone().unwrap();
    assert_eq!(
        (note.by.as_str(), note.comment.as_str()),
        ("gucheng.chief", "已阅，请一周内回访")
    );
    assert_eq!(
        reviewed.data, before.data,
        "a review leaves the content alone"
    );
    assert!(!chief
        .review(unreviewed)
        .unwrap()
        .items
        .iter()
        .any(|r| r.item.id == visit.item.id));
    let only_reviewed = chief
        .review(beatbook_client::types::Filter {
            reviewed: Some(true),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(only_reviewed.items.len(), 1);
    assert!(only_reviewed.items[0].item.reviewed);
    chief.sync(|_| {}).await.unwrap();
    officer.sync(|_| {}).await.unwrap();
    let seen = officer.record(&visit.item.id).unwrap();
    assert_eq!(seen.review, Some(note));
    assert!(seen.item.reviewed);

    // The chief assigns the officer a task about the household; it reaches the officer's
    // home screen after sync, and leaves it once the chief cancels it.
    assert!(chief
        .colleagues()
        .unwrap()
        .contains(&"gucheng.officer1".to_owned()));
    let due = (chrono::Utc::now() + chrono::Duration::days(2)).to_rfc3339();
    let task = chief
        .create(
            "task",
            Some("guchengcun".into()),
            json!({"assignee": "gucheng.officer1", "action": "visit_household", "target": h.item.id,
                   "instructions": "回访张三丰家", "due_at": due}),
        )
        .unwrap();
    assert_eq!(task.data["assigned_by"], "gucheng.chief");
    chief.sync(|_| {}).await.unwrap();
    officer.sync(|_| {}).await.unwrap();
    let home = officer.home().unwrap();
    let open: Vec<_> = home
        .tasks_today
        .iter()
        .chain(&home.tasks_later)
        .map(|i| i.id.clone())
        .collect();
    assert!(open.contains(&task.item.id), "{home:?}");
    let mut cancelled = task.data.clone();
    cancelled["status"] = json!("cancelled");
    assert_eq!(
        chief
            .update(&task.item.id, cancelled.clone())
            .unwrap_err()
            .fields[0]
            .field,
        "cancel_reason"
    );
    cancelled["cancel_reason"] = json!("已由辅警完成");
    chief.update(&task.item.id, cancelled).unwrap();
    chief.sync(|_| {}).await.unwrap();
    officer.sync(|_| {}).await.unwrap();
    let home = officer.home().unwrap();
    assert!(!home
        .tasks_today
        .iter()
        .chain(&home.tasks_later)
        .any(|i| i.id == task.item.id));
    assert_eq!(
        officer
            .record(&task.item.id)
            .unwrap()
            .item
            .status
            .as_deref(),
        Some("cancelled")
    );
}
