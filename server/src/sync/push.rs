//! Accepting pushed changes. A batch is all-or-nothing: every change is checked (signed by an
//! enrolled, unrevoked device; builds on what the server has; keeps the record's id, kind and
//! scope; within the pusher's scope; leaves a record the model accepts, made by someone the
//! access rules allow — see `check`) and applied inside one storage transaction, which
//! commits only if all pass. Only then are the changes acknowledged.

use super::{check, SyncError};
use crate::storage::{DeviceRow, NewChange, Storage, StoredDocument};
use automerge::{AutoCommit, Change};
use beatbook_model::{Assignment, Kind, RecordId, Scope};
use beatbook_protocol::{
    change_payload, read_change, ChangeChunk, ChangeError, ChangeKey, ErrorCode, PushBudget,
    PushedChange,
};
use chrono::{DateTime, Utc};
use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// Who is pushing.
#[derive(Debug, Clone)]
pub(crate) struct Pusher<'a> {
    /// The account.
    pub username: &'a str,
    /// Its current role and place of work.
    pub assignment: &'a Assignment,
}

/// What a push did.
#[derive(Debug, Default)]
pub(crate) struct PushOutcome {
    /// Every pushed change's hash, in order (new and already known alike).
    pub acked: Vec<ChangeKey>,
    /// How many changes were new.
    pub applied: u64,
    /// The log positions of the new changes, ascending. The pusher has these changes, so the
    /// same request's pull leaves them out.
    pub appended: Vec<u64>,
}

/// A record's document while the batch is being applied.
struct Working {
    doc: AutoCommit,
    /// Kind and scope, once known (from storage or the batch's first change).
    header: Option<(Kind, Scope)>,
    last_seq: u64,
    dirty: bool,
    /// For a record new in this batch while its history is one change: that change's
    /// uncompressed chunk, which is what gets stored (see [`push`]'s end).
    only_change: Option<Vec<u8>>,
    /// Changes applied in this batch.
    applied: usize,
    /// The record as the document now holds it, once read (see `check`).
    current: Option<Result<beatbook_model::Record, String>>,
}

/// A new pushed change whose author is known, before its signature is verified: only its
/// chunk header has been read (see [`read_change`]), not its content.
struct Pending {
    chunk: ChangeChunk<'static>,
    hash: ChangeKey,
    record: RecordId,
    device_id: String,
    /// The account the change's device belongs to.
    author: String,
    key: VerifyingKey,
    signature: Signature,
    pushed: PushedChange,
}

/// A new pushed change, signed by its enrolled device and read by Automerge.
struct Checked {
    change: Change,
    hash: ChangeKey,
    record: RecordId,
    device_id: String,
    /// The account the change's device belongs to.
    author: String,
    pushed: PushedChange,
}

/// The answer to a change refused before Automerge read it: for good (`bad_change`, naming
/// the change when its hash is known, so the device sets it aside), or, for a push over its
/// budget as a whole, `too_large` (a smaller push may carry the same changes).
fn change_refused(e: ChangeError, hash: Option<ChangeKey>) -> SyncError {
    let (code, change) = match e {
        ChangeError::OverBudget(_) => (ErrorCode::TooLarge, None),
        ChangeError::Malformed(_) | ChangeError::TooLarge(_) => (ErrorCode::BadChange, hash),
    };
    SyncError::Refused {
        code,
        message: e.message(),
        change,
    }
}

