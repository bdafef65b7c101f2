//! Server load (scenario 7): the server runs as a child process (so its CPU time and memory
//! are its own) over the benchmark's data, and a county's handsets sync against it at once
//! with a realistic mix: mostly nothing new, some with a few visits filed or edited, a few
//! initial syncs of their village. Also the server's merge rate on a batch of edits to
//! existing records, where CPU goes to merging alone.
//!
//! The simulated handsets start caught up (cursor at the log's head) instead of each holding
//! its village: the server's work for a sync depends on the cursor and what is pushed, not on
//! what the device holds. A sync that pushes runs the real client on an in-memory store (it
//! needs real signed changes); the others are a bare client that pages through the feed
//! without applying what it gets, which is the same work for the server and keeps the
//! handsets' CPU (shared with the server on this machine) low.

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use beatbook_model::sample::Sampler;
use beatbook_model::{Body, RecordId, SystemClock, UserId};
use beatbook_protocol::{decode, encode, Cursor, SyncRequest, SyncResponse, PROTOCOL_VERSION};
use beatbook_server::storage::ReadFilter;
use beatbook_server::{AppState, ServerConfig};
use beatbook_store::{Store, StoreError};
use beatbook_sync::http::HttpTransport;
use beatbook_sync::{Device, SyncError, Transport, CURSOR_META_KEY};
use serde::Serialize;

use crate::measure::{cpu_time, memory, Timings};
use crate::world::{county, officer_of, villages, Handset, Server, Village};

/// The hidden subcommand that runs [`serve_child`].
pub const SERVE_CHILD: &str = "__serve";

/// In a child process: serves the data directory `args[0]` on `127.0.0.1:0`, prints the
/// address, and stops when its standard input closes.
pub fn serve_child(args: &[String]) -> Result<()> {
    let [dir] = args else {
        bail!("usage: {SERVE_CHILD} <data dir>");
    };
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let state = AppState::open(ServerConfig::new(dir))?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        println!("{}", listener.local_addr()?);
        std::io::stdout().flush()?;
        let stdin_closed = async {
            let _ = tokio::task::spawn_blocking(|| {
                let mut line = String::new();
                let _ = std::io::stdin().read_line(&mut line);
            })
            .await;
        };
        beatbook_server::serve(listener, state, stdin_closed).await?;
        Ok(())
    })
}

/// The server in its own process.
pub struct ChildServer {
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
}

impl ChildServer {
    /// Starts `exe __serve dir` and waits until it answers.
    pub async fn start(exe: &Path, dir: &Path) -> Result<ChildServer> {
        let mut child = Command::new(exe)
            .arg(SERVE_CHILD)
            .arg(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .with_context(|| format!("starting {}", exe.display()))?;
        let stdout = child.stdout.take().context("the child's stdout")?;
        let line = tokio::task::spawn_blocking(move || {
            let mut line = String::new();
            BufReader::new(stdout).read_line(&mut line).map(|_| line)
        })
        .await??;
        let addr: SocketAddr = line
            .trim()
            .parse()
            .with_context(|| format!("the server child printed {line:?}"))?;
        let server = ChildServer { child, addr };
        crate::world::wait_ready(&server.url()).await?;
        Ok(server)
    }

    /// `http://` address.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn pid(&self) -> String {
        self.child.id().to_string()
    }

    /// CPU time the server has used.
    pub fn cpu(&self) -> Duration {
        cpu_time(&self.pid()).unwrap_or_default()
    }

    /// Resident memory now and at its peak.
    pub fn memory(&self) -> (u64, u64) {
        memory(&self.pid()).unwrap_or_default()
    }

    /// Closes its standard input (it shuts down gracefully) and waits.
    pub fn stop(mut self) -> Result<()> {
        drop(self.child.stdin.take());
        self.child.wait()?;
        Ok(())
    }
}

