//! The command's field table (`beatbook fields`, `--set`, export columns) against the model:
//! same field names, required exactly when the model refuses a record without them, and
//! every choice a value the model accepts — so the table cannot drift from the model.

use beatbook_cli::fields::{self, FieldType};
use beatbook_model::{Body, Kind, ModelError};
use serde_json::{json, Value as Json};

const ID: &str = "01a222ec-f71f-718b-b965-c0a204246bce";
const T: &str = "2026-11-01T02:00:00.000Z";

/// A record of each kind with every field filled in.
fn sample(kind: Kind) -> Json {
    let point = json!({"lat": 35.9, "lon": 115.1});
    match kind {
        Kind::Household => json!({
            "address": "南街村三组12号",
            "members": [{"name": "张三丰", "id_number": "11010519491231002X", "phone": "13812345678", "relation": "head"}],
            "tags": ["living_alone"], "notes": "n"}),
        Kind::Visit => json!({
            "household": ID, "visitors": ["li"], "visited_at": T, "method": "visit", "place": "p",
            "location": point, "purpose": "p", "findings": "f", "problems": "p", "follow_up": "f"}),
        Kind::KeyPerson => json!({
            "name": "王五", "id_number": "11010519491231002X", "phone": "13812345678", "address": "a",
            "household": ID, "category": "petitioner", "risk_level": "low",
            "responsible_officer": "li", "notes": "n"}),
        Kind::KeyPersonCheck => json!({
            "key_person": ID, "checked_by": "li", "checked_at": T, "place": "p", "location": point,
            "seen_in_person": true, "situation": "s", "risk_change": "unchanged",
            "risk_level_after": "low"}),
        Kind::Inspection => json!({
            "unit_name": "u", "unit_type": "shop", "address": "a", "inspected_at": T,
            "inspectors": ["li"], "location": point,
            "items": [{"item": "消防器材", "passed": true, "note": ""}],
            "hazards_found": "h", "hazards": [ID], "deadline": T}),
        Kind::Dispute => json!({
            "reported_at": T, "parties": [{"name": "赵六"}], "dispute_type": "land",
            "description": "d", "status": "reported", "referral": "lawyer",
            "sessions": [{"held_at": T, "participants": ["a"], "notes": "n", "outcome": "o"}],
            "outcome": "o", "agreement": "a", "resolved_at": T,
            "return_visit": {"at": T, "notes": "n"},
            "household": ID, "source": ID}),
        Kind::Patrol => json!({
            "started_at": T, "ended_at": T, "patrollers": ["li"], "area": "a",
            "route": [{"at": T, "point": point}],
            "observations": [{"at": T, "place": "p", "text": "t", "incident": false}]}),
        Kind::Publicity => json!({
            "topic": "t", "place": "p", "held_at": T, "audience": 3, "notes": "n"}),
        Kind::Hazard => json!({
            "description": "d", "place": "p", "location": point, "found_at": T, "found_by": "li",
            "source": ID, "status": "open", "deadline": T, "rectification": "r",
            "cleared_at": T, "clearance_note": "c", "cleared_by": "li"}),
        Kind::Task => json!({
            "assignee": "li", "assigned_by": "chief", "action": "patrol", "target": ID,
            "instructions": "i", "due_at": T, "status": "open", "completed_by": ID,
            "cancel_reason": "c"}),
    }
}

fn body(kind: Kind, data: Json) -> Result<Body, ModelError> {
    Body::from_json(kind, data)
}

fn now() -> chrono::DateTime<chrono::Utc> {
    "2026-11-28T02:00:00Z".parse().unwrap()
}

#[test]
fn the_table_names_exactly_the_models_fields() {
    for kind in Kind::ALL {
        let b = body(kind, sample(kind)).unwrap_or_else(|e| panic!("{kind:?}: {e}"));
        let mut model: Vec<String> = b.data_json().as_object().unwrap().keys().cloned().collect();
        let mut table: Vec<String> = fields::fields(kind)
            .iter()
            .map(|f| f.name.to_owned())
            .collect();
        model.sort();
        table.sort();
        assert_eq!(table, model, "{kind:?}");
    }
}

#[test]
fn required_means_the_model_refuses_a_record_without_it() {
    for kind in Kind::ALL {
        for f in fields::fields(kind) {
            let mut data = sample(kind);
            data.as_object_mut().unwrap().remove(f.name);
            let refused = match body(kind, data) {
                Err(_) => true,
                Ok(b) => match b.validate(now()) {
                    Err(ModelError::Invalid(errs)) => errs
                        .iter()
                        .any(|e| e.field == f.name && e.code() == "required"),
                    _ => false,
                },
            };
            assert_eq!(f.required, refused, "{kind:?}.{}", f.name);
        }
    }
}

#[test]
fn every_choice_is_a_value_the_model_accepts_and_none_is_missing() {
    for kind in Kind::ALL {
        for f in fields::fields(kind) {
            let (choices, many) = match f.ty {
                FieldType::Choice(c) => (c, false),
                FieldType::Choices(c) => (c, true),
                _ => continue,
            };
            let with = |v: Json| {
                let mut data = sample(kind);
                data[f.name] = if many { json!([v]) } else { v };
                body(kind, data)
            };
            for c in choices {
                assert!(
                    with(json!(c.code)).is_ok(),
                    "{kind:?}.{} = {}",
                    f.name,
                    c.code
                );
            }
            // serde names every variant when it refuses one: the table must have them all.
            let err = with(json!("no-such-value")).unwrap_err().to_string();
            let expected: Vec<&str> = err
                .split("expected one of ")
                .nth(1)
                .unwrap_or_else(|| panic!("{kind:?}.{}: {err}", f.name))
                .split(", ")
                .map(|s| s.trim_matches(|ch: char| ch == '`' || ch.is_whitespace()))
                .collect();
            let mut codes: Vec<&str> = choices.iter().map(|c| c.code).collect();
            codes.sort();
            let mut expected = expected;
            expected.sort();
            assert_eq!(codes, expected, "{kind:?}.{}", f.name);
        }
    }
}

#[test]
fn types_match_the_json_the_model_writes() {
    for kind in Kind::ALL {
        let data = body(kind, sample(kind)).unwrap().data_json();
        for f in fields::fields(kind) {
            let v = &data[f.name];
            let ok = match f.ty {
                FieldType::Text
                | FieldType::LongText
                | FieldType::User
                | FieldType::Choice(_)
                | FieldType::Record => v.is_string(),
                FieldType::Time => v
                    .as_str()
                    .is_some_and(|s| s.parse::<chrono::DateTime<chrono::Utc>>().is_ok()),
                FieldType::Int => v.is_i64() || v.is_u64(),
                FieldType::Bool => v.is_boolean(),
                FieldType::Records | FieldType::Users | FieldType::Choices(_) => {
                    v.as_array().is_some_and(|a| a.iter().all(Json::is_string))
                }
                FieldType::Point => v.get("lat").is_some() && v.get("lon").is_some(),
                FieldType::Json(_) => v.is_array() || v.is_object(),
            };
            assert!(ok, "{kind:?}.{}: {v}", f.name);
            // Optional in the table exactly when the model leaves it out when absent.
            let mut without = sample(kind);
            without.as_object_mut().unwrap().remove(f.name);
            if let Ok(b) = body(kind, without) {
                let absent = b.data_json().get(f.name).is_none();
                assert_eq!(f.optional, absent, "{kind:?}.{} optional", f.name);
            }
        }
    }
}
