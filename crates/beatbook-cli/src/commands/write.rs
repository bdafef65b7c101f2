//! Commands that change records: `new`, `edit`, `delete`, `resolve`, and the domain actions
//! that are more than a field edit (a dispute's sessions and status, clearing a hazard,
//! completing a task, ending a patrol). Every change goes through the store, so the model's
//! rules and status machines decide what is allowed.

use crate::cli::{DisputeCommand, EditArgs, HazardCommand, NewArgs, PatrolCommand, TaskCommand};
use crate::error::{Exit, Failure, Result};
use crate::fields;
use crate::home::{Home, Session};
use crate::render;
use crate::values::{self, record_id, time_arg};
use beatbook_model::{
    Body, DisputeStatus, HazardStatus, Kind, Lang, Observation, Record, Referral,
    Session as MediationSession, TaskStatus, UserId,
};
use beatbook_store::RecordView;
use chrono::{DateTime, SubsecRound, Utc};
use serde_json::{Map, Value as Json};
use std::io::Read;

/// Parses a record kind as users write it (`key-person`, `key_person`, `重点人员`).
pub fn kind_arg(raw: &str) -> Result<Kind> {
    Ok(raw.parse::<Kind>()?)
}

/// The text of `--json`, reading standard input for `-`.
fn json_arg(arg: Option<String>) -> Result<Option<String>> {
    match arg.as_deref() {
        Some("-") => {
            let mut s = String::new();
            std::io::stdin().read_to_string(&mut s)?;
            Ok(Some(s))
        }
        _ => Ok(arg),
    }
}

fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(3)
}

/// `beatbook new KIND …`: prints the new record's id.
pub fn new(home: &Home, args: NewArgs) -> Result<String> {
    let kind = kind_arg(&args.kind)?;
    let mut data = Map::new();
    let json = json_arg(args.json)?;
    values::apply_input(kind, &mut data, json.as_deref(), &args.sets)?;
    let mut s = home.session()?;
    let scope = s.scope_for_new(kind, args.village.as_deref())?;
    values::fill_defaults(kind, &mut data, s.me(), now());
    let body = values::body(kind, data)?;
    let author = UserId::from(s.me());
    let draft = Record::new(scope.clone(), author.clone(), now(), body.clone());
    allowed(&s, None, &draft)?;
    let record = s.store.create(&author, scope, body)?;
    Ok(format!("{}\n", record.id))
}

/// The model's access rule for turning `before` (absent for a new record) into `after`, as
/// the server enforces it on what this device sends (e.g. only the assignee completes a task).
fn allowed(s: &Session, before: Option<&Record>, after: &Record) -> Result<()> {
    s.assignment()
        .check_change(&UserId::from(s.me()), before, after)
        .map_err(|d| Failure::bad_input(d.code(), d.message(Lang::Zh), d.message(Lang::En)))
}

/// The field a conflict path belongs to: `data.members[1].phone` → `members`.
fn top_field(path: &str) -> &str {
    let rest = path.strip_prefix("data.").unwrap_or(path);
    rest.split(['.', '[']).next().unwrap_or(rest)
}

/// Loads a record for changing: it must exist, be alive and lie in the user's scope.
fn load(s: &mut Session, raw_id: &str) -> Result<RecordView> {
    let id = record_id(raw_id)?;
    let view = s.store.open_record(id)?;
    if view.record.deleted {
        return Err(beatbook_store::StoreError::Deleted(id).into());
    }
    s.check_write(view.record.kind(), &view.record.scope)?;
    Ok(view)
}

