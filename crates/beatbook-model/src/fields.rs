//! The fields of each record kind as people see and enter them: name, type, whether required,
//! labels, allowed values. Shared by the `beatbook` command and the app's forms; a test in
//! `beatbook-cli` compares this table with the model's own JSON so the two cannot drift apart.

use crate::{Kind, Lang};

/// One allowed value of an enumerated field: the stable code and its labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Choice {
    /// The code stored in the record, e.g. `mediating`.
    pub code: &'static str,
    /// 中文标签.
    pub zh: &'static str,
    /// English label.
    pub en: &'static str,
}

impl Choice {
    /// The label in `lang`.
    pub fn label(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::Zh => self.zh,
            Lang::En => self.en,
        }
    }
}

/// How a field's value is written on the command line and stored in JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// A short line of text.
    Text,
    /// Free text (kept as collaborative text by the store).
    LongText,
    /// A whole number.
    Int,
    /// Yes or no.
    Bool,
    /// An instant: RFC 3339, or `YYYY-MM-DD HH:MM` in Asia/Shanghai.
    Time,
    /// Another record, by its full id (UUID).
    Record,
    /// Several records, by id, separated by commas.
    Records,
    /// A user account name.
    User,
    /// Several account names, separated by commas.
    Users,
    /// One of a fixed set of values.
    Choice(&'static [Choice]),
    /// Several values of a fixed set, separated by commas.
    Choices(&'static [Choice]),
    /// A map position: `lat,lon`.
    Point,
    /// A list or object written as JSON; the text shows its shape.
    Json(&'static str),
}

impl FieldType {
    /// The type's name in `lang`, for `beatbook fields`.
    pub fn name(&self, lang: Lang) -> &'static str {
        let (zh, en) = match self {
            FieldType::Text => ("文本", "text"),
            FieldType::LongText => ("长文本", "long text"),
            FieldType::Int => ("整数", "integer"),
            FieldType::Bool => ("是/否", "yes/no"),
            FieldType::Time => ("时间", "time"),
            FieldType::Record => ("记录编号", "record id"),
            FieldType::Records => ("记录编号列表", "record ids"),
            FieldType::User => ("账号", "user"),
            FieldType::Users => ("账号列表", "users"),
            FieldType::Choice(_) => ("选项", "choice"),
            FieldType::Choices(_) => ("多选", "choices"),
            FieldType::Point => ("经纬度", "lat,lon"),
            FieldType::Json(_) => ("JSON", "JSON"),
        };
        match lang {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }

    /// The stable type name for `--json` output.
    pub fn code(&self) -> &'static str {
        match self {
            FieldType::Text => "text",
            FieldType::LongText => "long_text",
            FieldType::Int => "int",
            FieldType::Bool => "bool",
            FieldType::Time => "time",
            FieldType::Record => "record",
            FieldType::Records => "records",
            FieldType::User => "user",
            FieldType::Users => "users",
            FieldType::Choice(_) => "choice",
            FieldType::Choices(_) => "choices",
            FieldType::Point => "point",
            FieldType::Json(_) => "json",
        }
    }

    /// The allowed values, for enumerated types.
    pub fn choices(&self) -> &'static [Choice] {
        match self {
            FieldType::Choice(c) | FieldType::Choices(c) => c,
            _ => &[],
        }
    }
}

/// What `beatbook new` fills in when a field is left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fill {
    /// The current time.
    Now,
    /// The logged-in user.
    Me,
    /// A list holding the logged-in user.
    MeList,
}

impl Fill {
    /// Says what is filled in, in `lang`.
    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Fill::Now, Lang::Zh) => "默认：现在",
            (Fill::Now, Lang::En) => "default: now",
            (Fill::Me, Lang::Zh) | (Fill::MeList, Lang::Zh) => "默认：本人",
            (Fill::Me, Lang::En) | (Fill::MeList, Lang::En) => "default: me",
        }
    }

    /// The stable name for `--json` output.
    pub fn code(self) -> &'static str {
        match self {
            Fill::Now => "now",
            Fill::Me => "me",
            Fill::MeList => "[me]",
        }
    }
}

/// One top-level data field of a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// The name in the record's JSON, e.g. `visited_at`.
    pub name: &'static str,
    /// How it is written.
    pub ty: FieldType,
    /// Whether a new record must have it (the model refuses it otherwise).
    pub required: bool,
    /// Whether the value may be absent (`null`) rather than empty.
    pub optional: bool,
    /// What `beatbook new` fills in when it is left out.
    pub fill: Option<Fill>,
    /// 中文标签.
    pub zh: &'static str,
    /// English label.
    pub en: &'static str,
}

