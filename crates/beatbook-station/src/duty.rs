//! Recurring duties (e.g. 每名重点人员每7天见面核查一次; 每户每季度走访一次): rules a station sets,
//! and the tasks they generate, one per target per period.
//!
//! Generation is idempotent by existence check, not by deterministic ids: before creating the
//! task for (rule, target, period) it looks for any task of the same action about the same
//! target due within the period (generated or dispatched by hand) and creates nothing if one
//! exists. Deterministic ids were rejected: two devices creating "the same" record id
//! independently make two unrelated Automerge histories for one document, and every field would
//! then conflict. Two chiefs' devices generating the same period while both offline make two
//! tasks; after they sync, the next run keeps one (a done one, else the smallest id — the same
//! choice on every device) and cancels the other with a reason, so the result converges.

use crate::dispatch::{self, plan_task, tasks_for, Selector};
use crate::error::{action_label, Result, StationError};
use crate::period::{local_day, local_midnight, Period};
use crate::roster::Roster;
use beatbook_model::{
    Body, Clock, KeyPersonCategory, Lang, Record, RecordId, RiskLevel, StationId, TaskAction,
    TaskStatus, UserId, VillageId,
};
use beatbook_store::Store;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// How a generated task's instructions mark it as made by a rule (followed by the rule's id).
pub const TAG_PREFIX: &str = "〔值勤规则 ";

/// Where a device keeps its station's duty rules (store `meta`, encrypted with the store).
pub const RULES_META_KEY: &str = "station.duty_rules";

/// A recurring duty: every target it selects gets one task per period of `every_days` days,
/// counted from `starts_on` (Asia/Shanghai), due at the period's last second.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DutyRule {
    /// Stable id (UUID v7), also carried in the tasks it generates.
    pub id: RecordId,
    /// A name people recognise, e.g. 高风险重点人员每周核查.
    pub name: String,
    /// The station the rule belongs to.
    pub station: StationId,
    /// Villages it covers; every village of the station when empty.
    #[serde(default)]
    pub villages: Vec<VillageId>,
    /// `check_key_person` or `visit_household`.
    pub action: TaskAction,
    /// Length of a period in days.
    pub every_days: u32,
    /// Key-person categories covered (all when empty).
    #[serde(default)]
    pub categories: Vec<KeyPersonCategory>,
    /// Key persons at this risk level or above only.
    #[serde(default)]
    pub min_risk: Option<RiskLevel>,
    /// Who gets the tasks; for key persons, their responsible officer when `None`.
    #[serde(default)]
    pub assignee: Option<UserId>,
    /// The first day of the first period.
    pub starts_on: NaiveDate,
    /// Who made the rule.
    pub created_by: UserId,
    /// When.
    pub created_at: DateTime<Utc>,
}

impl DutyRule {
    /// Checks the rule is usable: a period of 1 to 366 days, an action rules can generate, an
    /// assignee for households.
    pub fn check(&self) -> Result<()> {
        let bad = |zh: &str, en: &str| {
            Err(StationError::BadRule {
                zh: zh.into(),
                en: en.into(),
            })
        };
        if self.name.trim().is_empty() {
            return bad(
                "请给规则起个名字（--name）",
                "give the rule a name (--name)",
            );
        }
        if !(1..=366).contains(&self.every_days) {
            return bad(
                "周期须在 1 到 366 天之间（--every-days）",
                "the period must be 1 to 366 days (--every-days)",
            );
        }
        match self.action {
            TaskAction::CheckKeyPerson => Ok(()),
            TaskAction::VisitHousehold if self.assignee.is_some() => Ok(()),
            TaskAction::VisitHousehold => bad(
                "走访规则须用 --assignee 指明承办人",
                "a household-visit rule needs an assignee (--assignee)",
            ),
            other => Err(StationError::NotSelectable(other)),
        }
    }

