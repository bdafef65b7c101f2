//! How a record lives in an Automerge document: its JSON form written field by field (only
//! what changed, so untouched fields never clash with other devices' edits), read back, and
//! the fields where concurrent writes left more than one value. Shared by the device store
//! and the server.

use automerge::{
    transaction::Transactable, AutoCommit, ObjId, ObjType, Prop, ReadDoc, ScalarValue, Value, ROOT,
};
use beatbook_model::LONG_TEXT_FIELDS;
use serde::Serialize;
use serde_json::{Map, Number, Value as Json};

use beatbook_model::{Kind, Record, RecordId, Scope};

/// A document that cannot be read or written as a record.
#[derive(Debug, thiserror::Error)]
pub enum DocError {
    /// Automerge refused an operation or the bytes are damaged.
    #[error("文档数据无法处理：{0} / a document or change is damaged")]
    Automerge(String),
    /// A field path that does not name a field.
    #[error("字段路径无效：{0} / not a field path")]
    BadPath(String),
    /// The document does not (yet) hold a readable record.
    #[error("记录内容无法解析：{0} / the record cannot be read")]
    NotARecord(String),
}

/// Root keys whose concurrent values are settled automatically rather than shown to people:
/// `updated_at` takes the latest of its values.
const AUTO_MERGED: &[&str] = &["updated_at"];

/// A field where concurrent edits left several values. `values[0]` is the one shown until
/// someone picks.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conflict {
    /// Path of the field, e.g. `data.status` or `data.members[1].phone`.
    pub path: String,
    /// Every concurrent value; the first is the current winner.
    pub values: Vec<Json>,
}

fn store_err(e: impl std::fmt::Display) -> DocError {
    DocError::Automerge(e.to_string())
}

fn scalar_to_json(s: &ScalarValue) -> Json {
    match s {
        ScalarValue::Str(s) => Json::String(s.to_string()),
        ScalarValue::Int(i) => Json::from(*i),
        ScalarValue::Uint(u) => Json::from(*u),
        ScalarValue::F64(f) => Number::from_f64(*f).map(Json::Number).unwrap_or(Json::Null),
        ScalarValue::Boolean(b) => Json::Bool(*b),
        ScalarValue::Timestamp(t) => Json::from(*t),
        ScalarValue::Counter(c) => Json::from(i64::from(c)),
        ScalarValue::Bytes(_) | ScalarValue::Unknown { .. } | ScalarValue::Null => Json::Null,
    }
}

fn json_to_scalar(v: &Json) -> ScalarValue {
    match v {
        Json::Null => ScalarValue::Null,
        Json::Bool(b) => ScalarValue::Boolean(*b),
        Json::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => ScalarValue::Int(i),
            (None, Some(u), _) => ScalarValue::Uint(u),
            (_, _, Some(f)) => ScalarValue::F64(f),
            _ => ScalarValue::Null,
        },
        Json::String(s) => ScalarValue::Str(s.as_str().into()),
        Json::Array(_) | Json::Object(_) => unreachable!("objects are not scalars"),
    }
}

fn is_long_text(key: Option<&str>) -> bool {
    key.is_some_and(|k| LONG_TEXT_FIELDS.contains(&k))
}

/// Reads the whole document as JSON, with every conflict found on the way.
pub fn hydrate(doc: &AutoCommit) -> Result<(Json, Vec<Conflict>), DocError> {
    let mut conflicts = Vec::new();
    let json = read_map(doc, &ROOT, "", &mut conflicts)?;
    Ok((json, conflicts))
}

fn read_value(
    doc: &AutoCommit,
    value: &Value<'_>,
    id: &ObjId,
    path: &str,
    conflicts: &mut Vec<Conflict>,
) -> Result<Json, DocError> {
    Ok(match value {
        Value::Scalar(s) => scalar_to_json(s),
        Value::Object(ObjType::Map) | Value::Object(ObjType::Table) => {
            read_map(doc, id, path, conflicts)?
        }
        Value::Object(ObjType::List) => read_list(doc, id, path, conflicts)?,
        Value::Object(ObjType::Text) => Json::String(doc.text(id).map_err(store_err)?),
    })
}

