//! What station work can fail with: a stable code and a message in Chinese and English that
//! says what to do.

use beatbook_model::{
    Denied, Kind, Lang, ModelError, RecordId, Role, RuleProblem, TaskAction, UserId, VillageId,
};
use beatbook_store::StoreError;

/// Everything station work can fail with. Bad input is refused before anything is written.
#[derive(Debug, thiserror::Error)]
pub enum StationError {
    /// The store refused or failed (invalid record, missing record, storage).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The assignee is not on the station's roster.
    #[error("{}", self.message(Lang::Zh))]
    UnknownAssignee(UserId),
    /// The assignee's role does not take tasks (only officers and auxiliaries do).
    #[error("{}", self.message(Lang::Zh))]
    AssigneeRole { user: UserId, role: Role },
    /// The assignee does not work in the target's village.
    #[error("{}", self.message(Lang::Zh))]
    AssigneeOutOfScope { user: UserId, village: VillageId },
    /// The target is not the kind of record the action asks for.
    #[error("{}", self.message(Lang::Zh))]
    TargetKind {
        action: TaskAction,
        expected: Kind,
        found: Kind,
    },
    /// A task without a target record needs a village to belong to.
    #[error("{}", self.message(Lang::Zh))]
    NoScope,
    /// A bulk selector matched nothing.
    #[error("{}", self.message(Lang::Zh))]
    NothingSelected,
    /// The action cannot be dispatched in bulk or by rule.
    #[error("{}", self.message(Lang::Zh))]
    NotSelectable(TaskAction),
    /// A rule or order is not usable as given.
    #[error("{}", self.message(Lang::Zh))]
    BadRule { zh: String, en: String },
    /// A duty rule the model's check refuses.
    #[error("{}", self.message(Lang::Zh))]
    InvalidRule(RuleProblem),
    /// No duty rule with this id.
    #[error("{}", self.message(Lang::Zh))]
    UnknownRule(String),
    /// A period whose end precedes its start.
    #[error("{}", self.message(Lang::Zh))]
    BadPeriod,
    /// The spreadsheet could not be written.
    #[error("{}", self.message(Lang::Zh))]
    Xlsx(String),
    /// The due date is already past.
    #[error("{}", self.message(Lang::Zh))]
    DueInPast,
    /// A target record is missing from this device.
    #[error("{}", self.message(Lang::Zh))]
    NoTarget(RecordId),
    /// The access rules refuse this user the work (e.g. an officer giving out tasks).
    #[error("{}", .0.message(Lang::Zh))]
    Forbidden(Denied),
}

impl From<ModelError> for StationError {
    /// A rule's problem stays a station error (an action rules cannot generate is the same
    /// refusal as for bulk dispatch); anything else the model says goes through the store's.
    fn from(e: ModelError) -> Self {
        match e {
            ModelError::BadRule(RuleProblem::Action { action }) => {
                StationError::NotSelectable(action)
            }
            ModelError::BadRule(problem) => StationError::InvalidRule(problem),
            other => StationError::Store(StoreError::Model(other)),
        }
    }
}

/// The crate's result type.
pub type Result<T, E = StationError> = std::result::Result<T, E>;

fn kind_pair(k: Kind) -> (&'static str, &'static str) {
    (k.label(Lang::Zh), k.label(Lang::En))
}

