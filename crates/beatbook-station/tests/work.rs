//! Station work through a real (in-memory SQLite) store on a clock the test steps: duty rules
//! across weeks, bulk dispatch, the board's order, and an assessment against a fixture whose
//! expected figures are written out by hand.

use beatbook_model::*;
use beatbook_station::*;
use beatbook_store::Store;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use std::sync::{Arc, Mutex};

/// A clock the test moves forward.
struct Stepped(Mutex<DateTime<Utc>>);
impl Clock for Stepped {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}
impl Stepped {
    fn set(&self, t: DateTime<Utc>) {
        *self.0.lock().unwrap() = t;
    }
}

/// `YYYY-MM-DD HH:MM` in Asia/Shanghai.
fn local(s: &str) -> DateTime<Utc> {
    let naive = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
    SHANGHAI.from_local_datetime(&naive).unwrap().to_utc()
}

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn scope(v: &str) -> Scope {
    Scope {
        station: "gucheng".into(),
        village: v.into(),
    }
}

fn roster() -> Roster {
    let m = |user: &str, name: &str, role, villages: &[&str]| Staff {
        user: user.into(),
        name: name.into(),
        assignment: Assignment {
            role,
            station: Some("gucheng".into()),
            villages: villages.iter().map(|v| (*v).into()).collect(),
        },
    };
    Roster {
        members: vec![
            m("li", "李强", Role::CommunityOfficer, &["nanjie"]),
            m("zhao", "赵敏", Role::CommunityOfficer, &["beijie"]),
            m("aux", "孙辅", Role::Auxiliary, &["nanjie"]),
            m("grid", "网格员", Role::GridWorker, &["nanjie"]),
        ],
    }
}

fn setup(start: &str) -> (Store, Arc<Stepped>) {
    let clock = Arc::new(Stepped(Mutex::new(local(start))));
    let store = Store::open_in_memory(clock.clone()).unwrap();
    (store, clock)
}

fn key_person(name: &str, officer: &str, category: KeyPersonCategory, risk: RiskLevel) -> Body {
    Body::KeyPerson(KeyPerson {
        name: name.into(),
        id_number: "11010519491231002X".into(),
        phone: None,
        address: String::new(),
        household: None,
        category,
        risk_level: risk,
        responsible_officer: officer.into(),
        notes: String::new(),
    })
}

/// A key person: high risk ones are drug-related, the others petitioners.
fn kp(store: &mut Store, village: &str, name: &str, officer: &str, risk: RiskLevel) -> Record {
    let category = if risk == RiskLevel::High {
        KeyPersonCategory::DrugRelated
    } else {
        KeyPersonCategory::Petitioner
    };
    store
        .create(
            &chief(),
            scope(village),
            key_person(name, officer, category, risk),
        )
        .unwrap()
}

fn household(head: &str) -> Body {
    Body::Household(Household {
        address: format!("{head}家"),
        members: vec![beatbook_model::Member {
            name: head.into(),
            id_number: None,
            phone: None,
            relation: Relation::Head,
        }],
        tags: vec![],
        notes: String::new(),
    })
}

fn tasks(store: &Store) -> Vec<(String, Task)> {
    let q = beatbook_store::ListQuery {
        kind: Some(Kind::Task),
        ..Default::default()
    };
    let mut out: Vec<(String, Task)> = store
        .list(&q)
        .unwrap()
        .into_iter()
        .map(|s| match store.get(s.id).unwrap().unwrap().body {
            Body::Task(t) => (s.title, t),
            _ => unreachable!(),
        })
        .collect();
    out.sort_by_key(|(_, t)| (t.due_at, t.assignee.clone(), t.target));
    out
}

fn chief() -> UserId {
    "chief".into()
}

/// The station's chief as a dispatcher.
fn lead() -> Staff {
    Staff {
        user: chief(),
        name: "王所长".into(),
        assignment: Assignment {
            role: Role::StationChief,
            station: Some("gucheng".into()),
            villages: vec![],
        },
    }
}