/// Reads one property: the winning value, and a conflict entry if there are several.
fn read_prop(
    doc: &AutoCommit,
    obj: &ObjId,
    prop: Prop,
    path: &str,
    conflicts: &mut Vec<Conflict>,
) -> Result<Option<Json>, DocError> {
    let all = doc.get_all(obj, prop).map_err(store_err)?;
    // The winner is the value with the greatest op id, the last of `all`: exactly what
    // `get` returns, without seeking the property a second time.
    let Some((value, id)) = all.last().cloned() else {
        return Ok(None);
    };
    let winner = read_value(doc, &value, &id, path, conflicts)?;
    if all.len() > 1 {
        let top_key = path.split(['.', '[']).next().unwrap_or_default();
        if AUTO_MERGED.contains(&top_key) && !path.contains(['.', '[']) {
            // Latest wins: RFC 3339 UTC strings of one format compare as times.
            let mut latest = winner;
            for (v, id) in &all {
                let candidate = read_value(doc, v, id, path, &mut Vec::new())?;
                if latest_time(&candidate) > latest_time(&latest) {
                    latest = candidate;
                }
            }
            return Ok(Some(latest));
        }
        let mut values = vec![winner.clone()];
        for (v, other) in &all {
            if other != &id {
                values.push(read_value(doc, v, other, path, &mut Vec::new())?);
            }
        }
        values.dedup();
        if values.len() > 1 {
            conflicts.push(Conflict {
                path: path.to_owned(),
                values,
            });
        }
    }
    Ok(Some(winner))
}

fn latest_time(v: &Json) -> Option<chrono::DateTime<chrono::Utc>> {
    v.as_str()
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.to_utc())
}

fn read_map(
    doc: &AutoCommit,
    obj: &ObjId,
    path: &str,
    conflicts: &mut Vec<Conflict>,
) -> Result<Json, DocError> {
    let mut out = Map::new();
    for key in doc.keys(obj).collect::<Vec<_>>() {
        let child = if path.is_empty() {
            key.clone()
        } else {
            format!("{path}.{key}")
        };
        if let Some(v) = read_prop(doc, obj, Prop::Map(key.clone()), &child, conflicts)? {
            out.insert(key, v);
        }
    }
    Ok(Json::Object(out))
}

fn read_list(
    doc: &AutoCommit,
    obj: &ObjId,
    path: &str,
    conflicts: &mut Vec<Conflict>,
) -> Result<Json, DocError> {
    let len = doc.length(obj);
    let mut out = Vec::with_capacity(len);
    for i in 0..len {
        let child = format!("{path}[{i}]");
        if let Some(v) = read_prop(doc, obj, Prop::Seq(i), &child, conflicts)? {
            out.push(v);
        }
    }
    Ok(Json::Array(out))
}

/// Writes `new` over `old` (the document's current JSON) at the root, touching only what
/// differs. Long free-text fields become Automerge text and are edited by diff.
pub fn reconcile_root(doc: &mut AutoCommit, old: &Json, new: &Json) -> Result<(), DocError> {
    let empty = Map::new();
    let old = old.as_object().unwrap_or(&empty);
    let new = new
        .as_object()
        .ok_or_else(|| store_err("a record must be a map"))?;
    reconcile_map(doc, &ROOT, old, new)
}

