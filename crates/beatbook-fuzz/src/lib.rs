//! Fuzz targets for the server's input: the sync body codec, sync requests reaching change
//! ingestion (malformed Automerge bytes, bad signatures, absurd counts) through the real
//! router over a real SQLite file, and enrolment JSON. Each target takes raw bytes and
//! returns `Err` for anything the server must never do: panic, answer 5xx, answer without a
//! JSON `{code, message}`, or change stored state while refusing.
//!
//! Two ways to run them: `fuzz/` holds cargo-fuzz (libFuzzer, coverage-guided) targets over
//! these same functions, whose merged corpus (`fuzz/corpus/<target>/`) is committed; and
//! [`fuzz`] is a seeded, coverage-less mutation loop over the seed corpus
//! (`corpus/<target>/`, real requests made by [`generate_corpus`]) that needs no sanitizer
//! runtime. Every CI run replays both corpora (`tests/corpus.rs`); see docs/reliability.md.

pub mod crafted;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::body::Body as HttpBody;
use axum::http::{Request, StatusCode};
use beatbook_model::sample::Sampler;
use beatbook_model::{Assignment, Role, SystemClock};
use beatbook_protocol::{
    change_payload, decode, encode, request_payload, ApiErrorBody, Cursor, DeviceKey, EnrolRequest,
    EnrolResponse, PushedChange, SyncRequest, BINARY_CONTENT_TYPE, PROTOCOL_HEADER,
    PROTOCOL_VERSION, SIGNATURE_HEADER, TIME_HEADER,
};
use beatbook_server::{AppState, NewUser, ServerConfig};
use beatbook_store::Store;
use tower::ServiceExt;

/// The targets, by name.
pub const TARGETS: [&str; 3] = ["codec", "sync", "enrol"];

const PASSWORD: &str = "fuzz-password-42";
/// The fuzz device's Automerge actor (hex).
const DEVICE_ACTOR: &str = "f022f022f022f022f022f022f022f022";

/// A real server state over a temp SQLite file, with one enrolled device, driven in process.
pub struct Harness {
    rt: tokio::runtime::Runtime,
    router: axum::Router,
    state: AppState,
    token: String,
    key: DeviceKey,
    store: Mutex<Store>,
    _dir: tempfile::TempDir,
}

