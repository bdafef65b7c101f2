//! `cargo xtask`: project automation for beatbook (set up, run, test).
//!
//! Subcommands:
//! - `run`: set up whatever is missing and run the system.
//! - `test`: run everything CI runs, in order, stopping at the first failure.
//! - `e2e`: build the app and run only its end-to-end test (see [`app`]).
//! - `screenshots`: the app's key screens into `docs/screenshots/` (see [`app`]).
//! - `bench`: run the benchmark suite and write `docs/benchmarks.md` (see [`bench`]).
//! - `soak`: the long reliability suites (see [`reliability`], docs/reliability.md).
//!
//! Every subcommand is a sequence of named steps; each step prints its name
//! and how long it took, and a failure names the step that failed. New steps
//! (installing apt packages, `npm ci` in `app-ui/`, building and launching the
//! server, ...) slot into [`run`] as further [`Steps::step`] calls.
//!
//! Nothing waits forever: every command a step runs has a time limit ([`exec`]); past it, the
//! command and everything it started are stopped and the step fails naming what still ran.
//! `XTASK_TIMEOUT_SCALE` (a number, default 1) scales every limit, for slower machines.

use std::env;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

mod app;
mod bench;
mod procs;
mod reliability;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  run     set up whatever is missing and run the system (server + demo county)
  test    run everything CI runs (fmt, clippy, tests, app tests), stopping at the first failure
  e2e     build the app and run only its end-to-end test (part of `test`)
  screenshots  write the app's key screens to docs/screenshots/
  bench   run the benchmark suite, write docs/benchmarks.md (--quick, --help for more)
  soak    the long reliability suites: fuzzing, kills, crashes (--seeds N …, docs/reliability.md)
  help    show this message";

/// The checks CI runs, in order: step name, time limit in minutes and `cargo` arguments.
/// The limits are several times what a fresh clone needs on two cores: they only catch hangs.
/// Clippy and the tests build the app as the end-to-end test runs it (its UI embedded,
/// [`app::APP_FEATURE`]) so that every build resolves the same features and the app step
/// after them compiles nothing again (without it, 52 crates: the GTK/WebKit stack, tokio,
/// hyper and the workspace's own, minutes on two cores).
const TEST_STEPS: &[(&str, u64, &[&str])] = &[
    ("fmt", 5, &["fmt", "--all", "--check"]),
    (
        "clippy",
        40,
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--locked",
            "--features",
            app::APP_FEATURE,
            "--",
            "-D",
            "warnings",
        ],
    ),
    (
        "test",
        60,
        &[
            "test",
            "--workspace",
            "--locked",
            "--features",
            app::APP_FEATURE,
        ],
    ),
];

