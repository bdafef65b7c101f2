//! Test harness: a real beatbook server on 127.0.0.1 (port 0) in a background thread, and
//! devices — data folders — that run the real `beatbook` binary against it.

#![allow(dead_code)]

use beatbook_model::{Assignment, County, Post, PostKind, Role, Station, Village};
use beatbook_server::{AppState, NewUser, ServerConfig};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::thread::JoinHandle;
use tokio::sync::oneshot;

/// Every test account's password.
pub const PASSWORD: &str = "correct-horse-9";

fn village(id: &str, name: &str) -> Village {
    Village {
        id: id.into(),
        name: name.into(),
        post: Post {
            kind: PostKind::Office,
            name: format!("{name}警务室"),
        },
    }
}

/// gucheng {nanjie 南街村, beijie 北街村}, liuta {dongguan 东关村}.
pub fn county() -> County {
    County {
        name: "清丰县公安局".into(),
        stations: vec![
            Station {
                id: "gucheng".into(),
                name: "固城派出所".into(),
                villages: vec![village("nanjie", "南街村"), village("beijie", "北街村")],
            },
            Station {
                id: "liuta".into(),
                name: "六塔派出所".into(),
                villages: vec![village("dongguan", "东关村")],
            },
        ],
    }
}

/// A running server. Dropping it stops it.
pub struct Server {
    /// The base URL devices log in to.
    pub url: String,
    addr: SocketAddr,
    state: AppState,
    running: Option<(oneshot::Sender<()>, JoinHandle<()>)>,
    _dir: tempfile::TempDir,
}

impl Server {
    /// A server with the test county and accounts: li.officer and wang.officer (南街村),
    /// zhao.officer (北街村), gucheng.chief (固城派出所), nanjie.grid (网格员, 南街村).
    pub fn start() -> Server {
        let dir = tempfile::tempdir().unwrap();
        let state = AppState::open(ServerConfig::new(dir.path().join("data"))).unwrap();
        state.set_county(county()).unwrap();
        let users = [
            (
                "li.officer",
                "李强",
                Role::CommunityOfficer,
                &["nanjie"][..],
            ),
            (
                "wang.officer",
                "王磊",
                Role::CommunityOfficer,
                &["nanjie"][..],
            ),
            (
                "zhao.officer",
                "赵敏",
                Role::CommunityOfficer,
                &["beijie"][..],
            ),
            ("gucheng.chief", "陈建国", Role::StationChief, &[][..]),
            ("nanjie.grid", "周芳", Role::GridWorker, &["nanjie"][..]),
        ];
        for (username, name, role, villages) in users {
            state
                .add_user(NewUser {
                    username: username.into(),
                    display_name: name.into(),
                    password: PASSWORD.into(),
                    assignment: Assignment {
                        role,
                        station: Some("gucheng".into()),
                        villages: villages.iter().map(|v| (*v).into()).collect(),
                    },
                })
                .unwrap();
        }
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let mut server = Server {
            url: format!("http://{addr}"),
            addr,
            state,
            running: None,
            _dir: dir,
        };
        server.serve(listener);
        server
    }

    fn serve(&mut self, listener: TcpListener) {
        listener.set_nonblocking(true).unwrap();
        let state = self.state.clone();
        let (tx, rx) = oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                beatbook_server::serve(listener, state, async {
                    let _ = rx.await;
                })
                .await
                .unwrap();
            });
        });
        // Ready when it accepts a connection (the socket is bound and listening already).
        TcpStream::connect(self.addr).expect("the test server accepts connections");
        self.running = Some((tx, thread));
    }

    /// Stops serving (as if the station's server went down or the signal was lost).
    pub fn stop(&mut self) {
        if let Some((tx, thread)) = self.running.take() {
            let _ = tx.send(());
            thread.join().unwrap();
        }
        assert!(
            TcpStream::connect(self.addr).is_err(),
            "the server still answers"
        );
    }

    /// Serves again on the same address.
    pub fn restart(&mut self) {
        let listener = TcpListener::bind(self.addr).unwrap();
        self.serve(listener);
    }

    /// The server's state (accounts, devices).
    pub fn state(&self) -> &AppState {
        &self.state
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some((tx, thread)) = self.running.take() {
            let _ = tx.send(());
            let _ = thread.join();
        }
    }
}

/// An address where nothing listens.
pub fn dead_url() -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    format!("http://{addr}")
}

/// What one run of the binary did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// A device: one data folder.
pub struct Device {
    home: tempfile::TempDir,
}

impl Default for Device {
    fn default() -> Self {
        Self::new()
    }
}