    /// The period holding `t`; `None` before the rule starts.
    pub fn period_at(&self, t: DateTime<Utc>) -> Option<Period> {
        let anchor = local_midnight(self.starts_on);
        if t < anchor {
            return None;
        }
        let n = i64::from(self.every_days.max(1));
        let k = (t - anchor).num_days() / n;
        let start = anchor + Duration::days(k * n);
        Some(Period {
            start,
            end: start + Duration::days(n),
        })
    }

    /// The mark a generated task's instructions carry, naming the rule.
    pub fn tag(&self) -> String {
        format!("{TAG_PREFIX}{}〕", &self.id.to_string()[..8])
    }

    fn selector(&self) -> Selector {
        Selector {
            villages: self.villages.clone(),
            categories: self.categories.clone(),
            min_risk: self.min_risk,
        }
    }
}

/// The rules kept on this device.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RuleBook {
    /// The rules, oldest first.
    pub rules: Vec<DutyRule>,
}

impl RuleBook {
    /// Reads the rules from the store.
    pub fn load(store: &Store) -> Result<RuleBook> {
        match store.get_meta(RULES_META_KEY)? {
            None => Ok(RuleBook::default()),
            Some(json) => serde_json::from_str(&json).map_err(|e| {
                StationError::Store(beatbook_store::StoreError::Document(e.to_string()))
            }),
        }
    }

    fn save(&self, store: &mut Store) -> Result<()> {
        let json = serde_json::to_string(self).unwrap_or_default();
        Ok(store.set_meta(RULES_META_KEY, &json)?)
    }

    /// Checks and adds a rule.
    pub fn add(store: &mut Store, rule: DutyRule) -> Result<DutyRule> {
        rule.check()?;
        let mut book = Self::load(store)?;
        book.rules.push(rule.clone());
        book.save(store)?;
        Ok(rule)
    }

    /// Removes the rule whose id starts with `prefix` (at least 4 characters); tasks it made stay.
    pub fn remove(store: &mut Store, prefix: &str) -> Result<DutyRule> {
        let mut book = Self::load(store)?;
        let p = prefix.trim().to_ascii_lowercase();
        let matching: Vec<usize> = (0..book.rules.len())
            .filter(|&i| p.len() >= 4 && book.rules[i].id.to_string().starts_with(&p))
            .collect();
        let [i] = matching[..] else {
            return Err(StationError::UnknownRule(prefix.to_owned()));
        };
        let rule = book.rules.remove(i);
        book.save(store)?;
        Ok(rule)
    }
}

/// What one run of the rules did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RunReport {
    /// Tasks created now.
    pub created: Vec<Record>,
    /// Targets that already had their task for the current period.
    pub existing: usize,
    /// Duplicate tasks (made concurrently on two devices) cancelled now.
    pub duplicates_cancelled: Vec<RecordId>,
    /// Targets given no task, with the reason's code (e.g. the assignee is not on the roster).
    pub skipped: Vec<(RecordId, String)>,
}

/// Generates the current period's tasks of every rule of the rule book. Running it again in
/// the same period creates nothing.
pub fn run(
    store: &mut Store,
    roster: &Roster,
    by: &UserId,
    clock: &dyn Clock,
) -> Result<RunReport> {
    let book = RuleBook::load(store)?;
    let now = clock.now();
    let mut report = RunReport::default();
    for rule in &book.rules {
        run_rule(store, roster, by, rule, now, &mut report)?;
    }
    Ok(report)
}