fn main() -> ExitCode {
    match dispatch(env::args_os().skip(1).collect()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("xtask: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn dispatch(args: Vec<OsString>) -> Result<()> {
    if let [command, rest @ ..] = args.as_slice() {
        if command == "bench" {
            return bench::bench(&workspace_root(), rest);
        }
        if command == "soak" {
            return reliability::soak(&workspace_root(), rest);
        }
    }
    let command = match args.as_slice() {
        [command] => command,
        [] => bail!("missing command\n\n{USAGE}"),
        [_, extra @ ..] => bail!("unexpected arguments {extra:?}\n\n{USAGE}"),
    };
    let root = workspace_root();
    match command.to_str() {
        Some("run") => run(&root),
        Some("test") => test(&root),
        Some("e2e") => {
            let mut steps = Steps::new("e2e");
            app::e2e(&root, &mut steps)?;
            steps.finish();
            Ok(())
        }
        Some("screenshots") => app::screenshots(&root),
        Some("help" | "-h" | "--help") => {
            println!("{USAGE}");
            Ok(())
        }
        _ => bail!("unknown command {command:?}\n\n{USAGE}"),
    }
}

/// `cargo xtask run`: set up whatever is missing, then run the system: the sync server over
/// a demo county (seeded on first run into `demo-data/server`), in the foreground.
fn run(root: &Path) -> Result<()> {
    let mut steps = Steps::new("run");
    steps.step("build server and command line", || {
        exec(
            cargo(root).args(["build", "-p", "beatbook-server", "-p", "beatbook-cli"]),
            minutes(40),
        )
    })?;
    let bin = root.join("target/debug");
    let data = root.join("demo-data/server");
    let accounts = data.join("accounts.txt");
    steps.step("seed demo county", || {
        if data.join("server.db").exists() && accounts.exists() {
            eprintln!("    demo-data/server already seeded; delete it to start over");
            return Ok(());
        }
        std::fs::create_dir_all(&data)?;
        // The accounts (its output) go straight to accounts.txt; only a full run keeps it.
        let out = std::fs::File::create(&accounts)?;
        let seeded = exec(
            Command::new(bin.join("beatbook-server"))
                .args(["seed-demo", "--data"])
                .arg(&data)
                .stdout(out),
            minutes(10),
        );
        if seeded.is_err() {
            let _ = std::fs::remove_file(&accounts);
        }
        seeded
    })?;
    let listen = env::var("BEATBOOK_LISTEN").unwrap_or_else(|_| "127.0.0.1:8080".into());
    let _app = app::launch(root, &mut steps, &format!("http://{listen}"))?;
    steps.finish();
    let shown = std::fs::read_to_string(&accounts).unwrap_or_default();
    println!("{shown}");
    println!(
        "\
服务器 / server: http://{listen}   (Ctrl-C 停止 / to stop)
数据 / data:    {data}

试试命令行 / try the command line (in another terminal):
  export PATH=\"{bin}:$PATH\"
  echo '<password>' | beatbook --home /tmp/officer login --server http://{listen} --username <officer username> --password-stdin
  beatbook --home /tmp/officer list household
  beatbook --home /tmp/officer search 张
  beatbook --home /tmp/officer sync
See docs/walkthrough.md for a whole day's work.
",
        data = data.display(),
        bin = bin.display(),
    );
    // In the foreground until Ctrl-C: the one command without a time limit.
    exec(
        Command::new(bin.join("beatbook-server"))
            .args(["serve", "--listen", &listen, "--data"])
            .arg(&data),
        Duration::MAX,
    )
}

/// `cargo xtask test`: everything CI runs, stopping at the first failure.
fn test(root: &Path) -> Result<()> {
    let mut steps = Steps::new("test");
    app::prepare(root, &mut steps)?;
    for (name, limit, args) in TEST_STEPS {
        steps.step(name, || exec(cargo(root).args(*args), minutes(*limit)))?;
    }
    app::test(root, &mut steps)?;
    steps.finish();
    Ok(())
}

/// The workspace root: this crate lives in `<root>/crates/xtask`.
fn workspace_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .ancestors()
        .nth(2)
        .unwrap_or(manifest_dir)
        .to_path_buf()
}

/// A `cargo` command run from the workspace root, using the same cargo that
/// launched us when there is one.
fn cargo(root: &Path) -> Command {
    let program = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(program);
    cmd.current_dir(root);
    cmd
}

/// `n` minutes, times `XTASK_TIMEOUT_SCALE` when set.
fn minutes(n: u64) -> Duration {
    let scale = env::var("XTASK_TIMEOUT_SCALE")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s > 0.0)
        .unwrap_or(1.0);
    Duration::try_from_secs_f64(n as f64 * 60.0 * scale).unwrap_or(Duration::MAX)
}

/// Runs `cmd` (stdio inherited unless set) and fails unless it exits successfully within
/// `limit` (`Duration::MAX`: no limit). Past the limit, the command and every process it
/// started (found by an environment marker, see [`procs`]) get SIGTERM, then SIGKILL, and the
/// error names what was still running. Processes it leaves behind are named as a warning.
fn exec(cmd: &mut Command, limit: Duration) -> Result<()> {
    run_limited(cmd, limit, false)
}

/// [`exec`], but processes the command leaves running are stopped and fail the step.
fn exec_leaving_nothing(cmd: &mut Command, limit: Duration) -> Result<()> {
    run_limited(cmd, limit, true)
}

fn run_limited(cmd: &mut Command, limit: Duration, strict: bool) -> Result<()> {
    static SEQUENCE: AtomicU32 = AtomicU32::new(0);
    let shown = display(cmd);
    let marker = format!(
        "{}-{}",
        std::process::id(),
        SEQUENCE.fetch_add(1, Ordering::Relaxed)
    );
    cmd.env(procs::MARKER, &marker);
    let deadline = Instant::now().checked_add(limit);
    match deadline {
        Some(_) => eprintln!("    $ {shown}   (time limit {})", mins(limit)),
        None => eprintln!("    $ {shown}"),
    }
    let mut child = cmd
        .spawn()
        .with_context(|| format!("could not start `{shown}` (is it installed and on PATH?)"))?;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            break None;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let Some(status) = status else {
        let running = list(&procs::marked(&marker));
        let survivors = procs::terminate(&marker, Duration::from_secs(10));
        let _ = child.kill();
        let _ = child.wait();
        let survivors = if survivors.is_empty() {
            String::new()
        } else {
            format!("\nstill alive after SIGKILL:{}", list(&survivors))
        };
        bail!(
            "`{shown}` did not finish within its time limit of {}; it and what it started were \
             stopped. Still running at the limit:{running}{survivors}",
            mins(limit)
        );
    };
    // What it started may take a moment to exit after it (xvfb-run does not wait for Xvfb).
    let settled = Instant::now() + Duration::from_secs(3);
    let mut left = procs::marked(&marker);
    while !left.is_empty() && Instant::now() < settled {
        std::thread::sleep(Duration::from_millis(100));
        left = procs::marked(&marker);
    }
    if !left.is_empty() {
        if strict {
            let survivors = procs::terminate(&marker, Duration::from_secs(10));
            bail!(
                "`{shown}` exited ({status}) but left running (now stopped):{}{}",
                list(&left),
                if survivors.is_empty() {
                    String::new()
                } else {
                    format!("\nstill alive after SIGKILL:{}", list(&survivors))
                }
            );
        }
        eprintln!(
            "    warning: `{shown}` exited and left running:{}",
            list(&left)
        );
    }
    if !status.success() {
        bail!("`{shown}` failed ({status})");
    }
    Ok(())
}

