//! The assessment as a table (header and rows of cells, Chinese or English headers) and as an
//! Excel workbook in memory; the CLI prints the same table and writes the same bytes. Also
//! [`safe_cell`], which every spreadsheet this project writes (this workbook, the CLI's CSV
//! and XLSX exports) passes its text cells through.

use crate::assess::{Assessment, By, Figures};
use crate::error::{Result, StationError};
use beatbook_model::{format_local, Lang};
use rust_xlsxwriter::{Format, Workbook};
use std::borrow::Cow;

/// A text cell a spreadsheet will show as text and never run as a formula ("CSV injection",
/// OWASP): text starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a `'` in
/// front. So do their full-width forms (`＝＋－＠`), which Chinese input methods type and which
/// some spreadsheets also take as the start of a formula.
///
/// Left as they are: text that is entirely a plain decimal number (`-3`, `+86`, `-0.5`,
/// `1e3`), since a number starting with a sign is data that no spreadsheet runs and a `'` would
/// make it text; and a lone `-`, the tables' "no value" mark, which a spreadsheet cannot run
/// either. Anything else after the sign (`-2+3`, `+86 138…`, `-cmd|…`) is neutralised.
pub fn safe_cell(text: &str) -> Cow<'_, str> {
    let risky = text.starts_with([
        '=', '+', '-', '@', '\t', '\r', '\u{ff1d}', '\u{ff0b}', '\u{ff0d}', '\u{ff20}',
    ]);
    if !risky || text == "-" || is_plain_number(text) {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(format!("'{text}"))
    }
}