fn run_rule(
    store: &mut Store,
    roster: &Roster,
    by: &UserId,
    rule: &DutyRule,
    now: DateTime<Utc>,
    report: &mut RunReport,
) -> Result<()> {
    let Some(period) = rule.period_at(now) else {
        return Ok(());
    };
    let tag = rule.tag();
    let targets = dispatch::select(store, rule.action, &rule.selector())?;
    for target in targets.iter().filter(|t| t.scope.station == rule.station) {
        let existing = tasks_for(store, target.id, rule.action, |t| {
            t.status != TaskStatus::Cancelled && period.contains(t.due_at)
        })?;
        if existing.is_empty() {
            let assignee = match (&rule.assignee, &target.body) {
                (Some(a), _) => a.clone(),
                (None, Body::KeyPerson(k)) => k.responsible_officer.clone(),
                (None, _) => continue,
            };
            let order = dispatch::Order {
                assignee,
                action: rule.action,
                target: Some(target.id),
                scope: None,
                due_at: period.last_second(),
                instructions: format!(
                    "{}：{} {tag}\n{}（{} 至 {}）",
                    action_label(rule.action, Lang::Zh),
                    target.body.title(),
                    rule.name,
                    local_day(period.start),
                    local_day(period.last_second()),
                ),
            };
            match plan_task(store, roster, by, &order, now) {
                Ok((scope, task)) => {
                    report
                        .created
                        .push(store.create(by, scope, Body::Task(task))?)
                }
                Err(e) if e.is_bad_input() => {
                    report.skipped.push((target.id, e.code().to_owned()));
                }
                Err(e) => return Err(e),
            }
            continue;
        }
        report.existing += 1;
        dedupe(store, existing, report)?;
    }
    Ok(())
}

/// Keeps one of several tasks for the same work: a done one if any, else the smallest id (the
/// same choice on every device); cancels the other open tasks that a rule generated (on any
/// device, whatever its rule book holds). Tasks dispatched by hand are never cancelled here.
fn dedupe(store: &mut Store, tasks: Vec<Record>, report: &mut RunReport) -> Result<()> {
    if tasks.len() < 2 {
        return Ok(());
    }
    let status = |r: &Record| match &r.body {
        Body::Task(t) => t.status,
        _ => TaskStatus::Cancelled,
    };
    let keeper = tasks
        .iter()
        .min_by_key(|r| (status(r) != TaskStatus::Done, r.id))
        .map(|r| r.id);
    for r in tasks {
        let Body::Task(mut t) = r.body else { continue };
        if Some(r.id) == keeper
            || t.status != TaskStatus::Open
            || !t.instructions.contains(TAG_PREFIX)
        {
            continue;
        }
        t.status = TaskStatus::Cancelled;
        t.cancel_reason = format!(
            "重复生成，保留任务 {} / duplicate of task {}",
            keeper.map(|k| k.to_string()).unwrap_or_default(),
            keeper.map(|k| k.to_string()).unwrap_or_default()
        );
        store.update(r.id, Body::Task(t))?;
        report.duplicates_cancelled.push(r.id);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn periods_count_whole_local_days_from_the_start() {
        let rule = DutyRule {
            id: RecordId::new(),
            name: "每周核查".into(),
            station: "gucheng".into(),
            villages: vec![],
            action: TaskAction::CheckKeyPerson,
            every_days: 7,
            categories: vec![],
            min_risk: None,
            assignee: None,
            starts_on: NaiveDate::from_ymd_opt(2026, 11, 2).unwrap(),
            created_by: "chief".into(),
            created_at: Utc::now(),
        };
        // 2026-11-01 23:59 local is before the start.
        let before = Utc.with_ymd_and_hms(2026, 11, 1, 15, 59, 0).unwrap();
        assert_eq!(rule.period_at(before), None);
        // 2026-11-09 00:00 local opens the second period.
        let second = Utc.with_ymd_and_hms(2026, 11, 8, 16, 0, 0).unwrap();
        let p = rule.period_at(second).unwrap();
        assert_eq!(p.start, second);
        assert_eq!(local_day(p.last_second()).to_string(), "2026-11-15");
        assert!(rule.check().is_ok());
        let household = DutyRule {
            action: TaskAction::VisitHousehold,
            ..rule
        };
        assert_eq!(household.check().unwrap_err().code(), "bad_rule");
    }
}