/// Writes `body` over the record unless it changes a field that holds conflicting values:
/// writing there would silently drop the values nobody chose, so the user settles it first.
fn save(s: &mut Session, view: &RecordView, body: Body) -> Result<Record> {
    allowed(
        s,
        Some(&view.record),
        &Record {
            body: body.clone(),
            ..view.record.clone()
        },
    )?;
    let old = view.record.body.data_json();
    let new = body.data_json();
    let differs = |name: &str| old.get(name) != new.get(name);
    if let Some(c) = view
        .conflicts
        .iter()
        .find(|c| c.path.starts_with("data.") && differs(top_field(&c.path)))
    {
        let field = c.path.trim_start_matches("data.");
        let shown: Vec<String> = c.values.iter().map(|v| render::flat(v, Lang::Zh)).collect();
        let id = view.record.id;
        return Err(Failure::new(
            Exit::Conflict,
            "conflict",
            format!(
                "字段 {field} 有两台设备同时写入的不同值（{}），请先选定：beatbook resolve {id} {field} 值",
                shown.join(" | ")
            ),
            format!(
                "the field {field} holds conflicting values ({}); settle them first: beatbook resolve {id} {field} VALUE",
                c.values.iter().map(Json::to_string).collect::<Vec<_>>().join(" | ")
            ),
        ));
    }
    Ok(s.store.update(view.record.id, body)?)
}

/// `beatbook edit ID --set …`.
pub fn edit(home: &Home, args: EditArgs) -> Result<String> {
    let json = json_arg(args.json)?;
    if json.is_none() && args.sets.is_empty() {
        return Err(Failure::bad_input(
            "nothing_to_change",
            "没有要改的内容：请用 --set 字段=值 或 --json",
            "nothing to change: give --set FIELD=VALUE or --json",
        ));
    }
    let mut s = home.session()?;
    let view = load(&mut s, &args.id)?;
    let kind = view.record.kind();
    let mut data = match view.record.body.data_json() {
        Json::Object(m) => m,
        _ => Map::new(),
    };
    values::apply_input(kind, &mut data, json.as_deref(), &args.sets)?;
    let body = values::body(kind, data)?;
    let record = save(&mut s, &view, body)?;
    Ok(saved(&record, home.lang))
}

/// `beatbook delete ID`.
pub fn delete(home: &Home, raw_id: &str) -> Result<String> {
    let mut s = home.session()?;
    let view = load(&mut s, raw_id)?;
    allowed(
        &s,
        Some(&view.record),
        &Record {
            deleted: true,
            ..view.record.clone()
        },
    )?;
    let record = s.store.delete(view.record.id)?;
    Ok(match home.lang {
        Lang::Zh => format!(
            "已删除 {}（{}）\n",
            record.id,
            record.kind().label(Lang::Zh)
        ),
        Lang::En => format!(
            "deleted {} ({})\n",
            record.id,
            record.kind().label(Lang::En)
        ),
    })
}

/// `beatbook resolve ID FIELD VALUE`.
pub fn resolve(home: &Home, raw_id: &str, field: &str, raw: &str) -> Result<String> {
    let mut s = home.session()?;
    let view = load(&mut s, raw_id)?;
    let kind = view.record.kind();
    let wanted = field.trim();
    let conflict = view
        .conflicts
        .iter()
        .find(|c| c.path == wanted || c.path == format!("data.{wanted}"))
        .ok_or_else(|| {
            let open: Vec<&str> = view
                .conflicts
                .iter()
                .map(|c| c.path.trim_start_matches("data."))
                .collect();
            let (zh, en) = if open.is_empty() {
                ("这条记录没有冲突".to_owned(), "the record has no conflicts".to_owned())
            } else {
                (
                    format!("有冲突的字段：{}", open.join("、")),
                    format!("conflicting fields: {}", open.join(", ")),
                )
            };
            Failure::bad_input(
                "no_conflict",
                format!("字段 {wanted} 没有冲突（{zh}）；普通修改请用 beatbook edit"),
                format!("the field {wanted} holds no conflict ({en}); use beatbook edit for ordinary changes"),
            )
        })?;
    let path = conflict.path.clone();
    let value = match fields::field(kind, path.trim_start_matches("data.")) {
        Some(f) => values::parse_value(f, raw)?,
        // A nested field (members[1].phone): JSON if it reads as JSON, else text.
        None => serde_json::from_str(raw).unwrap_or_else(|_| Json::String(raw.to_owned())),
    };
    let record = s.store.resolve(view.record.id, &path, value)?;
    Ok(match home.lang {
        Lang::Zh => format!(
            "已选定 {} 的 {}\n",
            record.id,
            path.trim_start_matches("data.")
        ),
        Lang::En => format!(
            "settled {} of {}\n",
            path.trim_start_matches("data."),
            record.id
        ),
    })
}

