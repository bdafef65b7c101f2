//! The field app's part of `cargo xtask`: system packages Tauri and its WebDriver tests need,
//! `npm ci` and the front-end build (which the app crate needs before it compiles), Vitest,
//! the end-to-end run through the real app under Xvfb, screenshots, and launching the app.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};

use anyhow::{bail, Context, Result};

use super::{cargo, exec, exec_leaving_nothing, minutes, Steps};

/// Debian packages: Tauri's build needs (WebKitGTK …), and what runs the app headless in
/// tests (Xvfb, WebKitWebDriver, CJK fonts for the screenshots, ImageMagick).
const APT_PACKAGES: &[&str] = &[
    "build-essential",
    "pkg-config",
    "file",
    "libwebkit2gtk-4.1-dev",
    "libxdo-dev",
    "libssl-dev",
    "librsvg2-dev",
    "xvfb",
    "xauth",
    "imagemagick",
    "webkit2gtk-driver",
    "fonts-noto-cjk",
    "poppler-utils",
];

fn ui_dir(root: &Path) -> PathBuf {
    root.join("app-ui")
}

fn npm(root: &Path) -> Command {
    let mut cmd = Command::new("npm");
    cmd.current_dir(ui_dir(root));
    cmd
}

fn missing_packages() -> Vec<&'static str> {
    APT_PACKAGES
        .iter()
        .copied()
        .filter(|p| {
            let out = Command::new("dpkg-query")
                .args(["-W", "-f=${Status}", p])
                .output();
            !matches!(out, Ok(o) if String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
        })
        .collect()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Installs the system packages that are missing (only those), with apt-get.
fn apt(steps: &mut Steps) -> Result<()> {
    steps.step("system packages for the app (apt, only if missing)", || {
        let missing = missing_packages();
        if missing.is_empty() {
            eprintln!("    all {} packages present", APT_PACKAGES.len());
            return Ok(());
        }
        if !Path::new("/usr/bin/apt-get").exists() {
            bail!("missing system packages {missing:?} and no apt-get: install their equivalents");
        }
        let sudo: &[&str] = if is_root() { &[] } else { &["sudo"] };
        let run = |args: &[&str], limit| -> Result<()> {
            let mut all: Vec<&str> = sudo.to_vec();
            all.extend_from_slice(args);
            exec(
                Command::new(all[0])
                    .args(&all[1..])
                    .env("DEBIAN_FRONTEND", "noninteractive"),
                limit,
            )
        };
        run(&["apt-get", "update"], minutes(10))?;
        let mut install = vec!["apt-get", "install", "-y", "--no-install-recommends"];
        install.extend(missing.iter().copied());
        run(&install, minutes(30))
    })
}

fn cargo_bin(name: &str) -> PathBuf {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_default();
    home.join("bin").join(name)
}

/// `tauri-driver`, the WebDriver proxy the end-to-end test talks to.
fn tauri_driver(root: &Path, steps: &mut Steps) -> Result<()> {
    steps.step("tauri-driver (cargo install, only if missing)", || {
        if cargo_bin("tauri-driver").exists() {
            eprintln!("    tauri-driver present");
            return Ok(());
        }
        exec(
            cargo(root).args(["install", "tauri-driver", "--version", "^2", "--locked"]),
            minutes(30),
        )
    })
}

/// `npm ci` when `node_modules` is missing or older than the lock file, then the front-end
/// build: the app crate embeds `app-ui/dist`, so this comes before any workspace build.
fn front_end(root: &Path, steps: &mut Steps) -> Result<()> {
    steps.step("npm ci (app-ui)", || {
        let ui = ui_dir(root);
        let installed = ui.join("node_modules/.package-lock.json");
        let fresh = match (
            std::fs::metadata(&installed).and_then(|m| m.modified()),
            std::fs::metadata(ui.join("package-lock.json")).and_then(|m| m.modified()),
        ) {
            (Ok(have), Ok(want)) => have >= want,
            _ => false,
        };
        if fresh {
            eprintln!("    node_modules up to date");
            return Ok(());
        }
        exec(
            npm(root).args(["ci", "--no-audit", "--no-fund"]),
            minutes(15),
        )
    })?;
    steps.step("build app-ui", || {
        exec(npm(root).args(["run", "build"]), minutes(10))
    })
}

/// What `cargo xtask test` needs before the workspace builds: packages, driver, front end.
pub fn prepare(root: &Path, steps: &mut Steps) -> Result<()> {
    apt(steps)?;
    tauri_driver(root, steps)?;
    front_end(root, steps)
}

/// The app built as tests and users run it: the UI served from inside the binary.
pub const APP_FEATURE: &str = "beatbook-app/custom-protocol";

/// Which features a build of the app resolves.
#[derive(Clone, Copy)]
enum Resolve {
    /// Those of `cargo xtask test`'s clippy and test steps (the whole workspace with its
    /// tests): after them this compiles nothing but the app binary, where
    /// `cargo build -p beatbook-app -p beatbook-server` would resolve other features for
    /// tokio, hyper, GTK … and build them all again.
    AsTests,
    /// Just the app and the server (`cargo xtask run`, screenshots): less to build alone.
    AppOnly,
}

/// Builds the app (UI embedded) and the server.
fn build_app(root: &Path, steps: &mut Steps, resolve: Resolve) -> Result<PathBuf> {
    steps.step("build app (embedded UI) and server", || {
        let mut cmd = cargo(root);
        cmd.args(["build", "--locked", "--features", APP_FEATURE]);
        match resolve {
            Resolve::AsTests => cmd.args(["--workspace", "--bins", "--tests"]),
            Resolve::AppOnly => cmd.args(["-p", "beatbook-app", "-p", "beatbook-server"]),
        };
        exec(&mut cmd, minutes(40))
    })?;
    Ok(root.join("target/debug/beatbook-app"))
}

/// The app's tests after the workspace's: Vitest, then the end-to-end run under Xvfb.
pub fn test(root: &Path, steps: &mut Steps) -> Result<()> {
    steps.step("app-ui unit tests (vitest)", || {
        exec(npm(root).args(["test"]), minutes(10))
    })?;
    e2e(root, steps)
}

/// Builds the app and server, then runs the end-to-end test under Xvfb.
pub fn e2e(root: &Path, steps: &mut Steps) -> Result<()> {
    let app = build_app(root, steps, Resolve::AsTests)?;
    // The runner (app-ui/e2e/run.mjs) has its own deadline (15 min) and checks that nothing
    // the tests started outlives them; this limit and check cover the runner itself, Xvfb
    // and anything the check could not see.
    steps.step(
        "app end-to-end (tauri-driver, WebKitWebDriver, Xvfb)",
        || {
            exec_leaving_nothing(
                Command::new("xvfb-run")
                    .args(["-a", "-s", "-screen 0 1280x900x24", "npm", "run", "e2e"])
                    .current_dir(ui_dir(root))
                    .env("BEATBOOK_APP_BIN", &app)
                    .env(
                        "BEATBOOK_SERVER_BIN",
                        root.join("target/debug/beatbook-server"),
                    )
                    .env("TAURI_DRIVER", cargo_bin("tauri-driver")),
                minutes(20),
            )
        },
    )
}

/// `cargo xtask screenshots`: the key screens at handset and desktop size, in Chinese, into
/// `docs/screenshots/`.
pub fn screenshots(root: &Path) -> Result<()> {
    let mut steps = Steps::new("screenshots");
    prepare(root, &mut steps)?;
    let app = build_app(root, &mut steps, Resolve::AppOnly)?;
    // The screenshots file a few weeks of field work through the command line first.
    steps.step("build command line", || {
        exec(
            cargo(root).args(["build", "--locked", "-p", "beatbook-cli"]),
            minutes(30),
        )
    })?;
    steps.step("take screenshots", || {
        exec_leaving_nothing(
            Command::new("xvfb-run")
                .args([
                    "-a",
                    "-s",
                    "-screen 0 1400x1000x24",
                    "node",
                    "e2e/screenshots.mjs",
                ])
                .current_dir(ui_dir(root))
                .env("BEATBOOK_APP_BIN", &app)
                .env(
                    "BEATBOOK_SERVER_BIN",
                    root.join("target/debug/beatbook-server"),
                )
                .env("BEATBOOK_CLI_BIN", root.join("target/debug/beatbook"))
                .env("TAURI_DRIVER", cargo_bin("tauri-driver"))
                .env("SCREENSHOT_DIR", root.join("docs/screenshots")),
            minutes(20),
        )
    })?;
    steps.finish();
    Ok(())
}

/// For `cargo xtask run`: builds the app and, when a display exists, starts it pointed at the
/// demo server (its data in `demo-data/app`). Returns the running app, if started.
pub fn launch(root: &Path, steps: &mut Steps, server: &str) -> Result<Option<Child>> {
    let has_display =
        std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some();
    apt(steps)?;
    front_end(root, steps)?;
    let app = build_app(root, steps, Resolve::AppOnly)?;
    if !has_display {
        eprintln!(
            "    no display: not starting the app; run it on a desktop with\n      BEATBOOK_SERVER={server} {}",
            app.display()
        );
        return Ok(None);
    }
    let child = Command::new(&app)
        .env("BEATBOOK_SERVER", server)
        .env("BEATBOOK_APP_DATA", root.join("demo-data/app"))
        .spawn()
        .with_context(|| format!("could not start {}", app.display()))?;
    Ok(Some(child))
}
