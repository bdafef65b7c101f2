//! Jurisdiction: county → station → village, and the office or workstation serving each village.

use crate::ids::{StationId, VillageId};
use serde::{Deserialize, Serialize};

/// A county public security bureau (县公安局): the whole deployment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct County {
    /// Display name, e.g. 清丰县公安局.
    pub name: String,
    /// Its police stations.
    pub stations: Vec<Station>,
}

/// A police station (派出所).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Station {
    /// Stable id.
    pub id: StationId,
    /// Display name, e.g. 马庄桥派出所.
    pub name: String,
    /// The villages it is responsible for.
    pub villages: Vec<Village>,
}

/// A village or community (村/社区): one responsible officer, one grid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Village {
    /// Stable id.
    pub id: VillageId,
    /// Display name, e.g. 南街村.
    pub name: String,
    /// The office or workstation serving it.
    pub post: Post,
}

/// Whether a post is run by an officer or an auxiliary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PostKind {
    /// 警务室: a police office run by a community officer.
    Office,
    /// 警务工作站: a workstation run by an auxiliary.
    Workstation,
}

/// The office or workstation that serves a village.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Post {
    /// Office or workstation.
    pub kind: PostKind,
    /// Display name, e.g. 南街警务室.
    pub name: String,
}

impl County {
    /// The station that a village belongs to.
    pub fn station_of(&self, village: &VillageId) -> Option<&Station> {
        self.stations
            .iter()
            .find(|s| s.villages.iter().any(|v| &v.id == village))
    }

    /// A village by id.
    pub fn village(&self, village: &VillageId) -> Option<&Village> {
        self.stations
            .iter()
            .flat_map(|s| &s.villages)
            .find(|v| &v.id == village)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_station_of_a_village() {
        let county = County {
            name: "清丰县公安局".into(),
            stations: vec![Station {
                id: "gucheng".into(),
                name: "古城派出所".into(),
                villages: vec![Village {
                    id: "nanjie".into(),
                    name: "南街村".into(),
                    post: Post {
                        kind: PostKind::Office,
                        name: "南街警务室".into(),
                    },
                }],
            }],
        };
        assert_eq!(
            county.station_of(&"nanjie".into()).unwrap().name,
            "古城派出所"
        );
        assert_eq!(
            county.village(&"nanjie".into()).unwrap().post.kind,
            PostKind::Office
        );
        assert!(county.station_of(&"nowhere".into()).is_none());
    }
}