/// One line confirming a saved record and its status.
fn saved(record: &Record, lang: Lang) -> String {
    let kind = record.kind();
    let status = record
        .body
        .status()
        .map(|st| render::status(kind, Some(st), lang));
    match (lang, status) {
        (Lang::Zh, Some(st)) => {
            format!("已保存 {}（{}），状态：{st}\n", record.id, kind.label(lang))
        }
        (Lang::Zh, None) => format!("已保存 {}（{}）\n", record.id, kind.label(lang)),
        (Lang::En, Some(st)) => {
            format!("saved {} ({}), status: {st}\n", record.id, kind.label(lang))
        }
        (Lang::En, None) => format!("saved {} ({})\n", record.id, kind.label(lang)),
    }
}

/// Loads a record of `kind`, lets `f` change its body, and saves it.
fn act(
    home: &Home,
    raw_id: &str,
    kind: Kind,
    f: impl FnOnce(&mut Session, &mut Body) -> Result<()>,
) -> Result<String> {
    let mut s = home.session()?;
    let view = load(&mut s, raw_id)?;
    if view.record.kind() != kind {
        return Err(Failure::bad_input(
            "wrong_kind",
            format!(
                "记录 {} 是{}，不是{}",
                view.record.id,
                view.record.kind().label(Lang::Zh),
                kind.label(Lang::Zh)
            ),
            format!(
                "record {} is a {}, not a {}",
                view.record.id,
                view.record.kind().label(Lang::En).to_lowercase(),
                kind.label(Lang::En).to_lowercase()
            ),
        ));
    }
    let mut body = view.record.body.clone();
    f(&mut s, &mut body)?;
    let record = save(&mut s, &view, body)?;
    Ok(saved(&record, home.lang))
}

/// A choice typed by the user, as the model's enum.
fn typed<T: serde::de::DeserializeOwned>(
    what: &'static str,
    choices: &'static [fields::Choice],
    raw: &str,
) -> Result<T> {
    let field = fields::Field {
        name: what,
        ty: fields::FieldType::Choice(choices),
        required: true,
        optional: false,
        fill: None,
        zh: what,
        en: what,
    };
    let code = values::parse_value(&field, raw)?;
    serde_json::from_value(code)
        .map_err(|e| Failure::bad_input("bad_value", e.to_string(), e.to_string()))
}

fn mismatch() -> Failure {
    Failure::other("internal", "记录类型不符", "record kind mismatch")
}

/// Appends a line to free text.
fn append(text: &mut String, line: &str) {
    if !text.trim().is_empty() {
        text.push('\n');
    }
    text.push_str(line);
}

/// `beatbook dispute …`.
pub fn dispute(home: &Home, cmd: DisputeCommand) -> Result<String> {
    match cmd {
        DisputeCommand::Session {
            id,
            notes,
            outcome,
            participants,
            at,
        } => {
            let held_at = match at {
                Some(t) => time_arg("--at", &t)?,
                None => now(),
            };
            act(home, &id, Kind::Dispute, |_, body| {
                let Body::Dispute(d) = body else {
                    return Err(mismatch());
                };
                d.sessions.push(MediationSession {
                    held_at,
                    participants,
                    notes,
                    outcome: outcome.unwrap_or_default(),
                });
                if d.status == DisputeStatus::Reported {
                    d.status = DisputeStatus::Mediating;
                }
                Ok(())
            })
        }
        DisputeCommand::Move {
            id,
            status,
            referral,
            outcome,
            agreement,
        } => {
            let status: DisputeStatus = typed("status", fields::DISPUTE_STATUS, &status)?;
            let referral: Option<Referral> = referral
                .map(|r| typed("referral", fields::REFERRAL, &r))
                .transpose()?;
            act(home, &id, Kind::Dispute, |_, body| {
                let Body::Dispute(d) = body else {
                    return Err(mismatch());
                };
                if status == DisputeStatus::Resolved && d.status != DisputeStatus::Resolved {
                    d.resolved_at = Some(now());
                }
                d.status = status;
                if referral.is_some() {
                    d.referral = referral;
                }
                if let Some(o) = outcome {
                    d.outcome = o;
                }
                if let Some(a) = agreement {
                    d.agreement = a;
                }
                Ok(())
            })
        }
    }
}

