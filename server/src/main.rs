//! The `beatbook-server` command: run the server, manage accounts and devices, seed demo
//! data. Thin: everything happens in the library.

use anyhow::{bail, Context, Result};
use beatbook_model::{format_local, Assignment, Lang, Role};
use beatbook_server::{AppState, NewUser, ServerConfig};
use clap::{Args, Parser, Subcommand};
use std::io::{BufRead, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

/// The beatbook (一村一警) sync server.
#[derive(Debug, Parser)]
#[command(name = "beatbook-server", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Args)]
struct DataDir {
    /// Directory holding the server's database.
    #[arg(
        long = "data",
        env = "BEATBOOK_DATA",
        default_value = "./beatbook-data"
    )]
    data: PathBuf,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the HTTP server until Ctrl-C or SIGTERM.
    Serve {
        /// Address to listen on.
        #[arg(long, env = "BEATBOOK_LISTEN", default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        #[command(flatten)]
        data: DataDir,
    },
    /// Manage accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage enrolled devices.
    Device {
        #[command(subcommand)]
        command: DeviceCommand,
    },
    /// Fill an empty server with the demo county, accounts and households; prints the
    /// accounts' passwords.
    SeedDemo {
        #[command(flatten)]
        data: DataDir,
    },
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create an account.
    Add {
        /// Account name: 2–32 of a-z, 0-9, '.', '_', '-'.
        #[arg(long)]
        username: String,
        /// Name shown to people, e.g. 王磊.
        #[arg(long)]
        display_name: String,
        /// community_officer, auxiliary, grid_worker, station_chief or county_admin (or the
        /// Chinese label).
        #[arg(long)]
        role: Role,
        /// Station id (every role but county_admin).
        #[arg(long)]
        station: Option<String>,
        /// Village id; repeat for several.
        #[arg(long = "village")]
        villages: Vec<String>,
        /// Read the password from the first line of standard input.
        #[arg(long, conflicts_with = "password")]
        password_stdin: bool,
        /// The password (visible in the process list; prefer --password-stdin).
        #[arg(long)]
        password: Option<String>,
        #[command(flatten)]
        data: DataDir,
    },
    /// List accounts.
    List {
        #[command(flatten)]
        data: DataDir,
    },
    /// Disable an account (it can no longer log in or sync).
    Disable {
        /// The account name.
        username: String,
        #[command(flatten)]
        data: DataDir,
    },
}

#[derive(Debug, Subcommand)]
enum DeviceCommand {
    /// List devices, newest first.
    List {
        #[command(flatten)]
        data: DataDir,
    },
    /// Revoke a device (lost handset).
    Revoke {
        /// The device id (see `device list`).
        id: String,
        #[command(flatten)]
        data: DataDir,
    },
}

fn open(data: &DataDir) -> Result<AppState> {
    AppState::open(ServerConfig::new(&data.data))
        .with_context(|| format!("打开数据目录失败 / cannot open {}", data.data.display()))
}

/// Keeps freed password-hashing memory from staying resident. Each argon2 hash (enrolment,
/// login) allocates one 19 MiB block. glibc serves the first from `mmap`, and when it is freed
/// raises its mmap threshold to that size; every later block then comes from a per-thread
/// arena and stays resident after it is freed. Measured: 16 enrolments left the server at
/// 170 MB resident instead of 15 MB (docs/reliability.md, "Load"). Pinning the threshold at
/// glibc's default turns the dynamic adjustment off, so the blocks go back to the system.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn pin_malloc_thresholds() {
    const DEFAULT_MMAP_THRESHOLD: libc::c_int = 128 * 1024;
    // SAFETY: mallopt only sets allocator parameters; it takes no pointers and is
    // thread-safe (it locks every arena). A failure (0) leaves glibc's defaults in place.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, DEFAULT_MMAP_THRESHOLD);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn pin_malloc_thresholds() {}

