//! A dossier as a printable A4 PDF. The Chinese font is embedded as a subset (only the glyphs
//! used) by krilla, which also writes the ToUnicode map, so text can be searched and copied
//! out of the file. Lines are wrapped by measuring each character with the font's own advance
//! widths (skrifa); every page carries the page number and when and by whom it was made.

use crate::{t, Dossier, DossierError, Section};
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point};
use krilla::metadata::{DateTime as PdfDate, Metadata};
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::text::{Font, TextDirection};
use krilla::Document;
use skrifa::instance::{LocationRef, Size};
use skrifa::string::StringId;
use skrifa::{FontRef, MetadataProvider};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The environment variable naming a font file to use instead of the system's.
pub const FONT_ENV: &str = "BEATBOOK_FONT";

/// Where Chinese fonts are looked for, in order: Debian/Ubuntu (fonts-noto-cjk,
/// fonts-wqy-microhei, fonts-wqy-zenhei, fonts-arphic-uming), Fedora, Android, macOS, Windows.
pub const FONT_CANDIDATES: &[&str] = &[
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/system/fonts/NotoSansCJK-Regular.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/STHeiti Light.ttc",
    "C:\\Windows\\Fonts\\msyh.ttc",
    "C:\\Windows\\Fonts\\simsun.ttc",
];

/// The font file to use: `given` if set, else [`FONT_ENV`], else the first of
/// [`FONT_CANDIDATES`] that exists.
pub fn find_font(given: Option<&Path>) -> Result<PathBuf, DossierError> {
    if let Some(p) = given {
        return if p.is_file() {
            Ok(p.to_owned())
        } else {
            Err(DossierError::NoFont {
                tried: vec![p.to_owned()],
            })
        };
    }
    let mut tried = Vec::new();
    if let Some(p) = std::env::var_os(FONT_ENV).filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        if p.is_file() {
            return Ok(p);
        }
        tried.push(p);
    }
    for c in FONT_CANDIDATES {
        let p = PathBuf::from(c);
        if p.is_file() {
            return Ok(p);
        }
        tried.push(p);
    }
    Err(DossierError::NoFont { tried })
}

// A4 in points, and the margins.
const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const LEFT: f32 = 50.0;
const RIGHT: f32 = PAGE_W - 50.0;
const TOP: f32 = 60.0;
const BOTTOM: f32 = PAGE_H - 62.0;
const GREY: Rgb = (0x66, 0x66, 0x66);
const BLACK: Rgb = (0x11, 0x11, 0x11);

/// One thing drawn on a page.
enum Op {
    Text {
        x: f32,
        y: f32,
        size: f32,
        text: String,
        color: Rgb,
    },
    Rule {
        y: f32,
        width: f32,
    },
}

/// The font's advance widths, in ems, by character.
struct Metrics<'a> {
    font: FontRef<'a>,
    cache: HashMap<char, f32>,
    upem: f32,
}

impl Metrics<'_> {
    fn width(&mut self, c: char, size: f32) -> f32 {
        let font = &self.font;
        let upem = self.upem;
        let em = *self.cache.entry(c).or_insert_with(|| {
            let gid = font.charmap().map(c).unwrap_or_default();
            font.glyph_metrics(Size::unscaled(), LocationRef::default())
                .advance_width(gid)
                .map_or(0.5, |w| w / upem)
        });
        em * size
    }

    /// Splits `text` into lines no wider than `width`: breaks between any two CJK characters,
    /// at spaces between words, and inside a word only when the word alone is too wide.
    fn wrap(&mut self, text: &str, width: f32, size: f32) -> Vec<String> {
        let mut out = Vec::new();
        for para in text.lines() {
            let para: String = para
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            let mut line = String::new();
            let mut w = 0.0;
            for token in tokens(&para) {
                let tw: f32 = token.chars().map(|c| self.width(c, size)).sum();
                if w + tw <= width || line.is_empty() && tw <= width {
                    line.push_str(token);
                    w += tw;
                    continue;
                }
                if !line.trim().is_empty() {
                    out.push(line.trim_end().to_owned());
                }
                line = String::new();
                w = 0.0;
                if token.trim().is_empty() {
                    continue;
                }
                for c in token.chars() {
                    let cw = self.width(c, size);
                    if w + cw > width && !line.is_empty() {
                        out.push(std::mem::take(&mut line));
                        w = 0.0;
                    }
                    line.push(c);
                    w += cw;
                }
            }
            out.push(line.trim_end().to_owned());
        }
        if out.is_empty() {
            out.push(String::new());
        }
        out
    }
}

/// Whether a line may break before or after `c` (ideographs, kana, hangul, CJK punctuation).
fn breaks_anywhere(c: char) -> bool {
    matches!(c as u32,
        0x2E80..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFFEF
        | 0x20000..=0x3FFFF)
}

