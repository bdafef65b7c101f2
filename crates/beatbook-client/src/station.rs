//! Station work in the app for chiefs and the county admin: the hazards-to-zero board
//! (隐患清零) and the assessment (考核) per officer, village or station with its XLSX export.
//! The figures come from `beatbook-station` over this device's store; here they get names,
//! local times and the user's language. The shapes the UI receives derive `ts_rs::TS`.

use beatbook_model::status::Transition;
use beatbook_model::{format_local, Lang, Role, StationId, SystemClock};
use beatbook_model::{DutyRule, TaskAction, UserId, VillageId};
use beatbook_station::duty::{self, RuleBook};
use beatbook_station::error::action_label;
use beatbook_station::{
    assess, board, dispatch, xlsx, BulkOrder, By, DateRange, Figures, Roster, Selector,
    StationError,
};
use beatbook_sync::Device;
use chrono::NaiveDate;
use serde::Serialize;
use ts_rs::TS;

use crate::types::AppError;
use crate::{Client, Result, Session};

/// One open or rectifying hazard on the board.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct BoardItem {
    /// The hazard's record id (opens its record page).
    pub id: String,
    /// Place and first line of the description.
    pub title: String,
    /// `open` or `rectifying`.
    pub status: String,
    /// The status in the user's language.
    pub status_label: String,
    /// When it was found, local time.
    pub found_local: String,
    /// When it must be put right, local time.
    pub deadline_local: Option<String>,
    /// Whole days since it was found.
    pub age_days: i32,
    /// Whole days past the deadline; `None` unless overdue.
    pub overdue_days: Option<i32>,
}

/// One village's hazards, overdue first.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct BoardVillage {
    /// Village id.
    pub village: String,
    /// Village name.
    pub village_name: String,
    /// How many are overdue.
    pub overdue: u32,
    /// Its hazards in board order.
    pub rows: Vec<BoardItem>,
}

/// The hazards-to-zero board.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct BoardView {
    /// When ages and overdue days were counted, local time.
    pub at_local: String,
    /// Villages with open hazards, most overdue first.
    pub villages: Vec<BoardVillage>,
}

/// The figures of one assessment row.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct FiguresView {
    /// 走访次数.
    pub visits: u32,
    /// Key-person checks due.
    pub checks_due: u32,
    /// Key-person checks done on time.
    pub checks_on_time: u32,
    /// Tasks due.
    pub tasks_due: u32,
    /// Tasks done on time.
    pub tasks_on_time: u32,
    /// Tasks done late or open past due.
    pub tasks_overdue: u32,
    /// Hazards found.
    pub hazards_found: u32,
    /// Hazards cleared.
    pub hazards_cleared: u32,
    /// Disputes resolved.
    pub disputes_resolved: u32,
    /// Median days from report to resolution.
    pub median_days_to_resolve: Option<f64>,
    /// Ended patrols.
    pub patrols: u32,
    /// Patrol hours.
    pub patrol_hours: f64,
}

impl From<&Figures> for FiguresView {
    fn from(f: &Figures) -> Self {
        FiguresView {
            visits: f.visits,
            checks_due: f.checks_due,
            checks_on_time: f.checks_on_time,
            tasks_due: f.tasks_due,
            tasks_on_time: f.tasks_on_time,
            tasks_overdue: f.tasks_overdue,
            hazards_found: f.hazards_found,
            hazards_cleared: f.hazards_cleared,
            disputes_resolved: f.disputes_resolved,
            median_days_to_resolve: f.median_days_to_resolve,
            patrols: f.patrols,
            patrol_hours: f.patrol_hours,
        }
    }
}

/// One row of an assessment: an officer, a village or a station.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct AssessRow {
    /// Account, village or station id.
    pub key: String,
    /// Its name.
    pub label: String,
    /// The figures.
    pub figures: FiguresView,
}

/// An assessment as the app shows it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct AssessView {
    /// First day, `YYYY-MM-DD`.
    pub from: String,
    /// Last day (inclusive), `YYYY-MM-DD`.
    pub to: String,
    /// `officer`, `village` or `station`.
    pub by: String,
    /// Column headers of the table (first: the row's kind), in the user's language.
    pub header: Vec<String>,
    /// The rows.
    pub rows: Vec<AssessRow>,
    /// Everything together (each record once).
    pub total: FiguresView,
    /// Table cells of each row, then the total row, as the XLSX has them.
    pub cells: Vec<Vec<String>>,
    /// When this device last synced, local time; `None` if never.
    pub last_sync_local: Option<String>,
    /// The newest change of any record counted, local time.
    pub newest_record_local: Option<String>,
    /// When the figures were computed, local time.
    pub computed_local: String,
}

