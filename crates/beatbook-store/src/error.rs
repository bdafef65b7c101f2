//! The store's error type: what went wrong, in words a caller can act on.

use beatbook_model::{Lang, ModelError, RecordId};

/// Everything the store can fail with.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The record's content or an edit broke a rule of the model; nothing was changed.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// No record with this id is on this device.
    #[error("记录不存在：{0} / no such record on this device")]
    NotFound(RecordId),
    /// The record was deleted; it can be shown but not edited.
    #[error("记录已删除：{0} / the record was deleted")]
    Deleted(RecordId),
    /// The store file is encrypted and the key given is wrong (or no key was given).
    #[error("数据库密钥错误，无法打开 / wrong key: the store cannot be opened with it")]
    WrongKey,
    /// The store file was written by a newer version of beatbook.
    #[error("数据库版本 {found} 高于本程序支持的 {supported}，请升级 / the store is from a newer beatbook ({found} > {supported}); please upgrade")]
    TooNew { found: i64, supported: i64 },
    /// A field path that does not name a field.
    #[error("字段路径无效：{0} / not a field path")]
    BadPath(String),
    /// An Automerge document or change could not be read or applied.
    #[error("文档数据无法处理：{0} / a document or change is damaged")]
    Document(String),
    /// The store file could not be read from the disk.
    #[error("数据库文件无法读取：{0} / the store file cannot be read")]
    Unreadable(String),
    /// The database failed.
    #[error("数据库错误：{0} / storage failed")]
    Sqlite(#[from] rusqlite::Error),
}

impl StoreError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::Model(e) => e.code(),
            StoreError::NotFound(_) => "not_found",
            StoreError::Deleted(_) => "deleted",
            StoreError::WrongKey => "wrong_key",
            StoreError::TooNew { .. } => "store_too_new",
            StoreError::BadPath(_) => "bad_path",
            StoreError::Document(_) => "document",
            StoreError::Unreadable(_) | StoreError::Sqlite(_) => "storage",
        }
    }

    /// Whether this is the record's fault (its document or changes cannot be read, applied or
    /// projected) rather than the device's (storage, key): such a record is kept aside as
    /// unreadable and the rest of a sync goes on.
    pub fn is_unreadable_record(&self) -> bool {
        matches!(
            self,
            StoreError::Document(_) | StoreError::Model(_) | StoreError::BadPath(_)
        )
    }

    /// The message for people in `lang`.
    pub fn message(&self, lang: Lang) -> String {
        match self {
            StoreError::Model(e) => e.message(lang),
            other => {
                let full = other.to_string();
                let (zh, en) = full.split_once(" / ").unwrap_or((&full, &full));
                match lang {
                    Lang::Zh => zh.to_owned(),
                    Lang::En => en.to_owned(),
                }
            }
        }
    }
}

impl From<beatbook_doc::DocError> for StoreError {
    fn from(e: beatbook_doc::DocError) -> Self {
        match e {
            beatbook_doc::DocError::BadPath(p) => StoreError::BadPath(p),
            other => StoreError::Document(other.to_string()),
        }
    }
}

/// The store's result type.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;
