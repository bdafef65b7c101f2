//! `beatbook review ID --comment …`: a station chief (所长) or county admin marks a record
//! reviewed. The review (who, when, comment) is part of the record and syncs to its author;
//! anyone else is refused with exit 2 and nothing changes.

use crate::error::Result;
use crate::home::Home;
use crate::values::record_id;
use beatbook_model::{format_local, Lang, Review, UserId};
use chrono::{SubsecRound, Utc};

/// Marks the record reviewed; prints who reviewed it and when.
pub fn review(home: &Home, raw_id: &str, comment: &str) -> Result<String> {
    let id = record_id(raw_id)?;
    let mut s = home.session()?;
    let view = s.store.open_record(id)?;
    if view.record.deleted {
        return Err(beatbook_store::StoreError::Deleted(id).into());
    }
    let by = UserId::from(s.me());
    let now = Utc::now().trunc_subsecs(3);
    let review = Review::new(&view.record, &by, s.assignment(), comment, now)?;
    let record = s.store.review(id, review)?;
    let at = record.review.as_ref().map_or(now, |r| r.at);
    Ok(match home.lang {
        Lang::Zh => format!("已审阅：{id}（审阅人 {by}，{}）\n", format_local(at)),
        Lang::En => format!("reviewed: {id} (by {by}, {})\n", format_local(at)),
    })
}