impl Device {
    /// A device with an empty data folder.
    pub fn new() -> Device {
        Device {
            home: tempfile::tempdir().unwrap(),
        }
    }

    /// The data folder.
    pub fn home(&self) -> &Path {
        self.home.path()
    }

    /// The binary with this device's data folder and nothing from the caller's environment.
    pub fn cmd(&self, args: &[&str]) -> assert_cmd::Command {
        let mut cmd = assert_cmd::Command::new(env!("CARGO_BIN_EXE_beatbook"));
        cmd.args(args)
            .env("BEATBOOK_HOME", self.home.path())
            .env_remove("BEATBOOK_LANG")
            .env_remove("BEATBOOK_KEY")
            .env_remove("BEATBOOK_SERVER")
            .env("NO_COLOR", "1")
            .timeout(std::time::Duration::from_secs(120));
        cmd
    }

    /// Runs the binary.
    pub fn run(&self, args: &[&str]) -> Run {
        run(self.cmd(args))
    }

    /// Runs the binary and expects success; returns standard output.
    pub fn ok(&self, args: &[&str]) -> String {
        let r = self.run(args);
        assert_eq!(
            r.code, 0,
            "beatbook {args:?} failed: {}{}",
            r.stdout, r.stderr
        );
        r.stdout
    }

    /// Runs the binary and expects exit `code`; returns standard error.
    pub fn fails(&self, args: &[&str], code: i32) -> String {
        let r = self.run(args);
        assert_eq!(
            r.code, code,
            "beatbook {args:?}: expected exit {code}\nstdout: {}\nstderr: {}",
            r.stdout, r.stderr
        );
        r.stderr
    }

    /// `beatbook new …`, returning the new id.
    pub fn new_record(&self, args: &[&str]) -> String {
        let mut all = vec!["new"];
        all.extend_from_slice(args);
        let out = self.ok(&all);
        let id = out.trim().to_owned();
        assert_eq!(id.len(), 36, "not an id: {out}");
        id
    }

    /// Logs in as `username` with the test password.
    pub fn login(&self, server: &Server, username: &str) -> String {
        let mut cmd = self.cmd(&[
            "login",
            "--server",
            &server.url,
            "--username",
            username,
            "--password-stdin",
        ]);
        cmd.write_stdin(format!("{PASSWORD}\n"));
        let r = run(cmd);
        assert_eq!(r.code, 0, "login failed: {}", r.stderr);
        r.stdout
    }

    /// `beatbook --json`-style output parsed.
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        serde_json::from_str(&self.ok(args)).unwrap()
    }
}

/// Runs a prepared command.
pub fn run(mut cmd: assert_cmd::Command) -> Run {
    let out = cmd.output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn uuid_re() -> &'static regex::Regex {
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    RE.get_or_init(|| {
        regex::Regex::new(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}( {2,})?")
            .unwrap()
    })
}

fn time_re() -> &'static regex::Regex {
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    RE.get_or_init(|| {
        regex::Regex::new(
            r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})| \d{2}:\d{2})( {2,})?",
        )
        .unwrap()
    })
}

/// `name` in place of `matched`; inside a table (followed by spaces) padded to the same
/// width so columns stay aligned.
fn placeholder(c: &regex::Captures<'_>, name: String) -> String {
    if c.get(c.len() - 1).is_some() {
        let width = c[0].len().max(name.len() + 1);
        format!("{name:<width$}")
    } else {
        name
    }
}

/// Output made comparable: ids become `<id1>`, `<id2>` … in order of appearance (the ids in
/// `named` get their given names), and times not in 2025 (the tests' fixed past dates) become
/// `<now>`.
pub fn normalize(text: &str, named: &[(&str, &str)]) -> String {
    let mut seen: Vec<String> = Vec::new();
    let ids = uuid_re().replace_all(text, |c: &regex::Captures<'_>| {
        let id = c[0].trim_end().to_owned();
        if let Some((_, name)) = named.iter().find(|(i, _)| *i == id) {
            return placeholder(c, format!("<{name}>"));
        }
        let n = match seen.iter().position(|s| *s == id) {
            Some(n) => n,
            None => {
                seen.push(id);
                seen.len() - 1
            }
        };
        placeholder(c, format!("<id{}>", n + 1))
    });
    time_re()
        .replace_all(&ids, |c: &regex::Captures<'_>| {
            if c[0].starts_with("2025-") {
                c[0].to_owned()
            } else {
                placeholder(c, "<now>".to_owned())
            }
        })
        .into_owned()
}

/// The folder holding the built binaries (`target/debug`).
pub fn bin_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_beatbook"))
        .parent()
        .unwrap()
        .to_path_buf()
}
