//! A dossier as plain text for the terminal (`beatbook dossier ID`).

use crate::{Dossier, Section};

/// The dossier as lines of text: heading, facts, people, then one block per entry.
pub fn to_text(d: &Dossier) -> String {
    let mut out = format!("{}\n{}\n\n", d.title, d.generated_line());
    out.push_str(&format!("{}\n", d.heading(Section::Facts)));
    for p in &d.facts {
        push_indented(&mut out, "  ", &d.pair_line(p));
    }
    if !d.people.is_empty() {
        out.push_str(&format!("\n{}\n", d.heading(Section::People)));
        for p in &d.people {
            push_indented(&mut out, "  ", &d.person_line(p));
        }
    }
    out.push_str(&format!("\n{}\n", d.heading(Section::Timeline)));
    if d.entries.is_empty() {
        out.push_str(&format!("  {}\n", d.heading(Section::Empty)));
    }
    for e in &d.entries {
        let mut head = format!("{}  {}  {}", e.at_local, e.what, e.who);
        if !e.title.is_empty() {
            head.push_str(&format!("  {}", e.title));
        }
        out.push_str(&format!("\n{head}\n"));
        for p in &e.details {
            push_indented(&mut out, "    ", &d.pair_line(p));
        }
        out.push_str(&format!("    #{}\n", e.record_id));
    }
    out
}

/// Pushes `text` with every line indented by `indent`.
fn push_indented(out: &mut String, indent: &str, text: &str) {
    for line in text.lines() {
        out.push_str(indent);
        out.push_str(line);
        out.push('\n');
    }
}
