//! One sync, as plain decisions: what to send next and what to do with the answer. No
//! network here; a test can play the server's part by hand.

use std::future::Future;
use std::sync::Mutex;

use beatbook_model::RecordId;
use beatbook_protocol::{
    change_payload, decode, encode, ApiErrorBody, Cursor, DeviceKey, ErrorCode, PushedChange,
    SyncRequest, SyncResponse, PROTOCOL_VERSION,
};
use beatbook_store::{ChangeHash, IncomingChange, Store};
use serde::Serialize;

use crate::{Device, SyncError};

/// The store meta key holding the feed cursor (JSON).
pub const CURSOR_META_KEY: &str = "sync_cursor";
/// The store meta key holding when this device last caught up with the server (RFC 3339).
pub const LAST_SYNC_META_KEY: &str = "last_sync_at";
/// At most this many changes per request…
const PUSH_MAX_CHANGES: usize = beatbook_protocol::MAX_PUSHED_CHANGES;
/// …and about this many bytes.
const PUSH_MAX_BYTES: usize = 1 << 20;
/// How much the server may send per answer.
const PULL_MAX_BYTES: u32 = 2 << 20;

/// Moves one request/answer pair to the server and back.
pub trait Transport {
    /// Sends an encoded [`SyncRequest`] and returns the encoded [`SyncResponse`].
    fn exchange(&self, body: Vec<u8>) -> impl Future<Output = Result<Vec<u8>, SyncError>> + Send;
}

/// What to do after an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Send another request at once.
    Continue,
    /// Caught up.
    Done,
}

/// How far a sync has come: `done` of `total` items (changes to push plus items to pull).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Progress {
    /// Items handled so far.
    pub done: u64,
    /// Items known so far (grows as the server reports what remains).
    pub total: u64,
}

/// What a sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncSummary {
    /// Changes of this device the server acknowledged.
    pub pushed: usize,
    /// Changes received.
    pub pulled_changes: usize,
    /// Whole documents received (first sync or after a reset).
    pub pulled_documents: usize,
    /// Records that changed on this device.
    pub records_updated: usize,
    /// Of those, records holding conflicting values someone should settle.
    pub conflicts: usize,
    /// Changes the server refused for good and that were set aside.
    pub set_aside: usize,
    /// Records received that this device cannot read, newly kept aside as unreadable.
    pub unreadable: usize,
    /// Requests made.
    pub round_trips: usize,
    /// Bytes sent.
    pub bytes_sent: usize,
    /// Bytes received.
    pub bytes_received: usize,
}

/// One sync's state between round trips.
#[derive(Debug)]
pub struct Session {
    key: DeviceKey,
    cursor: Cursor,
    in_flight: Vec<ChangeHash>,
    pending_at_start: u64,
    remaining: u64,
    summary: SyncSummary,
    /// Most changes to push in one request; halved when the server finds a push too large.
    push_limit: usize,
}

impl Session {
    /// Starts a sync for the enrolled `device`.
    pub fn new(store: &Store, device: &Device) -> Result<Session, SyncError> {
        let cursor = match store.get_meta(CURSOR_META_KEY)? {
            Some(json) => serde_json::from_str(&json).unwrap_or_default(),
            None => Cursor::default(),
        };
        Ok(Session {
            key: device.key()?,
            cursor,
            in_flight: Vec::new(),
            pending_at_start: store.pending_count()? as u64,
            remaining: 0,
            summary: SyncSummary::default(),
            push_limit: PUSH_MAX_CHANGES,
        })
    }

