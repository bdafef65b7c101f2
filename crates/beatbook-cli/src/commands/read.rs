//! Commands that read: `show`, `list`, `search`, `fields`. They read the device store only,
//! so they work offline; tables by default, `--json` for scripts.

use crate::cli::ListArgs;
use crate::commands::write::kind_arg;
use crate::error::{Failure, Result};
use crate::fields::{self, FieldType};
use crate::home::Home;
use crate::render::{self, Places};
use crate::table::Table;
use crate::values::{record_id, time_arg};
use beatbook_model::{format_local, Kind, Lang, VillageId};
use beatbook_store::{ListQuery, Summary};
use serde_json::{json, Value as Json};
use unicode_width::UnicodeWidthStr;

fn t(lang: Lang, zh: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
}

/// Pretty JSON with a final newline.
pub fn json_text(v: &impl serde::Serialize) -> Result<String> {
    serde_json::to_string_pretty(v)
        .map(|s| s + "\n")
        .map_err(|e| Failure::other("json", e.to_string(), e.to_string()))
}

/// Lines of `label  value`, labels padded to one width; multi-line values indented.
fn pairs(rows: &[(String, String)]) -> String {
    let w = rows.iter().map(|(l, _)| l.width()).max().unwrap_or(0);
    let mut out = String::new();
    for (label, value) in rows {
        let pad = " ".repeat(w - label.width() + 2);
        let mut lines = value.lines();
        out.push_str(&format!("{label}{pad}{}", lines.next().unwrap_or("")));
        out.push('\n');
        for more in lines {
            out.push_str(&format!("{}{more}\n", " ".repeat(w + 2)));
        }
    }
    out
}

/// `beatbook show ID`.
pub fn show(home: &Home, raw_id: &str, as_json: bool) -> Result<String> {
    let id = record_id(raw_id)?;
    let (mut store, _, places) = home.maybe_session()?;
    let view = store.open_record(id)?;
    if as_json {
        return json_text(&view);
    }
    let lang = home.lang;
    let r = &view.record;
    let kind = r.kind();
    let mut head = vec![
        (
            t(lang, "类型", "kind").to_owned(),
            kind.label(lang).to_owned(),
        ),
        (t(lang, "编号", "id").to_owned(), r.id.to_string()),
        (t(lang, "标题", "title").to_owned(), r.body.title()),
        (
            t(lang, "辖区", "scope").to_owned(),
            format!(
                "{} · {}",
                places.station(r.scope.station.as_str()),
                places.village(r.scope.village.as_str())
            ),
        ),
        (t(lang, "创建人", "author").to_owned(), r.author.to_string()),
        (
            t(lang, "创建时间", "created").to_owned(),
            format_local(r.created_at),
        ),
        (
            t(lang, "更新时间", "updated").to_owned(),
            format_local(r.updated_at),
        ),
    ];
    if r.deleted {
        head.push((
            t(lang, "已删除", "deleted").to_owned(),
            render::yes_no(true, lang).to_owned(),
        ));
    }
    let mut out = pairs(&head);
    out.push('\n');
    let data = r.body.data_json();
    let rows: Vec<(String, String)> = fields::fields(kind)
        .iter()
        .filter_map(|f| {
            let v = data.get(f.name)?;
            let text = render::value(f, v, lang);
            (!text.trim().is_empty()).then(|| (f.label(lang).to_owned(), text))
        })
        .collect();
    out.push_str(&pairs(&rows));
    if !view.conflicts.is_empty() {
        out.push('\n');
        out.push_str(t(
            lang,
            "⚠ 冲突：以下字段有两台设备同时写入的不同值（第一个是当前显示的值）\n",
            "⚠ conflicts: these fields hold concurrent values (the first is the one shown)\n",
        ));
        for c in &view.conflicts {
            let name = c.path.trim_start_matches("data.");
            let field = fields::field(kind, name);
            let shown: Vec<String> = c
                .values
                .iter()
                .map(|v| field.map_or_else(|| render::flat(v, lang), |f| render::value(f, v, lang)))
                .collect();
            let label = field.map_or(String::new(), |f| format!("（{}）", f.label(lang)));
            out.push_str(&format!("  {name}{label}: {}\n", shown.join(" | ")));
        }
        out.push_str(&match lang {
            Lang::Zh => format!("  选定一个值：beatbook resolve {} 字段 值\n", r.id),
            Lang::En => format!("  settle one: beatbook resolve {} FIELD VALUE\n", r.id),
        });
    }
    Ok(out)
}

