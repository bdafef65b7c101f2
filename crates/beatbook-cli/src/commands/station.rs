//! Station work for chiefs: `task assign` and `task bulk` (dispatch), `duty add|list|remove|run`
//! (recurring duty rules), `board` (hazards to zero) and `assess` (assessment, XLSX export).
//! Each is a thin call into `beatbook-station`; the roster of who may take tasks is the
//! station's people as the server listed them at login, or a file (`--roster FILE`, or
//! `roster.json` in the data folder).

use crate::error::{Exit, Failure, Result};
use crate::home::{Home, Session};
use crate::table::Table;
use crate::values::{record_id, time_arg};
use beatbook_model::{
    fields, format_local, KeyPersonCategory, Lang, RecordId, RiskLevel, Role, StationId,
    SystemClock, TaskAction, UserId,
};
use beatbook_station::{
    assess, board, dispatch, duty, error::action_label, period, xlsx, BulkOrder, By, DateRange,
    DutyRule, Order, Roster, RuleBook, Selector, StationError,
};
use beatbook_sync::Device;
use chrono::NaiveDate;
use clap::{Args, Subcommand, ValueEnum};
use std::path::PathBuf;

impl From<StationError> for Failure {
    fn from(e: StationError) -> Self {
        match e {
            StationError::Store(s) => s.into(),
            other => {
                let exit = if other.is_bad_input() {
                    Exit::BadInput
                } else {
                    Exit::Failure
                };
                Failure::new(
                    exit,
                    other.code(),
                    other.message(Lang::Zh),
                    other.message(Lang::En),
                )
            }
        }
    }
}

/// Where the roster comes from.
#[derive(Debug, Clone, Args)]
pub struct RosterArg {
    /// 人员名单（JSON：[{user, name, role, station, villages}]），默认数据目录下的 roster.json /
    /// the roster file (JSON), default roster.json in the data folder
    #[arg(long, env = "BEATBOOK_ROSTER", value_name = "FILE")]
    pub roster: Option<PathBuf>,
}

/// `beatbook task assign`.
#[derive(Debug, Args)]
pub struct AssignArgs {
    /// 承办人账号 / the assignee's account
    #[arg(long)]
    pub to: String,
    /// 任务类型 / action: visit_household, check_key_person, inspect_unit, return_visit, patrol, publicity, follow_hazard (or 走访某户 …)
    #[arg(long)]
    pub action: String,
    /// 相关记录编号（户、重点人员、单位检查、纠纷、隐患）/ the record concerned
    #[arg(long)]
    pub target: Option<String>,
    /// 无相关记录时所属的村 / the village, for tasks without a target (patrol, publicity)
    #[arg(long)]
    pub village: Option<String>,
    /// 截止时间，如 2026-11-30 18:00 / due, e.g. 2026-11-30 18:00
    #[arg(long)]
    pub due: String,
    /// 任务要求 / instructions
    #[arg(long, default_value = "")]
    pub note: String,
    #[command(flatten)]
    pub roster: RosterArg,
}

/// `beatbook task bulk`.
#[derive(Debug, Args)]
pub struct BulkArgs {
    /// 任务类型 / action (check_key_person, visit_household, inspect_unit, return_visit, follow_hazard)
    #[arg(long)]
    pub action: String,
    /// 只派这些村（可重复；默认全部）/ only these villages (repeatable; default all)
    #[arg(long = "village")]
    pub villages: Vec<String>,
    /// 只派这些类别的重点人员（可重复）/ only key persons of this category (repeatable)
    #[arg(long = "category")]
    pub categories: Vec<String>,
    /// 只派此风险等级及以上的重点人员 / only key persons at this risk level or above
    #[arg(long)]
    pub min_risk: Option<String>,
    /// 承办人；重点人员默认各自的责任民警 / assignee; key persons default to their responsible officer
    #[arg(long)]
    pub to: Option<String>,
    /// 截止时间；默认本周日 23:59 / due; default Sunday 23:59 this week
    #[arg(long)]
    pub due: Option<String>,
    /// 任务要求 / instructions
    #[arg(long, default_value = "")]
    pub note: String,
    #[command(flatten)]
    pub roster: RosterArg,
}

