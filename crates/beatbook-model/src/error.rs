//! Typed errors of the model. Every error has a stable code for programs and a message for
//! people in Chinese (the default) and English.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The language a message is shown in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// 简体中文, the default.
    #[default]
    Zh,
    /// English.
    En,
}

/// What is wrong with one field's value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum Problem {
    /// The field must have a value.
    Required,
    /// The text is longer than allowed.
    TooLong { max: usize },
    /// A resident ID number that is not 18 characters of digits (and a final X).
    IdNumberFormat,
    /// A resident ID number whose region code is not a Chinese province.
    IdNumberRegion,
    /// A resident ID number whose birth date is not a date that exists (e.g. 19850230).
    IdNumberBirthDate,
    /// A resident ID number whose birth date lies after today.
    IdNumberBirthFuture,
    /// A resident ID number whose check digit (GB 11643-1999, MOD 11-2) is wrong.
    IdNumberChecksum { expected: char },
    /// Not a mainland mobile number (11 digits starting 13–19).
    Phone,
    /// A value outside the allowed set.
    NotAllowed { value: String, allowed: Vec<String> },
    /// A time too far in the future to be true.
    FarFuture,
    /// A time before the earliest year a record may name (e.g. a year typed as 0202).
    TooEarly { min_year: i32 },
    /// A time before another that it must follow.
    BeforeStart,
    /// A number outside its range.
    OutOfRange { min: i64, max: i64 },
    /// A coordinate off the globe.
    Coordinate,
}

/// One field that failed validation. `field` is a path such as `members[2].id_number`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// Path of the field within the record's data.
    pub field: String,
    /// What is wrong with it.
    pub problem: Problem,
}

impl FieldError {
    /// A field error at `field`.
    pub fn new(field: impl Into<String>, problem: Problem) -> Self {
        FieldError {
            field: field.into(),
            problem,
        }
    }

    /// A stable machine-readable code, e.g. `id_number_checksum`.
    pub fn code(&self) -> &'static str {
        match self.problem {
            Problem::Required => "required",
            Problem::TooLong { .. } => "too_long",
            Problem::IdNumberFormat => "id_number_format",
            Problem::IdNumberRegion => "id_number_region",
            Problem::IdNumberBirthDate => "id_number_birth_date",
            Problem::IdNumberBirthFuture => "id_number_birth_future",
            Problem::IdNumberChecksum { .. } => "id_number_checksum",
            Problem::Phone => "phone",
            Problem::NotAllowed { .. } => "not_allowed",
            Problem::FarFuture => "far_future",
            Problem::TooEarly { .. } => "too_early",
            Problem::BeforeStart => "before_start",
            Problem::OutOfRange { .. } => "out_of_range",
            Problem::Coordinate => "coordinate",
        }
    }

    /// The message for people, naming the field.
    pub fn message(&self, lang: Lang) -> String {
        let f = &path_label(&self.field, lang);
        match (&self.problem, lang) {
            (Problem::Required, Lang::Zh) => format!("{f}：必填"),
            (Problem::Required, Lang::En) => format!("{f}: required"),
            (Problem::TooLong { max }, Lang::Zh) => format!("{f}：不能超过 {max} 个字"),
            (Problem::TooLong { max }, Lang::En) => {
                format!("{f}: at most {max} characters")
            }
            (Problem::IdNumberFormat, Lang::Zh) => {
                format!("{f}：身份证号应为 18 位，前 17 位为数字，末位为数字或 X")
            }
            (Problem::IdNumberFormat, Lang::En) => format!(
                "{f}: an ID number has 18 characters: 17 digits, then a digit or X"
            ),
            (Problem::IdNumberRegion, Lang::Zh) => format!("{f}：身份证号的地区码不存在"),
            (Problem::IdNumberRegion, Lang::En) => {
                format!("{f}: the ID number's region code does not exist")
            }
            (Problem::IdNumberBirthDate, Lang::Zh) => {
                format!("{f}：身份证号中的出生日期不存在")
            }
            (Problem::IdNumberBirthDate, Lang::En) => {
                format!("{f}: the birth date in the ID number is not a real date")
            }
            (Problem::IdNumberBirthFuture, Lang::Zh) => {
                format!("{f}：身份证号中的出生日期晚于今天")
            }
            (Problem::IdNumberBirthFuture, Lang::En) => {
                format!("{f}: the birth date in the ID number is after today")
            }
            (Problem::IdNumberChecksum { expected }, Lang::Zh) => {
                format!("{f}：身份证号校验位错误（按前 17 位应为 {expected}），请核对")
            }
            (Problem::IdNumberChecksum { expected }, Lang::En) => format!(
                "{f}: the ID number's check digit is wrong (the first 17 digits give {expected}); please check it"
            ),
            (Problem::Phone, Lang::Zh) => format!("{f}：手机号应为 11 位，以 13–19 开头"),
            (Problem::Phone, Lang::En) => {
                format!("{f}: a mobile number has 11 digits starting with 13–19")
            }
            (Problem::NotAllowed { value, allowed }, Lang::Zh) => {
                format!("{f}：不支持“{value}”，可选：{}", allowed.join("、"))
            }
            (Problem::NotAllowed { value, allowed }, Lang::En) => {
                format!("{f}: \"{value}\" is not allowed; choose one of {}", allowed.join(", "))
            }
            (Problem::FarFuture, Lang::Zh) => format!("{f}：时间不能晚于现在太多，请检查设备时钟"),
            (Problem::FarFuture, Lang::En) => {
                format!("{f}: the time is too far in the future; check the device clock")
            }
            (Problem::TooEarly { min_year }, Lang::Zh) => {
                format!("{f}：时间不能早于 {min_year} 年，请检查年份")
            }
            (Problem::TooEarly { min_year }, Lang::En) => {
                format!("{f}: the time cannot be before the year {min_year}; check the year")
            }
            (Problem::BeforeStart, Lang::Zh) => format!("{f}：不能早于开始时间"),
            (Problem::BeforeStart, Lang::En) => format!("{f}: cannot be before the start"),
            (Problem::OutOfRange { min, max }, Lang::Zh) => {
                format!("{f}：应在 {min} 到 {max} 之间")
            }
            (Problem::OutOfRange { min, max }, Lang::En) => {
                format!("{f}: must be between {min} and {max}")
            }
            (Problem::Coordinate, Lang::Zh) => format!("{f}：经纬度无效"),
            (Problem::Coordinate, Lang::En) => format!("{f}: not a valid latitude/longitude"),
        }
    }
}