/// Someone a chief may give tasks to.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct StaffView {
    /// Account name.
    pub user: String,
    /// Display name.
    pub name: String,
    /// Role in the user's language.
    pub role_label: String,
    /// Village ids they work in.
    pub villages: Vec<String>,
}

/// A task action a bulk dispatch can give, with its label.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ActionChoice {
    /// `check_key_person`, `visit_household` …
    pub code: String,
    /// Label in the user's language.
    pub label: String,
}

/// A bulk dispatch as the chief fills it in.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, TS)]
pub struct BulkInput {
    /// The action (see [`Client::dispatch_actions`]).
    pub action: String,
    /// Village ids (every village on the device when empty).
    pub villages: Vec<String>,
    /// Who does them; each key person's responsible officer when `None`.
    pub assignee: Option<String>,
    /// The last day (`YYYY-MM-DD`, Asia/Shanghai); due at the end of that day.
    pub due: String,
    /// Instructions; empty: the action and the target's title.
    pub instructions: String,
}

/// What a bulk dispatch did.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct BulkResult {
    /// Task ids created.
    pub created: Vec<String>,
    /// How many targets already had an open task of this action (skipped).
    pub already_open: u32,
}

/// Actions that pick their targets (a bulk dispatch gives one task per target).
const BULK_ACTIONS: [TaskAction; 5] = [
    TaskAction::CheckKeyPerson,
    TaskAction::VisitHousehold,
    TaskAction::InspectUnit,
    TaskAction::ReturnVisit,
    TaskAction::FollowHazard,
];

fn station_error(e: &StationError, lang: Lang) -> AppError {
    match e {
        StationError::Store(s) => AppError::store(s, lang),
        other => AppError::new(
            other.code(),
            lang,
            &other.message(Lang::Zh),
            &other.message(Lang::En),
        ),
    }
}

fn day(raw: &str, field: &str, lang: Lang) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").map_err(|_| {
        AppError::new(
            "bad_date",
            lang,
            &format!("{field}：日期应为 YYYY-MM-DD，如 2026-11-30"),
            &format!("{field}: dates are YYYY-MM-DD, e.g. 2026-11-30"),
        )
    })
}

impl Session<'_> {
    /// Station work is for chiefs and the county admin.
    fn check_station_role(&self) -> Result<()> {
        match self.device.user.assignment.role {
            Role::StationChief | Role::CountyAdmin => Ok(()),
            _ => Err(AppError::new(
                "forbidden",
                self.lang,
                "只有所长和县局管理员能看隐患清零和考核",
                "only station chiefs and the county admin see the hazard board and assessment",
            )),
        }
    }

    /// The chief's station; `None` (every station on the device) for the county admin.
    fn my_station(&self) -> Option<StationId> {
        let a = &self.device.user.assignment;
        (a.role != Role::CountyAdmin)
            .then(|| a.station.clone())
            .flatten()
    }

    fn station_name(&self, id: &str) -> String {
        self.county
            .stations
            .iter()
            .find(|s| s.id.as_str() == id)
            .map_or_else(|| id.to_owned(), |s| s.name.clone())
    }

    pub(crate) fn person_name(&self, user: &str) -> String {
        let u = &self.device.user;
        if u.username == user && !u.display_name.is_empty() {
            return u.display_name.clone();
        }
        self.roster().name_of(&UserId::from(user))
    }

    /// The station's people as fetched at login (empty if the server sent none).
    fn roster(&self) -> Roster {
        Roster::from(Device::staff(&self.store).unwrap_or_default())
    }

    fn assessment(
        &self,
        from: &str,
        to: &str,
        by: &str,
    ) -> Result<(beatbook_station::Assessment, By)> {
        self.check_station_role()?;
        let lang = self.lang;
        let by = match by {
            "officer" => By::Officer,
            "village" => By::Village,
            "station" => By::Station,
            _ => {
                return Err(AppError::new(
                    "bad_by",
                    lang,
                    "按什么统计：officer、village 或 station",
                    "assess by officer, village or station",
                ))
            }
        };
        let range = DateRange::new(day(from, "from", lang)?, day(to, "to", lang)?)
            .map_err(|e| station_error(&e, lang))?;
        let a = assess::assess(
            &self.store,
            range,
            by,
            self.my_station().as_ref(),
            &SystemClock,
        )
        .map_err(|e| station_error(&e, lang))?;
        Ok((a, by))
    }

    fn label(&self, by: By, key: &str) -> String {
        match by {
            By::Officer => self.person_name(key),
            By::Village => self.village_name(key),
            By::Station => self.station_name(key),
        }
    }
}

