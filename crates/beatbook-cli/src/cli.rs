//! The command line: every subcommand and option, with help in Chinese then English.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// What `--help` says about exit codes and conflicts.
pub const EXIT_CODES: &str = "\
退出码 / exit codes:
  0  成功 / success
  1  其他错误 / other failure
  2  输入有误：用法、记录类型、字段、取值、状态不允许这样变更、超出辖区
     bad input: usage, record kind, field, value, a status move the rules forbid, outside your scope
  3  需要登录：未登录、密码错误、设备已停用、登录已过期、本机数据密钥 (BEATBOOK_KEY) 不对
     authentication: not logged in, wrong password, revoked, expired, wrong BEATBOOK_KEY
  4  连不上服务器：工作已保存在本机，稍后再运行 beatbook sync
     offline or server unreachable: your work is saved on this device; run beatbook sync later
  5  冲突：要改的字段有两台设备同时写入的不同值，先用 beatbook resolve 选定
     conflict: the field you change holds conflicting values; settle them with beatbook resolve first

冲突 / conflicts: beatbook sync 收到冲突时仍返回 0，在摘要里报告；beatbook show 列出冲突的值。
beatbook sync exits 0 and reports conflicts in its summary; beatbook show lists the conflicting values.

环境变量 / environment: BEATBOOK_HOME（数据目录 / data folder）, BEATBOOK_KEY（本机数据密钥 /
store passphrase）, BEATBOOK_LANG（zh|en）, BEATBOOK_SERVER（login 的服务器地址 / server for login）

