//! Errors of the server library's operations (opening, administration, seeding). HTTP
//! handlers answer with [`crate::http::ApiError`] instead.

use crate::storage::StorageError;
use std::path::PathBuf;

/// What went wrong in a library operation, phrased so an administrator knows what to do.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The database failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The data directory cannot be created or opened.
    #[error("无法使用数据目录 {path}：{error} / cannot use the data directory")]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// Input that breaks a rule; the message says which (Chinese, then English).
    #[error("{0}")]
    Invalid(String),
    /// The username is taken.
    #[error("用户名已存在：{0} / the username is already taken")]
    UserExists(String),
    /// No account with that name.
    #[error("没有这个用户：{0} / no such user")]
    NoSuchUser(String),
    /// No device with that id.
    #[error("没有这个设备：{0} / no such device")]
    NoSuchDevice(String),
    /// The demo data cannot be added to a server that already has accounts or a county.
    #[error(
        "服务器已有账号或辖区数据，不能再导入演示数据 / the server already has accounts or a \
         county; demo data can only be seeded into an empty server"
    )]
    AlreadySeeded,
    /// Hashing a password failed.
    #[error("密码处理失败：{0} / password hashing failed")]
    Password(String),
    /// The operating system gave no randomness.
    #[error("系统随机数不可用：{0} / no randomness available")]
    Random(String),
    /// Building the demo records failed.
    #[error("演示数据生成失败：{0} / building the demo data failed")]
    Seed(String),
}