/// `[+-]digits[.digits][e[+-]digits]`, nothing else (no spaces, `inf` or `NaN`).
fn is_plain_number(text: &str) -> bool {
    let b = text.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let digits = |i: &mut usize| {
        let start = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - start
    };
    let mut mantissa = digits(&mut i);
    if b.get(i) == Some(&b'.') {
        i += 1;
        mantissa += digits(&mut i);
    }
    if mantissa == 0 {
        return false;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// Column headers, in order.
pub fn header(by: By, lang: Lang) -> Vec<&'static str> {
    let zh = lang == Lang::Zh;
    let first = match (by, zh) {
        (By::Officer, true) => "民警/辅警",
        (By::Village, true) => "村",
        (By::Station, true) => "派出所",
        (By::Officer, false) => "officer",
        (By::Village, false) => "village",
        (By::Station, false) => "station",
    };
    let rest: [(&str, &str); 12] = [
        ("走访", "visits"),
        ("应核查", "checks due"),
        ("按时核查", "checks on time"),
        ("到期任务", "tasks due"),
        ("按时完成", "tasks on time"),
        ("逾期", "overdue"),
        ("发现隐患", "hazards found"),
        ("清零隐患", "hazards cleared"),
        ("化解纠纷", "disputes resolved"),
        ("化解用时中位数(天)", "median days to resolve"),
        ("巡逻", "patrols"),
        ("巡逻时长(小时)", "patrol hours"),
    ];
    std::iter::once(first)
        .chain(rest.iter().map(|(z, e)| if zh { *z } else { *e }))
        .collect()
}

/// One row's cells after its label.
pub fn cells(f: &Figures) -> Vec<String> {
    vec![
        f.visits.to_string(),
        f.checks_due.to_string(),
        f.checks_on_time.to_string(),
        f.tasks_due.to_string(),
        f.tasks_on_time.to_string(),
        f.tasks_overdue.to_string(),
        f.hazards_found.to_string(),
        f.hazards_cleared.to_string(),
        f.disputes_resolved.to_string(),
        f.median_days_to_resolve
            .map_or_else(|| "-".to_owned(), |d| format!("{d:.1}")),
        f.patrols.to_string(),
        format!("{:.1}", f.patrol_hours),
    ]
}

/// The whole table: header, one row per key (labelled by `label`), and the total.
pub fn table(a: &Assessment, lang: Lang, label: &dyn Fn(&str) -> String) -> Vec<Vec<String>> {
    let mut out = vec![header(a.by, lang).into_iter().map(String::from).collect()];
    for r in &a.rows {
        let mut row = vec![label(&r.key)];
        row.extend(cells(&r.figures));
        out.push(row);
    }
    let mut total = vec![if lang == Lang::Zh { "合计" } else { "total" }.to_owned()];
    total.extend(cells(&a.total));
    out.push(total);
    out
}

/// The line saying which days and how fresh, e.g. `2026-11-02 至 2026-11-08 · 数据截至 …`.
pub fn caption(a: &Assessment, lang: Lang) -> String {
    let never = if lang == Lang::Zh {
        "从未同步"
    } else {
        "never"
    };
    let sync = a
        .as_of
        .last_sync
        .map_or_else(|| never.to_owned(), format_local);
    let newest = a
        .as_of
        .newest_record
        .map_or_else(|| "-".to_owned(), format_local);
    match lang {
        Lang::Zh => format!(
            "{} 至 {} · 上次同步 {sync} · 最新记录 {newest}",
            a.range.from, a.range.to
        ),
        Lang::En => format!(
            "{} to {} · last sync {sync} · newest record {newest}",
            a.range.from, a.range.to
        ),
    }
}

/// The assessment as an .xlsx workbook: a caption line, then the table.
pub fn workbook(a: &Assessment, lang: Lang, label: &dyn Fn(&str) -> String) -> Result<Vec<u8>> {
    let xerr = |e: rust_xlsxwriter::XlsxError| StationError::Xlsx(e.to_string());
    let mut book = Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name(if lang == Lang::Zh {
        "考核"
    } else {
        "assessment"
    })
    .map_err(xerr)?;
    let bold = Format::new().set_bold();
    ws.write_string(0, 0, safe_cell(&caption(a, lang)))
        .map_err(xerr)?;
    for (r, row) in table(a, lang, label).iter().enumerate() {
        let r32 = u32::try_from(r + 2).unwrap_or(u32::MAX);
        for (c, cell) in row.iter().enumerate() {
            let c16 = u16::try_from(c).unwrap_or(u16::MAX);
            let numeric = c > 0 && r > 0;
            // Figures are numeric cells; labels (names from the roster and the county map)
            // are text, kept from running as formulas.
            match (r == 0, numeric.then(|| cell.parse::<f64>().ok()).flatten()) {
                (true, _) => ws.write_string_with_format(r32, c16, safe_cell(cell), &bold),
                (false, Some(n)) => ws.write_number(r32, c16, n),
                (false, None) => ws.write_string(r32, c16, safe_cell(cell)),
            }
            .map_err(xerr)?;
        }
    }
    ws.set_column_width(0, 14).map_err(xerr)?;
    book.save_to_buffer().map_err(xerr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_starts_are_neutralised_and_numbers_kept() {
        for risky in [
            "=HYPERLINK(\"http://x\",\"y\")",
            "+1+1",
            "-2+3",
            "-cmd|' /C calc'!A0",
            "@SUM(A1)",
            "\t=1",
            "\r=1",
            "＝1+1",
            "－1",
            "+86 13812345678",
            "-inf",
            "+",
            "--1",
            "-1e",
            "-.",
        ] {
            assert_eq!(safe_cell(risky), format!("'{risky}"), "{risky:?}");
        }
        for kept in [
            "-3",
            "+86",
            "-0.5",
            "12",
            "1e3",
            "-1.5E-7",
            "+.5",
            "-7.",
            "-",
            "",
            "南街村",
            "a=b",
            " =1",
            "'=1",
        ] {
            assert!(matches!(safe_cell(kept), Cow::Borrowed(_)), "{kept:?}");
        }
    }

    /// A part of an .xlsx archive as text.
    fn part(book: &[u8], name: &str) -> String {
        use std::io::Read;
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(book)).unwrap();
        let mut text = String::new();
        zip.by_name(name)
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        text
    }

    #[test]
    fn a_label_that_looks_like_a_formula_is_text_and_figures_stay_numbers() {
        let mut figures = Figures::default();
        figures.visits = 3;
        let a = Assessment {
            range: crate::DateRange {
                from: "2026-11-02".parse().unwrap(),
                to: "2026-11-08".parse().unwrap(),
            },
            by: By::Officer,
            rows: vec![crate::Row {
                key: "x".into(),
                figures: figures.clone(),
            }],
            total: figures,
            as_of: crate::AsOf {
                last_sync: None,
                newest_record: None,
                computed_at: chrono::Utc::now(),
            },
        };
        let evil = "=HYPERLINK(\"http://x\",\"y\")";
        let book = workbook(&a, Lang::En, &|_| evil.to_owned()).unwrap();
        let sheet = part(&book, "xl/worksheets/sheet1.xml");
        let strings = part(&book, "xl/sharedStrings.xml")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&");
        assert!(!sheet.contains("<f>"), "no formula: {sheet}");
        assert!(strings.contains(&format!(">'{evil}<")), "{strings}");
        assert!(!strings.contains(&format!(">{evil}<")), "{strings}");
        // The officer's visits (B4) are a number cell, not text.
        assert!(sheet.contains(r#"<c r="B4"><v>3</v></c>"#), "{sheet}");
    }
}