impl Client {
    /// The hazards-to-zero board of the chief's station (every station for the county admin).
    pub fn board(&self) -> Result<BoardView> {
        self.with_session(|s| {
            s.check_station_role()?;
            let lang = s.lang;
            let b = board::board(&s.store, s.my_station().as_ref(), &SystemClock)
                .map_err(|e| station_error(&e, lang))?;
            let days = |d: i64| i32::try_from(d).unwrap_or(i32::MAX);
            Ok(BoardView {
                at_local: format_local(b.at),
                villages: b
                    .villages
                    .iter()
                    .map(|v| BoardVillage {
                        village: v.village.to_string(),
                        village_name: s.village_name(v.village.as_str()),
                        overdue: u32::try_from(v.overdue).unwrap_or(u32::MAX),
                        rows: v
                            .rows
                            .iter()
                            .map(|r| BoardItem {
                                id: r.id.to_string(),
                                title: r.title.clone(),
                                status: r.status.as_str().to_owned(),
                                status_label: r.status.label(lang).to_owned(),
                                found_local: format_local(r.found_at),
                                deadline_local: r.deadline.map(format_local),
                                age_days: days(r.age_days),
                                overdue_days: r.overdue_days.map(days),
                            })
                            .collect(),
                    })
                    .collect(),
            })
        })
    }

    /// The assessment of the days `from..=to` (`YYYY-MM-DD`, Asia/Shanghai) by `officer`,
    /// `village` or `station`, for the chief's station (every station for the county admin).
    pub fn assess(&self, from: &str, to: &str, by: &str) -> Result<AssessView> {
        self.with_session(|s| {
            let (a, by) = s.assessment(from, to, by)?;
            let lang = s.lang;
            let label = |k: &str| s.label(by, k);
            let mut cells = xlsx::table(&a, lang, &label);
            let header = cells.remove(0);
            Ok(AssessView {
                from: a.range.from.to_string(),
                to: a.range.to.to_string(),
                by: beatbook_station::error::code_of(&a.by),
                header,
                rows: a
                    .rows
                    .iter()
                    .map(|r| AssessRow {
                        key: r.key.clone(),
                        label: label(&r.key),
                        figures: (&r.figures).into(),
                    })
                    .collect(),
                total: (&a.total).into(),
                cells,
                last_sync_local: a.as_of.last_sync.map(format_local),
                newest_record_local: a.as_of.newest_record.map(format_local),
                computed_local: format_local(a.as_of.computed_at),
            })
        })
    }

    /// Writes the assessment (as [`Client::assess`]) to `path` as an Excel workbook; returns
    /// the path written.
    pub fn export_assessment(&self, from: &str, to: &str, by: &str, path: &str) -> Result<String> {
        self.with_session(|s| {
            let (a, by) = s.assessment(from, to, by)?;
            let lang = s.lang;
            let path = path.trim();
            if path.is_empty() {
                return Err(AppError::new(
                    "path_required",
                    lang,
                    "请填写保存位置",
                    "enter where to save the file",
                ));
            }
            let bytes = xlsx::workbook(&a, lang, &|k: &str| s.label(by, k))
                .map_err(|e| station_error(&e, lang))?;
            std::fs::write(path, bytes).map_err(|e| {
                AppError::new(
                    "write_failed",
                    lang,
                    &format!("无法写入 {path}：{e}"),
                    &format!("cannot write {path}: {e}"),
                )
            })?;
            Ok(path.to_owned())
        })
    }

