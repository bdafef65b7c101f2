//! What can stop a dossier: the record, its kind, the font, the PDF writer.

use beatbook_model::{Kind, Lang, RecordId};
use beatbook_store::StoreError;
use std::path::PathBuf;

/// Everything making a dossier can fail with.
#[derive(Debug, thiserror::Error)]
pub enum DossierError {
    /// The store failed, or has no such record.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The record is of a kind that has no dossier.
    #[error("{kind:?} 没有档案 / no dossier for this kind")]
    NotASubject {
        /// The record asked for.
        id: RecordId,
        /// Its kind.
        kind: Kind,
    },
    /// No Chinese font was found for the PDF.
    #[error("没有找到中文字体 / no Chinese font found")]
    NoFont {
        /// Where it was looked for.
        tried: Vec<PathBuf>,
    },
    /// The font file could not be read or is not a usable font.
    #[error("字体无法使用 / unusable font")]
    BadFont {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The PDF could not be written.
    #[error("PDF 生成失败 / PDF failed: {0}")]
    Pdf(String),
}

impl DossierError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            DossierError::Store(e) => e.code(),
            DossierError::NotASubject { .. } => "no_dossier",
            DossierError::NoFont { .. } => "no_font",
            DossierError::BadFont { .. } => "bad_font",
            DossierError::Pdf(_) => "pdf",
        }
    }

    /// Whether the caller asked for something wrong (rather than the machine failing).
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            DossierError::NotASubject { .. }
                | DossierError::Store(StoreError::NotFound(_))
                | DossierError::Store(StoreError::Model(_))
        )
    }

    /// The message for people in `lang`, saying what to do next.
    pub fn message(&self, lang: Lang) -> String {
        let zh = lang == Lang::Zh;
        match self {
            DossierError::Store(e) => e.message(lang),
            DossierError::NotASubject { id, kind } => {
                if zh {
                    format!(
                        "记录 {id} 是{}，没有档案。档案适用于户籍家庭、重点人员、单位检查（按单位汇总）和矛盾纠纷",
                        kind.label(lang)
                    )
                } else {
                    format!(
                        "record {id} is a {}, which has no dossier; dossiers exist for households, \
                         key persons, unit inspections (gathered by unit) and disputes",
                        kind.label(lang).to_lowercase()
                    )
                }
            }
            DossierError::NoFont { tried } => {
                let list = tried
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ");
                if zh {
                    format!(
                        "没有找到中文字体，无法生成 PDF。请安装 fonts-noto-cjk（或 fonts-wqy-microhei），\
                         或用环境变量 {} 指定字体文件（.ttf/.otf/.ttc）。已查找：{list}",
                        crate::FONT_ENV
                    )
                } else {
                    format!(
                        "no Chinese font found, so no PDF can be made; install fonts-noto-cjk (or \
                         fonts-wqy-microhei), or name a font file (.ttf/.otf/.ttc) in {}. Looked in: {list}",
                        crate::FONT_ENV
                    )
                }
            }
            DossierError::BadFont { path, reason } => {
                if zh {
                    format!("字体文件 {} 无法使用：{reason}", path.display())
                } else {
                    format!("the font file {} cannot be used: {reason}", path.display())
                }
            }
            DossierError::Pdf(e) => {
                if zh {
                    format!("PDF 生成失败：{e}")
                } else {
                    format!("the PDF could not be made: {e}")
                }
            }
        }
    }
}
