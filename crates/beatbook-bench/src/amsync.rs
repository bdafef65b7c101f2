//! The alternative side by side (scenario 6): the same records synced with Automerge's own
//! per-document sync protocol (`automerge::sync`) over HTTP. A tiny bench-only server holds
//! the same documents in memory and answers one sync message per request; the client lists
//! the document ids once, then syncs each document until neither side has a message, and
//! saves what it received into a device store like the real client does.
//!
//! Deliberately generous to the alternative: no authentication headers or signatures, and
//! received documents are written in batches of [`PERSIST_BATCH`], not one transaction each.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use automerge::sync::{Message, State, SyncDoc};
use automerge::AutoCommit;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State as AxState};
use axum::routing::post;
use axum::Router;
use beatbook_model::{Assignment, RecordId};
use beatbook_server::storage::ReadFilter;
use beatbook_store::Store;
use serde::Serialize;

use crate::proxy::{Link, Proxy, WireBytes};

/// Received documents are written to the device store this many at a time.
pub const PERSIST_BATCH: usize = 500;

type Key = [u8; 16];

struct AmDoc {
    doc: AutoCommit,
    peers: HashMap<u64, State>,
}

struct AmState {
    ids: Vec<Key>,
    docs: Mutex<HashMap<Key, AmDoc>>,
}

/// The bench-only Automerge sync server.
pub struct AmServer {
    /// Where it listens.
    pub addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for AmServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// A record and its document, as synced.
type Synced = (RecordId, Vec<u8>);

/// The documents `assignment` may read on the real server (the same bytes it stores).
pub fn documents_in_scope(
    state: &beatbook_server::AppState,
    assignment: &Assignment,
) -> Result<Vec<(Key, Vec<u8>)>> {
    let filter = ReadFilter::for_assignment(assignment);
    let mut after: Option<RecordId> = None;
    let mut out = Vec::new();
    loop {
        let page = state.storage().documents_page(&filter, after, 8 << 20)?;
        after = page.items.last().map(|d| d.record);
        out.extend(
            page.items
                .into_iter()
                .map(|d| (d.record.0.into_bytes(), d.data)),
        );
        if page.exhausted {
            return Ok(out);
        }
    }
}

impl AmServer {
    /// Serves `documents` on `127.0.0.1:0`.
    pub async fn start(documents: Vec<(Key, Vec<u8>)>) -> Result<AmServer> {
        let mut docs = HashMap::new();
        let mut ids = Vec::new();
        for (id, bytes) in documents {
            ids.push(id);
            docs.insert(
                id,
                AmDoc {
                    doc: AutoCommit::load(&bytes)?,
                    peers: HashMap::new(),
                },
            );
        }
        let state = Arc::new(AmState {
            ids,
            docs: Mutex::new(docs),
        });
        let app = Router::new()
            .route("/am/list", post(list))
            .route("/am/sync/{peer}/{record}", post(sync))
            .with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Ok(AmServer {
            addr,
            shutdown: Some(tx),
        })
    }
}

async fn list(AxState(state): AxState<Arc<AmState>>) -> Vec<u8> {
    state.ids.concat()
}

async fn sync(
    AxState(state): AxState<Arc<AmState>>,
    UrlPath((peer, record)): UrlPath<(u64, String)>,
    body: Bytes,
) -> Result<Vec<u8>, (axum::http::StatusCode, String)> {
    let bad = |e: String| (axum::http::StatusCode::BAD_REQUEST, e);
    let key: Key = beatbook_protocol::unhex(&record)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| bad("bad record id".into()))?;
    let mut docs = state.docs.lock().unwrap_or_else(|p| p.into_inner());
    let entry = docs
        .get_mut(&key)
        .ok_or_else(|| bad("no such document".into()))?;
    let sync_state = entry.peers.entry(peer).or_default();
    if !body.is_empty() {
        let message = Message::decode(&body).map_err(|e| bad(e.to_string()))?;
        entry
            .doc
            .sync()
            .receive_sync_message(sync_state, message)
            .map_err(|e| bad(e.to_string()))?;
    }
    let reply = entry.doc.sync().generate_sync_message(sync_state);
    Ok(reply.map(Message::encode).unwrap_or_default())
}

/// One run of the per-document protocol.
#[derive(Debug, Clone, Serialize)]
pub struct AmRun {
    /// The link.
    pub link: String,
    /// Documents synced at once (1: one after another).
    pub concurrency: usize,
    /// Documents the run synced.
    pub documents: usize,
    /// Documents in scope.
    pub documents_in_scope: usize,
    /// Wall time of this run.
    pub wall_s: f64,
    /// Of which listing the ids.
    pub list_s: f64,
    /// Wall time for every document in scope: measured, or extrapolated from the sample.
    pub all_documents_s: f64,
    /// Whether `all_documents_s` is extrapolated from a sample.
    pub extrapolated: bool,
    /// Requests (one per message, plus the listing).
    pub round_trips: u64,
    /// Request bodies.
    pub body_up: u64,
    /// Answer bodies.
    pub body_down: u64,
    /// Everything on the wire, for the documents this run synced.
    pub wire: WireBytes,
}

#[derive(Default)]
struct Totals {
    round_trips: AtomicU64,
    up: AtomicU64,
    down: AtomicU64,
}

