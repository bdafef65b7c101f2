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
//!
//! The rules themselves ([`DutyRule`], from the model) are station configuration the server
//! keeps: [`RuleBook::add`] and [`RuleBook::remove`] change this device's copy at once (usable
//! offline) and queue the change; [`exchange`], run after each records sync, sends the queue to
//! `POST /v1/duty-rules` and replaces the copy with the server's rules, then re-applies what
//! is still queued. Rules are immutable and removals are final, so sending an op twice, or ops
//! in another order, converges.

use crate::dispatch::{self, plan_task, tasks_for, Selector};
use crate::error::{action_label, Result, StationError};
use crate::period::{local_day, local_midnight, Period};
use crate::roster::{Roster, Staff};
use beatbook_model::{Body, Clock, Lang, Record, RecordId, TaskStatus};
pub use beatbook_model::{DutyRule, RULE_TAG_PREFIX as TAG_PREFIX};
pub use beatbook_protocol::DutyRuleOp;
use beatbook_protocol::{
    ApiErrorBody, DutyRulesRequest, DutyRulesResponse, ErrorCode, PROTOCOL_VERSION,
};
use beatbook_store::Store;
use beatbook_sync::http::HttpTransport;
use beatbook_sync::SyncError;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::sync::{Mutex, MutexGuard};

/// Where a device keeps its station's duty rules and the changes not yet sent (store `meta`,
/// encrypted with the store).
pub const RULES_META_KEY: &str = "station.duty_rules";

/// The period of `rule` holding `t`; `None` before the rule starts. Periods are whole
/// Asia/Shanghai days counted from the rule's first day.
pub fn period_at(rule: &DutyRule, t: DateTime<Utc>) -> Option<Period> {
    let anchor = local_midnight(rule.starts_on);
    if t < anchor {
        return None;
    }
    let n = i64::from(rule.every_days.max(1));
    let k = (t - anchor).num_days() / n;
    let start = anchor + Duration::days(k * n);
    Some(Period {
        start,
        end: start + Duration::days(n),
    })
}

fn selector(rule: &DutyRule) -> Selector {
    Selector {
        villages: rule.villages.clone(),
        categories: rule.categories.clone(),
        min_risk: rule.min_risk,
    }
}

/// A rule change the server refused for good, kept on the device to show the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefusedOp {
    /// The change.
    pub op: DutyRuleOp,
    /// The server's code, e.g. `forbidden`.
    pub code: String,
    /// The server's message (Chinese, then English).
    pub message: String,
}

/// The rules as this device knows them: the server's answer at the last exchange with the
/// changes made here since applied on top.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RuleBook {
    /// The rules, oldest first.
    pub rules: Vec<DutyRule>,
    /// Changes made on this device that the server has not acknowledged yet, in order.
    pub pending: Vec<DutyRuleOp>,
    /// Changes the server refused for good.
    #[serde(default)]
    pub refused: Vec<RefusedOp>,
}

/// The stored form; a book written before rules synced has no `pending`.
#[derive(Deserialize)]
struct StoredBook {
    rules: Vec<DutyRule>,
    #[serde(default)]
    pending: Option<Vec<DutyRuleOp>>,
    #[serde(default)]
    refused: Vec<RefusedOp>,
}

impl RuleBook {
    /// Reads the rules from the store. Rules kept before rules synced are queued to be sent.
    pub fn load(store: &Store) -> Result<RuleBook> {
        let Some(json) = store.get_meta(RULES_META_KEY)? else {
            return Ok(RuleBook::default());
        };
        let stored: StoredBook = serde_json::from_str(&json).map_err(|e| {
            StationError::Store(beatbook_store::StoreError::Document(e.to_string()))
        })?;
        let pending = stored
            .pending
            .unwrap_or_else(|| stored.rules.iter().cloned().map(DutyRuleOp::Put).collect());
        Ok(RuleBook {
            rules: stored.rules,
            pending,
            refused: stored.refused,
        })
    }

