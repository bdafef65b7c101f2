//! Dispatch (任务精准派单): a task for one officer or auxiliary, or one per record a selector
//! picks ("check every key person of 南街村 by Sunday"). A task is an ordinary record: it reaches
//! the assignee's device at the next sync and is done by filing the record it asks for, which
//! the task then names in `completed_by` (see [`complete`]).

use crate::error::{action_label, Result, StationError};
use crate::records;
use crate::roster::{Roster, Staff};
use beatbook_model::{
    Body, Clock, Denied, KeyPersonCategory, Kind, Record, RecordId, RiskLevel, Scope, Task,
    TaskAction, TaskStatus, UserId, VillageId,
};
use beatbook_store::Store;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One task to give.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Order {
    /// Who does it.
    pub assignee: UserId,
    /// What to do.
    pub action: TaskAction,
    /// The record it concerns; its village becomes the task's.
    pub target: Option<RecordId>,
    /// The village, for tasks without a target (a patrol route, a publicity session).
    pub scope: Option<Scope>,
    /// By when.
    pub due_at: DateTime<Utc>,
    /// What to do, in words; empty means "the action and the target's title".
    pub instructions: String,
}

/// The kind of record an action is about, for actions that have one.
pub fn target_kind(action: TaskAction) -> Option<Kind> {
    match action {
        TaskAction::VisitHousehold => Some(Kind::Household),
        TaskAction::CheckKeyPerson => Some(Kind::KeyPerson),
        TaskAction::InspectUnit => Some(Kind::Inspection),
        TaskAction::ReturnVisit => Some(Kind::Dispute),
        TaskAction::FollowHazard => Some(Kind::Hazard),
        TaskAction::Patrol | TaskAction::Publicity => None,
    }
}

/// The kind of record that completes a task of `action` (a check completes a check task …).
pub fn completing_kind(action: TaskAction) -> Kind {
    match action {
        TaskAction::VisitHousehold => Kind::Visit,
        TaskAction::CheckKeyPerson => Kind::KeyPersonCheck,
        TaskAction::InspectUnit => Kind::Inspection,
        TaskAction::ReturnVisit => Kind::Dispute,
        TaskAction::FollowHazard => Kind::Hazard,
        TaskAction::Patrol => Kind::Patrol,
        TaskAction::Publicity => Kind::Publicity,
    }
}

/// A task body checked against the roster and the target, not yet written.
pub(crate) fn plan_task(
    store: &Store,
    roster: &Roster,
    by: &Staff,
    order: &Order,
    now: DateTime<Utc>,
) -> Result<(Scope, Task)> {
    if order.due_at <= now {
        return Err(StationError::DueInPast);
    }
    let (scope, title) = match order.target {
        Some(id) => {
            let target = store.get(id)?.ok_or(StationError::NoTarget(id))?;
            if let Some(expected) = target_kind(order.action) {
                if target.kind() != expected {
                    return Err(StationError::TargetKind {
                        action: order.action,
                        expected,
                        found: target.kind(),
                    });
                }
            }
            (target.scope.clone(), target.body.title())
        }
        None => (
            order.scope.clone().ok_or(StationError::NoScope)?,
            String::new(),
        ),
    };
    if !by.assignment.can_dispatch(&scope) {
        return Err(StationError::Forbidden(Denied::Dispatch));
    }
    roster.check_assignee(&order.assignee, &scope)?;
    let instructions = if order.instructions.trim().is_empty() {
        format!(
            "{}：{title}",
            action_label(order.action, beatbook_model::Lang::Zh)
        )
        .trim_end_matches('：')
        .to_owned()
    } else {
        order.instructions.clone()
    };
    let task = Task {
        assignee: order.assignee.clone(),
        assigned_by: by.user.clone(),
        action: order.action,
        target: order.target,
        instructions,
        due_at: order.due_at,
        status: TaskStatus::Open,
        completed_by: None,
        cancel_reason: String::new(),
    };
    Body::Task(task.clone())
        .validate(now)
        .map_err(beatbook_store::StoreError::from)?;
    Ok((scope, task))
}

/// Gives one task. Nothing is written if the assignee, target or due date is wrong.
pub fn assign(
    store: &mut Store,
    roster: &Roster,
    by: &Staff,
    order: &Order,
    clock: &dyn Clock,
) -> Result<Record> {
    let (scope, task) = plan_task(store, roster, by, order, clock.now())?;
    Ok(store.create(&by.user, scope, Body::Task(task))?)
}

/// Which records a bulk dispatch gives a task for.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Selector {
    /// The villages (all the user can see when empty).
    pub villages: Vec<VillageId>,
    /// Key persons of these categories only (all when empty).
    #[serde(default)]
    pub categories: Vec<KeyPersonCategory>,
    /// Key persons at this risk level or above.
    #[serde(default)]
    pub min_risk: Option<RiskLevel>,
}