/// What a handset does in one turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    /// Sync with nothing new.
    Idle,
    /// File or edit one to five visits, then sync.
    Edits,
    /// A new handset: page through the village's snapshot.
    Initial,
}

impl Action {
    const ALL: [Action; 3] = [Action::Idle, Action::Edits, Action::Initial];

    fn name(self) -> &'static str {
        match self {
            Action::Idle => "idle",
            Action::Edits => "edits",
            Action::Initial => "initial",
        }
    }

    /// 85 % nothing new, 12 % a few edits, 3 % initial syncs.
    fn pick(sampler: &mut Sampler) -> Action {
        match sampler.below(100) {
            0..85 => Action::Idle,
            85..97 => Action::Edits,
            _ => Action::Initial,
        }
    }
}

/// A transport that times each exchange.
struct Timed {
    inner: HttpTransport,
    times: Mutex<Vec<Duration>>,
}

impl Transport for Timed {
    async fn exchange(&self, body: Vec<u8>) -> Result<Vec<u8>, SyncError> {
        let started = Instant::now();
        let out = self.inner.exchange(body).await;
        self.times
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(started.elapsed());
        out
    }
}

/// One simulated handset.
struct Sim {
    handset: Handset,
    /// Its connection to the server, kept between syncs like an app would (making a client
    /// per sync would measure TLS set-up in the handsets rather than the server).
    transport: Option<(String, Timed)>,
    village: Village,
    households: Vec<RecordId>,
    visits: Vec<RecordId>,
    sampler: Sampler,
    /// Where it is in the feed (the store's copy is used only by syncs that push).
    cursor: Cursor,
}

impl Sim {
    fn file_visits(&mut self, n: usize) -> Result<usize, StoreError> {
        let officer = UserId::from(self.handset.device.user.username.as_str());
        let mut store = self.handset.store.lock().expect("store");
        for _ in 0..n {
            let household = *self.sampler.pick(&self.households);
            if !self.visits.is_empty() && self.sampler.below(2) == 0 {
                let id = *self.sampler.pick(&self.visits);
                if let Some(Body::Visit(mut v)) = store.get(id)?.map(|r| r.body) {
                    v.findings = format!("复访：{}", self.sampler.name());
                    store.update(id, Body::Visit(v))?;
                    continue;
                }
            }
            let visit = self.sampler.visit(household, &officer, chrono::Utc::now());
            let record = store.create(&officer, self.village.scope.clone(), Body::Visit(visit))?;
            self.visits.push(record.id);
        }
        Ok(n)
    }

    /// One turn; returns the per-request latencies and changes pushed.
    async fn turn(&mut self, action: Action, url: &str) -> Result<(Vec<Duration>, usize)> {
        let device = self.handset.via(url);
        let timed = match self.transport.take() {
            Some((u, timed)) if u == url => timed,
            _ => Timed {
                inner: HttpTransport::new(&device)?,
                times: Mutex::new(Vec::new()),
            },
        };
        let pushed = self.act(action, &device, &timed).await;
        let times = std::mem::take(&mut *timed.times.lock().unwrap_or_else(|p| p.into_inner()));
        self.transport = Some((url.to_owned(), timed));
        Ok((times, pushed?))
    }

    async fn act(&mut self, action: Action, device: &Device, timed: &Timed) -> Result<usize> {
        Ok(match action {
            Action::Idle => {
                self.cursor = pages(timed, self.cursor).await?;
                0
            }
            Action::Edits => {
                let n = 1 + self.sampler.below(5) as usize;
                self.file_visits(n)?;
                let store = &self.handset.store;
                let at = serde_json::to_string(&self.cursor)?;
                store
                    .lock()
                    .expect("store")
                    .set_meta(CURSOR_META_KEY, &at)?;
                let pushed = beatbook_sync::run(store, device, timed, |_| {})
                    .await?
                    .pushed;
                let at = store.lock().expect("store").get_meta(CURSOR_META_KEY)?;
                self.cursor = serde_json::from_str(&at.unwrap_or_default())?;
                pushed
            }
            Action::Initial => {
                pages(timed, Cursor::default()).await?;
                0
            }
        })
    }
}

