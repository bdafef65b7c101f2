//! Household (户 / 实有人口): an address in a village and the people who live there.

use super::{push_some, RecordData};
use crate::validate::Checker;
use serde::{Deserialize, Serialize};

/// A household and its members.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Household {
    /// Street address within the village, e.g. 南街村三组 12 号.
    pub address: String,
    /// Everyone registered at the address.
    #[serde(default)]
    pub members: Vec<Member>,
    /// Tags the officer should know about (留守老人, 独居, 低保 …).
    #[serde(default)]
    pub tags: Vec<HouseholdTag>,
    /// Free notes.
    #[serde(default)]
    pub notes: String,
}

/// One person in a household.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Member {
    /// Full name.
    pub name: String,
    /// Resident ID number (身份证号).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_number: Option<String>,
    /// Mobile number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Relation to the head of household.
    pub relation: Relation,
}

/// Relation to the head of household.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    /// 户主
    Head,
    /// 配偶
    Spouse,
    /// 子女
    Child,
    /// 父母
    Parent,
    /// 孙辈
    Grandchild,
    /// 兄弟姐妹
    Sibling,
    /// 租户
    Tenant,
    /// 其他
    Other,
}

/// Things about a household an officer keeps an eye on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HouseholdTag {
    /// 留守老人
    LeftBehindElderly,
    /// 留守儿童
    LeftBehindChildren,
    /// 独居
    LivingAlone,
    /// 低保
    LowIncome,
    /// 残疾人
    Disabled,
    /// 出租房
    Rental,
    /// 外出务工
    MigrantWorker,
}

impl RecordData for Household {
    fn validate(&self, c: &mut Checker) {
        c.text("address", &self.address, true, 200);
        c.text("notes", &self.notes, false, 20_000);
        for (i, m) in self.members.iter().enumerate() {
            c.text(&format!("members[{i}].name"), &m.name, true, 50);
            c.id_number(&format!("members[{i}].id_number"), m.id_number.as_deref());
            c.phone(&format!("members[{i}].phone"), m.phone.as_deref());
        }
    }

    fn title(&self) -> String {
        let head = self
            .members
            .iter()
            .find(|m| m.relation == Relation::Head)
            .or(self.members.first());
        match head {
            Some(m) => format!("{} · {}", m.name, self.address),
            None => self.address.clone(),
        }
    }

    fn search_text(&self, out: &mut Vec<String>) {
        out.push(self.address.clone());
        for m in &self.members {
            out.push(m.name.clone());
            push_some(out, &m.id_number);
            push_some(out, &m.phone);
        }
        out.push(self.notes.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::fixtures::problems;

    fn household() -> Household {
        Household {
            address: "南街村三组12号".into(),
            members: vec![
                Member {
                    name: "张三丰".into(),
                    id_number: Some("11010519491231002X".into()),
                    phone: Some("13812345678".into()),
                    relation: Relation::Head,
                },
                Member {
                    name: "李梅".into(),
                    id_number: None,
                    phone: None,
                    relation: Relation::Spouse,
                },
            ],
            tags: vec![HouseholdTag::LeftBehindElderly],
            notes: String::new(),
        }
    }

    #[test]
    fn a_good_household_passes_and_is_titled_by_its_head() {
        let h = household();
        assert!(problems(&h).is_empty());
        assert_eq!(h.title(), "张三丰 · 南街村三组12号");
    }

    #[test]
    fn every_bad_member_field_is_reported_with_its_path() {
        let mut h = household();
        h.address.clear();
        h.members[1].id_number = Some("110105194912310021".into());
        h.members[1].phone = Some("0393-123".into());
        h.members[0].name = " ".into();
        assert_eq!(
            problems(&h),
            [
                ("address".into(), "required"),
                ("members[0].name".into(), "required"),
                ("members[1].id_number".into(), "id_number_checksum"),
                ("members[1].phone".into(), "phone"),
            ]
        );
    }

    #[test]
    fn unknown_tags_are_rejected_by_serde() {
        let json = r#"{"address":"x","tags":["rich"]}"#;
        assert!(serde_json::from_str::<Household>(json).is_err());
    }
}
