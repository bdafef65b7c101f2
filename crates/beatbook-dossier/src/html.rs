//! A dossier as one self-contained HTML page: no scripts, no outside resources, styles for the
//! screen and for printing on A4. Every piece of recorded text is escaped.

use crate::{Dossier, Section};
use beatbook_model::Lang;

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Escaped text whose line breaks stay visible.
fn lines(s: &str) -> String {
    escape(s).replace('\n', "<br>")
}

const STYLE: &str = "
body{font-family:'Noto Sans CJK SC','Source Han Sans SC','PingFang SC','Microsoft YaHei',sans-serif;
color:#111;margin:2em auto;max-width:60em;padding:0 1em;line-height:1.5}
h1{font-size:1.5em;margin:0 0 .2em}h2{font-size:1.15em;border-bottom:1px solid #999;margin-top:1.5em}
.meta{color:#555;font-size:.9em}dl{display:grid;grid-template-columns:max-content 1fr;gap:.2em 1em}
dt{color:#555}dd{margin:0}table{border-collapse:collapse;width:100%}
th,td{border:1px solid #bbb;padding:.3em .5em;vertical-align:top;text-align:left}
th{background:#eee}td.time{white-space:nowrap}.id{color:#777;font-size:.8em;word-break:break-all}
ul.details{margin:.2em 0 0;padding-left:1.2em}
@page{size:A4;margin:18mm 15mm}
@media print{body{margin:0;max-width:none}tr{break-inside:avoid}thead{display:table-header-group}}
";

/// The dossier as a complete HTML document.
pub fn to_html(d: &Dossier) -> String {
    let lang = if d.lang == Lang::Zh { "zh-CN" } else { "en" };
    let mut h = format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{}</h1>\n\
         <p class=\"meta\">{}</p>\n",
        escape(&d.title),
        escape(&d.title),
        escape(&d.generated_line())
    );
    h.push_str(&format!(
        "<h2>{}</h2>\n<dl>\n",
        escape(d.heading(Section::Facts))
    ));
    for p in &d.facts {
        h.push_str(&format!(
            "<dt>{}</dt><dd>{}</dd>\n",
            escape(&p.label),
            lines(&p.value)
        ));
    }
    h.push_str("</dl>\n");
    if !d.people.is_empty() {
        h.push_str(&format!(
            "<h2>{}</h2>\n<ul>\n",
            escape(d.heading(Section::People))
        ));
        for p in &d.people {
            h.push_str(&format!("<li>{}</li>\n", escape(&d.person_line(p))));
        }
        h.push_str("</ul>\n");
    }
    h.push_str(&format!(
        "<h2>{}</h2>\n",
        escape(d.heading(Section::Timeline))
    ));
    if d.entries.is_empty() {
        h.push_str(&format!("<p>{}</p>\n", escape(d.heading(Section::Empty))));
    } else {
        let [time, what, who, details] = d.columns();
        h.push_str(&format!(
            "<table>\n<thead><tr><th>{time}</th><th>{what}</th><th>{who}</th><th>{details}</th></tr></thead>\n<tbody>\n"
        ));
        for e in &d.entries {
            h.push_str(&format!(
                "<tr data-record=\"{}\"><td class=\"time\">{}</td><td>{}</td><td>{}</td><td>",
                escape(&e.record_id),
                escape(&e.at_local),
                escape(&e.what),
                escape(&e.who)
            ));
            if !e.title.is_empty() {
                h.push_str(&format!("<strong>{}</strong>", lines(&e.title)));
            }
            if !e.details.is_empty() {
                h.push_str("<ul class=\"details\">");
                for p in &e.details {
                    h.push_str(&format!("<li>{}</li>", lines(&d.pair_line(p))));
                }
                h.push_str("</ul>");
            }
            h.push_str(&format!(
                "<div class=\"id\">{}</div></td></tr>\n",
                escape(&e.record_id)
            ));
        }
        h.push_str("</tbody>\n</table>\n");
    }
    h.push_str("</body>\n</html>\n");
    h
}
