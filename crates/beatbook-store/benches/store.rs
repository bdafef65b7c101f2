//! Store benchmarks on real files: saving a visit (criterion's median, plus p50/p99 over
//! individually timed saves), Chinese substring search, a village's household list, opening a
//! 50k-household store, and the resident memory of a process that opened it.
//!
//! Run: `cargo bench -p beatbook-store --bench store`. Settings (environment):
//!
//! - `BEATBOOK_BENCH_RECORDS`: households in the big store (default 50000; try 2000 first).
//! - `BEATBOOK_BENCH_SAVES`: individually timed saves for p50/p99 (default 2000).
//! - `BEATBOOK_BENCH_KEY`: `raw` (default: SQLCipher with a raw 256-bit key, as a device with
//!   a keystore would use) or `none` (plain SQLite).
//! - `BEATBOOK_BENCH_DIR`: build the big store in this directory and reuse it on later runs
//!   (by default it lives in a temporary directory and is rebuilt every run).
//!
//! Under `cargo test --benches` (no `--bench` flag) everything runs once at a tiny size. The
//! closing summary reads criterion's medians back from its output directory, so after a
//! filtered run (`-- search`) the benchmarks that were skipped show their previous figures.
//! Nothing here asserts on timings: the figures are printed for people to read.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use beatbook_model::sample::Sampler;
use beatbook_model::{Body, Household, Kind, RecordId, Scope, StationId, UserId, VillageId};
use beatbook_store::{ListQuery, Store, StoreKey};
use chrono::Utc;
use criterion::{BatchSize, Criterion, SamplingMode};

/// Set (to the store's path) in the child process that measures resident memory.
const RSS_ENV: &str = "BEATBOOK_BENCH_RSS";
/// The search text the memory child runs, handed down by the parent.
const RSS_QUERY_ENV: &str = "BEATBOOK_BENCH_RSS_QUERY";
/// Seed of the big store's households.
const SEED: u64 = 20_261_128;
/// Households already in the store that `save_visit` writes to.
const SAVE_STORE_HOUSEHOLDS: usize = 300;
/// Rows a search returns (one screen of results and then some).
const SEARCH_LIMIT: usize = 50;
/// Rows of the village household list.
const LIST_LIMIT: usize = 200;
/// The raw key used when the store is encrypted.
const RAW_KEY: [u8; 32] = [0x5a; 32];

/// Two stations of ten villages each: `(station id, [(village id, name)])`.
const JURISDICTION: [(&str, [(&str, &str); 10]); 2] = [
    (
        "majuangqiao",
        [
            ("nanjie", "南街村"),
            ("beijie", "北街村"),
            ("dongguan", "东关村"),
            ("xiguan", "西关村"),
            ("qiandian", "前店村"),
            ("houdian", "后店村"),
            ("zhangzhuang", "张庄村"),
            ("lizhuang", "李庄村"),
            ("wangzhai", "王寨村"),
            ("liuji", "刘集村"),
        ],
    ),
    (
        "gucheng",
        [
            ("gucun", "古村"),
            ("chengguan", "城关村"),
            ("gaobao", "高堡村"),
            ("wawutou", "瓦屋头村"),
            ("shuangmiao", "双庙村"),
            ("daliu", "大流村"),
            ("liuge", "柳格村"),
            ("guzhuang", "固庄村"),
            ("liuta", "六塔村"),
            ("hancun", "韩村"),
        ],
    ),
];

/// How this run is configured.
struct Config {
    /// Real benchmarking (`--bench`), not a `cargo test` smoke run.
    bench: bool,
    records: usize,
    saves: usize,
    key: Option<StoreKey>,
    keep_dir: Option<PathBuf>,
}

impl Config {
    fn from_env() -> Config {
        let bench = std::env::args().any(|a| a == "--bench");
        let number = |name: &str, default: usize| {
            std::env::var(name)
                .ok()
                .and_then(|v| v.replace('_', "").parse().ok())
                .unwrap_or(default)
        };
        Config {
            bench,
            records: number("BEATBOOK_BENCH_RECORDS", if bench { 50_000 } else { 200 }),
            saves: number("BEATBOOK_BENCH_SAVES", if bench { 2000 } else { 20 }),
            key: key_from_env(),
            keep_dir: std::env::var_os("BEATBOOK_BENCH_DIR").map(PathBuf::from),
        }
    }

    fn key(&self) -> Option<&StoreKey> {
        self.key.as_ref()
    }

    fn key_label(&self) -> &'static str {
        match self.key {
            Some(_) => "SQLCipher, raw key",
            None => "plain SQLite",
        }
    }
}