/// `beatbook hazard …`.
pub fn hazard(home: &Home, cmd: HazardCommand) -> Result<String> {
    match cmd {
        HazardCommand::Rectify { id, note, deadline } => {
            let deadline = deadline.map(|d| time_arg("--deadline", &d)).transpose()?;
            act(home, &id, Kind::Hazard, |_, body| {
                let Body::Hazard(h) = body else {
                    return Err(mismatch());
                };
                h.status = HazardStatus::Rectifying;
                if let Some(n) = note {
                    append(&mut h.rectification, &n);
                }
                if deadline.is_some() {
                    h.deadline = deadline;
                }
                Ok(())
            })
        }
        HazardCommand::Clear { id, note } => act(home, &id, Kind::Hazard, |s, body| {
            let Body::Hazard(h) = body else {
                return Err(mismatch());
            };
            if h.status != HazardStatus::Cleared {
                h.cleared_by = Some(s.device.user.username.as_str().into());
            }
            h.status = HazardStatus::Cleared;
            h.cleared_at = Some(now());
            h.clearance_note = note.unwrap_or_default();
            Ok(())
        }),
    }
}

/// `beatbook task …`.
pub fn task(home: &Home, cmd: TaskCommand) -> Result<String> {
    match cmd {
        TaskCommand::Assign(args) => super::station::assign(home, args),
        TaskCommand::Bulk(args) => super::station::bulk(home, args),
        TaskCommand::Done { id, record } => {
            let done_by = record_id(&record)?;
            act(home, &id, Kind::Task, |s, body| {
                if s.store.get(done_by)?.is_none() {
                    return Err(beatbook_store::StoreError::NotFound(done_by).into());
                }
                let Body::Task(t) = body else {
                    return Err(mismatch());
                };
                t.status = TaskStatus::Done;
                t.completed_by = Some(done_by);
                Ok(())
            })
        }
        TaskCommand::Cancel { id, reason } => act(home, &id, Kind::Task, |_, body| {
            let Body::Task(t) = body else {
                return Err(mismatch());
            };
            t.status = TaskStatus::Cancelled;
            t.cancel_reason = reason.unwrap_or_default();
            Ok(())
        }),
    }
}

/// `beatbook patrol …`.
pub fn patrol(home: &Home, cmd: PatrolCommand) -> Result<String> {
    match cmd {
        PatrolCommand::End { id, at } => {
            let at = match at {
                Some(t) => time_arg("--at", &t)?,
                None => now(),
            };
            act(home, &id, Kind::Patrol, |_, body| {
                let Body::Patrol(p) = body else {
                    return Err(mismatch());
                };
                if p.ended_at.is_some() {
                    return Err(Failure::bad_input(
                        "already_ended",
                        "这次巡逻已经结束",
                        "the patrol has already ended",
                    ));
                }
                p.ended_at = Some(at);
                Ok(())
            })
        }
        PatrolCommand::Observe {
            id,
            text,
            place,
            incident,
        } => act(home, &id, Kind::Patrol, |_, body| {
            let Body::Patrol(p) = body else {
                return Err(mismatch());
            };
            p.observations.push(Observation {
                at: now(),
                place: place.unwrap_or_default(),
                location: None,
                text,
                incident,
            });
            Ok(())
        }),
    }
}
