//! Focused scenarios for profiling with callgrind, which counts instructions repeatably where
//! wall time on a shared machine does not. Each scenario has a setup step (run normally: it
//! may hash passwords, seed records, sync) and a measured step (run under valgrind):
//!
//! ```sh
//! cargo build --release -p beatbook-bench --examples
//! F=target/release/examples/focus
//! $F save-setup /tmp/f && valgrind --tool=callgrind $F save /tmp/f 200
//! $F merge-setup /tmp/m 2000 500 && valgrind --tool=callgrind $F merge /tmp/m
//! $F pull-setup /tmp/p 2000 && valgrind --tool=callgrind $F pull /tmp/p
//! callgrind_annotate --inclusive=yes callgrind.out.<pid> | head -60
//! ```
//!
//! Divide the inclusive count of the function of interest (`Store::create`,
//! `beatbook_server::sync::push::push`, `Store::apply_pulled` …) by the number of items.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use beatbook_bench::world::{self, chief_of, county_admin, device_key, Handset, Server};
use beatbook_model::sample::Sampler;
use beatbook_model::{Body, SystemClock, UserId};
use beatbook_store::Store;
use beatbook_sync::Device;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| -> Result<&str> {
        args.get(i)
            .map(String::as_str)
            .with_context(|| format!("missing argument {i}"))
    };
    let number = |i: usize| -> Result<usize> { Ok(arg(i)?.parse()?) };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match arg(0)? {
        "save-setup" => save_setup(Path::new(arg(1)?)),
        "save" => save(Path::new(arg(1)?), number(2)?),
        "merge-setup" => runtime.block_on(merge_setup(Path::new(arg(1)?), number(2)?, number(3)?)),
        "merge" | "pull" => runtime.block_on(sync(Path::new(arg(1)?))),
        "pull-setup" => runtime.block_on(pull_setup(Path::new(arg(1)?), number(2)?)),
        other => bail!("unknown scenario {other}"),
    }
}

fn save_store(dir: &Path) -> Result<Store> {
    Ok(Store::open(dir.join("save.db"), Some(&device_key()))?)
}

/// A store with 300 households.
fn save_setup(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut store = save_store(dir)?;
    let village = world::villages(&world::county())[0].clone();
    let mut sampler = Sampler::new(7);
    for _ in 0..300 {
        let body = Body::Household(sampler.household(&village.name));
        store.create(&"bench.officer".into(), village.scope.clone(), body)?;
    }
    Ok(())
}

/// `n` visits saved one by one.
fn save(dir: &Path, n: usize) -> Result<()> {
    let mut store = save_store(dir)?;
    let village = world::villages(&world::county())[0].clone();
    let households = store.list(&Default::default())?;
    let officer = UserId::from("bench.officer");
    let mut sampler = Sampler::new(9);
    for _ in 0..n {
        let household = sampler.pick(&households).id;
        let visit = sampler.visit(household, &officer, chrono::Utc::now());
        store.create(&officer, village.scope.clone(), Body::Visit(visit))?;
    }
    Ok(())
}

/// A server holding `records` households in the chief's station, a chief's handset that has
/// them all, and (if `edits` > 0) that many households edited on it, not yet synced.
async fn setup(dir: &Path, records: usize, edits: usize) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut server = Server::start(&dir.join("server")).await?;
    let station = world::county().stations[0].id.to_string();
    server
        .add_users(vec![
            ("bench.seed".into(), county_admin()),
            ("bench.chief".into(), chief_of(&station)),
        ])
        .await?;
    let villages = world::villages(&world::county());
    let mut seeder = world::Seeder::new(&server.url(), "bench.seed", 1).await?;
    seeder.seed(&world::spread(&villages, records, 0)).await?;
    let chief = Handset::enrol_file(&server.url(), "bench.chief", dir.join("device.db")).await?;
    chief.sync(&server.url()).await?;
    if edits > 0 {
        let ids = beatbook_bench::sync::household_ids(&chief, 0, edits)?;
        beatbook_bench::sync::edit_households(&chief, &ids, &mut Sampler::new(3))?;
    }
    server.stop().await
}

async fn merge_setup(dir: &Path, records: usize, edits: usize) -> Result<()> {
    setup(dir, records, edits).await
}

/// The chief's handset is copied aside so `pull` can start over from an empty store.
async fn pull_setup(dir: &Path, records: usize) -> Result<()> {
    setup(dir, records, 0).await?;
    let device = Device::load(&Store::open(dir.join("device.db"), Some(&device_key()))?)?
        .context("the chief's handset is enrolled")?;
    std::fs::write(dir.join("device.json"), serde_json::to_string(&device)?)?;
    Ok(())
}

/// Syncs the chief's handset once against the server, in process: for `merge` the pending
/// edits are pushed; for `pull` (a `device.json` exists) a fresh store pulls everything.
async fn sync(dir: &Path) -> Result<()> {
    let server = Server::start(&dir.join("server")).await?;
    let fresh = dir.join("device.json");
    let (store, device) = if fresh.exists() {
        let device: Device = serde_json::from_str(&std::fs::read_to_string(&fresh)?)?;
        let path: PathBuf = dir.join(format!("fresh-{}.db", std::process::id()));
        (Store::open(&path, Some(&device_key()))?, device)
    } else {
        let store = Store::open_with_clock(
            dir.join("device.db"),
            Some(&device_key()),
            Arc::new(SystemClock),
        )?;
        let device = Device::load(&store)?.context("the chief's handset is enrolled")?;
        (store, device)
    };
    let handset = Handset {
        store: Arc::new(std::sync::Mutex::new(store)),
        device,
        path: None,
    };
    let (summary, took) = handset.sync(&server.url()).await?;
    eprintln!("{summary:?} in {took:?}");
    Ok(())
}