fn key_from_env() -> Option<StoreKey> {
    match std::env::var("BEATBOOK_BENCH_KEY").as_deref() {
        Ok("none") | Ok("plain") => None,
        Ok("raw") | Err(_) => Some(StoreKey::Raw(RAW_KEY)),
        Ok(other) => panic!("BEATBOOK_BENCH_KEY must be raw or none, not {other:?}"),
    }
}

/// Every village with its station, in a fixed order.
fn villages() -> Vec<(Scope, &'static str)> {
    JURISDICTION
        .iter()
        .flat_map(|(station, villages)| {
            villages.iter().map(move |(id, name)| {
                let scope = Scope {
                    station: StationId::from(*station),
                    village: VillageId::from(*id),
                };
                (scope, *name)
            })
        })
        .collect()
}

/// The officer who files records for a station.
fn officer(scope: &Scope) -> UserId {
    UserId(format!("officer.{}", scope.station))
}

/// The big store's households, in creation order: the same seed gives the same data, so the
/// search terms can be found without reading the store.
fn households(seed: u64, n: usize) -> impl Iterator<Item = (Scope, Household)> {
    let villages = villages();
    let mut sampler = Sampler::new(seed);
    (0..n).map(move |_| {
        let (scope, name) = &villages[sampler.below(villages.len() as u64) as usize];
        (scope.clone(), sampler.household(name))
    })
}

/// Search terms that occur in the data, as someone types a name: one character (a surname,
/// answered by a scan), two (surname + first given character) and the full three-character
/// name of a member of a household in the middle of the data.
struct Terms {
    one: String,
    two: String,
    three: String,
}

fn pick_terms(n: usize) -> Terms {
    let three = households(SEED, n)
        .skip(n / 2)
        .flat_map(|(_, h)| h.members)
        .map(|m| m.name)
        .find(|name| name.chars().count() == 3)
        .expect("some member has a three-character name");
    Terms {
        one: three.chars().take(1).collect(),
        two: three.chars().take(2).collect(),
        three,
    }
}

// ---- measuring helpers -----------------------------------------------------------------------

/// `VmRSS` and `VmHWM` (peak) of this process in KiB, on Linux.
fn memory_kib() -> Option<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        line[name.len()..]
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

fn memory_line(label: &str) -> String {
    match memory_kib() {
        Some((rss, hwm)) => format!(
            "{label:<38} VmRSS={:>7.1} MiB  VmHWM={:>7.1} MiB",
            rss as f64 / 1024.0,
            hwm as f64 / 1024.0
        ),
        None => format!("{label:<38} (no /proc/self/status on this system)"),
    }
}

