//! A plain aligned text table. Widths are display columns (`unicode-width`), so Chinese
//! characters, which take two columns on a terminal, line up.

use crate::render::terminal;
use unicode_width::UnicodeWidthStr;

/// Rows of cells under a header.
#[derive(Debug, Clone, Default)]
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

/// One line of a cell: newlines and tabs become spaces so a row stays one line, and other
/// control characters are shown escaped ([`terminal`]) before the width is measured.
fn one_line(s: &str) -> String {
    let line = s
        .split(['\n', '\r', '\t'])
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    terminal(&line).into_owned()
}

impl Table {
    /// A table with these column titles.
    pub fn new<S: Into<String>>(header: impl IntoIterator<Item = S>) -> Self {
        Table {
            header: header.into_iter().map(|h| one_line(&h.into())).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row.
    pub fn row<S: Into<String>>(&mut self, cells: impl IntoIterator<Item = S>) {
        self.rows
            .push(cells.into_iter().map(|c| one_line(&c.into())).collect());
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The table as text: header, a rule, rows; columns two spaces apart, no trailing spaces.
    pub fn render(&self) -> String {
        let n = self.header.len();
        let mut widths: Vec<usize> = self.header.iter().map(|h| h.width()).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate().take(n) {
                widths[i] = widths[i].max(cell.width());
            }
        }
        let line = |cells: &[String]| -> String {
            let mut out = String::new();
            for (i, w) in widths.iter().enumerate() {
                let cell = cells.get(i).map_or("", String::as_str);
                if i > 0 {
                    out.push_str("  ");
                }
                out.push_str(cell);
                out.extend(std::iter::repeat_n(' ', w - cell.width()));
            }
            out.trim_end().to_owned()
        };
        let mut out = line(&self.header);
        out.push('\n');
        let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
        out.push_str(&line(&rule));
        out.push('\n');
        for row in &self.rows {
            out.push_str(&line(row));
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_cells_line_up_by_display_width() {
        let mut t = Table::new(["村", "title"]);
        t.row(["南街村", "a\nb"]);
        t.row(["x", "c"]);
        assert_eq!(
            t.render(),
            "村      title\n------  -----\n南街村  a b\nx       c\n"
        );
    }

    #[test]
    fn control_characters_in_cells_are_escaped_and_measured_so() {
        let mut t = Table::new(["a", "b"]);
        t.row(["\x1b[2J", "x"]);
        t.row(["\u{202e}cba", "y"]);
        assert_eq!(
            t.render(),
            "a            b\n-----------  -\n\\u{1b}[2J    x\n\\u{202e}cba  y\n"
        );
    }
}
