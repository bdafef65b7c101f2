//! What the screens read: the home screen, lists and search, a record with its conflicts, a
//! household's dossier and the chief's review. All from the store's projection, except an
//! opened record, which is read from its document.

use std::collections::BTreeMap;

use beatbook_model::fields;
use beatbook_model::{
    format_local, path_label, Body, Kind, Lang, Record, RecordId, RiskLevel, SHANGHAI,
};
use beatbook_store::{ListQuery, Store, Summary};
use beatbook_sync::LAST_SYNC_META_KEY;
use chrono::{DateTime, Duration, NaiveDate, SecondsFormat, Utc};
use serde_json::Value as Json;

use crate::error::Result;
use crate::types::{self, *};
use crate::Session;

fn rfc(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn store_err(s: &Session<'_>) -> impl Fn(beatbook_store::StoreError) -> AppError {
    let lang = s.lang;
    move |e| AppError::store(&e, lang)
}

fn status_label(kind: Kind, status: Option<&str>, lang: Lang) -> Option<String> {
    status.map(|st| fields::status_label(kind, st, lang))
}

/// The list line of a projected record.
pub(crate) fn item(s: &Session<'_>, r: &Summary) -> Item {
    Item {
        id: r.id.to_string(),
        kind: r.kind.as_str().to_owned(),
        kind_label: r.kind.label(s.lang).to_owned(),
        village: r.scope.village.as_str().to_owned(),
        village_name: s.village_name(r.scope.village.as_str()),
        title: r.title.clone(),
        status: r.status.clone(),
        status_label: status_label(r.kind, r.status.as_deref(), s.lang),
        occurred_at: rfc(r.occurred_at),
        occurred_local: format_local(r.occurred_at),
        due_at: r.due_at.map(rfc),
        due_local: r.due_at.map(format_local),
        assignee: r.assignee.as_ref().map(|a| a.as_str().to_owned()),
        conflicts: r.conflicts as u32,
        reviewed: r.reviewed,
    }
}

fn record_item(s: &Session<'_>, r: &Record, conflicts: usize) -> Item {
    let occurred = r.body.occurred_at().unwrap_or(r.created_at);
    Item {
        id: r.id.to_string(),
        kind: r.kind().as_str().to_owned(),
        kind_label: r.kind().label(s.lang).to_owned(),
        village: r.scope.village.as_str().to_owned(),
        village_name: s.village_name(r.scope.village.as_str()),
        title: r.body.title(),
        status: r.body.status().map(str::to_owned),
        status_label: status_label(r.kind(), r.body.status(), s.lang),
        occurred_at: rfc(occurred),
        occurred_local: format_local(occurred),
        due_at: r.body.due_at().map(rfc),
        due_local: r.body.due_at().map(format_local),
        assignee: r.body.assignee().map(|a| a.as_str().to_owned()),
        conflicts: conflicts as u32,
        reviewed: r.review.is_some(),
    }
}

/// Pending changes and the last sync.
pub(crate) fn sync_state(store: &Store, lang: Lang) -> Result<SyncState> {
    let err = |e| AppError::store(&e, lang);
    let last = store
        .get_meta(LAST_SYNC_META_KEY)
        .map_err(err)?
        .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
        .map(|t| t.to_utc());
    Ok(SyncState {
        pending: store.pending_count().map_err(err)? as u32,
        set_aside: store.set_aside_changes().map_err(err)?.len() as u32,
        last_sync_at: last.map(rfc),
        last_sync_local: last.map(format_local),
        unreadable: store.unreadable().map_err(err)?.len() as u32,
    })
}

fn query(s: &Session<'_>, q: ListQuery) -> Result<Vec<Summary>> {
    s.store.list(&q).map_err(store_err(s))
}

fn of_kind(kind: Kind) -> ListQuery {
    ListQuery {
        kind: Some(kind),
        limit: Some(10_000),
        ..ListQuery::default()
    }
}

fn today(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&SHANGHAI).date_naive()
}

/// How long a key person may go unchecked at each risk level.
fn check_interval(risk: RiskLevel) -> Duration {
    match risk {
        RiskLevel::High => Duration::days(7),
        RiskLevel::Medium => Duration::days(30),
        RiskLevel::Low => Duration::days(90),
    }
}

