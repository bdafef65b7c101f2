//! Keeps docs/walkthrough.md true: runs its `sh` blocks in order, in an empty folder, with the
//! real `beatbook` and `beatbook-server` binaries. The block that starts the server runs in
//! the background (as the page says, in a second terminal) on the address the page reads from
//! `BEATBOOK_LISTEN`; the other blocks run as one script per side of it.

mod common;

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The fenced blocks of `lang` in a Markdown text, in order.
fn blocks(markdown: &str, lang: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        match (&mut current, line.trim_start().strip_prefix("```")) {
            (None, Some(tag)) if tag.trim() == lang => current = Some(String::new()),
            (Some(block), Some("")) => {
                out.push(std::mem::take(block));
                current = None;
            }
            (Some(block), _) => {
                block.push_str(line);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    out
}

/// Builds `beatbook-server` into the same target folder as this test's `beatbook`, so the
/// page runs against the server of this very checkout.
fn server_binary() -> PathBuf {
    let bin = common::bin_dir();
    let target = bin.parent().unwrap();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut build = Command::new(cargo);
    build
        .args([
            "build",
            "--quiet",
            "-p",
            "beatbook-server",
            "--bin",
            "beatbook-server",
        ])
        .arg("--target-dir")
        .arg(target)
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    if bin.file_name().is_some_and(|n| n == "release") {
        build.arg("--release");
    }
    let status = build.status().expect("cargo runs");
    assert!(status.success(), "building beatbook-server failed");
    let path = bin.join("beatbook-server");
    assert!(path.exists(), "{} is missing", path.display());
    path
}

/// A shell with the binaries first on PATH and a clean beatbook environment.
fn shell(dir: &Path, listen: SocketAddr) -> Command {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut paths = vec![common::bin_dir()];
    paths.extend(std::env::split_paths(&path));
    let mut sh = Command::new("bash");
    sh.current_dir(dir)
        .env("PATH", std::env::join_paths(paths).unwrap())
        .env("BEATBOOK_LISTEN", listen.to_string())
        .env("RUST_LOG", "warn")
        .env("NO_COLOR", "1");
    for var in [
        "BEATBOOK_HOME",
        "BEATBOOK_KEY",
        "BEATBOOK_LANG",
        "BEATBOOK_SERVER",
        "BEATBOOK_DATA",
    ] {
        sh.env_remove(var);
    }
    sh
}

/// Runs a script with `set -euo pipefail`, returning its standard output.
fn script(dir: &Path, listen: SocketAddr, body: &str) -> String {
    let out = shell(dir, listen)
        .arg("-c")
        .arg(format!("set -euo pipefail\n{body}"))
        .stdin(Stdio::null())
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "a walkthrough step failed ({}):\n{body}\n--- stdout\n{stdout}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The background server; killed when dropped.
struct Background(Child);

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_walkthrough_runs_as_written() {
    let doc_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/walkthrough.md");
    let doc = std::fs::read_to_string(&doc_path).unwrap();
    let sh = blocks(&doc, "sh");
    let serve_at = sh
        .iter()
        .position(|b| b.contains("beatbook-server serve"))
        .expect("the walkthrough starts the server");
    assert_eq!(
        sh[serve_at].trim().lines().count(),
        1,
        "the server block is one command"
    );
    let setup = sh[..serve_at].join("\n");
    // Later steps run in a new shell: they need the page's variables, not the seeding again.
    let variables: Vec<&str> = sh[..serve_at]
        .iter()
        .filter(|b| !b.contains("beatbook-server"))
        .map(String::as_str)
        .collect();
    let rest = sh[serve_at + 1..].join("\n");
    assert!(rest.contains("beatbook new visit") && rest.contains("list visit"));

    server_binary();
    let dir = tempfile::tempdir().unwrap();
    let listen = {
        let probe = TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap()
    };

    let seeded = script(dir.path(), listen, &setup);
    assert!(seeded.contains("gucheng.officer1"), "{seeded}");

    let mut serve = shell(dir.path(), listen);
    serve
        .arg("-c")
        .arg(format!("exec {}", sh[serve_at].trim()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut server = Background(serve.spawn().expect("the server starts"));
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect(listen).is_err() {
        if let Some(status) = server.0.try_wait().unwrap() {
            panic!("the server exited: {status}");
        }
        assert!(Instant::now() < deadline, "the server did not start");
        std::thread::sleep(Duration::from_millis(20));
    }

    let out = script(
        dir.path(),
        listen,
        &format!("{}\n{rest}", variables.join("\n")),
    );
    // The chief's list shows the officer's visit, and the export was written.
    let chief_list = out
        .rsplit_once("编号")
        .map(|(_, tail)| tail)
        .expect("the chief's list is printed");
    assert!(
        chief_list.contains("留守老人慰问") && chief_list.contains("固城村"),
        "{out}"
    );
    assert!(out.contains("已登录：") && out.contains("所长"), "{out}");
    assert!(dir.path().join("固城所入户走访.xlsx").exists());
    drop(server);
}