/// Words, single spaces and single CJK characters.
fn tokens(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in s.char_indices() {
        if c == ' ' || breaks_anywhere(c) {
            if let Some(st) = start.take() {
                out.push(&s[st..i]);
            }
            out.push(&s[i..i + c.len_utf8()]);
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(st) = start {
        out.push(&s[st..]);
    }
    out
}

/// Pages of drawing operations, filled top to bottom.
struct Layout<'a> {
    m: Metrics<'a>,
    pages: Vec<Vec<Op>>,
    y: f32,
}

/// An RGB colour.
type Rgb = (u8, u8, u8);

/// One line of a block: left edge, font size, text, colour.
type Line = (f32, f32, String, Rgb);

/// A block of lines kept together when it fits on a page.
struct Block {
    lines: Vec<Line>,
    rule_after: bool,
}

impl Layout<'_> {
    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = TOP;
    }

    fn push(&mut self, op: Op) {
        if let Some(page) = self.pages.last_mut() {
            page.push(op);
        }
    }

    fn line_height(size: f32) -> f32 {
        size * 1.5
    }

    fn lines(&mut self, x: f32, size: f32, text: &str, color: Rgb) -> Block {
        let lines = self
            .m
            .wrap(text, RIGHT - x, size)
            .into_iter()
            .map(|l| (x, size, l, color))
            .collect();
        Block {
            lines,
            rule_after: false,
        }
    }

    fn place(&mut self, block: Block) {
        let height: f32 = block
            .lines
            .iter()
            .map(|(_, s, _, _)| Self::line_height(*s))
            .sum();
        if self.y + height > BOTTOM && height <= BOTTOM - TOP {
            self.new_page();
        }
        for (x, size, text, color) in block.lines {
            let lh = Self::line_height(size);
            if self.y + lh > BOTTOM {
                self.new_page();
            }
            self.y += lh;
            if !text.is_empty() {
                self.push(Op::Text {
                    x,
                    y: self.y - lh * 0.3,
                    size,
                    text,
                    color,
                });
            }
        }
        if block.rule_after {
            self.y += 3.0;
            let y = self.y;
            self.push(Op::Rule { y, width: 0.4 });
            self.y += 3.0;
        }
    }

    fn heading(&mut self, text: &str) {
        self.y += 8.0;
        let mut b = self.lines(LEFT, 12.5, text, BLACK);
        b.rule_after = true;
        // Keep a heading with the first lines after it.
        let need = 12.5 * 1.5 + 6.0 + 40.0;
        if self.y + need > BOTTOM {
            self.new_page();
        }
        self.place(b);
    }
}

/// Loads the font file and picks the face to use: in a collection, the Simplified Chinese one
/// (family name ending in SC) if there is one, else the first that has Chinese characters.
fn load_font(path: &Path) -> Result<(Arc<Vec<u8>>, u32), DossierError> {
    let bad = |reason: String| DossierError::BadFont {
        path: path.to_owned(),
        reason,
    };
    let data = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
    let mut chosen = None;
    for index in 0..64u32 {
        let Ok(face) = FontRef::from_index(&data, index) else {
            break;
        };
        if face.charmap().map('档').is_none() {
            continue;
        }
        let family = face
            .localized_strings(StringId::FAMILY_NAME)
            .english_or_first()
            .map(|s| s.to_string())
            .unwrap_or_default();
        if family.ends_with(" SC") {
            chosen = Some(index);
            break;
        }
        chosen.get_or_insert(index);
    }
    let index = chosen.ok_or_else(|| {
        bad("不是字体文件，或不含中文字符 / not a font, or it has no Chinese characters".into())
    })?;
    Ok((Arc::new(data), index))
}

fn pdf_date(d: &Dossier) -> Option<PdfDate> {
    // generated_at_local is "YYYY-MM-DD HH:MM" in UTC+8.
    let s = &d.generated_at_local;
    let n = |r: std::ops::Range<usize>| s.get(r).and_then(|v| v.parse::<u16>().ok());
    Some(
        PdfDate::new(n(0..4)?)
            .month(n(5..7)? as u8)
            .day(n(8..10)? as u8)
            .hour(n(11..13)? as u8)
            .minute(n(14..16)? as u8)
            .utc_offset_hour(8),
    )
}

