//! Showing values to people: times in Asia/Shanghai, choices by their labels, lists joined,
//! nested JSON flattened to a readable line. Shared by `show`, the tables and `export`.

use crate::fields::{self, Field, FieldType};
use beatbook_model::{format_local, County, Kind, Lang};
use chrono::DateTime;
use serde_json::Value as Json;
use std::borrow::Cow;
use std::fmt::Write as _;

/// Whether a terminal could act on `c` instead of showing it: C0 controls (ESC starts colour,
/// cursor and title sequences; CR and BS overwrite what is shown), DEL, C1 controls (U+009B is
/// a CSI on its own) and the Unicode bidirectional overrides, embeddings, isolates and marks,
/// which reorder what is shown ("Trojan Source").
fn acts_on_terminal(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        | '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Text made safe to print on a terminal: every character a terminal would act on is shown
/// escaped as `\u{1b}` instead, except the line ends and tabs that lay the output out (a
/// `\r\n` counts as a line end). Record text reaches the terminal only through this: the
/// command's whole output and error message pass here before they are printed, and each
/// table cell does before its width is measured.
pub fn terminal(text: &str) -> Cow<'_, str> {
    if !text
        .chars()
        .any(|c| acts_on_terminal(c) && c != '\n' && c != '\t')
    {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' | '\t' => out.push(c),
            '\r' if chars.peek() == Some(&'\n') => {}
            c if acts_on_terminal(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// JSON output made safe to print: serde_json already writes C0 controls as `\u001b`; this
/// writes DEL, the C1 controls and the bidirectional characters as `\u` escapes too, which
/// leaves the same JSON value (they can only occur inside strings).
pub fn terminal_json(json: &str) -> Cow<'_, str> {
    if !json.chars().any(|c| acts_on_terminal(c) && c != '\n') {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        // Outside strings only the layout's own newlines and spaces occur.
        if acts_on_terminal(c) && c != '\n' {
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_text_shows_control_and_bidi_characters_escaped() {
        assert!(matches!(terminal("南街村 ok\n\tnext"), Cow::Borrowed(_)));
        assert_eq!(terminal("\x1b[31mred\x1b[0m"), "\\u{1b}[31mred\\u{1b}[0m");
        assert_eq!(terminal("a\rb\r\nc\x08\x07"), "a\\u{d}b\nc\\u{8}\\u{7}");
        assert_eq!(terminal("\u{9b}2J\u{7f}"), "\\u{9b}2J\\u{7f}");
        assert_eq!(
            terminal("abc\u{202e}fed\u{2066}x\u{2069}\u{200f}"),
            "abc\\u{202e}fed\\u{2066}x\\u{2069}\\u{200f}"
        );
        assert_eq!(terminal("\u{0}"), "\\u{0}");
    }

    #[test]
    fn json_output_keeps_its_value_and_loses_its_bidi_and_c1_characters() {
        let value = serde_json::json!({"notes": "\x1b[31m\u{202e}x\u{9b}\u{7f}\n"});
        let raw = serde_json::to_string_pretty(&value).unwrap();
        let safe = terminal_json(&raw);
        assert!(
            !safe.chars().any(|c| acts_on_terminal(c) && c != '\n'),
            "{safe}"
        );
        let back: Json = serde_json::from_str(&safe).unwrap();
        assert_eq!(back, value);
        assert!(matches!(
            terminal_json("{\n  \"a\": 1\n}"),
            Cow::Borrowed(_)
        ));
    }
}
