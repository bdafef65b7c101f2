//! Who may read and write what: roles, their assignments, and the scope rules. The server
//! enforces these on every push and pull; the app uses them to show only what a user may do.

use crate::error::Lang;
use crate::ids::{StationId, UserId, VillageId};
use crate::record::{Body, Kind, Record, Scope};
use serde::{Deserialize, Serialize};

/// Why the access rules refuse something. Each capability has one rule in [`Assignment`];
/// the CLI, the app and the server all ask these, and the server refuses what they refuse
/// whatever a device sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Denied {
    /// The record lies outside the user's villages or station, or is of a kind the role never
    /// sees (key persons for grid workers).
    OutOfScope,
    /// Only a station chief (own station) or the county admin gives out tasks.
    Dispatch,
    /// A task's assignee may complete it; nothing else of a task is theirs to change.
    TaskChange,
    /// Only a station chief (own station) or the county admin changes duty rules.
    DutyRules,
    /// Only a chief of the record's station or a county admin reviews records.
    Review,
}

impl Denied {
    /// A stable machine-readable code.
    pub fn code(self) -> &'static str {
        match self {
            Denied::OutOfScope => "out_of_scope",
            Denied::Dispatch => "dispatch_not_allowed",
            Denied::TaskChange => "task_change_not_allowed",
            Denied::DutyRules => "duty_rules_not_allowed",
            Denied::Review => "review_not_allowed",
        }
    }

    /// The message for people in `lang`.
    pub fn message(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Denied::OutOfScope, Lang::Zh) => "无权查看或修改本辖区以外的记录",
            (Denied::OutOfScope, Lang::En) => "the record is outside your area of responsibility",
            (Denied::Dispatch, Lang::Zh) => "只有所长和县局管理员可以派单",
            (Denied::Dispatch, Lang::En) => {
                "only a station chief or the county admin gives out tasks"
            }
            (Denied::TaskChange, Lang::Zh) => "任务只能由派单人修改；承办人只能完成任务",
            (Denied::TaskChange, Lang::En) => {
                "only the dispatcher changes a task; its assignee may only complete it"
            }
            (Denied::DutyRules, Lang::Zh) => "只有本所所长和县局管理员可以设置值勤规则",
            (Denied::DutyRules, Lang::En) => {
                "only the station's chief or the county admin sets duty rules"
            }
            (Denied::Review, Lang::Zh) => "只有本所所长或县局管理员可以审阅记录",
            (Denied::Review, Lang::En) => {
                "only a chief of the record's station or a county admin may review it"
            }
        }
    }
}

impl std::fmt::Display for Denied {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message(Lang::Zh))
    }
}