impl Field {
    /// The label in `lang`.
    pub fn label(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::Zh => self.zh,
            Lang::En => self.en,
        }
    }
}

macro_rules! choices {
    ($name:ident: $( $code:literal = $zh:literal / $en:literal ),* $(,)?) => {
        /// Allowed values and their labels.
        pub const $name: &[Choice] = &[ $( Choice { code: $code, zh: $zh, en: $en } ),* ];
    };
}

choices!(RELATION: "head" = "户主" / "head", "spouse" = "配偶" / "spouse", "child" = "子女" / "child",
    "parent" = "父母" / "parent", "grandchild" = "孙辈" / "grandchild",
    "sibling" = "兄弟姐妹" / "sibling", "tenant" = "租户" / "tenant", "other" = "其他" / "other");
choices!(HOUSEHOLD_TAG: "left_behind_elderly" = "留守老人" / "left-behind elderly",
    "left_behind_children" = "留守儿童" / "left-behind children",
    "living_alone" = "独居" / "living alone", "low_income" = "低保" / "low income",
    "disabled" = "残疾人" / "disabled", "rental" = "出租房" / "rental",
    "migrant_worker" = "外出务工" / "migrant worker");
choices!(FIVE_ONES: "talk" = "座谈" / "talk", "mediation" = "调解" / "mediation",
    "condolence" = "慰问" / "condolence visit", "lecture" = "讲课" / "safety lecture",
    "visit" = "走访" / "visit");
choices!(KEY_PERSON_CATEGORY: "drug_related" = "涉毒人员" / "drug-related",
    "mental_illness" = "肇事肇祸精神病人" / "serious mental illness",
    "released_prisoner" = "刑满释放人员" / "released prisoner",
    "petitioner" = "信访人员" / "petitioner",
    "community_correction" = "社区矫正人员" / "community correction", "other" = "其他" / "other");
choices!(RISK_LEVEL: "low" = "低" / "low", "medium" = "中" / "medium", "high" = "高" / "high");
choices!(RISK_CHANGE: "unchanged" = "无变化" / "unchanged", "raised" = "升高" / "raised",
    "lowered" = "降低" / "lowered");
choices!(UNIT_TYPE: "shop" = "商店" / "shop", "school" = "学校" / "school", "hotel" = "旅馆" / "hotel",
    "fuel_site" = "加油站" / "fuel site", "factory" = "工厂" / "factory",
    "internet_cafe" = "网吧" / "internet cafe", "other" = "其他" / "other");
choices!(DISPUTE_TYPE: "neighbour" = "邻里纠纷" / "neighbour", "family" = "家庭纠纷" / "family",
    "land" = "土地纠纷" / "land", "debt" = "债务纠纷" / "debt", "labour" = "劳资纠纷" / "labour",
    "other" = "其他" / "other");
choices!(DISPUTE_STATUS: "reported" = "已登记" / "reported", "mediating" = "调解中" / "mediating",
    "resolved" = "已化解" / "resolved", "referred" = "已移交" / "referred",
    "closed" = "已结案" / "closed");
choices!(REFERRAL: "peoples_mediation" = "人民调解" / "people's mediation", "lawyer" = "律师" / "lawyer",
    "court" = "法院" / "court");
choices!(HAZARD_STATUS: "open" = "待整改" / "open", "rectifying" = "整改中" / "rectifying",
    "cleared" = "已清零" / "cleared");
choices!(TASK_STATUS: "open" = "待办" / "open", "done" = "已完成" / "done",
    "cancelled" = "已取消" / "cancelled");
choices!(TASK_ACTION: "visit_household" = "走访某户" / "visit a household",
    "check_key_person" = "核查重点人员" / "check a key person",
    "inspect_unit" = "检查单位" / "inspect a unit", "return_visit" = "纠纷回访" / "return visit",
    "patrol" = "巡逻" / "patrol", "publicity" = "法律宣传" / "legal publicity",
    "follow_hazard" = "隐患整改督办" / "follow up a hazard");
choices!(PATROL_STATUS: "ongoing" = "巡逻中" / "ongoing", "ended" = "已结束" / "ended");

const fn f(name: &'static str, ty: FieldType, zh: &'static str, en: &'static str) -> Field {
    Field {
        name,
        ty,
        required: false,
        optional: false,
        fill: None,
        zh,
        en,
    }
}

impl Field {
    const fn req(mut self) -> Field {
        self.required = true;
        self
    }
    const fn opt(mut self) -> Field {
        self.optional = true;
        self
    }
    const fn fill(mut self, fill: Fill) -> Field {
        self.fill = Some(fill);
        self
    }
}

use FieldType as T;

