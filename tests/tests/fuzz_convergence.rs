//! Seeded convergence fuzzing through the real server (see `beatbook_tests::fuzz`): devices of
//! every role edit, sync and suffer faults at random; afterwards all agree with the server and
//! nothing is lost. `BEATBOOK_FUZZ_SEEDS=<n>` runs more seeds, `BEATBOOK_SEED=<n>` replays one;
//! `cargo xtask soak` runs the long version.

use beatbook_tests::fuzz;

/// Seeds in the normal test run: 250, about 0.4 s each on a 2-core machine (the record path
/// is optimised in test builds, see the workspace `Cargo.toml`), so under two minutes of CI's
/// budget. `cargo xtask soak` runs a million (`--seeds`).
const CI_SEEDS: u64 = 250;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devices_converge_with_the_server_under_random_edits_syncs_and_faults() {
    let seeds = fuzz::seeds(CI_SEEDS);
    let started = std::time::Instant::now();
    let stats = fuzz::run_seeds(&seeds).await;
    eprintln!(
        "convergence fuzz: seeds {}..={} in {:.1} s\n{}",
        seeds[0],
        seeds[seeds.len() - 1],
        started.elapsed().as_secs_f64(),
        stats.report()
    );
}