不设 BEATBOOK_KEY 时本机数据不加密，其中包括设备的签名密钥：执勤用的手机和电脑务必用加密的数据库
（App 的 PIN 码，或 BEATBOOK_KEY）。
Without BEATBOOK_KEY the device store is not encrypted, and it holds the device's signing key:
a field handset must use the encrypted store (the app's PIN, or BEATBOOK_KEY).";

/// beatbook（一村一警）命令行：离线记录、同步、查询、导出 / the beatbook command: record
/// offline, sync, query, export
#[derive(Debug, Parser)]
#[command(name = "beatbook", version, after_help = EXIT_CODES)]
pub struct Cli {
    /// 本机数据目录 / the device's data folder [default: $XDG_DATA_HOME/beatbook]
    #[arg(long, global = true, env = "BEATBOOK_HOME", value_name = "DIR")]
    pub home: Option<PathBuf>,
    /// 提示与表头的语言 / language of messages and headers
    #[arg(long, global = true, env = "BEATBOOK_LANG", default_value = "zh")]
    pub lang: LangArg,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// A language on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LangArg {
    /// 简体中文
    Zh,
    /// English
    En,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// 登录并登记本机（需要联网）/ log in and enrol this device (needs the server)
    Login(LoginArgs),
    /// 新建记录（离线保存），输出编号 / create a record offline; prints its id
    New(NewArgs),
    /// 修改记录的字段 / change fields of a record
    Edit(EditArgs),
    /// 删除记录（保留在本机并同步删除标记）/ delete a record (kept, marked deleted, synced)
    Delete {
        /// 记录编号 / record id
        id: String,
    },
    /// 查看一条记录，包括冲突的值 / show a record, with any conflicting values
    Show {
        /// 记录编号 / record id
        id: String,
        /// 输出 JSON / print JSON for scripts
        #[arg(long)]
        json: bool,
    },
    /// 列出某类记录 / list records of a kind
    List(ListArgs),
    /// 搜索姓名、地址、身份证号、电话、备注 / search names, addresses, ID numbers, phones, notes
    Search {
        /// 要找的文字（两个字即可）/ the text to find (two characters are enough)
        text: String,
        /// 最多显示几条 / at most this many
        #[arg(long, default_value_t = 100)]
        limit: usize,
        /// 输出 JSON / print JSON for scripts
        #[arg(long)]
        json: bool,
    },
    /// 选定冲突字段的值 / settle a conflicting field
    Resolve {
        /// 记录编号 / record id
        id: String,
        /// 字段，如 status 或 members[1].phone / the field, e.g. status or members[1].phone
        field: String,
        /// 选定的值 / the value to keep
        value: String,
    },
    /// 列出某类记录的字段 / list the fields of a record kind
    Fields {
        /// 记录类型 / record kind
        kind: String,
        /// 输出 JSON / print JSON for scripts
        #[arg(long)]
        json: bool,
    },
    /// 与服务器同步：发送本机的更改，接收辖区内的新内容 / sync: send this device's changes, receive what is new in your scope
    Sync {
        /// 输出 JSON 摘要 / print the summary as JSON
        #[arg(long)]
        json: bool,
    },
    /// 本机状态：用户、服务器、上次同步、待发送的更改 / this device: user, server, last sync, changes waiting
    Status {
        /// 输出 JSON / print JSON for scripts
        #[arg(long)]
        json: bool,
    },
    /// 导出为 CSV 或 Excel 表格（中文表头）/ export to CSV or Excel (Chinese headers)
    Export(ExportArgs),
    /// 矛盾纠纷：调解记录与状态变更 / disputes: mediation sessions and status moves
    #[command(subcommand)]
    Dispute(DisputeCommand),
    /// 隐患：整改与清零 / hazards: rectify and clear
    #[command(subcommand)]
    Hazard(HazardCommand),
    /// 任务：完成或取消 / tasks: complete or cancel
    #[command(subcommand)]
    Task(TaskCommand),
    /// 巡逻：记录发现、结束巡逻 / patrols: log what you see, end the patrol
    #[command(subcommand)]
    Patrol(PatrolCommand),
    /// 值勤规则：按周期自动派单 / duty rules: recurring tasks by rule
    #[command(subcommand)]
    Duty(crate::commands::station::DutyCommand),
    /// 隐患清零看板：未清零的隐患，按村、逾期优先 / hazards board: not cleared, by village, overdue first
    Board(crate::commands::station::BoardArgs),
    /// 考核：按人、按村或按派出所统计一段时间的工作 / assessment per officer, village or station
    Assess(crate::commands::station::AssessArgs),
    /// 审阅记录（所长、县局管理员）/ mark a record reviewed (station chief, county admin)
    Review {
        /// 记录编号 / record id
        id: String,
        /// 审阅意见 / the review comment
        #[arg(long, default_value = "")]
        comment: String,
    },
    /// 档案：户籍家庭、重点人员、单位或纠纷的全部记录，按时间顺序；可导出 HTML、PDF / dossier:
    /// every record about a household, key person, unit or dispute, in order; HTML and PDF export
    Dossier(crate::commands::dossier::DossierArgs),
}

/// `beatbook login`.
#[derive(Debug, Args)]
pub struct LoginArgs {
    /// 服务器地址 / server URL, e.g. http://10.0.0.5:8080
    #[arg(long, env = "BEATBOOK_SERVER")]
    pub server: String,
    /// 账号 / account name
    #[arg(long)]
    pub username: String,
    /// 从标准输入读取密码（第一行）/ read the password from the first line of standard input
    #[arg(long)]
    pub password_stdin: bool,
    /// 本机名称 / a name for this device
    #[arg(long, default_value = "beatbook 命令行")]
    pub device_name: String,
}

/// `beatbook new`.
#[derive(Debug, Args)]
pub struct NewArgs {
    /// 记录类型 / record kind: household, visit, key-person, key-person-check, inspection,
    /// dispute, patrol, publicity, hazard, task
    pub kind: String,
    /// 字段=值，可重复；字段见 beatbook fields KIND / FIELD=VALUE, repeatable; see beatbook fields KIND
    #[arg(long = "set", value_name = "FIELD=VALUE")]
    pub sets: Vec<String>,
    /// 整条记录的字段（JSON 对象；- 表示从标准输入读）/ the fields as one JSON object (- reads stdin)
    #[arg(long, value_name = "JSON")]
    pub json: Option<String>,
    /// 记录所属的村（编号或名称）；只负责一个村时可省略 / the village (id or name); optional if you have one
    #[arg(long)]
    pub village: Option<String>,
}

/// `beatbook edit`.
#[derive(Debug, Args)]
pub struct EditArgs {
    /// 记录编号 / record id
    pub id: String,
    /// 字段=值，可重复 / FIELD=VALUE, repeatable
    #[arg(long = "set", value_name = "FIELD=VALUE")]
    pub sets: Vec<String>,
    /// 要改的字段（JSON 对象；- 表示从标准输入读）/ fields to change as a JSON object (- reads stdin)
    #[arg(long, value_name = "JSON")]
    pub json: Option<String>,
}

/// `beatbook list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// 记录类型 / record kind
    pub kind: String,
    /// 只看这个村（编号或名称）/ only this village (id or name)
    #[arg(long)]
    pub village: Option<String>,
    /// 只看这个状态，如 open、mediating / only this status, e.g. open, mediating
    #[arg(long)]
    pub status: Option<String>,
    /// 只看此时间以后的工作，如 2026-11-01 / only work on or after this time, e.g. 2026-11-01
    #[arg(long)]
    pub since: Option<String>,
    /// 最多显示几条 / at most this many
    #[arg(long, default_value_t = 200)]
    pub limit: usize,
    /// 输出 JSON / print JSON for scripts
    #[arg(long)]
    pub json: bool,
}

