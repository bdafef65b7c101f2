//! Dossier exports for the app: the same dossier as `beatbook dossier`, assembled by
//! `beatbook-dossier` from this device's store, as an HTML page to show or a file to keep.

use beatbook_dossier::{DossierError, Options};
use beatbook_model::{Lang, RecordId};

use crate::types::AppError;
use crate::{Result, Session};

fn app_error(e: &DossierError, lang: Lang) -> AppError {
    match e {
        DossierError::Store(s) => AppError::store(s, lang),
        other => AppError::new(
            other.code(),
            lang,
            &other.message(Lang::Zh),
            &other.message(Lang::En),
        ),
    }
}

/// The dossier of `id` with the names this device knows: places from the county map, the
/// logged-in user's own name.
fn assemble(s: &mut Session<'_>, id: RecordId) -> Result<beatbook_dossier::Dossier> {
    let user = &s.device.user;
    let mut opts = Options {
        lang: s.lang,
        generated_at: chrono::Utc::now(),
        generated_by: if user.display_name.is_empty() {
            user.username.clone()
        } else {
            format!("{}（{}）", user.display_name, user.username)
        },
        ..Options::default()
    };
    opts.add_places(&s.county);
    opts.names
        .insert(user.username.clone(), user.display_name.clone());
    let lang = s.lang;
    beatbook_dossier::assemble(&mut s.store, id, &opts).map_err(|e| app_error(&e, lang))
}

pub(crate) fn html(s: &mut Session<'_>, id: RecordId) -> Result<String> {
    Ok(beatbook_dossier::to_html(&assemble(s, id)?))
}

pub(crate) fn export(
    s: &mut Session<'_>,
    id: RecordId,
    format: &str,
    path: &str,
) -> Result<String> {
    let lang = s.lang;
    let d = assemble(s, id)?;
    let bytes = match format {
        "pdf" => beatbook_dossier::to_pdf(&d, None).map_err(|e| app_error(&e, lang))?,
        "html" => beatbook_dossier::to_html(&d).into_bytes(),
        other => {
            return Err(AppError::new(
                "bad_format",
                lang,
                &format!("不支持的格式“{other}”：请选 pdf 或 html"),
                &format!("unknown format \"{other}\": choose pdf or html"),
            ))
        }
    };
    std::fs::write(path, bytes).map_err(|e| {
        AppError::new(
            "write",
            lang,
            &format!("无法写入 {path}：{e}"),
            &format!("cannot write {path}: {e}"),
        )
    })?;
    Ok(path.to_owned())
}