impl StationError {
    /// A stable code for programs.
    pub fn code(&self) -> &'static str {
        match self {
            StationError::Store(e) => e.code(),
            StationError::UnknownAssignee(_) => "unknown_assignee",
            StationError::AssigneeRole { .. } => "assignee_role",
            StationError::AssigneeOutOfScope { .. } => "assignee_out_of_scope",
            StationError::TargetKind { .. } => "target_kind",
            StationError::NoScope => "no_scope",
            StationError::NothingSelected => "nothing_selected",
            StationError::NotSelectable(_) => "not_selectable",
            StationError::BadRule { .. } | StationError::InvalidRule(_) => "bad_rule",
            StationError::UnknownRule(_) => "unknown_rule",
            StationError::BadPeriod => "bad_period",
            StationError::Xlsx(_) => "xlsx",
            StationError::DueInPast => "due_in_past",
            StationError::NoTarget(_) => "not_found",
            StationError::Forbidden(d) => d.code(),
        }
    }

    /// Whether the caller's input was at fault (as opposed to storage failing).
    pub fn is_bad_input(&self) -> bool {
        match self {
            StationError::Store(e) => matches!(
                e,
                StoreError::Model(_) | StoreError::NotFound(_) | StoreError::Deleted(_)
            ),
            StationError::Xlsx(_) => false,
            _ => true,
        }
    }

    /// The message in `lang`.
    pub fn message(&self, lang: Lang) -> String {
        let zh = lang == Lang::Zh;
        match self {
            StationError::Store(e) => e.message(lang),
            StationError::UnknownAssignee(u) if zh => {
                format!("派出所人员名单里没有“{u}”，不能派给他；请核对账号，或更新人员名单")
            }
            StationError::UnknownAssignee(u) => {
                format!("\"{u}\" is not on the station's roster; check the account name or update the roster")
            }
            StationError::AssigneeRole { user, role } if zh => format!(
                "{user} 是{}，任务只能派给社区民警或辅警",
                role.label(Lang::Zh)
            ),
            StationError::AssigneeRole { user, role } => format!(
                "{user} is a {}; tasks go to community officers and auxiliaries only",
                role.label(Lang::En)
            ),
            StationError::AssigneeOutOfScope { user, village } if zh => {
                format!("{user} 不负责村“{village}”，不能承办那里的任务")
            }
            StationError::AssigneeOutOfScope { user, village } => {
                format!("{user} does not work in village \"{village}\" and cannot take tasks there")
            }
            StationError::TargetKind {
                action,
                expected,
                found,
            } => {
                let (ez, ee) = kind_pair(*expected);
                let (fz, fe) = kind_pair(*found);
                if zh {
                    format!("“{}”任务的对象应是{ez}，这条记录是{fz}", action_label(*action, Lang::Zh))
                } else {
                    format!(
                        "a \"{}\" task concerns a {}, not a {}",
                        action_label(*action, Lang::En),
                        ee.to_lowercase(),
                        fe.to_lowercase()
                    )
                }
            }
            StationError::NoScope if zh => "没有对象记录的任务须用 --village 指明所属的村".into(),
            StationError::NoScope => "a task without a target record needs a village (--village)".into(),
            StationError::NothingSelected if zh => "没有符合条件的对象，未派出任何任务".into(),
            StationError::NothingSelected => "nothing matches the selection; no task was created".into(),
            StationError::NotSelectable(a) if zh => format!(
                "“{}”不能批量派单或按规则生成；可批量的有：走访某户、核查重点人员、检查单位、纠纷回访、隐患整改督办",
                action_label(*a, Lang::Zh)
            ),
            StationError::NotSelectable(a) => format!(
                "\"{}\" cannot be dispatched in bulk or by rule; choose visit_household, check_key_person, inspect_unit, return_visit or follow_hazard",
                action_label(*a, Lang::En)
            ),
            StationError::BadRule { zh: z, .. } if zh => z.clone(),
            StationError::BadRule { en, .. } => en.clone(),
            StationError::InvalidRule(problem) => problem.message(lang),
            StationError::UnknownRule(id) if zh => format!("没有编号为“{id}”的值勤规则；用 beatbook duty list 查看"),
            StationError::UnknownRule(id) => format!("no duty rule \"{id}\"; see beatbook duty list"),
            StationError::BadPeriod if zh => "时间段的结束日期早于开始日期".into(),
            StationError::BadPeriod => "the period ends before it starts".into(),
            StationError::Xlsx(why) if zh => format!("无法生成 Excel 表格：{why}"),
            StationError::Xlsx(why) => format!("cannot write the workbook: {why}"),
            StationError::DueInPast if zh => "截止时间已经过去，请给一个将来的时间".into(),
            StationError::DueInPast => "the due date has already passed; give a time in the future".into(),
            StationError::NoTarget(id) if zh => format!("本机没有编号为 {id} 的记录；先同步再试"),
            StationError::NoTarget(id) => format!("record {id} is not on this device; sync and try again"),
            StationError::Forbidden(d) => d.message(lang).to_owned(),
        }
    }
}

/// The stable code of an enum value (its serde name), e.g. `check_key_person`.
pub fn code_of<T: serde::Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

/// The label of a task action, from the model's field table.
pub fn action_label(a: TaskAction, lang: Lang) -> &'static str {
    let code = code_of(&a);
    beatbook_model::fields::TASK_ACTION
        .iter()
        .find(|c| c.code == code)
        .map_or("", |c| c.label(lang))
}