/// What a bulk dispatch did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct BulkReport {
    /// Tasks created.
    pub created: Vec<Record>,
    /// Targets skipped because an open task for the same work already exists: (target, task).
    pub already_open: Vec<(RecordId, RecordId)>,
}

/// The records `selector` picks for tasks of `action`, oldest first.
pub fn select(store: &Store, action: TaskAction, selector: &Selector) -> Result<Vec<Record>> {
    let kind = target_kind(action).ok_or(StationError::NotSelectable(action))?;
    let mut picked: Vec<Record> = records::all(store, kind, None)?
        .into_iter()
        .filter(|r| selector.villages.is_empty() || selector.villages.contains(&r.scope.village))
        .filter(|r| match &r.body {
            Body::KeyPerson(k) => {
                (selector.categories.is_empty() || selector.categories.contains(&k.category))
                    && selector.min_risk.is_none_or(|min| k.risk_level >= min)
            }
            Body::Hazard(h) => h.status != beatbook_model::HazardStatus::Cleared,
            _ => true,
        })
        .collect();
    picked.sort_by_key(|r| r.id);
    Ok(picked)
}

/// Open tasks of `action` about `target`.
pub fn open_tasks_for(store: &Store, target: RecordId, action: TaskAction) -> Result<Vec<Record>> {
    tasks_for(store, target, action, |t| t.status == TaskStatus::Open)
}

/// Tasks of `action` about `target` that satisfy `keep`.
pub(crate) fn tasks_for(
    store: &Store,
    target: RecordId,
    action: TaskAction,
    keep: impl Fn(&Task) -> bool,
) -> Result<Vec<Record>> {
    let mut out = Vec::new();
    for s in store.referring_to(target)? {
        if s.kind != Kind::Task {
            continue;
        }
        if let Some(r) = store.get(s.id)? {
            if let Body::Task(t) = &r.body {
                if t.target == Some(target) && t.action == action && keep(t) {
                    out.push(r);
                }
            }
        }
    }
    Ok(out)
}

/// A task for every record a selector picks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BulkOrder {
    /// What to do.
    pub action: TaskAction,
    /// Which records.
    pub selector: Selector,
    /// Who does them; each key person's responsible officer when `None`.
    pub assignee: Option<UserId>,
    /// By when.
    pub due_at: DateTime<Utc>,
    /// What to do, in words; empty means "the action and the target's title".
    pub instructions: String,
}

/// Gives one task per selected record. Every task is checked before any is written; a target
/// that already has an open task of this action is skipped, so running the same bulk dispatch
/// twice gives nothing new.
pub fn bulk(
    store: &mut Store,
    roster: &Roster,
    by: &Staff,
    order: &BulkOrder,
    clock: &dyn Clock,
) -> Result<BulkReport> {
    let BulkOrder {
        action,
        selector,
        assignee,
        due_at,
        instructions,
    } = order;
    let (action, due_at) = (*action, *due_at);
    let now = clock.now();
    let targets = select(store, action, selector)?;
    if targets.is_empty() {
        return Err(StationError::NothingSelected);
    }
    let mut report = BulkReport::default();
    let mut planned = Vec::new();
    for target in &targets {
        if let Some(open) = open_tasks_for(store, target.id, action)?.first() {
            report.already_open.push((target.id, open.id));
            continue;
        }
        let who = match (assignee, &target.body) {
            (Some(a), _) => a.clone(),
            (None, Body::KeyPerson(k)) => k.responsible_officer.clone(),
            (None, _) => {
                return Err(StationError::BadRule {
                    zh: "请用 --assignee 指明承办人（只有重点人员有默认的责任民警）".into(),
                    en: "name the assignee with --assignee (only key persons have a responsible officer to default to)".into(),
                })
            }
        };
        let order = Order {
            assignee: who,
            action,
            target: Some(target.id),
            scope: None,
            due_at,
            instructions: instructions.clone(),
        };
        planned.push(plan_task(store, roster, by, &order, now)?);
    }
    for (scope, task) in planned {
        report
            .created
            .push(store.create(&by.user, scope, Body::Task(task))?);
    }
    Ok(report)
}

/// Completes a task by the record that did the work: checks the record exists and is of the
/// kind the task asks for, then marks the task done with `completed_by` pointing at it.
pub fn complete(store: &mut Store, task: RecordId, done_by: RecordId) -> Result<Record> {
    let record = store.get(task)?.ok_or(StationError::NoTarget(task))?;
    let Body::Task(mut t) = record.body else {
        return Err(StationError::TargetKind {
            action: TaskAction::VisitHousehold,
            expected: Kind::Task,
            found: record.kind(),
        });
    };
    let work = store.get(done_by)?.ok_or(StationError::NoTarget(done_by))?;
    let expected = completing_kind(t.action);
    if work.kind() != expected {
        return Err(StationError::TargetKind {
            action: t.action,
            expected,
            found: work.kind(),
        });
    }
    t.status = TaskStatus::Done;
    t.completed_by = Some(done_by);
    Ok(store.update(task, Body::Task(t))?)
}