pub(crate) fn home(s: &mut Session<'_>) -> Result<Home> {
    let now = Utc::now();
    let me = s.me_name().to_owned();
    let mut tasks = query(
        s,
        ListQuery {
            assignee: Some(me.as_str().into()),
            status: Some("open".into()),
            ..of_kind(Kind::Task)
        },
    )?;
    tasks.sort_by_key(|t| t.due_at);
    let (mut tasks_today, mut tasks_overdue, mut tasks_later) = (vec![], vec![], vec![]);
    for t in &tasks {
        let due = t.due_at.unwrap_or(t.occurred_at);
        let line = item(s, t);
        if due < now {
            tasks_overdue.push(line);
        } else if today(due) == today(now) {
            tasks_today.push(line);
        } else {
            tasks_later.push(line);
        }
    }
    let mut open_hazards = Vec::new();
    for status in ["open", "rectifying"] {
        let q = ListQuery {
            status: Some(status.into()),
            ..of_kind(Kind::Hazard)
        };
        open_hazards.extend(query(s, q)?.iter().map(|r| item(s, r)));
    }
    let mut open_disputes = Vec::new();
    for status in ["reported", "mediating", "resolved", "referred"] {
        let q = ListQuery {
            status: Some(status.into()),
            ..of_kind(Kind::Dispute)
        };
        open_disputes.extend(query(s, q)?.iter().map(|r| item(s, r)));
    }
    let mut key_persons_due = Vec::new();
    let mine = query(
        s,
        ListQuery {
            assignee: Some(me.as_str().into()),
            ..of_kind(Kind::KeyPerson)
        },
    )?;
    for kp in &mine {
        let Some(Record {
            body: Body::KeyPerson(person),
            ..
        }) = s.store.get(kp.id).map_err(store_err(s))?
        else {
            continue;
        };
        let last = s
            .store
            .referring_to(kp.id)
            .map_err(store_err(s))?
            .into_iter()
            .filter(|r| r.kind == Kind::KeyPersonCheck)
            .map(|r| r.occurred_at)
            .max();
        if last.is_none_or(|t| now - t > check_interval(person.risk_level)) {
            key_persons_due.push(item(s, kp));
        }
    }
    let all = query(
        s,
        ListQuery {
            limit: Some(100_000),
            ..ListQuery::default()
        },
    )?;
    let conflicted = all
        .iter()
        .filter(|r| r.conflicts > 0)
        .map(|r| item(s, r))
        .collect();
    let mut ongoing_patrol = None;
    for p in query(
        s,
        ListQuery {
            status: Some("ongoing".into()),
            ..of_kind(Kind::Patrol)
        },
    )? {
        let author = s.store.get(p.id).map_err(store_err(s))?.map(|r| r.author);
        if author.is_some_and(|a| a.as_str() == me) {
            ongoing_patrol = Some(item(s, &p));
            break;
        }
    }
    Ok(Home {
        tasks_today,
        tasks_overdue,
        tasks_later,
        open_hazards,
        open_disputes,
        key_persons_due,
        conflicted,
        ongoing_patrol,
        sync: sync_state(&s.store, s.lang)?,
    })
}

fn day_start(day: &str) -> Option<DateTime<Utc>> {
    NaiveDate::parse_from_str(day.trim(), "%Y-%m-%d")
        .ok()?
        .and_hms_opt(0, 0, 0)?
        .and_local_timezone(SHANGHAI)
        .single()
        .map(|t| t.to_utc())
}

fn list_query(s: &Session<'_>, f: &Filter) -> Result<ListQuery> {
    let kind = f
        .kind
        .as_deref()
        .filter(|k| !k.is_empty())
        .map(|k| crate::forms::kind(k, s.lang))
        .transpose()?;
    let nonempty = |v: &Option<String>| v.clone().filter(|v| !v.is_empty());
    Ok(ListQuery {
        kind,
        village: nonempty(&f.village).map(beatbook_model::VillageId),
        status: nonempty(&f.status),
        assignee: nonempty(&f.assignee).map(beatbook_model::UserId),
        since: f.from.as_deref().and_then(day_start),
        until: f
            .to
            .as_deref()
            .and_then(day_start)
            .map(|t| t + Duration::days(1)),
        limit: Some(f.limit.unwrap_or(500) as usize),
        reviewed: f.reviewed,
        ..ListQuery::default()
    })
}

pub(crate) fn list(s: &mut Session<'_>, f: &Filter) -> Result<Vec<Item>> {
    let q = list_query(s, f)?;
    let rows = query(s, q)?;
    Ok(rows.iter().map(|r| item(s, r)).collect())
}

pub(crate) fn search(s: &mut Session<'_>, text: &str, kind: Option<&str>) -> Result<Vec<Item>> {
    let kind = kind
        .filter(|k| !k.is_empty())
        .map(|k| crate::forms::kind(k, s.lang))
        .transpose()?;
    let rows = s.store.search(text, 200).map_err(store_err(s))?;
    Ok(rows
        .iter()
        .filter(|r| kind.is_none_or(|k| r.kind == k))
        .map(|r| item(s, r))
        .collect())
}

