//! Seeded convergence fuzzing. Several devices of different roles, in overlapping scopes, make
//! random edits of every record kind, sync at random, and suffer random faults on the way to
//! the real server (its router and state over real SQLite files, called in process): requests
//! lost, answers lost after the server applied them, requests delivered twice, old requests
//! delivered late, devices offline for many rounds, device clocks wrong by days. After a final
//! fault-free round every device must agree with the server on every record it may read, no
//! change made anywhere may be missing, every projection must equal its document, and each
//! field must have merged as the model says (appended text kept, scalar values only ever ones
//! somebody wrote, conflicts only where values were written).
//!
//! A seed is a whole run: the same seed makes the same edits, syncs and faults. A failure
//! names its seed; `BEATBOOK_SEED=<n>` replays it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use automerge::Change;
use axum::body::Body as HttpBody;
use axum::http::Request;
use beatbook_model::kinds::*;
use beatbook_model::sample::Sampler;
use beatbook_model::{
    Assignment, Body, Clock, DisputeStatus, HazardStatus, Kind, RecordId, Role, Scope, TaskStatus,
};
use beatbook_protocol::{
    request_payload, ApiErrorBody, DeviceKey, ErrorCode, BINARY_CONTENT_TYPE, PROTOCOL_HEADER,
    PROTOCOL_VERSION, SIGNATURE_HEADER, TIME_HEADER,
};
use beatbook_server::{AppState, ServerConfig};
use beatbook_store::{ListQuery, Store};
use beatbook_sync::{Device, SyncError, Transport};
use chrono::{DateTime, Duration, Utc};
use serde_json::Value as Json;
use tower::ServiceExt;

use crate::{test_county, TestServer, PASSWORD};

/// One of the people whose devices take part.
#[derive(Debug, Clone)]
pub struct Persona {
    /// Login name.
    pub username: &'static str,
    /// Role, station and villages.
    pub assignment: Assignment,
}

fn persona(
    username: &'static str,
    role: Role,
    station: Option<&str>,
    villages: &[&str],
) -> Persona {
    Persona {
        username,
        assignment: Assignment {
            role,
            station: station.map(Into::into),
            villages: villages.iter().map(|v| (*v).into()).collect(),
        },
    }
}

/// The cast: two officers of one station (overlapping villages), an auxiliary, a grid worker
/// (never sees key persons), the chief, and an officer of another station (sees none of the
/// others' records). The county admin at the end reads the server's copy of everything.
pub fn cast() -> Vec<Persona> {
    vec![
        persona(
            "officer",
            Role::CommunityOfficer,
            Some("gucheng"),
            &["nanjie", "beijie"],
        ),
        persona("aux", Role::Auxiliary, Some("gucheng"), &["nanjie"]),
        persona("chief", Role::StationChief, Some("gucheng"), &[]),
        persona("grid", Role::GridWorker, Some("gucheng"), &["nanjie"]),
        persona(
            "officer2",
            Role::CommunityOfficer,
            Some("gucheng"),
            &["nanjie"],
        ),
        persona(
            "liuta",
            Role::CommunityOfficer,
            Some("liuta"),
            &["dongguan"],
        ),
    ]
}

const ADMIN: &str = "admin";

/// A server data dir and one enrolled device store per persona, made once (enrolment hashes
/// passwords with argon2, far too slow to repeat per seed) and copied for every seed.
pub struct Template {
    dir: tempfile::TempDir,
    /// The cast, in the order of their store files.
    pub cast: Vec<Persona>,
}

/// Where fuzz runs keep their files: RAM-backed if the machine has `/dev/shm` (fsync is the
/// cost of a real disk, measured by the crash tests and benchmarks, not what is tested here).
pub fn scratch_dir() -> tempfile::TempDir {
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        if let Ok(dir) = tempfile::tempdir_in(shm) {
            return dir;
        }
    }
    tempfile::tempdir().unwrap()
}

fn copy_db(from: &Path, to: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let src = PathBuf::from(format!("{}{suffix}", from.display()));
        if src.exists() {
            std::fs::copy(&src, format!("{}{suffix}", to.display())).unwrap();
        }
    }
}

impl Template {
    /// Enrols every persona (and the county admin) against a real server over HTTP.
    pub async fn build() -> Template {
        let dir = scratch_dir();
        let state = AppState::open(ServerConfig::new(dir.path().join("server"))).unwrap();
        state.set_county(test_county()).unwrap();
        let server = TestServer::serve(state, tempfile::tempdir().unwrap()).await;
        let cast = cast();
        let admin = persona(ADMIN, Role::CountyAdmin, None, &[]);
        for p in cast.iter().chain([&admin]) {
            server.add_user(
                p.username,
                p.assignment.role,
                p.assignment.station.as_ref().map(|s| s.as_str()),
                &p.assignment
                    .villages
                    .iter()
                    .map(|v| v.as_str())
                    .collect::<Vec<_>>(),
            );
            let store = Store::open(dir.path().join(format!("{}.db", p.username)), None).unwrap();
            let store = Mutex::new(store);
            beatbook_sync::http::enrol(&store, &server.url, p.username, PASSWORD, "fuzz")
                .await
                .unwrap();
        }
        server.stop().await;
        Template { dir, cast }
    }

    fn copy_to(&self, to: &Path) {
        std::fs::create_dir_all(to.join("server")).unwrap();
        copy_db(
            &self
                .dir
                .path()
                .join("server")
                .join(beatbook_server::state::DATABASE_FILE),
            &to.join("server")
                .join(beatbook_server::state::DATABASE_FILE),
        );
        for p in self.cast.iter().map(|p| p.username).chain([ADMIN]) {
            let name = format!("{p}.db");
            copy_db(&self.dir.path().join(&name), &to.join(&name));
        }
    }
}