    /// The next request: the oldest unacknowledged changes (signed) and the cursor.
    pub fn request(&mut self, store: &Store) -> Result<Vec<u8>, SyncError> {
        let mut push = Vec::new();
        let mut bytes = 0;
        self.in_flight.clear();
        for c in store.pending_changes(self.push_limit)? {
            if !push.is_empty() && bytes + c.bytes.len() > PUSH_MAX_BYTES {
                break;
            }
            bytes += c.bytes.len();
            self.in_flight.push(c.hash);
            push.push(PushedChange {
                record: *c.record_id.0.as_bytes(),
                signature: self.key.sign(&change_payload(&c.hash.0)).to_vec(),
                change: c.bytes,
            });
        }
        let body = encode(&SyncRequest {
            protocol: PROTOCOL_VERSION,
            cursor: self.cursor,
            push,
            max_pull_bytes: PULL_MAX_BYTES,
        })
        .map_err(|e| SyncError::BadResponse(e.to_string()))?;
        self.summary.round_trips += 1;
        self.summary.bytes_sent += body.len();
        Ok(body)
    }

    /// Applies an answer: acknowledged changes leave the outbox; pulled documents and changes
    /// are applied together with the new cursor, in one transaction.
    pub fn response(&mut self, store: &mut Store, body: &[u8]) -> Result<Step, SyncError> {
        self.summary.bytes_received += body.len();
        let resp: SyncResponse = decode(body).map_err(|e| SyncError::BadResponse(e.to_string()))?;
        let acked: Vec<ChangeHash> = resp.acked.iter().map(|h| ChangeHash(*h)).collect();
        self.summary.pushed += store.acknowledge(&acked)?;
        let changes: Vec<IncomingChange> = resp
            .changes
            .into_iter()
            .map(|c| IncomingChange {
                record_id: RecordId(uuid_from(c.record)),
                bytes: c.change,
            })
            .collect();
        let documents: Vec<(RecordId, Vec<u8>)> = resp
            .documents
            .into_iter()
            .map(|d| (RecordId(uuid_from(d.record)), d.document))
            .collect();
        self.summary.pulled_changes += changes.len();
        self.summary.pulled_documents += documents.len();
        let cursor = serde_json::to_string(&resp.cursor)
            .map_err(|e| SyncError::BadResponse(e.to_string()))?;
        let caught_up = !resp.more && store.pending_count()? == 0;
        let now = chrono::Utc::now().to_rfc3339();
        let mut meta = vec![(CURSOR_META_KEY, cursor.as_str())];
        if caught_up {
            meta.push((LAST_SYNC_META_KEY, now.as_str()));
        }
        let report = store.apply_pulled(&changes, &documents, &meta)?;
        self.summary.records_updated += report.records.len();
        self.summary.unreadable += report.unreadable.len();
        self.summary.conflicts += store.count_conflicted(&report.records)?;
        self.cursor = resp.cursor;
        self.remaining = resp.remaining;
        if resp.more || store.pending_count()? > 0 {
            Ok(Step::Continue)
        } else {
            Ok(Step::Done)
        }
    }

    /// Handles a refusal. A refusal of one change (out of scope, bad change) sets that change
    /// aside so everything else still syncs; any other refusal ends the sync.
    pub fn refused(&mut self, store: &mut Store, err: ApiErrorBody) -> Result<Step, SyncError> {
        // A push too large as a whole goes again in halves; one change alone too large for
        // the server is set aside like any change it refuses for good, so the rest still
        // syncs (the server cannot always name it: it may not know its hash).
        if err.code == ErrorCode::TooLarge && err.change.is_none() {
            match self.in_flight.as_slice() {
                [] => {}
                [only] => {
                    let only = *only;
                    if store.set_aside(&only, err.code.as_str(), &err.message)? {
                        self.summary.set_aside += 1;
                    }
                    return Ok(Step::Continue);
                }
                many => {
                    self.push_limit = (many.len() / 2).max(1);
                    return Ok(Step::Continue);
                }
            }
        }
        let permanent_change_fault = matches!(
            err.code,
            ErrorCode::OutOfScope
                | ErrorCode::Forbidden
                | ErrorCode::TooLarge
                | ErrorCode::BadChange
                | ErrorCode::BadSignature
                | ErrorCode::UnknownActor
        );
        let hash = err
            .change
            .as_deref()
            .and_then(beatbook_protocol::unhex)
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .map(ChangeHash)
            .filter(|h| self.in_flight.contains(h));
        match hash {
            Some(hash) if permanent_change_fault => {
                if store.set_aside(&hash, err.code.as_str(), &err.message)? {
                    self.summary.set_aside += 1;
                }
                Ok(Step::Continue)
            }
            _ => Err(SyncError::Refused(err)),
        }
    }

