//! The station's roster: who may take tasks, in which villages. The server lists the people a
//! user works with at enrolment (`EnrolResponse::staff`, kept on the device); a roster can
//! also be handed in from elsewhere (the CLI reads a file when one is named).

use crate::error::{Result, StationError};
use beatbook_model::{Assignment, Role, Scope, UserId};
use beatbook_protocol::UserInfo;
use serde::{Deserialize, Serialize};

/// One person of the station.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Staff {
    /// Account name.
    pub user: UserId,
    /// Display name, e.g. 李强.
    #[serde(default)]
    pub name: String,
    /// Role and villages.
    #[serde(flatten)]
    pub assignment: Assignment,
}

/// Everyone who may be given work.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Roster {
    /// The members.
    pub members: Vec<Staff>,
}

impl Roster {
    /// A member by account name.
    pub fn get(&self, user: &UserId) -> Option<&Staff> {
        self.members.iter().find(|m| &m.user == user)
    }

    /// The display name of `user`, or the account name if unknown.
    pub fn name_of(&self, user: &UserId) -> String {
        self.get(user)
            .filter(|m| !m.name.is_empty())
            .map_or_else(|| user.to_string(), |m| m.name.clone())
    }

    /// Checks that `user` is an officer or auxiliary who works in the village of `scope`.
    pub fn check_assignee(&self, user: &UserId, scope: &Scope) -> Result<&Staff> {
        let m = self
            .get(user)
            .ok_or_else(|| StationError::UnknownAssignee(user.clone()))?;
        let a = &m.assignment;
        if !matches!(a.role, Role::CommunityOfficer | Role::Auxiliary) {
            return Err(StationError::AssigneeRole {
                user: user.clone(),
                role: a.role,
            });
        }
        if a.station.as_ref() != Some(&scope.station) || !a.villages.contains(&scope.village) {
            return Err(StationError::AssigneeOutOfScope {
                user: user.clone(),
                village: scope.village.clone(),
            });
        }
        Ok(m)
    }
}

impl From<UserInfo> for Staff {
    fn from(u: UserInfo) -> Staff {
        Staff {
            user: UserId::from(u.username.as_str()),
            name: u.display_name,
            assignment: u.assignment,
        }
    }
}

impl From<Vec<UserInfo>> for Roster {
    /// The roster from the people the server listed at enrolment.
    fn from(people: Vec<UserInfo>) -> Roster {
        Roster {
            members: people.into_iter().map(Staff::from).collect(),
        }
    }
}
