//! Showing values to people: times in Asia/Shanghai, choices by their labels, lists joined,
//! nested JSON flattened to a readable line. Shared by `show`, the tables and `export`.

use crate::fields::{self, Field, FieldType};
use beatbook_model::{format_local, County, Kind, Lang};
use chrono::DateTime;
use serde_json::Value as Json;

/// The separator between list items in `lang`.
fn sep(lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => "、",
        Lang::En => ", ",
    }
}

/// Yes or no in `lang`.
pub fn yes_no(b: bool, lang: Lang) -> &'static str {
    match (b, lang) {
        (true, Lang::Zh) => "是",
        (false, Lang::Zh) => "否",
        (true, Lang::En) => "yes",
        (false, Lang::En) => "no",
    }
}

/// A time string as people read it, or the string itself if it is not a time.
fn time_text(s: &str) -> String {
    DateTime::parse_from_rfc3339(s).map_or_else(|_| s.to_owned(), |t| format_local(t.to_utc()))
}

/// Nested JSON as one readable line: objects' values separated by spaces, list items by `；`.
pub fn flat(v: &Json, lang: Lang) -> String {
    match v {
        Json::Null => String::new(),
        Json::Bool(b) => yes_no(*b, lang).to_owned(),
        Json::Number(n) => n.to_string(),
        Json::String(s) => time_text(s),
        Json::Array(items) => items
            .iter()
            .map(|i| flat(i, lang))
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(if lang == Lang::Zh { "；" } else { "; " }),
        Json::Object(map) => {
            // What an item is called comes first: 张三丰 户主 …, not 1101… 张三丰.
            let mut entries: Vec<(&String, &Json)> = map.iter().collect();
            entries.sort_by_key(|(k, _)| !matches!(k.as_str(), "name" | "item" | "text"));
            entries
                .into_iter()
                .filter_map(|(k, v)| match (k.as_str(), v) {
                    (_, Json::Null) => None,
                    ("relation", Json::String(s)) => Some(choice_label(fields::RELATION, s, lang)),
                    ("passed", Json::Bool(b)) => Some(
                        match (b, lang) {
                            (true, Lang::Zh) => "合格",
                            (false, Lang::Zh) => "不合格",
                            (true, Lang::En) => "passed",
                            (false, Lang::En) => "failed",
                        }
                        .to_owned(),
                    ),
                    ("incident", Json::Bool(b)) => b.then(|| {
                        match lang {
                            Lang::Zh => "（需处置）",
                            Lang::En => "(incident)",
                        }
                        .to_owned()
                    }),
                    ("lat" | "lon", _) => Some(v.to_string()),
                    _ => Some(flat(v, lang)),
                })
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" ")
        }
    }
}

fn choice_label(choices: &'static [fields::Choice], code: &str, lang: Lang) -> String {
    choices
        .iter()
        .find(|c| c.code == code)
        .map_or_else(|| code.to_owned(), |c| c.label(lang).to_owned())
}

/// A field's value as people read it.
pub fn value(field: &Field, v: &Json, lang: Lang) -> String {
    match (&field.ty, v) {
        (_, Json::Null) => String::new(),
        (FieldType::Choice(c), Json::String(s)) => choice_label(c, s, lang),
        (FieldType::Choices(c), Json::Array(items)) => items
            .iter()
            .map(|i| {
                i.as_str()
                    .map_or_else(|| i.to_string(), |s| choice_label(c, s, lang))
            })
            .collect::<Vec<_>>()
            .join(sep(lang)),
        (FieldType::Users | FieldType::Records, Json::Array(items)) => items
            .iter()
            .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned))
            .collect::<Vec<_>>()
            .join(sep(lang)),
        (FieldType::Point, Json::Object(m)) => format!(
            "{},{}",
            m.get("lat").map_or(String::new(), Json::to_string),
            m.get("lon").map_or(String::new(), Json::to_string)
        ),
        (FieldType::Text | FieldType::LongText | FieldType::User, Json::String(s)) => s.clone(),
        _ => flat(v, lang),
    }
}

/// Names of stations and villages, from the county map saved at login.
#[derive(Debug, Clone, Default)]
pub struct Places(Option<County>);

impl Places {
    /// Places from the county map, if the device has one.
    pub fn new(county: Option<County>) -> Self {
        Places(county)
    }

    /// The county map.
    pub fn county(&self) -> Option<&County> {
        self.0.as_ref()
    }

    /// A village's name, or its id if unknown.
    pub fn village(&self, id: &str) -> String {
        self.0
            .as_ref()
            .and_then(|c| c.village(&id.into()))
            .map_or_else(|| id.to_owned(), |v| v.name.clone())
    }

    /// A station's name, or its id if unknown.
    pub fn station(&self, id: &str) -> String {
        self.0
            .as_ref()
            .and_then(|c| c.stations.iter().find(|s| s.id.as_str() == id))
            .map_or_else(|| id.to_owned(), |s| s.name.clone())
    }
}

/// A status as people read it.
pub fn status(kind: Kind, code: Option<&str>, lang: Lang) -> String {
    code.map(|c| fields::status_label(kind, c, lang))
        .unwrap_or_default()
}