/// Every error the model can report.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    /// One or more fields are invalid; nothing was changed.
    #[error("{}", Self::join(.0, Lang::Zh))]
    Invalid(Vec<FieldError>),
    /// A status move the record's status machine does not allow.
    #[error("{}", self.message(Lang::Zh))]
    IllegalTransition {
        kind: &'static str,
        from: String,
        to: String,
    },
    /// An edit tried to change what is fixed at creation (kind, scope, author, creation time).
    #[error("{}", self.message(Lang::Zh))]
    Immutable { field: &'static str },
    /// A record kind name that does not exist.
    #[error("{}", self.message(Lang::Zh))]
    UnknownKind(String),
    /// A record whose stored content does not match any kind's shape.
    #[error("{}", self.message(Lang::Zh))]
    Malformed(String),
    /// Someone other than a chief of the record's station or a county admin tried to review it.
    #[error("{}", self.message(Lang::Zh))]
    ReviewNotAllowed,
    /// A duty rule that cannot be used as given.
    #[error("{}", self.message(Lang::Zh))]
    BadRule(crate::duty::RuleProblem),
    /// The access rules refuse this user the change.
    #[error("{}", .0.message(Lang::Zh))]
    Forbidden(crate::access::Denied),
}

impl ModelError {
    fn join(errors: &[FieldError], lang: Lang) -> String {
        let sep = if lang == Lang::Zh { "；" } else { "; " };
        errors
            .iter()
            .map(|e| e.message(lang))
            .collect::<Vec<_>>()
            .join(sep)
    }

    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            ModelError::Invalid(_) => "invalid",
            ModelError::IllegalTransition { .. } => "illegal_transition",
            ModelError::Immutable { .. } => "immutable",
            ModelError::UnknownKind(_) => "unknown_kind",
            ModelError::Malformed(_) => "malformed",
            ModelError::ReviewNotAllowed => "review_not_allowed",
            ModelError::BadRule(_) => "bad_rule",
            ModelError::Forbidden(denied) => denied.code(),
        }
    }

    /// The message for people in `lang`.
    pub fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (ModelError::Invalid(errors), _) => Self::join(errors, lang),
            (ModelError::IllegalTransition { kind, from, to }, _) => {
                let from = crate::status::status_label(kind, from, lang);
                let to = crate::status::status_label(kind, to, lang);
                match lang {
                    Lang::Zh => format!("{}不能从“{from}”变为“{to}”", kind_label(kind, lang)),
                    Lang::En => format!(
                        "a {} cannot move from {from} to {to}",
                        kind_label(kind, lang).to_lowercase()
                    ),
                }
            }
            (ModelError::Immutable { field }, Lang::Zh) => {
                format!("{field} 在创建后不能修改")
            }
            (ModelError::Immutable { field }, Lang::En) => {
                format!("{field} cannot change after the record is created")
            }
            (ModelError::UnknownKind(k), Lang::Zh) => format!(
                "未知的记录类型“{k}”，可选：{}",
                crate::Kind::ALL.map(|k| k.as_str()).join("、")
            ),
            (ModelError::UnknownKind(k), Lang::En) => format!(
                "unknown record kind \"{k}\"; choose one of {}",
                crate::Kind::ALL.map(|k| k.as_str()).join(", ")
            ),
            (ModelError::Malformed(why), Lang::Zh) => format!("记录内容无法解析：{why}"),
            (ModelError::Malformed(why), Lang::En) => format!("the record cannot be read: {why}"),
            (ModelError::ReviewNotAllowed, Lang::Zh) => {
                "只有本所所长或县局管理员可以审阅记录".to_owned()
            }
            (ModelError::ReviewNotAllowed, Lang::En) => {
                "only a chief of the record's station or a county admin may review it".to_owned()
            }
            (ModelError::BadRule(problem), _) => problem.message(lang),
            (ModelError::Forbidden(denied), _) => denied.message(lang).to_owned(),
        }
    }
}