/// Verifies every change's signature over its hash with its device's key, all at once; if
/// the batch fails, one by one to name the first change that does not verify.
///
/// Batch verification accepts exactly what one-by-one verification accepts for signatures
/// made by a key's owner; the two can differ only for deliberately malformed signatures
/// (small-order components), which only the key's owner could make and which still prove
/// nothing but that owner's authorship.
fn verify_signatures(changes: &[Pending]) -> Result<(), SyncError> {
    let payloads: Vec<Vec<u8>> = changes.iter().map(|c| change_payload(&c.hash)).collect();
    let messages: Vec<&[u8]> = payloads.iter().map(Vec::as_slice).collect();
    let signatures: Vec<Signature> = changes.iter().map(|c| c.signature).collect();
    let keys: Vec<VerifyingKey> = changes.iter().map(|c| c.key).collect();
    if ed25519_dalek::verify_batch(&messages, &signatures, &keys).is_ok() {
        return Ok(());
    }
    for (c, message) in changes.iter().zip(&messages) {
        if c.key.verify(message, &c.signature).is_err() {
            return Err(SyncError::refused(
                ErrorCode::BadSignature,
                Some(c.hash),
                "修改的签名无效",
                "the change's signature does not verify with its device's key",
            ));
        }
    }
    Ok(())
}

/// Checks and applies `changes` as one transaction.
pub(crate) fn push(
    storage: &dyn Storage,
    pusher: &Pusher<'_>,
    changes: Vec<PushedChange>,
    now: DateTime<Utc>,
) -> Result<PushOutcome, SyncError> {
    let sent = changes.iter().map(|c| c.change.len()).sum();
    push_within(storage, pusher, changes, now, sent)
}

