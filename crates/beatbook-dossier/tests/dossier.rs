//! Dossiers assembled from a real store file: what they contain, in what order, and how they
//! come out as text, HTML and PDF (the PDF's text read back with pdftotext).

use beatbook_dossier::{assemble, to_html, to_pdf, to_text, Dossier, DossierError, Options};
use beatbook_model::*;
use beatbook_store::Store;
use chrono::{DateTime, Duration, TimeZone, Utc};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// A clock the test moves forward, so records are created at known times.
struct TestClock(Mutex<DateTime<Utc>>);

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

struct World {
    store: Store,
    clock: Arc<TestClock>,
    _dir: tempfile::TempDir,
}

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    // Hours are Beijing time.
    Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0).unwrap() - Duration::hours(8)
}

fn scope() -> Scope {
    Scope {
        station: "gucheng".into(),
        village: "nanjie".into(),
    }
}

impl World {
    fn new() -> World {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(TestClock(Mutex::new(at(1, 9))));
        let store =
            Store::open_with_clock(dir.path().join("device.db"), None, clock.clone()).unwrap();
        World {
            store,
            clock,
            _dir: dir,
        }
    }

    /// Creates a record by `author` with the clock at `now`.
    fn create(&mut self, now: DateTime<Utc>, author: &str, body: Body) -> RecordId {
        *self.clock.0.lock().unwrap() = now;
        self.store.create(&author.into(), scope(), body).unwrap().id
    }

    fn update(&mut self, now: DateTime<Utc>, id: RecordId, body: Body) {
        *self.clock.0.lock().unwrap() = now;
        self.store.update(id, body).unwrap();
    }
}

fn opts(lang: Lang) -> Options {
    let mut o = Options {
        lang,
        names: HashMap::from([
            ("li.officer".to_owned(), "李强".to_owned()),
            ("gucheng.chief".to_owned(), "周所长".to_owned()),
        ]),
        generated_by: "周所长".into(),
        generated_at: at(28, 10),
        ..Options::default()
    };
    o.places.insert("nanjie".into(), "南街村".into());
    o.places.insert("gucheng".into(), "固城派出所".into());
    o
}

fn household(address: &str) -> Body {
    Body::Household(Household {
        address: address.into(),
        members: vec![
            Member {
                name: "张三丰".into(),
                id_number: Some("11010519491231002X".into()),
                phone: Some("13812345678".into()),
                relation: Relation::Head,
            },
            Member {
                name: "李梅".into(),
                id_number: None,
                phone: None,
                relation: Relation::Spouse,
            },
        ],
        tags: vec![HouseholdTag::LeftBehindElderly],
        notes: String::new(),
    })
}

fn visit(household: RecordId, when: DateTime<Utc>, findings: &str) -> Body {
    Body::Visit(Visit {
        household,
        visitors: vec!["li.officer".into()],
        visited_at: when,
        method: FiveOnes::Visit,
        place: "家中".into(),
        location: None,
        purpose: "例行走访".into(),
        findings: findings.into(),
        problems: String::new(),
        follow_up: String::new(),
    })
}

fn dispute(household: Option<RecordId>, when: DateTime<Utc>) -> Dispute {
    Dispute {
        reported_at: when,
        parties: vec![
            Party {
                name: "赵六".into(),
                id_number: None,
                phone: Some("13912345678".into()),
            },
            Party {
                name: "钱七".into(),
                id_number: None,
                phone: None,
            },
        ],
        dispute_type: DisputeType::Land,
        description: "宅基地边界争议".into(),
        status: DisputeStatus::Reported,
        referral: None,
        sessions: vec![],
        outcome: String::new(),
        agreement: String::new(),
        resolved_at: None,
        return_visit: None,
        household,
        source: None,
    }
}

/// A household with, created out of order: a second visit, a first visit, a key person living
/// there and a check on them, a dispute, a task done by the first visit, a hazard found on it.
struct Household1 {
    w: World,
    hh: RecordId,
    visit1: RecordId,
    visit2: RecordId,
    kp: RecordId,
    check: RecordId,
}