/// `beatbook duty …`.
#[derive(Debug, Subcommand)]
pub enum DutyCommand {
    /// 新增值勤规则 / add a duty rule
    Add {
        /// 规则名称 / name
        #[arg(long)]
        name: String,
        /// check_key_person 或 visit_household
        #[arg(long)]
        action: String,
        /// 每几天一次 / every N days
        #[arg(long)]
        every_days: u32,
        /// 只适用于这些村（可重复；默认全所）/ only these villages (default the whole station)
        #[arg(long = "village")]
        villages: Vec<String>,
        /// 重点人员类别（可重复）/ key-person category (repeatable)
        #[arg(long = "category")]
        categories: Vec<String>,
        /// 最低风险等级 / lowest risk level covered
        #[arg(long)]
        min_risk: Option<String>,
        /// 承办人（走访规则必填）/ assignee (required for household visits)
        #[arg(long)]
        to: Option<String>,
        /// 第一周期的第一天，默认今天 / first day of the first period, default today
        #[arg(long)]
        starts_on: Option<String>,
    },
    /// 列出值勤规则 / list duty rules
    List {
        /// 输出 JSON / print JSON
        #[arg(long)]
        json: bool,
    },
    /// 删除值勤规则（已生成的任务保留）/ remove a rule (tasks it made stay)
    Remove {
        /// 规则编号（前几位即可）/ rule id (a prefix will do)
        id: String,
    },
    /// 按规则生成本周期的任务（重复运行不会重复派单）/ generate this period's tasks (running again adds nothing)
    Run {
        #[command(flatten)]
        roster: RosterArg,
    },
}

/// `beatbook board`.
#[derive(Debug, Args)]
pub struct BoardArgs {
    /// 输出 JSON / print JSON
    #[arg(long)]
    pub json: bool,
}

/// Rows of an assessment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ByArg {
    /// 按人 / per officer
    Officer,
    /// 按村 / per village
    Village,
    /// 按派出所（县局总览）/ per station (county view)
    Station,
}

/// `beatbook assess`.
#[derive(Debug, Args)]
pub struct AssessArgs {
    /// 起始日期，如 2026-11-01 / first day
    #[arg(long)]
    pub from: String,
    /// 结束日期（含）/ last day (inclusive)
    #[arg(long)]
    pub to: String,
    /// 按人、按村或按派出所 / rows per officer, village or station
    #[arg(long, value_enum, default_value = "officer")]
    pub by: ByArg,
    /// 同时导出 Excel / also write an Excel workbook
    #[arg(long, value_name = "FILE")]
    pub xlsx: Option<PathBuf>,
    /// 输出 JSON / print JSON
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub roster: RosterArg,
}

fn bad(code: &str, zh: String, en: String) -> Failure {
    Failure::bad_input(code, zh, en)
}

/// Who may be given work: the roster file when one is named (`--roster`, `BEATBOOK_ROSTER`) or
/// present in the data folder, otherwise the colleagues the server listed at login.
fn roster(home: &Home, s: &Session, arg: &RosterArg) -> Result<Roster> {
    let default = home.dir.join("roster.json");
    let path = match arg.roster.clone() {
        Some(path) => path,
        None if default.exists() => default,
        None => return staff_roster(s),
    };
    let text = std::fs::read_to_string(&path).map_err(|e| {
        bad(
            "no_roster",
            format!("读不到人员名单 {}：{e}。请用 --roster 指明名单文件（JSON：[{{\"user\":\"li.officer\",\"name\":\"李强\",\"role\":\"community_officer\",\"station\":\"gucheng\",\"villages\":[\"nanjie\"]}}]）", path.display()),
            format!("cannot read the roster {}: {e}; name it with --roster (JSON list of {{user, name, role, station, villages}})", path.display()),
        )
    })?;
    serde_json::from_str(&text).map_err(|e| {
        bad(
            "bad_roster",
            format!("人员名单 {} 格式不对：{e}", path.display()),
            format!("the roster {} is not valid: {e}", path.display()),
        )
    })
}

/// The roster the server sent at login.
fn staff_roster(s: &Session) -> Result<Roster> {
    let staff = Device::staff(&s.store)?;
    if staff.is_empty() {
        return Err(bad(
            "no_roster",
            "此设备没有人员名单：请重新登录（beatbook login）以获取本所人员，或用 --roster 指明名单文件".to_owned(),
            "this device has no roster: log in again (beatbook login) to fetch your station's people, or name a roster file with --roster".to_owned(),
        ));
    }
    Ok(Roster::from(staff))
}