/// [`push`] for changes that arrived in a request of `request_bytes` bytes: what they may
/// inflate to and how many operations they may hold is proportional to that (see
/// [`PushBudget`]).
pub(crate) fn push_within(
    storage: &dyn Storage,
    pusher: &Pusher<'_>,
    changes: Vec<PushedChange>,
    now: DateTime<Utc>,
    request_bytes: usize,
) -> Result<PushOutcome, SyncError> {
    let mut out = PushOutcome::default();
    if changes.is_empty() {
        return Ok(out);
    }
    let mut tx = storage.begin()?;
    let mut docs: HashMap<RecordId, Working> = HashMap::new();
    let mut seen: HashSet<ChangeKey> = HashSet::new();
    let mut devices: HashMap<Vec<u8>, Option<(DeviceRow, VerifyingKey)>> = HashMap::new();

    // First every change's chunk header is read — its hash and actor, nothing more; a
    // compressed chunk is inflated only within the push's budget — and its author found,
    // so that all signatures can be verified together before any change's content is read:
    // batch verification costs about half as much per signature, and a device's key is
    // decoded once per push instead of once per change.
    let mut budget =
        PushBudget::new(&changes, request_bytes).map_err(|e| change_refused(e, None))?;
    let mut pending: Vec<Pending> = Vec::with_capacity(changes.len());
    for pushed in changes {
        let chunk = read_change(&pushed.change, &mut budget)
            .map_err(|e| change_refused(e, None))?
            .into_owned();
        let hash: ChangeKey = chunk.hash;
        out.acked.push(hash);
        if seen.contains(&hash) || tx.change_logged(&hash)? {
            continue;
        }
        seen.insert(hash);
        let bad =
            |code: ErrorCode, zh: &str, en: &str| SyncError::refused(code, Some(hash), zh, en);

        let record = RecordId(Uuid::from_bytes(pushed.record));
        if record.0.is_nil() {
            return Err(bad(
                ErrorCode::BadChange,
                "记录编号无效",
                "the record id is nil",
            ));
        }
        let actor = chunk.actor().to_vec();
        let device = match devices.get(&actor) {
            Some(d) => d.clone(),
            None => {
                let d = tx.device_by_actor(&actor)?.map(|row| {
                    let key = <[u8; 32]>::try_from(row.public_key.as_slice())
                        .ok()
                        .and_then(|k| VerifyingKey::from_bytes(&k).ok());
                    (row, key)
                });
                let d = match d {
                    // A stored key that does not decode verifies nothing.
                    Some((row, None)) => {
                        return Err(bad(
                            ErrorCode::BadSignature,
                            "修改的签名无效",
                            &format!("device {} has no usable public key", row.id),
                        ))
                    }
                    Some((row, Some(key))) => Some((row, key)),
                    None => None,
                };
                devices.insert(actor, d.clone());
                d
            }
        };
        let Some((device, key)) = device else {
            return Err(bad(
                ErrorCode::UnknownActor,
                "修改来自未登记的设备",
                "the change was made by no enrolled device",
            ));
        };
        if device.revoked {
            return Err(bad(
                ErrorCode::DeviceRevoked,
                "修改来自已停用的设备",
                "the change was made on a revoked device",
            ));
        }
        let Ok(signature) = <[u8; 64]>::try_from(pushed.signature.as_slice()) else {
            return Err(bad(
                ErrorCode::BadSignature,
                "修改的签名无效",
                "the change's signature does not verify with its device's key",
            ));
        };
        pending.push(Pending {
            chunk,
            hash,
            record,
            device_id: device.id,
            author: device.username,
            key,
            signature: Signature::from_bytes(&signature),
            pushed,
        });
    }
    verify_signatures(&pending)?;

    // Only changes signed by their enrolled device are read further: their op columns are
    // counted against the budget without being decoded, then Automerge parses them.
    let mut new: Vec<Checked> = Vec::with_capacity(pending.len());
    for p in pending {
        p.chunk
            .check_columns(&mut budget)
            .map_err(|e| change_refused(e, Some(p.hash)))?;
        let change = Change::from_bytes(p.chunk.into_chunk()).map_err(|e| {
            SyncError::refused(
                ErrorCode::BadChange,
                Some(p.hash),
                "无法解析的修改",
                &format!("a pushed change is not an Automerge change ({e})"),
            )
        })?;
        if change.hash().0 != p.hash {
            return Err(SyncError::Internal(format!(
                "change {} read with another hash than its header's",
                beatbook_protocol::hex(&p.hash)
            )));
        }
        new.push(Checked {
            change,
            hash: p.hash,
            record: p.record,
            device_id: p.device_id,
            author: p.author,
            pushed: p.pushed,
        });
    }
    // (Every signature was verified above, before any change's content was read.)

    // Each author's assignment, looked up once per push.
    let mut authors: HashMap<String, Option<Assignment>> = HashMap::new();

    for checked in new {
        let Checked {
            change,
            hash,
            record,
            device_id,
            author,
            pushed,
            ..
        } = checked;
        let bad =
            |code: ErrorCode, zh: &str, en: &str| SyncError::refused(code, Some(hash), zh, en);
        let working = match docs.entry(record) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                let working = match tx.document(record)? {
                    Some(stored) => Working {
                        doc: AutoCommit::load(&stored.data).map_err(|err| {
                            SyncError::Internal(format!("stored document {record}: {err}"))
                        })?,
                        header: Some((stored.kind, stored.scope)),
                        last_seq: stored.last_seq,
                        dirty: false,
                        only_change: None,
                        applied: 0,
                        current: None,
                    },
                    None => Working {
                        doc: AutoCommit::new(),
                        header: None,
                        last_seq: 0,
                        dirty: false,
                        only_change: None,
                        applied: 0,
                        current: None,
                    },
                };
                e.insert(working)
            }
        };
        let doc = &mut working.doc;
        if !change
            .deps()
            .iter()
            .all(|d| doc.get_change_meta_by_hash(d).is_some())
        {
            return Err(bad(
                ErrorCode::BadChange,
                "修改所依赖的修改尚未上传",
                "the change builds on changes the server does not have; push them first",
            ));
        }
        let change_hash = change.hash();
        let before = doc.get_heads();
        let mut deps = change.deps().to_vec();
        deps.sort();
        // Most changes build on exactly what the server holds: the record before them is the
        // one already read, and after them the document itself. A change made concurrently
        // with others is judged in its own view (see `check`).
        let linear = deps == before;
        let seen_before = if deps.is_empty() {
            None
        } else if linear {
            match working.current.take() {
                Some(current) => current.ok(),
                None => check::read(doc).ok(),
            }
        } else {
            check::read_at(doc, &deps).ok().flatten()
        };
        let fresh = working.header.is_none() && working.applied == 0;
        working.only_change = fresh.then(|| change.raw_bytes().to_vec());
        if let Err(e) = doc.apply_changes([change]) {
            return Err(bad(
                ErrorCode::BadChange,
                "修改无法应用到记录",
                &format!("the change cannot be applied to its record ({e})"),
            ));
        }
        if doc.get_change_meta_by_hash(&change_hash).is_none() {
            return Err(bad(
                ErrorCode::BadChange,
                "修改无法应用到记录",
                "the change cannot be applied to its record",
            ));
        }
        let Some((id, kind, scope)) = beatbook_doc::read_header(doc) else {
            return Err(bad(
                ErrorCode::BadChange,
                "记录缺少编号、类型或辖区",
                "the record has no id, kind or scope",
            ));
        };
        if id != record {
            return Err(bad(
                ErrorCode::BadChange,
                "修改不属于所标明的记录",
                "the change belongs to another record than the one it was pushed for",
            ));
        }
        match &working.header {
            Some((k, s)) if (*k, s) != (kind, &scope) => {
                return Err(bad(
                    ErrorCode::OutOfScope,
                    "记录的类型和所属村创建后不能修改",
                    "a record's kind and village are fixed at creation",
                ));
            }
            Some(_) => {}
            None => working.header = Some((kind, scope.clone())),
        }
        if !pusher.assignment.can_write(kind, &scope) {
            return Err(bad(
                ErrorCode::OutOfScope,
                "无权修改本辖区以外的记录",
                "the record is outside your area of responsibility",
            ));
        }
        let after = if linear {
            check::read(doc)
        } else {
            check::read_at(doc, &[change_hash]).map(|r| r.expect("one head"))
        };
        let assignment = match authors.get(&author) {
            Some(a) => a.clone(),
            None => {
                let a = if author == pusher.username {
                    Some(pusher.assignment.clone())
                } else {
                    storage.user(&author)?.map(|u| u.assignment)
                };
                authors.insert(author.clone(), a.clone());
                a
            }
        };
        let Some(assignment) = assignment else {
            return Err(bad(
                ErrorCode::UnknownActor,
                "修改来自未登记的用户",
                "the change was made by no known user",
            ));
        };
        check::judge(
            record,
            hash,
            seen_before.as_ref(),
            after.as_ref().map_err(String::as_str),
            &author.as_str().into(),
            &assignment,
            now,
        )?;
        working.current = linear.then_some(after);
        working.last_seq = tx.append_change(&NewChange {
            hash,
            record,
            kind,
            scope,
            data: pushed.change,
            signature: pushed.signature,
            device_id,
            username: pusher.username.to_owned(),
            received_at: now,
        })?;
        out.appended.push(working.last_seq);
        working.dirty = true;
        working.applied += 1;
        out.applied += 1;
    }
    for (record, mut working) in docs {
        if !working.dirty {
            continue;
        }
        let Some((kind, scope)) = working.header else {
            continue;
        };
        // A record whose whole history is one change (most records, e.g. every visit until
        // it is edited) is stored as that change's uncompressed chunk, which `load` reads
        // like a document: in a page of many records it compresses to about 30 % less than
        // a saved document (no 32-byte head hash, no change columns), and it costs no save.
        let data = match working.only_change.take() {
            Some(change) if working.applied == 1 => change,
            // Without DEFLATE: documents travel in pages that zstd compresses whole, and
            // plain columns compress far better across documents, and saving is much
            // cheaper. Storage compresses them at rest.
            _ => working.doc.save_nocompress(),
        };
        tx.put_document(&StoredDocument {
            record,
            kind,
            scope,
            data,
            last_seq: working.last_seq,
        })?;
    }
    tx.commit()?;
    Ok(out)
}
