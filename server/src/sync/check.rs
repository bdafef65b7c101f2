//! What a pushed change does, judged by the model: the record as the change's author left it
//! must be a valid record, the move from what the author saw must be one the model allows
//! (fixed fields unchanged, status machines followed), and the author must be allowed to make
//! it (the model's access rules). A device is never trusted to have checked.
//!
//! The change is judged in its own view — the record at the change's dependencies, then with
//! the change on top — not against the merged state: two moves that are each legal may merge
//! into a state neither device wrote, and refusing the second would lose honest work.

use super::SyncError;
use automerge::{AutoCommit, ChangeHash};
use beatbook_model::{Assignment, Denied, Lang, ModelError, Record, RecordId, UserId};
use beatbook_protocol::{ChangeKey, ErrorCode};
use chrono::{DateTime, Duration, Utc};

/// How far ahead of the server's clock a device's clock may run before the times it records
/// count as "in the future": field handsets drift, and refusing a day's work over a wrong
/// clock would lose it. The model's own slack comes on top.
pub(crate) const DEVICE_CLOCK_ALLOWANCE: Duration = Duration::days(7);

/// The record a document holds, or why it holds none.
pub(crate) fn read(doc: &AutoCommit) -> Result<Record, String> {
    beatbook_doc::read_record(doc)
        .map(|(record, _)| record)
        .map_err(|e| e.to_string())
}

/// The record in `doc` as it stood at `heads` (none at no heads).
pub(crate) fn read_at(
    doc: &mut AutoCommit,
    heads: &[ChangeHash],
) -> Result<Option<Record>, String> {
    if heads.is_empty() {
        return Ok(None);
    }
    let past = doc.fork_at(heads).map_err(|e| e.to_string())?;
    read(&past).map(Some)
}

/// Judges one change: `before` is the record its author saw (`None` for a new record, or one
/// whose earlier state no longer reads), `after` the record with the change applied on top of
/// that. `author` made the change with `assignment`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn judge(
    record: RecordId,
    hash: ChangeKey,
    before: Option<&Record>,
    after: Result<&Record, &str>,
    author: &UserId,
    assignment: &Assignment,
    now: DateTime<Utc>,
) -> Result<(), SyncError> {
    let refuse = |code: ErrorCode, err: &ModelError| SyncError::Refused {
        code,
        message: format!(
            "记录 {record}：{} / record {record}: {}",
            err.message(Lang::Zh),
            err.message(Lang::En)
        ),
        change: Some(hash),
    };
    let after = after.map_err(|why| {
        refuse(
            ErrorCode::BadChange,
            &ModelError::Malformed(why.chars().take(300).collect()),
        )
    })?;
    if let Some(before) = before {
        if before.id != after.id {
            return Err(refuse(
                ErrorCode::BadChange,
                &ModelError::Immutable { field: "id" },
            ));
        }
    } else if after.id != record {
        return Err(refuse(
            ErrorCode::BadChange,
            &ModelError::Immutable { field: "id" },
        ));
    }
    assignment
        .check_change(author, before, after)
        .map_err(|denied| {
            let code = match denied {
                Denied::OutOfScope | Denied::Review => ErrorCode::OutOfScope,
                Denied::Dispatch | Denied::TaskChange | Denied::DutyRules => ErrorCode::Forbidden,
            };
            refuse(code, &ModelError::Forbidden(denied))
        })?;
    let now = now + DEVICE_CLOCK_ALLOWANCE;
    let valid = match before {
        Some(before) => after.check_update(before, now),
        None => after.validate(now),
    };
    match (valid, before) {
        (Ok(()), _) => Ok(()),
        // A record already invalid before this change (written before a rule existed) may
        // still be deleted: hiding it is the way out, not a new problem.
        (Err(_), Some(before))
            if after.deleted && !before.deleted && before.validate(now).is_err() =>
        {
            Ok(())
        }
        (Err(e), _) => Err(refuse(ErrorCode::BadChange, &e)),
    }
}
