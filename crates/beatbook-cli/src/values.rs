//! Turning command-line text into record JSON: `--set FIELD=VALUE` parsed by the field's type,
//! `--json` objects checked against the kind's fields, times in Asia/Shanghai, and the model's
//! verdict on the result.

use crate::error::{Failure, Result};
use crate::fields::{self, Field, FieldType, Fill};
use beatbook_model::{Body, Kind, Lang, ModelError, RecordId, SHANGHAI};
use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, Utc};
use serde_json::{Map, Value as Json};

/// Formats an instant the way records store it.
pub fn time_json(t: DateTime<Utc>) -> Json {
    Json::String(t.to_rfc3339_opts(SecondsFormat::Millis, true))
}

/// Parses a time: `now`, RFC 3339, or `YYYY-MM-DD HH:MM[:SS]` / `YYYY-MM-DD` in Asia/Shanghai.
pub fn parse_time(raw: &str) -> Option<DateTime<Utc>> {
    let s = raw.trim();
    if s.eq_ignore_ascii_case("now") || s == "现在" {
        return Some(Utc::now());
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.to_utc());
    }
    let local = ["%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M"]
        .iter()
        .find_map(|fmt| NaiveDateTime::parse_from_str(s, fmt).ok())
        .or_else(|| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })?;
    local
        .and_local_timezone(SHANGHAI)
        .single()
        .map(|t| t.to_utc())
}

/// A time given on the command line, or bad input naming `what`.
pub fn time_arg(what: &str, raw: &str) -> Result<DateTime<Utc>> {
    parse_time(raw).ok_or_else(|| {
        Failure::bad_input(
            "bad_time",
            format!("{what}：无法识别时间“{raw}”，请写成 2026-11-28 15:04（北京时间）或 RFC 3339"),
            format!("{what}: \"{raw}\" is not a time; write 2026-11-28 15:04 (Beijing time) or RFC 3339"),
        )
    })
}

/// A record id given on the command line.
pub fn record_id(raw: &str) -> Result<RecordId> {
    raw.parse().map_err(|_| {
        Failure::bad_input(
            "bad_id",
            format!("“{raw}”不是记录编号：请写完整的编号（如 0196d1c2-7f3e-7a10-9c4b-2f6e8d1a5b90）"),
            format!("\"{raw}\" is not a record id; give the full id (e.g. 0196d1c2-7f3e-7a10-9c4b-2f6e8d1a5b90)"),
        )
    })
}

fn bad_value(field: &Field, raw: &str, zh: &str, en: &str) -> Failure {
    Failure::bad_input(
        "bad_value",
        format!("{}（{}）：“{raw}”无效，{zh}", field.name, field.zh),
        format!(
            "{} ({}): \"{raw}\" is not valid; {en}",
            field.name, field.en
        ),
    )
}

fn choice(field: &Field, choices: &'static [fields::Choice], raw: &str) -> Result<Json> {
    match fields::find_choice(choices, raw) {
        Some(c) => Ok(Json::String(c.code.to_owned())),
        None => {
            let zh: Vec<String> = choices
                .iter()
                .map(|c| format!("{}（{}）", c.code, c.zh))
                .collect();
            let en: Vec<&str> = choices.iter().map(|c| c.code).collect();
            Err(bad_value(
                field,
                raw,
                &format!("可选：{}", zh.join("、")),
                &format!("choose one of {}", en.join(", ")),
            ))
        }
    }
}