/// A device clock off by a fixed amount.
#[derive(Debug)]
struct SkewedClock(Duration);

impl Clock for SkewedClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.0
    }
}

/// Counts of what the fuzzer did, over all seeds of a run.
#[derive(Debug, Default)]
pub struct Stats {
    /// Seeds run.
    pub seeds: AtomicU64,
    /// Records created.
    pub creates: AtomicU64,
    /// Edits saved.
    pub edits: AtomicU64,
    /// Edits the model refused (left the record as it was).
    pub refused_edits: AtomicU64,
    /// Deletes.
    pub deletes: AtomicU64,
    /// Sync attempts.
    pub syncs: AtomicU64,
    /// Requests that reached the server.
    pub delivered: AtomicU64,
    /// Requests lost before the server.
    pub dropped_requests: AtomicU64,
    /// Answers lost after the server applied the request.
    pub dropped_responses: AtomicU64,
    /// Requests delivered twice.
    pub duplicated: AtomicU64,
    /// Old requests delivered late (after newer ones).
    pub replayed_late: AtomicU64,
    /// Rounds a device spent offline.
    pub offline_rounds: AtomicU64,
    /// Fields that ended with concurrent values to settle.
    pub conflicts: AtomicU64,
    /// Changes checked present on the server at the end.
    pub changes_checked: AtomicU64,
    /// Records filed at the edges of every field's range (earliest times, latest due dates,
    /// largest numbers) by a poison device.
    pub edge_records: AtomicU64,
    /// Changes past the model (impossible times, unknown kinds, wrong types, raw bytes)
    /// pushed by a poison device; every one must be refused and stop nobody's sync.
    pub poison_refused: AtomicU64,
}

impl Stats {
    /// One line per counter, for logs and docs/reliability.md.
    pub fn report(&self) -> String {
        let n = |a: &AtomicU64| a.load(Ordering::Relaxed);
        format!(
            "seeds {} · creates {} · edits {} (refused by the model {}) · deletes {} · sync attempts {} · \
             requests delivered {} · requests dropped {} · answers dropped after apply {} · \
             duplicated {} · delivered late {} · device-rounds offline {} · conflicts {} · \
             changes verified on the server {} · edge records {} · changes past the model \
             refused {} · lost 0",
            n(&self.seeds),
            n(&self.creates),
            n(&self.edits),
            n(&self.refused_edits),
            n(&self.deletes),
            n(&self.syncs),
            n(&self.delivered),
            n(&self.dropped_requests),
            n(&self.dropped_responses),
            n(&self.duplicated),
            n(&self.replayed_late),
            n(&self.offline_rounds),
            n(&self.conflicts),
            n(&self.changes_checked),
            n(&self.edge_records),
            n(&self.poison_refused),
        )
    }
}

fn bump(a: &AtomicU64) {
    a.fetch_add(1, Ordering::Relaxed);
}

/// A request as it went on the wire: a replay sends exactly these bytes again.
#[derive(Clone)]
struct Signed {
    time: i64,
    signature: String,
    body: Vec<u8>,
}

/// How often each fault strikes, in percent of requests.
#[derive(Debug, Clone, Copy)]
pub struct FaultRates {
    /// The request never arrives.
    pub drop_request: u64,
    /// The server applies the request, the answer never arrives.
    pub drop_response: u64,
    /// The request arrives twice.
    pub duplicate: u64,
    /// The request is kept and delivered again later, after newer ones.
    pub delay: u64,
}

impl FaultRates {
    /// No faults (the final round).
    pub const NONE: FaultRates = FaultRates {
        drop_request: 0,
        drop_response: 0,
        duplicate: 0,
        delay: 0,
    };
}

/// The device's side of the wire, calling the server's router in process, with faults.
struct FaultyTransport {
    router: axum::Router,
    token: String,
    key: DeviceKey,
    rng: Mutex<Sampler>,
    rates: Mutex<FaultRates>,
    late: Mutex<Vec<Signed>>,
    stats: Arc<Stats>,
}

impl FaultyTransport {
    fn sign(&self, body: Vec<u8>) -> Signed {
        let time = Utc::now().timestamp_millis();
        let signature = self.key.sign(&request_payload(
            "POST",
            "/v1/sync",
            time,
            &self.token,
            &body,
        ));
        Signed {
            time,
            signature: beatbook_protocol::hex(&signature),
            body,
        }
    }

    async fn deliver(&self, req: &Signed) -> Result<Vec<u8>, SyncError> {
        bump(&self.stats.delivered);
        let request = Request::post("/v1/sync")
            .header("authorization", format!("Bearer {}", self.token))
            .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
            .header(TIME_HEADER, req.time.to_string())
            .header(SIGNATURE_HEADER, &req.signature)
            .header("content-type", BINARY_CONTENT_TYPE)
            .body(HttpBody::from(req.body.clone()))
            .unwrap();
        let resp = self.router.clone().oneshot(request).await.unwrap();
        let status = resp.status();
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap()
            .to_vec();
        if status.is_success() {
            return Ok(bytes);
        }
        match serde_json::from_slice::<ApiErrorBody>(&bytes) {
            Ok(err) => Err(SyncError::Refused(err)),
            Err(_) => Err(SyncError::Refused(ApiErrorBody {
                code: ErrorCode::Internal,
                message: format!("HTTP {status} without a JSON error body"),
                change: None,
            })),
        }
    }

