//! The world a benchmark runs in: a real server on `127.0.0.1:0` over a real data directory,
//! the demo county (清丰县), accounts, records seeded as signed changes, and handsets (real
//! device stores enrolled over HTTP, synced with the real client).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use automerge::transaction::CommitOptions;
use beatbook_model::sample::Sampler;
use beatbook_model::{Assignment, Body, County, Record, RecordId, Role, Scope, UserId};
use beatbook_protocol::{
    change_payload, decode, encode, Cursor, PushedChange, SyncRequest, SyncResponse,
    PROTOCOL_VERSION,
};
use beatbook_server::{AppState, NewUser, ServerConfig};
use beatbook_store::{Store, StoreKey};
use beatbook_sync::http::HttpTransport;
use beatbook_sync::{Device, SyncSummary, Transport};

/// Every benchmark account's password.
pub const PASSWORD: &str = "bench-password-1";
/// The key device stores are encrypted with (a raw key, as from a phone's keystore).
pub const DEVICE_KEY: [u8; 32] = [0x5a; 32];
/// Records pushed per request while seeding.
const SEED_BATCH: usize = 2000;

/// The device store key.
pub fn device_key() -> StoreKey {
    StoreKey::Raw(DEVICE_KEY)
}

/// The county every benchmark uses: the demo county's six stations and 29 villages.
pub fn county() -> County {
    beatbook_server::seed::demo_county()
}

/// A village with its scope and name.
#[derive(Debug, Clone)]
pub struct Village {
    /// Station and village ids.
    pub scope: Scope,
    /// Its name (for addresses).
    pub name: String,
}

/// Every village of `county`, station by station.
pub fn villages(county: &County) -> Vec<Village> {
    county
        .stations
        .iter()
        .flat_map(|s| {
            s.villages.iter().map(|v| Village {
                scope: Scope {
                    station: s.id.clone(),
                    village: v.id.clone(),
                },
                name: v.name.clone(),
            })
        })
        .collect()
}