impl Harness {
    /// Opens the server, adds an officer and enrols one device for them.
    pub fn new() -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let state = AppState::open(ServerConfig::new(dir.path())).unwrap();
        state
            .set_county(beatbook_server::seed::demo_county())
            .unwrap();
        let county = beatbook_server::seed::demo_county();
        let station = &county.stations[0];
        state
            .add_user(NewUser {
                username: "officer".into(),
                display_name: "民警".into(),
                password: PASSWORD.into(),
                assignment: Assignment {
                    role: Role::CommunityOfficer,
                    station: Some(station.id.clone()),
                    villages: vec![station.villages[0].id.clone()],
                },
            })
            .unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let router = beatbook_server::router(state.clone());
        // The same device every time, so the committed corpus's signed changes verify and
        // reach ingestion rather than stopping at the signature check.
        let key = DeviceKey::from_secret(&[7u8; 32]).unwrap();
        let store_path = dir.path().join("device.db");
        Store::open(&store_path, None)
            .unwrap()
            .set_meta("actor", DEVICE_ACTOR)
            .unwrap();
        let store = Store::open_with_clock(&store_path, None, Arc::new(SystemClock)).unwrap();
        let mut h = Harness {
            rt,
            router,
            state,
            token: String::new(),
            key,
            store: Mutex::new(store),
            _dir: dir,
        };
        let enrol = serde_json::to_vec(&h.enrol_request()).unwrap();
        let (status, body) = h.post("/v1/enrol", vec![], enrol);
        assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
        let enrolled: EnrolResponse = serde_json::from_slice(&body).unwrap();
        h.token = enrolled.token;
        h
    }

    fn enrol_request(&self) -> EnrolRequest {
        EnrolRequest {
            protocol: PROTOCOL_VERSION,
            username: "officer".into(),
            password: PASSWORD.into(),
            device_name: "fuzz".into(),
            public_key: beatbook_protocol::hex(&self.key.public()),
            actor: self.store.lock().unwrap().actor().to_hex_string(),
        }
    }

    fn post(
        &self,
        path: &str,
        headers: Vec<(&str, String)>,
        body: Vec<u8>,
    ) -> (StatusCode, Vec<u8>) {
        let mut req = Request::post(path);
        for (k, v) in headers {
            req = req.header(k, v);
        }
        let req = req.body(HttpBody::from(body)).unwrap();
        self.rt.block_on(async {
            let resp = self.router.clone().oneshot(req).await.unwrap();
            let status = resp.status();
            let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
                .await
                .unwrap();
            (status, bytes.to_vec())
        })
    }

    /// Sends `body` as a sync request, signed like the real client signs it.
    fn sync(&self, body: Vec<u8>) -> (StatusCode, Vec<u8>) {
        let time = chrono::Utc::now().timestamp_millis();
        let sig = self.key.sign(&request_payload(
            "POST",
            "/v1/sync",
            time,
            &self.token,
            &body,
        ));
        let headers = vec![
            ("authorization", format!("Bearer {}", self.token)),
            (PROTOCOL_HEADER, PROTOCOL_VERSION.to_string()),
            (TIME_HEADER, time.to_string()),
            (SIGNATURE_HEADER, beatbook_protocol::hex(&sig)),
            ("content-type", BINARY_CONTENT_TYPE.to_string()),
        ];
        self.post("/v1/sync", headers, body)
    }

    /// Sends plain postcard bytes as a sync body (compressed and signed like the `sync`
    /// target does): the status and the answer.
    pub fn sync_plain(&self, raw: &[u8]) -> (StatusCode, Vec<u8>) {
        let body = zstd::bulk::compress(raw, 1).unwrap();
        self.sync(body)
    }

    /// Changes in the server's log.
    pub fn stored_changes(&self) -> u64 {
        self.state.storage().max_seq().unwrap()
    }

    /// Runs `target` on `input`.
    pub fn run(&self, target: &str, input: &[u8]) -> Result<(), String> {
        match target {
            "codec" => codec(input),
            "sync" => self.sync_target(input),
            "enrol" => self.enrol_target(input),
            other => Err(format!("no target {other}")),
        }
    }

    /// The plain body bytes as a sync request (compressed the way the wire carries it).
    fn sync_target(&self, raw: &[u8]) -> Result<(), String> {
        let before = self.stored_changes();
        let body = zstd::bulk::compress(raw, 1).map_err(|e| e.to_string())?;
        let (status, answer) = self.sync(body);
        check_answer(status, &answer)?;
        if !status.is_success() && self.stored_changes() != before {
            return Err(format!("a refused sync ({status}) changed the change log"));
        }
        Ok(())
    }

    fn enrol_target(&self, raw: &[u8]) -> Result<(), String> {
        let headers = vec![("content-type", "application/json".to_string())];
        let (status, answer) = self.post("/v1/enrol", headers, raw.to_vec());
        check_answer(status, &answer)
    }
}

impl Default for Harness {
    fn default() -> Self {
        Harness::new()
    }
}

/// A refusal must be a 4xx with the JSON error body; a 5xx is a bug (a rate-limit or
/// busy answer would be a 429/503 with its JSON, also accepted).
fn check_answer(status: StatusCode, answer: &[u8]) -> Result<(), String> {
    if status.is_success() {
        return Ok(());
    }
    let transient =
        status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::SERVICE_UNAVAILABLE;
    if status.is_server_error() && !transient {
        return Err(format!(
            "server error {status}: {}",
            String::from_utf8_lossy(answer)
        ));
    }
    serde_json::from_slice::<ApiErrorBody>(answer)
        .map(|_| ())
        .map_err(|e| format!("{status} without a JSON error body ({e})"))
}

/// Decoding never panics; whatever decodes re-encodes to the same message.
fn codec(raw: &[u8]) -> Result<(), String> {
    let _ = decode::<SyncRequest>(raw);
    let compressed = zstd::bulk::compress(raw, 1).map_err(|e| e.to_string())?;
    if let Ok(req) = decode::<SyncRequest>(&compressed) {
        let again = encode(&req).map_err(|e| e.to_string())?;
        let back: SyncRequest = decode(&again).map_err(|e| e.to_string())?;
        if back != req {
            return Err("a decoded request does not survive re-encoding".into());
        }
    }
    Ok(())
}

