//! Who may read and write what: roles, their assignments, and the scope rules. The server
//! enforces these on every push and pull; the app uses them to show only what a user may do.

use crate::error::Lang;
use crate::ids::{StationId, VillageId};
use crate::record::{Kind, Scope};
use serde::{Deserialize, Serialize};

/// A user's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 社区民警: owns one or more villages.
    CommunityOfficer,
    /// 辅警: works villages under an officer.
    Auxiliary,
    /// 网格员: reports hazards and disputes; never sees key persons.
    GridWorker,
    /// 所长: the whole station.
    StationChief,
    /// 县局管理员: everything.
    CountyAdmin,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 5] = [
        Role::CommunityOfficer,
        Role::Auxiliary,
        Role::GridWorker,
        Role::StationChief,
        Role::CountyAdmin,
    ];

    /// Stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::CommunityOfficer => "community_officer",
            Role::Auxiliary => "auxiliary",
            Role::GridWorker => "grid_worker",
            Role::StationChief => "station_chief",
            Role::CountyAdmin => "county_admin",
        }
    }

    /// The label people read.
    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Role::CommunityOfficer, Lang::Zh) => "社区民警",
            (Role::Auxiliary, Lang::Zh) => "辅警",
            (Role::GridWorker, Lang::Zh) => "网格员",
            (Role::StationChief, Lang::Zh) => "所长",
            (Role::CountyAdmin, Lang::Zh) => "县局管理员",
            (Role::CommunityOfficer, Lang::En) => "community officer",
            (Role::Auxiliary, Lang::En) => "auxiliary",
            (Role::GridWorker, Lang::En) => "grid worker",
            (Role::StationChief, Lang::En) => "station chief",
            (Role::CountyAdmin, Lang::En) => "county admin",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm = s.trim().replace('-', "_").to_ascii_lowercase();
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == norm || r.label(Lang::Zh) == s.trim())
            .ok_or_else(|| {
                format!(
                    "unknown role \"{s}\"; choose one of {}",
                    Role::ALL.map(Role::as_str).join(", ")
                )
            })
    }
}

/// A user's role and where they work.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignment {
    /// The role.
    pub role: Role,
    /// The station (every role but county admin has one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub station: Option<StationId>,
    /// The villages (officers, auxiliaries, grid workers).
    #[serde(default)]
    pub villages: Vec<VillageId>,
}

/// Kinds a grid worker never receives.
const KEY_PERSON_KINDS: [Kind; 2] = [Kind::KeyPerson, Kind::KeyPersonCheck];

impl Assignment {
    /// Whether the user's scope covers the record's village.
    fn covers(&self, scope: &Scope) -> bool {
        match self.role {
            Role::CountyAdmin => true,
            Role::StationChief => self.station.as_ref() == Some(&scope.station),
            Role::CommunityOfficer | Role::Auxiliary | Role::GridWorker => {
                self.station.as_ref() == Some(&scope.station)
                    && self.villages.contains(&scope.village)
            }
        }
    }

    /// Whether the user may receive a record of `kind` in `scope`.
    pub fn can_read(&self, kind: Kind, scope: &Scope) -> bool {
        self.covers(scope) && !(self.role == Role::GridWorker && KEY_PERSON_KINDS.contains(&kind))
    }

    /// Whether the user may create or change a record of `kind` in `scope`. Reading and
    /// writing have the same scope: a user works where they are assigned.
    pub fn can_write(&self, kind: Kind, scope: &Scope) -> bool {
        self.can_read(kind, scope)
    }

    /// Whether the user may mark records in `scope` reviewed: a station chief (所长) for their
    /// station, a county admin anywhere. Officers and auxiliaries do not review their own work.
    pub fn can_review(&self, scope: &Scope) -> bool {
        matches!(self.role, Role::StationChief | Role::CountyAdmin) && self.covers(scope)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(station: &str, village: &str) -> Scope {
        Scope {
            station: station.into(),
            village: village.into(),
        }
    }

    #[test]
    fn the_scope_matrix() {
        let officer = Assignment {
            role: Role::CommunityOfficer,
            station: Some("gucheng".into()),
            villages: vec!["nanjie".into()],
        };
        let grid = Assignment {
            role: Role::GridWorker,
            ..officer.clone()
        };
        let chief = Assignment {
            role: Role::StationChief,
            station: Some("gucheng".into()),
            villages: vec![],
        };
        let admin = Assignment {
            role: Role::CountyAdmin,
            station: None,
            villages: vec![],
        };
        let mine = scope("gucheng", "nanjie");
        let neighbour = scope("gucheng", "beijie");
        let elsewhere = scope("liuta", "nanjie");
        for kind in Kind::ALL {
            assert!(officer.can_write(kind, &mine));
            assert!(!officer.can_read(kind, &neighbour));
            assert!(
                !officer.can_read(kind, &elsewhere),
                "village ids are per station"
            );
            assert_eq!(
                grid.can_read(kind, &mine),
                !KEY_PERSON_KINDS.contains(&kind)
            );
            assert!(chief.can_write(kind, &neighbour));
            assert!(!chief.can_read(kind, &elsewhere));
            assert!(admin.can_write(kind, &elsewhere));
        }
    }

    #[test]
    fn roles_parse() {
        assert_eq!("station-chief".parse::<Role>(), Ok(Role::StationChief));
        assert_eq!("辅警".parse::<Role>(), Ok(Role::Auxiliary));
        assert!("boss".parse::<Role>().unwrap_err().contains("county_admin"));
    }
}
