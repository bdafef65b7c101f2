//! Station work in the app against a real server on 127.0.0.1:0 and real store files: an
//! officer files hazards, the chief syncs and sees them on the hazards-to-zero board (overdue
//! first), assesses the period by village and officer, exports the XLSX, and dispatches a check
//! of every key person of a village that reaches the officer at the next sync; the officer is
//! refused; bad input says so and writes nothing.

mod common;

use beatbook_client::station::BulkInput;
use beatbook_client::Client;
use beatbook_model::SHANGHAI;
use chrono::{Duration, Utc};
use common::{enrolled, server};
use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
async fn the_chief_sees_hazards_on_the_board_assesses_and_dispatches_checks() {
    let (url, accounts, _server_dir) = server().await;

    let officer_dir = tempfile::tempdir().unwrap();
    let officer = enrolled(&url, &accounts, "gucheng.officer1", officer_dir.path()).await;
    let now = Utc::now();
    let t = |d: chrono::DateTime<Utc>| d.to_rfc3339();
    // Found 3 days ago, due yesterday: overdue. Found 2 days ago, due in a week. Found today,
    // no deadline. A fourth is cleared and leaves the board.
    let hazard = |place: &str, found: i64, deadline: Option<i64>| {
        let mut v = json!({
            "description": format!("{place}电线裸露"),
            "place": place,
            "found_at": t(now - Duration::days(found)),
        });
        if let Some(d) = deadline {
            v["deadline"] = json!(t(now + Duration::days(d)));
        }
        officer
            .create("hazard", Some("guchengcun".into()), v)
            .unwrap()
            .item
            .id
    };
    let late = hazard("村委会东侧", 3, Some(-1));
    let soon = hazard("三组路口", 2, Some(7));
    let open = hazard("小学门口", 0, None);
    let cleared = hazard("菜市场", 1, None);
    let mut data = officer.record(&cleared).unwrap().data;
    data["status"] = json!("rectifying");
    officer.update(&cleared, data.clone()).unwrap();
    data["status"] = json!("cleared");
    data["cleared_at"] = json!(t(now));
    data["clearance_note"] = json!("已更换线路");
    // Clearing says who cleared it: refused without, and nothing changes.
    let err = officer.update(&cleared, data.clone()).unwrap_err();
    assert_eq!(err.code, "invalid");
    assert_eq!(
        officer.record(&cleared).unwrap().data["status"],
        "rectifying"
    );
    data["cleared_by"] = json!("gucheng.officer1");
    officer.update(&cleared, data).unwrap();

    // The board is for chiefs.
    assert_eq!(officer.board().unwrap_err().code, "forbidden");
    officer.sync(|_| {}).await.unwrap();

    let chief_dir = tempfile::tempdir().unwrap();
    let chief = enrolled(&url, &accounts, "gucheng.chief", chief_dir.path()).await;
    chief.sync(|_| {}).await.unwrap();

    let board = chief.board().unwrap();
    assert_eq!(board.villages.len(), 1);
    let v = &board.villages[0];
    assert_eq!(v.village, "guchengcun");
    assert_eq!(v.village_name, "固城村");
    assert_eq!(v.overdue, 1);
    let ids: Vec<&str> = v.rows.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, [late.as_str(), soon.as_str(), open.as_str()]);
    assert_eq!(v.rows[0].overdue_days, Some(1));
    assert_eq!(v.rows[0].age_days, 3);
    assert_eq!(v.rows[0].status_label, "待整改");
    assert!(v.rows[0].deadline_local.is_some());
    assert_eq!(v.rows[1].overdue_days, None);
    assert_eq!(v.rows[2].deadline_local, None);

    // This week and the previous one, in Shanghai days: every hazard was found in it.
    let today = now.with_timezone(&SHANGHAI).date_naive();
    let from = (today - Duration::days(13)).to_string();
    let to = today.to_string();
    let a = chief.assess(&from, &to, "village").unwrap();
    assert_eq!(a.by, "village");
    assert_eq!(a.rows.len(), 1);
    assert_eq!(a.rows[0].label, "固城村");
    assert_eq!(a.rows[0].figures.hazards_found, 4);
    assert_eq!(a.rows[0].figures.hazards_cleared, 1);
    assert_eq!(a.header[0], "村");
    assert_eq!(a.cells.len(), 2, "one village and the total");
    assert_eq!(a.cells[1][0], "合计");
    assert!(a.last_sync_local.is_some());
    assert!(a.newest_record_local.is_some());

    let by_officer = chief.assess(&from, &to, "officer").unwrap();
    assert_eq!(by_officer.rows[0].key, "gucheng.officer1");
    assert_eq!(by_officer.total.hazards_found, 4);

    // A period before any of it counts nothing.
    let before = (today - Duration::days(30)).to_string();
    let empty = chief
        .assess(
            &before,
            &(today - Duration::days(20)).to_string(),
            "village",
        )
        .unwrap();
    assert!(empty.rows.is_empty());
    assert_eq!(empty.total.hazards_found, 0);

    // Export: an xlsx (a zip) at the path given.
    let out = chief_dir.path().join("考核.xlsx");
    let written = chief
        .export_assessment(&from, &to, "village", out.to_str().unwrap())
        .unwrap();
    assert_eq!(written, out.to_str().unwrap());
    assert!(std::fs::read(&out).unwrap().starts_with(b"PK"));

    // Bad input says so and writes nothing.
    let bad = chief_dir.path().join("bad.xlsx");
    let err = chief
        .export_assessment("2026-13-01", &to, "village", bad.to_str().unwrap())
        .unwrap_err();
    assert_eq!(err.code, "bad_date");
    assert!(!bad.exists());

    // The chief clears the overdue hazard from the board (the app's quick step: rectify, then
    // clear with a note, as the chief): it leaves the board, and the clearing is the chief's.
    let mut data = chief.record(&late).unwrap().data;
    data["status"] = json!("rectifying");
    chief.update(&late, data.clone()).unwrap();
    data["status"] = json!("cleared");
    data["cleared_at"] = json!(t(Utc::now()));
    data["clearance_note"] = json!("已加装护栏");
    data["cleared_by"] = json!("gucheng.chief");
    chief.update(&late, data).unwrap();
    let ids: Vec<String> = chief.board().unwrap().villages[0]
        .rows
        .iter()
        .map(|r| r.id.clone())
        .collect();
    assert_eq!(ids, [soon.clone(), open.clone()]);
    let by_officer = chief.assess(&from, &to, "officer").unwrap();
    let cleared_by = |who: &str| {
        by_officer
            .rows
            .iter()
            .find(|r| r.key == who)
            .map_or(0, |r| r.figures.hazards_cleared)
    };
    assert_eq!(
        (cleared_by("gucheng.officer1"), cleared_by("gucheng.chief")),
        (1, 1)
    );
    chief.sync(|_| {}).await.unwrap();
    officer.sync(|_| {}).await.unwrap();
    assert_eq!(
        officer.record(&late).unwrap().data["cleared_by"],
        "gucheng.chief"
    );
    assert_eq!(
        chief.assess(&to, &from, "village").unwrap_err().code,
        "bad_period"
    );
    assert_eq!(chief.assess(&from, &to, "team").unwrap_err().code, "bad_by");
    assert_eq!(
        chief
            .export_assessment(&from, &to, "village", "  ")
            .unwrap_err()
            .code,
        "path_required"
    );

    // Dispatch: every key person of 固城村 checked by the end of next week, each by their
    // responsible officer from the staff list fetched at login.
    let staff = chief.staff().unwrap();
    assert!(
        staff.iter().any(|m| m.user == "gucheng.officer1"),
        "{staff:?}"
    );
    assert!(staff.iter().all(|m| m.role_label != "所长"));
    assert_eq!(officer.staff().unwrap_err().code, "forbidden");
    assert!(chief
        .dispatch_actions()
        .iter()
        .any(|a| a.code == "check_key_person" && a.label.contains("重点人员")));
    let order = |village: &str, action: &str| BulkInput {
        action: action.into(),
        villages: vec![village.into()],
        assignee: None,
        due: (today + Duration::days(7)).to_string(),
        instructions: String::new(),
    };
    let first = chief
        .bulk_dispatch(order("guchengcun", "check_key_person"))
        .unwrap();
    assert!(!first.created.is_empty());
    assert_eq!(first.already_open, 0);
    let task = chief.record(&first.created[0]).unwrap();
    assert_eq!(task.item.kind, "task");
    assert_eq!(task.data["assignee"], "gucheng.officer1");
    // The same order again gives nothing new.
    let again = chief
        .bulk_dispatch(order("guchengcun", "check_key_person"))
        .unwrap();
    assert!(again.created.is_empty());
    assert_eq!(again.already_open as usize, first.created.len());
    assert_eq!(
        chief
            .bulk_dispatch(order("guchengcun", "dance"))
            .unwrap_err()
            .code,
        "bad_action"
    );
    assert_eq!(
        chief
            .bulk_dispatch(order("not-my-village", "check_key_person"))
            .unwrap_err()
            .code,
        "out_of_scope"
    );
    let mut past = order("guchengcun", "follow_hazard");
    past.due = (today - Duration::days(1)).to_string();
    past.assignee = Some("gucheng.officer1".into());
    assert_eq!(chief.bulk_dispatch(past).unwrap_err().code, "due_in_past");
    // The officer gets the tasks at the next sync.
    chief.sync(|_| {}).await.unwrap();
    officer.sync(|_| {}).await.unwrap();
    assert_eq!(
        officer.record(&first.created[0]).unwrap().data["action"],
        "check_key_person"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_chief_sets_duty_rules_in_the_app_and_they_make_tasks_that_reach_the_officer() {
    use beatbook_client::station::DutyRuleInput;
    let (url, accounts, _server_dir) = server().await;
    let chief_dir = tempfile::tempdir().unwrap();
    let chief = enrolled(&url, &accounts, "gucheng.chief", chief_dir.path()).await;
    let officer_dir = tempfile::tempdir().unwrap();
    let officer = enrolled(&url, &accounts, "gucheng.officer1", officer_dir.path()).await;
    chief.sync(|_| {}).await.unwrap();

    let today = Utc::now().with_timezone(&SHANGHAI).date_naive().to_string();
    let input = |name: &str, action: &str, every_days: u32| DutyRuleInput {
        name: name.into(),
        action: action.into(),
        every_days,
        villages: vec![],
        categories: vec![],
        min_risk: None,
        assignee: None,
        starts_on: today.clone(),
    };
    let empty = chief.duty_rules().unwrap();
    assert!(empty.rules.is_empty() && empty.editable);
    assert_eq!(empty.actions.len(), 2);

    // Bad rules are refused and nothing is kept.
    let err = chief
        .add_duty_rule(input("每周核查", "check_key_person", 0))
        .unwrap_err();
    assert_eq!(err.code, "bad_rule");
    let err = chief
        .add_duty_rule(input("每户走访", "visit_household", 30))
        .unwrap_err();
    assert_eq!(err.code, "bad_rule", "a household rule needs an assignee");
    let err = chief.add_duty_rule(input("巡逻", "patrol", 7)).unwrap_err();
    assert_eq!(err.code, "not_selectable");
    let mut elsewhere = input("外所", "check_key_person", 7);
    elsewhere.villages = vec!["dongguan".into()];
    assert_eq!(
        chief.add_duty_rule(elsewhere).unwrap_err().code,
        "out_of_scope"
    );
    assert!(chief.duty_rules().unwrap().rules.is_empty());
    // Officers neither read nor set them here.
    assert_eq!(officer.duty_rules().unwrap_err().code, "forbidden");
    assert_eq!(
        officer
            .add_duty_rule(input("x", "check_key_person", 7))
            .unwrap_err()
            .code,
        "duty_rules_not_allowed"
    );

    // A weekly check of every key person: kept at once, waiting for the next sync.
    let view = chief
        .add_duty_rule(input("重点人员每周核查", "check_key_person", 7))
        .unwrap();
    assert_eq!(view.rules.len(), 1);
    assert_eq!(view.rules[0].name, "重点人员每周核查");
    assert_eq!(view.rules[0].action_label, "核查重点人员");
    assert!(view.rules[0].waiting);
    assert_eq!(view.waiting, 1);

    // Running it makes one task per key person of the station; a second run makes none.
    let run = chief.run_duty_rules().unwrap();
    assert!(run.created >= 1, "{run:?}");
    let again = chief.run_duty_rules().unwrap();
    assert_eq!((again.created, again.existing), (0, run.created));

    // The sync sends the rule; this period's tasks exist already, so it makes none.
    let report = chief.sync(|_| {}).await.unwrap();
    assert_eq!(report.generated, 0);
    assert_eq!(chief.duty_rules().unwrap().waiting, 0);
    assert!(!chief.duty_rules().unwrap().rules[0].waiting);
    officer.sync(|_| {}).await.unwrap();
    // The demo county's key persons are in the responsible officer's villages.
    let tasks = tasks_of(&officer);
    assert_eq!(tasks.len(), run.created as usize, "{tasks:?}");

    // A monthly visit of every household of 固城村 by the officer: nobody presses anything —
    // the chief's next sync makes the tasks and sends them, and the officer receives them.
    let mut visits = input("每户每月走访", "visit_household", 30);
    visits.villages = vec!["guchengcun".into()];
    visits.assignee = Some("gucheng.officer1".into());
    chief.add_duty_rule(visits).unwrap();
    let report = chief.sync(|_| {}).await.unwrap();
    assert!(report.generated > 0, "{report:?}");
    assert_eq!(
        chief.sync_state().unwrap().pending,
        0,
        "sent in the same sync"
    );
    officer.sync(|_| {}).await.unwrap();
    let tasks = tasks_of(&officer);
    assert_eq!(tasks.len(), (run.created + report.generated) as usize);
    // Syncing again makes nothing new.
    assert_eq!(chief.sync(|_| {}).await.unwrap().generated, 0);

    // Removing them: gone here, and from the server at the next sync.
    for rule in chief.duty_rules().unwrap().rules {
        chief.remove_duty_rule(&rule.id).unwrap();
    }
    assert!(chief.duty_rules().unwrap().rules.is_empty());
    chief.sync(|_| {}).await.unwrap();
    let other_dir = tempfile::tempdir().unwrap();
    let other = enrolled(&url, &accounts, "gucheng.chief", other_dir.path()).await;
    other.sync(|_| {}).await.unwrap();
    assert!(other.duty_rules().unwrap().rules.is_empty());
}

/// Every task on `client`'s device.
fn tasks_of(client: &Client) -> Vec<beatbook_client::types::Item> {
    client
        .list(beatbook_client::types::Filter {
            kind: Some("task".into()),
            ..Default::default()
        })
        .unwrap()
}