    /// Progress so far.
    pub fn progress(&self) -> Progress {
        let pulled = (self.summary.pulled_changes + self.summary.pulled_documents) as u64;
        let done = self.summary.pushed as u64 + self.summary.set_aside as u64 + pulled;
        Progress {
            done,
            total: (self.pending_at_start + pulled + self.remaining).max(done),
        }
    }

    /// What the sync has done so far.
    pub fn summary(&self) -> &SyncSummary {
        &self.summary
    }
}

fn uuid_from(bytes: [u8; 16]) -> uuid::Uuid {
    uuid::Uuid::from_bytes(bytes)
}

/// Syncs until caught up: push and pull in each round trip, reporting progress after each.
/// The store is locked only while a request is built or an answer applied, never during
/// network I/O, so officers keep typing while a sync runs.
pub async fn run<T: Transport>(
    store: &Mutex<Store>,
    device: &Device,
    transport: &T,
    mut on_progress: impl FnMut(Progress),
) -> Result<SyncSummary, SyncError> {
    let mut session = Session::new(&*lock(store)?, device)?;
    loop {
        let body = session.request(&*lock(store)?)?;
        let step = match transport.exchange(body).await {
            Ok(answer) => session.response(&mut *lock(store)?, &answer)?,
            Err(SyncError::Refused(err)) => session.refused(&mut *lock(store)?, err)?,
            Err(e) => return Err(e),
        };
        on_progress(session.progress());
        if step == Step::Done {
            return Ok(session.summary);
        }
    }
}

/// Like [`run`], retrying transient failures (no signal, server busy) after the delays of
/// `backoff`, at most `attempts` times in all. Each retry resumes where the last attempt
/// stopped: acknowledged changes are not sent again, an unacknowledged one is resent and the
/// server treats the copy as a no-op.
pub async fn run_with_retry<T: Transport>(
    store: &Mutex<Store>,
    device: &Device,
    transport: &T,
    backoff: &mut crate::Backoff,
    attempts: u32,
    mut on_progress: impl FnMut(Progress),
) -> Result<SyncSummary, SyncError> {
    let mut attempt = 1;
    loop {
        match run(store, device, transport, &mut on_progress).await {
            Ok(summary) => {
                backoff.reset();
                return Ok(summary);
            }
            Err(e) if e.is_transient() && attempt < attempts => {
                attempt += 1;
                tokio::time::sleep(backoff.next_delay()).await;
            }
            Err(e) => return Err(e),
        }
    }
}