fn choice<T: serde::de::DeserializeOwned>(
    what: &str,
    table: &'static [fields::Choice],
    raw: &str,
) -> Result<T> {
    let codes = || table.iter().map(|c| c.code).collect::<Vec<_>>().join(", ");
    fields::find_choice(table, raw)
        .and_then(|c| serde_json::from_value(serde_json::Value::String(c.code.into())).ok())
        .ok_or_else(|| {
            bad(
                "bad_value",
                format!("{what}：无法识别“{raw}”，可选：{}", codes()),
                format!("{what}: \"{raw}\" is not one of {}", codes()),
            )
        })
}

fn action(raw: &str) -> Result<TaskAction> {
    choice("--action", fields::TASK_ACTION, raw)
}

fn selector(
    s: &Session,
    villages: &[String],
    categories: &[String],
    min_risk: Option<&str>,
) -> Result<Selector> {
    Ok(Selector {
        villages: villages.iter().map(|v| s.village_id(v)).collect(),
        categories: categories
            .iter()
            .map(|c| choice::<KeyPersonCategory>("--category", fields::KEY_PERSON_CATEGORY, c))
            .collect::<Result<_>>()?,
        min_risk: min_risk
            .map(|r| choice::<RiskLevel>("--min-risk", fields::RISK_LEVEL, r))
            .transpose()?,
    })
}

/// The station whose duty rules this user sets: their own, if the model's access rule lets
/// them.
fn chief_station(s: &Session) -> Result<StationId> {
    let a = s.assignment();
    let denied = beatbook_model::Denied::DutyRules;
    a.station
        .clone()
        .filter(|st| a.can_manage_duty_rules(st))
        .ok_or_else(|| {
            bad(
                denied.code(),
                denied.message(Lang::Zh).into(),
                denied.message(Lang::En).into(),
            )
        })
}

fn day_arg(what: &str, raw: &str) -> Result<NaiveDate> {
    raw.trim().parse().map_err(|_| {
        bad(
            "bad_date",
            format!("{what}：无法识别日期“{raw}”，请写成 2026-11-01"),
            format!("{what}: \"{raw}\" is not a date; write 2026-11-01"),
        )
    })
}

/// `beatbook task assign`: prints the new task's id.
pub fn assign(home: &Home, args: AssignArgs) -> Result<String> {
    let mut s = home.session()?;
    let roster = roster(home, &s, &args.roster)?;
    let action = action(&args.action)?;
    let target = args.target.as_deref().map(record_id).transpose()?;
    let scope = match &args.village {
        Some(v) => Some(s.scope_for_new(beatbook_model::Kind::Task, Some(v))?),
        None => None,
    };
    let order = Order {
        assignee: UserId::from(args.to.as_str()),
        action,
        target,
        scope,
        due_at: time_arg("--due", &args.due)?,
        instructions: args.note,
    };
    if let Some(t) = target.and_then(|t| s.store.get(t).ok().flatten()) {
        s.check_write(beatbook_model::Kind::Task, &t.scope)?;
    }
    let me = beatbook_station::Staff::from(s.device.user.clone());
    let task = dispatch::assign(&mut s.store, &roster, &me, &order, &SystemClock)?;
    Ok(format!("{}\n", task.id))
}

/// `beatbook task bulk`: one line per task created, then a summary.
pub fn bulk(home: &Home, args: BulkArgs) -> Result<String> {
    let mut s = home.session()?;
    let roster = roster(home, &s, &args.roster)?;
    let lang = home.lang;
    let order = BulkOrder {
        action: action(&args.action)?,
        selector: selector(
            &s,
            &args.villages,
            &args.categories,
            args.min_risk.as_deref(),
        )?,
        assignee: args.to.as_deref().map(UserId::from),
        due_at: match &args.due {
            Some(d) => time_arg("--due", d)?,
            None => period::week_of(chrono::Utc::now()).period().last_second(),
        },
        instructions: args.note,
    };
    let me = beatbook_station::Staff::from(s.device.user.clone());
    let report = dispatch::bulk(&mut s.store, &roster, &me, &order, &SystemClock)?;
    let mut out = String::new();
    for t in &report.created {
        out += &format!("{}\t{}\n", t.id, t.body.title());
    }
    out += &match lang {
        Lang::Zh => format!(
            "已派出 {} 项任务；{} 个对象已有未完成的同类任务，未重复派单\n",
            report.created.len(),
            report.already_open.len()
        ),
        Lang::En => format!(
            "{} tasks dispatched; {} targets already had an open task of this kind and were skipped\n",
            report.created.len(),
            report.already_open.len()
        ),
    };
    Ok(out)
}