/// Real requests for every target: the corpus the mutation loop starts from.
pub fn generate_corpus() -> Vec<(&'static str, Vec<u8>)> {
    let h = Harness::new();
    let mut rng = Sampler::new(7);
    let mut out = Vec::new();
    let county = beatbook_server::seed::demo_county();
    let station = &county.stations[0];
    let scope = beatbook_model::Scope {
        station: station.id.clone(),
        village: station.villages[0].id.clone(),
    };
    let plain = |req: &SyncRequest| {
        let wire = encode(req).unwrap();
        zstd::bulk::decompress(&wire, 1 << 26).unwrap()
    };
    // An idle sync, a first sync, and pushes of one and of several real signed changes.
    let mut req = SyncRequest {
        protocol: PROTOCOL_VERSION,
        cursor: Cursor::default(),
        push: vec![],
        max_pull_bytes: 1 << 20,
    };
    out.push(("sync", plain(&req)));
    req.cursor.seq = 42;
    out.push(("sync", plain(&req)));
    for n in [1, 3] {
        let mut store = h.store.lock().unwrap();
        for _ in 0..n {
            store
                .create(
                    &"officer".into(),
                    scope.clone(),
                    beatbook_model::Body::Household(rng.household("村")),
                )
                .unwrap();
        }
        req.push = store
            .pending_changes(100)
            .unwrap()
            .into_iter()
            .map(|c| PushedChange {
                record: *c.record_id.0.as_bytes(),
                signature: h.key.sign(&change_payload(&c.hash.0)).to_vec(),
                change: c.bytes,
            })
            .collect();
        out.push(("sync", plain(&req)));
    }
    for (_, bytes) in out.clone() {
        out.push(("codec", bytes));
    }
    out.push(("enrol", serde_json::to_vec(&h.enrol_request()).unwrap()));
    let mut wrong = h.enrol_request();
    wrong.password = "wrong".into();
    wrong.public_key = "zz".into();
    out.push(("enrol", serde_json::to_vec(&wrong).unwrap()));
    out
}

/// Crafted sync requests (plain postcard bodies, as the `sync` target takes them), each
/// small on the wire and huge once read, signed by the fuzz device so they get as far as the
/// server lets them: a compressed change inflating to 64 MiB, a document chunk with a
/// DEFLATE'd column of 64 MiB, a change whose action column claims 2^40 operations, and a
/// request followed by a stray byte. Each must be refused quickly, with little memory.
pub fn crafted_corpus(h: &Harness) -> Vec<(&'static str, Vec<u8>)> {
    let county = beatbook_server::seed::demo_county();
    let station = &county.stations[0];
    let scope = beatbook_model::Scope {
        station: station.id.clone(),
        village: station.villages[0].id.clone(),
    };
    let mut rng = Sampler::new(13);
    let (record, plain) = {
        let mut store = h.store.lock().unwrap();
        let made = store
            .create(
                &"officer".into(),
                scope,
                beatbook_model::Body::Household(rng.household("村")),
            )
            .unwrap();
        let pending = store.pending_changes(1000).unwrap();
        let c = pending
            .into_iter()
            .find(|c| c.record_id == made.id)
            .unwrap();
        (*c.record_id.0.as_bytes(), c.bytes)
    };
    // The device's changes are stored compressed above 256 bytes; the bombs start from the
    // plain chunk.
    let plain = store_plain_chunk(&plain);
    let signed = |change: Vec<u8>, hash: [u8; 32]| PushedChange {
        record,
        signature: h.key.sign(&change_payload(&hash)).to_vec(),
        change,
    };
    let body = |push: Vec<PushedChange>| {
        postcard_plain(&SyncRequest {
            protocol: PROTOCOL_VERSION,
            cursor: Cursor::default(),
            push,
            max_pull_bytes: 1 << 20,
        })
    };
    let (bomb, hash) = crafted::compressed_change_bomb(&plain, 64 << 20);
    let (runs, runs_hash) = crafted::run_bomb(&plain);
    let document = crafted::document_bomb(64 << 20);
    let mut trailing = body(vec![]);
    trailing.push(0);
    vec![
        ("sync", body(vec![signed(bomb, hash)])),
        ("sync", body(vec![signed(document, [0; 32])])),
        ("sync", body(vec![signed(runs, runs_hash)])),
        ("sync", trailing),
    ]
}

