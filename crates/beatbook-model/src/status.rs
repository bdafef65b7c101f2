//! Status machines. Every status move goes through [`Transition::check`]; a move the machine
//! does not allow is a typed error, never a silent change.

use crate::error::ModelError;
use serde::{Deserialize, Serialize};

/// A status with an explicit set of allowed moves.
pub trait Transition: Copy + Eq + std::fmt::Debug {
    /// The record kind, for messages.
    const KIND: &'static str;
    /// Stable name of the status.
    fn as_str(self) -> &'static str;
    /// The label people read.
    fn label(self, lang: crate::Lang) -> &'static str;
    /// Whether the machine allows `self → to`. Staying put is always allowed.
    fn allows(self, to: Self) -> bool;
    /// `Ok` if `self → to` is allowed, else [`ModelError::IllegalTransition`].
    fn check(self, to: Self) -> Result<(), ModelError> {
        if self == to || self.allows(to) {
            Ok(())
        } else {
            Err(ModelError::IllegalTransition {
                kind: Self::KIND,
                from: self.as_str().to_owned(),
                to: to.as_str().to_owned(),
            })
        }
    }
}

/// The label of status `name` of record kind `kind` (e.g. `dispute`, `closed` → 已结案);
/// the name itself if unknown.
pub fn status_label<'a>(kind: &str, name: &'a str, lang: crate::Lang) -> &'a str {
    fn find<T: Transition>(all: &[T], name: &str, lang: crate::Lang) -> Option<&'static str> {
        all.iter()
            .find(|s| s.as_str() == name)
            .map(|s| s.label(lang))
    }
    let found = match kind {
        "dispute" => find(&DisputeStatus::ALL, name, lang),
        "hazard" => find(&HazardStatus::ALL, name, lang),
        "task" => find(&TaskStatus::ALL, name, lang),
        "patrol" => match (name, lang) {
            ("ended", crate::Lang::Zh) => Some("已结束"),
            ("ongoing", crate::Lang::Zh) => Some("进行中"),
            _ => None,
        },
        _ => None,
    };
    found.unwrap_or(name)
}

/// A dispute case: reported → mediating → resolved | referred → closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisputeStatus {
    /// 已登记: reported, nobody has mediated yet.
    #[default]
    Reported,
    /// 调解中: mediation sessions are under way.
    Mediating,
    /// 已化解: settled by mediation.
    Resolved,
    /// 已移交: handed to people's mediation, a lawyer or a court.
    Referred,
    /// 已结案: closed after the return visit.
    Closed,
}

impl DisputeStatus {
    /// Every status, in order.
    pub const ALL: [DisputeStatus; 5] = [
        DisputeStatus::Reported,
        DisputeStatus::Mediating,
        DisputeStatus::Resolved,
        DisputeStatus::Referred,
        DisputeStatus::Closed,
    ];
}

impl Transition for DisputeStatus {
    const KIND: &'static str = "dispute";
    fn as_str(self) -> &'static str {
        match self {
            DisputeStatus::Reported => "reported",
            DisputeStatus::Mediating => "mediating",
            DisputeStatus::Resolved => "resolved",
            DisputeStatus::Referred => "referred",
            DisputeStatus::Closed => "closed",
        }
    }
    fn label(self, lang: crate::Lang) -> &'static str {
        use crate::Lang::*;
        match (self, lang) {
            (DisputeStatus::Reported, Zh) => "已登记",
            (DisputeStatus::Reported, En) => "reported",
            (DisputeStatus::Mediating, Zh) => "调解中",
            (DisputeStatus::Mediating, En) => "mediating",
            (DisputeStatus::Resolved, Zh) => "已化解",
            (DisputeStatus::Resolved, En) => "resolved",
            (DisputeStatus::Referred, Zh) => "已移交",
            (DisputeStatus::Referred, En) => "referred",
            (DisputeStatus::Closed, Zh) => "已结案",
            (DisputeStatus::Closed, En) => "closed",
        }
    }
    fn allows(self, to: Self) -> bool {
        use DisputeStatus::*;
        matches!(
            (self, to),
            (Reported, Mediating)
                | (Mediating, Resolved)
                | (Mediating, Referred)
                | (Resolved, Closed)
                | (Referred, Closed)
        )
    }
}

/// Where a dispute was referred (警调衔接: the mediation links named in the report).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Referral {
    /// 人民调解 (民调入所): people's mediation committee.
    PeoplesMediation,
    /// 律师 (律师进所): a lawyer.
    Lawyer,
    /// 法院: a court.
    Court,
}

