//! `cargo xtask`: project automation for beatbook (set up, run, test).
//!
//! Subcommands:
//! - `run`: set up whatever is missing and run the system.
//! - `test`: run everything CI runs, in order, stopping at the first failure.
//! - `screenshots`: the app's key screens into `docs/screenshots/` (see [`app`]).
//! - `bench`: run the benchmark suite and write `docs/benchmarks.md` (see [`bench`]).
//! - `soak`: the long reliability suites (see [`reliability`], docs/reliability.md).
//!
//! Every subcommand is a sequence of named steps; each step prints its name
//! and how long it took, and a failure names the step that failed. New steps
//! (installing apt packages, `npm ci` in `app-ui/`, building and launching the
//! server, ...) slot into [`run`] as further [`Steps::step`] calls.

use std::env;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

mod app;
mod bench;
mod reliability;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  run     set up whatever is missing and run the system (server + demo county)
  test    run everything CI runs (fmt, clippy, tests, app tests), stopping at the first failure
  screenshots  write the app's key screens to docs/screenshots/
  bench   run the benchmark suite, write docs/benchmarks.md (--quick, --help for more)
  soak    the long reliability suites: fuzzing, kills, crashes (--seeds N …, docs/reliability.md)
  help    show this message";

/// The checks CI runs, in order: step name and `cargo` arguments.
const TEST_STEPS: &[(&str, &[&str])] = &[
    ("fmt", &["fmt", "--all", "--check"]),
    (
        "clippy",
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--locked",
            "--",
            "-D",
            "warnings",
        ],
    ),
    ("test", &["test", "--workspace", "--locked"]),
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
        exec(cargo(root).args(["build", "-p", "beatbook-server", "-p", "beatbook-cli"]))
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
        let out = Command::new(bin.join("beatbook-server"))
            .args(["seed-demo", "--data"])
            .arg(&data)
            .output()
            .context("could not start beatbook-server")?;
        if !out.status.success() {
            bail!(
                "seed-demo failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        std::fs::write(&accounts, &out.stdout)?;
        Ok(())
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
    exec(
        Command::new(bin.join("beatbook-server"))
            .args(["serve", "--listen", &listen, "--data"])
            .arg(&data),
    )
}

/// `cargo xtask test`: everything CI runs, stopping at the first failure.
fn test(root: &Path) -> Result<()> {
    let mut steps = Steps::new("test");
    app::prepare(root, &mut steps)?;
    for (name, args) in TEST_STEPS {
        steps.step(name, || exec(cargo(root).args(*args)))?;
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

/// Runs `cmd` with inherited stdio and fails unless it exits successfully.
fn exec(cmd: &mut Command) -> Result<()> {
    let shown = display(cmd);
    eprintln!("    $ {shown}");
    let status = cmd
        .status()
        .with_context(|| format!("could not start `{shown}` (is it installed and on PATH?)"))?;
    if !status.success() {
        bail!("`{shown}` failed ({status})");
    }
    Ok(())
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
