//! Patrol (巡逻): who walked where, when, and what they saw.

use super::{GeoPoint, RecordData};
use crate::error::ModelError;
use crate::ids::UserId;
use crate::validate::Checker;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A patrol, ongoing until it has an end time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Patrol {
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it ended; `None` while under way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<DateTime<Utc>>,
    /// Who patrolled.
    #[serde(default)]
    pub patrollers: Vec<UserId>,
    /// The area or route, in words.
    #[serde(default)]
    pub area: String,
    /// Points along the route.
    #[serde(default)]
    pub route: Vec<RoutePoint>,
    /// What was seen, in order.
    #[serde(default)]
    pub observations: Vec<Observation>,
}

/// A point on a patrol route.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RoutePoint {
    /// When the point was taken.
    pub at: DateTime<Utc>,
    /// Where.
    pub point: GeoPoint,
}

/// Something seen on patrol.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    /// When.
    pub at: DateTime<Utc>,
    /// Where, in words.
    #[serde(default)]
    pub place: String,
    /// Where, by GPS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<GeoPoint>,
    /// What was seen.
    pub text: String,
    /// Whether it was an incident needing action.
    #[serde(default)]
    pub incident: bool,
}

impl RecordData for Patrol {
    fn validate(&self, c: &mut Checker) {
        c.happened("started_at", self.started_at);
        if let Some(end) = self.ended_at {
            c.happened("ended_at", end);
            c.ordered("ended_at", self.started_at, end);
        }
        c.text("area", &self.area, false, 200);
        for (i, p) in self.route.iter().enumerate() {
            p.point.check(c, &format!("route[{i}].point"));
        }
        for (i, o) in self.observations.iter().enumerate() {
            c.happened(&format!("observations[{i}].at"), o.at);
            c.text(&format!("observations[{i}].text"), &o.text, true, 2000);
            if let Some(p) = &o.location {
                p.check(c, &format!("observations[{i}].location"));
            }
        }
    }

    fn title(&self) -> String {
        format!(
            "{} {}",
            crate::time::format_local(self.started_at),
            self.area
        )
    }

    fn search_text(&self, out: &mut Vec<String>) {
        out.push(self.area.clone());
        for o in &self.observations {
            out.extend([o.place.clone(), o.text.clone()]);
        }
    }

    fn occurred_at(&self) -> Option<DateTime<Utc>> {
        Some(self.started_at)
    }

    fn status(&self) -> Option<&'static str> {
        Some(if self.ended_at.is_some() {
            "ended"
        } else {
            "ongoing"
        })
    }

    fn check_update(&self, old: &Self) -> Result<(), ModelError> {
        if old.ended_at.is_some() && self.ended_at.is_none() {
            return Err(ModelError::IllegalTransition {
                kind: "patrol",
                from: "ended".into(),
                to: "ongoing".into(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::fixtures::{now, problems};
    use chrono::Duration;

    #[test]
    fn an_ended_patrol_stays_ended_and_cannot_end_before_it_began() {
        let mut p = Patrol {
            started_at: now(),
            ended_at: Some(now() - Duration::hours(1)),
            patrollers: vec![],
            area: "南街".into(),
            route: vec![],
            observations: vec![],
        };
        assert_eq!(problems(&p), [("ended_at".into(), "before_start")]);
        p.ended_at = Some(now());
        let mut reopened = p.clone();
        reopened.ended_at = None;
        assert!(reopened.check_update(&p).is_err());
        assert_eq!(p.status(), Some("ended"));
    }
}