    fn roll(&self, percent: u64) -> bool {
        percent > 0 && self.rng.lock().unwrap().below(100) < percent
    }
}

impl Transport for FaultyTransport {
    async fn exchange(&self, body: Vec<u8>) -> Result<Vec<u8>, SyncError> {
        let rates = *self.rates.lock().unwrap();
        let req = self.sign(body);
        // An old request arrives now, after newer ones; its answer goes nowhere.
        if self.roll(rates.delay) {
            let old = self.late.lock().unwrap().pop();
            if let Some(old) = old {
                bump(&self.stats.replayed_late);
                let _ = self.deliver(&old).await;
            }
        }
        if self.roll(rates.delay) {
            self.late.lock().unwrap().push(req.clone());
        }
        if self.roll(rates.drop_request) {
            bump(&self.stats.dropped_requests);
            return Err(SyncError::Offline("request lost (fault injected)".into()));
        }
        let mut answer = self.deliver(&req).await;
        if self.roll(rates.duplicate) {
            bump(&self.stats.duplicated);
            let second = self.deliver(&req).await;
            if self.roll(50) {
                answer = second;
            }
        }
        if answer.is_ok() && self.roll(rates.drop_response) {
            bump(&self.stats.dropped_responses);
            return Err(SyncError::Offline(
                "connection cut mid-answer (fault injected)".into(),
            ));
        }
        answer
    }
}

/// One device in a run.
struct Replica {
    persona: Persona,
    store: Mutex<Store>,
    device: Device,
    transport: FaultyTransport,
    offline_until: usize,
    clock: Arc<dyn Clock>,
    /// A device that files records at the edges of every range and pushes raw changes past
    /// the model (a buggy or hostile handset).
    poison: bool,
}

impl Replica {
    fn name(&self) -> &str {
        self.persona.username
    }
}