fn household_world() -> Household1 {
    let mut w = World::new();
    let hh = w.create(at(1, 9), "li.officer", household("南街村三组12号"));
    let task = w.create(
        at(2, 8),
        "gucheng.chief",
        Body::Task(Task {
            assignee: "li.officer".into(),
            assigned_by: "gucheng.chief".into(),
            action: TaskAction::VisitHousehold,
            target: Some(hh),
            instructions: "走访张三丰户，了解老人近况".into(),
            due_at: at(10, 18),
            status: TaskStatus::Open,
            completed_by: None,
            cancel_reason: String::new(),
        }),
    );
    // Filed late, but happened on the 20th.
    let visit2 = w.create(
        at(27, 9),
        "li.officer",
        visit(hh, at(20, 15), "第二次走访：老人已就医"),
    );
    let visit1 = w.create(
        at(5, 11),
        "li.officer",
        visit(hh, at(5, 10), "第一次走访：老人独居，腿脚不便"),
    );
    w.update(
        at(5, 12),
        task,
        Body::Task(Task {
            assignee: "li.officer".into(),
            assigned_by: "gucheng.chief".into(),
            action: TaskAction::VisitHousehold,
            target: Some(hh),
            instructions: "走访张三丰户，了解老人近况".into(),
            due_at: at(10, 18),
            status: TaskStatus::Done,
            completed_by: Some(visit1),
            cancel_reason: String::new(),
        }),
    );
    w.create(
        at(5, 13),
        "li.officer",
        Body::Hazard(Hazard {
            description: "院内电线老化".into(),
            place: "南街村三组12号".into(),
            location: None,
            found_at: at(5, 10),
            found_by: "li.officer".into(),
            source: Some(visit1),
            status: HazardStatus::Open,
            deadline: None,
            rectification: String::new(),
            cleared_at: None,
            clearance_note: String::new(),
            cleared_by: None,
        }),
    );
    let kp = w.create(
        at(6, 9),
        "li.officer",
        Body::KeyPerson(KeyPerson {
            name: "王五".into(),
            id_number: "11010519491231002X".into(),
            phone: None,
            address: "南街村三组12号".into(),
            household: Some(hh),
            category: KeyPersonCategory::ReleasedPrisoner,
            risk_level: RiskLevel::Medium,
            responsible_officer: "li.officer".into(),
            notes: String::new(),
        }),
    );
    let check = w.create(
        at(12, 16),
        "wang.officer",
        Body::KeyPersonCheck(KeyPersonCheck {
            key_person: kp,
            checked_by: "wang.officer".into(),
            checked_at: at(12, 15),
            place: "村口".into(),
            location: None,
            seen_in_person: true,
            situation: "在家务农，表现稳定".into(),
            risk_change: RiskChange::Unchanged,
            risk_level_after: None,
        }),
    );
    w.create(
        at(15, 9),
        "li.officer",
        Body::Dispute(dispute(Some(hh), at(15, 8))),
    );
    Household1 {
        w,
        hh,
        visit1,
        visit2,
        kp,
        check,
    }
}

fn whats(d: &Dossier) -> Vec<(String, String)> {
    d.entries
        .iter()
        .map(|e| (e.at_local.clone(), e.what.clone()))
        .collect()
}