async fn post_bytes(
    client: &reqwest::Client,
    url: String,
    body: Vec<u8>,
    totals: &Totals,
) -> Result<Vec<u8>> {
    totals.round_trips.fetch_add(1, Ordering::Relaxed);
    totals.up.fetch_add(body.len() as u64, Ordering::Relaxed);
    let resp = client.post(url).body(body).send().await?;
    if !resp.status().is_success() {
        bail!("the Automerge sync server answered {}", resp.status());
    }
    let bytes = resp.bytes().await?.to_vec();
    totals.down.fetch_add(bytes.len() as u64, Ordering::Relaxed);
    Ok(bytes)
}

/// Syncs one document from nothing until neither side has a message.
async fn sync_one(
    client: &reqwest::Client,
    base: &str,
    peer: u64,
    id: Key,
    totals: &Totals,
) -> Result<AutoCommit> {
    let mut doc = AutoCommit::new();
    let mut state = State::new();
    let url = format!("{base}/am/sync/{peer}/{}", beatbook_protocol::hex(&id));
    loop {
        let next = doc.sync().generate_sync_message(&mut state);
        let Some(message) = next else {
            break;
        };
        let answer = post_bytes(client, url.clone(), message.encode(), totals).await?;
        if !answer.is_empty() {
            doc.sync()
                .receive_sync_message(&mut state, Message::decode(&answer)?)?;
        }
    }
    Ok(doc)
}

/// What [`sync_all`] saw.
struct Outcome {
    documents: usize,
    in_scope: usize,
    wall: Duration,
    list: Duration,
    round_trips: u64,
    up: u64,
    down: u64,
}

/// Syncs the documents of the server at `server` through a proxy over `link`, `concurrency`
/// at a time, into `store`: all of them, or the first `sample` and the time for all
/// extrapolated from those (the listing counted once).
pub async fn run_over(
    server: SocketAddr,
    link: &Link,
    store: Arc<Mutex<Store>>,
    concurrency: usize,
    sample: Option<usize>,
) -> Result<AmRun> {
    let proxy = Proxy::start(server, link.clone()).await?;
    let o = sync_all(&proxy.url(), store, concurrency, sample).await?;
    let per_doc = (o.wall - o.list).as_secs_f64() / o.documents.max(1) as f64;
    let extrapolated = o.documents < o.in_scope;
    Ok(AmRun {
        link: link.name.clone(),
        concurrency,
        documents: o.documents,
        documents_in_scope: o.in_scope,
        wall_s: o.wall.as_secs_f64(),
        list_s: o.list.as_secs_f64(),
        all_documents_s: if extrapolated {
            o.list.as_secs_f64() + per_doc * o.in_scope as f64
        } else {
            o.wall.as_secs_f64()
        },
        extrapolated,
        round_trips: o.round_trips,
        body_up: o.up,
        body_down: o.down,
        wire: proxy.bytes(),
    })
}

/// Syncs the first `limit` documents (all if `None`) from the server at `base`,
/// `concurrency` at a time, into `store`.
async fn sync_all(
    base: &str,
    store: Arc<Mutex<Store>>,
    concurrency: usize,
    limit: Option<usize>,
) -> Result<Outcome> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(600))
        .build()?;
    let totals = Arc::new(Totals::default());
    let peer = rand_peer();
    let started = Instant::now();
    let list = post_bytes(&client, format!("{base}/am/list"), Vec::new(), &totals).await?;
    let list_took = started.elapsed();
    let ids: Vec<Key> = list
        .chunks_exact(16)
        .map(|c| c.try_into().expect("16 bytes"))
        .collect();
    let in_scope = ids.len();
    let todo: VecDeque<Key> = ids.into_iter().take(limit.unwrap_or(usize::MAX)).collect();
    let n = todo.len();
    let todo = Arc::new(Mutex::new(todo));
    let done: Arc<Mutex<Vec<Synced>>> = Arc::default();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency.max(1) {
        let (client, totals, todo, done, store) = (
            client.clone(),
            totals.clone(),
            todo.clone(),
            done.clone(),
            store.clone(),
        );
        let base = base.to_owned();
        workers.spawn(async move {
            loop {
                let next = todo.lock().expect("queue").pop_front();
                let Some(id) = next else {
                    return Ok::<_, anyhow::Error>(());
                };
                let mut doc = sync_one(&client, &base, peer, id, &totals).await?;
                let batch = {
                    let mut done = done.lock().expect("done");
                    done.push((RecordId(uuid::Uuid::from_bytes(id)), doc.save()));
                    (done.len() >= PERSIST_BATCH).then(|| std::mem::take(&mut *done))
                };
                if let Some(batch) = batch {
                    store
                        .lock()
                        .expect("store")
                        .apply_pulled(&[], &batch, &[])?;
                }
            }
        });
    }
    while let Some(joined) = workers.join_next().await {
        joined.context("a sync worker panicked")??;
    }
    let rest = std::mem::take(&mut *done.lock().expect("done"));
    store.lock().expect("store").apply_pulled(&[], &rest, &[])?;
    Ok(Outcome {
        documents: n,
        in_scope,
        wall: started.elapsed(),
        list: list_took,
        round_trips: totals.round_trips.load(Ordering::Relaxed),
        up: totals.up.load(Ordering::Relaxed),
        down: totals.down.load(Ordering::Relaxed),
    })
}

fn rand_peer() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    nanos ^ u64::from(std::process::id()) << 32
}