/// A value as people read it.
fn shown(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        Json::Null => "—".into(),
        other => other.to_string(),
    }
}

pub(crate) fn open(s: &mut Session<'_>, id: RecordId) -> Result<types::RecordView> {
    let view = s.store.open_record(id).map_err(store_err(s))?;
    let r = &view.record;
    let writable = !r.deleted && s.device.user.assignment.can_write(r.kind(), &r.scope);
    let reviewable = !r.deleted && s.device.user.assignment.can_review(&r.scope);
    Ok(types::RecordView {
        item: record_item(s, r, view.conflicts.len()),
        author: r.author.as_str().to_owned(),
        created_local: format_local(r.created_at),
        updated_local: format_local(r.updated_at),
        deleted: r.deleted,
        data: r.body.data_json(),
        conflicts: view
            .conflicts
            .iter()
            .map(|c| ConflictView {
                path: c.path.clone(),
                label: path_label(c.path.trim_start_matches("data."), s.lang),
                values: c.values.clone(),
                shown: c.values.iter().map(shown).collect(),
            })
            .collect(),
        writable,
        review: r.review.as_ref().map(|v| ReviewNote {
            by: v.by.as_str().to_owned(),
            at: rfc(v.at),
            at_local: format_local(v.at),
            comment: v.comment.clone(),
        }),
        reviewable,
    })
}

pub(crate) fn related(s: &mut Session<'_>, id: RecordId) -> Result<Vec<Item>> {
    let rows = s.store.referring_to(id).map_err(store_err(s))?;
    Ok(rows.iter().map(|r| item(s, r)).collect())
}

pub(crate) fn dossier(s: &mut Session<'_>, id: RecordId) -> Result<Dossier> {
    let record = open(s, id)?;
    // The same gathering as the printed dossier (beatbook-dossier): what refers to the
    // household, then what those raised.
    let timeline = beatbook_dossier::related(&s.store, &[id]).map_err(store_err(s))?;
    Ok(Dossier {
        record,
        timeline: timeline.iter().map(|r| item(s, r)).collect(),
    })
}

/// Whom a task can be given to, the user first: the officers and auxiliaries the server
/// listed at login; from an older server that lists nobody, the people this device knows of in
/// the user's scope (who recorded something and who was assigned something).
pub(crate) fn colleagues(s: &mut Session<'_>) -> Result<Vec<String>> {
    let me = s.me_name().to_owned();
    let staff = beatbook_sync::Device::staff(&s.store).unwrap_or_default();
    if !staff.is_empty() {
        let others = staff
            .into_iter()
            .filter(|u| {
                matches!(
                    u.assignment.role,
                    beatbook_model::Role::CommunityOfficer | beatbook_model::Role::Auxiliary
                ) && u.username != me
            })
            .map(|u| u.username)
            .collect::<Vec<_>>();
        return Ok(std::iter::once(me).chain(others).collect());
    }
    let rows = query(
        s,
        ListQuery {
            limit: Some(100_000),
            ..ListQuery::default()
        },
    )?;
    let mut seen = std::collections::BTreeSet::new();
    for r in &rows {
        if let Some(a) = &r.assignee {
            seen.insert(a.as_str().to_owned());
        }
        if let Some(rec) = s.store.get(r.id).map_err(store_err(s))? {
            seen.insert(rec.author.as_str().to_owned());
        }
    }
    seen.remove(&me);
    Ok(std::iter::once(me).chain(seen).collect())
}

pub(crate) fn review(s: &mut Session<'_>, f: &Filter) -> Result<Review> {
    let mut q = list_query(s, f)?;
    q.limit = Some(f.limit.unwrap_or(5_000) as usize);
    let rows = query(s, q)?;
    let author_filter = f.author.clone().filter(|a| !a.is_empty());
    let mut items = Vec::new();
    let mut counts: BTreeMap<String, BTreeMap<Kind, u32>> = BTreeMap::new();
    for r in &rows {
        let author = match s.store.get(r.id).map_err(store_err(s))? {
            Some(rec) => rec.author.as_str().to_owned(),
            None => continue,
        };
        if author_filter.as_ref().is_some_and(|a| a != &author) {
            continue;
        }
        *counts
            .entry(author.clone())
            .or_default()
            .entry(r.kind)
            .or_default() += 1;
        items.push(ReviewItem {
            item: item(s, r),
            author,
        });
    }
    let officers = counts
        .into_iter()
        .map(|(author, by_kind)| OfficerCount {
            total: by_kind.values().sum(),
            by_kind: by_kind
                .into_iter()
                .map(|(k, n)| (k.label(s.lang).to_owned(), n))
                .collect(),
            author,
        })
        .collect();
    Ok(Review { items, officers })
}