    /// Where exports go by default: `~/Downloads` if it exists, else the home folder, else
    /// the data folder.
    pub fn export_dir(&self) -> String {
        let home = std::env::var_os("HOME").map(std::path::PathBuf::from);
        let dir = home
            .as_ref()
            .map(|h| h.join("Downloads"))
            .filter(|d| d.is_dir())
            .or(home)
            .unwrap_or_else(|| self.dir().to_path_buf());
        dir.to_string_lossy().into_owned()
    }

    /// The people of the station who may take tasks (officers and auxiliaries).
    pub fn staff(&self) -> Result<Vec<StaffView>> {
        self.with_session(|s| {
            s.check_station_role()?;
            let lang = s.lang;
            Ok(s.roster()
                .members
                .into_iter()
                .filter(|m| matches!(m.assignment.role, Role::CommunityOfficer | Role::Auxiliary))
                .map(|m| StaffView {
                    user: m.user.to_string(),
                    name: if m.name.is_empty() {
                        m.user.to_string()
                    } else {
                        m.name.clone()
                    },
                    role_label: m.assignment.role.label(lang).to_owned(),
                    villages: m
                        .assignment
                        .villages
                        .iter()
                        .map(|v| v.to_string())
                        .collect(),
                })
                .collect())
        })
    }

    /// The actions a bulk dispatch can give.
    pub fn dispatch_actions(&self) -> Vec<ActionChoice> {
        let lang = self.lang();
        BULK_ACTIONS
            .iter()
            .map(|a| ActionChoice {
                code: beatbook_station::error::code_of(a),
                label: action_label(*a, lang).to_owned(),
            })
            .collect()
    }

    /// Gives one task per record the order selects ("check every key person of 南街村 by
    /// Sunday"); all are checked before any is written. Tasks reach assignees at the next sync.
    pub fn bulk_dispatch(&self, input: BulkInput) -> Result<BulkResult> {
        self.with_session(|s| {
            s.check_station_role()?;
            let lang = s.lang;
            let action = BULK_ACTIONS
                .into_iter()
                .find(|a| beatbook_station::error::code_of(a) == input.action)
                .ok_or_else(|| {
                    AppError::new("bad_action", lang, "请选择任务类型", "choose what to do")
                })?;
            let last = day(&input.due, "due", lang)?;
            let due_at = DateRange::new(last, last)
                .map_err(|e| station_error(&e, lang))?
                .period()
                .last_second();
            let mine = s.villages();
            let villages: Vec<VillageId> = if input.villages.is_empty() {
                mine
            } else {
                let picked: Vec<VillageId> = input
                    .villages
                    .iter()
                    .map(|v| VillageId(v.clone()))
                    .collect();
                if picked.iter().any(|v| !mine.contains(v)) {
                    return Err(AppError::new(
                        "out_of_scope",
                        lang,
                        "只能给本所辖区的村派任务",
                        "you can only dispatch in your own villages",
                    ));
                }
                picked
            };
            let order = BulkOrder {
                action,
                selector: Selector {
                    villages,
                    ..Selector::default()
                },
                assignee: input
                    .assignee
                    .filter(|a| !a.trim().is_empty())
                    .map(|a| UserId::from(a.trim())),
                due_at,
                instructions: input.instructions.trim().to_owned(),
            };
            let roster = s.roster();
            let me = beatbook_station::Staff::from(s.device.user.clone());
            let report = dispatch::bulk(&mut s.store, &roster, &me, &order, &SystemClock)
                .map_err(|e| station_error(&e, lang))?;
            Ok(BulkResult {
                created: report.created.iter().map(|r| r.id.to_string()).collect(),
                already_open: u32::try_from(report.already_open.len()).unwrap_or(u32::MAX),
            })
        })
    }
}

/// Actions a duty rule can generate.
const RULE_ACTIONS: [TaskAction; 2] = [TaskAction::CheckKeyPerson, TaskAction::VisitHousehold];

/// One recurring duty rule as the chief reads it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct DutyRuleView {
    /// Rule id.
    pub id: String,
    /// Its name, e.g. 高风险重点人员每周核查.
    pub name: String,
    /// What each task asks, in the user's language.
    pub action_label: String,
    /// Length of a period in days.
    pub every_days: u32,
    /// Village names covered; every village of the station when empty.
    pub villages: Vec<String>,
    /// Key-person categories covered, as labels; all when empty.
    pub categories: Vec<String>,
    /// Lowest risk level covered, as a label.
    pub min_risk: Option<String>,
    /// Who gets the tasks (name); each key person's responsible officer when `None`.
    pub assignee: Option<String>,
    /// The first day of the first period (`YYYY-MM-DD`).
    pub starts_on: String,
    /// Who made the rule (name).
    pub created_by: String,
    /// A change to it made here still waits for the next sync.
    pub waiting: bool,
}

