//! Harness for end-to-end tests: a real server on `127.0.0.1:0` over real SQLite files, and
//! real clients (device stores in temp dirs, the real sync client over HTTP).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use beatbook_model::{
    Assignment, Body, County, Kind, Post, PostKind, Record, Role, Scope, Station, Village,
};
use beatbook_server::{AppState, NewUser, ServerConfig};
use beatbook_store::{ListQuery, Store};
use beatbook_sync::{http::HttpTransport, Device, SyncError, SyncSummary};

pub mod faultvfs;
pub mod fuzz;

/// A small county: station 固城 (gucheng) with 南街 and 北街, station 六塔 (liuta) with 东关.
pub fn test_county() -> County {
    let village = |id: &str, name: &str| Village {
        id: id.into(),
        name: name.into(),
        post: Post {
            kind: PostKind::Office,
            name: format!("{name}警务室"),
        },
    };
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

/// A scope in the test county.
pub fn scope(station: &str, village: &str) -> Scope {
    Scope {
        station: station.into(),
        village: village.into(),
    }
}

/// The password every test user gets.
pub const PASSWORD: &str = "correct-horse-42";

/// A running server over a temp data dir.
pub struct TestServer {
    /// Base URL, e.g. `http://127.0.0.1:40123`.
    pub url: String,
    /// The server's state (for admin operations).
    pub state: AppState,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    /// The data dir (kept alive with the server).
    pub dir: tempfile::TempDir,
}

impl TestServer {
    /// Starts a server with the test county, waiting until it answers `/healthz`.
    pub async fn start() -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let state = AppState::open(ServerConfig::new(dir.path())).unwrap();
        state.set_county(test_county()).unwrap();
        TestServer::serve(state, dir).await
    }

    /// Serves an opened `state` on `127.0.0.1:0`, keeping `dir` alive with the server.
    pub async fn serve(state: AppState, dir: tempfile::TempDir) -> TestServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel();
        let task = tokio::spawn(beatbook_server::serve(listener, state.clone(), async {
            let _ = rx.await;
        }));
        let server = TestServer {
            url,
            state,
            shutdown: Some(tx),
            task: Some(task),
            dir,
        };
        server.wait_ready().await;
        server
    }

    /// A handle for admin operations on a server that is not running (no HTTP).
    pub fn from_state(state: AppState) -> TestServer {
        TestServer {
            url: String::new(),
            state,
            shutdown: None,
            task: None,
            dir: tempfile::tempdir().unwrap(),
        }
    }

    async fn wait_ready(&self) {
        let client = reqwest::Client::new();
        for _ in 0..500 {
            if let Ok(r) = client.get(format!("{}/healthz", self.url)).send().await {
                if r.status().is_success() {
                    return;
                }
            }
            tokio::task::yield_now().await;
        }
        panic!("server at {} never became ready", self.url);
    }

    /// Adds a user with [`PASSWORD`].
    pub fn add_user(&self, username: &str, role: Role, station: Option<&str>, villages: &[&str]) {
        self.state
            .add_user(NewUser {
                username: username.into(),
                display_name: username.into(),
                password: PASSWORD.into(),
                assignment: Assignment {
                    role,
                    station: station.map(Into::into),
                    villages: villages.iter().map(|v| (*v).into()).collect(),
                },
            })
            .unwrap();
    }

    /// Stops the server gracefully.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap().unwrap();
        }
    }
}

/// A device: its own store in a temp dir, enrolled as one user.
pub struct Client {
    /// The device's store.
    pub store: Arc<Mutex<Store>>,
    /// Its enrolled identity.
    pub device: Device,
    _dir: tempfile::TempDir,
}

