//! `beatbook dossier ID`: the dossier (档案) of a household, key person, unit or dispute, read
//! from this device's store, printed to the terminal or written as HTML and PDF files.

use crate::error::{Exit, Failure, Result};
use crate::home::Home;
use crate::values::record_id;
use beatbook_dossier::{DossierError, Options};
use beatbook_model::Lang;
use clap::Args;
use std::path::{Path, PathBuf};

/// `beatbook dossier`.
#[derive(Debug, Args)]
pub struct DossierArgs {
    /// 户籍家庭、重点人员、单位检查或矛盾纠纷的编号（走访、核查记录会转到其户、人员）/ id of a
    /// household, key person, unit inspection or dispute (a visit or check leads to its subject)
    pub id: String,
    /// 写入 HTML 文件 / write an HTML file
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// 写入 PDF 文件（A4，内嵌中文字体）/ write a PDF file (A4, Chinese font embedded)
    #[arg(long, value_name = "FILE")]
    pub pdf: Option<PathBuf>,
    /// PDF 用的中文字体文件（.ttf/.otf/.ttc），默认用系统字体 / the Chinese font for the PDF
    /// (.ttf/.otf/.ttc); by default the system's
    #[arg(long, value_name = "FILE", env = beatbook_dossier::FONT_ENV)]
    pub font: Option<PathBuf>,
}

/// A dossier failure as the command reports it: an unknown record or a kind without a
/// dossier, or an unusable font file, is bad input (exit 2); no font on the machine is exit 1.
fn failure(e: DossierError) -> Failure {
    let (zh, en) = (e.message(Lang::Zh), e.message(Lang::En));
    match e {
        DossierError::Store(s) => s.into(),
        DossierError::NotASubject { .. } | DossierError::BadFont { .. } => {
            Failure::bad_input(e.code(), zh, en)
        }
        DossierError::NoFont { .. } | DossierError::Pdf(_) => {
            Failure::new(Exit::Failure, e.code(), zh, en)
        }
    }
}

fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).map_err(|e| {
        Failure::other(
            "write",
            format!("无法写入 {}：{e}", path.display()),
            format!("cannot write {}: {e}", path.display()),
        )
    })
}

/// `beatbook dossier ID [--html FILE] [--pdf FILE]`.
pub fn dossier(home: &Home, args: DossierArgs) -> Result<String> {
    let id = record_id(&args.id)?;
    let lang = home.lang;
    if let Some(font) = args.font.as_deref().filter(|f| !f.is_file()) {
        let e = DossierError::NoFont {
            tried: vec![font.to_owned()],
        };
        return Err(Failure::bad_input(
            e.code(),
            e.message(Lang::Zh),
            e.message(Lang::En),
        ));
    }
    let (mut store, device, places) = home.maybe_session()?;
    let mut opts = Options {
        lang,
        generated_at: chrono::Utc::now(),
        generated_by: "beatbook".into(),
        ..Options::default()
    };
    if let Some(county) = places.county() {
        opts.add_places(county);
    }
    if let Some(d) = &device {
        let u = &d.user;
        opts.names
            .insert(u.username.clone(), u.display_name.clone());
        opts.generated_by = if u.display_name.is_empty() {
            u.username.clone()
        } else {
            format!("{}（{}）", u.display_name, u.username)
        };
    }
    let dossier = beatbook_dossier::assemble(&mut store, id, &opts).map_err(failure)?;
    if args.html.is_none() && args.pdf.is_none() {
        return Ok(beatbook_dossier::to_text(&dossier));
    }
    let mut out = String::new();
    let wrote = |path: &Path| match lang {
        Lang::Zh => format!("已写入 {}\n", path.display()),
        Lang::En => format!("wrote {}\n", path.display()),
    };
    if let Some(path) = &args.pdf {
        let pdf = beatbook_dossier::to_pdf(&dossier, args.font.as_deref()).map_err(failure)?;
        write(path, &pdf)?;
        out.push_str(&wrote(path));
    }
    if let Some(path) = &args.html {
        write(path, beatbook_dossier::to_html(&dossier).as_bytes())?;
        out.push_str(&wrote(path));
    }
    Ok(out)
}