/// Processes, one per indented line, for messages.
fn list(procs: &[procs::Proc]) -> String {
    if procs.is_empty() {
        return " (nothing)".into();
    }
    procs.iter().map(|p| format!("\n      {p}")).collect()
}

fn mins(d: Duration) -> String {
    format!("{:.0} min", d.as_secs_f64() / 60.0)
}

/// A command line as a human-readable string, for messages.
fn display(cmd: &Command) -> String {
    let program = Path::new(cmd.get_program())
        .file_name()
        .unwrap_or(cmd.get_program())
        .to_string_lossy()
        .into_owned();
    cmd.get_args()
        .map(|arg| arg.to_string_lossy())
        .fold(program, |line, arg| line + " " + &arg)
}

/// Runs named steps in order, timing each and naming the one that fails.
struct Steps {
    task: &'static str,
    started: Instant,
    done: usize,
}

impl Steps {
    fn new(task: &'static str) -> Self {
        Self {
            task,
            started: Instant::now(),
            done: 0,
        }
    }

    fn step(&mut self, name: &str, action: impl FnOnce() -> Result<()>) -> Result<()> {
        eprintln!("==> [{}] {name}", self.task);
        let started = Instant::now();
        let outcome = action();
        let took = secs(started.elapsed());
        match outcome {
            Ok(()) => {
                eprintln!("<== [{}] {name}: ok in {took}", self.task);
                self.done += 1;
                Ok(())
            }
            Err(err) => {
                eprintln!("<== [{}] {name}: FAILED after {took}", self.task);
                Err(err.context(format!("xtask {}: step `{name}` failed", self.task)))
            }
        }
    }

    fn finish(self) {
        eprintln!(
            "xtask {}: all {} steps ok in {}",
            self.task,
            self.done,
            secs(self.started.elapsed())
        );
    }
}

fn secs(d: Duration) -> String {
    format!("{:.2}s", d.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Stdio;

    fn sh(script: &str) -> Command {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", script])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        cmd
    }

    /// The marker `run_limited` gave `cmd`.
    fn marker_of(cmd: &Command) -> String {
        cmd.get_envs()
            .find(|(k, _)| *k == procs::MARKER)
            .and_then(|(_, v)| v)
            .map(|v| v.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    #[test]
    fn a_command_past_its_limit_is_stopped_with_what_it_started() {
        let mut cmd = sh("sleep 300 & sleep 301; wait");
        let started = Instant::now();
        let err = exec(&mut cmd, Duration::from_secs(1)).unwrap_err();
        let message = format!("{err:#}");
        assert!(started.elapsed() < Duration::from_secs(30), "{message}");
        assert!(message.contains("did not finish within"), "{message}");
        assert!(message.contains("sleep 300"), "{message}");
        assert!(message.contains("sleep 301"), "{message}");
        assert!(procs::marked(&marker_of(&cmd)).is_empty());
    }

    #[test]
    fn a_process_left_behind_fails_a_strict_step_and_is_stopped() {
        let mut cmd = sh("sleep 302 &");
        let err = exec_leaving_nothing(&mut cmd, Duration::from_secs(60)).unwrap_err();
        let message = format!("{err:#}");
        assert!(message.contains("left running"), "{message}");
        assert!(message.contains("sleep 302"), "{message}");
        assert!(procs::marked(&marker_of(&cmd)).is_empty());
    }

    #[test]
    fn a_quick_command_passes_and_a_failing_one_fails() {
        exec(&mut sh("true"), Duration::from_secs(60)).unwrap();
        exec_leaving_nothing(&mut sh("true"), Duration::from_secs(60)).unwrap();
        let err = exec(&mut sh("exit 3"), Duration::from_secs(60)).unwrap_err();
        assert!(format!("{err:#}").contains("failed"), "{err:#}");
    }
}
