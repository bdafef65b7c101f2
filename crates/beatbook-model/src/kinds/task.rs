//! Task (任务 / 派单): pushed by the station to an officer, done by filing a record.

use super::{link, Link, RecordData};
use crate::error::{ModelError, Problem};
use crate::ids::{RecordId, UserId};
use crate::status::{TaskStatus, Transition};
use crate::validate::Checker;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A task assigned to one person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Task {
    /// Who must do it.
    pub assignee: UserId,
    /// Who assigned it.
    pub assigned_by: UserId,
    /// What must be done.
    pub action: TaskAction,
    /// The record it concerns (household, key person, unit inspection, dispute).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<RecordId>,
    /// Instructions.
    #[serde(default)]
    pub instructions: String,
    /// When it is due.
    pub due_at: DateTime<Utc>,
    /// Where it stands.
    #[serde(default)]
    pub status: TaskStatus,
    /// The record that completed it: required when done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_by: Option<RecordId>,
    /// Why it was cancelled.
    #[serde(default)]
    pub cancel_reason: String,
}

/// What a task asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskAction {
    /// 走访某户
    VisitHousehold,
    /// 核查重点人员
    CheckKeyPerson,
    /// 检查单位
    InspectUnit,
    /// 纠纷回访
    ReturnVisit,
    /// 巡逻
    Patrol,
    /// 法律宣传
    Publicity,
    /// 隐患整改督办
    FollowHazard,
}

impl RecordData for Task {
    fn validate(&self, c: &mut Checker) {
        c.text("assignee", self.assignee.as_str(), true, 64);
        c.text("assigned_by", self.assigned_by.as_str(), true, 64);
        c.text("instructions", &self.instructions, false, 20_000);
        c.due("due_at", self.due_at);
        if self.status == TaskStatus::Done && self.completed_by.is_none() {
            c.fail("completed_by", Problem::Required);
        }
        if self.status == TaskStatus::Cancelled {
            c.text("cancel_reason", &self.cancel_reason, true, 500);
        }
    }

    fn title(&self) -> String {
        self.instructions
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned()
    }

    fn search_text(&self, out: &mut Vec<String>) {
        out.push(self.instructions.clone());
    }

    fn status(&self) -> Option<&'static str> {
        Some(self.status.as_str())
    }

    fn assignee(&self) -> Option<&UserId> {
        Some(&self.assignee)
    }

    fn due_at(&self) -> Option<DateTime<Utc>> {
        Some(self.due_at)
    }

    fn occurred_at(&self) -> Option<DateTime<Utc>> {
        Some(self.due_at)
    }

    fn links(&self) -> Vec<Link> {
        link(self.target, "target")
            .into_iter()
            .chain(link(self.completed_by, "completed_by"))
            .collect()
    }

    fn check_update(&self, old: &Self) -> Result<(), ModelError> {
        old.status.check(self.status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::fixtures::{now, problems};

    #[test]
    fn done_means_a_record_completed_it() {
        let open = Task {
            assignee: "li.officer".into(),
            assigned_by: "chief".into(),
            action: TaskAction::VisitHousehold,
            target: Some(RecordId::new()),
            instructions: "走访张三丰家".into(),
            due_at: now(),
            status: TaskStatus::Open,
            completed_by: None,
            cancel_reason: String::new(),
        };
        let mut done = open.clone();
        done.status = TaskStatus::Done;
        assert_eq!(problems(&done), [("completed_by".into(), "required")]);
        done.completed_by = Some(RecordId::new());
        assert!(problems(&done).is_empty());
        assert!(done.check_update(&open).is_ok());
        assert!(open.check_update(&done).is_err());
    }
}
