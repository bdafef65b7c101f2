//! Paging a user's scoped feed. A new device (cursor 0), or one whose cursor the server does
//! not know (e.g. restored from a backup), first gets whole documents (snapshot mode, by
//! record id), then the change log from where the snapshot began (log mode, by seq).

use super::SyncError;
use crate::storage::{ReadFilter, Storage};
use beatbook_model::{Assignment, RecordId};
use beatbook_protocol::{Cursor, PulledChange, PulledDocument, SnapshotCursor};
use uuid::Uuid;

/// The most bytes of documents or changes one answer carries, whatever the client asks
/// (at least one item is always sent).
pub(crate) const MAX_PULL_BUDGET: usize = 4 * 1024 * 1024;

/// One page of the feed.
#[derive(Debug, Default)]
pub(crate) struct Pulled {
    pub documents: Vec<PulledDocument>,
    pub changes: Vec<PulledChange>,
    pub cursor: Cursor,
    pub more: bool,
    pub remaining: u64,
}

/// The next page after `cursor` of what `assignment` may read. Logged changes at the
/// positions in `own` (ascending: what the same request just pushed) are left out: the device
/// has them, and echoing them back would double the bytes of every edit it syncs.
pub(crate) fn pull(
    storage: &dyn Storage,
    assignment: &Assignment,
    cursor: Cursor,
    max_pull_bytes: u32,
    own: &[u64],
) -> Result<Pulled, SyncError> {
    let filter = ReadFilter::for_assignment(assignment);
    let budget = (max_pull_bytes as usize).clamp(1, MAX_PULL_BUDGET);
    let max = storage.max_seq()?;
    let snapshot = match cursor.snapshot {
        Some(s) if s.upto <= max => Some((s.upto, Some(RecordId(Uuid::from_bytes(s.after))))),
        Some(_) => Some((max, None)),
        None if cursor.seq == 0 || cursor.seq > max => Some((max, None)),
        None => None,
    };
    let mut out = Pulled::default();
    if let Some((upto, after)) = snapshot {
        let page = storage.documents_page(&filter, after, budget)?;
        let last = page.items.last().map(|d| d.record);
        for d in page.items {
            if assignment.can_read(d.kind, &d.scope) {
                out.documents.push(PulledDocument {
                    record: d.record.0.into_bytes(),
                    document: d.data,
                });
            } else {
                tracing::error!(record = %d.record, "storage returned a document outside the filter");
            }
        }
        match last {
            Some(last) if !page.exhausted => {
                out.remaining = storage.count_documents(&filter, Some(last))?
                    + storage.count_changes(&filter, upto, max)?;
                out.cursor = Cursor {
                    seq: 0,
                    snapshot: Some(SnapshotCursor {
                        upto,
                        after: last.0.into_bytes(),
                    }),
                };
                out.more = true;
            }
            _ => {
                out.remaining = storage.count_changes(&filter, upto, max)?;
                out.cursor = Cursor {
                    seq: upto,
                    snapshot: None,
                };
                out.more = out.remaining > 0;
            }
        }
    } else {
        let page = storage.changes_page(&filter, cursor.seq, max, budget)?;
        let last = page.items.last().map(|c| c.seq);
        for c in page.items {
            if own.binary_search(&c.seq).is_ok() {
                continue;
            }
            if assignment.can_read(c.kind, &c.scope) {
                out.changes.push(PulledChange {
                    record: c.record.0.into_bytes(),
                    change: c.data,
                });
            } else {
                tracing::error!(seq = c.seq, "storage returned a change outside the filter");
            }
        }
        match last {
            Some(last) if !page.exhausted => {
                out.remaining = storage.count_changes(&filter, last, max)?;
                out.cursor = Cursor {
                    seq: last,
                    snapshot: None,
                };
                out.more = true;
            }
            // The page ran out: nothing in scope up to `max`, so out-of-scope changes before
            // it are never scanned again.
            _ => {
                out.cursor = Cursor {
                    seq: max,
                    snapshot: None,
                };
            }
        }
    }
    Ok(out)
}