/// The station's duty rules with what the form needs to make one.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct DutyRulesView {
    /// The rules, oldest first.
    pub rules: Vec<DutyRuleView>,
    /// Changes (new rules and removals) waiting for the next sync.
    pub waiting: u32,
    /// Changes the server refused for good, as messages.
    pub refused: Vec<String>,
    /// Whether this user may add and remove rules (a station chief).
    pub editable: bool,
    /// Actions a rule can generate.
    pub actions: Vec<ActionChoice>,
    /// Key-person categories.
    pub categories: Vec<ActionChoice>,
    /// Risk levels.
    pub risks: Vec<ActionChoice>,
}

/// A new duty rule as the chief fills it in.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, TS)]
pub struct DutyRuleInput {
    /// Its name.
    pub name: String,
    /// `check_key_person` or `visit_household`.
    pub action: String,
    /// Length of a period in days (1–366).
    pub every_days: u32,
    /// Village ids; every village of the station when empty.
    pub villages: Vec<String>,
    /// Key-person category codes; all when empty.
    pub categories: Vec<String>,
    /// Lowest risk level code covered.
    pub min_risk: Option<String>,
    /// Who gets the tasks (user id); needed for households.
    pub assignee: Option<String>,
    /// The first day (`YYYY-MM-DD`, Asia/Shanghai).
    pub starts_on: String,
}

/// What one run of the rules did.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct DutyRunView {
    /// Tasks created now.
    pub created: u32,
    /// Targets that already had their task for the current period.
    pub existing: u32,
    /// Duplicate generated tasks cancelled.
    pub duplicates_cancelled: u32,
    /// Targets given no task (e.g. the assignee is not on the staff list).
    pub skipped: u32,
}

fn choices(table: &[beatbook_model::fields::Choice], lang: Lang) -> Vec<ActionChoice> {
    table
        .iter()
        .map(|c| ActionChoice {
            code: c.code.to_owned(),
            label: c.label(lang).to_owned(),
        })
        .collect()
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl Session<'_> {
    /// The station whose duty rules this user sets: their own, if the model's access rule
    /// lets them (a county admin has no station of their own to set rules for here).
    fn chief_station(&self) -> Result<StationId> {
        let a = &self.device.user.assignment;
        let denied = beatbook_model::Denied::DutyRules;
        a.station
            .clone()
            .filter(|st| a.can_manage_duty_rules(st))
            .ok_or_else(|| {
                AppError::new(
                    denied.code(),
                    self.lang,
                    denied.message(Lang::Zh),
                    denied.message(Lang::En),
                )
            })
    }

    fn duty_view(&self) -> Result<DutyRulesView> {
        use beatbook_model::fields::{KEY_PERSON_CATEGORY, RISK_LEVEL};
        let lang = self.lang;
        let book = RuleBook::load(&self.store).map_err(|e| station_error(&e, lang))?;
        let roster = self.roster();
        let name = |u: &UserId| roster.name_of(u);
        let label = |table: &'static [beatbook_model::fields::Choice], code: String| {
            beatbook_model::fields::find_choice(table, &code)
                .map_or(code, |c| c.label(lang).to_owned())
        };
        let rules = book
            .rules
            .iter()
            .map(|r| DutyRuleView {
                id: r.id.to_string(),
                name: r.name.clone(),
                action_label: action_label(r.action, lang).to_owned(),
                every_days: r.every_days,
                villages: r
                    .villages
                    .iter()
                    .map(|v| self.village_name(v.as_str()))
                    .collect(),
                categories: r
                    .categories
                    .iter()
                    .map(|c| label(KEY_PERSON_CATEGORY, beatbook_station::error::code_of(c)))
                    .collect(),
                min_risk: r
                    .min_risk
                    .map(|k| label(RISK_LEVEL, beatbook_station::error::code_of(&k))),
                assignee: r.assignee.as_ref().map(name),
                starts_on: r.starts_on.to_string(),
                created_by: name(&r.created_by),
                waiting: book.waiting(r.id),
            })
            .collect();
        Ok(DutyRulesView {
            rules,
            waiting: count(book.pending.len()),
            refused: book.refused.iter().map(|r| r.message.clone()).collect(),
            editable: self.chief_station().is_ok(),
            actions: RULE_ACTIONS
                .iter()
                .map(|a| ActionChoice {
                    code: beatbook_station::error::code_of(a),
                    label: action_label(*a, lang).to_owned(),
                })
                .collect(),
            categories: choices(KEY_PERSON_CATEGORY, lang),
            risks: choices(RISK_LEVEL, lang),
        })
    }
}

