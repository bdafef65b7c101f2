//! `beatbook export`: a kind's records as a spreadsheet for a station chief, with headers in
//! the chosen language. CSV starts with a UTF-8 BOM and uses CRLF so Excel opens Chinese text
//! correctly; XLSX is written with rust_xlsxwriter. Every cell passes through
//! [`safe_cell`] first, so record text never runs as a formula when the file is opened.

use crate::cli::{ExportArgs, Format};
use crate::commands::read::query;
use crate::commands::write::kind_arg;
use crate::error::{Failure, Result};
use crate::fields;
use crate::home::Home;
use crate::render;
use beatbook_model::{format_local, Lang};
use beatbook_station::xlsx::safe_cell;
use rust_xlsxwriter::{Format as XlsxFormat, Workbook};
use std::path::Path;

/// A CSV cell: neutralised ([`safe_cell`]), then quoted when it needs it (RFC 4180). A `;` or
/// tab is quoted too: spreadsheets set to split on them would otherwise start a new cell
/// there, which [`safe_cell`] never saw.
fn csv_cell(s: &str) -> String {
    let s = safe_cell(s);
    if s.contains([',', '"', '\n', '\r', ';', '\t']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.into_owned()
    }
}

/// CSV text with a BOM and CRLF line ends.
pub fn csv(rows: &[Vec<String>]) -> String {
    let mut out = String::from('\u{feff}');
    for row in rows {
        let cells: Vec<String> = row.iter().map(|c| csv_cell(c)).collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out
}

fn write_failed(path: &Path, e: impl std::fmt::Display) -> Failure {
    Failure::other(
        "write",
        format!("无法写入 {}：{e}", path.display()),
        format!("cannot write {}: {e}", path.display()),
    )
}

fn xlsx(rows: &[Vec<String>], sheet: &str, path: &Path) -> Result<()> {
    let mut book = Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name(sheet).map_err(|e| write_failed(path, e))?;
    let bold = XlsxFormat::new().set_bold();
    let wrap = XlsxFormat::new().set_text_wrap();
    let mut widths: Vec<usize> = Vec::new();
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let (r16, c16) = (r as u32, c as u16);
            let cell = &*safe_cell(cell);
            let written = if r == 0 {
                ws.write_string_with_format(r16, c16, cell, &bold)
            } else if cell.contains('\n') {
                ws.write_string_with_format(r16, c16, cell, &wrap)
            } else {
                ws.write_string(r16, c16, cell)
            };
            written.map_err(|e| write_failed(path, e))?;
            let w = cell
                .lines()
                .map(unicode_width::UnicodeWidthStr::width)
                .max()
                .unwrap_or(0);
            if widths.len() <= c {
                widths.resize(c + 1, 0);
            }
            widths[c] = widths[c].max(w);
        }
    }
    for (c, w) in widths.iter().enumerate() {
        ws.set_column_width(c as u16, (*w).clamp(6, 60) as f64 + 2.0)
            .map_err(|e| write_failed(path, e))?;
    }
    ws.set_freeze_panes(1, 0)
        .map_err(|e| write_failed(path, e))?;
    book.save(path).map_err(|e| write_failed(path, e))
}

/// `beatbook export KIND --format csv|xlsx --out FILE`.
pub fn export(home: &Home, args: ExportArgs) -> Result<String> {
    let kind = kind_arg(&args.kind)?;
    let q = query(
        home,
        kind,
        args.village.as_deref(),
        args.status.as_deref(),
        args.since.as_deref(),
        usize::MAX >> 1,
    )?;
    let (store, _, places) = home.maybe_session()?;
    let lang = home.lang;
    let t = |zh: &'static str, en: &'static str| if lang == Lang::Zh { zh } else { en };
    let fields = fields::fields(kind);
    let mut header: Vec<String> = [
        t("编号", "id"),
        t("派出所", "station"),
        t("村", "village"),
        t("创建人", "author"),
        t("创建时间", "created"),
        t("更新时间", "updated"),
    ]
    .map(str::to_owned)
    .to_vec();
    header.extend(fields.iter().map(|f| f.label(lang).to_owned()));
    let mut rows = vec![header];
    let summaries = store.list(&q)?;
    for s in &summaries {
        let Some(r) = store.get(s.id)? else { continue };
        let data = r.body.data_json();
        let mut row = vec![
            r.id.to_string(),
            places.station(r.scope.station.as_str()),
            places.village(r.scope.village.as_str()),
            r.author.to_string(),
            format_local(r.created_at),
            format_local(r.updated_at),
        ];
        row.extend(fields.iter().map(|f| {
            data.get(f.name)
                .map(|v| render::value(f, v, lang))
                .unwrap_or_default()
        }));
        rows.push(row);
    }
    let path = &args.out;
    match args.format {
        Format::Csv => std::fs::write(path, csv(&rows)).map_err(|e| write_failed(path, e))?,
        Format::Xlsx => xlsx(&rows, kind.label(lang), path)?,
    }
    Ok(match lang {
        Lang::Zh => format!(
            "已导出 {} 条{}到 {}\n",
            summaries.len(),
            kind.label(lang),
            path.display()
        ),
        Lang::En => format!(
            "exported {} records ({}) to {}\n",
            summaries.len(),
            kind.label(lang),
            path.display()
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_has_a_bom_crlf_and_quotes_what_needs_it() {
        let rows = vec![
            vec!["地址".to_owned(), "备注".to_owned()],
            vec!["南街村, 三组".to_owned(), "说\"好\"\n再议".to_owned()],
        ];
        assert_eq!(
            csv(&rows),
            "\u{feff}地址,备注\r\n\"南街村, 三组\",\"说\"\"好\"\"\n再议\"\r\n"
        );
    }

    #[test]
    fn csv_cells_never_start_a_formula_and_numbers_stay_numbers() {
        let rows = vec![vec![
            "=HYPERLINK(\"http://x\",\"y\")".to_owned(),
            "@SUM(A1)".to_owned(),
            "-3".to_owned(),
            "+86".to_owned(),
            "a;=1+1".to_owned(),
            "\t-1+2".to_owned(),
        ]];
        assert_eq!(
            csv(&rows),
            "\u{feff}\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",'@SUM(A1),-3,+86,\"a;=1+1\",\"'\t-1+2\"\r\n"
        );
    }
}
