//! The benchmark suite: the figures users judge beatbook by, each measured side by side with
//! its alternative in one run. Scenarios (numbered as in `docs/benchmarks.md`):
//!
//! 1. local save of a visit ([`local::save`]);
//! 2. opening and querying a big store ([`local::open_and_query`]);
//! 3. initial sync over loopback, 3G and 2G through a throttling [`proxy`] ([`sync`]);
//! 4. reconnect with nothing new; 5. k edited records;
//! 6. Automerge's own per-document sync protocol side by side ([`amsync`]);
//! 7. server load from a county's handsets ([`load`]);
//! 8. storage per record after 20 edits ([`storage`]).
//!
//! [`run_all`] runs them in order and returns [`Results`]; [`report`] turns those into
//! `docs/benchmarks.md` and `docs/benchmarks.json`. Nothing here asserts on timings.

pub mod amsync;
pub mod load;
pub mod local;
pub mod measure;
pub mod proxy;
pub mod report;
pub mod storage;
pub mod sync;
pub mod world;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::Result;
use beatbook_model::sample::Sampler;
use beatbook_store::Store;
use serde::Serialize;

use crate::load::LoadConfig;
use crate::proxy::Link;
use crate::world::{chief_of, county, county_admin, device_key, villages, Handset, Server};

/// What to run, and how big.
#[derive(Debug, Clone)]
pub struct Config {
    /// Label of the size preset (`full`, `quick`, `tiny`).
    pub preset: String,
    /// Records in a station chief's scope: the initial sync and the smaller reconnect.
    pub records: usize,
    /// Records on the server, all in a county admin's scope: the big store.
    pub store_records: usize,
    /// Visits saved one by one.
    pub saves: usize,
    /// Repetitions of each open, list and search.
    pub reps: usize,
    /// The k of "k edited records".
    pub edits: Vec<usize>,
    /// Links to sync over, side by side.
    pub links: Vec<Link>,
    /// Documents synced at once by the Automerge per-document client.
    pub am_concurrency: Vec<usize>,
    /// Over a throttled link, the Automerge client syncs this many documents per worker and
    /// the time for all is extrapolated (a full run would take hours on 2G).
    pub am_sample_per_worker: usize,
    /// Server load.
    pub load: LoadConfig,
    /// Records in the storage scenario.
    pub storage_records: usize,
    /// Edits per record in the storage scenario.
    pub storage_edits: usize,
    /// Where temporary data goes (the system's temp dir if `None`).
    pub work_dir: Option<PathBuf>,
    /// This program, re-run for the memory probe and the server process.
    pub exe: PathBuf,
}

impl Config {
    /// The sizes the issue names: 10k and 50k records, 300 handsets.
    pub fn full(exe: PathBuf) -> Config {
        Config {
            preset: "full".into(),
            records: 10_000,
            store_records: 50_000,
            saves: 2000,
            reps: 50,
            edits: vec![1, 10, 100],
            links: Link::standard(),
            am_concurrency: vec![1, 16],
            am_sample_per_worker: 12,
            load: LoadConfig {
                devices: 300,
                seconds: 20.0,
                merge_changes: 2000,
            },
            storage_records: 200,
            storage_edits: 20,
            work_dir: None,
            exe,
        }
    }

    /// A fast smoke run of everything (minutes, not tens of minutes).
    pub fn quick(exe: PathBuf) -> Config {
        Config {
            preset: "quick".into(),
            records: 1000,
            store_records: 3000,
            saves: 300,
            reps: 20,
            am_sample_per_worker: 3,
            load: LoadConfig {
                devices: 60,
                seconds: 5.0,
                merge_changes: 200,
            },
            storage_records: 50,
            ..Config::full(exe)
        }
    }