/// A bare client: asks for pages from `cursor` until caught up, without applying them (the
/// server's work is the same), and returns the new cursor.
async fn pages(timed: &Timed, mut cursor: Cursor) -> Result<Cursor> {
    loop {
        let body = encode(&SyncRequest {
            protocol: PROTOCOL_VERSION,
            cursor,
            push: Vec::new(),
            max_pull_bytes: 2 << 20,
        })?;
        let answer: SyncResponse = decode(&timed.exchange(body).await?)?;
        cursor = answer.cursor;
        if !answer.more {
            return Ok(cursor);
        }
    }
}

/// The server's merge rate on a batch of edits to existing records.
#[derive(Debug, Clone, Serialize)]
pub struct MergeFigures {
    /// Changes pushed (each an edit to a different existing record).
    pub changes: usize,
    /// Requests.
    pub round_trips: usize,
    /// Wall time of the sync.
    pub wall_s: f64,
    /// Server CPU time (user + system) during it.
    pub server_cpu_s: f64,
    /// Changes merged per second of server CPU (one core).
    pub merges_per_cpu_s: f64,
}

/// One load phase.
#[derive(Debug, Clone, Serialize)]
pub struct PhaseFigures {
    /// `paced` or `saturated`.
    pub name: String,
    /// Mean pause between a handset's syncs (uniform in 0..2×).
    pub think_ms: u64,
    /// How long handsets kept starting syncs.
    pub duration_s: f64,
    /// Until the last sync finished.
    pub wall_s: f64,
    /// Syncs by kind: nothing new, edits, initial.
    pub syncs: [usize; 3],
    /// Failed syncs.
    pub errors: usize,
    /// The first failure, if any.
    pub first_error: Option<String>,
    /// HTTP requests answered.
    pub requests: usize,
    /// Requests per second.
    pub requests_per_s: f64,
    /// Latency of every request.
    pub latency: Timings,
    /// Latency of requests of idle syncs.
    pub latency_idle: Timings,
    /// Latency of requests of syncs with edits.
    pub latency_edits: Timings,
    /// Latency of requests of initial syncs (pages of whole documents).
    pub latency_initial: Timings,
    /// Changes pushed and acknowledged.
    pub changes: usize,
    /// Server CPU time during the phase.
    pub server_cpu_s: f64,
    /// Server CPU time per wall second (2.0 = two cores busy).
    pub server_cores_busy: f64,
    /// The simulated handsets' CPU time per wall second (they share the machine).
    pub handsets_cores_busy: f64,
    /// Changes merged per second of server CPU (CPU that also served every other request).
    pub merges_per_cpu_s: f64,
    /// Highest server resident memory sampled.
    pub server_rss_max: u64,
}

/// Scenario 7.
#[derive(Debug, Clone, Serialize)]
pub struct LoadFigures {
    /// Simulated handsets.
    pub devices: usize,
    /// Villages they cover.
    pub villages: usize,
    /// Records on the server.
    pub server_records: usize,
    /// Merge rate on a batch of edits.
    pub merge: MergeFigures,
    /// The mixed-load phases.
    pub phases: Vec<PhaseFigures>,
    /// Server resident memory right after it started.
    pub server_rss_start: u64,
    /// Server peak resident memory (VmHWM) at the end.
    pub server_rss_peak: u64,
}

/// How to run scenario 7.
#[derive(Debug, Clone)]
pub struct LoadConfig {
    /// Simulated handsets.
    pub devices: usize,
    /// Seconds each phase keeps starting syncs.
    pub seconds: f64,
    /// Edits in the merge-rate batch.
    pub merge_changes: usize,
}

