//! Assessment (考核实时完成) for a period of Asia/Shanghai days, per officer, village or station,
//! computed from the records on the device, with how fresh they are.
//!
//! What counts (the period is `[from 00:00, to+1 00:00)` local):
//! - visits: visits held in the period; each visitor is credited (the author if none listed).
//! - tasks: tasks *due* in the period and not cancelled. On time = done by a record whose work
//!   happened by the due time (the task's last change if that record is not on the device);
//!   overdue = done late, or still open after its due time. Key-person checks are the tasks
//!   whose action is `check_key_person`. Credited to the assignee.
//! - hazards: found in the period (credited to the finder); cleared in the period (credited to
//!   whoever cleared it; to the finder for hazards cleared before records said who).
//! - disputes: resolved (or closed without referral) in the period; time to resolution =
//!   report → resolution (→ last mediation session for cases resolved before records kept the
//!   time); median in days. Credited to the author.
//! - patrols: ended patrols started in the period; hours = end − start. Each patroller credited.

use crate::error::Result;
use crate::period::DateRange;
use crate::records;
use beatbook_model::{
    Body, Clock, DisputeStatus, Kind, Record, StationId, TaskAction, TaskStatus, UserId,
};
use beatbook_store::Store;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What rows an assessment has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum By {
    /// One row per officer or auxiliary.
    Officer,
    /// One row per village.
    Village,
    /// One row per station (the county view).
    Station,
}

/// The figures of one row.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Figures {
    /// 走访次数.
    pub visits: u32,
    /// 应核查 (key-person check tasks due).
    pub checks_due: u32,
    /// 按时核查.
    pub checks_on_time: u32,
    /// 到期任务.
    pub tasks_due: u32,
    /// 按时完成.
    pub tasks_on_time: u32,
    /// 逾期 (done late or still open past due).
    pub tasks_overdue: u32,
    /// 发现隐患.
    pub hazards_found: u32,
    /// 清零隐患.
    pub hazards_cleared: u32,
    /// 化解纠纷.
    pub disputes_resolved: u32,
    /// 化解用时中位数（天）.
    pub median_days_to_resolve: Option<f64>,
    /// 巡逻次数.
    pub patrols: u32,
    /// 巡逻时长（小时）.
    pub patrol_hours: f64,
    #[serde(skip)]
    resolve_days: Vec<f64>,
}

/// One row: an officer, a village or a station.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    /// The account, village or station id.
    pub key: String,
    /// The figures.
    pub figures: Figures,
}

/// How fresh the figures are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AsOf {
    /// When this device last synced.
    pub last_sync: Option<DateTime<Utc>>,
    /// The latest change of any record counted from.
    pub newest_record: Option<DateTime<Utc>>,
    /// When the figures were computed.
    pub computed_at: DateTime<Utc>,
}

/// An assessment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assessment {
    /// The days assessed.
    pub range: DateRange,
    /// The rows' kind.
    pub by: By,
    /// The rows, by key.
    pub rows: Vec<Row>,
    /// All rows together (officers' rows may overlap when two visit together; the total counts
    /// each record once).
    pub total: Figures,
    /// Freshness.
    pub as_of: AsOf,
}

/// The sync client's meta key for the last successful sync (beatbook-sync `LAST_SYNC_META_KEY`).
pub const LAST_SYNC_META_KEY: &str = "last_sync_at";

struct Tally {
    by: By,
    rows: BTreeMap<String, Figures>,
    total: Figures,
}

impl Tally {
    /// Adds to the rows of `r` (its village/station, or each of `people`) and to the total.
    fn add(&mut self, r: &Record, people: &[UserId], f: impl Fn(&mut Figures)) {
        let keys: Vec<String> = match self.by {
            By::Officer => people.iter().map(|u| u.to_string()).collect(),
            By::Village => vec![r.scope.village.to_string()],
            By::Station => vec![r.scope.station.to_string()],
        };
        for k in keys {
            f(self.rows.entry(k).or_default());
        }
        f(&mut self.total);
    }
}

fn median(v: &mut [f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let m = if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    };
    Some((m * 10.0).round() / 10.0)
}

fn hours(d: chrono::Duration) -> f64 {
    d.num_seconds() as f64 / 3600.0
}

