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

impl Transition for HazardStatus {
    const KIND: &'static str = "hazard";
    fn as_str(self) -> &'static str {
        match self {
            HazardStatus::Open => "open",
            HazardStatus::Rectifying => "rectifying",
            HazardStatus::Cleared => "cleared",
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

impl Transition for TaskStatus {
    const KIND: &'static str = "task";
    fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Open => "open",
            TaskStatus::Done => "done",
            TaskStatus::Cancelled => "cancelled",
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
