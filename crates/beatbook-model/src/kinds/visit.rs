//! Household visit (入户走访), in one of the "五个一" forms.

use super::{GeoPoint, Link, RecordData};
use crate::ids::{RecordId, UserId};
use crate::validate::Checker;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A visit to a household.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Visit {
    /// The household visited.
    pub household: RecordId,
    /// Who went.
    #[serde(default)]
    pub visitors: Vec<UserId>,
    /// When.
    pub visited_at: DateTime<Utc>,
    /// Which of the "五个一" this was.
    pub method: FiveOnes,
    /// Where, in words.
    #[serde(default)]
    pub place: String,
    /// Where, by GPS, if the handset had a fix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<GeoPoint>,
    /// Why.
    #[serde(default)]
    pub purpose: String,
    /// What was learned.
    #[serde(default)]
    pub findings: String,
    /// Problems found.
    #[serde(default)]
    pub problems: String,
    /// What happens next.
    #[serde(default)]
    pub follow_up: String,
}

/// The "五个一" work method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FiveOnes {
    /// 一次座谈: a talk.
    Talk,
    /// 一次调解: a mediation.
    Mediation,
    /// 一次慰问: a condolence visit.
    Condolence,
    /// 一次讲课: a safety lecture.
    Lecture,
    /// 一次走访: a visit.
    Visit,
}

impl RecordData for Visit {
    fn validate(&self, c: &mut Checker) {
        c.happened("visited_at", self.visited_at);
        c.text("place", &self.place, false, 200);
        c.text("purpose", &self.purpose, false, 500);
        for (field, text) in [
            ("findings", &self.findings),
            ("problems", &self.problems),
            ("follow_up", &self.follow_up),
        ] {
            c.text(field, text, false, 20_000);
        }
        if let Some(p) = &self.location {
            p.check(c, "location");
        }
    }

    fn title(&self) -> String {
        crate::time::format_local(self.visited_at) + " " + &self.purpose
    }

    fn search_text(&self, out: &mut Vec<String>) {
        out.extend([
            self.place.clone(),
            self.purpose.clone(),
            self.findings.clone(),
            self.problems.clone(),
            self.follow_up.clone(),
        ]);
    }

    fn occurred_at(&self) -> Option<DateTime<Utc>> {
        Some(self.visited_at)
    }

    fn links(&self) -> Vec<Link> {
        vec![Link {
            target: self.household,
            role: "household",
        }]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::fixtures::{now, problems};
    use chrono::Duration;

    #[test]
    fn visits_cannot_happen_days_ahead_or_off_the_globe() {
        let mut v = Visit {
            household: RecordId::new(),
            visitors: vec![],
            visited_at: now(),
            method: FiveOnes::Visit,
            place: String::new(),
            location: Some(GeoPoint {
                lat: 35.9,
                lon: 115.1,
            }),
            purpose: "走访".into(),
            findings: String::new(),
            problems: String::new(),
            follow_up: String::new(),
        };
        assert!(problems(&v).is_empty());
        v.visited_at = now() + Duration::days(30);
        v.location = Some(GeoPoint {
            lat: 135.9,
            lon: 115.1,
        });
        assert_eq!(
            problems(&v),
            [
                ("visited_at".into(), "far_future"),
                ("location".into(), "coordinate")
            ]
        );
    }
}