/// Splits a list given as `a,b,c` (or as a JSON array).
fn list_items(raw: &str) -> Option<Vec<String>> {
    let t = raw.trim();
    if t.starts_with('[') {
        let v: Vec<Json> = serde_json::from_str(t).ok()?;
        return v
            .into_iter()
            .map(|x| match x {
                Json::String(s) => Some(s),
                _ => None,
            })
            .collect();
    }
    Some(
        t.split([',', '，', '、'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
    )
}

/// Parses `raw` as a value of `field`.
pub fn parse_value(field: &Field, raw: &str) -> Result<Json> {
    if raw.trim().is_empty() && field.optional {
        return Ok(Json::Null);
    }
    match field.ty {
        FieldType::Text | FieldType::LongText | FieldType::User => Ok(Json::String(raw.to_owned())),
        FieldType::Int => raw
            .trim()
            .parse::<i64>()
            .map(Json::from)
            .map_err(|_| bad_value(field, raw, "应为整数", "expected a whole number")),
        FieldType::Bool => match raw.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "y" | "1" | "是" => Ok(Json::Bool(true)),
            "false" | "no" | "n" | "0" | "否" => Ok(Json::Bool(false)),
            _ => Err(bad_value(
                field,
                raw,
                "应为 是/否（true/false）",
                "expected yes/no (true/false)",
            )),
        },
        FieldType::Time => parse_time(raw).map(time_json).ok_or_else(|| {
            bad_value(
                field,
                raw,
                "时间请写成 2026-11-28 15:04（北京时间）或 RFC 3339",
                "write a time as 2026-11-28 15:04 (Beijing time) or RFC 3339",
            )
        }),
        FieldType::Record => record_id(raw)
            .map(|id| Json::String(id.to_string()))
            .map_err(|_| {
                bad_value(
                    field,
                    raw,
                    "应为完整的记录编号",
                    "expected a full record id",
                )
            }),
        FieldType::Records => {
            let items = list_items(raw)
                .ok_or_else(|| bad_value(field, raw, "应为记录编号列表", "expected record ids"))?;
            items
                .iter()
                .map(|s| {
                    record_id(s)
                        .map(|id| Json::String(id.to_string()))
                        .map_err(|_| {
                            bad_value(field, s, "应为完整的记录编号", "expected a full record id")
                        })
                })
                .collect::<Result<Vec<_>>>()
                .map(Json::Array)
        }
        FieldType::Users => list_items(raw)
            .map(|v| Json::Array(v.into_iter().map(Json::String).collect()))
            .ok_or_else(|| {
                bad_value(
                    field,
                    raw,
                    "应为以逗号分隔的账号",
                    "expected accounts separated by commas",
                )
            }),
        FieldType::Choice(choices) => choice(field, choices, raw),
        FieldType::Choices(choices) => {
            let items = list_items(raw).ok_or_else(|| {
                bad_value(
                    field,
                    raw,
                    "应为以逗号分隔的选项",
                    "expected choices separated by commas",
                )
            })?;
            items
                .iter()
                .map(|s| choice(field, choices, s))
                .collect::<Result<Vec<_>>>()
                .map(Json::Array)
        }
        FieldType::Point => {
            let t = raw.trim();
            if t.starts_with('{') {
                return serde_json::from_str(t)
                    .map_err(|_| bad_value(field, raw, "应为 纬度,经度", "expected lat,lon"));
            }
            let parts: Vec<f64> = t
                .split([',', '，'])
                .map(|p| p.trim().parse::<f64>())
                .collect::<std::result::Result<_, _>>()
                .map_err(|_| bad_value(field, raw, "应为 纬度,经度", "expected lat,lon"))?;
            match parts.as_slice() {
                [lat, lon] => Ok(serde_json::json!({ "lat": lat, "lon": lon })),
                _ => Err(bad_value(field, raw, "应为 纬度,经度", "expected lat,lon")),
            }
        }
        FieldType::Json(shape) => serde_json::from_str(raw).map_err(|e| {
            bad_value(
                field,
                raw,
                &format!("应为 JSON，形如 {shape}（{e}）"),
                &format!("expected JSON shaped like {shape} ({e})"),
            )
        }),
    }
}

/// The field `name` of `kind`, or bad input listing the kind's fields.
pub fn known_field(kind: Kind, name: &str) -> Result<&'static Field> {
    fields::field(kind, name.trim()).ok_or_else(|| {
        let names: Vec<&str> = fields::fields(kind).iter().map(|f| f.name).collect();
        Failure::bad_input(
            "unknown_field",
            format!(
                "{}没有字段“{name}”。可用字段：{}（详见 beatbook fields {}）",
                kind.label(Lang::Zh),
                names.join("、"),
                kind.as_str().replace('_', "-")
            ),
            format!(
                "a {} has no field \"{name}\"; its fields are {} (see beatbook fields {})",
                kind.label(Lang::En).to_lowercase(),
                names.join(", "),
                kind.as_str().replace('_', "-")
            ),
        )
    })
}