#[test]
fn a_household_dossier_holds_every_related_record_in_the_order_it_happened() {
    let mut h = household_world();
    let d = assemble(&mut h.w.store, h.hh, &opts(Lang::Zh)).unwrap();
    assert_eq!(d.title, "户籍家庭档案：张三丰 · 南街村三组12号");
    let got = whats(&d);
    let want: Vec<(String, String)> = [
        ("2026-11-01 09:00", "户籍家庭 · 建档"),
        ("2026-11-02 08:00", "任务"),
        ("2026-11-05 10:00", "入户走访"),
        ("2026-11-05 10:00", "隐患"),
        ("2026-11-05 12:00", "任务 · 状态：已完成"),
        ("2026-11-06 09:00", "重点人员"),
        ("2026-11-12 15:00", "重点人员核查"),
        ("2026-11-15 08:00", "矛盾纠纷"),
        ("2026-11-20 15:00", "入户走访"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(got, want);

    // Who did what: names where known, user ids otherwise.
    let visit1 = &d.entries[2];
    assert_eq!(visit1.record_id, h.visit1.to_string());
    assert_eq!(visit1.who, "李强");
    assert!(visit1
        .details
        .iter()
        .any(|p| p.label == "了解情况" && p.value == "第一次走访：老人独居，腿脚不便"));
    assert_eq!(d.entries[1].who, "周所长 → 李强");
    let check = &d.entries[6];
    assert_eq!(check.record_id, h.check.to_string());
    assert_eq!(check.who, "wang.officer");
    assert!(check
        .details
        .iter()
        .any(|p| p.label == "是否见面" && p.value == "是"));
    let done = &d.entries[4];
    assert!(
        done.details
            .iter()
            .any(|p| p.label == "完成记录" && p.value.starts_with("入户走访")),
        "{done:?}"
    );
    assert_eq!(d.entries[8].record_id, h.visit2.to_string());

    // The household's own facts and its people.
    assert!(d
        .facts
        .iter()
        .any(|p| p.label == "辖区" && p.value == "固城派出所 · 南街村"));
    assert!(d
        .facts
        .iter()
        .any(|p| p.label == "标签" && p.value == "留守老人"));
    let people: Vec<_> = d
        .people
        .iter()
        .map(|p| (p.name.as_str(), p.role.as_str()))
        .collect();
    assert_eq!(
        people,
        [
            ("张三丰", "户主"),
            ("李梅", "配偶"),
            ("王五", "重点人员：刑满释放人员")
        ]
    );

    // A visit leads to its household's dossier.
    let from_visit = assemble(&mut h.w.store, h.visit2, &opts(Lang::Zh)).unwrap();
    assert_eq!(from_visit, d);
}

#[test]
fn a_key_person_dossier_lists_their_checks_and_a_check_leads_to_it() {
    let mut h = household_world();
    let d = assemble(&mut h.w.store, h.check, &opts(Lang::En)).unwrap();
    assert_eq!(d.record_id, h.kp.to_string());
    assert_eq!(d.title, "Key person dossier: 王五");
    assert_eq!(
        whats(&d),
        [
            (
                "2026-11-06 09:00".to_owned(),
                "Key person · filed".to_owned()
            ),
            ("2026-11-12 15:00".to_owned(), "Key-person check".to_owned()),
        ]
    );
    assert!(d
        .facts
        .iter()
        .any(|p| p.label == "household" && p.value.contains("张三丰")));
    assert!(d
        .facts
        .iter()
        .any(|p| p.label == "risk level" && p.value == "medium"));
}

#[test]
fn a_dispute_dossier_shows_sessions_moves_and_the_return_visit() {
    let mut w = World::new();
    let mut d = dispute(None, at(3, 9));
    let id = w.create(at(3, 9), "li.officer", Body::Dispute(d.clone()));
    d.status = DisputeStatus::Mediating;
    d.sessions.push(Session {
        held_at: at(4, 14),
        participants: vec!["赵六".into(), "钱七".into(), "村主任".into()],
        notes: "双方各执一词".into(),
        outcome: "同意再议".into(),
    });
    w.update(at(4, 18), id, Body::Dispute(d.clone()));
    d.sessions.push(Session {
        held_at: at(8, 14),
        participants: vec![],
        notes: "重新丈量边界".into(),
        outcome: "达成一致".into(),
    });
    d.status = DisputeStatus::Resolved;
    d.resolved_at = Some(at(8, 16));
    d.outcome = "按丈量结果划界".into();
    w.update(at(8, 17), id, Body::Dispute(d.clone()));
    d.return_visit = Some(ReturnVisit {
        at: at(20, 10),
        notes: "双方无新矛盾".into(),
    });
    d.status = DisputeStatus::Closed;
    w.update(at(20, 11), id, Body::Dispute(d));

    let dossier = assemble(&mut w.store, id, &opts(Lang::Zh)).unwrap();
    assert_eq!(
        whats(&dossier),
        [
            ("2026-11-03 09:00", "矛盾纠纷 · 登记"),
            ("2026-11-04 14:00", "矛盾纠纷 · 调解"),
            ("2026-11-04 18:00", "矛盾纠纷 · 状态：调解中"),
            ("2026-11-08 14:00", "矛盾纠纷 · 调解"),
            ("2026-11-08 17:00", "矛盾纠纷 · 状态：已化解"),
            ("2026-11-20 10:00", "矛盾纠纷 · 回访"),
            ("2026-11-20 11:00", "矛盾纠纷 · 状态：已结案"),
        ]
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
    );
    let first = &dossier.entries[1];
    assert_eq!(first.who, "李强");
    assert!(first
        .details
        .iter()
        .any(|p| p.label == "参加人" && p.value == "赵六、钱七、村主任"));
    let resolved = &dossier.entries[4];
    assert!(resolved
        .details
        .iter()
        .any(|p| p.label == "调解结果" && p.value == "按丈量结果划界"));
    let parties: Vec<_> = dossier.people.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(parties, ["赵六", "钱七"]);
}

fn inspection(unit: &str, when: DateTime<Utc>, hazards: Vec<RecordId>) -> Body {
    Body::Inspection(Inspection {
        unit_name: unit.into(),
        unit_type: UnitType::FuelSite,
        address: "城关镇南环路".into(),
        inspected_at: when,
        inspectors: vec!["li.officer".into()],
        location: None,
        items: vec![
            InspectionItem {
                item: "消防器材".into(),
                passed: true,
                note: String::new(),
            },
            InspectionItem {
                item: "油罐静电接地".into(),
                passed: hazards.is_empty(),
                note: "接地线松动".into(),
            },
        ],
        hazards_found: String::new(),
        hazards,
        deadline: None,
    })
}

#[test]
fn a_unit_dossier_gathers_every_inspection_of_the_unit_and_the_hazards_they_raised() {
    let mut w = World::new();
    let hazard = w.create(
        at(9, 12),
        "li.officer",
        Body::Hazard(Hazard {
            description: "油罐静电接地线松动".into(),
            place: "城关加油站".into(),
            location: None,
            found_at: at(9, 11),
            found_by: "li.officer".into(),
            source: None,
            status: HazardStatus::Open,
            deadline: None,
            rectification: String::new(),
            cleared_at: None,
            clearance_note: String::new(),
            cleared_by: None,
        }),
    );
    let later = w.create(
        at(21, 10),
        "li.officer",
        inspection("城关加油站", at(21, 9), vec![]),
    );
    let first = w.create(
        at(9, 12),
        "li.officer",
        inspection("城关 加油站", at(9, 10), vec![hazard]),
    );
    w.create(
        at(10, 10),
        "li.officer",
        inspection("南街小学", at(10, 9), vec![]),
    );
    let Some(Record {
        body: Body::Hazard(mut h),
        ..
    }) = w.store.get(hazard).unwrap()
    else {
        panic!("the hazard is stored")
    };
    h.status = HazardStatus::Rectifying;
    h.rectification = "更换接地线".into();
    w.update(at(10, 9), hazard, Body::Hazard(h.clone()));
    h.status = HazardStatus::Cleared;
    h.cleared_at = Some(at(12, 8));
    h.cleared_by = Some("zhou.aux".into());
    h.clearance_note = "接地线已更换，复查合格".into();
    w.update(at(12, 9), hazard, Body::Hazard(h));

    let d = assemble(&mut w.store, later, &opts(Lang::Zh)).unwrap();
    assert_eq!(d.title, "单位档案：城关加油站");
    let ids: Vec<_> = d.entries.iter().map(|e| e.record_id.clone()).collect();
    assert_eq!(
        ids,
        [first, hazard, hazard, hazard, later].map(|id| id.to_string())
    );
    assert_eq!(d.entries[2].what, "隐患 · 状态：整改中");
    assert_eq!(d.entries[2].at_local, "2026-11-10 09:00");
    assert!(d.entries[2].details.iter().any(|p| p.value == "更换接地线"));
    assert_eq!(d.entries[3].what, "隐患 · 状态：已清零");
    // The clearing is credited to whoever cleared it, not the finder who filed the hazard.
    assert_eq!(d.entries[3].who, "zhou.aux");
    assert_eq!(d.entries[2].who, "李强");
    assert!(d.entries[3]
        .details
        .iter()
        .any(|p| p.label == "清零时间" && p.value == "2026-11-12 08:00"));
    assert!(d.entries[0]
        .details
        .iter()
        .any(|p| p.label == "检查项目" && p.value.contains("油罐静电接地 不合格（接地线松动）")));
    assert!(d
        .facts
        .iter()
        .any(|p| p.label == "检查次数" && p.value == "2"));
    assert_eq!(
        assemble(&mut w.store, first, &opts(Lang::Zh))
            .unwrap()
            .entries
            .len(),
        5
    );
}

#[test]
fn records_without_a_dossier_and_unknown_ids_are_refused_clearly() {
    let mut w = World::new();
    let publicity = w.create(
        at(2, 10),
        "li.officer",
        Body::Publicity(Publicity {
            topic: "防范电信诈骗".into(),
            place: "村委会".into(),
            held_at: at(2, 9),
            audience: 40,
            notes: String::new(),
        }),
    );
    let e = assemble(&mut w.store, publicity, &opts(Lang::Zh)).unwrap_err();
    assert_eq!(e.code(), "no_dossier");
    assert!(
        e.message(Lang::Zh).contains("法律宣传，没有档案"),
        "{}",
        e.message(Lang::Zh)
    );
    assert!(e.is_bad_input());
    let e = assemble(&mut w.store, RecordId::new(), &opts(Lang::En)).unwrap_err();
    assert_eq!(e.code(), "not_found");
    assert!(e.is_bad_input());
}

#[test]
fn html_is_self_contained_and_escapes_what_people_typed() {
    let mut w = World::new();
    let hh = w.create(
        at(1, 9),
        "li.officer",
        household("<script>alert('x')</script> & \"三组\""),
    );
    w.create(
        at(2, 9),
        "li.officer",
        visit(hh, at(2, 8), "<img src=x onerror=alert(1)>\n第二行"),
    );
    let d = assemble(&mut w.store, hh, &opts(Lang::Zh)).unwrap();
    let html = to_html(&d);
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(!html.contains("<script"), "{html}");
    assert!(!html.contains("<img"), "{html}");
    assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;三组&quot;"));
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;<br>第二行"));
    assert!(!html.contains("http://") && !html.contains("https://"));
    assert!(html.contains("@page{size:A4"));
    // The text form keeps the raw text: a terminal does not interpret markup.
    assert!(to_text(&d).contains("<script>alert('x')</script>"));
}

fn pdftotext(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dossier.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (Debian package poppler-utils) must be installed");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Asserts that every needle occurs in `hay`, each after the previous one. Spaces are ignored:
/// pdftotext drops or adds them between Chinese characters.
fn in_order(hay: &str, needles: &[&str]) {
    let hay: String = hay.chars().filter(|c| !c.is_whitespace()).collect();
    let mut from = 0;
    for n in needles {
        let n: String = n.chars().filter(|c| !c.is_whitespace()).collect();
        match hay[from..].find(&n) {
            Some(i) => from += i + n.len(),
            None => panic!("{n:?} missing or out of order in:\n{hay}"),
        }
    }
}

#[test]
fn the_pdf_embeds_a_chinese_font_and_its_text_reads_back_in_order() {
    let mut h = household_world();
    let d = assemble(&mut h.w.store, h.hh, &opts(Lang::Zh)).unwrap();
    let pdf = to_pdf(&d, None).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let text = pdftotext(&pdf);
    in_order(
        &text,
        &[
            "户籍家庭档案：张三丰 · 南街村三组12号",
            "生成时间：2026-11-28 10:00 · 周所长",
            "基本情况",
            "固城派出所 · 南街村",
            "相关人员",
            "张三丰（户主）",
            "王五（重点人员：刑满释放人员）",
            "工作记录（按时间顺序）",
            "2026-11-05 10:00",
            "第一次走访：老人独居，腿脚不便",
            "院内电线老化",
            "在家务农，表现稳定",
            "宅基地边界争议",
            "第二次走访：老人已就医",
            "第 2 页 / 共 2 页",
        ],
    );
    // Subset: the whole Noto CJK collection is ~20 MB; the file holds only the glyphs used.
    assert!(pdf.len() < 400_000, "{} bytes", pdf.len());
}

#[test]
fn long_dossiers_wrap_and_run_onto_numbered_pages() {
    let mut w = World::new();
    let hh = w.create(at(1, 9), "li.officer", household("南街村三组12号"));
    let long = "老人反映邻居家的狗夜里常叫，影响休息，已与邻居沟通。".repeat(12);
    for day in 2..=26 {
        w.create(
            at(day, 10),
            "li.officer",
            visit(hh, at(day, 9), &format!("第{day}天：{long}")),
        );
    }
    let d = assemble(&mut w.store, hh, &opts(Lang::Zh)).unwrap();
    let text = pdftotext(&to_pdf(&d, None).unwrap());
    in_order(
        &text,
        &["第2天", "第3天", "第1页/共", "第10天", "第3页/共", "第26天"],
    );
    // Wrapped lines stay within the page: no line of the extracted text is absurdly long.
    assert!(text.lines().all(|l| l.chars().count() < 90), "{text}");
}

#[test]
fn a_missing_or_unusable_font_is_a_clear_error() {
    let mut h = household_world();
    let d = assemble(&mut h.w.store, h.hh, &opts(Lang::Zh)).unwrap();
    let e = to_pdf(&d, Some(std::path::Path::new("/nonexistent/font.ttc"))).unwrap_err();
    assert!(matches!(e, DossierError::NoFont { .. }));
    let zh = e.message(Lang::Zh);
    assert!(
        zh.contains("没有找到中文字体") && zh.contains("BEATBOOK_FONT"),
        "{zh}"
    );
    assert!(e.message(Lang::En).contains("/nonexistent/font.ttc"));

    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("not-a-font.ttf");
    std::fs::write(&junk, b"hello").unwrap();
    let e = to_pdf(&d, Some(&junk)).unwrap_err();
    assert_eq!(e.code(), "bad_font");
    assert!(e.message(Lang::Zh).contains("not-a-font.ttf"));
}