/// `beatbook duty …`.
pub fn duty(home: &Home, cmd: DutyCommand) -> Result<String> {
    let lang = home.lang;
    let mut s = home.session()?;
    match cmd {
        DutyCommand::Add {
            name,
            action: raw_action,
            every_days,
            villages,
            categories,
            min_risk,
            to,
            starts_on,
        } => {
            let station = chief_station(&s)?;
            let sel = selector(&s, &villages, &categories, min_risk.as_deref())?;
            let now = chrono::Utc::now();
            let rule = DutyRule {
                id: RecordId::new(),
                name,
                station,
                villages: sel.villages,
                action: action(&raw_action)?,
                every_days,
                categories: sel.categories,
                min_risk: sel.min_risk,
                assignee: to.as_deref().map(UserId::from),
                starts_on: match starts_on {
                    Some(d) => day_arg("--starts-on", &d)?,
                    None => period::local_day(now),
                },
                created_by: UserId::from(s.me()),
                created_at: now,
            };
            let rule = RuleBook::add(&mut s.store, rule)?;
            Ok(format!("{}\n", rule.id))
        }
        DutyCommand::List { json } => {
            let book = RuleBook::load(&s.store)?;
            if json {
                let rules: Vec<serde_json::Value> = book
                    .rules
                    .iter()
                    .map(|r| {
                        let mut v = serde_json::to_value(r).unwrap_or_default();
                        v["waiting"] = book.waiting(r.id).into();
                        v
                    })
                    .collect();
                return Ok(serde_json::to_string_pretty(&rules).unwrap_or_default() + "\n");
            }
            let zh = lang == Lang::Zh;
            let mut t = Table::new(if zh {
                [
                    "编号",
                    "名称",
                    "任务",
                    "周期(天)",
                    "村",
                    "承办人",
                    "起始",
                    "同步",
                ]
            } else {
                [
                    "id",
                    "name",
                    "action",
                    "every (days)",
                    "villages",
                    "assignee",
                    "starts",
                    "sync",
                ]
            });
            for r in &book.rules {
                let villages = if r.villages.is_empty() {
                    if zh { "全所" } else { "all" }.to_owned()
                } else {
                    r.villages
                        .iter()
                        .map(|v| s.places.village(v.as_str()))
                        .collect::<Vec<_>>()
                        .join(",")
                };
                let who = r.assignee.as_ref().map_or_else(
                    || {
                        if zh {
                            "责任民警"
                        } else {
                            "responsible officer"
                        }
                        .to_owned()
                    },
                    UserId::to_string,
                );
                t.row([
                    r.id.to_string()[..8].to_owned(),
                    r.name.clone(),
                    action_label(r.action, lang).to_owned(),
                    r.every_days.to_string(),
                    villages,
                    who,
                    r.starts_on.to_string(),
                    match (book.waiting(r.id), zh) {
                        (true, true) => "待同步",
                        (true, false) => "waiting",
                        (false, true) => "已同步",
                        (false, false) => "synced",
                    }
                    .to_owned(),
                ]);
            }
            let mut out = t.render();
            for op in &book.pending {
                if let duty::DutyRuleOp::Remove { id, .. } = op {
                    out += &match lang {
                        Lang::Zh => format!("待同步：删除规则 {id}\n"),
                        Lang::En => format!("waiting to sync: removal of rule {id}\n"),
                    };
                }
            }
            for r in &book.refused {
                out += &match lang {
                    Lang::Zh => format!("⚠ 服务器拒收了规则 {} 的更改：{}\n", r.op.id(), r.message),
                    Lang::En => format!(
                        "⚠ the server refused the change to rule {}: {}\n",
                        r.op.id(),
                        r.message
                    ),
                };
            }
            Ok(out)
        }
        DutyCommand::Remove { id } => {
            chief_station(&s)?;
            let r = RuleBook::remove(&mut s.store, &id)?;
            Ok(format!("{}\n", r.id))
        }
        DutyCommand::Run { roster: arg } => {
            let roster = roster(home, &s, &arg)?;
            let me = beatbook_station::Staff::from(s.device.user.clone());
            let report = duty::run(&mut s.store, &roster, &me, &SystemClock)?;
            let mut out = String::new();
            for t in &report.created {
                out += &format!("{}\t{}\n", t.id, t.body.title());
            }
            let (c, e, d, k) = (
                report.created.len(),
                report.existing,
                report.duplicates_cancelled.len(),
                report.skipped.len(),
            );
            out += &match lang {
                Lang::Zh => format!("新生成 {c} 项任务；{e} 项本周期已有；取消重复 {d} 项；跳过 {k} 个对象\n"),
                Lang::En => format!("{c} tasks generated; {e} already there this period; {d} duplicates cancelled; {k} targets skipped\n"),
            };
            for (target, code) in &report.skipped {
                out += &format!("  {target}: {code}\n");
            }
            Ok(out)
        }
    }
}

