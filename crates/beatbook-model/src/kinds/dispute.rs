//! Dispute and mediation case (矛盾纠纷): parties, sessions, status, referral and return visit.

use super::{link, push_some, Link, RecordData};
use crate::error::{FieldError, ModelError, Problem};
use crate::ids::RecordId;
use crate::status::{DisputeStatus, Referral, Transition};
use crate::validate::Checker;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A dispute case, from report to close.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dispute {
    /// When it was reported.
    pub reported_at: DateTime<Utc>,
    /// The parties.
    #[serde(default)]
    pub parties: Vec<Party>,
    /// What sort of dispute.
    pub dispute_type: DisputeType,
    /// What happened.
    #[serde(default)]
    pub description: String,
    /// Where the case stands.
    #[serde(default)]
    pub status: DisputeStatus,
    /// Where it was referred, once referred.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referral: Option<Referral>,
    /// Every mediation session, in order.
    #[serde(default)]
    pub sessions: Vec<Session>,
    /// How it ended.
    #[serde(default)]
    pub outcome: String,
    /// The agreement text (调解协议), if one was signed.
    #[serde(default)]
    pub agreement: String,
    /// When it was resolved: set by the move to resolved (cases resolved before this field
    /// existed have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_at: Option<DateTime<Utc>>,
    /// The return visit after resolution.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_visit: Option<ReturnVisit>,
    /// The household concerned, if on file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub household: Option<RecordId>,
    /// The record during which it was raised (e.g. a visit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<RecordId>,
}

/// A party to a dispute.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Party {
    /// Full name.
    pub name: String,
    /// Resident ID number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_number: Option<String>,
    /// Mobile number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

/// One mediation session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    /// When it was held.
    pub held_at: DateTime<Utc>,
    /// Who took part (mediators, parties, village cadres).
    #[serde(default)]
    pub participants: Vec<String>,
    /// What was said and agreed.
    #[serde(default)]
    pub notes: String,
    /// Outcome of this session, e.g. 双方同意再议.
    #[serde(default)]
    pub outcome: String,
}

/// The return visit (回访) after a case is settled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReturnVisit {
    /// When.
    pub at: DateTime<Utc>,
    /// What was found.
    #[serde(default)]
    pub notes: String,
}

/// Types of dispute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisputeType {
    /// 邻里纠纷
    Neighbour,
    /// 家庭纠纷
    Family,
    /// 土地纠纷
    Land,
    /// 债务纠纷
    Debt,
    /// 劳资纠纷
    Labour,
    /// 其他
    Other,
}

impl RecordData for Dispute {
    fn validate(&self, c: &mut Checker) {
        c.happened("reported_at", self.reported_at);
        if self.parties.is_empty() {
            c.fail("parties", Problem::Required);
        }
        for (i, p) in self.parties.iter().enumerate() {
            c.text(&format!("parties[{i}].name"), &p.name, true, 50);
            c.id_number(&format!("parties[{i}].id_number"), p.id_number.as_deref());
            c.phone(&format!("parties[{i}].phone"), p.phone.as_deref());
        }
        c.text("description", &self.description, true, 20_000);
        for (i, s) in self.sessions.iter().enumerate() {
            c.happened(&format!("sessions[{i}].held_at"), s.held_at);
            c.text(&format!("sessions[{i}].notes"), &s.notes, false, 20_000);
        }
        if self.status == DisputeStatus::Referred && self.referral.is_none() {
            c.fail("referral", Problem::Required);
        }
        if self.status == DisputeStatus::Resolved && self.outcome.trim().is_empty() {
            c.fail("outcome", Problem::Required);
        }
        if let Some(t) = self.resolved_at {
            c.happened("resolved_at", t);
            c.ordered("resolved_at", self.reported_at, t);
        }
        if let Some(rv) = &self.return_visit {
            c.happened("return_visit.at", rv.at);
        }
    }

    fn title(&self) -> String {
        let names: Vec<_> = self.parties.iter().map(|p| p.name.as_str()).collect();
        names.join(" / ")
    }

    fn search_text(&self, out: &mut Vec<String>) {
        for p in &self.parties {
            out.push(p.name.clone());
            push_some(out, &p.id_number);
            push_some(out, &p.phone);
        }
        out.extend([
            self.description.clone(),
            self.outcome.clone(),
            self.agreement.clone(),
        ]);
        out.extend(self.sessions.iter().map(|s| s.notes.clone()));
    }

    fn occurred_at(&self) -> Option<DateTime<Utc>> {
        Some(self.reported_at)
    }

    fn status(&self) -> Option<&'static str> {
        Some(self.status.as_str())
    }

    fn links(&self) -> Vec<Link> {
        link(self.household, "household")
            .into_iter()
            .chain(link(self.source, "source"))
            .collect()
    }

    fn check_update(&self, old: &Self) -> Result<(), ModelError> {
        old.status.check(self.status)?;
        if self.status == DisputeStatus::Resolved
            && old.status != DisputeStatus::Resolved
            && self.resolved_at.is_none()
        {
            return Err(ModelError::Invalid(vec![FieldError::new(
                "resolved_at",
                Problem::Required,
            )]));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::fixtures::{now, problems};

    fn dispute() -> Dispute {
        Dispute {
            reported_at: now(),
            parties: vec![Party {
                name: "赵六".into(),
                id_number: None,
                phone: None,
            }],
            dispute_type: DisputeType::Land,
            description: "宅基地边界争议".into(),
            status: DisputeStatus::Reported,
            referral: None,
            sessions: vec![],
            outcome: String::new(),
            agreement: String::new(),
            resolved_at: None,
            return_visit: None,
            household: None,
            source: None,
        }
    }

    #[test]
    fn moves_follow_the_status_machine() {
        let old = dispute();
        let mut new = old.clone();
        new.status = DisputeStatus::Resolved;
        assert_eq!(
            new.check_update(&old).unwrap_err().code(),
            "illegal_transition"
        );
        new.status = DisputeStatus::Mediating;
        assert!(new.check_update(&old).is_ok());
        // Resolving records when; a case resolved earlier is not asked again.
        let mut resolved = new.clone();
        resolved.status = DisputeStatus::Resolved;
        resolved.outcome = "双方和解".into();
        let Err(ModelError::Invalid(errs)) = resolved.check_update(&new) else {
            panic!("resolving without a time must be refused");
        };
        assert_eq!(errs[0].field, "resolved_at");
        assert!(resolved.check_update(&resolved).is_ok());
        resolved.resolved_at = Some(now());
        assert!(resolved.check_update(&new).is_ok());
    }

    #[test]
    fn a_referral_says_where_and_a_resolution_says_how() {
        let mut d = dispute();
        d.status = DisputeStatus::Referred;
        assert_eq!(problems(&d), [("referral".into(), "required")]);
        d.referral = Some(Referral::PeoplesMediation);
        assert!(problems(&d).is_empty());
        d.status = DisputeStatus::Resolved;
        assert_eq!(problems(&d), [("outcome".into(), "required")]);
    }
}