/// Computes the assessment of `range` for `station` (every station on the device when `None`).
pub fn assess(
    store: &Store,
    range: DateRange,
    by: By,
    station: Option<&StationId>,
    clock: &dyn Clock,
) -> Result<Assessment> {
    let now = clock.now();
    let period = range.period();
    let mut t = Tally {
        by,
        rows: BTreeMap::new(),
        total: Figures::default(),
    };
    let mut newest: Option<DateTime<Utc>> = None;
    let mut seen = |r: &Record| newest = newest.max(Some(r.updated_at));
    for kind in [
        Kind::Visit,
        Kind::Task,
        Kind::Hazard,
        Kind::Dispute,
        Kind::Patrol,
    ] {
        for r in records::all(store, kind, station)? {
            seen(&r);
            let author = std::slice::from_ref(&r.author);
            match &r.body {
                Body::Visit(v) if period.contains(v.visited_at) => {
                    let who = if v.visitors.is_empty() {
                        author
                    } else {
                        &v.visitors
                    };
                    t.add(&r, who, |f| f.visits += 1);
                }
                Body::Task(task)
                    if period.contains(task.due_at) && task.status != TaskStatus::Cancelled =>
                {
                    let done_at = task.completed_by.map(|id| {
                        store.get(id).ok().flatten().map_or(r.updated_at, |w| {
                            w.body.occurred_at().unwrap_or(w.created_at)
                        })
                    });
                    let on_time = task.status == TaskStatus::Done
                        && done_at.is_some_and(|d| d <= task.due_at);
                    let overdue =
                        !on_time && (task.status == TaskStatus::Done || task.due_at < now);
                    let check = task.action == TaskAction::CheckKeyPerson;
                    t.add(&r, std::slice::from_ref(&task.assignee), |f| {
                        f.tasks_due += 1;
                        f.tasks_on_time += u32::from(on_time);
                        f.tasks_overdue += u32::from(overdue);
                        if check {
                            f.checks_due += 1;
                            f.checks_on_time += u32::from(on_time);
                        }
                    });
                }
                Body::Hazard(h) => {
                    if period.contains(h.found_at) {
                        t.add(&r, std::slice::from_ref(&h.found_by), |f| {
                            f.hazards_found += 1
                        });
                    }
                    if h.cleared_at.is_some_and(|c| period.contains(c)) {
                        // Credited to whoever cleared it; hazards cleared before records
                        // said who go to their finder.
                        let who = h.cleared_by.as_ref().unwrap_or(&h.found_by);
                        t.add(&r, std::slice::from_ref(who), |f| f.hazards_cleared += 1);
                    }
                }
                Body::Dispute(d) => {
                    let resolved = d.status == DisputeStatus::Resolved
                        || (d.status == DisputeStatus::Closed && d.referral.is_none());
                    // When it was resolved; cases resolved before records said when count
                    // to their last mediation session.
                    let at = d
                        .resolved_at
                        .or_else(|| d.sessions.iter().map(|s| s.held_at).max());
                    if let (true, Some(at)) = (resolved, at) {
                        if period.contains(at) {
                            let days = hours(at - d.reported_at) / 24.0;
                            t.add(&r, author, |f| {
                                f.disputes_resolved += 1;
                                f.resolve_days.push(days);
                            });
                        }
                    }
                }
                Body::Patrol(p) if period.contains(p.started_at) => {
                    if let Some(end) = p.ended_at {
                        let h = hours(end - p.started_at);
                        let who = if p.patrollers.is_empty() {
                            author
                        } else {
                            &p.patrollers
                        };
                        t.add(&r, who, |f| {
                            f.patrols += 1;
                            f.patrol_hours += h;
                        });
                    }
                }
                _ => {}
            }
        }
    }
    let finish = |mut f: Figures| {
        f.median_days_to_resolve = median(&mut f.resolve_days);
        f.patrol_hours = (f.patrol_hours * 10.0).round() / 10.0;
        f
    };
    let last_sync = store
        .get_meta(LAST_SYNC_META_KEY)?
        .and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
        .map(|t| t.to_utc());
    Ok(Assessment {
        range,
        by,
        rows: t
            .rows
            .into_iter()
            .map(|(key, f)| Row {
                key,
                figures: finish(f),
            })
            .collect(),
        total: finish(t.total),
        as_of: AsOf {
            last_sync,
            newest_record: newest,
            computed_at: now,
        },
    })
}