/// Size of the store file with its WAL.
fn store_size(path: &Path) -> u64 {
    ["", "-wal"]
        .iter()
        .filter_map(|suffix| {
            let mut p = path.as_os_str().to_owned();
            p.push(suffix);
            std::fs::metadata(p).ok()
        })
        .map(|m| m.len())
        .sum()
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// The `q`-quantile (nearest rank) of sorted durations.
fn quantile(sorted: &[Duration], q: f64) -> Duration {
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Forgets the outbox, as a device does once the server has acknowledged its changes.
fn acknowledge_all(store: &mut Store) {
    loop {
        let pending = store.pending_changes(5000).expect("read the outbox");
        if pending.is_empty() {
            return;
        }
        let hashes: Vec<_> = pending.iter().map(|p| p.hash).collect();
        store.acknowledge(&hashes).expect("acknowledge");
    }
}

// ---- save_visit ------------------------------------------------------------------------------

/// A store on disk that already holds some households, and their ids.
fn save_store(path: &Path, config: &Config) -> (Store, Vec<RecordId>) {
    let mut store = Store::open(path, config.key()).expect("open the save store");
    let ids = households(SEED ^ 1, SAVE_STORE_HOUSEHOLDS)
        .map(|(scope, h)| {
            let author = officer(&scope);
            store
                .create(&author, scope, Body::Household(h))
                .expect("create a household")
                .id
        })
        .collect();
    (store, ids)
}

/// The next visit to file: to one of `households`, by the village's officer, just now.
fn next_visit(sampler: &mut Sampler, households: &[RecordId]) -> (UserId, Scope, Body) {
    let scope = villages()[0].0.clone();
    let officer = officer(&scope);
    let household = *sampler.pick(households);
    let visit = sampler.visit(household, &officer, Utc::now());
    (officer, scope, Body::Visit(visit))
}

/// Times `n` saves one by one and prints their distribution. Returns the summary line.
fn save_visit_percentiles(store: &mut Store, households: &[RecordId], n: usize) -> String {
    let mut sampler = Sampler::new(SEED ^ 2);
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let (officer, scope, body) = next_visit(&mut sampler, households);
        let start = Instant::now();
        let record = store.create(&officer, scope, body).expect("save a visit");
        times.push(start.elapsed());
        black_box(record);
    }
    times.sort();
    let mean = times.iter().sum::<Duration>() / n.max(1) as u32;
    let line = format!(
        "save_visit: p50={:.0}µs p99={:.0}µs over {n} saves (p90={:.0}µs max={:.0}µs mean={:.0}µs)",
        micros(quantile(&times, 0.50)),
        micros(quantile(&times, 0.99)),
        micros(quantile(&times, 0.90)),
        micros(times[n - 1]),
        micros(mean),
    );
    println!("{line}");
    line
}

fn bench_save_visit(c: &mut Criterion, store: &mut Store, households: &[RecordId]) {
    let mut sampler = Sampler::new(SEED ^ 3);
    c.bench_function("save_visit", |b| {
        b.iter_batched(
            || next_visit(&mut sampler, households),
            |(officer, scope, body)| store.create(&officer, scope, body).expect("save a visit"),
            BatchSize::SmallInput,
        )
    });
}

// ---- the big store ---------------------------------------------------------------------------

/// Builds (or, in a kept directory, reuses) the big store. Returns a description of the build.
fn big_store(path: &Path, config: &Config) -> String {
    let n = config.records;
    if path.exists() {
        let store = Store::open(path, config.key()).expect("open the kept store");
        let found = store.document_ids().expect("count documents").len();
        if found == n {
            let line = format!("reusing {} ({n} households)", path.display());
            println!("{line}");
            return line;
        }
        drop(store);
        println!(
            "{} holds {found} records, not {n}: rebuilding",
            path.display()
        );
        for suffix in ["", "-wal", "-shm"] {
            let mut p = path.as_os_str().to_owned();
            p.push(suffix);
            let _ = std::fs::remove_file(p);
        }
    }
    println!(
        "building a {n}-household store ({}) at {} …",
        config.key_label(),
        path.display()
    );
    let mut store = Store::open(path, config.key()).expect("create the big store");
    let start = Instant::now();
    let step = (n / 10).max(1);
    for (i, (scope, household)) in households(SEED, n).enumerate() {
        let author = officer(&scope);
        store
            .create(&author, scope, Body::Household(household))
            .expect("create a household");
        if (i + 1) % 1000 == 0 {
            acknowledge_all(&mut store);
        }
        if (i + 1) % step == 0 {
            let elapsed = start.elapsed();
            println!(
                "  {:>6}/{n} households  {:>6.1} s  ({:.2} ms each so far)",
                i + 1,
                elapsed.as_secs_f64(),
                elapsed.as_secs_f64() * 1e3 / (i + 1) as f64
            );
        }
    }
    acknowledge_all(&mut store);
    let elapsed = start.elapsed();
    drop(store);
    let line = format!(
        "build: {n} households created one by one in {:.1} s ({:.2} ms each); file {:.1} MiB",
        elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1e3 / n.max(1) as f64,
        mib(store_size(path)),
    );
    println!("{line}");
    line
}

fn village_query() -> ListQuery {
    ListQuery {
        kind: Some(Kind::Household),
        village: Some(villages()[0].0.village.clone()),
        limit: Some(LIST_LIMIT),
        ..ListQuery::default()
    }
}

fn bench_big_store(c: &mut Criterion, store: &Store, terms: &Terms) {
    // One character is a scan of every record's text: slow enough to need flat sampling.
    let mut scan = c.benchmark_group("search_1char");
    scan.sampling_mode(SamplingMode::Flat).sample_size(20);
    scan.bench_function("scan", |b| {
        b.iter(|| {
            store
                .search(black_box(&terms.one), SEARCH_LIMIT)
                .expect("search")
        })
    });
    scan.finish();
    for (name, term) in [("search_2char", &terms.two), ("search_3char", &terms.three)] {
        c.bench_function(name, |b| {
            b.iter(|| store.search(black_box(term), SEARCH_LIMIT).expect("search"))
        });
    }
    let query = village_query();
    c.bench_function("list_village_households", |b| {
        b.iter(|| store.list(black_box(&query)).expect("list"))
    });
}

fn bench_open(c: &mut Criterion, path: &Path, config: &Config) {
    let query = village_query();
    c.bench_function("open_store_50k", |b| {
        b.iter(|| {
            let store = Store::open(path, config.key()).expect("open");
            store.list(&query).expect("list")
        })
    });
}

// ---- resident memory, measured in a fresh process ----------------------------------------------

/// The child: opens the store, runs one list and one search, opens the listed records (filling
/// the document cache), and prints its memory at each step.
fn rss_child(path: &str) {
    let query = std::env::var(RSS_QUERY_ENV).unwrap_or_else(|_| "王".into());
    let key = key_from_env();
    println!("{}", memory_line("before opening the store:"));
    let mut store = Store::open(path, key.as_ref()).expect("open");
    println!("{}", memory_line("after Store::open:"));
    let list = store.list(&village_query()).expect("list");
    let hits = store.search(&query, SEARCH_LIMIT).expect("search");
    println!(
        "{}",
        memory_line(&format!(
            "after 1 list ({}) + 1 search ({}):",
            list.len(),
            hits.len()
        ))
    );
    for summary in &list {
        black_box(store.open_record(summary.id).expect("open a record"));
    }
    println!(
        "{}",
        memory_line(&format!("after opening {} records:", list.len()))
    );
}

/// Runs [`rss_child`] in a fresh copy of this executable and returns what it printed.
fn measure_rss(path: &Path, query: &str) -> String {
    let exe = std::env::current_exe().expect("the bench executable");
    let out = Command::new(exe)
        .env(RSS_ENV, path)
        .env(RSS_QUERY_ENV, query)
        .output()
        .expect("run the memory child");
    let text = String::from_utf8_lossy(&out.stdout).trim_end().to_owned();
    if !out.status.success() {
        eprintln!("{}", String::from_utf8_lossy(&out.stderr));
        panic!("the memory child failed: {}", out.status);
    }
    println!("resident memory, fresh process:\n{text}");
    text
}

// ---- reading criterion's results back for the summary ------------------------------------------

/// Where criterion writes its results; set explicitly so the summary can read them back.
fn criterion_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return home.into();
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    target.join("criterion")
}