impl std::error::Error for Denied {}

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
        self.is_station_lead() && self.covers(scope)
    }

    /// Whether the user may give out (create, change, cancel) tasks in `scope`: a station
    /// chief for their station, a county admin anywhere.
    pub fn can_dispatch(&self, scope: &Scope) -> bool {
        self.is_station_lead() && self.covers(scope)
    }

    /// Whether the user does station work at all (dispatch, board, assessment, duty rules).
    pub fn is_station_lead(&self) -> bool {
        matches!(self.role, Role::StationChief | Role::CountyAdmin)
    }

    /// Whether the user may add or remove duty rules of `station`: its chief, or a county admin.
    pub fn can_manage_duty_rules(&self, station: &StationId) -> bool {
        match self.role {
            Role::CountyAdmin => true,
            Role::StationChief => self.station.as_ref() == Some(station),
            _ => false,
        }
    }

    /// Whether `user` (holding this assignment) may turn `before` (absent for a new record)
    /// into `after`. Scope and kind first, then what only some roles may write: tasks are
    /// given out and changed by dispatchers (their assignee may only complete them), reviews
    /// are written by reviewers. Content validity is the model's other half
    /// ([`Record::check_update`], [`Body::validate`]).
    pub fn check_change(
        &self,
        user: &UserId,
        before: Option<&Record>,
        after: &Record,
    ) -> Result<(), Denied> {
        if !self.can_write(after.kind(), &after.scope) {
            return Err(Denied::OutOfScope);
        }
        if before.map(|b| &b.review) != Some(&after.review)
            && (before.is_some() || after.review.is_some())
            && !self.can_review(&after.scope)
        {
            return Err(Denied::Review);
        }
        let Body::Task(task) = &after.body else {
            return Ok(());
        };
        if self.can_dispatch(&after.scope) {
            return Ok(());
        }
        let Some(before) = before else {
            return Err(Denied::Dispatch);
        };
        let Body::Task(old) = &before.body else {
            return Err(Denied::TaskChange);
        };
        // The assignee completes: status and the completing record are all they change.
        let mut only_completed = old.clone();
        only_completed.status = task.status;
        only_completed.completed_by = task.completed_by;
        let same_envelope = before.deleted == after.deleted;
        if old.assignee == *user && only_completed == *task && same_envelope {
            Ok(())
        } else {
            Err(Denied::TaskChange)
        }
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

    /// Every role against every capability in its own scope, a neighbouring village of the
    /// same station, and another station: the one table the CLI, the app and the server share.
    #[test]
    fn the_capability_table() {
        let at = |role: Role| Assignment {
            role,
            station: (role != Role::CountyAdmin).then(|| "gucheng".into()),
            villages: match role {
                Role::StationChief | Role::CountyAdmin => vec![],
                _ => vec!["nanjie".into()],
            },
        };
        let places = [
            scope("gucheng", "nanjie"),
            scope("gucheng", "beijie"),
            scope("liuta", "nanjie"),
        ];
        // (role, [own village, neighbour, other station]) for review/dispatch and duty rules.
        let lead = |r: Role| match r {
            Role::CountyAdmin => [true, true, true],
            Role::StationChief => [true, true, false],
            _ => [false, false, false],
        };
        let writes = |r: Role| match r {
            Role::CountyAdmin => [true, true, true],
            Role::StationChief => [true, true, false],
            _ => [true, false, false],
        };
        for role in Role::ALL {
            let a = at(role);
            for (i, place) in places.iter().enumerate() {
                assert_eq!(
                    a.can_review(place),
                    lead(role)[i],
                    "{role:?} review {place:?}"
                );
                assert_eq!(
                    a.can_dispatch(place),
                    lead(role)[i],
                    "{role:?} dispatch {place:?}"
                );
                assert_eq!(
                    a.can_manage_duty_rules(&place.station),
                    lead(role)[i],
                    "{role:?} duty rules {place:?}"
                );
                for kind in Kind::ALL {
                    let key = KEY_PERSON_KINDS.contains(&kind);
                    let want = writes(role)[i] && !(role == Role::GridWorker && key);
                    assert_eq!(
                        a.can_write(kind, place),
                        want,
                        "{role:?} {kind:?} {place:?}"
                    );
                }
            }
        }
    }

    fn task(assignee: &str, place: Scope) -> Record {
        use crate::{Task, TaskAction, TaskStatus};
        let t = chrono::DateTime::parse_from_rfc3339("2026-11-01T01:00:00Z")
            .unwrap()
            .to_utc();
        Record {
            id: crate::RecordId::new(),
            scope: place,
            author: "gucheng.chief".into(),
            created_at: t,
            updated_at: t,
            deleted: false,
            review: None,
            body: Body::Task(Task {
                assignee: assignee.into(),
                assigned_by: "gucheng.chief".into(),
                action: TaskAction::VisitHousehold,
                target: None,
                instructions: "走访该户".into(),
                due_at: t,
                status: TaskStatus::Open,
                completed_by: None,
                cancel_reason: String::new(),
            }),
        }
    }

    #[test]
    fn tasks_are_given_by_dispatchers_and_completed_by_their_assignee() {
        use crate::{RecordId, TaskStatus};
        let officer = Assignment {
            role: Role::CommunityOfficer,
            station: Some("gucheng".into()),
            villages: vec!["nanjie".into()],
        };
        let chief = Assignment {
            role: Role::StationChief,
            station: Some("gucheng".into()),
            villages: vec![],
        };
        let me: UserId = "gucheng.officer1".into();
        let other: UserId = "gucheng.officer2".into();
        let chief_id: UserId = "gucheng.chief".into();
        let new = task("gucheng.officer1", scope("gucheng", "nanjie"));
        assert_eq!(officer.check_change(&me, None, &new), Err(Denied::Dispatch));
        assert_eq!(chief.check_change(&chief_id, None, &new), Ok(()));

        let mut done = new.clone();
        if let Body::Task(t) = &mut done.body {
            t.status = TaskStatus::Done;
            t.completed_by = Some(RecordId::new());
        }
        assert_eq!(officer.check_change(&me, Some(&new), &done), Ok(()));
        assert_eq!(
            officer.check_change(&other, Some(&new), &done),
            Err(Denied::TaskChange),
            "only the assignee completes"
        );
        let mut moved = done.clone();
        if let Body::Task(t) = &mut moved.body {
            t.due_at += chrono::Duration::days(30);
        }
        assert_eq!(
            officer.check_change(&me, Some(&new), &moved),
            Err(Denied::TaskChange)
        );
        let mut gone = new.clone();
        gone.deleted = true;
        assert_eq!(
            officer.check_change(&me, Some(&new), &gone),
            Err(Denied::TaskChange)
        );
        assert_eq!(chief.check_change(&chief_id, Some(&new), &moved), Ok(()));

        let mut reviewed = new.clone();
        reviewed.review = Some(crate::Review {
            by: me.clone(),
            at: new.created_at,
            comment: String::new(),
        });
        assert_eq!(
            officer.check_change(&me, Some(&new), &reviewed),
            Err(Denied::Review)
        );
        assert_eq!(
            officer.check_change(&me, None, &reviewed),
            Err(Denied::Review)
        );
        let far = task("x", scope("gucheng", "beijie"));
        assert_eq!(
            officer.check_change(&me, None, &far),
            Err(Denied::OutOfScope)
        );
    }

    #[test]
    fn roles_parse() {
        assert_eq!("station-chief".parse::<Role>(), Ok(Role::StationChief));
        assert_eq!("辅警".parse::<Role>(), Ok(Role::Auxiliary));
        assert!("boss".parse::<Role>().unwrap_err().contains("county_admin"));
    }
}
