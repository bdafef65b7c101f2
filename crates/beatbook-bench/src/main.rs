//! `beatbook-bench`: runs every benchmark scenario and writes `docs/benchmarks.md` and
//! `docs/benchmarks.json` (run it as `cargo xtask bench`).

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use beatbook_bench::{load, local, report, Config};

const USAGE: &str = "\
usage: beatbook-bench [options]

  --quick            small sizes: a smoke run of every scenario in a few minutes
  --records N        records in the station chief's scope (initial sync; default 10000)
  --store-records N  records in the big store / on the server (default 50000)
  --devices N        simulated handsets in the load test (default 300)
  --seconds S        length of each load phase (default 20)
  --out DIR          where to write benchmarks.md and benchmarks.json (default: docs/)
  --compare FILE     show the goals of an earlier benchmarks.json as \"before\"
                     (read before the new one is written, so docs/benchmarks.json works)
  --work-dir DIR     where temporary stores and databases go (default: the system temp dir)";

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some(local::RSS_CHILD) => return local::rss_child(&args[1..]),
        Some(load::SERVE_CHILD) => return load::serve_child(&args[1..]),
        _ => {}
    }
    let exe = std::env::current_exe().context("the path of this program")?;
    let mut config = if args.iter().any(|a| a == "--quick") {
        Config::quick(exe)
    } else {
        Config::full(exe)
    };
    let mut out_dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs"));
    let mut compare = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || {
            it.next()
                .cloned()
                .with_context(|| format!("{arg} needs a value\n\n{USAGE}"))
        };
        let number = |v: String| -> Result<usize> {
            v.replace('_', "")
                .parse()
                .with_context(|| format!("{arg}: not a number: {v}"))
        };
        match arg.as_str() {
            "--quick" => {}
            "--records" => config.records = number(value()?)?,
            "--store-records" => config.store_records = number(value()?)?,
            "--devices" => config.load.devices = number(value()?)?,
            "--seconds" => config.load.seconds = value()?.parse()?,
            "--out" => out_dir = value()?.into(),
            "--compare" => compare = Some(PathBuf::from(value()?)),
            "--work-dir" => config.work_dir = Some(value()?.into()),
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => bail!("unknown argument {other:?}\n\n{USAGE}"),
        }
    }
    let before = match &compare {
        Some(path) => Some(
            serde_json::from_str::<serde_json::Value>(
                &std::fs::read_to_string(path)
                    .with_context(|| format!("reading {}", path.display()))?,
            )
            .with_context(|| format!("{} is not a benchmarks.json", path.display()))?,
        ),
        None => None,
    };
    let command = std::env::var("BEATBOOK_BENCH_COMMAND").unwrap_or_else(|_| {
        format!("beatbook-bench {}", args.join(" "))
            .trim()
            .to_owned()
    });

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let results = runtime.block_on(beatbook_bench::run_all(&config, command))?;

    std::fs::create_dir_all(&out_dir)?;
    let md_path = out_dir.join("benchmarks.md");
    let notes = std::fs::read_to_string(&md_path)
        .ok()
        .and_then(|old| report::kept_notes(&old));
    std::fs::write(
        &md_path,
        report::markdown(&results, before.as_ref(), notes.as_deref()),
    )?;
    let json_path = out_dir.join("benchmarks.json");
    std::fs::write(&json_path, report::json(&results, before.as_ref())? + "\n")?;
    eprintln!("\nGoals:");
    for g in &results.goals {
        eprintln!(
            "  [{}] {}: {} (goal {})",
            if g.met { "met" } else { "MISSED" },
            g.what,
            g.measured,
            g.target
        );
    }
    eprintln!("\nwrote {} and {}", md_path.display(), json_path.display());
    Ok(())
}