fn lock(store: &Mutex<Store>) -> Result<std::sync::MutexGuard<'_, Store>, SyncError> {
    store
        .lock()
        .map_err(|_| SyncError::BadResponse("the store lock was poisoned by a crash".into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use beatbook_model::{Assignment, Body, Publicity, Role, Scope, SystemClock};
    use beatbook_protocol::{verify, PulledChange, UserInfo};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    fn store() -> Store {
        Store::open_in_memory(Arc::new(SystemClock)).unwrap()
    }

    fn device(key: &DeviceKey) -> Device {
        Device::new(
            "http://127.0.0.1:9".into(),
            "dev-1".into(),
            "token".into(),
            chrono::Utc::now(),
            key,
            UserInfo {
                username: "li.officer".into(),
                display_name: "李警官".into(),
                assignment: Assignment {
                    role: Role::CommunityOfficer,
                    station: Some("gucheng".into()),
                    villages: vec!["nanjie".into()],
                },
            },
        )
    }

    fn publicity(store: &mut Store, topic: &str) -> RecordId {
        store
            .create(
                &"li.officer".into(),
                Scope {
                    station: "gucheng".into(),
                    village: "nanjie".into(),
                },
                Body::Publicity(Publicity {
                    topic: topic.into(),
                    place: "村委会".into(),
                    held_at: chrono::Utc::now(),
                    audience: 30,
                    notes: String::new(),
                }),
            )
            .unwrap()
            .id
    }

    #[test]
    fn a_round_trip_pushes_signed_changes_and_applies_what_comes_back() {
        let key = DeviceKey::generate().unwrap();
        let mut mine = store();
        let mut theirs = store();
        let my_record = publicity(&mut mine, "防范电信诈骗");
        let their_record = publicity(&mut theirs, "禁毒宣传");

        let mut session = Session::new(&mine, &device(&key)).unwrap();
        let req: SyncRequest = decode(&session.request(&mine).unwrap()).unwrap();
        assert_eq!(req.cursor, Cursor::default());
        assert_eq!(req.push.len(), 1);
        let pushed = &req.push[0];
        let hash = mine.pending_changes(1).unwrap()[0].hash;
        assert!(verify(
            &key.public(),
            &change_payload(&hash.0),
            &pushed.signature
        ));
        assert_eq!(pushed.record, *my_record.0.as_bytes());

        // The server's answer: ack ours, hand over theirs, move the cursor.
        let answer = SyncResponse {
            acked: vec![hash.0],
            changes: theirs
                .pending_changes(10)
                .unwrap()
                .into_iter()
                .map(|c| PulledChange {
                    record: *c.record_id.0.as_bytes(),
                    change: c.bytes,
                })
                .collect(),
            cursor: Cursor {
                seq: 7,
                snapshot: None,
            },
            ..SyncResponse::default()
        };
        let step = session
            .response(&mut mine, &encode(&answer).unwrap())
            .unwrap();
        assert_eq!(step, Step::Done);
        assert_eq!(mine.pending_count().unwrap(), 0);
        assert!(mine.get(their_record).unwrap().is_some());
        assert_eq!(session.summary().pushed, 1);
        assert_eq!(session.summary().pulled_changes, 1);
        assert_eq!(session.progress(), Progress { done: 2, total: 2 });

        // A new session starts from the stored cursor.
        let mut next = Session::new(&mine, &device(&key)).unwrap();
        let req: SyncRequest = decode(&next.request(&mine).unwrap()).unwrap();
        assert_eq!(req.cursor.seq, 7);
        assert!(req.push.is_empty());
    }

    #[test]
    fn a_change_refused_for_good_is_set_aside_and_other_refusals_stop_the_sync() {
        let key = DeviceKey::generate().unwrap();
        let mut mine = store();
        publicity(&mut mine, "防范电信诈骗");
        let hash = mine.pending_changes(1).unwrap()[0].hash;
        let mut session = Session::new(&mine, &device(&key)).unwrap();
        session.request(&mine).unwrap();
        let refusal = |code, change: Option<String>| ApiErrorBody {
            code,
            message: "refused".into(),
            change,
        };
        let err = session
            .refused(&mut mine, refusal(ErrorCode::DeviceRevoked, None))
            .unwrap_err();
        assert!(err.needs_login());
        assert_eq!(mine.pending_count().unwrap(), 1);
        let step = session
            .refused(
                &mut mine,
                refusal(ErrorCode::OutOfScope, Some(beatbook_protocol::hex(&hash.0))),
            )
            .unwrap();
        assert_eq!(step, Step::Continue);
        assert_eq!(mine.pending_count().unwrap(), 0);
        assert_eq!(mine.set_aside_changes().unwrap().len(), 1);
        assert_eq!(session.summary().set_aside, 1);
    }

    #[test]
    fn a_push_too_large_goes_again_in_halves_and_a_lone_one_is_set_aside() {
        let key = DeviceKey::generate().unwrap();
        let mut mine = store();
        for i in 0..8 {
            publicity(&mut mine, &format!("防范电信诈骗第{i}场"));
        }
        let too_large = || ApiErrorBody {
            code: ErrorCode::TooLarge,
            message: "太大 / too large".into(),
            change: None,
        };
        let mut session = Session::new(&mine, &device(&key)).unwrap();
        let pushed = |body: Vec<u8>| decode::<SyncRequest>(&body).unwrap().push.len();
        assert_eq!(pushed(session.request(&mine).unwrap()), 8);
        let mut sizes = Vec::new();
        loop {
            let step = session.refused(&mut mine, too_large()).unwrap();
            assert_eq!(step, Step::Continue);
            let n = pushed(session.request(&mine).unwrap());
            sizes.push(n);
            if n == 1 {
                break;
            }
        }
        assert_eq!(sizes, [4, 2, 1]);
        // One change alone still too large: set aside, so the other seven sync.
        session.refused(&mut mine, too_large()).unwrap();
        assert_eq!(mine.set_aside_changes().unwrap().len(), 1);
        assert_eq!(mine.pending_count().unwrap(), 7);
        assert_eq!(session.summary().set_aside, 1);
    }

    /// A server stand-in that drops the first `drop` answers after "processing" them, then
    /// acknowledges everything it is sent.
    struct Lossy {
        drop: usize,
        calls: AtomicUsize,
        seen: Mutex<Vec<[u8; 32]>>,
    }

    impl Transport for Lossy {
        async fn exchange(&self, body: Vec<u8>) -> Result<Vec<u8>, SyncError> {
            let req: SyncRequest = decode(&body).unwrap();
            let mut seen = self.seen.lock().unwrap();
            let mut acked = Vec::new();
            for p in &req.push {
                let hash = automerge::Change::from_bytes(p.change.clone())
                    .unwrap()
                    .hash()
                    .0;
                if !seen.contains(&hash) {
                    seen.push(hash);
                }
                acked.push(hash);
            }
            if self.calls.fetch_add(1, Ordering::SeqCst) < self.drop {
                return Err(SyncError::Offline("connection reset mid-response".into()));
            }
            Ok(encode(&SyncResponse {
                acked,
                cursor: Cursor {
                    seq: 1,
                    snapshot: None,
                },
                ..SyncResponse::default()
            })
            .unwrap())
        }
    }

    #[tokio::test(start_paused = true)]
    async fn lost_answers_are_retried_with_backoff_and_nothing_is_sent_twice_for_good() {
        let key = DeviceKey::generate().unwrap();
        let mut s = store();
        for i in 0..5 {
            publicity(&mut s, &format!("宣传{i}"));
        }
        let store = Mutex::new(s);
        let lossy = Lossy {
            drop: 3,
            calls: AtomicUsize::new(0),
            seen: Mutex::new(Vec::new()),
        };
        let mut backoff = crate::Backoff::new(1);
        let started = tokio::time::Instant::now();
        let summary = run_with_retry(&store, &device(&key), &lossy, &mut backoff, 10, |_| {})
            .await
            .unwrap();
        assert_eq!(summary.pushed, 5);
        assert_eq!(lossy.calls.load(Ordering::SeqCst), 4);
        assert_eq!(
            lossy.seen.lock().unwrap().len(),
            5,
            "each change is one change on the server"
        );
        assert_eq!(store.lock().unwrap().pending_count().unwrap(), 0);
        // Three failures waited about 2 + 4 + 8 s (with jitter), on the paused clock.
        let waited = started.elapsed();
        assert!(
            waited >= std::time::Duration::from_secs(7)
                && waited <= std::time::Duration::from_secs(14),
            "{waited:?}"
        );

        let give_up = Lossy {
            drop: usize::MAX,
            calls: AtomicUsize::new(0),
            seen: Mutex::new(Vec::new()),
        };
        publicity(&mut store.lock().unwrap(), "再来一条");
        let err = run_with_retry(&store, &device(&key), &give_up, &mut backoff, 3, |_| {})
            .await
            .unwrap_err();
        assert_eq!(err.code(), "offline");
        assert_eq!(give_up.calls.load(Ordering::SeqCst), 3);
        assert_eq!(
            store.lock().unwrap().pending_count().unwrap(),
            1,
            "nothing lost"
        );
    }
}
