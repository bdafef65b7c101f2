//! Hazard (隐患): found during any work and driven to cleared (隐患动态清零).

use super::{link, GeoPoint, Link, RecordData};
use crate::error::{FieldError, ModelError, Problem};
use crate::ids::{RecordId, UserId};
use crate::status::{HazardStatus, Transition};
use crate::validate::Checker;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A safety hazard and its rectification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hazard {
    /// What the hazard is.
    pub description: String,
    /// Where, in words.
    pub place: String,
    /// Where, by GPS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<GeoPoint>,
    /// When it was found.
    pub found_at: DateTime<Utc>,
    /// Who found it.
    pub found_by: UserId,
    /// The record during which it was found (visit, inspection, patrol).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<RecordId>,
    /// Where it stands.
    #[serde(default)]
    pub status: HazardStatus,
    /// When it must be put right.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<DateTime<Utc>>,
    /// What is being done about it.
    #[serde(default)]
    pub rectification: String,
    /// When it was cleared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cleared_at: Option<DateTime<Utc>>,
    /// How it was cleared: required to clear.
    #[serde(default)]
    pub clearance_note: String,
    /// Who cleared it: required when it is cleared (hazards cleared before this field existed
    /// have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cleared_by: Option<UserId>,
}

impl RecordData for Hazard {
    fn validate(&self, c: &mut Checker) {
        c.text("description", &self.description, true, 20_000);
        c.text("place", &self.place, true, 200);
        c.happened("found_at", self.found_at);
        if let Some(d) = self.deadline {
            c.due("deadline", d);
        }
        if self.status == HazardStatus::Cleared {
            c.text("clearance_note", &self.clearance_note, true, 2000);
            match self.cleared_at {
                None => c.fail("cleared_at", Problem::Required),
                Some(t) => {
                    c.happened("cleared_at", t);
                    c.ordered("cleared_at", self.found_at, t);
                }
            }
        }
        if let Some(p) = &self.location {
            p.check(c, "location");
        }
    }

    fn title(&self) -> String {
        format!(
            "{} · {}",
            self.place,
            self.description.lines().next().unwrap_or("")
        )
    }

    fn search_text(&self, out: &mut Vec<String>) {
        out.extend([
            self.description.clone(),
            self.place.clone(),
            self.rectification.clone(),
            self.clearance_note.clone(),
        ]);
    }

    fn occurred_at(&self) -> Option<DateTime<Utc>> {
        Some(self.found_at)
    }

    fn status(&self) -> Option<&'static str> {
        Some(self.status.as_str())
    }

    fn due_at(&self) -> Option<DateTime<Utc>> {
        self.deadline
    }

    fn links(&self) -> Vec<Link> {
        link(self.source, "source").into_iter().collect()
    }

    fn check_update(&self, old: &Self) -> Result<(), ModelError> {
        old.status.check(self.status)?;
        if self.status == HazardStatus::Cleared
            && old.status != HazardStatus::Cleared
            && self
                .cleared_by
                .as_ref()
                .is_none_or(|who| who.as_str().trim().is_empty())
        {
            return Err(ModelError::Invalid(vec![FieldError::new(
                "cleared_by",
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

    #[test]
    fn clearing_needs_a_note_and_a_time_and_goes_through_rectifying() {
        let open = Hazard {
            description: "电线裸露".into(),
            place: "村东小卖部".into(),
            location: None,
            found_at: now(),
            found_by: "li.officer".into(),
            source: None,
            status: HazardStatus::Open,
            deadline: None,
            rectification: String::new(),
            cleared_at: None,
            clearance_note: String::new(),
            cleared_by: None,
        };
        let mut cleared = open.clone();
        cleared.status = HazardStatus::Cleared;
        assert_eq!(
            problems(&cleared),
            [
                ("clearance_note".into(), "required"),
                ("cleared_at".into(), "required")
            ]
        );
        assert!(cleared.check_update(&open).is_err());
        let mut rectifying = open.clone();
        rectifying.status = HazardStatus::Rectifying;
        assert!(rectifying.check_update(&open).is_ok());
        // Clearing names who cleared it; a hazard already cleared is not asked again.
        let Err(ModelError::Invalid(errs)) = cleared.check_update(&rectifying) else {
            panic!("clearing without a name must be refused");
        };
        assert_eq!(errs[0].field, "cleared_by");
        assert!(cleared.check_update(&cleared).is_ok());
        cleared.cleared_by = Some(" ".into());
        assert!(
            cleared.check_update(&rectifying).is_err(),
            "a blank name is no name"
        );
        cleared.cleared_by = Some("wang.aux".into());
        assert!(cleared.check_update(&rectifying).is_ok());
    }
}
