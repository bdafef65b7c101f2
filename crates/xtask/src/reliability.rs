//! `cargo xtask soak`: the long versions of the reliability suites (docs/reliability.md).
//! The normal test run has a short version of each; this runs them at length, in release
//! mode, each step reporting its own figures.
//!
//! Options: `--seeds N` convergence-fuzz seeds (default 1000000: days on two cores; shard it
//! across machines with `--seed`), `--kills N` server and client SIGKILL rounds (default 300),
//! `--crashes N` store writer crashes (default 500), `--inputs N` mutated inputs per fuzz
//! target (default 1000000), `--devices N` and `--load-secs N` sustained load (default 300
//! devices for 600 s), `--seed N` first seed.
//!
//! Each step's time limit (a hang guard, like every xtask step's) grows with its size: an hour
//! for the release build and setup, plus a generous cost per seed, kill, crash or input.

use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Result};

use crate::{cargo, exec, Steps};

/// An hour plus `units` × `each`, scaled like every limit (`XTASK_TIMEOUT_SCALE`).
fn limit(units: u64, each: Duration) -> Duration {
    let base = crate::minutes(60);
    let scale = base.as_secs_f64() / 3600.0;
    each.checked_mul(u32::try_from(units).unwrap_or(u32::MAX))
        .and_then(|d| Duration::try_from_secs_f64(d.as_secs_f64() * scale).ok())
        .and_then(|d| base.checked_add(d))
        .unwrap_or(Duration::MAX)
}

struct Soak {
    seeds: u64,
    kills: u64,
    crashes: u64,
    inputs: u64,
    devices: u64,
    load_secs: u64,
    first: u64,
}

fn parse(args: &[std::ffi::OsString]) -> Result<Soak> {
    let mut soak = Soak {
        seeds: 1_000_000,
        kills: 300,
        crashes: 500,
        inputs: 1_000_000,
        devices: 300,
        load_secs: 600,
        first: 1,
    };
    let mut it = args.iter().map(|a| a.to_string_lossy().into_owned());
    while let Some(flag) = it.next() {
        let value = it.next().and_then(|v| v.parse::<u64>().ok());
        let Some(value) = value else {
            bail!("{flag} needs a number; see docs/reliability.md");
        };
        match flag.as_str() {
            "--seeds" => soak.seeds = value,
            "--kills" => soak.kills = value,
            "--crashes" => soak.crashes = value,
            "--inputs" => soak.inputs = value,
            "--devices" => soak.devices = value,
            "--load-secs" => soak.load_secs = value,
            "--seed" => soak.first = value,
            other => bail!("unknown option {other}; see docs/reliability.md"),
        }
    }
    Ok(soak)
}

/// Runs every long suite, stopping at the first failure (which names its seed).
pub fn soak(root: &Path, args: &[std::ffi::OsString]) -> Result<()> {
    let s = parse(args)?;
    let mut steps = Steps::new("soak");
    let test = |name: &str, package: &str, env: &[(&str, String)], within: Duration| {
        let mut cmd = cargo(root);
        cmd.args([
            "test",
            "--release",
            "-p",
            package,
            "--test",
            name,
            "--",
            "--nocapture",
        ]);
        for (k, v) in env {
            cmd.env(k, v);
        }
        exec(&mut cmd, within)
    };
    steps.step("convergence fuzz", || {
        test(
            "fuzz_convergence",
            "beatbook-tests",
            &[
                ("BEATBOOK_FUZZ_SEEDS", s.seeds.to_string()),
                ("BEATBOOK_FUZZ_FIRST", s.first.to_string()),
            ],
            limit(s.seeds, Duration::from_secs(2)),
        )
    })?;
    steps.step("server SIGKILL", || {
        test(
            "kill",
            "beatbook-tests",
            &[("BEATBOOK_KILL_ROUNDS", s.kills.to_string())],
            limit(s.kills, Duration::from_secs(30)),
        )
    })?;
    steps.step("client SIGKILL", || {
        test(
            "client_kill",
            "beatbook-tests",
            &[("BEATBOOK_CLIENT_KILL_ROUNDS", s.kills.to_string())],
            limit(s.kills, Duration::from_secs(30)),
        )
    })?;
    steps.step("store writer crashes", || {
        test(
            "crash",
            "beatbook-store",
            &[("BEATBOOK_CRASH_ROUNDS", s.crashes.to_string())],
            limit(s.crashes, Duration::from_secs(30)),
        )
    })?;
    steps.step("hostile clients", || {
        test("hostile", "beatbook-tests", &[], limit(0, Duration::ZERO))
    })?;
    steps.step("sustained load", || {
        test(
            "load",
            "beatbook-tests",
            &[
                ("BEATBOOK_LOAD_DEVICES", s.devices.to_string()),
                ("BEATBOOK_LOAD_SECS", s.load_secs.to_string()),
            ],
            limit(s.load_secs, Duration::from_secs(3)),
        )
    })?;
    steps.step("input fuzzing", || {
        exec(
            cargo(root).args([
                "run",
                "--release",
                "-p",
                "beatbook-fuzz",
                "--",
                "run",
                "all",
                &s.inputs.to_string(),
                &s.first.to_string(),
            ]),
            // Three targets, about a millisecond per input each.
            limit(s.inputs, Duration::from_millis(15)),
        )
    })?;
    steps.finish();
    Ok(())
}