    /// Tiny sizes and a fast simulated link: checks that every figure is produced.
    pub fn tiny(exe: PathBuf) -> Config {
        Config {
            preset: "tiny".into(),
            records: 50,
            store_records: 80,
            saves: 20,
            reps: 3,
            edits: vec![1, 10],
            links: vec![
                Link::loopback(),
                Link {
                    name: "test link".into(),
                    kbit_per_s: Some(20_000),
                    rtt_ms: 20,
                },
            ],
            am_concurrency: vec![1, 4],
            am_sample_per_worker: 2,
            load: LoadConfig {
                devices: 3,
                seconds: 1.0,
                merge_changes: 10,
            },
            storage_records: 5,
            storage_edits: 3,
            ..Config::full(exe)
        }
    }
}

/// How long seeding the server took.
#[derive(Debug, Clone, Serialize)]
pub struct SeedFigures {
    /// Records written.
    pub records: usize,
    /// Wall time (generating, signing, pushing, merging on the server).
    pub wall_s: f64,
}

/// A reconnect with nothing new.
#[derive(Debug, Clone, Serialize)]
pub struct Reconnect {
    /// Records on the device.
    pub records: usize,
    /// The sync.
    pub sync: sync::LinkSync,
}

/// Everything one run measured.
#[derive(Debug, Clone, Serialize)]
pub struct Results {
    /// The machine.
    pub machine: measure::Machine,
    /// The command that produced these figures.
    pub command: String,
    /// When (UTC).
    pub date: String,
    /// Size preset.
    pub preset: String,
    /// Scenario 1.
    pub save: local::SaveFigures,
    /// Seeding the server (context for the rest).
    pub seeding: SeedFigures,
    /// Scenario 2.
    pub open: local::OpenFigures,
    /// Scenario 3: a chief's initial sync over each link.
    pub initial: Vec<sync::LinkSync>,
    /// Scenario 3, big: the county admin's initial sync of everything, over loopback.
    pub initial_big: sync::LinkSync,
    /// Scenario 3's yardstick.
    pub json_baseline: sync::JsonBaseline,
    /// Scenario 4.
    pub reconnect: Vec<Reconnect>,
    /// Scenario 5.
    pub edits: Vec<sync::EditSync>,
    /// Scenario 6.
    pub automerge: Vec<amsync::AmRun>,
    /// Scenario 7.
    pub load: load::LoadFigures,
    /// Scenario 8.
    pub storage: storage::StorageFigures,
    /// Each goal of the issue, met or not.
    pub goals: Vec<report::Goal>,
}

/// Prints a progress line with the time since the run began.
struct Progress(Instant);

impl Progress {
    fn say(&self, what: &str) {
        eprintln!("[{:>7.1}s] {what}", self.0.elapsed().as_secs_f64());
    }
}