/// A hazard: open → rectifying → cleared (隐患动态清零: every hazard is driven to cleared).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HazardStatus {
    /// 待整改: found, nothing done yet.
    #[default]
    Open,
    /// 整改中: being put right.
    Rectifying,
    /// 已清零: cleared.
    Cleared,
}

impl HazardStatus {
    /// Every status, in order.
    pub const ALL: [HazardStatus; 3] = [
        HazardStatus::Open,
        HazardStatus::Rectifying,
        HazardStatus::Cleared,
    ];
}

impl Transition for HazardStatus {
    const KIND: &'static str = "hazard";
    fn as_str(self) -> &'static str {
        match self {
            HazardStatus::Open => "open",
            HazardStatus::Rectifying => "rectifying",
            HazardStatus::Cleared => "cleared",
        }
    }
    fn label(self, lang: crate::Lang) -> &'static str {
        use crate::Lang::*;
        match (self, lang) {
            (HazardStatus::Open, Zh) => "待整改",
            (HazardStatus::Open, En) => "open",
            (HazardStatus::Rectifying, Zh) => "整改中",
            (HazardStatus::Rectifying, En) => "rectifying",
            (HazardStatus::Cleared, Zh) => "已清零",
            (HazardStatus::Cleared, En) => "cleared",
        }
    }
    fn allows(self, to: Self) -> bool {
        use HazardStatus::*;
        matches!((self, to), (Open, Rectifying) | (Rectifying, Cleared))
    }
}

/// A task: open → done | cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    /// 待办: assigned, not done.
    #[default]
    Open,
    /// 已完成: done by filing the record it asked for.
    Done,
    /// 已取消: withdrawn by the station.
    Cancelled,
}

impl TaskStatus {
    /// Every status, in order.
    pub const ALL: [TaskStatus; 3] = [TaskStatus::Open, TaskStatus::Done, TaskStatus::Cancelled];
}

impl Transition for TaskStatus {
    const KIND: &'static str = "task";
    fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Open => "open",
            TaskStatus::Done => "done",
            TaskStatus::Cancelled => "cancelled",
        }
    }
    fn label(self, lang: crate::Lang) -> &'static str {
        use crate::Lang::*;
        match (self, lang) {
            (TaskStatus::Open, Zh) => "待办",
            (TaskStatus::Open, En) => "open",
            (TaskStatus::Done, Zh) => "已完成",
            (TaskStatus::Done, En) => "done",
            (TaskStatus::Cancelled, Zh) => "已取消",
            (TaskStatus::Cancelled, En) => "cancelled",
        }
    }
    fn allows(self, to: Self) -> bool {
        use TaskStatus::*;
        matches!((self, to), (Open, Done) | (Open, Cancelled))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_pairs<T: Transition>(all: &[T]) -> Vec<(T, T)> {
        all.iter()
            .flat_map(|a| all.iter().map(move |b| (*a, *b)))
            .filter(|(a, b)| a != b && a.check(*b).is_ok())
            .collect()
    }

    #[test]
    fn dispute_machine_is_exactly_the_documented_one() {
        use DisputeStatus::*;
        let all = [Reported, Mediating, Resolved, Referred, Closed];
        assert_eq!(
            all_pairs(&all),
            [
                (Reported, Mediating),
                (Mediating, Resolved),
                (Mediating, Referred),
                (Resolved, Closed),
                (Referred, Closed)
            ]
        );
        let err = Closed.check(Mediating).unwrap_err();
        assert_eq!(err.code(), "illegal_transition");
        assert!(err.message(crate::Lang::En).contains("closed to mediating"));
        assert_eq!(
            err.message(crate::Lang::Zh),
            "矛盾纠纷不能从“已结案”变为“调解中”"
        );
    }

    #[test]
    fn hazard_and_task_machines() {
        use HazardStatus::{Cleared, Rectifying};
        assert_eq!(
            all_pairs(&[HazardStatus::Open, Rectifying, Cleared]),
            [(HazardStatus::Open, Rectifying), (Rectifying, Cleared)]
        );
        assert!(Cleared.check(HazardStatus::Open).is_err());
        use TaskStatus::{Cancelled, Done};
        assert_eq!(
            all_pairs(&[TaskStatus::Open, Done, Cancelled]),
            [(TaskStatus::Open, Done), (TaskStatus::Open, Cancelled)]
        );
        assert!(Done.check(Cancelled).is_err());
    }
}