const HOUSEHOLD: &[Field] = &[
    f("address", T::Text, "地址", "address").req(),
    f(
        "members",
        T::Json("[{name, id_number?, phone?, relation}]"),
        "成员",
        "members",
    ),
    f("tags", T::Choices(HOUSEHOLD_TAG), "标签", "tags"),
    f("notes", T::LongText, "备注", "notes"),
];

const VISIT: &[Field] = &[
    f("household", T::Record, "走访户", "household").req(),
    f("visitors", T::Users, "走访人", "visitors").fill(Fill::MeList),
    f("visited_at", T::Time, "走访时间", "visited at")
        .req()
        .fill(Fill::Now),
    f("method", T::Choice(FIVE_ONES), "方式（五个一）", "method").req(),
    f("place", T::Text, "地点", "place"),
    f("location", T::Point, "定位", "location").opt(),
    f("purpose", T::Text, "目的", "purpose"),
    f("findings", T::LongText, "了解情况", "findings"),
    f("problems", T::LongText, "发现问题", "problems"),
    f("follow_up", T::LongText, "后续工作", "follow-up"),
];

const KEY_PERSON: &[Field] = &[
    f("name", T::Text, "姓名", "name").req(),
    f("id_number", T::Text, "身份证号", "ID number").req(),
    f("phone", T::Text, "手机号", "phone").opt(),
    f("address", T::Text, "住址", "address"),
    f("household", T::Record, "所在户", "household").opt(),
    f(
        "category",
        T::Choice(KEY_PERSON_CATEGORY),
        "类别",
        "category",
    )
    .req(),
    f(
        "risk_level",
        T::Choice(RISK_LEVEL),
        "风险等级",
        "risk level",
    )
    .req(),
    f(
        "responsible_officer",
        T::User,
        "责任民警",
        "responsible officer",
    )
    .req()
    .fill(Fill::Me),
    f("notes", T::LongText, "备注", "notes"),
];

const KEY_PERSON_CHECK: &[Field] = &[
    f("key_person", T::Record, "重点人员", "key person").req(),
    f("checked_by", T::User, "核查人", "checked by")
        .req()
        .fill(Fill::Me),
    f("checked_at", T::Time, "核查时间", "checked at")
        .req()
        .fill(Fill::Now),
    f("place", T::Text, "地点", "place"),
    f("location", T::Point, "定位", "location").opt(),
    f("seen_in_person", T::Bool, "是否见面", "seen in person").req(),
    f("situation", T::LongText, "现实表现", "situation"),
    f(
        "risk_change",
        T::Choice(RISK_CHANGE),
        "风险变化",
        "risk change",
    )
    .req(),
    f(
        "risk_level_after",
        T::Choice(RISK_LEVEL),
        "变化后风险等级",
        "risk level after",
    )
    .opt(),
];

const INSPECTION: &[Field] = &[
    f("unit_name", T::Text, "单位名称", "unit name").req(),
    f("unit_type", T::Choice(UNIT_TYPE), "单位类型", "unit type").req(),
    f("address", T::Text, "地址", "address"),
    f("inspected_at", T::Time, "检查时间", "inspected at")
        .req()
        .fill(Fill::Now),
    f("inspectors", T::Users, "检查人", "inspectors").fill(Fill::MeList),
    f("location", T::Point, "定位", "location").opt(),
    f(
        "items",
        T::Json("[{item, passed, note?}]"),
        "检查项目",
        "items",
    ),
    f("hazards_found", T::LongText, "发现隐患", "hazards found"),
    f("hazards", T::Records, "关联隐患", "hazard records"),
    f("deadline", T::Time, "整改期限", "deadline").opt(),
];

const DISPUTE: &[Field] = &[
    f("reported_at", T::Time, "登记时间", "reported at")
        .req()
        .fill(Fill::Now),
    f(
        "parties",
        T::Json("[{name, id_number?, phone?}]"),
        "当事人",
        "parties",
    )
    .req(),
    f(
        "dispute_type",
        T::Choice(DISPUTE_TYPE),
        "纠纷类型",
        "dispute type",
    )
    .req(),
    f("description", T::LongText, "纠纷情况", "description").req(),
    f("status", T::Choice(DISPUTE_STATUS), "状态", "status"),
    f("referral", T::Choice(REFERRAL), "移交去向", "referred to").opt(),
    f(
        "sessions",
        T::Json("[{held_at, participants?, notes?, outcome?}]"),
        "调解记录",
        "sessions",
    ),
    f("outcome", T::LongText, "调解结果", "outcome"),
    f("agreement", T::LongText, "调解协议", "agreement"),
    f("resolved_at", T::Time, "化解时间", "resolved at").opt(),
    f(
        "return_visit",
        T::Json("{at, notes?}"),
        "回访",
        "return visit",
    )
    .opt(),
    f("household", T::Record, "相关户", "household").opt(),
    f("source", T::Record, "来源记录", "raised during").opt(),
];