/// Applies `--json` (an object of fields) and then each `--set FIELD=VALUE` to `data`.
pub fn apply_input(
    kind: Kind,
    data: &mut Map<String, Json>,
    json: Option<&str>,
    sets: &[String],
) -> Result<()> {
    if let Some(text) = json {
        let given: Json = serde_json::from_str(text).map_err(|e| {
            Failure::bad_input(
                "bad_json",
                format!("--json 的内容不是有效的 JSON：{e}"),
                format!("--json is not valid JSON: {e}"),
            )
        })?;
        let Json::Object(given) = given else {
            return Err(Failure::bad_input(
                "bad_json",
                "--json 应为一个对象，如 {\"address\": \"南街村三组12号\"}",
                "--json must be an object such as {\"address\": \"...\"}",
            ));
        };
        for (name, value) in given {
            known_field(kind, &name)?;
            data.insert(name, value);
        }
    }
    for set in sets {
        let Some((name, raw)) = set.split_once('=') else {
            return Err(Failure::bad_input(
                "bad_set",
                format!("--set 应写成 字段=值，而不是“{set}”"),
                format!("--set takes FIELD=VALUE, not \"{set}\""),
            ));
        };
        let field = known_field(kind, name)?;
        data.insert(field.name.to_owned(), parse_value(field, raw)?);
    }
    Ok(())
}

/// Fills what a new record leaves out and the command can know: now, the logged-in user.
pub fn fill_defaults(kind: Kind, data: &mut Map<String, Json>, me: &str, now: DateTime<Utc>) {
    for field in fields::fields(kind) {
        let missing = data.get(field.name).is_none_or(Json::is_null);
        match (field.fill, missing) {
            (Some(Fill::Now), true) => {
                data.insert(field.name.to_owned(), time_json(now));
            }
            (Some(Fill::Me), true) => {
                data.insert(field.name.to_owned(), Json::String(me.to_owned()));
            }
            (Some(Fill::MeList), _)
                if data
                    .get(field.name)
                    .and_then(Json::as_array)
                    .is_none_or(Vec::is_empty) =>
            {
                data.insert(field.name.to_owned(), serde_json::json!([me]));
            }
            _ => {}
        }
    }
}

/// Builds a body of `kind` from its data, turning the model's refusal of the shape into a
/// message that names the field.
pub fn body(kind: Kind, data: Map<String, Json>) -> Result<Body> {
    // Absent and null mean the same for optional fields; the model wants them absent.
    let data: Map<String, Json> = data.into_iter().filter(|(_, v)| !v.is_null()).collect();
    Body::from_json(kind, Json::Object(data)).map_err(|e| match e {
        ModelError::Malformed(why) => malformed(kind, &why),
        other => other.into(),
    })
}

fn malformed(kind: Kind, why: &str) -> Failure {
    if let Some(name) = why
        .strip_prefix("missing field `")
        .and_then(|s| s.split('`').next())
    {
        let label = fields::field(kind, name).map_or(name, |f| f.zh);
        let label_en = fields::field(kind, name).map_or(name, |f| f.en);
        return Failure::bad_input(
            "missing_field",
            format!("缺少必填字段 {name}（{label}）：请加上 --set {name}=…"),
            format!("the required field {name} ({label_en}) is missing: add --set {name}=…"),
        );
    }
    Failure::bad_input(
        "malformed",
        format!("{}的内容无效：{why}", kind.label(Lang::Zh)),
        format!(
            "the {} is not valid: {why}",
            kind.label(Lang::En).to_lowercase()
        ),
    )
}