/// Some household ids of each village, read from the server's storage.
fn households_by_village(state: &AppState, villages: &[Village]) -> Result<Vec<Vec<RecordId>>> {
    villages
        .iter()
        .map(|v| {
            let filter = ReadFilter::for_assignment(&officer_of(&v.scope));
            let page = state.storage().documents_page(&filter, None, 64 * 1024)?;
            let ids: Vec<RecordId> = page.items.iter().map(|d| d.record).collect();
            if ids.is_empty() {
                bail!("village {} has no households", v.scope.village);
            }
            Ok(ids)
        })
        .collect()
}

/// Scenario 7. `merger` is a handset holding records it may edit (a chief's); `server` is
/// stopped while the child process serves its data directory.
pub async fn run(
    server: &mut Server,
    exe: &Path,
    merger: &Handset,
    config: &LoadConfig,
    server_records: usize,
    mut progress: impl FnMut(&str),
) -> Result<LoadFigures> {
    let villages = villages(&county());
    let users: Vec<(String, beatbook_model::Assignment)> = (0..config.devices)
        .map(|i| {
            let v = &villages[i % villages.len()];
            (format!("load{i:03}"), officer_of(&v.scope))
        })
        .collect();
    progress(&format!("adding {} accounts", users.len()));
    server.add_users(users.clone()).await?;
    progress(&format!("enrolling {} handsets", users.len()));
    let households = households_by_village(&server.state, &villages)?;
    let head = Cursor {
        seq: server.max_seq()?,
        snapshot: None,
    };
    let mut sims = Vec::new();
    for chunk in users.chunks(8).map(<[_]>::to_vec) {
        let mut enrolling = tokio::task::JoinSet::new();
        for (username, _) in chunk {
            let url = server.url();
            enrolling.spawn(async move {
                let store = Store::open_in_memory(Arc::new(SystemClock))?;
                let handset = Handset::enrol(&url, &username, store, None).await?;
                Ok::<_, anyhow::Error>((username, handset))
            });
        }
        let mut batch = Vec::new();
        while let Some(joined) = enrolling.join_next().await {
            batch.push(joined??);
        }
        batch.sort_by(|a, b| a.0.cmp(&b.0));
        for (username, handset) in batch {
            let i: usize = username.trim_start_matches("load").parse()?;
            let v = i % villages.len();
            sims.push(Sim {
                handset,
                transport: None,
                village: villages[v].clone(),
                households: households[v].clone(),
                visits: Vec::new(),
                sampler: Sampler::new(1000 + i as u64),
                cursor: head,
            });
        }
    }

    // The merge batch: edits made on the chief's handset before the child starts.
    let mut sampler = Sampler::new(77);
    let ids = crate::sync::household_ids(merger, 0, config.merge_changes)?;
    crate::sync::edit_households(merger, &ids, &mut sampler)?;

    server.stop().await?;
    progress("starting the server as a child process");
    let child = ChildServer::start(exe, &server.dir).await?;
    let server_rss_start = child.memory().0;
    let url = child.url();

    progress(&format!("merge rate: pushing {} edits", ids.len()));
    let cpu0 = child.cpu();
    let (summary, took) = merger.sync(&url).await?;
    let cpu = (child.cpu() - cpu0).as_secs_f64();
    let merge = MergeFigures {
        changes: summary.pushed,
        round_trips: summary.round_trips,
        wall_s: took.as_secs_f64(),
        server_cpu_s: cpu,
        merges_per_cpu_s: summary.pushed as f64 / cpu.max(1e-9),
    };

    let mut phases = Vec::new();
    for (name, think_ms) in [("paced", 1000), ("saturated", 0)] {
        progress(&format!(
            "{name} phase: {} handsets for {:.0} s",
            sims.len(),
            config.seconds
        ));
        let (phase, back) = phase(name, think_ms, config.seconds, sims, &child).await?;
        sims = back;
        phases.push(phase);
    }
    let server_rss_peak = child.memory().1;
    child.stop()?;
    Ok(LoadFigures {
        devices: config.devices,
        villages: villages.len().min(config.devices),
        server_records,
        merge,
        phases,
        server_rss_start,
        server_rss_peak,
    })
}

