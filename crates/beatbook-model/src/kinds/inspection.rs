//! Unit inspection (单位检查): a shop, school, hotel or fuel site checked item by item.

use super::{GeoPoint, Link, RecordData};
use crate::ids::{RecordId, UserId};
use crate::validate::Checker;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// An inspection of a business or unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inspection {
    /// Name of the unit, e.g. 清丰县城关加油站.
    pub unit_name: String,
    /// What kind of unit.
    pub unit_type: UnitType,
    /// Address.
    #[serde(default)]
    pub address: String,
    /// When.
    pub inspected_at: DateTime<Utc>,
    /// Who inspected.
    #[serde(default)]
    pub inspectors: Vec<UserId>,
    /// Where, by GPS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<GeoPoint>,
    /// The items checked.
    #[serde(default)]
    pub items: Vec<InspectionItem>,
    /// Hazards found, in words.
    #[serde(default)]
    pub hazards_found: String,
    /// Hazard records raised by this inspection.
    #[serde(default)]
    pub hazards: Vec<RecordId>,
    /// Deadline for rectification, if anything must be put right.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<DateTime<Utc>>,
}

/// One item of an inspection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InspectionItem {
    /// What was checked, e.g. 消防器材.
    pub item: String,
    /// Whether it passed.
    pub passed: bool,
    /// Remark.
    #[serde(default)]
    pub note: String,
}

/// Kinds of units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitType {
    /// 商店
    Shop,
    /// 学校
    School,
    /// 旅馆
    Hotel,
    /// 加油站
    FuelSite,
    /// 工厂
    Factory,
    /// 网吧
    InternetCafe,
    /// 其他
    Other,
}

impl RecordData for Inspection {
    fn validate(&self, c: &mut Checker) {
        c.text("unit_name", &self.unit_name, true, 100);
        c.text("address", &self.address, false, 200);
        c.happened("inspected_at", self.inspected_at);
        for (i, item) in self.items.iter().enumerate() {
            c.text(&format!("items[{i}].item"), &item.item, true, 100);
            c.text(&format!("items[{i}].note"), &item.note, false, 1000);
        }
        c.text("hazards_found", &self.hazards_found, false, 20_000);
        if let Some(d) = self.deadline {
            c.due("deadline", d);
        }
        if let Some(p) = &self.location {
            p.check(c, "location");
        }
    }

    fn title(&self) -> String {
        self.unit_name.clone()
    }

    fn search_text(&self, out: &mut Vec<String>) {
        out.extend([
            self.unit_name.clone(),
            self.address.clone(),
            self.hazards_found.clone(),
        ]);
        out.extend(self.items.iter().map(|i| i.note.clone()));
    }

    fn occurred_at(&self) -> Option<DateTime<Utc>> {
        Some(self.inspected_at)
    }

    fn due_at(&self) -> Option<DateTime<Utc>> {
        self.deadline
    }

    fn links(&self) -> Vec<Link> {
        self.hazards
            .iter()
            .map(|&target| Link {
                target,
                role: "hazard",
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::fixtures::{now, problems};

    #[test]
    fn every_item_needs_a_name() {
        let i = Inspection {
            unit_name: "城关加油站".into(),
            unit_type: UnitType::FuelSite,
            address: String::new(),
            inspected_at: now(),
            inspectors: vec![],
            location: None,
            items: vec![
                InspectionItem {
                    item: "消防器材".into(),
                    passed: true,
                    note: String::new(),
                },
                InspectionItem {
                    item: String::new(),
                    passed: false,
                    note: String::new(),
                },
            ],
            hazards_found: String::new(),
            hazards: vec![],
            deadline: None,
        };
        assert_eq!(problems(&i), [("items[1].item".into(), "required")]);
    }
}