/// A spreadsheet format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// CSV（UTF-8，带 BOM，Excel 可直接打开）/ CSV, UTF-8 with a BOM so Excel reads it
    Csv,
    /// Excel 工作簿 / an Excel workbook
    Xlsx,
}

/// `beatbook export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// 记录类型 / record kind
    pub kind: String,
    /// 格式 / format
    #[arg(long, value_enum)]
    pub format: Format,
    /// 输出文件 / the file to write
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// 只导出这个村 / only this village
    #[arg(long)]
    pub village: Option<String>,
    /// 只导出这个状态 / only this status
    #[arg(long)]
    pub status: Option<String>,
    /// 只导出此时间以后的工作 / only work on or after this time
    #[arg(long)]
    pub since: Option<String>,
}

/// `beatbook dispute …`.
#[derive(Debug, Subcommand)]
pub enum DisputeCommand {
    /// 记录一次调解（已登记的纠纷转为调解中）/ log a mediation session (a reported dispute moves to mediating)
    Session {
        /// 纠纷编号 / dispute id
        id: String,
        /// 调解经过 / what was said and agreed
        #[arg(long)]
        notes: String,
        /// 本次结果，如 双方同意再议 / this session's outcome
        #[arg(long)]
        outcome: Option<String>,
        /// 参加人，可重复 / a participant, repeatable
        #[arg(long = "participant")]
        participants: Vec<String>,
        /// 调解时间（默认现在）/ when (default: now)
        #[arg(long)]
        at: Option<String>,
    },
    /// 变更状态：mediating、resolved（需 --outcome）、referred（需 --referral）、closed / move the status
    Move {
        /// 纠纷编号 / dispute id
        id: String,
        /// 新状态 / the new status: mediating, resolved, referred, closed (or 调解中 …)
        status: String,
        /// 移交去向 / referred to: peoples_mediation, lawyer, court
        #[arg(long)]
        referral: Option<String>,
        /// 调解结果 / how it ended
        #[arg(long)]
        outcome: Option<String>,
        /// 调解协议 / the agreement text
        #[arg(long)]
        agreement: Option<String>,
    },
}

/// `beatbook hazard …`.
#[derive(Debug, Subcommand)]
pub enum HazardCommand {
    /// 开始整改 / start putting it right
    Rectify {
        /// 隐患编号 / hazard id
        id: String,
        /// 整改措施 / what is being done
        #[arg(long)]
        note: Option<String>,
        /// 整改期限 / deadline
        #[arg(long)]
        deadline: Option<String>,
    },
    /// 清零（须说明如何清零）/ clear it (say how)
    Clear {
        /// 隐患编号 / hazard id
        id: String,
        /// 清零说明 / how it was cleared
        #[arg(long)]
        note: Option<String>,
    },
}

/// `beatbook task …`.
#[derive(Debug, Subcommand)]
pub enum TaskCommand {
    /// 派单给一名民警或辅警 / dispatch a task to an officer or auxiliary
    Assign(crate::commands::station::AssignArgs),
    /// 批量派单，如本周核查某村全部重点人员 / dispatch in bulk, e.g. check every key person of a village this week
    Bulk(crate::commands::station::BulkArgs),
    /// 完成任务：指明完成它的记录 / complete it with the record that did it
    Done {
        /// 任务编号 / task id
        id: String,
        /// 完成任务的记录编号 / the record that completed it
        #[arg(long)]
        record: String,
    },
    /// 取消任务 / cancel it
    Cancel {
        /// 任务编号 / task id
        id: String,
        /// 取消原因 / why
        #[arg(long)]
        reason: Option<String>,
    },
}

/// `beatbook patrol …`.
#[derive(Debug, Subcommand)]
pub enum PatrolCommand {
    /// 结束巡逻 / end the patrol
    End {
        /// 巡逻编号 / patrol id
        id: String,
        /// 结束时间（默认现在）/ when (default: now)
        #[arg(long)]
        at: Option<String>,
    },
    /// 记录巡逻中的发现 / log something seen on patrol
    Observe {
        /// 巡逻编号 / patrol id
        id: String,
        /// 看到了什么 / what was seen
        #[arg(long)]
        text: String,
        /// 地点 / where
        #[arg(long)]
        place: Option<String>,
        /// 是否需要处置 / an incident needing action
        #[arg(long)]
        incident: bool,
    },
}