/// The dossier as an A4 PDF, with the Chinese font from `font` (see [`find_font`]) embedded
/// as a subset.
pub fn to_pdf(d: &Dossier, font: Option<&Path>) -> Result<Vec<u8>, DossierError> {
    let path = find_font(font)?;
    let (data, index) = load_font(&path)?;
    let face = FontRef::from_index(data.as_slice(), index)
        .map_err(|e| DossierError::Pdf(e.to_string()))?;
    let upem = face
        .metrics(Size::unscaled(), LocationRef::default())
        .units_per_em as f32;
    let mut l = Layout {
        m: Metrics {
            font: face,
            cache: HashMap::new(),
            upem,
        },
        pages: Vec::new(),
        y: TOP,
    };
    l.new_page();

    let title = l.lines(LEFT, 17.0, &d.title, BLACK);
    l.place(title);
    let meta = l.lines(LEFT, 8.5, &d.generated_line(), GREY);
    l.place(meta);

    l.heading(d.heading(Section::Facts));
    for p in &d.facts {
        let b = l.lines(LEFT, 10.0, &d.pair_line(p), BLACK);
        l.place(b);
    }
    if !d.people.is_empty() {
        l.heading(d.heading(Section::People));
        for p in &d.people {
            let b = l.lines(LEFT, 10.0, &d.person_line(p), BLACK);
            l.place(b);
        }
    }
    l.heading(d.heading(Section::Timeline));
    if d.entries.is_empty() {
        let b = l.lines(LEFT, 10.0, d.heading(Section::Empty), GREY);
        l.place(b);
    }
    for e in &d.entries {
        let mut block = l.lines(
            LEFT,
            10.5,
            &format!("{}    {}    {}", e.at_local, e.what, e.who),
            BLACK,
        );
        if !e.title.is_empty() {
            block
                .lines
                .extend(l.lines(LEFT + 14.0, 10.0, &e.title, BLACK).lines);
        }
        for p in &e.details {
            block
                .lines
                .extend(l.lines(LEFT + 14.0, 9.5, &d.pair_line(p), BLACK).lines);
        }
        block.lines.extend(
            l.lines(
                LEFT + 14.0,
                7.0,
                &format!("{} {}", t(d.lang, "记录编号", "record"), e.record_id),
                GREY,
            )
            .lines,
        );
        block.rule_after = true;
        l.place(block);
    }

    // Footers need the page count, so they are added once everything is laid out.
    let total = l.pages.len();
    let generated = d.generated_line();
    let footer_font = 8.0;
    let mut pages = std::mem::take(&mut l.pages);
    for (i, page) in pages.iter_mut().enumerate() {
        let number = match d.lang {
            beatbook_model::Lang::Zh => format!("第 {} 页 / 共 {total} 页", i + 1),
            beatbook_model::Lang::En => format!("Page {} of {total}", i + 1),
        };
        let nw: f32 = number.chars().map(|c| l.m.width(c, footer_font)).sum();
        page.push(Op::Rule {
            y: PAGE_H - 44.0,
            width: 0.4,
        });
        page.push(Op::Text {
            x: RIGHT - nw,
            y: PAGE_H - 32.0,
            size: footer_font,
            text: number,
            color: GREY,
        });
        let left = l.m.wrap(&generated, RIGHT - LEFT - nw - 20.0, footer_font);
        page.push(Op::Text {
            x: LEFT,
            y: PAGE_H - 32.0,
            size: footer_font,
            text: left.into_iter().next().unwrap_or_default(),
            color: GREY,
        });
        if i > 0 {
            let head = l.m.wrap(&d.title, RIGHT - LEFT, footer_font);
            page.push(Op::Text {
                x: LEFT,
                y: 36.0,
                size: footer_font,
                text: head.into_iter().next().unwrap_or_default(),
                color: GREY,
            });
        }
    }
    render(d, &pages, data, index)
}

fn render(
    d: &Dossier,
    pages: &[Vec<Op>],
    data: Arc<Vec<u8>>,
    index: u32,
) -> Result<Vec<u8>, DossierError> {
    let font = Font::new(data.into(), index)
        .ok_or_else(|| DossierError::Pdf("krilla cannot read the font".into()))?;
    let mut doc = Document::new();
    let mut meta = Metadata::new()
        .title(d.title.clone())
        .creator("beatbook 一村一警".into())
        .authors(vec![d.generated_by.clone()])
        .language(if d.lang == beatbook_model::Lang::Zh {
            "zh-CN".into()
        } else {
            "en".into()
        });
    if let Some(date) = pdf_date(d) {
        meta = meta.creation_date(date);
    }
    doc.set_metadata(meta);
    let settings = PageSettings::from_wh(PAGE_W, PAGE_H)
        .ok_or_else(|| DossierError::Pdf("bad page size".into()))?;
    for ops in pages {
        let mut page = doc.start_page_with(settings.clone());
        let mut surface = page.surface();
        for op in ops {
            match op {
                Op::Text {
                    x,
                    y,
                    size,
                    text,
                    color,
                } => {
                    surface.set_fill(Some(Fill {
                        paint: rgb::Color::new(color.0, color.1, color.2).into(),
                        ..Fill::default()
                    }));
                    surface.set_stroke(None);
                    surface.draw_text(
                        Point::from_xy(*x, *y),
                        font.clone(),
                        *size,
                        text,
                        false,
                        TextDirection::Auto,
                    );
                }
                Op::Rule { y, width } => {
                    let mut pb = PathBuilder::new();
                    pb.move_to(LEFT, *y);
                    pb.line_to(RIGHT, *y);
                    if let Some(path) = pb.finish() {
                        surface.set_fill(None);
                        surface.set_stroke(Some(Stroke {
                            paint: rgb::Color::new(0xAA, 0xAA, 0xAA).into(),
                            width: *width,
                            ..Stroke::default()
                        }));
                        surface.draw_path(&path);
                    }
                }
            }
        }
        surface.finish();
        page.finish();
    }
    doc.finish()
        .map_err(|e| DossierError::Pdf(format!("{e:?}")))
}
