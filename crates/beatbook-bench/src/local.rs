//! Work on the handset alone: saving a visit (scenario 1), and opening and querying a store
//! of tens of thousands of households (scenario 2), with resident memory measured in a fresh
//! process so nothing else the benchmark did is counted.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use beatbook_model::sample::Sampler;
use beatbook_model::{Body, Kind, RecordId, SystemClock, UserId};
use beatbook_store::{ListQuery, Store, StoreKey};
use serde::{Deserialize, Serialize};

use crate::measure::{time_each, Timings};
use crate::world::{county, device_key, villages};

/// Households in the store the visits are saved into.
const SAVE_STORE_HOUSEHOLDS: usize = 300;
/// Rows a search returns (a screen and then some).
pub const SEARCH_LIMIT: usize = 50;
/// Rows of a village's household list.
pub const LIST_LIMIT: usize = 200;

/// Scenario 1: saving one visit.
#[derive(Debug, Clone, Serialize)]
pub struct SaveFigures {
    /// Visits saved one by one.
    pub saves: usize,
    /// Encrypted store (SQLCipher, raw key): what a handset runs.
    pub encrypted: Timings,
    /// Plain SQLite, for comparison.
    pub plain: Timings,
    /// An in-memory store: the CPU part of a save, without the disk.
    pub in_memory: Timings,
    /// The floor the disk sets: writing 4 KiB to a file and `fdatasync`, as each commit
    /// does to the write-ahead log with `synchronous=FULL`.
    pub fsync: Timings,
}

/// Times `n` visit saves into a store that already holds some households: a file, encrypted
/// or not, or in memory (`dir` is `None`).
fn time_saves(dir: Option<&Path>, key: Option<&StoreKey>, n: usize) -> Result<Timings> {
    let label = if key.is_some() { "encrypted" } else { "plain" };
    let mut store = match dir {
        Some(dir) => Store::open(dir.join(format!("save-{label}.db")), key)?,
        None => Store::open_in_memory(Arc::new(SystemClock))?,
    };
    let village = villages(&county())[0].clone();
    let officer = UserId::from("bench.officer");
    let mut sampler = Sampler::new(7);
    let households: Vec<RecordId> = (0..SAVE_STORE_HOUSEHOLDS)
        .map(|_| {
            let body = Body::Household(sampler.household(&village.name));
            Ok(store.create(&officer, village.scope.clone(), body)?.id)
        })
        .collect::<Result<_>>()?;
    let (times, saved) = time_each(n, |_| {
        let household = *sampler.pick(&households);
        let visit = sampler.visit(household, &officer, chrono::Utc::now());
        store.create(&officer, village.scope.clone(), Body::Visit(visit))
    });
    saved.into_iter().collect::<Result<Vec<_>, _>>()?;
    Ok(Timings::of(&times))
}

/// Times `n` 4 KiB writes, each followed by `fdatasync`, in `dir`.
fn time_fsync(dir: &Path, n: usize) -> Result<Timings> {
    use std::io::Write;
    let mut file = std::fs::File::create(dir.join("fsync-probe"))?;
    let block = [0x42u8; 4096];
    let (times, done) = time_each(n, |_| -> std::io::Result<()> {
        file.write_all(&block)?;
        file.sync_data()
    });
    done.into_iter().collect::<std::io::Result<Vec<_>>>()?;
    Ok(Timings::of(&times))
}

/// Scenario 1.
pub fn save(dir: &Path, n: usize) -> Result<SaveFigures> {
    Ok(SaveFigures {
        saves: n,
        encrypted: time_saves(Some(dir), Some(&device_key()), n)?,
        plain: time_saves(Some(dir), None, n)?,
        in_memory: time_saves(None, None, n)?,
        fsync: time_fsync(dir, n)?,
    })
}

/// Scenario 2: a big store opened and queried.
#[derive(Debug, Clone, Serialize)]
pub struct OpenFigures {
    /// Records in the store.
    pub records: usize,
    /// Store file with its WAL.
    pub file_bytes: u64,
    /// `Store::open` (key, schema check, actor).
    pub open: Timings,
    /// One village's households, newest first (up to [`LIST_LIMIT`] rows).
    pub list_village: Timings,
    /// Rows that list returned.
    pub list_rows: usize,
    /// The two-character name searched.
    pub term2: String,
    /// Its matches (all of them, not only the first screen).
    pub term2_matches: usize,
    /// Searching it (first [`SEARCH_LIMIT`] rows).
    pub search2: Timings,
    /// The three-character name searched.
    pub term3: String,
    /// Its matches.
    pub term3_matches: usize,
    /// Searching it.
    pub search3: Timings,
    /// Resident memory of a fresh process doing the same.
    pub rss: RssFigures,
}