/// `median (95% CI low – high)` of a benchmark, from criterion's `estimates.json`.
fn criterion_median(name: &str) -> Option<String> {
    let file = criterion_dir().join(name).join("new/estimates.json");
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(file).ok()?).ok()?;
    let median = &json["median"];
    let ns = |v: &serde_json::Value| v.as_f64().map(|n| Duration::from_nanos(n as u64));
    let point = ns(&median["point_estimate"])?;
    let low = ns(&median["confidence_interval"]["lower_bound"])?;
    let high = ns(&median["confidence_interval"]["upper_bound"])?;
    Some(format!("{point:>10.2?}  (95% CI {low:.2?} – {high:.2?})"))
}

// ---- main ------------------------------------------------------------------------------------

fn main() {
    if let Some(path) = std::env::var_os(RSS_ENV) {
        rss_child(&path.to_string_lossy());
        return;
    }
    let config = Config::from_env();
    let mut criterion = Criterion::default()
        .sample_size(50)
        .measurement_time(Duration::from_secs(8))
        .output_directory(&criterion_dir())
        .configure_from_args();
    let mut summary = vec![format!(
        "{} households, {} saves timed, {}{}",
        config.records,
        config.saves,
        config.key_label(),
        if config.bench { "" } else { " (test mode)" }
    )];

    // save_visit: the individually timed run first, then criterion, on one store.
    let save_dir = tempfile::tempdir().expect("a temporary directory");
    let (mut store, household_ids) = save_store(&save_dir.path().join("save.db"), &config);
    summary.push(save_visit_percentiles(
        &mut store,
        &household_ids,
        config.saves.max(1),
    ));
    bench_save_visit(&mut criterion, &mut store, &household_ids);
    drop(store);

    // The big store: built once, then searched, listed and reopened.
    let big_dir = tempfile::tempdir().expect("a temporary directory");
    let dir = config.keep_dir.clone().unwrap_or(big_dir.path().to_owned());
    std::fs::create_dir_all(&dir).expect("the store directory");
    let path = dir.join(format!("households-{}.db", config.records));
    summary.push(big_store(&path, &config));
    let terms = pick_terms(config.records);
    {
        let store = Store::open(&path, config.key()).expect("open the big store");
        for (label, term) in [
            ("1 char", &terms.one),
            ("2 chars", &terms.two),
            ("3 chars", &terms.three),
        ] {
            let all = store.search(term, 1_000_000).expect("search").len();
            let line = format!("search terms: {label} “{term}” matches {all} records");
            println!("{line}");
            summary.push(line);
        }
        bench_big_store(&mut criterion, &store, &terms);
    }
    bench_open(&mut criterion, &path, &config);
    summary.push(measure_rss(&path, &terms.two));

    criterion.final_summary();
    if config.bench {
        for name in [
            "save_visit",
            "search_1char/scan",
            "search_2char",
            "search_3char",
            "list_village_households",
            "open_store_50k",
        ] {
            let median = criterion_median(name).unwrap_or_else(|| "(not run)".into());
            summary.push(format!("criterion median {name:<24} {median}"));
        }
    }
    println!("\n==== beatbook-store benchmark summary ====");
    for line in summary {
        println!("{line}");
    }
}