/// What the run expects of each field it touched.
#[derive(Default)]
struct Expect {
    /// (record, field) → every fragment appended (each must survive, in one piece).
    texts: BTreeMap<(RecordId, &'static str), Vec<String>>,
    /// (record, field) → every value ever written (the end value must be one of them).
    scalars: BTreeMap<(RecordId, &'static str), Vec<Json>>,
}

impl Expect {
    fn scalar(&mut self, id: RecordId, field: &'static str, value: Json) {
        let seen = self.scalars.entry((id, field)).or_default();
        if !seen.contains(&value) {
            seen.push(value);
        }
    }
}

/// What an edit did to a record's body, to remember for the end.
enum Touch {
    Text(&'static str, String),
    Scalar(&'static str, Json),
    Scalars(Vec<(&'static str, Json)>),
    Other,
}

/// A text fragment: a unique marker, sometimes followed by a long run of text.
fn fragment(rng: &mut Sampler, marker: &str, long: bool) -> String {
    const WORDS: [&str; 8] = [
        "走访",
        "核实",
        "调解",
        "隐患",
        "巡逻",
        "村委会",
        "双方",
        "。",
    ];
    let n = if long {
        50 + rng.below(400)
    } else {
        rng.below(6)
    };
    let mut s = format!("〔{marker}〕");
    for _ in 0..n {
        s.push_str(WORDS[rng.below(WORDS.len() as u64) as usize]);
    }
    s
}

fn json<T: serde::Serialize>(v: &T) -> Json {
    serde_json::to_value(v).unwrap()
}

/// A new record of `kind` as `who` would file it at `now` (visits and checks need a
/// household or key person to refer to).
pub fn new_body(
    kind: Kind,
    who: &str,
    now: DateTime<Utc>,
    rng: &mut Sampler,
    household: Option<RecordId>,
    key_person: Option<RecordId>,
) -> Option<Body> {
    let name = rng.name();
    Some(match kind {
        Kind::Household => Body::Household(rng.household("南街村")),
        Kind::Visit => Body::Visit(rng.visit(household?, &who.into(), now)),
        Kind::KeyPerson => Body::KeyPerson(KeyPerson {
            name,
            id_number: rng.id_number(),
            phone: None,
            address: String::new(),
            household,
            category: KeyPersonCategory::Petitioner,
            risk_level: RiskLevel::Low,
            responsible_officer: who.into(),
            notes: String::new(),
        }),
        Kind::KeyPersonCheck => Body::KeyPersonCheck(KeyPersonCheck {
            key_person: key_person?,
            checked_by: who.into(),
            checked_at: now,
            place: "家中".into(),
            location: None,
            seen_in_person: true,
            situation: "情况稳定".into(),
            risk_change: RiskChange::Unchanged,
            risk_level_after: None,
        }),
        Kind::Inspection => Body::Inspection(Inspection {
            unit_name: format!("{name}超市"),
            unit_type: UnitType::Shop,
            address: String::new(),
            inspected_at: now,
            inspectors: vec![who.into()],
            location: None,
            items: vec![],
            hazards_found: String::new(),
            hazards: vec![],
            deadline: None,
        }),
        Kind::Dispute => Body::Dispute(Dispute {
            reported_at: now,
            parties: vec![Party {
                name,
                id_number: None,
                phone: None,
            }],
            dispute_type: DisputeType::Land,
            description: "宅基地纠纷".into(),
            status: DisputeStatus::Reported,
            referral: None,
            sessions: vec![],
            outcome: String::new(),
            agreement: String::new(),
            resolved_at: None,
            return_visit: None,
            household,
            source: None,
        }),
        Kind::Patrol => Body::Patrol(Patrol {
            started_at: now,
            ended_at: None,
            patrollers: vec![who.into()],
            area: "村东".into(),
            route: vec![],
            observations: vec![],
        }),
        Kind::Publicity => Body::Publicity(Publicity {
            topic: "防范电信诈骗".into(),
            place: "村委会".into(),
            held_at: now,
            audience: 20,
            notes: String::new(),
        }),
        Kind::Hazard => Body::Hazard(Hazard {
            description: "电线老化".into(),
            place: "村东头".into(),
            location: None,
            found_at: now,
            found_by: who.into(),
            source: None,
            status: HazardStatus::Open,
            deadline: None,
            rectification: String::new(),
            cleared_at: None,
            clearance_note: String::new(),
            cleared_by: None,
        }),
        Kind::Task => Body::Task(Task {
            assignee: who.into(),
            assigned_by: who.into(),
            action: TaskAction::VisitHousehold,
            target: household,
            instructions: "走访该户".into(),
            due_at: now + Duration::days(7),
            status: TaskStatus::Open,
            completed_by: None,
            cancel_reason: String::new(),
        }),
    })
}

/// One random edit of `body`: append to its long text, set a scalar field, or add to a list.
fn mutate(body: &mut Body, rng: &mut Sampler, now: DateTime<Utc>, marker: &str) -> Touch {
    let long = rng.below(10) == 0;
    let what = rng.below(3);
    let frag = fragment(rng, marker, long);
    macro_rules! append {
        ($field:expr, $name:literal) => {{
            $field.push_str(&frag);
            Touch::Text($name, frag)
        }};
    }
    macro_rules! set {
        ($field:expr, $name:literal, $value:expr) => {{
            $field = $value;
            Touch::Scalar($name, json(&$field))
        }};
    }
    match body {
        Body::Household(h) => match what {
            0 => append!(h.notes, "notes"),
            _ => {
                h.members.push(Member {
                    name: rng.name(),
                    id_number: None,
                    phone: None,
                    relation: Relation::Child,
                });
                Touch::Other
            }
        },
        Body::Visit(v) => match what {
            0 => append!(v.findings, "findings"),
            1 => append!(v.follow_up, "follow_up"),
            _ => set!(
                v.method,
                "method",
                *rng.pick(&[
                    FiveOnes::Talk,
                    FiveOnes::Mediation,
                    FiveOnes::Lecture,
                    FiveOnes::Visit
                ])
            ),
        },
        Body::KeyPerson(k) => match what {
            0 => append!(k.notes, "notes"),
            _ => set!(
                k.risk_level,
                "risk_level",
                *rng.pick(&[RiskLevel::Low, RiskLevel::Medium, RiskLevel::High])
            ),
        },
        Body::KeyPersonCheck(c) => match what {
            0 => append!(c.situation, "situation"),
            _ => set!(c.seen_in_person, "seen_in_person", rng.below(2) == 0),
        },
        Body::Inspection(i) => match what {
            0 => append!(i.hazards_found, "hazards_found"),
            1 => {
                i.items.push(InspectionItem {
                    item: "消防通道".into(),
                    passed: rng.below(2) == 0,
                    note: String::new(),
                });
                Touch::Other
            }
            _ => set!(
                i.unit_type,
                "unit_type",
                *rng.pick(&[UnitType::Shop, UnitType::Hotel, UnitType::Factory])
            ),
        },
        Body::Dispute(d) => match (what, rng.below(4)) {
            (0, _) => append!(d.description, "description"),
            (1, 0) if d.status == DisputeStatus::Reported => {
                set!(d.status, "status", DisputeStatus::Mediating)
            }
            (1, _) => {
                d.sessions.push(Session {
                    held_at: now,
                    participants: vec!["村调委会".into()],
                    notes: frag,
                    outcome: String::new(),
                });
                Touch::Other
            }
            _ => set!(
                d.dispute_type,
                "dispute_type",
                *rng.pick(&[DisputeType::Land, DisputeType::Debt, DisputeType::Neighbour])
            ),
        },
        Body::Patrol(p) => {
            p.observations.push(Observation {
                at: now,
                place: "村口".into(),
                location: None,
                text: frag,
                incident: what == 0,
            });
            Touch::Other
        }
        Body::Publicity(p) => match what {
            0 => append!(p.notes, "notes"),
            _ => set!(p.audience, "audience", 10 + rng.below(90) as u32),
        },
        Body::Hazard(h) => match what {
            0 => append!(h.description, "description"),
            1 if h.status == HazardStatus::Open => {
                h.status = HazardStatus::Rectifying;
                h.deadline = Some(now + Duration::days(3));
                Touch::Scalars(vec![
                    ("status", json(&h.status)),
                    ("deadline", json(&h.deadline)),
                ])
            }
            _ => append!(h.rectification, "rectification"),
        },
        Body::Task(t) => append!(t.instructions, "instructions"),
    }
}

/// One seeded run: a fresh copy of the template, random work, final checks. Returns an
/// error naming what differed.
pub async fn run_seed(template: &Template, seed: u64, stats: &Arc<Stats>) -> Result<(), String> {
    let dir = scratch_dir();
    template.copy_to(dir.path());
    let state =
        AppState::open(ServerConfig::new(dir.path().join("server"))).map_err(|e| e.to_string())?;
    let router = beatbook_server::router(state.clone());
    let mut rng = Sampler::new(seed);

    // 3–6 devices; each seed picks which people take part and how wrong their clocks are.
    let mut cast = template.cast.clone();
    for i in (1..cast.len()).rev() {
        cast.swap(i, rng.below(i as u64 + 1) as usize);
    }
    cast.truncate(3 + rng.below(4) as usize);
    let rounds = 10 + rng.below(20) as usize;
    let rates = FaultRates {
        drop_request: rng.below(25),
        drop_response: rng.below(25),
        duplicate: rng.below(20),
        delay: rng.below(20),
    };
    let mut replicas = Vec::new();
    for p in cast {
        let skew = match rng.below(5) {
            0 => Duration::days(3),
            1 => Duration::days(-4),
            2 => Duration::days(-40),
            _ => Duration::zero(),
        };
        let clock: Arc<dyn Clock> = Arc::new(SkewedClock(skew));
        let store = Store::open_with_clock(
            dir.path().join(format!("{}.db", p.username)),
            None,
            clock.clone(),
        )
        .map_err(|e| e.to_string())?;
        let device = Device::load(&store)
            .unwrap()
            .expect("enrolled in the template");
        let transport = FaultyTransport {
            router: router.clone(),
            token: device.token.clone(),
            key: device.key().unwrap(),
            rng: Mutex::new(Sampler::new(seed ^ rng.next_u64())),
            rates: Mutex::new(rates),
            late: Mutex::new(Vec::new()),
            stats: stats.clone(),
        };
        // One in three devices goes offline for a long stretch of the run.
        let offline_until = if rng.below(3) == 0 {
            rounds / 3 + rng.below(rounds as u64 / 2 + 1) as usize
        } else {
            0
        };
        // In half the seeds the first device is a poison one.
        let poison = replicas.is_empty() && seed.is_multiple_of(2);
        replicas.push(Replica {
            persona: p,
            store: Mutex::new(store),
            device,
            transport,
            offline_until,
            clock,
            poison,
        });
    }

    let mut created: Vec<(RecordId, Kind, Scope)> = Vec::new();
    let mut expect = Expect::default();
    let mut made: BTreeSet<[u8; 32]> = BTreeSet::new();
    let mut step = 0u64;
    for round in 0..rounds {
        for rep in &replicas {
            for _ in 0..rng.below(4) {
                step += 1;
                local_op(rep, &mut rng, &mut created, &mut expect, step, stats)?;
            }
            if rep.poison && rng.below(4) == 0 {
                push_past_the_model(rep, &mut rng, stats).await?;
            }
            collect_pending(rep, &mut made);
            if round < rep.offline_until {
                bump(&stats.offline_rounds);
                continue;
            }
            if rng.below(3) > 0 {
                sync(rep, seed, stats).await?;
            }
        }
    }

    // Everyone comes back; the network heals; two rounds so each sees the others' work.
    for rep in &replicas {
        *rep.transport.rates.lock().unwrap() = FaultRates::NONE;
        rep.transport.late.lock().unwrap().clear();
        collect_pending(rep, &mut made);
    }
    for _ in 0..2 {
        for rep in &replicas {
            if !sync(rep, seed, stats).await? {
                return Err(format!("{} did not catch up without faults", rep.name()));
            }
        }
    }
    let oracle = {
        let store =
            Store::open(dir.path().join(format!("{ADMIN}.db")), None).map_err(|e| e.to_string())?;
        let device = Device::load(&store).unwrap().expect("admin enrolled");
        let transport = FaultyTransport {
            router: router.clone(),
            token: device.token.clone(),
            key: device.key().unwrap(),
            rng: Mutex::new(Sampler::new(0)),
            rates: Mutex::new(FaultRates::NONE),
            late: Mutex::new(Vec::new()),
            stats: stats.clone(),
        };
        let persona = persona(ADMIN, Role::CountyAdmin, None, &[]);
        Replica {
            persona,
            store: Mutex::new(store),
            device,
            transport,
            offline_until: 0,
            clock: Arc::new(SkewedClock(Duration::zero())),
            poison: false,
        }
    };
    if !sync(&oracle, seed, stats).await? {
        return Err("the county admin could not pull the server's copy".into());
    }
    check(&replicas, &oracle, &created, &expect, &made, stats)?;
    bump(&stats.seeds);
    drop(router);
    drop(state);
    Ok(())
}

fn collect_pending(rep: &Replica, made: &mut BTreeSet<[u8; 32]>) {
    let store = rep.store.lock().unwrap();
    for c in store.pending_changes(usize::MAX >> 1).unwrap() {
        made.insert(c.hash.0);
    }
}

/// Syncs `rep` until caught up, resuming after transient failures (as the app's backoff loop
/// does, without the waiting). `Ok(false)` if it stayed offline after many tries.
async fn sync(rep: &Replica, seed: u64, stats: &Stats) -> Result<bool, String> {
    for _ in 0..12 {
        bump(&stats.syncs);
        match beatbook_sync::run(&rep.store, &rep.device, &rep.transport, |_| {}).await {
            Ok(_) => return Ok(true),
            Err(e) if e.is_transient() => continue,
            Err(e) => {
                return Err(format!(
                    "seed {seed}: {} ({:?}) sync failed for good: {e:?}",
                    rep.name(),
                    rep.persona.assignment.role
                ))
            }
        }
    }
    Ok(false)
}

/// Kinds a role may file here, in a fixed order (tasks only where it gives out work).
fn writable_kinds(a: &Assignment, scope: &Scope) -> Vec<Kind> {
    Kind::ALL
        .iter()
        .copied()
        .filter(|k| a.can_write(*k, scope) && (*k != Kind::Task || a.can_dispatch(scope)))
        .collect()
}

/// Whether the model's access rules let this device's user turn `id` into `next`, as the app
/// and the CLI ask before they write (the server refuses what they refuse).
fn allowed(
    rep: &Replica,
    store: &Store,
    id: RecordId,
    next: impl FnOnce(&mut beatbook_model::Record),
) -> bool {
    let Some(before) = store.get(id).unwrap() else {
        return false;
    };
    let mut after = before.clone();
    next(&mut after);
    rep.persona
        .assignment
        .check_change(&rep.name().into(), Some(&before), &after)
        .is_ok()
}

fn scopes_of(a: &Assignment) -> Vec<Scope> {
    let county = test_county();
    let mut out = Vec::new();
    for st in &county.stations {
        for v in &st.villages {
            let s = Scope {
                station: st.id.clone(),
                village: v.id.clone(),
            };
            if a.can_read(Kind::Household, &s) {
                out.push(s);
            }
        }
    }
    out
}

/// `body` with every field at the edge of its range: times that happened at the earliest
/// instant the model allows, due dates at the latest, counts at their largest.
fn at_the_edges(body: &Body, now: DateTime<Utc>) -> Body {
    fn walk(v: &mut Json, latest: &str) {
        match v {
            Json::Object(map) => {
                for (key, value) in map.iter_mut() {
                    match (key.as_str(), &*value) {
                        ("due_at" | "deadline", Json::String(_)) => *value = Json::from(latest),
                        (k, Json::String(_)) if k == "at" || k.ends_with("_at") => {
                            *value = Json::from("1900-01-01T00:00:00Z")
                        }
                        ("audience", Json::Number(_)) => *value = Json::from(100_000),
                        _ => walk(value, latest),
                    }
                }
            }
            Json::Array(items) => items.iter_mut().for_each(|i| walk(i, latest)),
            _ => {}
        }
    }
    let latest = (now + beatbook_model::validate::DUE_HORIZON - Duration::minutes(1))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut data = body.data_json();
    walk(&mut data, &latest);
    Body::from_json(body.kind(), data).expect("edges keep the shape")
}

/// Pushes, as `rep`'s device (its actor and key), one change that no honest device would
/// make: the server must refuse it, naming it, and nothing of it may reach anyone.
async fn push_past_the_model(
    rep: &Replica,
    rng: &mut Sampler,
    stats: &Stats,
) -> Result<(), String> {
    let (actor, scope) = {
        let store = rep.store.lock().unwrap();
        let scopes = scopes_of(&rep.persona.assignment);
        (store.actor().clone(), rng.pick(&scopes).clone())
    };
    let id = RecordId::new();
    let now = rep.clock.now();
    let mut record = serde_json::json!({
        "id": id.to_string(),
        "scope": {"station": scope.station.as_str(), "village": scope.village.as_str()},
        "author": rep.name(),
        "created_at": now.to_rfc3339(),
        "updated_at": now.to_rfc3339(),
        "deleted": false,
        "kind": "publicity",
        "data": {"topic": "防范电信诈骗", "place": "村委会", "held_at": now.to_rfc3339(),
                 "audience": 30, "notes": ""},
    });
    let bytes = match rng.below(6) {
        0 => {
            record["data"]["held_at"] = Json::from("-0001-01-01T00:00:00Z");
            None
        }
        1 => {
            record["data"]["held_at"] = Json::from("+10000-01-01T00:00:00Z");
            None
        }
        2 => {
            record["kind"] = Json::from("drone_flight");
            None
        }
        3 => {
            record["data"]["audience"] = Json::from("很多人");
            None
        }
        4 => {
            record["created_at"] = Json::from("0000-01-01T00:00:00Z");
            None
        }
        _ => Some((0..40).map(|_| rng.below(256) as u8).collect::<Vec<u8>>()),
    };
    let change = match bytes {
        Some(raw) => raw,
        None => {
            let mut doc = automerge::AutoCommit::new().with_actor(actor);
            beatbook_doc::reconcile_root(&mut doc, &serde_json::json!({}), &record)
                .map_err(|e| e.to_string())?;
            doc.commit();
            doc.get_last_local_change().unwrap().bytes().into_owned()
        }
    };
    let hash = Change::from_bytes(change.clone()).ok().map(|c| c.hash().0);
    let signature = rep
        .transport
        .key
        .sign(&beatbook_protocol::change_payload(&hash.unwrap_or([0; 32])))
        .to_vec();
    let body = beatbook_protocol::encode(&beatbook_protocol::SyncRequest {
        protocol: PROTOCOL_VERSION,
        cursor: beatbook_protocol::Cursor::default(),
        push: vec![beatbook_protocol::PushedChange {
            record: id.0.into_bytes(),
            change,
            signature,
        }],
        max_pull_bytes: 1,
    })
    .map_err(|e| e.to_string())?;
    match rep.transport.deliver(&rep.transport.sign(body)).await {
        Err(SyncError::Refused(err))
            if matches!(
                err.code,
                ErrorCode::BadChange | ErrorCode::Forbidden | ErrorCode::OutOfScope
            ) =>
        {
            if let Some(h) = hash {
                if err.change.as_deref() != Some(beatbook_protocol::hex(&h).as_str()) {
                    return Err(format!("a refusal named another change: {err:?}"));
                }
            }
            bump(&stats.poison_refused);
            Ok(())
        }
        other => Err(format!(
            "{}: a change past the model was not refused as one: {:?}",
            rep.name(),
            other.map(|b| b.len())
        )),
    }
}

fn local_op(
    rep: &Replica,
    rng: &mut Sampler,
    created: &mut Vec<(RecordId, Kind, Scope)>,
    expect: &mut Expect,
    step: u64,
    stats: &Stats,
) -> Result<(), String> {
    let mut store = rep.store.lock().unwrap();
    let now = rep.clock.now();
    let marker = format!("{}#{step}", rep.name());
    // Records this device holds, in creation order (deterministic for the seed).
    let mine: Vec<(RecordId, Kind, Scope)> = created
        .iter()
        .filter(|(id, _, _)| store.get(*id).unwrap().is_some_and(|r| !r.deleted))
        .cloned()
        .collect();
    let choice = rng.below(20);
    if mine.is_empty() || choice < 5 {
        let scopes = scopes_of(&rep.persona.assignment);
        let scope = rng.pick(&scopes).clone();
        let kinds = writable_kinds(&rep.persona.assignment, &scope);
        let kind = *rng.pick(&kinds);
        let in_scope = |k: Kind| {
            mine.iter()
                .filter(|(_, kk, s)| *kk == k && *s == scope)
                .map(|(id, _, _)| *id)
                .next_back()
        };
        let Some(mut body) = new_body(
            kind,
            rep.name(),
            now,
            rng,
            in_scope(Kind::Household),
            in_scope(Kind::KeyPerson),
        ) else {
            return Ok(());
        };
        let edge = rep.poison && rng.below(2) == 0;
        if edge {
            body = at_the_edges(&body, now);
            bump(&stats.edge_records);
        }
        let record = store
            .create(&rep.name().into(), scope.clone(), body)
            .map_err(|e| format!("{} could not create a {kind:?}: {e}", rep.name()))?;
        let data = &json(&record)["data"];
        for field in SCALAR_FIELDS {
            if let Some(v) = data.get(field) {
                expect.scalar(record.id, field, v.clone());
            }
        }
        created.push((record.id, kind, scope));
        bump(&stats.creates);
        return Ok(());
    }
    let (id, _, _) = rng.pick(&mine).clone();
    if choice == 5 && !allowed(rep, &store, id, |r| r.deleted = true) {
        return Ok(());
    }
    if choice == 5 {
        store
            .delete(id)
            .map_err(|e| format!("{} could not delete: {e}", rep.name()))?;
        bump(&stats.deletes);
        return Ok(());
    }
    let mut body = store.get(id).unwrap().unwrap().body;
    let touch = mutate(&mut body, rng, now, &marker);
    if !allowed(rep, &store, id, |r| r.body = body.clone()) {
        return Ok(());
    }
    let before = store.open_record(id).unwrap();
    match store.update(id, body) {
        Ok(_) => {
            bump(&stats.edits);
            match touch {
                Touch::Text(field, frag) => expect.texts.entry((id, field)).or_default().push(frag),
                Touch::Scalar(field, v) => expect.scalar(id, field, v),
                Touch::Scalars(set) => {
                    for (field, v) in set {
                        expect.scalar(id, field, v)
                    }
                }
                Touch::Other => {}
            }
        }
        Err(e) => {
            // The model may refuse (a text grown past its limit, a time the device's clock
            // puts in the future); the record must then be exactly as it was.
            bump(&stats.refused_edits);
            if !matches!(e.code(), "invalid" | "illegal_transition") {
                return Err(format!("{}: unexpected edit error {e}", rep.name()));
            }
            if store.open_record(id).unwrap() != before {
                return Err(format!("{}: a refused edit changed {id}", rep.name()));
            }
        }
    }
    Ok(())
}

/// Every record of a store, as JSON with its conflicts, by id.
fn views(store: &mut Store) -> BTreeMap<RecordId, Json> {
    store
        .document_ids()
        .unwrap()
        .into_iter()
        .map(|id| (id, json(&store.open_record(id).unwrap())))
        .collect()
}

/// Every record's projection row agrees with its document.
fn check_projections(name: &str, store: &mut Store) -> Result<(), String> {
    let listed = store
        .list(&ListQuery {
            include_deleted: true,
            limit: Some(1_000_000),
            ..Default::default()
        })
        .unwrap();
    let ids = store.document_ids().unwrap();
    if listed.len() != ids.len() {
        return Err(format!(
            "{name}: {} projection rows for {} documents",
            listed.len(),
            ids.len()
        ));
    }
    for id in ids {
        let view = store.open_record(id).unwrap();
        if store.get(id).unwrap().as_ref() != Some(&view.record) {
            return Err(format!(
                "{name}: projection of {id} differs from its document"
            ));
        }
        let row = listed.iter().find(|s| s.id == id).unwrap();
        if row.title != view.record.body.title()
            || row.status.as_deref() != view.record.body.status()
            || row.conflicts != view.conflicts.len()
            || row.deleted != view.record.deleted
        {
            return Err(format!(
                "{name}: list row of {id} differs from its document"
            ));
        }
    }
    Ok(())
}

fn check(
    replicas: &[Replica],
    oracle: &Replica,
    created: &[(RecordId, Kind, Scope)],
    expect: &Expect,
    made: &BTreeSet<[u8; 32]>,
    stats: &Stats,
) -> Result<(), String> {
    let mut server_store = oracle.store.lock().unwrap();
    let server = views(&mut server_store);
    check_projections(ADMIN, &mut server_store)?;
    // Everything anyone made reached the server.
    if server.len() != created.len() {
        return Err(format!(
            "the server holds {} records, {} were created",
            server.len(),
            created.len()
        ));
    }
    let mut on_server = BTreeSet::new();
    for id in server.keys() {
        for bytes in server_store.record_changes(*id).unwrap() {
            let change = Change::from_bytes(bytes).map_err(|e| e.to_string())?;
            on_server.insert(change.hash().0);
        }
    }
    if let Some(missing) = made.iter().find(|h| !on_server.contains(*h)) {
        return Err(format!(
            "change {} made on a device is missing on the server",
            beatbook_protocol::hex(missing)
        ));
    }
    stats
        .changes_checked
        .fetch_add(made.len() as u64, Ordering::Relaxed);

    // Each device holds exactly what its user may read, identical to the server's copy.
    for rep in replicas {
        let mut store = rep.store.lock().unwrap();
        let name = rep.name();
        if store.pending_count().unwrap() != 0 {
            return Err(format!("{name} still has unsent changes"));
        }
        let aside = store.set_aside_changes().unwrap();
        if !aside.is_empty() {
            return Err(format!("{name} had changes refused: {aside:?}"));
        }
        check_projections(name, &mut store)?;
        let mine = views(&mut store);
        let a = &rep.persona.assignment;
        let readable: BTreeSet<RecordId> = created
            .iter()
            .filter(|(_, k, s)| a.can_read(*k, s))
            .map(|(id, _, _)| *id)
            .collect();
        let held: BTreeSet<RecordId> = mine.keys().copied().collect();
        if held != readable {
            return Err(format!(
                "{name} holds {} records, may read {} (extra {:?}, missing {:?})",
                held.len(),
                readable.len(),
                held.difference(&readable).collect::<Vec<_>>(),
                readable.difference(&held).collect::<Vec<_>>()
            ));
        }
        for (id, view) in &mine {
            if server.get(id) != Some(view) {
                return Err(format!(
                    "{name}'s copy of {id} differs from the server's:\n device {view}\n server {}",
                    server.get(id).map(|v| v.to_string()).unwrap_or_default()
                ));
            }
        }
    }

    // Fields merged as the model says.
    for ((id, field), frags) in &expect.texts {
        let text = server[id]["record"]["data"][*field]
            .as_str()
            .unwrap_or_default();
        for f in frags {
            if !text.contains(f.as_str()) {
                return Err(format!(
                    "{id}.{field}: appended text {f:?} lost from {text:?}"
                ));
            }
        }
    }
    for (id, view) in &server {
        for conflict in view["conflicts"].as_array().into_iter().flatten() {
            bump(&stats.conflicts);
            let path = conflict["path"].as_str().unwrap_or_default();
            let field = path.strip_prefix("data.").unwrap_or(path);
            let Some(written) = expect.scalars.get(&(*id, scalar_name(field))) else {
                return Err(format!(
                    "{id}: conflict on {path}, a field nobody set concurrently"
                ));
            };
            for v in conflict["values"].as_array().into_iter().flatten() {
                if !written.contains(v) {
                    return Err(format!(
                        "{id}: conflict value {v} at {path} was never written"
                    ));
                }
            }
        }
    }
    for ((id, field), written) in &expect.scalars {
        let value = &server[id]["record"]["data"][*field];
        if !written.contains(value) {
            return Err(format!(
                "{id}.{field} = {value}, never written ({written:?})"
            ));
        }
    }
    Ok(())
}

/// The scalar fields edits set (the end value must be one somebody wrote).
const SCALAR_FIELDS: [&str; 8] = [
    "method",
    "risk_level",
    "seen_in_person",
    "unit_type",
    "status",
    "dispute_type",
    "audience",
    "deadline",
];

fn scalar_name(field: &str) -> &'static str {
    SCALAR_FIELDS
        .into_iter()
        .find(|f| *f == field)
        .unwrap_or("")
}

/// Seeds to run: `BEATBOOK_SEED=<n>` replays one; otherwise `BEATBOOK_FUZZ_SEEDS` (default
/// `default`) seeds from `BEATBOOK_FUZZ_FIRST` (default 1).
pub fn seeds(default: u64) -> Vec<u64> {
    let var = |name: &str| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
    };
    if let Some(seed) = var("BEATBOOK_SEED") {
        return vec![seed];
    }
    let first = var("BEATBOOK_FUZZ_FIRST").unwrap_or(1);
    let count = var("BEATBOOK_FUZZ_SEEDS").unwrap_or(default);
    (first..first + count).collect()
}

/// Runs `seeds` on `BEATBOOK_FUZZ_JOBS` (default 2) workers, stopping at the first failure
/// with the line that replays it. Each seed runs alone on its own copy, so the outcome of a
/// seed does not depend on the others.
pub async fn run_seeds(seeds: &[u64]) -> Arc<Stats> {
    let template = Arc::new(Template::build().await);
    let stats = Arc::new(Stats::default());
    let jobs = std::env::var("BEATBOOK_FUZZ_JOBS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(2)
        .max(1);
    let queue = Arc::new(Mutex::new(
        seeds.iter().rev().copied().collect::<Vec<u64>>(),
    ));
    let failed = Arc::new(Mutex::new(None::<(u64, String)>));
    let mut workers = Vec::new();
    for _ in 0..jobs {
        let (template, stats, queue, failed) = (
            template.clone(),
            stats.clone(),
            queue.clone(),
            failed.clone(),
        );
        workers.push(tokio::spawn(async move {
            loop {
                if failed.lock().unwrap().is_some() {
                    return;
                }
                let Some(seed) = queue.lock().unwrap().pop() else {
                    return;
                };
                if let Err(e) = run_seed(&template, seed, &stats).await {
                    let mut f = failed.lock().unwrap();
                    if f.as_ref().is_none_or(|(s, _)| seed < *s) {
                        *f = Some((seed, e));
                    }
                }
            }
        }));
    }
    for w in workers {
        w.await.unwrap();
    }
    if let Some((seed, e)) = failed.lock().unwrap().take() {
        panic!(
            "convergence fuzz failed at seed {seed}: {e}\n\
             replay with BEATBOOK_SEED={seed} cargo test -p beatbook-tests --test fuzz_convergence"
        );
    }
    stats
}
