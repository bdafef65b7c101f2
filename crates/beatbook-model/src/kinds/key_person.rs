//! Key persons (重点人员) under follow-up, and the checks (见面核查) made on them.

use super::{link, push_some, GeoPoint, Link, RecordData};
use crate::error::Problem;
use crate::ids::{RecordId, UserId};
use crate::validate::Checker;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A person under follow-up. Grid workers never receive these.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyPerson {
    /// Full name.
    pub name: String,
    /// Resident ID number: required, a key person must be identified.
    pub id_number: String,
    /// Mobile number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Where the person lives.
    #[serde(default)]
    pub address: String,
    /// The household record, if the person lives in one on file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub household: Option<RecordId>,
    /// Why the person is followed up.
    pub category: KeyPersonCategory,
    /// Current risk level.
    pub risk_level: RiskLevel,
    /// The officer responsible.
    pub responsible_officer: UserId,
    /// Free notes.
    #[serde(default)]
    pub notes: String,
}

/// Categories of key persons named in the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyPersonCategory {
    /// 涉毒人员
    DrugRelated,
    /// 肇事肇祸精神病人
    MentalIllness,
    /// 刑满释放人员
    ReleasedPrisoner,
    /// 信访人员
    Petitioner,
    /// 社区矫正人员
    CommunityCorrection,
    /// 其他
    Other,
}

/// Risk levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskLevel {
    /// 低
    Low,
    /// 中
    Medium,
    /// 高
    High,
}

/// A check on a key person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyPersonCheck {
    /// The key person checked.
    pub key_person: RecordId,
    /// Who checked.
    pub checked_by: UserId,
    /// When.
    pub checked_at: DateTime<Utc>,
    /// Where, in words.
    #[serde(default)]
    pub place: String,
    /// Where, by GPS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<GeoPoint>,
    /// Whether the person was seen in person (见面) or only by phone or through others.
    pub seen_in_person: bool,
    /// Current situation.
    #[serde(default)]
    pub situation: String,
    /// How the risk changed.
    pub risk_change: RiskChange,
    /// The risk level after the check, when it changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk_level_after: Option<RiskLevel>,
}

/// How a check changed the risk assessment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskChange {
    /// 无变化
    Unchanged,
    /// 升高
    Raised,
    /// 降低
    Lowered,
}

impl RecordData for KeyPerson {
    fn validate(&self, c: &mut Checker) {
        c.text("name", &self.name, true, 50);
        if self.id_number.trim().is_empty() {
            c.fail("id_number", Problem::Required);
        } else {
            c.id_number("id_number", Some(&self.id_number));
        }
        c.phone("phone", self.phone.as_deref());
        c.text("address", &self.address, false, 200);
        c.text(
            "responsible_officer",
            self.responsible_officer.as_str(),
            true,
            64,
        );
        c.text("notes", &self.notes, false, 20_000);
    }

    fn title(&self) -> String {
        self.name.clone()
    }

    fn search_text(&self, out: &mut Vec<String>) {
        out.extend([
            self.name.clone(),
            self.id_number.clone(),
            self.address.clone(),
        ]);
        push_some(out, &self.phone);
        out.push(self.notes.clone());
    }

    fn assignee(&self) -> Option<&UserId> {
        Some(&self.responsible_officer)
    }

    fn links(&self) -> Vec<Link> {
        link(self.household, "household").into_iter().collect()
    }
}

impl RecordData for KeyPersonCheck {
    fn validate(&self, c: &mut Checker) {
        c.happened("checked_at", self.checked_at);
        c.text("place", &self.place, false, 200);
        c.text("situation", &self.situation, !self.seen_in_person, 20_000);
        if self.risk_change != RiskChange::Unchanged && self.risk_level_after.is_none() {
            c.fail("risk_level_after", Problem::Required);
        }
        if let Some(p) = &self.location {
            p.check(c, "location");
        }
    }

    fn title(&self) -> String {
        crate::time::format_local(self.checked_at)
    }

    fn search_text(&self, out: &mut Vec<String>) {
        out.extend([self.place.clone(), self.situation.clone()]);
    }

    fn occurred_at(&self) -> Option<DateTime<Utc>> {
        Some(self.checked_at)
    }

    fn links(&self) -> Vec<Link> {
        vec![Link {
            target: self.key_person,
            role: "key_person",
        }]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::fixtures::{now, problems};

    #[test]
    fn a_key_person_needs_a_valid_id_number() {
        let mut p = KeyPerson {
            name: "王五".into(),
            id_number: String::new(),
            phone: None,
            address: String::new(),
            household: None,
            category: KeyPersonCategory::ReleasedPrisoner,
            risk_level: RiskLevel::Medium,
            responsible_officer: "li.officer".into(),
            notes: String::new(),
        };
        assert_eq!(problems(&p), [("id_number".into(), "required")]);
        p.id_number = "11010519491231002X".into();
        assert!(problems(&p).is_empty());
    }

    #[test]
    fn a_check_not_in_person_must_say_what_is_known() {
        let mut k = KeyPersonCheck {
            key_person: RecordId::new(),
            checked_by: "li.officer".into(),
            checked_at: now(),
            place: String::new(),
            location: None,
            seen_in_person: false,
            situation: String::new(),
            risk_change: RiskChange::Raised,
            risk_level_after: None,
        };
        assert_eq!(
            problems(&k),
            [
                ("situation".into(), "required"),
                ("risk_level_after".into(), "required")
            ]
        );
        k.seen_in_person = true;
        k.risk_change = RiskChange::Unchanged;
        assert!(problems(&k).is_empty());
    }
}