/// Resident memory of a fresh process that opens the store, in bytes.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RssFigures {
    /// Before opening anything.
    pub before_open: u64,
    /// After `Store::open`.
    pub after_open: u64,
    /// After a list and two searches.
    pub after_queries: u64,
    /// After opening every listed record (filling the document cache).
    pub after_opening_records: u64,
    /// Records opened.
    pub records_opened: usize,
    /// Peak (VmHWM).
    pub peak: u64,
}

/// Names to search: a three-character name from a household in the middle of the store, and
/// its first two characters.
fn pick_terms(store: &Store, records: usize) -> Result<(String, String)> {
    let q = ListQuery {
        kind: Some(Kind::Household),
        limit: Some(200),
        offset: records / 2,
        ..Default::default()
    };
    for summary in store.list(&q)? {
        let Some(record) = store.get(summary.id)? else {
            continue;
        };
        if let Body::Household(h) = record.body {
            if let Some(m) = h.members.iter().find(|m| m.name.chars().count() == 3) {
                let two: String = m.name.chars().take(2).collect();
                return Ok((two, m.name.clone()));
            }
        }
    }
    bail!("no three-character name in the store")
}

fn village_query(village: &str) -> ListQuery {
    ListQuery {
        kind: Some(Kind::Household),
        village: Some(village.into()),
        limit: Some(LIST_LIMIT),
        ..Default::default()
    }
}

/// Scenario 2 on the store at `path` (encrypted with the device key). `exe` re-runs this
/// program for the memory figures (see [`rss_child`]).
pub fn open_and_query(path: &Path, reps: usize, exe: &Path) -> Result<OpenFigures> {
    let key = device_key();
    let village = villages(&county())[0].scope.village.to_string();
    let (open_times, stores) = time_each(reps, |_| Store::open(path, Some(&key)));
    let store = stores
        .into_iter()
        .last()
        .context("no repetitions")?
        .context("open the big store")?;
    let records = store
        .list(&ListQuery {
            limit: Some(usize::MAX / 2),
            ..Default::default()
        })?
        .len();
    let (term2, term3) = pick_terms(&store, records)?;
    let query = village_query(&village);
    let (list_times, lists) = time_each(reps, |_| store.list(&query));
    let list_rows = lists.into_iter().last().context("no list")??.len();
    let (search2, _) = time_each(reps, |_| store.search(&term2, SEARCH_LIMIT));
    let (search3, _) = time_each(reps, |_| store.search(&term3, SEARCH_LIMIT));
    let term2_matches = store.search(&term2, usize::MAX / 2)?.len();
    let term3_matches = store.search(&term3, usize::MAX / 2)?.len();
    drop(store);
    let rss = measure_rss(exe, path, &village, &term2, &term3)?;
    Ok(OpenFigures {
        records,
        file_bytes: crate::measure::db_size(path),
        open: Timings::of(&open_times),
        list_village: Timings::of(&list_times),
        list_rows,
        term2,
        term2_matches,
        search2: Timings::of(&search2),
        term3,
        term3_matches,
        search3: Timings::of(&search3),
        rss,
    })
}

/// The hidden subcommand that runs [`rss_child`].
pub const RSS_CHILD: &str = "__rss-child";

fn measure_rss(
    exe: &Path,
    path: &Path,
    village: &str,
    term2: &str,
    term3: &str,
) -> Result<RssFigures> {
    let out = Command::new(exe)
        .arg(RSS_CHILD)
        .arg(path)
        .args([village, term2, term3])
        .output()
        .with_context(|| format!("running {}", exe.display()))?;
    if !out.status.success() {
        bail!(
            "the memory child failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .last()
        .context("the memory child printed nothing")?;
    Ok(serde_json::from_str(line)?)
}

/// In a fresh process: opens the store, lists a village and runs both searches, opens each
/// listed record, and prints the resident memory at each step as one JSON line.
pub fn rss_child(args: &[String]) -> Result<()> {
    let [path, village, term2, term3] = args else {
        bail!("usage: {RSS_CHILD} <store> <village> <term2> <term3>");
    };
    let rss = || crate::measure::memory("self").map_or(0, |m| m.0);
    let mut out = RssFigures {
        before_open: rss(),
        ..Default::default()
    };
    let mut store = Store::open_with_clock(path, Some(&device_key()), Arc::new(SystemClock))?;
    out.after_open = rss();
    let list = store.list(&village_query(village))?;
    store.search(term2, SEARCH_LIMIT)?;
    store.search(term3, SEARCH_LIMIT)?;
    out.after_queries = rss();
    for summary in &list {
        std::hint::black_box(store.open_record(summary.id)?);
    }
    out.records_opened = list.len();
    out.after_opening_records = rss();
    out.peak = crate::measure::memory("self").map_or(0, |m| m.1);
    println!("{}", serde_json::to_string(&out)?);
    Ok(())
}
