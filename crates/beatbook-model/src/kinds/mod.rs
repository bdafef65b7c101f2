//! The record kinds an officer logs, one module each, and what every kind tells the store.

mod dispute;
mod hazard;
mod household;
mod inspection;
mod key_person;
mod patrol;
mod publicity;
mod task;
mod visit;

pub use dispute::{Dispute, DisputeType, Party, ReturnVisit, Session};
pub use hazard::Hazard;
pub use household::{Household, HouseholdTag, Member, Relation};
pub use inspection::{Inspection, InspectionItem, UnitType};
pub use key_person::{KeyPerson, KeyPersonCategory, KeyPersonCheck, RiskChange, RiskLevel};
pub use patrol::{Observation, Patrol, RoutePoint};
pub use publicity::Publicity;
pub use task::{Task, TaskAction};
pub use visit::{FiveOnes, Visit};

use crate::error::{ModelError, Problem};
use crate::ids::{RecordId, UserId};
use crate::validate::Checker;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A point on the map (WGS-84), captured where the platform provides it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GeoPoint {
    /// Latitude in degrees.
    pub lat: f64,
    /// Longitude in degrees.
    pub lon: f64,
}

impl GeoPoint {
    pub(crate) fn check(&self, c: &mut Checker, field: &str) {
        let ok = self.lat.is_finite()
            && self.lon.is_finite()
            && (-90.0..=90.0).contains(&self.lat)
            && (-180.0..=180.0).contains(&self.lon);
        if !ok {
            c.fail(field, Problem::Coordinate);
        }
    }
}

/// How one record refers to another (for dossiers and timelines).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Link {
    /// The record referred to.
    pub target: RecordId,
    /// The field that refers to it, e.g. `household`.
    pub role: &'static str,
}

/// What each record kind provides: validation, a title for lists, search text, the columns the
/// store projects for filtering, links to other records, and the rules for edits.
pub trait RecordData: Sized {
    /// Checks every field; problems go into `c`.
    fn validate(&self, c: &mut Checker);
    /// A one-line title for lists.
    fn title(&self) -> String;
    /// Appends the text search should find this record by (names, ID numbers, phones, notes).
    fn search_text(&self, out: &mut Vec<String>);
    /// When the work happened (for date filters); `None` means "when it was created".
    fn occurred_at(&self) -> Option<DateTime<Utc>> {
        None
    }
    /// The current status, for kinds that have a status machine.
    fn status(&self) -> Option<&'static str> {
        None
    }
    /// The person the record is assigned to, for tasks.
    fn assignee(&self) -> Option<&UserId> {
        None
    }
    /// When the record is due, for tasks and deadlines.
    fn due_at(&self) -> Option<DateTime<Utc>> {
        None
    }
    /// The other records this one refers to.
    fn links(&self) -> Vec<Link> {
        Vec::new()
    }
    /// Rules for replacing `old` by `self` (status machines); field validity is checked apart.
    fn check_update(&self, _old: &Self) -> Result<(), ModelError> {
        Ok(())
    }
}

pub(crate) fn push_some(out: &mut Vec<String>, s: &Option<String>) {
    if let Some(s) = s {
        out.push(s.clone());
    }
}

pub(crate) fn link(target: Option<RecordId>, role: &'static str) -> Option<Link> {
    target.map(|target| Link { target, role })
}

#[cfg(test)]
pub(crate) mod fixtures {
    use chrono::{DateTime, TimeZone, Utc};

    pub fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 28, 2, 0, 0).unwrap()
    }

    pub fn problems<T: super::RecordData>(r: &T) -> Vec<(String, &'static str)> {
        let mut c = crate::validate::Checker::new(now());
        r.validate(&mut c);
        match c.finish() {
            Ok(()) => vec![],
            Err(crate::ModelError::Invalid(errs)) => {
                errs.iter().map(|e| (e.field.clone(), e.code())).collect()
            }
            Err(e) => panic!("{e}"),
        }
    }
}
