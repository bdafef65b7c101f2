//! A one-second tour of the store. An officer records a household, a visit and a dispute; the
//! rules refuse an illegal status move and a mistyped ID number; two devices edit the same
//! dispute offline, exchange their changes, show the merge and settle the one conflict; and a
//! two-character search finds 张三丰.
//!
//! Run it with `cargo run -p beatbook-store --example demo`. The stores are written to
//! `demo-data/store-demo/` at the workspace root (wiped at the start, ignored by git).

use std::error::Error;
use std::path::Path;
use std::time::Instant;

use beatbook_model::{
    format_local, Body, Dispute, DisputeStatus, DisputeType, FiveOnes, Household, HouseholdTag,
    Lang, Member, Party, Relation, Scope, Session, UserId, Visit,
};
use beatbook_store::{ApplyReport, IncomingChange, ListQuery, Store, StoreKey};
use chrono::{Duration, Utc};
use serde_json::json;

type Result<T = ()> = std::result::Result<T, Box<dyn Error>>;

fn main() -> Result {
    let started = Instant::now();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../demo-data/store-demo");
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::create_dir_all(&dir)?;
    let dir = dir.canonicalize()?;

    // Each device's store is encrypted (SQLCipher). In the app the key comes from the phone's
    // keystore; the demo uses fixed keys.
    let mut phone = Store::open(dir.join("officer-phone.db"), Some(&StoreKey::Raw([1; 32])))?;
    let officer = UserId::from("li.qiang");
    let nanjie = Scope {
        station: "majuangqiao".into(),
        village: "nanjie".into(),
    };
    let now = Utc::now();

    println!("beatbook 存储演示 (store demo)");
    println!("民警李强（南街警务室）的手机 (officer Li Qiang's phone): {officer}");

    // ---- 1. A household -------------------------------------------------------------------
    heading(1, "登记户籍家庭", "register a household");
    let household = phone.create(
        &officer,
        nanjie.clone(),
        Body::Household(Household {
            address: "南街村三组12号".into(),
            members: vec![
                Member {
                    name: "张三丰".into(),
                    id_number: Some("410922195603150013".into()),
                    phone: Some("13812345678".into()),
                    relation: Relation::Head,
                },
                Member {
                    name: "李秀兰".into(),
                    id_number: Some("41092219580822002X".into()),
                    phone: None,
                    relation: Relation::Spouse,
                },
            ],
            tags: vec![HouseholdTag::LeftBehindElderly],
            notes: "子女在郑州务工，老两口在家。".into(),
        }),
    )?;
    saved(&household.body, household.created_at);

    // ---- 2. A visit to it -------------------------------------------------------------------
    heading(2, "入户走访", "a household visit");
    let visit = phone.create(
        &officer,
        nanjie.clone(),
        Body::Visit(Visit {
            household: household.id,
            visitors: vec![officer.clone()],
            visited_at: now - Duration::minutes(40),
            method: FiveOnes::Visit,
            place: "家中".into(),
            location: None,
            purpose: "了解家庭近况".into(),
            findings: "老人身体尚好；反映与邻居王五因院墙位置有争执。".into(),
            problems: "院墙纠纷".into(),
            follow_up: "登记矛盾纠纷，约双方调解。".into(),
        }),
    )?;
    saved(&visit.body, visit.created_at);

    // ---- 3. A dispute, moved from reported to mediating ---------------------------------------
    heading(3, "矛盾纠纷与调解", "a dispute and a mediation session");
    let mut dispute = Dispute {
        reported_at: now - Duration::minutes(30),
        parties: vec![
            Party {
                name: "张三丰".into(),
                id_number: Some("410922195603150013".into()),
                phone: Some("13812345678".into()),
            },
            Party {
                name: "王五".into(),
                id_number: None,
                phone: None,
            },
        ],
        dispute_type: DisputeType::Neighbour,
        description: "张三丰与邻居王五因两家之间院墙的位置发生争执。".into(),
        status: DisputeStatus::Reported,
        referral: None,
        sessions: vec![],
        outcome: String::new(),
        agreement: String::new(),
        resolved_at: None,
        return_visit: None,
        household: Some(household.id),
        source: Some(visit.id),
    };
    let case = phone.create(&officer, nanjie.clone(), Body::Dispute(dispute.clone()))?;
    saved(&case.body, case.created_at);

    dispute.status = DisputeStatus::Mediating;
    dispute.sessions.push(Session {
        held_at: now - Duration::minutes(10),
        participants: vec![
            "李强".into(),
            "张三丰".into(),
            "王五".into(),
            "村调解员赵桂英".into(),
        ],
        notes: "双方陈述各自理由，同意请村委会测量后再议。".into(),
        outcome: "约定三日后再调".into(),
    });
    let case = phone.update(case.id, Body::Dispute(dispute.clone()))?;
    println!(
        "  状态 (status): {} → {}",
        status_label("reported"),
        status_label(case.body.status().unwrap_or_default())
    );
    println!(
        "  调解 (session) {}：{}",
        format_local(dispute.sessions[0].held_at),
        dispute.sessions[0].notes
    );

    // ---- 4. The rules refuse what they must ----------------------------------------------------
    heading(4, "规则拦截", "what the rules refuse");
    let mut skipping = dispute.clone();
    skipping.status = DisputeStatus::Closed;
    let err = phone
        .update(case.id, Body::Dispute(skipping))
        .expect_err("mediating → closed skips resolution");
    println!(
        "  调解中直接结案 (mediating → closed) 被拒绝 (refused) [{}]:",
        err.code()
    );
    println!("    {}", err.message(Lang::Zh));
    println!("    ({})", err.message(Lang::En));

    let mistyped = Household {
        address: "南街村三组13号".into(),
        members: vec![Member {
            name: "王五".into(),
            // The last digit should be 3: the MOD 11-2 check catches the slip.
            id_number: Some("410922195603150012".into()),
            phone: None,
            relation: Relation::Head,
        }],
        tags: vec![],
        notes: String::new(),
    };
    let err = phone
        .create(&officer, nanjie.clone(), Body::Household(mistyped))
        .expect_err("the check digit is wrong");
    println!(
        "  身份证号有误 (a mistyped ID number) 被拒绝 (refused) [{}]:",
        err.code()
    );
    println!("    {}", err.message(Lang::Zh));
    println!("    ({})", err.message(Lang::En));
    println!(
        "  未保存任何内容 (nothing was stored): 本机共 {} 条记录 (records on this device)",
        phone.list(&ListQuery::default())?.len()
    );

    // ---- 5. Two devices, offline, editing the same dispute ----------------------------------
    heading(
        5,
        "两台设备离线编辑同一纠纷",
        "two devices edit one dispute offline",
    );
    let mut other = Store::open(
        dir.join("auxiliary-phone.db"),
        Some(&StoreKey::Raw([2; 32])),
    )?;
    let report = exchange(&mut phone, &mut other)?;
    println!(
        "  民警手机 → 辅警小王的手机 (officer's phone → auxiliary Wang's phone): {}",
        describe(&report)
    );

    // On the officer's phone: more detail, and 王五's phone number as he gave it.
    let mut on_phone = dispute.clone();
    on_phone
        .description
        .push_str("补充：王五称院墙原址有老界石为证。");
    on_phone.parties[1].phone = Some("13912345678".into());
    phone.update(case.id, Body::Dispute(on_phone))?;
    println!("  民警 (officer): 补充案情 (appends to the description)，记王五电话 13912345678");

    // On the auxiliary's phone: the case is settled, and a different number for 王五.
    let mut on_other = dispute.clone();
    on_other.status = DisputeStatus::Resolved;
    on_other.resolved_at = Some(now);
    on_other.outcome = "经村委会测量，双方同意以老界石为界重砌院墙。".into();
    on_other.parties[1].phone = Some("13987654321".into());
    other.update(case.id, Body::Dispute(on_other))?;
    println!("  辅警 (auxiliary): 标记已化解 (marks it resolved)，记王五电话 13987654321");

    let there = exchange(&mut phone, &mut other)?;
    let back = exchange(&mut other, &mut phone)?;
    println!("  恢复联网后交换 (back online, exchange both ways):");
    println!(
        "    民警 → 辅警 (officer → auxiliary): {}",
        describe(&there)
    );
    println!("    辅警 → 民警 (auxiliary → officer): {}", describe(&back));

    let merged = phone.open_record(case.id)?;
    assert_eq!(merged, other.open_record(case.id)?, "both devices converge");
    println!("  合并结果（两台设备一致） (merged; identical on both devices):");
    show_dispute(&merged.record.body);
    let flagged = phone.list(&ListQuery::default())?;
    let flagged = flagged
        .iter()
        .find(|s| s.id == case.id)
        .ok_or("case listed")?;
    println!(
        "  列表中标出 (flagged in lists): {} 处冲突待处理 (conflict(s) to settle)",
        flagged.conflicts
    );
    for conflict in &merged.conflicts {
        println!("  ⚠ 冲突 (conflict) {}:", conflict.path);
        for (i, value) in conflict.values.iter().enumerate() {
            let note = if i == 0 {
                "  ← 暂时显示 (shown until someone picks)"
            } else {
                ""
            };
            println!("      {value}{note}");
        }
    }

    // ---- 6. Settling the conflict ------------------------------------------------------------
    heading(6, "处理冲突", "settle the conflict");
    let path = &merged.conflicts.first().ok_or("expected a conflict")?.path;
    let confirmed = json!("13912345678");
    phone.resolve(case.id, path, confirmed.clone())?;
    let report = exchange(&mut phone, &mut other)?;
    println!("  民警电话核实后选定 (the officer phoned to check and picks) {confirmed}");
    println!(
        "  同步到辅警手机 (sent to the auxiliary's phone): {}",
        describe(&report)
    );
    let settled = other.open_record(case.id)?;
    println!(
        "  辅警手机上 (on the auxiliary's phone): {} = {}，剩余冲突 (conflicts left) {}，更新于 (updated) {}",
        path,
        party_phone(&settled.record.body, 1),
        settled.conflicts.len(),
        format_local(settled.record.updated_at)
    );

    // ---- 7. Search ---------------------------------------------------------------------------
    heading(7, "搜索“张三”", "two characters find 张三丰");
    let hits = other.search("张三", 20)?;
    println!("  找到 {} 条 (found {}):", hits.len(), hits.len());
    for hit in hits {
        println!(
            "  {} ({})  {}  [{}]",
            hit.kind.label(Lang::Zh),
            hit.kind.label(Lang::En),
            hit.title,
            format_local(hit.occurred_at)
        );
    }

    println!(
        "\n完成 (done) in {} ms — 数据在 (stores in) {}",
        started.elapsed().as_millis(),
        dir.display()
    );
    Ok(())
}