/// Parses `--since`.
fn since(raw: Option<&str>) -> Result<Option<chrono::DateTime<chrono::Utc>>> {
    raw.map(|s| time_arg("--since", s)).transpose()
}

/// A table of summaries; `with_kind` adds a kind column (search spans kinds).
fn summary_table(rows: &[Summary], places: &Places, lang: Lang, with_kind: bool) -> String {
    if rows.is_empty() {
        return t(lang, "没有记录\n", "no records\n").to_owned();
    }
    let with_status = rows.iter().any(|r| r.status.is_some());
    let with_conflicts = rows.iter().any(|r| r.conflicts > 0);
    let mut header = vec![t(lang, "编号", "id")];
    if with_kind {
        header.push(t(lang, "类型", "kind"));
    }
    header.extend([t(lang, "村", "village"), t(lang, "标题", "title")]);
    if with_status {
        header.push(t(lang, "状态", "status"));
    }
    header.push(t(lang, "时间", "time"));
    if with_conflicts {
        header.push(t(lang, "冲突", "conflicts"));
    }
    let mut table = Table::new(header);
    for r in rows {
        let mut cells = vec![r.id.to_string()];
        if with_kind {
            cells.push(r.kind.label(lang).to_owned());
        }
        cells.extend([places.village(r.scope.village.as_str()), r.title.clone()]);
        if with_status {
            cells.push(render::status(r.kind, r.status.as_deref(), lang));
        }
        cells.push(format_local(r.occurred_at));
        if with_conflicts {
            cells.push(if r.conflicts > 0 {
                r.conflicts.to_string()
            } else {
                String::new()
            });
        }
        table.row(cells);
    }
    let mut out = table.render();
    out.push_str(&match lang {
        Lang::Zh => format!("共 {} 条\n", rows.len()),
        Lang::En => format!("total: {}\n", rows.len()),
    });
    out
}

/// The list query of `list` and `export`.
pub fn query(
    home: &Home,
    kind: Kind,
    village: Option<&str>,
    status: Option<&str>,
    since_raw: Option<&str>,
    limit: usize,
) -> Result<ListQuery> {
    let status = match status {
        None => None,
        Some(s) => {
            let choices = fields::statuses(kind);
            if choices.is_empty() {
                return Err(Failure::bad_input(
                    "no_status",
                    format!("{}没有状态，不能按状态筛选", kind.label(Lang::Zh)),
                    format!(
                        "a {} has no status to filter by",
                        kind.label(Lang::En).to_lowercase()
                    ),
                ));
            }
            match fields::find_choice(choices, s) {
                Some(c) => Some(c.code.to_owned()),
                None => {
                    let codes: Vec<&str> = choices.iter().map(|c| c.code).collect();
                    return Err(Failure::bad_input(
                        "bad_status",
                        format!(
                            "{}没有状态“{s}”，可选：{}",
                            kind.label(Lang::Zh),
                            codes.join("、")
                        ),
                        format!(
                            "a {} has no status \"{s}\"; choose one of {}",
                            kind.label(Lang::En).to_lowercase(),
                            codes.join(", ")
                        ),
                    ));
                }
            }
        }
    };
    let village = match village {
        None => None,
        Some(v) => {
            let (_, _, places) = home.maybe_session()?;
            Some(
                places
                    .county()
                    .and_then(|c| {
                        c.stations
                            .iter()
                            .flat_map(|s| &s.villages)
                            .find(|x| x.id.as_str() == v || x.name == v)
                    })
                    .map_or_else(|| VillageId(v.to_owned()), |x| x.id.clone()),
            )
        }
    };
    Ok(ListQuery {
        kind: Some(kind),
        village,
        status,
        since: since(since_raw)?,
        limit: Some(limit),
        ..ListQuery::default()
    })
}

