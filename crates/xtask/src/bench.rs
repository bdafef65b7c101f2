//! `cargo xtask bench`: builds and runs the benchmark suite (`crates/beatbook-bench`) in
//! release mode; it writes `docs/benchmarks.md` and `docs/benchmarks.json`. Arguments after
//! `bench` go to the suite (`--quick`, `--records N`, `--compare docs/benchmarks.json`, …).

use std::ffi::OsString;
use std::path::Path;

use anyhow::Result;

/// Runs `cargo run --release -p beatbook-bench -- <args>` from the workspace root, telling
/// the suite which command to record beside its figures.
pub fn bench(root: &Path, args: &[OsString]) -> Result<()> {
    let shown: Vec<String> = args
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let command = ["cargo xtask bench".to_owned()]
        .into_iter()
        .chain(shown)
        .collect::<Vec<_>>()
        .join(" ");
    crate::exec(
        crate::cargo(root)
            .args(["run", "--release", "--package", "beatbook-bench", "--"])
            .args(args)
            .env("BEATBOOK_BENCH_COMMAND", command),
        crate::minutes(180),
    )
}