/// What one handset did in a phase.
#[derive(Default)]
struct Tally {
    syncs: [usize; 3],
    errors: usize,
    first_error: Option<String>,
    latencies: [Vec<Duration>; 3],
    changes: usize,
}

async fn phase(
    name: &str,
    think_ms: u64,
    seconds: f64,
    sims: Vec<Sim>,
    child: &ChildServer,
) -> Result<(PhaseFigures, Vec<Sim>)> {
    let url = child.url();
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(seconds);
    let cpu0 = child.cpu();
    let own0 = cpu_time("self").unwrap_or_default();
    let rss_max = Arc::new(Mutex::new(0u64));
    let pid = child.child.id().to_string();
    let sampler_task = {
        let rss_max = rss_max.clone();
        tokio::spawn(async move {
            loop {
                if let Some((rss, _)) = memory(&pid) {
                    let mut max = rss_max.lock().expect("rss");
                    *max = (*max).max(rss);
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    let mut tasks = tokio::task::JoinSet::new();
    for mut sim in sims {
        let url = url.clone();
        tasks.spawn(async move {
            let mut tally = Tally::default();
            if think_ms > 0 {
                let stagger = sim.sampler.below(think_ms);
                tokio::time::sleep(Duration::from_millis(stagger)).await;
            }
            while Instant::now() < deadline {
                let action = Action::pick(&mut sim.sampler);
                let i = Action::ALL.iter().position(|a| *a == action).unwrap_or(0);
                match sim.turn(action, &url).await {
                    Ok((times, pushed)) => {
                        tally.syncs[i] += 1;
                        tally.latencies[i].extend(times);
                        tally.changes += pushed;
                    }
                    Err(e) => {
                        tally.errors += 1;
                        tally
                            .first_error
                            .get_or_insert_with(|| format!("{}: {e:#}", action.name()));
                    }
                }
                if think_ms > 0 {
                    let pause = sim.sampler.below(2 * think_ms);
                    tokio::time::sleep(Duration::from_millis(pause)).await;
                }
            }
            (sim, tally)
        });
    }
    let mut sims = Vec::new();
    let mut total = Tally::default();
    while let Some(joined) = tasks.join_next().await {
        let (sim, tally) = joined.context("a handset task panicked")?;
        sims.push(sim);
        for i in 0..3 {
            total.syncs[i] += tally.syncs[i];
            total.latencies[i].extend(tally.latencies[i].iter().copied());
        }
        total.errors += tally.errors;
        total.changes += tally.changes;
        if total.first_error.is_none() {
            total.first_error = tally.first_error;
        }
    }
    let wall = started.elapsed().as_secs_f64();
    sampler_task.abort();
    let cpu = (child.cpu() - cpu0).as_secs_f64();
    let own = (cpu_time("self").unwrap_or_default() - own0).as_secs_f64();
    let all: Vec<Duration> = total.latencies.iter().flatten().copied().collect();
    let server_rss_max = *rss_max.lock().expect("rss");
    Ok((
        PhaseFigures {
            name: name.into(),
            think_ms,
            duration_s: seconds,
            wall_s: wall,
            syncs: total.syncs,
            errors: total.errors,
            first_error: total.first_error,
            requests: all.len(),
            requests_per_s: all.len() as f64 / wall,
            latency: Timings::of(&all),
            latency_idle: Timings::of(&total.latencies[0]),
            latency_edits: Timings::of(&total.latencies[1]),
            latency_initial: Timings::of(&total.latencies[2]),
            changes: total.changes,
            server_cpu_s: cpu,
            server_cores_busy: cpu / wall,
            handsets_cores_busy: own / wall,
            merges_per_cpu_s: total.changes as f64 / cpu.max(1e-9),
            server_rss_max,
        },
        sims,
    ))
}