fn kind_label(kind: &str, lang: Lang) -> &'static str {
    kind.parse::<crate::Kind>()
        .map(|k| k.label(lang))
        .unwrap_or("record")
}

/// The label of a field name, for messages: `id_number` → 身份证号 / ID number.
pub fn field_label(name: &str, lang: Lang) -> Option<&'static str> {
    const LABELS: &[(&str, &str, &str)] = &[
        ("address", "地址", "address"),
        ("members", "成员", "member"),
        ("parties", "当事人", "party"),
        ("name", "姓名", "name"),
        ("id_number", "身份证号", "ID number"),
        ("phone", "手机号", "mobile number"),
        ("notes", "备注", "notes"),
        ("visited_at", "走访时间", "visit time"),
        ("place", "地点", "place"),
        ("purpose", "目的", "purpose"),
        ("findings", "了解情况", "findings"),
        ("problems", "发现问题", "problems"),
        ("follow_up", "后续措施", "follow-up"),
        ("location", "位置", "location"),
        ("responsible_officer", "责任民警", "responsible officer"),
        ("checked_at", "核查时间", "check time"),
        ("situation", "现实表现", "situation"),
        ("risk_level_after", "核查后风险等级", "risk level after"),
        ("unit_name", "单位名称", "unit name"),
        ("inspected_at", "检查时间", "inspection time"),
        ("items", "检查项目", "item"),
        ("item", "项目", "item"),
        ("note", "说明", "note"),
        ("hazards_found", "发现隐患", "hazards found"),
        ("deadline", "整改期限", "deadline"),
        ("reported_at", "登记时间", "report time"),
        ("description", "情况描述", "description"),
        ("referral", "移交去向", "referral"),
        ("sessions", "调解记录", "session"),
        ("held_at", "时间", "time"),
        ("outcome", "结果", "outcome"),
        ("return_visit", "回访", "return visit"),
        ("at", "时间", "time"),
        ("started_at", "开始时间", "start"),
        ("ended_at", "结束时间", "end"),
        ("area", "巡逻区域", "area"),
        ("route", "轨迹点", "route point"),
        ("point", "坐标", "point"),
        ("observations", "巡逻情况", "observation"),
        ("text", "内容", "text"),
        ("topic", "主题", "topic"),
        ("audience", "受众人数", "audience"),
        ("found_at", "发现时间", "time found"),
        ("clearance_note", "销号说明", "clearance note"),
        ("cleared_at", "清零时间", "time cleared"),
        ("cleared_by", "清零人", "cleared by"),
        ("resolved_at", "化解时间", "time resolved"),
        ("assignee", "执行人", "assignee"),
        ("assigned_by", "派单人", "assigned by"),
        ("instructions", "任务要求", "instructions"),
        ("due_at", "截止时间", "due"),
        ("completed_by", "完成记录", "completing record"),
        ("cancel_reason", "取消原因", "cancellation reason"),
        ("review", "审阅", "review"),
        ("comment", "审阅意见", "review comment"),
        ("by", "审阅人", "reviewer"),
    ];
    LABELS
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, zh, en)| if lang == Lang::Zh { *zh } else { *en })
}

/// A field path for people: `members[1].id_number` → 成员2 身份证号 / member 2 ID number.
pub fn path_label(path: &str, lang: Lang) -> String {
    path.split('.')
        .map(|part| {
            let (name, index) = match part.split_once('[') {
                Some((n, rest)) => (n, rest.trim_end_matches(']').parse::<usize>().ok()),
                None => (part, None),
            };
            let label = field_label(name, lang).unwrap_or(name);
            match (index, lang) {
                (Some(i), Lang::Zh) => format!("{label}{}", i + 1),
                (Some(i), Lang::En) => format!("{label} {}", i + 1),
                (None, _) => label.to_owned(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&FieldError::new("", self.clone()).message(Lang::En))
    }
}