fn reconcile_map(
    doc: &mut AutoCommit,
    obj: &ObjId,
    old: &Map<String, Json>,
    new: &Map<String, Json>,
) -> Result<(), DocError> {
    for (key, new_value) in new {
        match old.get(key) {
            Some(old_value) if old_value == new_value => {}
            Some(old_value) => reconcile_prop(
                doc,
                obj,
                Prop::Map(key.clone()),
                Some(key),
                old_value,
                new_value,
            )?,
            None => write_value(
                doc,
                obj,
                Prop::Map(key.clone()),
                Some(key),
                new_value,
                false,
            )?,
        }
    }
    for key in old.keys().filter(|k| !new.contains_key(*k)) {
        doc.delete(obj, key.as_str()).map_err(store_err)?;
    }
    Ok(())
}

/// Updates one property whose old and new values differ.
fn reconcile_prop(
    doc: &mut AutoCommit,
    obj: &ObjId,
    prop: Prop,
    key: Option<&str>,
    old: &Json,
    new: &Json,
) -> Result<(), DocError> {
    let current = doc.get(obj, prop.clone()).map_err(store_err)?;
    match (current, old, new) {
        (Some((Value::Object(ObjType::Map), id)), Json::Object(o), Json::Object(n)) => {
            reconcile_map(doc, &id, o, n)
        }
        (Some((Value::Object(ObjType::List), id)), Json::Array(o), Json::Array(n)) => {
            reconcile_list(doc, &id, o, n)
        }
        (Some((Value::Object(ObjType::Text), id)), _, Json::String(n)) => {
            doc.update_text(&id, n).map_err(store_err)
        }
        _ => write_value(doc, obj, prop, key, new, false),
    }
}

/// Edits a list so that appends and single insertions or removals anywhere stay local edits
/// (they merge with other devices' appends) instead of rewriting every element after them.
fn reconcile_list(
    doc: &mut AutoCommit,
    obj: &ObjId,
    old: &[Json],
    new: &[Json],
) -> Result<(), DocError> {
    let prefix = old.iter().zip(new).take_while(|(a, b)| a == b).count();
    let max_suffix = old.len().min(new.len()) - prefix;
    let suffix = old
        .iter()
        .rev()
        .zip(new.iter().rev())
        .take(max_suffix)
        .take_while(|(a, b)| a == b)
        .count();
    let old_mid = &old[prefix..old.len() - suffix];
    let new_mid = &new[prefix..new.len() - suffix];
    let common = old_mid.len().min(new_mid.len());
    for i in 0..common {
        if old_mid[i] != new_mid[i] {
            reconcile_prop(
                doc,
                obj,
                Prop::Seq(prefix + i),
                None,
                &old_mid[i],
                &new_mid[i],
            )?;
        }
    }
    for (i, v) in new_mid.iter().enumerate().skip(common) {
        write_value(doc, obj, Prop::Seq(prefix + i), None, v, true)?;
    }
    for _ in common..old_mid.len() {
        doc.delete(obj, prefix + common).map_err(store_err)?;
    }
    Ok(())
}

/// Puts (or, with `insert`, inserts) a fresh value.
pub fn write_value(
    doc: &mut AutoCommit,
    obj: &ObjId,
    prop: Prop,
    key: Option<&str>,
    value: &Json,
    insert: bool,
) -> Result<(), DocError> {
    let make = |doc: &mut AutoCommit, typ: ObjType| -> Result<ObjId, DocError> {
        match (&prop, insert) {
            (Prop::Seq(i), true) => doc.insert_object(obj, *i, typ),
            _ => doc.put_object(obj, prop.clone(), typ),
        }
        .map_err(store_err)
    };
    match value {
        Json::Object(m) => {
            let id = make(doc, ObjType::Map)?;
            reconcile_map(doc, &id, &Map::new(), m)
        }
        Json::Array(items) => {
            let id = make(doc, ObjType::List)?;
            for (i, v) in items.iter().enumerate() {
                write_value(doc, &id, Prop::Seq(i), None, v, true)?;
            }
            Ok(())
        }
        Json::String(s) if is_long_text(key) => {
            let id = make(doc, ObjType::Text)?;
            doc.splice_text(&id, 0, 0, s).map_err(store_err)
        }
        scalar => match (&prop, insert) {
            (Prop::Seq(i), true) => doc.insert(obj, *i, json_to_scalar(scalar)),
            _ => doc.put(obj, prop.clone(), json_to_scalar(scalar)),
        }
        .map_err(store_err),
    }
}