/// A running server.
pub struct Server {
    /// Its state (for admin operations and direct storage reads).
    pub state: AppState,
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its data directory.
    pub dir: PathBuf,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Server {
    /// Starts a server over `dir` with the benchmark county, waiting until it answers.
    pub async fn start(dir: &Path) -> Result<Server> {
        let state = AppState::open(ServerConfig::new(dir))?;
        if state.storage().county()?.is_none() {
            state.set_county(county())?;
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (tx, rx) = tokio::sync::oneshot::channel();
        let task = tokio::spawn(beatbook_server::serve(listener, state.clone(), async {
            let _ = rx.await;
        }));
        let server = Server {
            state,
            addr,
            dir: dir.to_owned(),
            shutdown: Some(tx),
            task: Some(task),
        };
        wait_ready(&server.url()).await?;
        Ok(server)
    }

    /// `http://` address.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Adds accounts (argon2: done off the runtime, two at a time).
    pub async fn add_users(&self, users: Vec<(String, Assignment)>) -> Result<()> {
        let state = self.state.clone();
        tokio::task::spawn_blocking(move || -> Result<()> {
            let chunks: Vec<_> = users.chunks(users.len().div_ceil(2).max(1)).collect();
            std::thread::scope(|s| {
                let handles: Vec<_> = chunks
                    .into_iter()
                    .map(|chunk| {
                        let state = &state;
                        s.spawn(move || -> Result<()> {
                            for (username, assignment) in chunk {
                                state.add_user(NewUser {
                                    username: username.clone(),
                                    display_name: username.clone(),
                                    password: PASSWORD.into(),
                                    assignment: assignment.clone(),
                                })?;
                            }
                            Ok(())
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .try_for_each(|h| h.join().expect("add_user thread"))
            })
        })
        .await?
    }

    /// The highest position in the server's change log.
    pub fn max_seq(&self) -> Result<u64> {
        Ok(self.state.storage().max_seq()?)
    }

    /// Stops serving (the state stays usable for direct reads).
    pub async fn stop(&mut self) -> Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.await??;
        }
        Ok(())
    }
}

/// Polls `/healthz` until the server answers.
pub async fn wait_ready(url: &str) -> Result<()> {
    let client = reqwest::Client::new();
    for _ in 0..1000 {
        if let Ok(r) = client.get(format!("{url}/healthz")).send().await {
            if r.status().is_success() {
                return Ok(());
            }
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    bail!("the server at {url} never became ready")
}

/// An officer's assignment to one village.
pub fn officer_of(scope: &Scope) -> Assignment {
    Assignment {
        role: Role::CommunityOfficer,
        station: Some(scope.station.clone()),
        villages: vec![scope.village.clone()],
    }
}

/// A station chief's assignment.
pub fn chief_of(station: &str) -> Assignment {
    Assignment {
        role: Role::StationChief,
        station: Some(station.into()),
        villages: vec![],
    }
}

/// The county admin's assignment.
pub fn county_admin() -> Assignment {
    Assignment {
        role: Role::CountyAdmin,
        station: None,
        villages: vec![],
    }
}

/// A handset: a device store enrolled as one user.
pub struct Handset {
    /// The store (locked only while a request is built or an answer applied).
    pub store: Arc<Mutex<Store>>,
    /// The enrolled identity.
    pub device: Device,
    /// The store's file, if it has one.
    pub path: Option<PathBuf>,
}

impl Handset {
    /// Enrols `store` as `username` with `server_url`.
    pub async fn enrol(
        server_url: &str,
        username: &str,
        store: Store,
        path: Option<PathBuf>,
    ) -> Result<Handset> {
        let store = Arc::new(Mutex::new(store));
        let device = beatbook_sync::http::enrol(&store, server_url, username, PASSWORD, "bench")
            .await
            .with_context(|| format!("enrolling {username}"))?;
        Ok(Handset {
            store,
            device,
            path,
        })
    }

    /// A fresh encrypted store file at `path`, enrolled as `username`.
    pub async fn enrol_file(server_url: &str, username: &str, path: PathBuf) -> Result<Handset> {
        let store = Store::open(&path, Some(&device_key()))?;
        Handset::enrol(server_url, username, store, Some(path)).await
    }

    /// The identity, talking to `url` (e.g. a proxy) instead of the enrolment address.
    pub fn via(&self, url: &str) -> Device {
        let mut device = self.device.clone();
        device.server = url.to_owned();
        device
    }

    /// Syncs through `url` until caught up; returns what the client saw and how long it took.
    pub async fn sync(&self, url: &str) -> Result<(SyncSummary, Duration)> {
        let device = self.via(url);
        let transport = HttpTransport::new(&device)?;
        let started = Instant::now();
        let summary = beatbook_sync::run(&self.store, &device, &transport, |_| {}).await?;
        Ok((summary, started.elapsed()))
    }

    /// Runs `f` on the store.
    pub fn with<R>(&self, f: impl FnOnce(&mut Store) -> R) -> R {
        f(&mut self.store.lock().expect("store lock"))
    }
}

/// How many records each village gets: `near` records spread over the villages of the first
/// station (a chief's scope), `far` over all the others.
pub fn spread(villages: &[Village], near: usize, far: usize) -> Vec<(Village, usize)> {
    let first = &villages[0].scope.station;
    let (home, away): (Vec<&Village>, Vec<&Village>) =
        villages.iter().partition(|v| &v.scope.station == first);
    let share = |vs: &[&Village], n: usize| -> Vec<(Village, usize)> {
        let k = vs.len().max(1);
        vs.iter()
            .enumerate()
            .map(|(i, v)| ((*v).clone(), n / k + usize::from(i < n % k)))
            .collect()
    };
    let mut out = share(&home, near);
    out.extend(share(&away, far));
    out
}

/// Households made by a seeding device and pushed as ordinary signed changes, as many per
/// request as the client would send.
pub struct Seeder {
    handset: Handset,
    sampler: Sampler,
}

impl Seeder {
    /// Enrols a seeding device (a county admin) with `server_url`.
    pub async fn new(server_url: &str, username: &str, seed: u64) -> Result<Seeder> {
        let store = Store::open_in_memory(Arc::new(beatbook_model::SystemClock))?;
        Ok(Seeder {
            handset: Handset::enrol(server_url, username, store, None).await?,
            sampler: Sampler::new(seed),
        })
    }

    /// Writes `plan`'s households to the server; returns how many.
    pub async fn seed(&mut self, plan: &[(Village, usize)]) -> Result<usize> {
        let transport = HttpTransport::new(&self.handset.device)?;
        let key = self.handset.device.key()?;
        let actor = self.handset.with(|s| s.actor().clone());
        let author = UserId::from(self.handset.device.user.username.as_str());
        let mut jobs: Vec<(Scope, String)> = Vec::new();
        for (village, n) in plan {
            jobs.extend(std::iter::repeat_n(
                (village.scope.clone(), village.name.clone()),
                *n,
            ));
        }
        let total = jobs.len();
        for batch in jobs.chunks(SEED_BATCH) {
            let now = chrono::Utc::now();
            let mut push = Vec::with_capacity(batch.len());
            for (scope, name) in batch {
                let body = Body::Household(self.sampler.household(name));
                let record = Record {
                    id: RecordId::new(),
                    scope: scope.clone(),
                    author: author.clone(),
                    created_at: now,
                    updated_at: now,
                    deleted: false,
                    review: None,
                    body,
                };
                let mut doc = beatbook_doc::new_record_doc(actor.clone(), &record)?;
                doc.commit_with(CommitOptions::default().with_time(now.timestamp_millis()));
                let mut change = doc
                    .get_last_local_change()
                    .context("the seeding change is missing")?;
                let hash = change.hash().0;
                push.push(PushedChange {
                    record: record.id.0.into_bytes(),
                    change: change.bytes().into_owned(),
                    signature: key.sign(&change_payload(&hash)).to_vec(),
                });
            }
            let n = push.len();
            let body = encode(&SyncRequest {
                protocol: PROTOCOL_VERSION,
                // Past the log's end: the answer is a one-document snapshot page, ignored.
                cursor: Cursor {
                    seq: u64::MAX,
                    snapshot: None,
                },
                push,
                max_pull_bytes: 1,
            })?;
            let answer: SyncResponse = decode(&transport.exchange(body).await?)?;
            if answer.acked.len() != n {
                bail!("the server acknowledged {} of {n}", answer.acked.len());
            }
        }
        Ok(total)
    }
}
