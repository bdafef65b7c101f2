//! Measuring helpers: quantiles of timings, resident memory and CPU time of a process (from
//! `/proc`), the machine's description, and file sizes.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde::Serialize;

/// The distribution of a set of timings, in milliseconds.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Timings {
    /// How many were timed.
    pub n: usize,
    /// Median.
    pub p50_ms: f64,
    /// 90th percentile.
    pub p90_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Slowest.
    pub max_ms: f64,
    /// Mean.
    pub mean_ms: f64,
}

impl Timings {
    /// The distribution of `times` (any order).
    pub fn of(times: &[Duration]) -> Timings {
        if times.is_empty() {
            return Timings::default();
        }
        let mut sorted = times.to_vec();
        sorted.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        Timings {
            n: sorted.len(),
            p50_ms: ms(quantile(&sorted, 0.50)),
            p90_ms: ms(quantile(&sorted, 0.90)),
            p99_ms: ms(quantile(&sorted, 0.99)),
            max_ms: ms(sorted[sorted.len() - 1]),
            mean_ms: ms(sorted.iter().sum::<Duration>() / sorted.len() as u32),
        }
    }
}

/// The `q`-quantile (nearest rank) of sorted durations.
pub fn quantile(sorted: &[Duration], q: f64) -> Duration {
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Runs `f` `n` times, timing each call.
pub fn time_each<T>(n: usize, mut f: impl FnMut(usize) -> T) -> (Vec<Duration>, Vec<T>) {
    let mut times = Vec::with_capacity(n);
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let started = std::time::Instant::now();
        let v = f(i);
        times.push(started.elapsed());
        out.push(std::hint::black_box(v));
    }
    (times, out)
}

/// `VmRSS` and `VmHWM` (peak) in bytes of process `pid` (`"self"` for this one).
pub fn memory(pid: &str) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        let kib: u64 = line[name.len()..]
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()?;
        Some(kib * 1024)
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// User plus system CPU time of process `pid` (`"self"` for this one), from `/proc/pid/stat`.
pub fn cpu_time(pid: &str) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces; fields are counted after its closing parenthesis.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line: 11 and 12 after the name.
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_secs_f64(ticks as f64 / clock_ticks() as f64))
}

/// Clock ticks per second (`getconf CLK_TCK`; 100 on Linux unless it says otherwise).
fn clock_ticks() -> u64 {
    static TICKS: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(100)
    })
}

/// Size of an SQLite database file with its write-ahead log.
pub fn db_size(path: &Path) -> u64 {
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

/// Bytes as MiB.
pub fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// The machine a run happened on.
#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    /// CPU model (from `/proc/cpuinfo`).
    pub cpu: String,
    /// Cores available to this process.
    pub cores: usize,
    /// Physical memory.
    pub memory_gib: f64,
    /// Kernel release.
    pub kernel: String,
    /// `rustc --version`.
    pub rustc: String,
    /// Build profile of the bench binary.
    pub profile: String,
}

impl Machine {
    /// Describes this machine.
    pub fn describe() -> Machine {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find(|l| l.starts_with("model name"))
            .and_then(|l| l.split(':').nth(1))
            .map(|s| s.trim().to_owned())
            .unwrap_or_else(|| "unknown".into());
        let memory_gib = std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|m| {
                m.lines()
                    .find(|l| l.starts_with("MemTotal:"))
                    .and_then(|l| l.split_whitespace().nth(1))
                    .and_then(|kib| kib.parse::<f64>().ok())
            })
            .map(|kib| kib / (1024.0 * 1024.0))
            .unwrap_or(0.0);
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .map(|s| s.trim().to_owned())
            .unwrap_or_else(|_| "unknown".into());
        let rustc = Command::new(std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into()))
            .arg("--version")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .map(|s| s.trim().to_owned())
            .unwrap_or_else(|| "unknown".into());
        Machine {
            cpu,
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            memory_gib,
            kernel,
            rustc,
            profile: if cfg!(debug_assertions) {
                "debug".into()
            } else {
                "release".into()
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_use_the_nearest_rank() {
        let times: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        let t = Timings::of(&times);
        assert_eq!(t.p50_ms, 50.0);
        assert_eq!(t.p99_ms, 99.0);
        assert_eq!(t.max_ms, 100.0);
        assert!(cpu_time("self").is_some());
        assert!(memory("self").is_some());
    }
}