/// Parses a field path such as `data.members[1].phone` into properties.
pub fn parse_path(path: &str) -> Result<Vec<Prop>, DocError> {
    let bad = || DocError::BadPath(path.to_owned());
    let mut props = Vec::new();
    for part in path.split('.') {
        let (name, mut rest) = part.split_once('[').map_or((part, ""), |(n, r)| (n, r));
        if name.is_empty() {
            return Err(bad());
        }
        props.push(Prop::Map(name.to_owned()));
        while !rest.is_empty() {
            let (index, after) = rest.split_once(']').ok_or_else(bad)?;
            props.push(Prop::Seq(index.parse().map_err(|_| bad())?));
            rest = after.strip_prefix('[').unwrap_or(after);
            if !after.is_empty() && !after.starts_with('[') {
                return Err(bad());
            }
        }
    }
    Ok(props)
}

/// Sets the field at `path` to `value`, superseding every concurrent value it had.
pub fn put_path(doc: &mut AutoCommit, path: &str, value: &Json) -> Result<(), DocError> {
    let props = parse_path(path)?;
    let (last, parents) = props
        .split_last()
        .ok_or_else(|| DocError::BadPath(path.into()))?;
    let mut obj = ROOT;
    for p in parents {
        obj = match doc.get(&obj, p.clone()).map_err(store_err)? {
            Some((Value::Object(_), id)) => id,
            _ => return Err(DocError::BadPath(path.into())),
        };
    }
    let key = match last {
        Prop::Map(k) => Some(k.clone()),
        Prop::Seq(_) => None,
    };
    write_value(doc, &obj, last.clone(), key.as_deref(), value, false)
}

/// A new document holding `record`, written by `actor` (not yet committed).
pub fn new_record_doc(actor: automerge::ActorId, record: &Record) -> Result<AutoCommit, DocError> {
    let mut doc = AutoCommit::new().with_actor(actor);
    let json = serde_json::to_value(record).map_err(|e| DocError::NotARecord(e.to_string()))?;
    reconcile_root(&mut doc, &Json::Object(Map::new()), &json)?;
    Ok(doc)
}

/// Reads the record a document holds, with its conflicts.
pub fn read_record(doc: &AutoCommit) -> Result<(Record, Vec<Conflict>), DocError> {
    let (json, conflicts) = hydrate(doc)?;
    let record = serde_json::from_value(json).map_err(|e| DocError::NotARecord(e.to_string()))?;
    Ok((record, conflicts))
}