    fn save(&self, store: &mut Store) -> Result<()> {
        let json = serde_json::to_string(self).unwrap_or_default();
        Ok(store.set_meta(RULES_META_KEY, &json)?)
    }

    /// Checks and adds a rule here, and queues it for the server.
    pub fn add(store: &mut Store, rule: DutyRule) -> Result<DutyRule> {
        rule.check()?;
        let mut book = Self::load(store)?;
        book.rules.push(rule.clone());
        book.pending.push(DutyRuleOp::Put(rule.clone()));
        book.save(store)?;
        Ok(rule)
    }

    /// Removes the rule whose id starts with `prefix` (at least 4 characters) here, and queues
    /// the removal for the server; tasks it made stay.
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
        book.pending.push(DutyRuleOp::Remove {
            id: rule.id,
            station: rule.station.clone(),
        });
        book.save(store)?;
        Ok(rule)
    }

    /// Whether a change to rule `id` made here still waits to be sent.
    pub fn waiting(&self, id: RecordId) -> bool {
        self.pending.iter().any(|op| op.id() == id)
    }

    /// The request that sends every queued change (none: it only reads the rules).
    pub fn request(&self) -> DutyRulesRequest {
        DutyRulesRequest {
            protocol: PROTOCOL_VERSION,
            ops: self.pending.clone(),
        }
    }

    /// Drops `op` from the queue once (the server has it).
    fn acknowledge(&mut self, op: &DutyRuleOp) {
        if let Some(i) = self.pending.iter().position(|p| p == op) {
            self.pending.remove(i);
        }
    }

    /// Applies the server's answer to a request that sent `sent`: those leave the queue, the
    /// rules become the server's, and changes queued since are applied on top. Returns the
    /// book as saved.
    pub fn accept(
        store: &mut Store,
        sent: &[DutyRuleOp],
        answer: DutyRulesResponse,
    ) -> Result<RuleBook> {
        let mut book = Self::load(store)?;
        for op in sent {
            book.acknowledge(op);
        }
        book.rules = answer.rules;
        let removed: Vec<RecordId> = book
            .pending
            .iter()
            .filter_map(|op| match op {
                DutyRuleOp::Remove { id, .. } => Some(*id),
                DutyRuleOp::Put(_) => None,
            })
            .collect();
        for op in &book.pending {
            if let DutyRuleOp::Put(rule) = op {
                if !book.rules.iter().any(|r| r.id == rule.id) {
                    book.rules.push(rule.clone());
                }
            }
        }
        book.rules.retain(|r| !removed.contains(&r.id));
        book.save(store)?;
        Ok(book)
    }
}

/// What one exchange with the server did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Exchanged {
    /// Queued changes the server acknowledged.
    pub sent: usize,
    /// Queued changes the server refused for good (set aside, see [`RuleBook::refused`]).
    pub refused: Vec<RefusedOp>,
    /// The rules this device now has.
    pub rules: usize,
}

/// The server's refusal when it is about the ops sent (so they are set aside), rather than
/// the device, the account or the server (so they wait).
fn op_fault(e: &SyncError) -> Option<&ApiErrorBody> {
    match e {
        SyncError::Refused(body)
            if matches!(
                body.code,
                ErrorCode::Forbidden
                    | ErrorCode::OutOfScope
                    | ErrorCode::BadRequest
                    | ErrorCode::Conflict
            ) =>
        {
            Some(body)
        }
        _ => None,
    }
}

fn lock(store: &Mutex<Store>) -> std::result::Result<MutexGuard<'_, Store>, SyncError> {
    store
        .lock()
        .map_err(|_| SyncError::BadResponse("the store lock was poisoned by a crash".into()))
}

fn synced<T>(r: Result<T>) -> std::result::Result<T, SyncError> {
    r.map_err(|e| match e {
        StationError::Store(s) => SyncError::Store(s),
        other => SyncError::BadResponse(other.message(Lang::En)),
    })
}

