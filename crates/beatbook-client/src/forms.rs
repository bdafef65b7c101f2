//! Record forms: each kind's fields from the model's field table, turning what the UI sends
//! into a record body (filling now and me), and each field's problem while the form is filled.

use beatbook_model::fields::{self, Field, FieldType, Fill};
use beatbook_model::{path_label, Body, Kind, Lang, ModelError, Problem};
use beatbook_store::RecordView;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value as Json};

use crate::error::{pick, Result};
use crate::types::*;

/// Every kind's form and status labels, in `lang`.
pub fn catalog(lang: Lang) -> Catalog {
    let choices = |c: &[fields::Choice]| {
        c.iter()
            .map(|c| ChoiceSpec {
                code: c.code.to_owned(),
                label: c.label(lang).to_owned(),
            })
            .collect()
    };
    Catalog {
        forms: Kind::ALL
            .into_iter()
            .map(|k| FormSpec {
                kind: k.as_str().to_owned(),
                label: k.label(lang).to_owned(),
                fields: fields::fields(k)
                    .iter()
                    .map(|f| FieldSpec {
                        name: f.name.to_owned(),
                        ty: f.ty.code().to_owned(),
                        required: f.required,
                        optional: f.optional,
                        fill: f.fill.map(|x| x.code().to_owned()),
                        label: f.label(lang).to_owned(),
                        choices: choices(f.ty.choices()),
                        shape: match f.ty {
                            FieldType::Json(shape) => Some(shape.to_owned()),
                            _ => None,
                        },
                    })
                    .collect(),
            })
            .collect(),
        statuses: Kind::ALL
            .into_iter()
            .filter(|k| !fields::statuses(*k).is_empty())
            .map(|k| KindStatuses {
                kind: k.as_str().to_owned(),
                statuses: choices(fields::statuses(k)),
            })
            .collect(),
        relations: choices(fields::RELATION),
    }
}

/// A kind code from the UI.
pub fn kind(code: &str, lang: Lang) -> Result<Kind> {
    code.parse::<Kind>().map_err(|e| AppError::model(&e, lang))
}

/// Drops nulls and empty strings inside objects and lists: an untouched optional input means
/// "absent", which is what the model expects (an empty phone is no phone, not a bad one).
fn clean(v: Json) -> Json {
    match v {
        Json::Object(m) => Json::Object(
            m.into_iter()
                .filter(|(_, v)| !v.is_null() && v.as_str().is_none_or(|s| !s.trim().is_empty()))
                .map(|(k, v)| (k, clean(v)))
                .collect(),
        ),
        Json::Array(a) => Json::Array(
            a.into_iter()
                .filter(|v| !v.is_null() && v.as_str().is_none_or(|s| !s.trim().is_empty()))
                .map(clean)
                .collect(),
        ),
        other => other,
    }
}

fn time_json(t: DateTime<Utc>) -> Json {
    Json::String(t.to_rfc3339_opts(SecondsFormat::Millis, true))
}

/// The data the UI sent, cleaned, with what a new record leaves out filled in.
fn prepare(kind: Kind, data: Json, me: &str, now: DateTime<Utc>) -> Map<String, Json> {
    let mut data = match clean(data) {
        Json::Object(m) => m,
        _ => Map::new(),
    };
    for field in fields::fields(kind) {
        let missing = data.get(field.name).is_none();
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
    data
}

/// A stand-in value for a missing required field, so the rest of the form can be checked.
fn placeholder(field: &Field, me: &str, now: DateTime<Utc>) -> Json {
    match field.ty {
        FieldType::Time => time_json(now),
        FieldType::Record => Json::String("00000000-0000-7000-8000-000000000000".into()),
        FieldType::User => Json::String(me.to_owned()),
        FieldType::Choice(c) => Json::String(c.first().map_or("", |c| c.code).to_owned()),
        FieldType::Bool => Json::Bool(false),
        FieldType::Int => Json::from(0),
        FieldType::Json(shape) if shape.starts_with('[') => Json::Array(Vec::new()),
        _ => Json::String(String::new()),
    }
}

fn required(field: &str, lang: Lang) -> FieldProblem {
    let e = beatbook_model::FieldError::new(field, Problem::Required);
    FieldProblem {
        field: field.to_owned(),
        code: e.code().to_owned(),
        message: e.message(lang),
    }
}

/// Every problem of the form as filled so far; nothing is saved.
pub fn check(
    kind: Kind,
    data: Json,
    me: &str,
    now: DateTime<Utc>,
    lang: Lang,
) -> Vec<FieldProblem> {
    let mut data = prepare(kind, data, me, now);
    let mut problems = Vec::new();
    for field in fields::fields(kind).iter().filter(|f| f.required) {
        if data.get(field.name).is_none() {
            problems.push(required(field.name, lang));
            data.insert(field.name.to_owned(), placeholder(field, me, now));
        }
    }
    let reported: Vec<String> = problems.iter().map(|p| p.field.clone()).collect();
    match Body::from_json(kind, Json::Object(data)) {
        Ok(body) => {
            if let Err(ModelError::Invalid(errors)) = body.validate(now) {
                problems.extend(
                    errors
                        .iter()
                        .filter(|e| !reported.contains(&e.field))
                        .map(|e| FieldProblem {
                            field: e.field.clone(),
                            code: e.code().to_owned(),
                            message: e.message(lang),
                        }),
                );
            }
        }
        Err(e) => problems.push(FieldProblem {
            field: String::new(),
            code: e.code().to_owned(),
            message: e.message(lang),
        }),
    }
    problems
}

/// The record body for the data the UI sent, or every field's problem.
pub fn body(kind: Kind, data: Json, me: &str, now: DateTime<Utc>, lang: Lang) -> Result<Body> {
    let problems = check(kind, data.clone(), me, now, lang);
    if !problems.is_empty() {
        let message = problems
            .iter()
            .map(|p| p.message.clone())
            .collect::<Vec<_>>()
            .join(pick(lang, "；", "; "));
        return Err(AppError {
            code: "invalid".into(),
            message,
            fields: problems,
            transient: false,
            needs_login: false,
        });
    }
    Body::from_json(kind, Json::Object(prepare(kind, data, me, now)))
        .map_err(|e| AppError::model(&e, lang))
}

/// The field a conflict path belongs to: `data.members[1].phone` → `members`.
fn top_field(path: &str) -> &str {
    let rest = path.strip_prefix("data.").unwrap_or(path);
    rest.split(['.', '[']).next().unwrap_or(rest)
}

/// Refuses to overwrite a field that holds conflicting values: writing it would silently drop
/// the values nobody chose.
pub fn refuse_conflicted(view: &RecordView, body: &Body, lang: Lang) -> Result<()> {
    let old = view.record.body.data_json();
    let new = body.data_json();
    match view.conflicts.iter().find(|c| {
        c.path.starts_with("data.") && old.get(top_field(&c.path)) != new.get(top_field(&c.path))
    }) {
        None => Ok(()),
        Some(c) => {
            let label = path_label(c.path.trim_start_matches("data."), lang);
            Err(AppError::new(
                "conflict",
                lang,
                &format!("“{label}”有两台设备同时写入的不同值，请先在冲突处选定"),
                &format!("\"{label}\" holds conflicting values from two devices; pick one first"),
            ))
        }
    }
}
