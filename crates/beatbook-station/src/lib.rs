//! Station work (任务精准派单 · 隐患动态清零 · 考核实时完成): dispatching tasks, generating tasks
//! from recurring duty rules, the hazards-to-zero board, and assessment per officer, village and
//! station. Everything is computed from the device store; nothing here does other I/O, and time
//! comes from the model's [`Clock`](beatbook_model::Clock). Each public function is what one app
//! command or one CLI subcommand calls.

pub mod assess;
pub mod board;
pub mod dispatch;
pub mod duty;
pub mod error;
pub mod period;
mod records;
pub mod roster;
pub mod xlsx;

pub use assess::{assess, AsOf, Assessment, By, Figures, Row};
pub use board::{board, Board, BoardRow, VillageBoard};
pub use dispatch::{assign, bulk, BulkOrder, BulkReport, Order, Selector};
pub use duty::{DutyRule, RuleBook, RunReport};
pub use error::{Result, StationError};
pub use period::{DateRange, Period};
pub use roster::{Roster, Staff};
