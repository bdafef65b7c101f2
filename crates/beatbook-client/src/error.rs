//! Turning the core crates' errors into the one shape the UI shows: `{code, message, fields}`.

use beatbook_model::{Lang, ModelError};
use beatbook_store::StoreError;
use beatbook_sync::SyncError;

use crate::types::{AppError, FieldProblem};

/// Results of the client.
pub type Result<T> = std::result::Result<T, AppError>;

impl AppError {
    /// An error with a code and a message in each language.
    pub fn new(code: &str, lang: Lang, zh: &str, en: &str) -> AppError {
        AppError {
            code: code.to_owned(),
            message: pick(lang, zh, en).to_owned(),
            fields: Vec::new(),
            transient: false,
            needs_login: false,
        }
    }

    /// The model's verdict, with each field's message.
    pub fn model(e: &ModelError, lang: Lang) -> AppError {
        let fields = match e {
            ModelError::Invalid(errors) => errors
                .iter()
                .map(|f| FieldProblem {
                    field: f.field.clone(),
                    code: f.code().to_owned(),
                    message: f.message(lang),
                })
                .collect(),
            _ => Vec::new(),
        };
        AppError {
            code: e.code().to_owned(),
            message: e.message(lang),
            fields,
            transient: false,
            needs_login: false,
        }
    }

    /// A store failure.
    pub fn store(e: &StoreError, lang: Lang) -> AppError {
        match e {
            StoreError::Model(m) => AppError::model(m, lang),
            StoreError::WrongKey => AppError::new(
                "wrong_key",
                lang,
                "PIN 码错误，无法打开本机数据",
                "wrong PIN: the data on this device cannot be opened with it",
            ),
            // A disk error at commit leaves the outcome unknown: SQLite may still recover the
            // whole save from its log at the next start (the io_faults suite sees it happen).
            // Say so, so nobody enters the record twice.
            StoreError::Sqlite(_) => AppError {
                code: e.code().to_owned(),
                message: pick(
                    lang,
                    "本机存储出错，这次保存可能没有完成，也可能已经保存：请重启应用后先在列表中查看，不要急于重新填写",
                    "the device's storage failed: this save may or may not have been kept. Restart the app and check the list before entering it again",
                )
                .to_owned(),
                fields: Vec::new(),
                transient: false,
                needs_login: false,
            },
            other => AppError {
                code: other.code().to_owned(),
                message: other.message(lang),
                fields: Vec::new(),
                transient: false,
                needs_login: false,
            },
        }
    }

    /// A sync or enrolment failure, with plain words for the common cases.
    pub fn sync(e: &SyncError, lang: Lang) -> AppError {
        if let SyncError::Store(s) = e {
            return AppError::store(s, lang);
        }
        let code = e.code();
        let message = match code {
            "offline" => pick(
                lang,
                "无法连接服务器：请检查网络和服务器地址。已记录的工作保存在本机，联网后自动上传",
                "cannot reach the server: check the network and the server address. Work is kept on this device and sent when online",
            )
            .to_owned(),
            "bad_credentials" => pick(
                lang,
                "用户名或密码错误",
                "wrong username or password",
            )
            .to_owned(),
            _ => split(&e.to_string(), lang),
        };
        AppError {
            code: code.to_owned(),
            message,
            fields: Vec::new(),
            transient: e.is_transient(),
            needs_login: e.needs_login(),
        }
    }
}

/// The half of a "中文 / English" message in `lang`.
fn split(full: &str, lang: Lang) -> String {
    match full.split_once(" / ") {
        Some((zh, en)) => pick(lang, zh, en).to_owned(),
        None => full.to_owned(),
    }
}

/// `zh` or `en`.
pub fn pick<'a>(lang: Lang, zh: &'a str, en: &'a str) -> &'a str {
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_storage_failure_says_the_save_may_have_been_kept() {
        let disk = StoreError::Sqlite(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_IOERR_FSYNC),
            None,
        ));
        let zh = AppError::store(&disk, Lang::Zh);
        assert_eq!(zh.code, "storage");
        assert!(zh.message.contains("可能已经保存"), "{}", zh.message);
        assert!(AppError::store(&disk, Lang::En)
            .message
            .contains("may or may not have been kept"));
    }
}
