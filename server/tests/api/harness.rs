//! Test harness: a server over a temporary directory with a controllable clock, devices that
//! enrol, make records and sign requests like the app does.

use automerge::{ActorId, AutoCommit};
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, HeaderMap, Request, StatusCode};
use beatbook_model::sample::Sampler;
use beatbook_model::{
    Assignment, Body as RecordBody, Clock, County, KeyPerson, KeyPersonCategory, Post, PostKind,
    Record, RecordId, RiskLevel, Role, Scope, Station, Village,
};
use beatbook_protocol::{
    change_payload, decode, encode, hex, request_payload, ApiErrorBody, Cursor, DeviceKey,
    EnrolRequest, EnrolResponse, PushedChange, SyncRequest, SyncResponse, BINARY_CONTENT_TYPE,
    PROTOCOL_HEADER, PROTOCOL_VERSION, SIGNATURE_HEADER, SYNC_PATH, TIME_HEADER,
};
use beatbook_server::{router, AppState, NewUser, ServerConfig};
use chrono::{DateTime, Duration, TimeZone, Utc};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tower::ServiceExt;

/// A clock the test moves by hand.
#[derive(Debug)]
pub struct TestClock(Mutex<DateTime<Utc>>);

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

impl TestClock {
    pub fn advance(&self, by: Duration) {
        *self.0.lock().unwrap() += by;
    }
}