/// The uncompressed chunk of a change as the store keeps it.
fn store_plain_chunk(bytes: &[u8]) -> Vec<u8> {
    let change = automerge::Change::from_bytes(bytes.to_vec()).unwrap();
    change.raw_bytes().to_vec()
}

/// A message as postcard bytes (what the `sync` and `codec` targets take).
fn postcard_plain(req: &SyncRequest) -> Vec<u8> {
    zstd::bulk::decompress(&encode(req).unwrap(), 1 << 26).unwrap()
}

/// One libFuzzer input for `target`, through a harness made on first use and kept for the
/// whole run; panics (which libFuzzer reports as a crash, with the input) on a failure.
pub fn libfuzzer_input(target: &str, input: &[u8]) {
    static HARNESS: std::sync::OnceLock<Harness> = std::sync::OnceLock::new();
    if let Err(e) = HARNESS.get_or_init(Harness::new).run(target, input) {
        panic!("{target}: {e}");
    }
}

/// Where a target's committed corpus lives.
pub fn corpus_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target)
}

/// Where libFuzzer's corpus of `target` lives: the inputs `cargo fuzz` found that reach new
/// code, merged and minimised, committed so every CI run replays them.
pub fn libfuzzer_corpus_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz")
        .join("corpus")
        .join(target)
}

/// The committed corpus of `target`, sorted by file name.
pub fn load_corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    load_dir(&corpus_dir(target))
}

/// Every file in `dir`, sorted by name (none if the folder does not exist).
pub fn load_dir(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect()
}

/// Byte-level mutations, including the ones that hurt decoders: huge varint counts,
/// truncation, splices of two inputs.
pub fn mutate(rng: &mut Sampler, input: &[u8], other: &[u8]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        let len = out.len().max(1) as u64;
        let at = rng.below(len) as usize;
        let last = out.len().saturating_sub(1);
        match rng.below(8) {
            0 if !out.is_empty() => out[at.min(last)] ^= 1 << rng.below(8),
            1 if !out.is_empty() => out[at.min(last)] = rng.below(256) as u8,
            2 => out.truncate(at),
            3 => out.insert(at.min(out.len()), rng.below(256) as u8),
            // A postcard length or count as large as a varint can say.
            4 => {
                let at = at.min(out.len());
                out.splice(
                    at..at,
                    [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f],
                );
            }
            5 if !other.is_empty() => {
                let from = rng.below(other.len() as u64) as usize;
                let take = (rng.below(64) as usize).min(other.len() - from);
                let at = at.min(out.len());
                out.splice(at..at, other[from..from + take].iter().copied());
            }
            6 if out.len() > 1 => {
                let end = (at + 1 + rng.below(16) as usize).min(out.len());
                out.drain(at..end);
            }
            _ => {
                let at = at.min(out.len());
                out.splice(at..at, std::iter::repeat_n(0u8, rng.below(32) as usize));
            }
        }
    }
    out
}

/// Runs `iterations` mutants of `target`'s corpus, seeded; the first failing input and its
/// error, if any.
pub fn fuzz(
    h: &Harness,
    target: &str,
    iterations: u64,
    seed: u64,
) -> Result<u64, (Vec<u8>, String)> {
    let corpus: Vec<Vec<u8>> = load_corpus(target).into_iter().map(|(_, b)| b).collect();
    if corpus.is_empty() {
        return Err((vec![], format!("no corpus for {target}")));
    }
    let mut rng = Sampler::new(seed);
    for _ in 0..iterations {
        let a = &corpus[rng.below(corpus.len() as u64) as usize];
        let b = &corpus[rng.below(corpus.len() as u64) as usize];
        let input = mutate(&mut rng, a, b);
        if let Err(e) = h.run(target, &input) {
            return Err((input, e));
        }
    }
    Ok(iterations)
}
