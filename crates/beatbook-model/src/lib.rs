//! The domain model of village community policing (一村一警): jurisdiction, the records officers
//! log, their validation and status machines. Pure data and rules: this crate does no I/O.

pub mod access;
mod duty;
pub mod error;
pub mod fields;
pub mod ids;
pub mod jurisdiction;
pub mod kinds;
pub mod record;
pub mod sample;
pub mod status;
pub mod time;
pub mod validate;

pub use access::{Assignment, Denied, Role};
pub use duty::{DutyRule, RuleProblem, TAG_PREFIX as RULE_TAG_PREFIX};
pub use error::{field_label, path_label, FieldError, Lang, ModelError, Problem};
pub use ids::{RecordId, StationId, UserId, VillageId};
pub use jurisdiction::{County, Post, PostKind, Station, Village};
pub use kinds::*;
pub use record::{Body, Kind, Record, Review, Scope, LONG_TEXT_FIELDS, REVIEW_COMMENT_MAX};
pub use status::{DisputeStatus, HazardStatus, Referral, TaskStatus};
pub use time::{format_local, Clock, FixedClock, SystemClock, SHANGHAI};