const PATROL: &[Field] = &[
    f("started_at", T::Time, "开始时间", "started at")
        .req()
        .fill(Fill::Now),
    f("ended_at", T::Time, "结束时间", "ended at").opt(),
    f("patrollers", T::Users, "巡逻人", "patrollers").fill(Fill::MeList),
    f("area", T::Text, "巡逻区域", "area"),
    f(
        "route",
        T::Json("[{at, point: {lat, lon}}]"),
        "路线",
        "route",
    ),
    f(
        "observations",
        T::Json("[{at, place?, text, incident?}]"),
        "巡逻发现",
        "observations",
    ),
];

const PUBLICITY: &[Field] = &[
    f("topic", T::Text, "主题", "topic").req(),
    f("place", T::Text, "地点", "place").req(),
    f("held_at", T::Time, "时间", "held at")
        .req()
        .fill(Fill::Now),
    f("audience", T::Int, "受众人数", "audience").req(),
    f("notes", T::LongText, "备注", "notes"),
];

const HAZARD: &[Field] = &[
    f("description", T::LongText, "隐患描述", "description").req(),
    f("place", T::Text, "地点", "place").req(),
    f("location", T::Point, "定位", "location").opt(),
    f("found_at", T::Time, "发现时间", "found at")
        .req()
        .fill(Fill::Now),
    f("found_by", T::User, "发现人", "found by")
        .req()
        .fill(Fill::Me),
    f("source", T::Record, "来源记录", "found during").opt(),
    f("status", T::Choice(HAZARD_STATUS), "状态", "status"),
    f("deadline", T::Time, "整改期限", "deadline").opt(),
    f("rectification", T::LongText, "整改措施", "rectification"),
    f("cleared_at", T::Time, "清零时间", "cleared at").opt(),
    f("clearance_note", T::LongText, "清零说明", "clearance note"),
    f("cleared_by", T::User, "清零人", "cleared by").opt(),
];

const TASK: &[Field] = &[
    f("assignee", T::User, "承办人", "assignee").req(),
    f("assigned_by", T::User, "派单人", "assigned by")
        .req()
        .fill(Fill::Me),
    f("action", T::Choice(TASK_ACTION), "任务类型", "action").req(),
    f("target", T::Record, "相关记录", "concerning").opt(),
    f("instructions", T::LongText, "任务要求", "instructions"),
    f("due_at", T::Time, "截止时间", "due at").req(),
    f("status", T::Choice(TASK_STATUS), "状态", "status"),
    f("completed_by", T::Record, "完成记录", "completed by").opt(),
    f("cancel_reason", T::Text, "取消原因", "cancel reason"),
];

/// The fields of `kind`, in the model's order.
pub fn fields(kind: Kind) -> &'static [Field] {
    match kind {
        Kind::Household => HOUSEHOLD,
        Kind::Visit => VISIT,
        Kind::KeyPerson => KEY_PERSON,
        Kind::KeyPersonCheck => KEY_PERSON_CHECK,
        Kind::Inspection => INSPECTION,
        Kind::Dispute => DISPUTE,
        Kind::Patrol => PATROL,
        Kind::Publicity => PUBLICITY,
        Kind::Hazard => HAZARD,
        Kind::Task => TASK,
    }
}

/// The field `name` of `kind`.
pub fn field(kind: Kind, name: &str) -> Option<&'static Field> {
    fields(kind).iter().find(|f| f.name == name)
}

/// The values a kind's status takes, for kinds with a status.
pub fn statuses(kind: Kind) -> &'static [Choice] {
    match kind {
        Kind::Dispute => DISPUTE_STATUS,
        Kind::Hazard => HAZARD_STATUS,
        Kind::Task => TASK_STATUS,
        Kind::Patrol => PATROL_STATUS,
        _ => &[],
    }
}

/// The label of a status code of `kind`, or the code itself if unknown.
pub fn status_label(kind: Kind, code: &str, lang: Lang) -> String {
    statuses(kind)
        .iter()
        .find(|c| c.code == code)
        .map_or_else(|| code.to_owned(), |c| c.label(lang).to_owned())
}

/// Finds a choice by code or by either label (case-insensitive for codes).
pub fn find_choice(choices: &'static [Choice], text: &str) -> Option<&'static Choice> {
    let t = text.trim();
    let norm = t.replace('-', "_").to_ascii_lowercase();
    choices
        .iter()
        .find(|c| c.code == norm || c.zh == t || c.en.eq_ignore_ascii_case(t))
}