/// `beatbook list KIND …`.
pub fn list(home: &Home, args: ListArgs) -> Result<String> {
    let kind = kind_arg(&args.kind)?;
    let q = query(
        home,
        kind,
        args.village.as_deref(),
        args.status.as_deref(),
        args.since.as_deref(),
        args.limit,
    )?;
    let (store, _, places) = home.maybe_session()?;
    let rows = store.list(&q)?;
    if args.json {
        return json_text(&rows);
    }
    Ok(summary_table(&rows, &places, home.lang, false))
}

/// `beatbook search TEXT`.
pub fn search(home: &Home, text: &str, limit: usize, as_json: bool) -> Result<String> {
    let (store, _, places) = home.maybe_session()?;
    let rows = store.search(text, limit)?;
    if as_json {
        return json_text(&rows);
    }
    Ok(summary_table(&rows, &places, home.lang, true))
}

/// What `fields` says about a field beyond its type: allowed values, JSON shape, default.
fn field_note(f: &fields::Field, lang: Lang) -> String {
    let mut parts = Vec::new();
    match f.ty {
        FieldType::Choice(c) | FieldType::Choices(c) => parts.push(
            c.iter()
                .map(|c| match lang {
                    Lang::Zh => format!("{}={}", c.code, c.zh),
                    Lang::En => c.code.to_owned(),
                })
                .collect::<Vec<_>>()
                .join(" "),
        ),
        FieldType::Json(shape) => parts.push(shape.to_owned()),
        FieldType::Time => {
            parts.push(t(lang, "如 2026-11-28 15:04", "e.g. 2026-11-28 15:04").to_owned())
        }
        _ => {}
    }
    if let Some(fill) = f.fill {
        parts.push(fill.label(lang).to_owned());
    }
    parts.join("；")
}

/// `beatbook fields KIND`.
pub fn fields_of(home: &Home, raw_kind: &str, as_json: bool) -> Result<String> {
    let kind = kind_arg(raw_kind)?;
    let lang = home.lang;
    let list = fields::fields(kind);
    if as_json {
        let v: Vec<Json> = list
            .iter()
            .map(|f| {
                json!({
                    "name": f.name,
                    "type": f.ty.code(),
                    "required": f.required,
                    "label_zh": f.zh,
                    "label_en": f.en,
                    "choices": f.ty.choices().iter().map(|c| json!({"code": c.code, "zh": c.zh, "en": c.en})).collect::<Vec<_>>(),
                    "shape": match f.ty { FieldType::Json(s) => Some(s), _ => None },
                    "default": f.fill.map(|d| d.code()),
                })
            })
            .collect();
        return json_text(&v);
    }
    let mut table = Table::new([
        t(lang, "字段", "field"),
        t(lang, "类型", "type"),
        t(lang, "必填", "required"),
        t(lang, "名称", "label"),
        t(lang, "说明", "notes"),
    ]);
    for f in list {
        table.row([
            f.name.to_owned(),
            f.ty.name(lang).to_owned(),
            if f.required {
                render::yes_no(true, lang).to_owned()
            } else {
                String::new()
            },
            f.label(lang).to_owned(),
            field_note(f, lang),
        ]);
    }
    let mut out = format!(
        "{}（{}）\n",
        kind.label(lang),
        kind.as_str().replace('_', "-")
    );
    out.push_str(&table.render());
    Ok(out)
}