/// Sends `from`'s outbox to `to`, as the server would relay it, and marks it delivered.
fn exchange(from: &mut Store, to: &mut Store) -> Result<ApplyReport> {
    let outbox = from.pending_changes(1000)?;
    let incoming: Vec<IncomingChange> = outbox
        .iter()
        .map(|c| IncomingChange {
            record_id: c.record_id,
            bytes: c.bytes.clone(),
        })
        .collect();
    let report = to.apply_changes(&incoming)?;
    let delivered: Vec<_> = outbox.iter().map(|c| c.hash).collect();
    from.acknowledge(&delivered)?;
    Ok(report)
}

fn heading(n: u32, zh: &str, en: &str) {
    println!("\n{n}. {zh} ({en})");
}

fn saved(body: &Body, at: chrono::DateTime<Utc>) {
    println!(
        "  已保存 (saved) {} ({})：{}  [{}]",
        body.kind().label(Lang::Zh),
        body.kind().label(Lang::En),
        body.title(),
        format_local(at)
    );
}

fn describe(report: &ApplyReport) -> String {
    format!(
        "{} 个变更已应用 (changes applied)，{} 条记录更新 (records updated)",
        report.applied,
        report.records.len()
    )
}

fn show_dispute(body: &Body) {
    let Body::Dispute(d) = body else { return };
    println!(
        "    状态 (status):       {}",
        status_label(body.status().unwrap_or_default())
    );
    println!("    案情 (description):  {}", d.description);
    println!("    结果 (outcome):      {}", d.outcome);
    println!("    王五电话 (phone):    {}", party_phone(body, 1));
}

fn party_phone(body: &Body, party: usize) -> String {
    match body {
        Body::Dispute(d) => d
            .parties
            .get(party)
            .and_then(|p| p.phone.clone())
            .unwrap_or_else(|| "—".into()),
        _ => "—".into(),
    }
}

/// A dispute status as people read it.
fn status_label(status: &str) -> String {
    let zh = match status {
        "reported" => "已登记",
        "mediating" => "调解中",
        "resolved" => "已化解",
        "referred" => "已移交",
        "closed" => "已结案",
        other => other,
    };
    format!("{zh} ({status})")
}