impl Client {
    /// A fresh device that logs in as `username`.
    pub async fn enrol(server_url: &str, username: &str) -> Client {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("device.db"), None).unwrap();
        let store = Arc::new(Mutex::new(store));
        let device = beatbook_sync::http::enrol(&store, server_url, username, PASSWORD, "test")
            .await
            .unwrap();
        Client {
            store,
            device,
            _dir: dir,
        }
    }

    /// Syncs until caught up.
    pub async fn sync(&self) -> Result<SyncSummary, SyncError> {
        let transport = HttpTransport::new(&self.device)?;
        beatbook_sync::run(&self.store, &self.device, &transport, |_| {}).await
    }

    /// Creates a record as the logged-in user.
    pub fn create(&self, scope: Scope, body: Body) -> Result<Record, beatbook_store::StoreError> {
        let author = self.device.user.username.as_str().into();
        self.store.lock().unwrap().create(&author, scope, body)
    }

    /// Runs `f` on the store.
    pub fn with<R>(&self, f: impl FnOnce(&mut Store) -> R) -> R {
        f(&mut self.store.lock().unwrap())
    }

    /// Ids of every readable record on the device (deleted included), sorted.
    pub fn record_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.with(|s| {
            s.list(&ListQuery {
                include_deleted: true,
                limit: Some(1_000_000),
                ..Default::default()
            })
            .unwrap()
            .into_iter()
            .map(|r| r.id.to_string())
            .collect()
        });
        ids.sort();
        ids
    }

    /// The kinds of the readable records on the device.
    pub fn kinds(&self) -> Vec<Kind> {
        self.with(|s| {
            s.list(&ListQuery::default())
                .unwrap()
                .into_iter()
                .map(|r| r.kind)
                .collect()
        })
    }
}

/// A household headed by `head`.
pub fn household(head: &str) -> Body {
    Body::Household(beatbook_model::Household {
        address: format!("{head}家"),
        members: vec![beatbook_model::Member {
            name: head.into(),
            id_number: None,
            phone: None,
            relation: beatbook_model::Relation::Head,
        }],
        tags: vec![],
        notes: String::new(),
    })
}

/// A key person under `officer`'s responsibility.
pub fn key_person(name: &str, officer: &str) -> Body {
    Body::KeyPerson(beatbook_model::KeyPerson {
        name: name.into(),
        id_number: "11010519491231002X".into(),
        phone: None,
        address: String::new(),
        household: None,
        category: beatbook_model::KeyPersonCategory::ReleasedPrisoner,
        risk_level: beatbook_model::RiskLevel::Medium,
        responsible_officer: officer.into(),
        notes: String::new(),
    })
}

/// A land dispute reported now.
pub fn dispute(description: &str) -> beatbook_model::Dispute {
    beatbook_model::Dispute {
        reported_at: chrono::Utc::now(),
        parties: vec![beatbook_model::Party {
            name: "赵六".into(),
            id_number: None,
            phone: None,
        }],
        dispute_type: beatbook_model::DisputeType::Land,
        description: description.into(),
        status: beatbook_model::DisputeStatus::Reported,
        referral: None,
        sessions: vec![],
        outcome: String::new(),
        agreement: String::new(),
        resolved_at: None,
        return_visit: None,
        household: None,
        source: None,
    }
}

/// The `beatbook-server` binary next to this test's own executable, built if missing.
pub fn server_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let bin = exe
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("beatbook-server");
    if !bin.exists() {
        let status = Command::new(env!("CARGO"))
            .args(["build", "-p", "beatbook-server", "--bin", "beatbook-server"])
            .status()
            .unwrap();
        assert!(status.success());
    }
    bin
}

/// Starts the server on `listen` over `data`, returning once it prints its address.
/// The caller owns the child and reaps it; only a broken pipe could skip that, and the test
/// fails then anyway.
#[allow(clippy::zombie_processes)]
pub fn start_server_process(data: &Path, listen: &str) -> (Child, String) {
    let mut child = Command::new(server_binary())
        .args(["serve", "--listen", listen, "--data"])
        .arg(data)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    loop {
        line.clear();
        if out.read_line(&mut line).unwrap() == 0 {
            let _ = child.kill();
            let status = child.wait().unwrap();
            panic!("server exited before listening: {status}");
        }
        if let Some(url) = line.trim().strip_prefix("listening on ") {
            // Keep draining stdout so the server never blocks on a full pipe.
            std::thread::spawn(move || for _ in out.lines() {});
            return (child, url.to_owned());
        }
    }
}