/// Runs every scenario in order. `command` is recorded with the figures.
pub async fn run_all(config: &Config, command: String) -> Result<Results> {
    let p = Progress(Instant::now());
    let root = match &config.work_dir {
        Some(dir) => {
            std::fs::create_dir_all(dir)?;
            tempfile::tempdir_in(dir)?
        }
        None => tempfile::tempdir()?,
    };
    let root = root.path();
    let stations = county();
    let first_station = stations.stations[0].id.to_string();

    p.say(&format!(
        "1. local save: {} visits, encrypted and plain",
        config.saves
    ));
    let save = {
        let dir = root.join("save");
        std::fs::create_dir_all(&dir)?;
        tokio::task::block_in_place(|| local::save(&dir, config.saves))?
    };

    p.say("starting the server; adding accounts");
    let mut server = Server::start(&root.join("server")).await?;
    server
        .add_users(vec![
            ("bench.seed".into(), county_admin()),
            ("bench.admin".into(), county_admin()),
            ("bench.chief".into(), chief_of(&first_station)),
        ])
        .await?;
    let store_records = config.store_records.max(config.records);
    p.say(&format!(
        "seeding {store_records} households ({} in the chief's station)",
        config.records
    ));
    let started = Instant::now();
    let mut seeder = world::Seeder::new(&server.url(), "bench.seed", 20_261_128).await?;
    let plan = world::spread(
        &villages(&stations),
        config.records,
        store_records - config.records,
    );
    let seeded = seeder.seed(&plan).await?;
    let seeding = SeedFigures {
        records: seeded,
        wall_s: started.elapsed().as_secs_f64(),
    };

    p.say(&format!(
        "3. initial sync of {store_records} records (county admin, loopback)"
    ));
    let admin = Handset::enrol_file(&server.url(), "bench.admin", root.join("admin.db")).await?;
    let initial_big = sync::sync_over(&server, &admin, &Link::loopback()).await?;

    let mut chiefs = Vec::new();
    let mut initial = Vec::new();
    for (i, link) in config.links.iter().enumerate() {
        p.say(&format!(
            "3. initial sync of {} records over {}",
            config.records, link.name
        ));
        let chief = Handset::enrol_file(
            &server.url(),
            "bench.chief",
            root.join(format!("chief-{i}.db")),
        )
        .await?;
        initial.push(sync::sync_over(&server, &chief, link).await?);
        chiefs.push(chief);
    }
    let json_baseline = sync::json_baseline(&chiefs[0])?;

    p.say(&format!(
        "2. open and query a store of {store_records} records"
    ));
    let admin_path = admin.path.clone().expect("the admin store is a file");
    let open = tokio::task::block_in_place(|| {
        local::open_and_query(&admin_path, config.reps, &config.exe)
    })?;

    let mut reconnect = Vec::new();
    for (handset, records) in [(&chiefs[0], config.records), (&admin, store_records)] {
        for link in &config.links {
            p.say(&format!(
                "4. reconnect at {records} records over {}",
                link.name
            ));
            reconnect.push(Reconnect {
                records,
                sync: sync::sync_over(&server, handset, link).await?,
            });
        }
    }

    let mut edits = Vec::new();
    let mut sampler = Sampler::new(5);
    let mut offset = 0;
    for link in &config.links {
        for &k in &config.edits {
            p.say(&format!("5. {k} edited records over {}", link.name));
            let ids = sync::household_ids(&chiefs[0], offset, k)?;
            offset += k;
            edits.push(sync::edits_over(&server, &chiefs[0], link, &ids, &mut sampler).await?);
        }
    }

    let mut automerge = Vec::new();
    {
        let docs = amsync::documents_in_scope(&server.state, &chief_of(&first_station))?;
        let am = amsync::AmServer::start(docs).await?;
        for &c in &config.am_concurrency {
            for (i, link) in config.links.iter().enumerate() {
                let sample = link
                    .is_throttled()
                    .then_some(c * config.am_sample_per_worker);
                p.say(&format!(
                    "6. Automerge per-document sync, {c} at a time, over {}{}",
                    link.name,
                    sample.map_or(String::new(), |n| format!(" ({n}-document sample)"))
                ));
                let path = root.join(format!("automerge-{c}-{i}.db"));
                let store = Arc::new(Mutex::new(Store::open(&path, Some(&device_key()))?));
                automerge.push(amsync::run_over(am.addr, link, store, c, sample).await?);
            }
        }
    }

    p.say(&format!(
        "7. server load: {} handsets, {:.0} s per phase",
        config.load.devices, config.load.seconds
    ));
    let load = load::run(
        &mut server,
        &config.exe,
        &chiefs[0],
        &config.load,
        store_records,
        |what| p.say(&format!("7. {what}")),
    )
    .await?;
    drop((chiefs, admin, server));

    p.say(&format!(
        "8. storage: {} households, {} edits each",
        config.storage_records, config.storage_edits
    ));
    let storage = storage::run(
        &root.join("storage"),
        config.storage_records,
        config.storage_edits,
    )
    .await?;

    let mut results = Results {
        machine: measure::Machine::describe(),
        command,
        date: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
        preset: config.preset.clone(),
        save,
        seeding,
        open,
        initial,
        initial_big,
        json_baseline,
        reconnect,
        edits,
        automerge,
        load,
        storage,
        goals: Vec::new(),
    };
    results.goals = report::goals(&results);
    p.say("done");
    Ok(results)
}
