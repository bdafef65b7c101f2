//! Recurring duty rules (值勤规则, e.g. 每名重点人员每7天见面核查一次): station configuration a
//! chief or the county sets, kept by the server and sent to every device of the station. A rule
//! is immutable once made (an edit is a removal and a new rule), so copies of it never
//! disagree. Generating tasks from rules is station work (`beatbook-station`); here is only the
//! data and what makes a rule usable.

use crate::error::{Lang, ModelError};
use crate::{KeyPersonCategory, RecordId, RiskLevel, StationId, TaskAction, UserId, VillageId};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// How a generated task's instructions mark it as made by a rule (followed by the rule's id).
pub const TAG_PREFIX: &str = "〔值勤规则 ";

/// A recurring duty: every target it selects gets one task per period of `every_days` days,
/// counted from `starts_on` (Asia/Shanghai), due at the period's last second.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

/// What makes a duty rule unusable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum RuleProblem {
    /// The rule has no name.
    NoName,
    /// The period is not 1 to 366 days.
    Period,
    /// A household-visit rule names nobody to do the visits.
    NoAssignee,
    /// Rules cannot generate this action.
    Action { action: TaskAction },
}

impl RuleProblem {
    /// The message for people in `lang`.
    pub fn message(self, lang: Lang) -> String {
        match (self, lang) {
            (RuleProblem::NoName, Lang::Zh) => "请给值勤规则起个名字（--name）".into(),
            (RuleProblem::NoName, Lang::En) => "give the duty rule a name (--name)".into(),
            (RuleProblem::Period, Lang::Zh) => "周期须在 1 到 366 天之间（--every-days）".into(),
            (RuleProblem::Period, Lang::En) => {
                "the period must be 1 to 366 days (--every-days)".into()
            }
            (RuleProblem::NoAssignee, Lang::Zh) => "走访规则须用 --assignee 指明承办人".into(),
            (RuleProblem::NoAssignee, Lang::En) => {
                "a household-visit rule needs an assignee (--assignee)".into()
            }
            (RuleProblem::Action { action }, _) => {
                let label = action_label(action, lang);
                let (check, visit) = (
                    action_label(TaskAction::CheckKeyPerson, lang),
                    action_label(TaskAction::VisitHousehold, lang),
                );
                match lang {
                    Lang::Zh => format!("值勤规则不能生成“{label}”任务，只能是“{check}”或“{visit}”"),
                    Lang::En => format!(
                        "a duty rule cannot generate \"{label}\" tasks, only \"{check}\" or \"{visit}\""
                    ),
                }
            }
        }
    }
}

/// The label of a task action, from the field table.
fn action_label(action: TaskAction, lang: Lang) -> &'static str {
    let code = serde_json::to_value(action)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    crate::fields::TASK_ACTION
        .iter()
        .find(|c| c.code == code)
        .map_or("", |c| c.label(lang))
}

impl DutyRule {
    /// Checks the rule is usable: a name, a period of 1 to 366 days, an action rules can
    /// generate, an assignee for households.
    pub fn check(&self) -> Result<(), ModelError> {
        let problem = if self.name.trim().is_empty() {
            RuleProblem::NoName
        } else if !(1..=366).contains(&self.every_days) {
            RuleProblem::Period
        } else {
            match self.action {
                TaskAction::CheckKeyPerson => return Ok(()),
                TaskAction::VisitHousehold if self.assignee.is_some() => return Ok(()),
                TaskAction::VisitHousehold => RuleProblem::NoAssignee,
                action => RuleProblem::Action { action },
            }
        };
        Err(ModelError::BadRule(problem))
    }

    /// A usable rule for examples and tests: a fresh id, every key person of `station` checked
    /// weekly from 2026-11-02, made by `chief`.
    pub fn sample(name: &str, station: &str) -> DutyRule {
        DutyRule {
            id: RecordId::new(),
            name: name.into(),
            station: station.into(),
            villages: vec![],
            action: TaskAction::CheckKeyPerson,
            every_days: 7,
            categories: vec![],
            min_risk: None,
            assignee: None,
            starts_on: NaiveDate::from_ymd_opt(2026, 11, 2).unwrap_or_default(),
            created_by: "chief".into(),
            created_at: DateTime::from_timestamp(1_790_000_000, 0).unwrap_or_default(),
        }
    }

    /// The mark a generated task's instructions carry, naming the rule.
    pub fn tag(&self) -> String {
        format!("{TAG_PREFIX}{}〕", &self.id.to_string()[..8])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule() -> DutyRule {
        DutyRule::sample("每周核查", "gucheng")
    }

    fn problem(r: &DutyRule) -> Option<RuleProblem> {
        match r.check() {
            Ok(()) => None,
            Err(ModelError::BadRule(p)) => Some(p),
            Err(other) => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn a_rule_needs_a_name_a_period_and_a_generatable_action() {
        assert_eq!(problem(&rule()), None);
        let blank = DutyRule {
            name: "  ".into(),
            ..rule()
        };
        assert_eq!(problem(&blank), Some(RuleProblem::NoName));
        for days in [0, 367] {
            let r = DutyRule {
                every_days: days,
                ..rule()
            };
            assert_eq!(problem(&r), Some(RuleProblem::Period));
        }
        let visit = DutyRule {
            action: TaskAction::VisitHousehold,
            ..rule()
        };
        assert_eq!(problem(&visit), Some(RuleProblem::NoAssignee));
        let assigned = DutyRule {
            assignee: Some("aux".into()),
            ..visit
        };
        assert_eq!(problem(&assigned), None);
        let patrol = DutyRule {
            action: TaskAction::Patrol,
            ..rule()
        };
        let err = patrol.check().unwrap_err();
        assert_eq!(err.code(), "bad_rule");
        assert_eq!(
            err.message(Lang::Zh),
            "值勤规则不能生成“巡逻”任务，只能是“核查重点人员”或“走访某户”"
        );
        assert!(err.message(Lang::En).contains("\"patrol\""));
    }

    #[test]
    fn the_tag_names_the_rule_by_its_id() {
        let r = rule();
        assert_eq!(r.tag(), format!("〔值勤规则 {}〕", &r.id.to_string()[..8]));
    }
}
