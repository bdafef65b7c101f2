//! How the command fails: an exit code that scripts can act on, a stable error code, and a
//! message in Chinese and English that says what to do next.

use beatbook_model::{Lang, ModelError};
use beatbook_store::StoreError;
use beatbook_sync::SyncError;

/// The process exit codes. `beatbook --help` and docs/walkthrough.md list them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Anything not covered below.
    Failure = 1,
    /// Bad input: usage, unknown kind or field, invalid value, a move the model forbids.
    BadInput = 2,
    /// Authentication: not logged in, wrong password, revoked, expired, wrong store key.
    Auth = 3,
    /// The server cannot be reached; the work is saved on this device.
    Offline = 4,
    /// The change touches a field holding conflicting values that nobody has settled.
    Conflict = 5,
}

/// A failed command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The exit code.
    pub exit: Exit,
    /// A stable code for programs, e.g. `unknown_field`.
    pub code: String,
    zh: String,
    en: String,
}

/// The command's result type.
pub type Result<T, E = Failure> = std::result::Result<T, E>;

impl Failure {
    /// A failure with both messages.
    pub fn new(exit: Exit, code: &str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        Failure {
            exit,
            code: code.to_owned(),
            zh: zh.into(),
            en: en.into(),
        }
    }

    /// Bad input (exit 2).
    pub fn bad_input(code: &str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self::new(Exit::BadInput, code, zh, en)
    }

    /// Any other failure (exit 1).
    pub fn other(code: &str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self::new(Exit::Failure, code, zh, en)
    }

    /// Not logged in on this device (exit 3).
    pub fn not_logged_in() -> Self {
        Self::new(
            Exit::Auth,
            "not_logged_in",
            "本机尚未登录。请先登录一次：beatbook login --server 服务器地址 --username 账号",
            "this device is not logged in; log in once first: \
             beatbook login --server URL --username NAME",
        )
    }

    /// The message in `lang`.
    pub fn message(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh => &self.zh,
            Lang::En => &self.en,
        }
    }

    /// Adds a sentence to both messages.
    pub fn with_hint(mut self, zh: &str, en: &str) -> Self {
        self.zh = format!("{}。{zh}", self.zh.trim_end_matches('。'));
        self.en = format!("{}; {en}", self.en.trim_end_matches('.'));
        self
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} / {}", self.zh, self.en)
    }
}

impl std::error::Error for Failure {}

impl From<ModelError> for Failure {
    fn from(e: ModelError) -> Self {
        Failure::bad_input(e.code(), e.message(Lang::Zh), e.message(Lang::En))
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        let (zh, en) = (e.message(Lang::Zh), e.message(Lang::En));
        match e {
            StoreError::Model(m) => m.into(),
            StoreError::NotFound(id) => Failure::bad_input(
                "not_found",
                format!("本机没有编号为 {id} 的记录。可用 beatbook list 或 beatbook search 查找编号，或先运行 beatbook sync"),
                format!("no record {id} on this device; find ids with beatbook list or beatbook search, or run beatbook sync first"),
            ),
            StoreError::Deleted(id) => Failure::bad_input(
                "deleted",
                format!("记录 {id} 已删除，不能再修改"),
                format!("record {id} was deleted and cannot be changed"),
            ),
            StoreError::WrongKey => Failure::new(
                Exit::Auth,
                "wrong_key",
                "本机数据已加密，密钥不对，无法打开。请检查环境变量 BEATBOOK_KEY",
                "the device store is encrypted and the key does not fit; check BEATBOOK_KEY",
            ),
            StoreError::BadPath(_) => Failure::bad_input("bad_path", zh, en),
            other => Failure::other(other.code(), zh, en),
        }
    }
}

impl From<SyncError> for Failure {
    fn from(e: SyncError) -> Self {
        let code = e.code();
        let split = |s: &str| -> (String, String) {
            match s.split_once(" / ") {
                Some((zh, en)) => (zh.to_owned(), en.to_owned()),
                None => (s.to_owned(), s.to_owned()),
            }
        };
        match e {
            SyncError::Store(s) => s.into(),
            SyncError::NotEnrolled => Failure::not_logged_in(),
            SyncError::PendingWork { .. } => {
                let (zh, en) = split(&e.to_string());
                Failure::new(Exit::BadInput, code, zh, en)
            }
            SyncError::Offline(detail) => Failure::new(
                Exit::Offline,
                "offline",
                format!("无法连接服务器（{detail}）。工作已保存在本机，有信号时再运行 beatbook sync 发送"),
                format!("cannot reach the server ({detail}); your work is saved on this device and will be sent when you run beatbook sync again"),
            ),
            SyncError::Refused(ref body) if e.needs_login() => {
                let (zh, en) = split(&body.message);
                Failure::new(Exit::Auth, code, zh, en).with_hint(
                    "请重新登录：beatbook login --server 服务器地址 --username 账号",
                    "log in again: beatbook login --server URL --username NAME",
                )
            }
            SyncError::Refused(ref body) if code == "rate_limited" => {
                let (zh, en) = split(&body.message);
                Failure::new(Exit::Auth, code, zh, en)
            }
            SyncError::Refused(ref body) if e.is_transient() => {
                let (zh, en) = split(&body.message);
                Failure::new(Exit::Offline, code, zh, en).with_hint(
                    "工作已保存在本机，稍后再运行 beatbook sync",
                    "your work is saved on this device; run beatbook sync again later",
                )
            }
            SyncError::Refused(body) => {
                let (zh, en) = split(&body.message);
                Failure::other(code, zh, en)
            }
            other => {
                let (zh, en) = split(&other.to_string());
                Failure::other(code, zh, en)
            }
        }
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Failure::other(
            "io",
            format!("读写文件失败：{e}"),
            format!("I/O failed: {e}"),
        )
    }
}
