//! Finding and stopping the processes a step started, through `/proc`: every command `exec`
//! runs carries an environment marker that its descendants inherit, so they are found even
//! after their parent died and they were re-parented to init.

use std::path::Path;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// The environment variable marking the processes one step started.
pub const MARKER: &str = "BEATBOOK_XTASK_STEP";

/// A live process: its id, name and command line.
pub struct Proc {
    pub pid: u32,
    pub name: String,
    pub cmdline: String,
}

impl std::fmt::Display for Proc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "pid {} {}: {}", self.pid, self.name, self.cmdline)
    }
}

/// Live (not zombie) processes whose environment holds `MARKER=value`. Empty where there is
/// no `/proc`.
pub fn marked(value: &str) -> Vec<Proc> {
    let want = format!("{MARKER}={value}");
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let own = std::process::id();
    let mut found = Vec::new();
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == own {
            continue;
        }
        let dir = entry.path();
        let Ok(environ) = std::fs::read(dir.join("environ")) else {
            continue; // exited meanwhile, or not ours
        };
        if !environ.split(|&b| b == 0).any(|var| var == want.as_bytes()) {
            continue;
        }
        let Some((name, state)) = stat(&dir) else {
            continue;
        };
        if state == "Z" || state == "X" {
            continue;
        }
        let cmdline = std::fs::read(dir.join("cmdline"))
            .map(|raw| {
                raw.split(|&b| b == 0)
                    .filter(|arg| !arg.is_empty())
                    .map(String::from_utf8_lossy)
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default();
        let cmdline = match cmdline.char_indices().nth(160) {
            Some((cut, _)) => format!("{}...", &cmdline[..cut]),
            None => cmdline,
        };
        found.push(Proc { pid, name, cmdline });
    }
    found
}

/// A process's name and state from `/proc/<pid>/stat` ("pid (name) state …").
fn stat(dir: &Path) -> Option<(String, String)> {
    let stat = std::fs::read_to_string(dir.join("stat")).ok()?;
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let state = stat.get(close + 2..)?.split(' ').next()?.to_owned();
    Some((stat[open + 1..close].to_owned(), state))
}

/// Sends `signal` to `pids` (the shell's `kill`, as `/bin/sh` is everywhere; failures, such as
/// a process that has just exited, are ignored).
fn signal(signal: &str, pids: &[u32]) {
    if pids.is_empty() {
        return;
    }
    let _ = Command::new("sh")
        .arg("-c")
        .arg(format!("kill -s {signal} \"$@\" 2>/dev/null"))
        .arg("sh")
        .args(pids.iter().map(u32::to_string))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// Stops every process carrying the marker `value`: SIGTERM (and SIGCONT, so stopped ones can
/// act on it), up to `grace` for them to exit, then SIGKILL. Returns what is still alive.
pub fn terminate(value: &str, grace: Duration) -> Vec<Proc> {
    let pids = |procs: &[Proc]| procs.iter().map(|p| p.pid).collect::<Vec<_>>();
    let wait = |limit: Duration| {
        let until = Instant::now() + limit;
        loop {
            let left = marked(value);
            if left.is_empty() || Instant::now() >= until {
                return left;
            }
            thread::sleep(Duration::from_millis(100));
        }
    };
    let left = marked(value);
    if left.is_empty() {
        return left;
    }
    signal("TERM", &pids(&left));
    signal("CONT", &pids(&left));
    let left = wait(grace);
    if left.is_empty() {
        return left;
    }
    signal("KILL", &pids(&left));
    wait(Duration::from_secs(5))
}