/// The fields fixed at creation that decide who may see a record: id, kind and scope.
/// `None` if the document does not hold them (yet).
pub fn read_header(doc: &AutoCommit) -> Option<(RecordId, Kind, Scope)> {
    let text = |obj: &ObjId, key: &str| -> Option<String> {
        match doc.get(obj, key).ok()?? {
            (Value::Scalar(s), _) => match s.as_ref() {
                ScalarValue::Str(s) => Some(s.to_string()),
                _ => None,
            },
            _ => None,
        }
    };
    let id = text(&ROOT, "id")?.parse().ok()?;
    let kind = text(&ROOT, "kind")?.parse().ok()?;
    let scope_obj = match doc.get(ROOT, "scope").ok()?? {
        (Value::Object(ObjType::Map), id) => id,
        _ => return None,
    };
    let scope = Scope {
        station: text(&scope_obj, "station")?.as_str().into(),
        village: text(&scope_obj, "village")?.as_str().into(),
    };
    Some((id, kind, scope))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc_with(v: &Json) -> AutoCommit {
        let mut doc = AutoCommit::new();
        reconcile_root(&mut doc, &json!({}), v).unwrap();
        doc.commit();
        doc
    }

    #[test]
    fn round_trips_json_and_keeps_long_text_as_text() {
        let v = json!({"a": 1, "b": "x", "notes": "长文本", "l": [1, {"k": 2.5}], "n": null, "t": true});
        let doc = doc_with(&v);
        let (back, conflicts) = hydrate(&doc).unwrap();
        assert_eq!(back, v);
        assert!(conflicts.is_empty());
        let (Value::Object(typ), _) = doc.get(ROOT, "notes").unwrap().unwrap() else {
            panic!()
        };
        assert_eq!(typ, ObjType::Text);
    }

    #[test]
    fn concurrent_appends_to_text_and_lists_both_survive() {
        let v = json!({"notes": "甲", "l": [1, 2]});
        let mut a = doc_with(&v);
        let mut b = a.fork();
        reconcile_root(&mut a, &v, &json!({"notes": "甲乙", "l": [1, 2, 3]})).unwrap();
        reconcile_root(&mut b, &v, &json!({"notes": "甲丙", "l": [1, 2, 4]})).unwrap();
        a.merge(&mut b).unwrap();
        let (merged, conflicts) = hydrate(&a).unwrap();
        let notes = merged["notes"].as_str().unwrap();
        assert!(notes.contains('乙') && notes.contains('丙'), "{notes}");
        let l = merged["l"].as_array().unwrap();
        assert_eq!(l.len(), 4);
        assert!(conflicts.is_empty());
    }

    #[test]
    fn same_field_edits_are_kept_as_a_conflict_and_untouched_fields_are_not() {
        let v = json!({"status": "open", "x": 1});
        let mut a = doc_with(&v);
        let mut b = a.fork();
        reconcile_root(&mut a, &v, &json!({"status": "done", "x": 1})).unwrap();
        reconcile_root(&mut b, &v, &json!({"status": "cancelled", "x": 2})).unwrap();
        a.merge(&mut b).unwrap();
        let (merged, conflicts) = hydrate(&a).unwrap();
        assert_eq!(merged["x"], 2);
        assert_eq!(conflicts.len(), 1);
        assert_eq!(conflicts[0].path, "status");
        let mut vals = conflicts[0].values.clone();
        vals.sort_by_key(|v| v.to_string());
        assert_eq!(vals, [json!("cancelled"), json!("done")]);
        // Re-writing the same content elsewhere does not silently settle the conflict.
        reconcile_root(
            &mut a,
            &merged,
            &json!({"status": merged["status"], "x": 3}),
        )
        .unwrap();
        assert_eq!(hydrate(&a).unwrap().1.len(), 1);
        put_path(&mut a, "status", &json!("done")).unwrap();
        let (after, conflicts) = hydrate(&a).unwrap();
        assert_eq!(after["status"], "done");
        assert!(conflicts.is_empty());
    }

    #[test]
    fn removing_from_the_middle_of_a_list_deletes_just_that_element() {
        let v = json!({"l": ["a", "b", "c", "d"]});
        let mut a = doc_with(&v);
        let mut b = a.fork();
        reconcile_root(&mut a, &v, &json!({"l": ["a", "c", "d"]})).unwrap();
        reconcile_root(&mut b, &v, &json!({"l": ["a", "b", "c", "d", "e"]})).unwrap();
        a.merge(&mut b).unwrap();
        assert_eq!(hydrate(&a).unwrap().0, json!({"l": ["a", "c", "d", "e"]}));
    }

    #[test]
    fn paths_parse_or_fail_clearly() {
        assert_eq!(
            parse_path("data.members[1].phone").unwrap(),
            vec![
                Prop::Map("data".into()),
                Prop::Map("members".into()),
                Prop::Seq(1),
                Prop::Map("phone".into())
            ]
        );
        for bad in ["", "a..b", "a[x]", "a[1", "a[1]b"] {
            assert!(parse_path(bad).is_err(), "{bad}");
        }
    }
}
