//! Dossiers (档案自动生成): for a household, a key person, a unit or a dispute, one document
//! assembled from every record on the device that concerns it, in order, with who did what and
//! when. [`assemble`] gathers it from the store; [`to_text`], [`to_html`] and [`to_pdf`] render
//! it for the terminal, a browser and the printer. The app, the CLI and the exports all go
//! through here, so a dossier reads the same wherever it is made.

mod assemble;
mod error;
mod html;
mod pdf;
mod text;

pub use assemble::{assemble, related};
pub use error::DossierError;
pub use html::to_html;
pub use pdf::{find_font, to_pdf, FONT_CANDIDATES, FONT_ENV};
pub use text::to_text;

use beatbook_model::{County, Lang};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::HashMap;

/// What a dossier is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Subject {
    /// A household (户) and its members.
    Household,
    /// A key person (重点人员).
    KeyPerson,
    /// A unit (单位): every inspection of the same unit in the same village.
    Unit,
    /// A dispute (矛盾纠纷) with its sessions, moves and return visit.
    Dispute,
}

impl Subject {
    /// The label people read, e.g. 户籍家庭.
    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Subject::Household, Lang::Zh) => "户籍家庭",
            (Subject::Household, Lang::En) => "Household",
            (Subject::KeyPerson, Lang::Zh) => "重点人员",
            (Subject::KeyPerson, Lang::En) => "Key person",
            (Subject::Unit, Lang::Zh) => "单位",
            (Subject::Unit, Lang::En) => "Unit",
            (Subject::Dispute, Lang::Zh) => "矛盾纠纷",
            (Subject::Dispute, Lang::En) => "Dispute",
        }
    }
}

/// What the caller knows that the store does not: names of people and places, who is making
/// the dossier and when.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Language of labels.
    pub lang: Lang,
    /// Display names by user id (e.g. `li.officer` → 李强); unknown users show their id.
    pub names: HashMap<String, String>,
    /// Station and village names by id; unknown places show their id.
    pub places: HashMap<String, String>,
    /// Who is making the dossier (shown on every page).
    pub generated_by: String,
    /// When (UTC; shown in Asia/Shanghai).
    pub generated_at: DateTime<Utc>,
}

impl Options {
    /// Adds the names of the county's stations and villages.
    pub fn add_places(&mut self, county: &County) {
        for s in &county.stations {
            self.places.insert(s.id.as_str().to_owned(), s.name.clone());
            for v in &s.villages {
                self.places.insert(v.id.as_str().to_owned(), v.name.clone());
            }
        }
    }
}

/// A label and its value, e.g. 地址 / 南街村三组12号.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pair {
    /// The label.
    pub label: String,
    /// The value (may hold several lines).
    pub value: String,
}

/// A person named in the dossier: a member of the household, a party to the dispute, a key
/// person living in the household.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Person {
    /// Full name.
    pub name: String,
    /// Their part: 户主, 配偶, 当事人, 重点人员（刑满释放人员）…
    pub role: String,
    /// Resident ID number, when recorded.
    pub id_number: Option<String>,
    /// Mobile number, when recorded.
    pub phone: Option<String>,
}

/// One thing that happened: a record made, or a dated step inside one (a mediation session,
/// a return visit, a hazard cleared, a task done).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// When (UTC).
    pub at: DateTime<Utc>,
    /// When, in Asia/Shanghai: `2026-11-28 15:04`.
    pub at_local: String,
    /// What sort of record or step: 入户走访, 矛盾纠纷 · 调解 …
    pub what: String,
    /// Who did it: display names where known, else user ids.
    pub who: String,
    /// The record's title.
    pub title: String,
    /// The record's fields worth reading, labelled.
    pub details: Vec<Pair>,
    /// The record this comes from.
    pub record_id: String,
}

/// A dossier, ready to render.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dossier {
    /// What it is about.
    pub subject: Subject,
    /// The heading, e.g. 户籍家庭档案：张三丰 · 南街村三组12号.
    pub title: String,
    /// The id of the record the dossier was asked for.
    pub record_id: String,
    /// The subject's own facts: address, tags, category, risk …
    pub facts: Vec<Pair>,
    /// The people it names.
    pub people: Vec<Person>,
    /// Everything that happened, oldest first.
    pub entries: Vec<Entry>,
    /// Who made the dossier.
    pub generated_by: String,
    /// When, in Asia/Shanghai.
    pub generated_at_local: String,
    /// Language of the labels.
    #[serde(skip)]
    pub lang: Lang,
}

/// Words of the rendered documents, in both languages.
pub(crate) fn t(lang: Lang, zh: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
}

impl Dossier {
    /// The heading of each section, in the dossier's language.
    pub(crate) fn heading(&self, which: Section) -> &'static str {
        let lang = self.lang;
        match which {
            Section::Facts => t(lang, "基本情况", "Particulars"),
            Section::People => t(lang, "相关人员", "People"),
            Section::Timeline => t(
                lang,
                "工作记录（按时间顺序）",
                "Record of work (oldest first)",
            ),
            Section::Empty => t(
                lang,
                "本机没有相关记录。",
                "No related records on this device.",
            ),
        }
    }

    /// "生成：2026-11-28 15:04 · 李强" — the line saying when and by whom.
    pub(crate) fn generated_line(&self) -> String {
        format!(
            "{}：{} · {}  {}：{}",
            t(self.lang, "生成时间", "Generated"),
            self.generated_at_local,
            self.generated_by,
            t(self.lang, "编号", "Id"),
            self.record_id
        )
        .replace("Generated：", "Generated: ")
        .replace("Id：", "Id: ")
    }

    /// Column headers of the timeline: time, what, who, content.
    pub(crate) fn columns(&self) -> [&'static str; 4] {
        let l = self.lang;
        [
            t(l, "时间", "Time"),
            t(l, "事项", "What"),
            t(l, "经办人", "Who"),
            t(l, "内容", "Details"),
        ]
    }

    /// A person's line: 张三丰（户主）身份证号 … 手机号 …
    pub(crate) fn person_line(&self, p: &Person) -> String {
        let mut line = format!("{}（{}）", p.name, p.role);
        if self.lang == Lang::En {
            line = format!("{} ({})", p.name, p.role);
        }
        if let Some(id) = &p.id_number {
            line.push_str(&format!("  {} {id}", t(self.lang, "身份证号", "ID")));
        }
        if let Some(phone) = &p.phone {
            line.push_str(&format!("  {} {phone}", t(self.lang, "手机号", "phone")));
        }
        line
    }

    /// `label：value` in Chinese, `label: value` in English.
    pub(crate) fn pair_line(&self, p: &Pair) -> String {
        match self.lang {
            Lang::Zh => format!("{}：{}", p.label, p.value),
            Lang::En => format!("{}: {}", p.label, p.value),
        }
    }
}

/// The parts of a rendered dossier.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Section {
    Facts,
    People,
    Timeline,
    Empty,
}