/// Sends the queued rule changes and takes the server's rules (the store is locked only
/// between round trips). A change the server refuses for good is set aside and the rest go
/// through: a refused batch is resent one change at a time to find it. When the server cannot
/// be reached, or refuses the device itself, the queue stays for the next exchange.
pub async fn exchange(
    store: &Mutex<Store>,
    transport: &HttpTransport,
) -> std::result::Result<Exchanged, SyncError> {
    let mut report = Exchanged::default();
    loop {
        let req = synced(RuleBook::load(&*lock(store)?))?.request();
        match transport.duty_rules(&req).await {
            Ok(answer) => {
                report.sent += req.ops.len();
                let book = synced(RuleBook::accept(&mut *lock(store)?, &req.ops, answer))?;
                report.rules = book.rules.len();
                return Ok(report);
            }
            Err(e) if op_fault(&e).is_some() && !req.ops.is_empty() => {
                for op in req.ops {
                    let single = DutyRulesRequest {
                        protocol: PROTOCOL_VERSION,
                        ops: vec![op.clone()],
                    };
                    let outcome = match transport.duty_rules(&single).await {
                        Ok(_) => None,
                        Err(e) => match op_fault(&e) {
                            Some(body) => Some(RefusedOp {
                                op: op.clone(),
                                code: body.code.as_str().to_owned(),
                                message: body.message.clone(),
                            }),
                            None => return Err(e),
                        },
                    };
                    let mut guard = lock(store)?;
                    let mut book = synced(RuleBook::load(&guard))?;
                    book.acknowledge(&op);
                    match outcome {
                        None => report.sent += 1,
                        Some(refused) => {
                            report.refused.push(refused.clone());
                            book.refused.push(refused);
                        }
                    }
                    synced(book.save(&mut guard))?;
                }
            }
            Err(e) => return Err(e),
        }
    }
}

/// How the duty rules fared in a sync: what [`exchange`] did, or why it could not run. A
/// failed exchange never fails the records sync; its queue waits for the next one.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RulesSync {
    /// What the exchange did (nothing when it failed).
    pub exchanged: Exchanged,
    /// Changes made here still waiting for the server.
    pub waiting: usize,
    /// Why the exchange failed: the code and the message (Chinese / English).
    pub error: Option<(String, String)>,
}

impl RulesSync {
    /// One line for people, in `lang`.
    pub fn line(&self, lang: Lang) -> String {
        let (sent, rules, waiting) = (self.exchanged.sent, self.exchanged.rules, self.waiting);
        let refused = self.exchanged.refused.len();
        // A station without rules, and nothing sent or refused: nothing worth a line.
        if self.error.is_none() && sent == 0 && rules == 0 && refused == 0 {
            return String::new();
        }
        let mut out = match (&self.error, lang) {
            (None, Lang::Zh) => format!("值勤规则：发送 {sent} 项更改，本机现有 {rules} 条规则\n"),
            (None, Lang::En) => format!("duty rules: sent {sent} changes; {rules} rules on this device\n"),
            (Some((_, why)), Lang::Zh) => {
                format!("⚠ 值勤规则未能同步（{why}）；{waiting} 项更改仍在本机等待，下次同步再发\n")
            }
            (Some((_, why)), Lang::En) => format!(
                "⚠ duty rules did not sync ({why}); {waiting} changes wait on this device for the next sync\n"
            ),
        };
        for r in &self.exchanged.refused {
            out += &match lang {
                Lang::Zh => format!(
                    "⚠ 值勤规则 {} 的更改被服务器拒收：{}\n",
                    r.op.id(),
                    r.message
                ),
                Lang::En => format!(
                    "⚠ the server refused the change to duty rule {}: {}\n",
                    r.op.id(),
                    r.message
                ),
            };
        }
        if refused > 0 && lang == Lang::Zh {
            out += "  （被拒收的更改已从待发送中移出，规则以服务器为准）\n";
        } else if refused > 0 {
            out += "  (refused changes no longer wait; the server's rules stand)\n";
        }
        out
    }
}