/// The station a chief sees; every station for a county admin.
fn my_station(s: &Session) -> Option<StationId> {
    let a = s.assignment();
    (a.role != Role::CountyAdmin)
        .then(|| a.station.clone())
        .flatten()
}

/// `beatbook board`.
pub fn board_cmd(home: &Home, args: BoardArgs) -> Result<String> {
    let s = home.session()?;
    let lang = home.lang;
    let b = board::board(&s.store, my_station(&s).as_ref(), &SystemClock)?;
    if args.json {
        return Ok(serde_json::to_string_pretty(&b).unwrap_or_default() + "\n");
    }
    let zh = lang == Lang::Zh;
    let mut t = Table::new(if zh {
        [
            "村",
            "隐患",
            "状态",
            "发现",
            "期限",
            "已发现(天)",
            "逾期(天)",
            "编号",
        ]
    } else {
        [
            "village",
            "hazard",
            "status",
            "found",
            "deadline",
            "age (days)",
            "overdue (days)",
            "id",
        ]
    });
    for r in b.rows() {
        t.row(
            [
                s.places.village(r.village.as_str()),
                r.title.clone(),
                crate::render::status(
                    beatbook_model::Kind::Hazard,
                    Some(beatbook_station::error::code_of(&r.status).as_str()),
                    lang,
                ),
                format_local(r.found_at),
                r.deadline.map(format_local).unwrap_or_default(),
                r.age_days.to_string(),
                r.overdue_days
                    .map_or_else(String::new, |d| format!("⚠ {d}")),
            ]
            .into_iter()
            .chain([r.id.to_string()]),
        );
    }
    let total: usize = b.villages.iter().map(|v| v.rows.len()).sum();
    let overdue: usize = b.villages.iter().map(|v| v.overdue).sum();
    let head = if zh {
        format!(
            "未清零隐患 {total} 处，其中逾期 {overdue} 处（{}）\n",
            format_local(b.at)
        )
    } else {
        format!(
            "{total} hazards not cleared, {overdue} overdue ({})\n",
            format_local(b.at)
        )
    };
    Ok(if t.is_empty() {
        head
    } else {
        head + &t.render()
    })
}

/// `beatbook assess`.
pub fn assess_cmd(home: &Home, args: AssessArgs) -> Result<String> {
    let s = home.session()?;
    let lang = home.lang;
    let range = DateRange::new(day_arg("--from", &args.from)?, day_arg("--to", &args.to)?)?;
    let by = match args.by {
        ByArg::Officer => By::Officer,
        ByArg::Village => By::Village,
        ByArg::Station => By::Station,
    };
    let a = assess::assess(&s.store, range, by, my_station(&s).as_ref(), &SystemClock)?;
    // Names for officers come from the roster when there is one; ids otherwise.
    let names = roster(home, &s, &args.roster).unwrap_or_default();
    let label = |key: &str| match by {
        By::Officer => names.name_of(&key.into()),
        By::Village => s.places.village(key),
        By::Station => s.places.station(key),
    };
    if let Some(path) = &args.xlsx {
        let bytes = xlsx::workbook(&a, lang, &label)?;
        std::fs::write(path, bytes).map_err(|e| {
            Failure::other(
                "write_failed",
                format!("无法写入 {}：{e}", path.display()),
                format!("cannot write {}: {e}", path.display()),
            )
        })?;
    }
    if args.json {
        return Ok(serde_json::to_string_pretty(&a).unwrap_or_default() + "\n");
    }
    let rows = xlsx::table(&a, lang, &label);
    let mut t = Table::new(rows[0].clone());
    for r in &rows[1..] {
        t.row(r.clone());
    }
    Ok(format!("{}\n{}", xlsx::caption(&a, lang), t.render()))
}
