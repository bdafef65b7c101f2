//! Legal publicity (法律宣传): a talk or campaign on law and policy.

use super::RecordData;
use crate::validate::Checker;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A legal-publicity event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Publicity {
    /// The topic, e.g. 防范电信诈骗.
    pub topic: String,
    /// Where.
    pub place: String,
    /// When.
    pub held_at: DateTime<Utc>,
    /// How many people attended.
    pub audience: u32,
    /// Free notes.
    #[serde(default)]
    pub notes: String,
}

impl RecordData for Publicity {
    fn validate(&self, c: &mut Checker) {
        c.text("topic", &self.topic, true, 200);
        c.text("place", &self.place, true, 200);
        c.happened("held_at", self.held_at);
        c.range("audience", i64::from(self.audience), 0, 100_000);
        c.text("notes", &self.notes, false, 20_000);
    }

    fn title(&self) -> String {
        self.topic.clone()
    }

    fn search_text(&self, out: &mut Vec<String>) {
        out.extend([self.topic.clone(), self.place.clone(), self.notes.clone()]);
    }

    fn occurred_at(&self) -> Option<DateTime<Utc>> {
        Some(self.held_at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::fixtures::{now, problems};

    #[test]
    fn needs_topic_place_and_a_sane_audience() {
        let p = Publicity {
            topic: String::new(),
            place: "村委会".into(),
            held_at: now(),
            audience: 1_000_000,
            notes: String::new(),
        };
        assert_eq!(
            problems(&p),
            [
                ("topic".into(), "required"),
                ("audience".into(), "out_of_range")
            ]
        );
    }
}