#[test]
fn duty_rules_make_one_task_per_target_per_period_across_weeks() {
    // Monday 2026-11-02 08:00.
    let (mut store, clock) = setup("2026-11-02 08:00");
    let high = kp(&mut store, "nanjie", "王五", "li", RiskLevel::High);
    let low = kp(&mut store, "nanjie", "钱七", "li", RiskLevel::Low);
    let north = kp(&mut store, "beijie", "周八", "zhao", RiskLevel::High);
    let home = store
        .create(&chief(), scope("nanjie"), household("张三丰"))
        .unwrap();
    let rule = |name: &str, action, every_days, min_risk, assignee: Option<&str>| DutyRule {
        id: RecordId::new(),
        name: name.into(),
        station: "gucheng".into(),
        villages: vec![],
        action,
        every_days,
        categories: vec![],
        min_risk,
        assignee: assignee.map(UserId::from),
        starts_on: day("2026-11-02"),
        created_by: chief(),
        created_at: clock.now(),
    };
    // High-risk key persons weekly (王五, 周八); every household every 14 days by the auxiliary.
    RuleBook::add(
        &mut store,
        rule(
            "高风险每周核查",
            TaskAction::CheckKeyPerson,
            7,
            Some(RiskLevel::High),
            None,
        ),
    )
    .unwrap();
    RuleBook::add(
        &mut store,
        rule(
            "每两周走访",
            TaskAction::VisitHousehold,
            14,
            None,
            Some("aux"),
        ),
    )
    .unwrap();
    let bad = rule("坏规则", TaskAction::VisitHousehold, 0, None, Some("aux"));
    assert_eq!(
        RuleBook::add(&mut store, bad).unwrap_err().code(),
        "bad_rule"
    );

    let roster = roster();
    let week1 = duty::run(&mut store, &roster, &lead(), clock.as_ref()).unwrap();
    assert_eq!(week1.created.len(), 3, "王五, 周八 and 张三丰's household");
    // Running again, or later the same week, is a no-op.
    clock.set(local("2026-11-06 17:00"));
    let again = duty::run(&mut store, &roster, &lead(), clock.as_ref()).unwrap();
    assert!(again.created.is_empty());
    assert_eq!(again.existing, 3);

    // Week 2: a new check each for 王五 and 周八; the household's 14-day period runs on.
    clock.set(local("2026-11-09 00:00"));
    let week2 = duty::run(&mut store, &roster, &lead(), clock.as_ref()).unwrap();
    let targets: Vec<_> = week2
        .created
        .iter()
        .map(|r| match &r.body {
            Body::Task(t) => t.target.unwrap(),
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(targets.len(), 2);
    assert!(targets.contains(&high.id) && targets.contains(&north.id));
    assert!(
        !targets.contains(&low.id),
        "low risk is not covered by the rule"
    );

    // Week 3 (a new 14-day period for households too); run twice.
    clock.set(local("2026-11-16 09:00"));
    assert_eq!(
        duty::run(&mut store, &roster, &lead(), clock.as_ref())
            .unwrap()
            .created
            .len(),
        3
    );
    assert!(duty::run(&mut store, &roster, &lead(), clock.as_ref())
        .unwrap()
        .created
        .is_empty());

    let all = tasks(&store);
    let summary: Vec<(String, String, String)> = all
        .iter()
        .map(|(_, t)| {
            (
                period::local_day(t.due_at).to_string(),
                t.assignee.to_string(),
                store.get(t.target.unwrap()).unwrap().unwrap().body.title(),
            )
        })
        .collect();
    let expected: Vec<(String, String, String)> = [
        ("2026-11-08", "li", "王五"),
        ("2026-11-08", "zhao", "周八"),
        ("2026-11-15", "aux", "张三丰 · 张三丰家"),
        ("2026-11-15", "li", "王五"),
        ("2026-11-15", "zhao", "周八"),
        ("2026-11-22", "li", "王五"),
        ("2026-11-22", "zhao", "周八"),
        ("2026-11-29", "aux", "张三丰 · 张三丰家"),
    ]
    .iter()
    .map(|(a, b, c)| ((*a).into(), (*b).into(), (*c).into()))
    .collect();
    let mut got = summary.clone();
    got.sort();
    let mut want = expected.clone();
    want.sort();
    assert_eq!(got, want);
    // Due at the period's last second, local time.
    assert_eq!(format_local(all[0].1.due_at), "2026-11-08 23:59");
    assert_eq!(home.kind(), Kind::Household);
}

#[test]
fn a_manual_task_counts_and_concurrent_duplicates_are_cancelled_the_same_way_everywhere() {
    let (mut store, clock) = setup("2026-11-02 08:00");
    let wang = kp(&mut store, "nanjie", "王五", "li", RiskLevel::High);
    let rule = DutyRule {
        id: RecordId::new(),
        name: "每周核查".into(),
        station: "gucheng".into(),
        villages: vec!["nanjie".into()],
        action: TaskAction::CheckKeyPerson,
        every_days: 7,
        categories: vec![KeyPersonCategory::DrugRelated],
        min_risk: None,
        assignee: None,
        starts_on: day("2026-11-02"),
        created_by: chief(),
        created_at: clock.now(),
    };
    let tag = rule.tag();
    RuleBook::add(&mut store, rule).unwrap();
    // Two devices ran the rule while offline: after sync this device holds both tasks.
    let order = Order {
        assignee: "li".into(),
        action: TaskAction::CheckKeyPerson,
        target: Some(wang.id),
        scope: None,
        due_at: local("2026-11-08 23:59"),
        instructions: format!("核查 {tag}"),
    };
    let a = assign(&mut store, &roster(), &lead(), &order, clock.as_ref()).unwrap();
    let b = assign(&mut store, &roster(), &lead(), &order, clock.as_ref()).unwrap();
    let report = duty::run(&mut store, &roster(), &lead(), clock.as_ref()).unwrap();
    assert!(report.created.is_empty());
    let loser = a.id.max(b.id);
    assert_eq!(report.duplicates_cancelled, vec![loser]);
    let open: Vec<_> = tasks(&store)
        .into_iter()
        .filter(|(_, t)| t.status == TaskStatus::Open)
        .collect();
    assert_eq!(open.len(), 1);
    assert!(duty::run(&mut store, &roster(), &lead(), clock.as_ref())
        .unwrap()
        .duplicates_cancelled
        .is_empty());
}

#[test]
fn dispatch_checks_assignee_target_and_date_and_bulk_skips_open_work() {
    let (mut store, clock) = setup("2026-11-02 08:00");
    let kp1 = kp(&mut store, "nanjie", "王五", "li", RiskLevel::High);
    kp(&mut store, "nanjie", "钱七", "li", RiskLevel::Low);
    kp(&mut store, "beijie", "周八", "zhao", RiskLevel::High);
    let home = store
        .create(&chief(), scope("nanjie"), household("张三丰"))
        .unwrap();
    let r = roster();
    let mut order = Order {
        assignee: "zhao".into(),
        action: TaskAction::CheckKeyPerson,
        target: Some(kp1.id),
        scope: None,
        due_at: local("2026-11-08 23:59"),
        instructions: String::new(),
    };
    let code = |o: &Order, store: &mut Store| {
        assign(store, &r, &lead(), o, clock.as_ref())
            .unwrap_err()
            .code()
    };
    assert_eq!(code(&order, &mut store), "assignee_out_of_scope");
    order.assignee = "grid".into();
    assert_eq!(code(&order, &mut store), "assignee_role");
    order.assignee = "nobody".into();
    assert_eq!(code(&order, &mut store), "unknown_assignee");
    order.assignee = "aux".into();
    order.target = Some(home.id);
    assert_eq!(code(&order, &mut store), "target_kind");
    order.target = Some(kp1.id);
    order.due_at = local("2026-11-01 12:00");
    assert_eq!(code(&order, &mut store), "due_in_past");
    assert!(tasks(&store).is_empty(), "bad input writes nothing");
    order.due_at = local("2026-11-08 23:59");
    // Giving out work is a chief's or the county admin's: an officer, or another station's
    // chief, is refused by the model's access rule, and nothing is written.
    let officer = r.get(&"li".into()).unwrap().clone();
    let err = assign(&mut store, &r, &officer, &order, clock.as_ref()).unwrap_err();
    assert_eq!(err.code(), "dispatch_not_allowed");
    assert!(err
        .message(Lang::Zh)
        .contains("只有所长和县局管理员可以派单"));
    let mut other_chief = lead();
    other_chief.assignment.station = Some("liuta".into());
    assert_eq!(
        assign(&mut store, &r, &other_chief, &order, clock.as_ref())
            .unwrap_err()
            .code(),
        "dispatch_not_allowed"
    );
    assert!(
        tasks(&store).is_empty(),
        "a refused dispatch writes nothing"
    );
    let t = assign(&mut store, &r, &lead(), &order, clock.as_ref()).unwrap();
    assert_eq!(t.scope, scope("nanjie"));
    assert_eq!(t.body.title(), "核查重点人员：王五");

    // Every key person of 南街村, due Sunday, each to their responsible officer: 王五 already
    // has an open check, so only 钱七 gets one; a second run gives nothing new.
    let sel = Selector {
        villages: vec!["nanjie".into()],
        ..Selector::default()
    };
    let due = period::week_of(clock.now()).period().last_second();
    let checks = |selector: &Selector, assignee: Option<UserId>| BulkOrder {
        action: TaskAction::CheckKeyPerson,
        selector: selector.clone(),
        assignee,
        due_at: due,
        instructions: String::new(),
    };
    let rep = bulk(&mut store, &r, &lead(), &checks(&sel, None), clock.as_ref()).unwrap();
    assert_eq!(rep.created.len(), 1);
    assert_eq!(rep.already_open, vec![(kp1.id, t.id)]);
    let rep = bulk(&mut store, &r, &lead(), &checks(&sel, None), clock.as_ref()).unwrap();
    assert!(rep.created.is_empty());
    // To the auxiliary of 南街村 in 北街村: refused as a whole.
    let both = Selector::default();
    let err = bulk(
        &mut store,
        &r,
        &lead(),
        &checks(&both, Some("aux".into())),
        clock.as_ref(),
    )
    .unwrap_err();
    assert_eq!(err.code(), "assignee_out_of_scope");
    assert_eq!(tasks(&store).len(), 2);
    let nobody = Selector {
        villages: vec!["nowhere".into()],
        ..Selector::default()
    };
    let err = bulk(
        &mut store,
        &r,
        &lead(),
        &checks(&nobody, None),
        clock.as_ref(),
    )
    .unwrap_err();
    assert_eq!(err.code(), "nothing_selected");
}

fn hazard(place: &str, found: &str, deadline: Option<&str>) -> Body {
    Body::Hazard(Hazard {
        description: "电线裸露".into(),
        place: place.into(),
        location: None,
        found_at: local(found),
        found_by: "li".into(),
        source: None,
        status: HazardStatus::Open,
        deadline: deadline.map(local),
        rectification: String::new(),
        cleared_at: None,
        clearance_note: String::new(),
        cleared_by: None,
    })
}

#[test]
fn the_board_puts_overdue_first_then_deadlines_then_the_oldest() {
    let (mut store, clock) = setup("2026-11-20 12:00");
    let mk = |store: &mut Store, v: &str, place: &str, found: &str, deadline: Option<&str>| {
        store
            .create(&chief(), scope(v), hazard(place, found, deadline))
            .unwrap()
    };
    // 南街村: two overdue (by 10 and by 2 days), one due tomorrow, one without a deadline.
    mk(&mut store, "nanjie", "无期限", "2026-11-01 09:00", None);
    mk(
        &mut store,
        "nanjie",
        "明天到期",
        "2026-11-15 09:00",
        Some("2026-11-21 12:00"),
    );
    mk(
        &mut store,
        "nanjie",
        "逾期2天",
        "2026-11-10 09:00",
        Some("2026-11-18 12:00"),
    );
    mk(
        &mut store,
        "nanjie",
        "逾期10天",
        "2026-11-05 09:00",
        Some("2026-11-10 12:00"),
    );
    // 北街村: one newer without a deadline, one older without; one cleared (not on the board).
    mk(&mut store, "beijie", "较新", "2026-11-19 09:00", None);
    mk(&mut store, "beijie", "较旧", "2026-11-12 09:00", None);
    let cleared = mk(&mut store, "beijie", "已清零", "2026-11-12 09:00", None);
    let Body::Hazard(mut h) = cleared.body.clone() else {
        unreachable!()
    };
    h.status = HazardStatus::Rectifying;
    store.update(cleared.id, Body::Hazard(h.clone())).unwrap();
    h.status = HazardStatus::Cleared;
    h.cleared_at = Some(clock.now());
    h.cleared_by = Some("li".into());
    h.clearance_note = "已更换线路".into();
    store.update(cleared.id, Body::Hazard(h)).unwrap();

    let b = board(&store, Some(&"gucheng".into()), clock.as_ref()).unwrap();
    let order: Vec<(String, String, i64, Option<i64>)> = b
        .rows()
        .map(|r| {
            (
                r.village.to_string(),
                r.title.split(" · ").next().unwrap().to_owned(),
                r.age_days,
                r.overdue_days,
            )
        })
        .collect();
    let want: Vec<(String, String, i64, Option<i64>)> = vec![
        ("nanjie".into(), "逾期10天".into(), 15, Some(10)),
        ("nanjie".into(), "逾期2天".into(), 10, Some(2)),
        ("nanjie".into(), "明天到期".into(), 5, None),
        ("nanjie".into(), "无期限".into(), 19, None),
        ("beijie".into(), "较旧".into(), 8, None),
        ("beijie".into(), "较新".into(), 1, None),
    ];
    assert_eq!(order, want);
    assert_eq!(b.villages[0].overdue, 2);
}

/// The fixture: week 2026-11-02 (Mon) … 2026-11-08 (Sun), 南街村 (li, aux) and 北街村 (zhao),
/// assessed on Wednesday 2026-11-11. Expected figures are counted by hand in the comments.
#[test]
fn assessment_matches_the_hand_counted_fixture() {
    let (mut store, clock) = setup("2026-11-01 08:00");
    let wang = kp(&mut store, "nanjie", "王五", "li", RiskLevel::High);
    let kp_north = kp(&mut store, "beijie", "周八", "zhao", RiskLevel::High);
    let home = store
        .create(&chief(), scope("nanjie"), household("张三丰"))
        .unwrap();
    let r = roster();
    let order = |assignee: &str, action, target, due: &str| Order {
        assignee: assignee.into(),
        action,
        target: Some(target),
        scope: None,
        due_at: local(due),
        instructions: String::new(),
    };
    // Tasks due in the week:
    //  T1 li check 王五 due Thu 11-05, done Wed 11-04  → on time (check)
    //  T2 zhao check 周八 due Thu 11-05, done Fri 11-06 → overdue (late check)
    //  T3 aux visit 张三丰家 due Sun 11-08, still open on 11-11 → overdue
    //  T4 li check 王五 due Sat 11-14 → outside the week, not counted
    let t1 = assign(
        &mut store,
        &r,
        &lead(),
        &order(
            "li",
            TaskAction::CheckKeyPerson,
            wang.id,
            "2026-11-05 18:00",
        ),
        clock.as_ref(),
    )
    .unwrap();
    let t2 = assign(
        &mut store,
        &r,
        &lead(),
        &order(
            "zhao",
            TaskAction::CheckKeyPerson,
            kp_north.id,
            "2026-11-05 18:00",
        ),
        clock.as_ref(),
    )
    .unwrap();
    assign(
        &mut store,
        &r,
        &lead(),
        &order(
            "aux",
            TaskAction::VisitHousehold,
            home.id,
            "2026-11-08 23:59",
        ),
        clock.as_ref(),
    )
    .unwrap();
    assign(
        &mut store,
        &r,
        &lead(),
        &order(
            "li",
            TaskAction::CheckKeyPerson,
            wang.id,
            "2026-11-14 18:00",
        ),
        clock.as_ref(),
    )
    .unwrap();

    let check = |by: &str, who: RecordId, at: &str| {
        Body::KeyPersonCheck(KeyPersonCheck {
            key_person: who,
            checked_by: by.into(),
            checked_at: local(at),
            place: String::new(),
            location: None,
            seen_in_person: true,
            situation: String::new(),
            risk_change: RiskChange::Unchanged,
            risk_level_after: None,
        })
    };
    clock.set(local("2026-11-04 10:00"));
    let c1 = store
        .create(
            &"li".into(),
            scope("nanjie"),
            check("li", wang.id, "2026-11-04 10:00"),
        )
        .unwrap();
    dispatch::complete(&mut store, t1.id, c1.id).unwrap();
    clock.set(local("2026-11-06 10:00"));
    let c2 = store
        .create(
            &"zhao".into(),
            scope("beijie"),
            check("zhao", kp_north.id, "2026-11-06 10:00"),
        )
        .unwrap();
    assert_eq!(
        dispatch::complete(&mut store, t2.id, home.id)
            .unwrap_err()
            .code(),
        "target_kind"
    );
    dispatch::complete(&mut store, t2.id, c2.id).unwrap();

    // Visits: li 11-03 (with aux: both credited), li 11-05, aux 10-31 (before the week).
    let visit = |who: &[&str], at: &str| {
        Body::Visit(Visit {
            household: home.id,
            visitors: who.iter().map(|u| UserId::from(*u)).collect(),
            visited_at: local(at),
            method: FiveOnes::Visit,
            place: String::new(),
            location: None,
            purpose: "走访".into(),
            findings: String::new(),
            problems: String::new(),
            follow_up: String::new(),
        })
    };
    clock.set(local("2026-11-10 09:00"));
    store
        .create(
            &"li".into(),
            scope("nanjie"),
            visit(&["li", "aux"], "2026-11-03 15:00"),
        )
        .unwrap();
    store
        .create(
            &"li".into(),
            scope("nanjie"),
            visit(&["li"], "2026-11-05 15:00"),
        )
        .unwrap();
    store
        .create(
            &"aux".into(),
            scope("nanjie"),
            visit(&["aux"], "2026-10-31 15:00"),
        )
        .unwrap();

    // Hazards (found by li in 南街村): H1 found 11-02, cleared by li 11-06 (found+cleared);
    // H2 found 11-07, still open (found); H3 found 10-20, cleared 11-03 by aux (aux cleared).
    let clear = |store: &mut Store, found: &str, cleared: Option<(&str, &str)>| {
        let h = store
            .create(&"li".into(), scope("nanjie"), hazard("村口", found, None))
            .unwrap();
        if let Some((at, by)) = cleared {
            let Body::Hazard(mut b) = h.body else {
                unreachable!()
            };
            b.status = HazardStatus::Rectifying;
            store.update(h.id, Body::Hazard(b.clone())).unwrap();
            b.status = HazardStatus::Cleared;
            b.cleared_at = Some(local(at));
            b.cleared_by = Some(by.into());
            b.clearance_note = "已整改".into();
            store.update(h.id, Body::Hazard(b)).unwrap();
        }
    };
    clear(
        &mut store,
        "2026-11-02 09:00",
        Some(("2026-11-06 09:00", "li")),
    );
    clear(&mut store, "2026-11-07 09:00", None);
    clear(
        &mut store,
        "2026-10-20 09:00",
        Some(("2026-11-03 09:00", "aux")),
    );

    // Disputes by zhao in 北街村: D1 reported 11-01 09:00, resolved before cases kept the time,
    // so counted to its last session 11-03 09:00 (2.0 days); D2 reported 11-02 09:00, last
    // session 11-05, resolved 11-06 09:00 (4.0 days) → median 3.0 days.
    // D3 reported 11-02, still mediating: not counted.
    let dispute = |reported: &str, session: &str, resolved: Option<Option<&str>>| {
        let resolved_at = resolved.flatten().map(local);
        let resolved = resolved.is_some();
        Body::Dispute(Dispute {
            reported_at: local(reported),
            parties: vec![Party {
                name: "赵六".into(),
                id_number: None,
                phone: None,
            }],
            dispute_type: DisputeType::Land,
            description: "地界".into(),
            status: if resolved {
                DisputeStatus::Resolved
            } else {
                DisputeStatus::Mediating
            },
            referral: None,
            sessions: vec![Session {
                held_at: local(session),
                participants: vec![],
                notes: String::new(),
                outcome: String::new(),
            }],
            outcome: if resolved {
                "达成协议".into()
            } else {
                String::new()
            },
            agreement: String::new(),
            resolved_at,
            return_visit: None,
            household: None,
            source: None,
        })
    };
    store
        .create(
            &"zhao".into(),
            scope("beijie"),
            dispute("2026-11-01 09:00", "2026-11-03 09:00", Some(None)),
        )
        .unwrap();
    store
        .create(
            &"zhao".into(),
            scope("beijie"),
            dispute(
                "2026-11-02 09:00",
                "2026-11-05 09:00",
                Some(Some("2026-11-06 09:00")),
            ),
        )
        .unwrap();
    store
        .create(
            &"zhao".into(),
            scope("beijie"),
            dispute("2026-11-02 09:00", "2026-11-04 09:00", None),
        )
        .unwrap();

    // Patrols: aux 11-04 20:00–22:30 (2.5 h) in 南街村; zhao 11-07 19:00–20:00 (1 h) in 北街村.
    let patrol = |who: &str, from: &str, to: &str| {
        Body::Patrol(Patrol {
            started_at: local(from),
            ended_at: Some(local(to)),
            patrollers: vec![who.into()],
            area: "村内".into(),
            route: vec![],
            observations: vec![],
        })
    };
    store
        .create(
            &"aux".into(),
            scope("nanjie"),
            patrol("aux", "2026-11-04 20:00", "2026-11-04 22:30"),
        )
        .unwrap();
    store
        .create(
            &"zhao".into(),
            scope("beijie"),
            patrol("zhao", "2026-11-07 19:00", "2026-11-07 20:00"),
        )
        .unwrap();

    clock.set(local("2026-11-11 09:00"));
    let week = DateRange::new(day("2026-11-02"), day("2026-11-08")).unwrap();
    let a = assess(&store, week, By::Officer, None, clock.as_ref()).unwrap();
    let row = |k: &str| a.rows.iter().find(|r| r.key == k).unwrap().figures.clone();
    let (li, zhao, aux) = (row("li"), row("zhao"), row("aux"));
    // li: 2 visits; check T1 due and on time; 2 hazards found (H1, H2), 1 cleared (H1).
    assert_eq!((li.visits, li.checks_due, li.checks_on_time), (2, 1, 1));
    assert_eq!(
        (li.tasks_due, li.tasks_on_time, li.tasks_overdue),
        (1, 1, 0)
    );
    assert_eq!((li.hazards_found, li.hazards_cleared), (2, 1));
    // zhao: check T2 due, done late; 2 disputes resolved, median 3.0 days; 1 patrol of 1 h.
    assert_eq!(
        (zhao.checks_due, zhao.checks_on_time, zhao.tasks_overdue),
        (1, 0, 1)
    );
    assert_eq!(
        (zhao.disputes_resolved, zhao.median_days_to_resolve),
        (2, Some(3.0))
    );
    assert_eq!((zhao.patrols, zhao.patrol_hours), (1, 1.0));
    // aux: 1 visit in the week (with li); T3 overdue (open past due); 1 patrol of 2.5 h;
    // cleared H3, found by li.
    assert_eq!(
        (aux.visits, aux.tasks_due, aux.tasks_overdue, aux.checks_due),
        (1, 1, 1, 0)
    );
    assert_eq!((aux.patrols, aux.patrol_hours), (1, 2.5));
    assert_eq!((aux.hazards_found, aux.hazards_cleared), (0, 1));
    // Total counts each record once: 2 visits (not 3), 3 tasks due, 1 on time, 2 overdue.
    let t = &a.total;
    assert_eq!(
        (t.visits, t.tasks_due, t.tasks_on_time, t.tasks_overdue),
        (2, 3, 1, 2)
    );
    assert_eq!(
        (t.hazards_found, t.hazards_cleared, t.disputes_resolved),
        (2, 2, 2)
    );
    assert_eq!((t.patrols, t.patrol_hours), (2, 3.5));
    assert_eq!(a.as_of.last_sync, None);
    assert_eq!(a.as_of.newest_record, Some(local("2026-11-10 09:00")));

    let v = assess(&store, week, By::Village, None, clock.as_ref()).unwrap();
    let keys: Vec<_> = v
        .rows
        .iter()
        .map(|r| {
            (
                r.key.as_str(),
                r.figures.visits,
                r.figures.tasks_due,
                r.figures.disputes_resolved,
            )
        })
        .collect();
    assert_eq!(keys, [("beijie", 0, 1, 2), ("nanjie", 2, 2, 0)]);
    let s = assess(&store, week, By::Station, None, clock.as_ref()).unwrap();
    assert_eq!(s.rows.len(), 1);
    assert_eq!(s.rows[0].figures, s.total);

    // The workbook holds the same table.
    let bytes = xlsx::workbook(&a, Lang::Zh, &|k| r.name_of(&k.into())).unwrap();
    assert_eq!(&bytes[..2], b"PK");
    let table = xlsx::table(&a, Lang::Zh, &|k| r.name_of(&k.into()));
    assert_eq!(table[0][0], "民警/辅警");
    assert_eq!(table[1][0], "孙辅");
    assert_eq!(table.last().unwrap()[0], "合计");
}

/// The county view: one row per station, side by side, each counting only its own records.
#[test]
fn the_county_view_puts_stations_side_by_side() {
    let (mut store, clock) = setup("2026-11-10 09:00");
    let elsewhere = Scope {
        station: "liuta".into(),
        village: "dongguan".into(),
    };
    let patrol = |from: &str, to: &str| {
        Body::Patrol(Patrol {
            started_at: local(from),
            ended_at: Some(local(to)),
            patrollers: vec![],
            area: "村内".into(),
            route: vec![],
            observations: vec![],
        })
    };
    // 固城: two patrols of 1 h each; 六塔: one patrol of 3 h and one hazard.
    for (scope, from, to) in [
        (scope("nanjie"), "2026-11-03 20:00", "2026-11-03 21:00"),
        (scope("beijie"), "2026-11-04 20:00", "2026-11-04 21:00"),
        (elsewhere.clone(), "2026-11-05 08:00", "2026-11-05 11:00"),
    ] {
        store.create(&chief(), scope, patrol(from, to)).unwrap();
    }
    store
        .create(
            &chief(),
            elsewhere,
            hazard("东关桥", "2026-11-05 09:00", None),
        )
        .unwrap();
    let week = DateRange::new(day("2026-11-02"), day("2026-11-08")).unwrap();
    let a = assess(&store, week, By::Station, None, clock.as_ref()).unwrap();
    let rows: Vec<(&str, u32, f64, u32)> = a
        .rows
        .iter()
        .map(|r| {
            let f = &r.figures;
            (r.key.as_str(), f.patrols, f.patrol_hours, f.hazards_found)
        })
        .collect();
    assert_eq!(rows, [("gucheng", 2, 2.0, 0), ("liuta", 1, 3.0, 1)]);
    // A chief's view of their own station leaves the other out.
    let own = assess(
        &store,
        week,
        By::Station,
        Some(&"gucheng".into()),
        clock.as_ref(),
    )
    .unwrap();
    assert_eq!(own.rows.len(), 1);
    assert_eq!(own.total.patrols, 2);
}