/// An answer: status, headers, body.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    /// The JSON error body (panics if it is not one).
    pub fn error(&self) -> ApiErrorBody {
        assert_eq!(
            self.headers
                .get(header::CONTENT_TYPE)
                .map(|v| v.to_str().unwrap()),
            Some("application/json"),
            "status {}",
            self.status
        );
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not an error body ({e}): {:?}", self.text()))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// A server over a temporary data directory, with a small county:
/// gucheng {nanjie, beijie}, liuta {dongguan}.
pub struct Server {
    pub state: AppState,
    pub clock: Arc<TestClock>,
    pub dir: PathBuf,
    _tmp: tempfile::TempDir,
}

pub fn scope(station: &str, village: &str) -> Scope {
    Scope {
        station: station.into(),
        village: village.into(),
    }
}

fn village(id: &str, name: &str) -> Village {
    Village {
        id: id.into(),
        name: name.into(),
        post: Post {
            kind: PostKind::Office,
            name: format!("{name}警务室"),
        },
    }
}

pub fn test_county() -> County {
    County {
        name: "清丰县公安局".into(),
        stations: vec![
            Station {
                id: "gucheng".into(),
                name: "固城派出所".into(),
                villages: vec![village("nanjie", "南街村"), village("beijie", "北街村")],
            },
            Station {
                id: "liuta".into(),
                name: "六塔派出所".into(),
                villages: vec![village("dongguan", "东关村")],
            },
        ],
    }
}

pub const PASSWORD: &str = "correct-horse-9";

impl Server {
    pub fn new() -> Server {
        let s = Server::empty();
        s.state.set_county(test_county()).unwrap();
        s
    }

    /// A server with nothing in it, not even a county.
    pub fn empty() -> Server {
        let tmp = tempfile::tempdir().unwrap();
        let clock = Arc::new(TestClock(Mutex::new(
            Utc.with_ymd_and_hms(2026, 11, 28, 8, 0, 0).unwrap(),
        )));
        let dir = tmp.path().join("data");
        let state = AppState::open(Self::config(&dir, &clock)).unwrap();
        Server {
            state,
            clock,
            dir,
            _tmp: tmp,
        }
    }

    fn config(dir: &std::path::Path, clock: &Arc<TestClock>) -> ServerConfig {
        let mut config = ServerConfig::new(dir);
        config.clock = clock.clone();
        config
    }

    /// Drops the state and opens the same directory again (as after a restart).
    pub fn restart(&mut self) {
        let config = Self::config(&self.dir, &self.clock);
        self.state = AppState::open(config).unwrap();
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Adds an account with [`PASSWORD`].
    pub fn user(&self, username: &str, role: Role, station: Option<&str>, villages: &[&str]) {
        self.state
            .add_user(NewUser {
                username: username.into(),
                display_name: "测试用户".into(),
                password: PASSWORD.into(),
                assignment: Assignment {
                    role,
                    station: station.map(Into::into),
                    villages: villages.iter().map(|v| (*v).into()).collect(),
                },
            })
            .unwrap();
    }

    /// The usual cast: admin, chief of gucheng, officer and grid worker of nanjie, officer
    /// of dongguan.
    pub fn with_people() -> Server {
        let s = Server::new();
        s.user("admin", Role::CountyAdmin, None, &[]);
        s.user("chief", Role::StationChief, Some("gucheng"), &[]);
        s.user(
            "officer",
            Role::CommunityOfficer,
            Some("gucheng"),
            &["nanjie"],
        );
        s.user("grid", Role::GridWorker, Some("gucheng"), &["nanjie"]);
        s.user("liu", Role::CommunityOfficer, Some("liuta"), &["dongguan"]);
        s
    }

    pub async fn send(&self, mut req: Request<Body>) -> Answer {
        req.extensions_mut()
            .insert(ConnectInfo(SocketAddr::from(([10, 1, 2, 3], 40000))));
        let res = router(self.state.clone()).oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let body = axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .unwrap()
            .to_vec();
        Answer {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.send(Request::get(path).body(Body::empty()).unwrap())
            .await
    }

    pub async fn enrol_raw(&self, req: &EnrolRequest) -> Answer {
        self.send(
            Request::post("/v1/enrol")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(serde_json::to_vec(req).unwrap()))
                .unwrap(),
        )
        .await
    }

    /// Enrols a fresh handset (new key and actor) for `username`.
    pub async fn enrol(&self, username: &str) -> Device {
        self.enrol_with(username, PASSWORD, ActorId::random())
            .await
            .unwrap_or_else(|a| panic!("enrol {username}: {} {}", a.status, a.text()))
    }

    pub async fn enrol_with(
        &self,
        username: &str,
        password: &str,
        actor: ActorId,
    ) -> Result<Device, Answer> {
        let key = DeviceKey::generate().unwrap();
        let answer = self
            .enrol_raw(&EnrolRequest {
                protocol: PROTOCOL_VERSION,
                username: username.into(),
                password: password.into(),
                device_name: "警务通-0042".into(),
                public_key: hex(&key.public()),
                actor: hex(actor.to_bytes()),
            })
            .await;
        if answer.status != StatusCode::OK {
            return Err(answer);
        }
        let res: EnrolResponse = serde_json::from_slice(&answer.body).unwrap();
        Ok(Device {
            key,
            actor,
            token: res.token.clone(),
            enrolment: res,
        })
    }

    /// Posts raw bytes to /v1/sync, signed by `device` at the server's now.
    pub async fn sync_raw(&self, device: &Device, body: Vec<u8>, protocol: u32) -> Answer {
        let time = self.now().timestamp_millis();
        let req = device.signed(time, body, protocol);
        self.send(req).await
    }

    pub async fn sync(&self, device: &Device, push: Vec<PushedChange>, cursor: Cursor) -> Answer {
        self.sync_sized(device, push, cursor, 1 << 20).await
    }

    pub async fn sync_sized(
        &self,
        device: &Device,
        push: Vec<PushedChange>,
        cursor: Cursor,
        max_pull_bytes: u32,
    ) -> Answer {
        let body = encode(&SyncRequest {
            protocol: PROTOCOL_VERSION,
            cursor,
            push,
            max_pull_bytes,
        })
        .unwrap();
        self.sync_raw(device, body, PROTOCOL_VERSION).await
    }

    /// A sync that must succeed.
    pub async fn sync_ok(
        &self,
        device: &Device,
        push: Vec<PushedChange>,
        cursor: Cursor,
    ) -> SyncResponse {
        let a = self.sync(device, push, cursor).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.text());
        assert_eq!(
            a.headers.get(header::CONTENT_TYPE).unwrap(),
            BINARY_CONTENT_TYPE
        );
        decode(&a.body).unwrap()
    }

    /// Syncs until `more` is false; returns every document and change received.
    pub async fn pull_all(&self, device: &Device, mut cursor: Cursor) -> (Pulled, Cursor) {
        let mut out = Pulled::default();
        for _ in 0..1000 {
            let res = self.sync_ok(device, vec![], cursor).await;
            out.documents.extend(
                res.documents
                    .iter()
                    .map(|d| RecordId(uuid::Uuid::from_bytes(d.record))),
            );
            out.changes.extend(
                res.changes
                    .iter()
                    .map(|c| RecordId(uuid::Uuid::from_bytes(c.record))),
            );
            out.rounds += 1;
            cursor = res.cursor;
            if !res.more {
                return (out, cursor);
            }
        }
        panic!("the feed never ended");
    }

    /// How many changes the log holds.
    pub fn logged(&self) -> u64 {
        self.state.storage().max_seq().unwrap()
    }
}

/// Record ids received over several syncs.
#[derive(Debug, Default)]
pub struct Pulled {
    pub documents: Vec<RecordId>,
    pub changes: Vec<RecordId>,
    pub rounds: usize,
}

/// An enrolled handset.
pub struct Device {
    pub key: DeviceKey,
    pub actor: ActorId,
    pub token: String,
    pub enrolment: EnrolResponse,
}

impl Device {
    /// A signed sync request carrying `body`.
    pub fn signed(&self, time: i64, body: Vec<u8>, protocol: u32) -> Request<Body> {
        self.signed_to(SYNC_PATH, time, body, protocol)
    }

    /// A signed request to `path` carrying `body`.
    pub fn signed_to(&self, path: &str, time: i64, body: Vec<u8>, protocol: u32) -> Request<Body> {
        let sig = self
            .key
            .sign(&request_payload("POST", path, time, &self.token, &body));
        Request::post(path)
            .header(header::AUTHORIZATION, format!("Bearer {}", self.token))
            .header(header::CONTENT_TYPE, BINARY_CONTENT_TYPE)
            .header(TIME_HEADER, time.to_string())
            .header(SIGNATURE_HEADER, hex(&sig))
            .header(PROTOCOL_HEADER, protocol.to_string())
            .body(Body::from(body))
            .unwrap()
    }

    /// Creates a record: its document (for later edits) and the signed change.
    pub fn create(&self, scope: Scope, body: RecordBody) -> (AutoCommit, PushedChange) {
        let now = Utc.with_ymd_and_hms(2026, 11, 28, 8, 0, 0).unwrap();
        let record = Record {
            id: RecordId::new(),
            scope,
            author: self.enrolment.user.username.as_str().into(),
            created_at: now,
            updated_at: now,
            deleted: false,
            review: None,
            body,
        };
        let mut doc = beatbook_doc::new_record_doc(self.actor.clone(), &record).unwrap();
        let change = self.commit(&mut doc, record.id);
        (doc, change)
    }

    /// Commits `doc`'s pending edits as a change to `record`, signed by this device.
    pub fn commit(&self, doc: &mut AutoCommit, record: RecordId) -> PushedChange {
        doc.commit().expect("something to commit");
        let mut change = doc.get_last_local_change().unwrap();
        PushedChange {
            record: record.0.into_bytes(),
            change: change.bytes().into_owned(),
            signature: self.key.sign(&change_payload(&change.hash().0)).to_vec(),
        }
    }

    /// Edits a field of a document made elsewhere, as this device.
    pub fn edit(
        &self,
        doc: &AutoCommit,
        path: &str,
        value: serde_json::Value,
    ) -> (AutoCommit, PushedChange) {
        let mut mine = doc.clone().with_actor(self.actor.clone());
        beatbook_doc::put_path(&mut mine, path, &value).unwrap();
        let (id, _, _) = beatbook_doc::read_header(&mine).unwrap();
        let change = self.commit(&mut mine, id);
        (mine, change)
    }
}

/// The record id a pushed change is for.
pub fn record_of(change: &PushedChange) -> RecordId {
    RecordId(uuid::Uuid::from_bytes(change.record))
}

/// The hex hash of a pushed change.
pub fn hash_of(change: &PushedChange) -> String {
    hex(&automerge::Change::from_bytes(change.change.clone())
        .unwrap()
        .hash()
        .0)
}

pub fn household(seed: u64) -> RecordBody {
    RecordBody::Household(Sampler::new(seed).household("南街村"))
}

pub fn key_person() -> RecordBody {
    let mut s = Sampler::new(9);
    RecordBody::KeyPerson(KeyPerson {
        name: s.name(),
        id_number: s.id_number(),
        phone: None,
        address: "南街村三组".into(),
        household: None,
        category: KeyPersonCategory::ReleasedPrisoner,
        risk_level: RiskLevel::Low,
        responsible_officer: "officer".into(),
        notes: String::new(),
    })
}

/// Cursor at the start of the feed.
pub fn start() -> Cursor {
    Cursor::default()
}
