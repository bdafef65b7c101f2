//! Deterministic sample data shaped like Qingfeng County: names, addresses, valid ID numbers
//! and phones, for demos, seeds, tests and benchmarks. Same seed, same data.

use crate::kinds::*;
use crate::validate::id_check_char;
use crate::{RecordId, UserId};
use chrono::{DateTime, Duration, Utc};

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林",
    "何", "郭", "马", "罗", "梁", "宋", "郑", "谢", "韩", "唐", "冯", "于", "董", "萧",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟",
    "涛", "明", "超", "秀兰", "霞", "平", "刚", "桂英", "建国", "建华", "国强", "淑珍", "玉兰",
    "三丰", "德华", "志强", "海燕", "红梅", "春生", "秋菊", "冬梅",
];
const GROUPS: &[&str] = &["一组", "二组", "三组", "四组", "五组", "六组"];

/// A small deterministic generator (SplitMix64): reproducible without a dependency.
#[derive(Debug, Clone)]
pub struct Sampler {
    state: u64,
}

impl Sampler {
    /// A generator from `seed`.
    pub fn new(seed: u64) -> Self {
        Sampler { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// One element of `items`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// A Chinese full name.
    pub fn name(&mut self) -> String {
        format!("{}{}", self.pick(SURNAMES), self.pick(GIVEN))
    }

    /// A valid resident ID number of someone born between 1940 and 2009 in Puyang, Henan.
    pub fn id_number(&mut self) -> String {
        let year = 1940 + self.below(70);
        let month = 1 + self.below(12);
        let day = 1 + self.below(28);
        let serial = self.below(1000);
        let first17 = format!("410922{year:04}{month:02}{day:02}{serial:03}");
        let check = id_check_char(&first17).unwrap_or('0');
        format!("{first17}{check}")
    }

    /// A valid mainland mobile number.
    pub fn phone(&mut self) -> String {
        format!("1{}{:09}", 3 + self.below(7), self.below(1_000_000_000))
    }

    /// A household at an address in `village_name`, with two to five members.
    pub fn household(&mut self, village_name: &str) -> Household {
        let surname = *self.pick(SURNAMES);
        let n = 2 + self.below(4) as usize;
        let relations = [
            Relation::Head,
            Relation::Spouse,
            Relation::Child,
            Relation::Parent,
            Relation::Grandchild,
        ];
        let members = (0..n)
            .map(|i| Member {
                name: if i == 1 {
                    self.name()
                } else {
                    format!("{surname}{}", self.pick(GIVEN))
                },
                id_number: Some(self.id_number()),
                phone: (i < 2).then(|| self.phone()),
                relation: relations[i],
            })
            .collect();
        let tags = [
            HouseholdTag::LeftBehindElderly,
            HouseholdTag::LivingAlone,
            HouseholdTag::LowIncome,
        ];
        Household {
            address: format!(
                "{village_name}{}{}号",
                self.pick(GROUPS),
                1 + self.below(80)
            ),
            members,
            tags: if self.below(4) == 0 {
                vec![*self.pick(&tags)]
            } else {
                vec![]
            },
            notes: String::new(),
        }
    }

    /// A visit to `household` by `visitor` at `at`.
    pub fn visit(&mut self, household: RecordId, visitor: &UserId, at: DateTime<Utc>) -> Visit {
        let topics = [
            "了解家庭近况",
            "防范电信诈骗宣传",
            "邻里关系走访",
            "留守老人慰问",
            "安全隐患排查",
        ];
        Visit {
            household,
            visitors: vec![visitor.clone()],
            visited_at: at - Duration::minutes(self.below(600) as i64),
            method: *self.pick(&[FiveOnes::Visit, FiveOnes::Talk, FiveOnes::Condolence]),
            place: "家中".into(),
            location: None,
            purpose: (*self.pick(&topics)).into(),
            findings: "家中情况正常，无异常。".into(),
            problems: String::new(),
            follow_up: String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RecordData;

    #[test]
    fn samples_are_valid_and_reproducible() {
        let mut a = Sampler::new(7);
        let mut b = Sampler::new(7);
        for _ in 0..200 {
            let h = a.household("南街村");
            assert_eq!(h, b.household("南街村"));
            let mut c = crate::validate::Checker::new(Utc::now());
            h.validate(&mut c);
            assert!(c.finish().is_ok(), "{h:?}");
        }
    }
}