/// Parses a choice code into its model type (the codes are the types' serde names).
fn coded<T: serde::de::DeserializeOwned>(code: &str, what: (&str, &str), lang: Lang) -> Result<T> {
    serde_json::from_value(serde_json::Value::String(code.trim().to_owned())).map_err(|_| {
        AppError::new(
            "bad_choice",
            lang,
            &format!("{}：没有“{code}”这一项", what.0),
            &format!("{}: \"{code}\" is not one of the choices", what.1),
        )
    })
}

impl Client {
    /// The station's duty rules (chiefs and the county admin).
    pub fn duty_rules(&self) -> Result<DutyRulesView> {
        self.with_session(|s| {
            s.check_station_role()?;
            s.duty_view()
        })
    }

    /// Adds a duty rule (a station chief, for the station); it reaches the server and the
    /// station's other devices at the next sync.
    pub fn add_duty_rule(&self, input: DutyRuleInput) -> Result<DutyRulesView> {
        self.with_session(|s| {
            let lang = s.lang;
            let station = s.chief_station()?;
            let action: TaskAction = coded(&input.action, ("任务类型", "action"), lang)?;
            let mine = s.villages();
            let villages: Vec<VillageId> = input
                .villages
                .iter()
                .map(|v| VillageId(v.clone()))
                .collect();
            if villages.iter().any(|v| !mine.contains(v)) {
                return Err(AppError::new(
                    "out_of_scope",
                    lang,
                    "只能为本所辖区的村设置规则",
                    "rules cover your own villages only",
                ));
            }
            let categories = input
                .categories
                .iter()
                .map(|c| coded(c, ("人员类别", "category"), lang))
                .collect::<Result<Vec<_>>>()?;
            let min_risk = input
                .min_risk
                .as_deref()
                .filter(|r| !r.trim().is_empty())
                .map(|r| coded(r, ("风险等级", "risk level"), lang))
                .transpose()?;
            let now = chrono::Utc::now();
            let rule = DutyRule {
                id: beatbook_model::RecordId::new(),
                name: input.name.trim().to_owned(),
                station,
                villages,
                action,
                every_days: input.every_days,
                categories,
                min_risk,
                assignee: input
                    .assignee
                    .as_deref()
                    .map(str::trim)
                    .filter(|a| !a.is_empty())
                    .map(UserId::from),
                starts_on: day(&input.starts_on, "starts_on", lang)?,
                created_by: UserId::from(s.me_name()),
                created_at: now,
            };
            RuleBook::add(&mut s.store, rule).map_err(|e| station_error(&e, lang))?;
            s.duty_view()
        })
    }

    /// Removes a duty rule (a station chief); tasks it already made stay.
    pub fn remove_duty_rule(&self, id: &str) -> Result<DutyRulesView> {
        self.with_session(|s| {
            s.chief_station()?;
            RuleBook::remove(&mut s.store, id).map_err(|e| station_error(&e, s.lang))?;
            s.duty_view()
        })
    }

    /// Generates the current period's tasks of every rule now (a station chief); running it
    /// again in the same period creates nothing.
    pub fn run_duty_rules(&self) -> Result<DutyRunView> {
        self.with_session(|s| {
            s.chief_station()?;
            let roster = s.roster();
            let me = beatbook_station::Staff::from(s.device.user.clone());
            let report = duty::run(&mut s.store, &roster, &me, &SystemClock)
                .map_err(|e| station_error(&e, s.lang))?;
            Ok(DutyRunView {
                created: count(report.created.len()),
                existing: count(report.existing),
                duplicates_cancelled: count(report.duplicates_cancelled.len()),
                skipped: count(report.skipped.len()),
            })
        })
    }
}