#[tokio::main]
async fn main() -> ExitCode {
    pin_malloc_thresholds();
    let cli = Cli::parse();
    // The server logs its work; admin commands only warnings, their output is the answer.
    let default = match cli.command {
        Command::Serve { .. } => "info",
        _ => "warn",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default)),
        )
        .with_writer(std::io::stderr)
        .init();
    let result = match cli.command {
        Command::Serve { listen, data } => serve(listen, &data).await,
        Command::User { command } => user(command),
        Command::Device { command } => device(command),
        Command::SeedDemo { data } => seed(&data),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("错误 / error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(listen: SocketAddr, data: &DataDir) -> Result<()> {
    let state = open(data)?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("无法监听 / cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, data = %data.data.display(), "serving");
    let mut out = std::io::stdout();
    writeln!(out, "listening on http://{addr}")?;
    out.flush()?;
    beatbook_server::serve(listener, state, shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}

fn user(command: UserCommand) -> Result<()> {
    match command {
        UserCommand::Add {
            username,
            display_name,
            role,
            station,
            villages,
            password_stdin,
            password,
            data,
        } => {
            let password = match (password_stdin, password) {
                (true, _) => {
                    let mut line = String::new();
                    std::io::stdin()
                        .lock()
                        .read_line(&mut line)
                        .context("读取密码失败 / cannot read the password from stdin")?;
                    line.trim_end_matches(['\r', '\n']).to_owned()
                }
                (false, Some(p)) => p,
                (false, None) => bail!(
                    "需要密码：请使用 --password-stdin 或 --password / a password is required: \
                     use --password-stdin or --password"
                ),
            };
            let state = open(&data)?;
            let added = state.add_user(NewUser {
                username,
                display_name,
                password,
                assignment: Assignment {
                    role,
                    station: station.map(|s| s.as_str().into()),
                    villages: villages.iter().map(|v| v.as_str().into()).collect(),
                },
            })?;
            println!(
                "已创建 / created: {} ({}, {})",
                added.username,
                added.display_name,
                added.assignment.role.label(Lang::Zh)
            );
        }
        UserCommand::List { data } => {
            let users = open(&data)?.list_users()?;
            println!(
                "{:<24} {:<10} {:<16} {:<14} {:<8} villages",
                "username", "name", "role", "station", "status"
            );
            for u in users {
                println!(
                    "{:<24} {:<10} {:<16} {:<14} {:<8} {}",
                    u.username,
                    u.display_name,
                    u.assignment.role.as_str(),
                    u.assignment.station.as_ref().map_or("-", |s| s.as_str()),
                    if u.disabled { "disabled" } else { "active" },
                    u.assignment
                        .villages
                        .iter()
                        .map(|v| v.as_str())
                        .collect::<Vec<_>>()
                        .join(",")
                );
            }
        }
        UserCommand::Disable { username, data } => {
            open(&data)?.disable_user(&username)?;
            println!("已停用 / disabled: {username}");
        }
    }
    Ok(())
}

fn device(command: DeviceCommand) -> Result<()> {
    match command {
        DeviceCommand::List { data } => {
            let devices = open(&data)?.list_devices()?;
            println!(
                "{:<38} {:<24} {:<20} {:<17} {:<17} status",
                "id", "username", "name", "enrolled", "last seen"
            );
            for d in devices {
                println!(
                    "{:<38} {:<24} {:<20} {:<17} {:<17} {}",
                    d.id,
                    d.username,
                    d.name,
                    format_local(d.enrolled_at),
                    d.last_seen_at.map_or("-".into(), format_local),
                    if d.revoked { "revoked" } else { "active" }
                );
            }
        }
        DeviceCommand::Revoke { id, data } => {
            open(&data)?.revoke_device(&id)?;
            println!("已停用设备 / revoked: {id}");
        }
    }
    Ok(())
}

fn seed(data: &DataDir) -> Result<()> {
    let seeded = open(data)?.seed_demo()?;
    println!(
        "已导入演示数据 / demo data seeded: {} 户 households, {} 个账号 accounts",
        seeded.households,
        seeded.credentials.len()
    );
    println!();
    println!("{:<24} {:<14} {:<18} where", "username", "password", "role");
    for (username, password, role, place) in &seeded.credentials {
        println!(
            "{username:<24} {password:<14} {:<18} {place}",
            role.as_str()
        );
    }
    Ok(())
}
