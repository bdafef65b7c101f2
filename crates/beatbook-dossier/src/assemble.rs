//! Gathering a dossier from the store: the subject, every record that refers to it (and what
//! those raised), each turned into dated entries with who did what.

use crate::{t, Dossier, DossierError, Entry, Options, Pair, Person, Subject};
use automerge::{AutoCommit, Change};
use beatbook_model::fields::{self, FieldType, Fill};
use beatbook_model::{format_local, Body, Kind, Lang, Record, RecordId};
use beatbook_store::{ListQuery, Store, StoreError, Summary};
use chrono::{DateTime, Utc};
use serde_json::Value as Json;
use std::collections::{HashMap, HashSet};

/// Records that concern `roots`, oldest first: those referring to a root (a household's
/// visits, key persons, disputes, tasks), then those referring to them in turn (a key
/// person's checks, the hazard or dispute a visit raised, the task a visit completed). Two
/// steps, because a dossier is about one subject, not the whole village.
pub fn related(store: &Store, roots: &[RecordId]) -> Result<Vec<Summary>, StoreError> {
    let mut seen: HashSet<RecordId> = roots.iter().copied().collect();
    let mut found = Vec::new();
    let mut frontier = roots.to_vec();
    for _ in 0..2 {
        let mut next = Vec::new();
        for target in frontier {
            for r in store.referring_to(target)? {
                if seen.insert(r.id) {
                    next.push(r.id);
                    found.push(r);
                }
            }
        }
        frontier = next;
    }
    found.sort_by_key(|r| (r.occurred_at, r.id));
    Ok(found)
}

/// When a record's status changed and to what, replayed from its document's history: each
/// change carries the time of the device that made it. The status it was created with is not
/// a move.
fn status_moves(
    store: &mut Store,
    id: RecordId,
) -> Result<Vec<(DateTime<Utc>, String)>, StoreError> {
    let damaged = |e: &dyn std::fmt::Display| StoreError::Document(e.to_string());
    let mut doc = AutoCommit::new();
    let mut last: Option<String> = None;
    let mut out = Vec::new();
    for bytes in store.record_changes(id)? {
        let change = Change::from_bytes(bytes).map_err(|e| damaged(&e))?;
        let at = DateTime::from_timestamp_millis(change.timestamp());
        doc.apply_changes([change]).map_err(|e| damaged(&e))?;
        let (json, _) = beatbook_doc::hydrate(&doc).map_err(|e| damaged(&e))?;
        let status = json["data"]["status"].as_str().map(str::to_owned);
        if status.is_none() || status == last {
            continue;
        }
        if let (Some(_), Some(at), Some(code)) = (&last, at, &status) {
            out.push((at, code.clone()));
        }
        last = status;
    }
    Ok(out)
}

/// A unit is not a record of its own: it is every inspection of the same unit name in the
/// same village.
fn unit_key(name: &str) -> String {
    name.split_whitespace().collect::<String>()
}

fn inspections_of_unit(store: &Store, first: &Record) -> Result<Vec<Record>, StoreError> {
    let Body::Inspection(insp) = &first.body else {
        return Ok(vec![first.clone()]);
    };
    let key = unit_key(&insp.unit_name);
    let q = ListQuery {
        kind: Some(Kind::Inspection),
        village: Some(first.scope.village.clone()),
        limit: Some(100_000),
        ..ListQuery::default()
    };
    let mut out = Vec::new();
    for s in store.list(&q)? {
        if let Some(r) = store.get(s.id)? {
            if matches!(&r.body, Body::Inspection(i) if unit_key(&i.unit_name) == key) {
                out.push(r);
            }
        }
    }
    if out.is_empty() {
        out.push(first.clone());
    }
    Ok(out)
}