/// Runs [`exchange`] after a records sync and reports how it went; never fails.
pub async fn sync_rules(store: &Mutex<Store>, transport: &HttpTransport) -> RulesSync {
    let outcome = exchange(store, transport).await;
    let waiting = lock(store)
        .ok()
        .and_then(|s| RuleBook::load(&s).ok())
        .map_or(0, |b| b.pending.len());
    match outcome {
        Ok(exchanged) => RulesSync {
            exchanged,
            waiting,
            error: None,
        },
        Err(e) => RulesSync {
            exchanged: Exchanged::default(),
            waiting,
            error: Some((e.code().to_owned(), e.to_string())),
        },
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
pub fn run(store: &mut Store, roster: &Roster, by: &Staff, clock: &dyn Clock) -> Result<RunReport> {
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
    by: &Staff,
    rule: &DutyRule,
    now: DateTime<Utc>,
    report: &mut RunReport,
) -> Result<()> {
    let Some(period) = period_at(rule, now) else {
        return Ok(());
    };
    let tag = rule.tag();
    let targets = dispatch::select(store, rule.action, &selector(rule))?;
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
                        .push(store.create(&by.user, scope, Body::Task(task))?)
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
    use beatbook_model::TaskAction;
    use chrono::TimeZone;

    #[test]
    fn periods_count_whole_local_days_from_the_start() {
        let rule = rule("每周核查");
        // 2026-11-01 23:59 local is before the start.
        let before = Utc.with_ymd_and_hms(2026, 11, 1, 15, 59, 0).unwrap();
        assert_eq!(period_at(&rule, before), None);
        // 2026-11-09 00:00 local opens the second period.
        let second = Utc.with_ymd_and_hms(2026, 11, 8, 16, 0, 0).unwrap();
        let p = period_at(&rule, second).unwrap();
        assert_eq!(p.start, second);
        assert_eq!(local_day(p.last_second()).to_string(), "2026-11-15");
        assert!(rule.check().is_ok());
        let household = DutyRule {
            action: TaskAction::VisitHousehold,
            ..rule
        };
        let err = StationError::from(household.check().unwrap_err());
        assert_eq!(err.code(), "bad_rule");
        assert!(err.message(Lang::En).contains("--assignee"));
    }

    fn rule(name: &str) -> DutyRule {
        DutyRule::sample(name, "gucheng")
    }

    fn store() -> Store {
        Store::open_in_memory(std::sync::Arc::new(beatbook_model::SystemClock)).unwrap()
    }

    #[test]
    fn a_book_kept_before_rules_synced_queues_its_rules() {
        let mut store = store();
        let old = rule("每周核查");
        let json = serde_json::json!({ "rules": [old.clone()] }).to_string();
        store.set_meta(RULES_META_KEY, &json).unwrap();
        let book = RuleBook::load(&store).unwrap();
        assert_eq!(book.rules, vec![old.clone()]);
        assert_eq!(book.pending, vec![DutyRuleOp::Put(old)]);
    }

    #[test]
    fn an_answer_replaces_the_rules_and_keeps_what_was_queued_since() {
        let mut store = store();
        let (a, b, c) = (rule("甲"), rule("乙"), rule("丙"));
        RuleBook::add(&mut store, a.clone()).unwrap();
        let sent = RuleBook::load(&store).unwrap().request().ops;
        // While the request travels: b is added and a removed here.
        RuleBook::add(&mut store, b.clone()).unwrap();
        RuleBook::remove(&mut store, &a.id.to_string()).unwrap();
        // The server knows a (just sent) and c (from another device).
        let answer = DutyRulesResponse {
            rules: vec![a.clone(), c.clone()],
            applied: 1,
        };
        let book = RuleBook::accept(&mut store, &sent, answer).unwrap();
        assert_eq!(book.rules, vec![c, b.clone()]);
        assert_eq!(
            book.pending,
            vec![
                DutyRuleOp::Put(b),
                DutyRuleOp::Remove {
                    id: a.id,
                    station: a.station.clone(),
                }
            ]
        );
        assert!(book.waiting(a.id) && !book.waiting(RecordId::new()));
        assert_eq!(RuleBook::load(&store).unwrap(), book);
    }
}