/// Assembles the dossier of record `id`. A visit leads to its household and a check to its
/// key person; an inspection leads to its unit.
pub fn assemble(store: &mut Store, id: RecordId, opts: &Options) -> Result<Dossier, DossierError> {
    let get = |id: RecordId| -> Result<Record, DossierError> {
        Ok(store.get(id)?.ok_or(StoreError::NotFound(id))?)
    };
    let mut record = get(id)?;
    let parent = match &record.body {
        Body::Visit(v) => Some(v.household),
        Body::KeyPersonCheck(c) => Some(c.key_person),
        _ => None,
    };
    if let Some(p) = parent.and_then(|p| store.get(p).ok().flatten()) {
        record = p;
    }
    let subject = match record.kind() {
        Kind::Household => Subject::Household,
        Kind::KeyPerson => Subject::KeyPerson,
        Kind::Inspection => Subject::Unit,
        Kind::Dispute => Subject::Dispute,
        kind => return Err(DossierError::NotASubject { id, kind }),
    };
    let roots_records = match subject {
        Subject::Unit => inspections_of_unit(store, &record)?,
        _ => vec![record.clone()],
    };
    let roots: Vec<RecordId> = roots_records.iter().map(|r| r.id).collect();
    let mut all: Vec<Record> = Vec::new();
    let mut have: HashSet<RecordId> = HashSet::new();
    for r in &roots_records {
        have.insert(r.id);
        all.push(r.clone());
    }
    for s in related(store, &roots)? {
        if let Some(r) = store.get(s.id)? {
            have.insert(r.id);
            all.push(r);
        }
    }
    // An inspection names the hazards it raised; they belong in the unit's dossier even when
    // the hazard itself does not point back.
    let raised: Vec<RecordId> = all
        .iter()
        .filter_map(|r| match &r.body {
            Body::Inspection(i) => Some(i.hazards.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    for h in raised {
        if have.insert(h) {
            if let Some(r) = store.get(h)? {
                all.push(r);
            }
        }
    }

    let mut moves = HashMap::new();
    for r in &all {
        if r.body.status().is_some() {
            moves.insert(r.id, status_moves(store, r.id)?);
        }
    }
    let ctx = Ctx {
        store: &*store,
        opts,
        roots: &roots,
        moves,
    };
    let mut entries: Vec<(Entry, usize)> = Vec::new();
    for r in &all {
        let own = subject != Subject::Unit && r.id == record.id;
        for e in ctx.entries(r, own) {
            let n = entries.len();
            entries.push((e, n));
        }
    }
    entries.sort_by(|(a, i), (b, j)| (a.at, &a.record_id, i).cmp(&(b.at, &b.record_id, j)));

    let lang = opts.lang;
    let title_of = match (subject, &record.body) {
        (Subject::Unit, Body::Inspection(i)) => i.unit_name.clone(),
        _ => record.body.title(),
    };
    let title = match lang {
        Lang::Zh => format!("{}档案：{title_of}", subject.label(lang)),
        Lang::En => format!("{} dossier: {title_of}", subject.label(lang)),
    };
    Ok(Dossier {
        subject,
        title,
        record_id: record.id.to_string(),
        facts: ctx.facts(subject, &record, &roots_records),
        people: ctx.people(&record, &all),
        entries: entries.into_iter().map(|(e, _)| e).collect(),
        generated_by: opts.generated_by.clone(),
        generated_at_local: format_local(opts.generated_at),
        lang,
    })
}

/// Fields naming who did the work, shown as the entry's "who" rather than among its details.
const WHO_FIELDS: &[&str] = &[
    "visitors",
    "checked_by",
    "inspectors",
    "patrollers",
    "found_by",
    "assignee",
    "assigned_by",
];

struct Ctx<'a> {
    store: &'a Store,
    opts: &'a Options,
    roots: &'a [RecordId],
    /// Status moves by record: when (the change's time) and to what.
    moves: HashMap<RecordId, Vec<(DateTime<Utc>, String)>>,
}

fn pair(label: impl Into<String>, value: impl Into<String>) -> Pair {
    Pair {
        label: label.into(),
        value: value.into(),
    }
}

fn parse_time(v: &Json) -> Option<DateTime<Utc>> {
    v.as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.to_utc())
}

impl Ctx<'_> {
    fn lang(&self) -> Lang {
        self.opts.lang
    }

    fn name(&self, user: &str) -> String {
        self.opts
            .names
            .get(user)
            .filter(|n| !n.trim().is_empty())
            .cloned()
            .unwrap_or_else(|| user.to_owned())
    }

    fn names<'u>(&self, users: impl IntoIterator<Item = &'u str>) -> String {
        let mut out: Vec<String> = Vec::new();
        for u in users {
            let n = self.name(u);
            if !out.contains(&n) {
                out.push(n);
            }
        }
        out.join("、")
    }

    fn place(&self, id: &str) -> String {
        self.opts
            .places
            .get(id)
            .cloned()
            .unwrap_or_else(|| id.to_owned())
    }

    /// Who did the work a record tells of: the people it names, else its author.
    fn who(&self, r: &Record) -> String {
        let listed: Vec<&str> = match &r.body {
            Body::Visit(v) => v.visitors.iter().map(|u| u.as_str()).collect(),
            Body::KeyPersonCheck(c) => vec![c.checked_by.as_str()],
            Body::Inspection(i) => i.inspectors.iter().map(|u| u.as_str()).collect(),
            Body::Patrol(p) => p.patrollers.iter().map(|u| u.as_str()).collect(),
            Body::Hazard(h) => vec![h.found_by.as_str()],
            Body::Task(task) => {
                return format!(
                    "{} → {}",
                    self.name(task.assigned_by.as_str()),
                    self.name(task.assignee.as_str())
                )
            }
            _ => vec![],
        };
        if listed.is_empty() {
            self.name(r.author.as_str())
        } else {
            self.names(listed)
        }
    }

    /// A value of field `f` as people read it; `None` when empty or shown elsewhere.
    fn value(&self, kind: Kind, f: &fields::Field, v: &Json) -> Option<String> {
        let lang = self.lang();
        let text = match f.ty {
            FieldType::Text | FieldType::LongText => v.as_str().unwrap_or("").trim().to_owned(),
            FieldType::Int => v.as_i64().map(|n| n.to_string()).unwrap_or_default(),
            FieldType::Bool => match v.as_bool() {
                Some(true) => t(lang, "是", "yes").to_owned(),
                Some(false) => t(lang, "否", "no").to_owned(),
                None => String::new(),
            },
            FieldType::Time => parse_time(v).map(format_local).unwrap_or_default(),
            FieldType::User => v.as_str().map(|u| self.name(u)).unwrap_or_default(),
            FieldType::Users => self.names(
                v.as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|u| u.as_str()),
            ),
            FieldType::Choice(choices) => {
                let code = v.as_str().unwrap_or("");
                choices
                    .iter()
                    .find(|c| c.code == code)
                    .map_or_else(|| code.to_owned(), |c| c.label(lang).to_owned())
            }
            FieldType::Choices(choices) => v
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|c| c.as_str())
                .map(|code| {
                    choices
                        .iter()
                        .find(|c| c.code == code)
                        .map_or(code, |c| c.label(lang))
                })
                .collect::<Vec<_>>()
                .join("、"),
            FieldType::Record => {
                let id: RecordId = v.as_str()?.parse().ok()?;
                if self.roots.contains(&id) {
                    return None;
                }
                match self.store.get(id).ok().flatten() {
                    Some(r) => format!("{} · {}", r.kind().label(lang), r.body.title()),
                    None => id.to_string(),
                }
            }
            FieldType::Json(_) if kind == Kind::Inspection && f.name == "items" => v
                .as_array()
                .into_iter()
                .flatten()
                .map(|item| {
                    let passed = item["passed"].as_bool().unwrap_or(false);
                    let mut line = format!(
                        "{} {}",
                        item["item"].as_str().unwrap_or(""),
                        if passed {
                            t(lang, "合格", "passed")
                        } else {
                            t(lang, "不合格", "failed")
                        }
                    );
                    if let Some(note) = item["note"].as_str().filter(|n| !n.trim().is_empty()) {
                        line.push_str(&format!("（{note}）"));
                    }
                    line
                })
                .collect::<Vec<_>>()
                .join("\n"),
            FieldType::Json(_) if kind == Kind::Patrol && f.name == "observations" => v
                .as_array()
                .into_iter()
                .flatten()
                .map(|o| {
                    let at = parse_time(&o["at"]).map(format_local).unwrap_or_default();
                    let place = o["place"].as_str().unwrap_or("");
                    format!("{at} {place} {}", o["text"].as_str().unwrap_or(""))
                        .split_whitespace()
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .collect::<Vec<_>>()
                .join("\n"),
            // Members, parties, sessions, return visits and routes are shown apart (people,
            // entries) or not at all (a route is a list of coordinates).
            FieldType::Json(_) | FieldType::Records | FieldType::Point => String::new(),
        };
        Some(text).filter(|s| !s.is_empty())
    }

    /// The labelled fields of a record, in the field table's order. The time the entry is
    /// dated by is left out (it heads the entry).
    fn details(&self, r: &Record) -> Vec<Pair> {
        let kind = r.kind();
        let data = r.body.data_json();
        fields::fields(kind)
            .iter()
            .filter(|f| !(f.ty == FieldType::Time && f.fill == Some(Fill::Now)))
            .filter_map(|f| {
                let v = data.get(f.name)?;
                self.value(kind, f, v)
                    .map(|value| pair(f.label(self.lang()), value))
            })
            .collect()
    }

    fn entry(&self, r: &Record, at: DateTime<Utc>, what: String, who: String) -> Entry {
        let at_local = format_local(at);
        let title = r.body.title();
        let title = title
            .strip_prefix(at_local.as_str())
            .unwrap_or(&title)
            .trim()
            .to_owned();
        Entry {
            at,
            at_local,
            what,
            who,
            title,
            details: Vec::new(),
            record_id: r.id.to_string(),
        }
    }

    /// The entries of one record: the record itself, then its dated steps.
    fn entries(&self, r: &Record, own: bool) -> Vec<Entry> {
        let lang = self.lang();
        let kind_label = r.kind().label(lang);
        let step = |s: &str| format!("{kind_label} · {s}");
        let label = |kind: Kind, name: &str| {
            fields::field(kind, name).map_or(name.to_owned(), |f| f.label(lang).to_owned())
        };
        // A task is dated by its due time in lists; in a dossier it happened when assigned.
        let at = match r.kind() {
            Kind::Task => r.created_at,
            _ => r.body.occurred_at().unwrap_or(r.created_at),
        };
        let mut main = self.entry(r, at, kind_label.to_owned(), self.who(r));
        if own {
            // The subject's own fields head the dossier; its entry just says it was filed.
            main.what = step(t(lang, "建档", "filed"));
            main.who = self.name(r.author.as_str());
            if let Body::Dispute(d) = &r.body {
                main.what = step(t(lang, "登记", "reported"));
                main.details = vec![pair(
                    fields::field(Kind::Dispute, "description").map_or("", |f| f.label(lang)),
                    d.description.trim(),
                )];
            }
        } else {
            // Who and the title already head the entry.
            let title = main.title.clone();
            main.details = self
                .details(r)
                .into_iter()
                .filter(|p| !WHO_FIELDS.iter().any(|f| label(r.kind(), f) == p.label))
                .filter(|p| p.value != title)
                .collect();
        }
        let mut out = vec![main];
        let author = self.name(r.author.as_str());
        match &r.body {
            Body::Dispute(d) => {
                for s in &d.sessions {
                    let mut e = self.entry(r, s.held_at, step(t(lang, "调解", "mediation")), {
                        author.clone()
                    });
                    if !s.participants.is_empty() {
                        e.details.push(pair(
                            t(lang, "参加人", "participants"),
                            s.participants.join("、"),
                        ));
                    }
                    if !s.notes.trim().is_empty() {
                        e.details
                            .push(pair(t(lang, "调解经过", "notes"), s.notes.trim()));
                    }
                    if !s.outcome.trim().is_empty() {
                        e.details
                            .push(pair(t(lang, "本次结果", "outcome"), s.outcome.trim()));
                    }
                    out.push(e);
                }
                if let Some(rv) = &d.return_visit {
                    let mut e = self.entry(
                        r,
                        rv.at,
                        step(t(lang, "回访", "return visit")),
                        author.clone(),
                    );
                    if !rv.notes.trim().is_empty() {
                        e.details
                            .push(pair(t(lang, "回访情况", "notes"), rv.notes.trim()));
                    }
                    out.push(e);
                }
            }
            Body::Patrol(p) => {
                if let Some(end) = p.ended_at {
                    out.push(self.entry(r, end, step(t(lang, "结束", "ended")), self.who(r)));
                }
            }
            _ => {}
        }
        // Status moves, dated by the change that made them.
        for (at, code) in self.moves.get(&r.id).into_iter().flatten() {
            let status = fields::status_label(r.kind(), code, lang);
            let who = match &r.body {
                Body::Task(task) => self.name(task.assignee.as_str()),
                Body::Hazard(h) if code == "cleared" => h
                    .cleared_by
                    .as_ref()
                    .map_or_else(|| author.clone(), |u| self.name(u.as_str())),
                _ => author.clone(),
            };
            let mut e = self.entry(
                r,
                *at,
                step(&format!("{}{status}", t(lang, "状态：", "status: "))),
                who,
            );
            e.details = self.move_details(r, code);
            out.push(e);
        }
        out
    }

    /// What a record says about a move to status `code`: where a dispute was referred, how
    /// it was resolved, how a hazard is being put right or was cleared, what did a task.
    fn move_details(&self, r: &Record, code: &str) -> Vec<Pair> {
        let names: &[&str] = match (r.kind(), code) {
            (Kind::Dispute, "referred") => &["referral"],
            (Kind::Dispute, "resolved") => &["outcome", "agreement"],
            (Kind::Hazard, "rectifying") => &["rectification", "deadline"],
            (Kind::Hazard, "cleared") => &["cleared_at", "clearance_note"],
            (Kind::Task, "done") => &["completed_by"],
            (Kind::Task, "cancelled") => &["cancel_reason"],
            _ => &[],
        };
        let data = r.body.data_json();
        names
            .iter()
            .filter_map(|name| {
                let f = fields::field(r.kind(), name)?;
                let v = self.value(r.kind(), f, data.get(name)?)?;
                Some(pair(f.label(self.lang()), v))
            })
            .collect()
    }

    /// The subject's own facts.
    fn facts(&self, subject: Subject, r: &Record, units: &[Record]) -> Vec<Pair> {
        let lang = self.lang();
        let mut out = vec![pair(
            t(lang, "辖区", "Area"),
            format!(
                "{} · {}",
                self.place(r.scope.station.as_str()),
                self.place(r.scope.village.as_str())
            ),
        )];
        if subject == Subject::Unit {
            // The latest inspection says what the unit is now.
            let latest = units
                .iter()
                .max_by_key(|u| (u.body.occurred_at(), u.id))
                .unwrap_or(r);
            let keep = ["unit_name", "unit_type", "address"];
            out.extend(self.details(latest).into_iter().filter(|p| {
                keep.iter().any(|k| {
                    fields::field(Kind::Inspection, k).is_some_and(|f| f.label(lang) == p.label)
                })
            }));
            out.push(pair(
                t(lang, "检查次数", "Inspections"),
                units.len().to_string(),
            ));
            return out;
        }
        out.push(pair(
            t(lang, "建档", "Filed"),
            format!(
                "{} · {}",
                format_local(r.created_at),
                self.name(r.author.as_str())
            ),
        ));
        if let Body::Dispute(d) = &r.body {
            out.push(pair(
                fields::field(Kind::Dispute, "reported_at").map_or("", |f| f.label(lang)),
                format_local(d.reported_at),
            ));
        }
        out.extend(self.details(r));
        if r.deleted {
            out.push(pair(
                t(lang, "注意", "Note"),
                t(lang, "此记录已删除", "this record was deleted"),
            ));
        }
        out
    }

    /// The people a dossier names.
    fn people(&self, subject: &Record, all: &[Record]) -> Vec<Person> {
        let lang = self.lang();
        let mut out = Vec::new();
        let choice = |list: &'static [fields::Choice], v: Json| {
            let code = v.as_str().unwrap_or("").to_owned();
            list.iter()
                .find(|c| c.code == code)
                .map_or(code, |c| c.label(lang).to_owned())
        };
        match &subject.body {
            Body::Household(h) => {
                for m in &h.members {
                    out.push(Person {
                        name: m.name.clone(),
                        role: choice(
                            fields::RELATION,
                            serde_json::to_value(m.relation).unwrap_or_default(),
                        ),
                        id_number: m.id_number.clone(),
                        phone: m.phone.clone(),
                    });
                }
            }
            Body::Dispute(d) => {
                for p in &d.parties {
                    out.push(Person {
                        name: p.name.clone(),
                        role: t(lang, "当事人", "party").to_owned(),
                        id_number: p.id_number.clone(),
                        phone: p.phone.clone(),
                    });
                }
            }
            _ => {}
        }
        for r in all {
            if let Body::KeyPerson(kp) = &r.body {
                if r.id == subject.id {
                    continue;
                }
                out.push(Person {
                    name: kp.name.clone(),
                    role: format!(
                        "{}：{}",
                        Kind::KeyPerson.label(lang),
                        choice(
                            fields::KEY_PERSON_CATEGORY,
                            serde_json::to_value(kp.category).unwrap_or_default()
                        )
                    ),
                    id_number: Some(kp.id_number.clone()),
                    phone: kp.phone.clone(),
                });
            }
        }
        out
    }
}
