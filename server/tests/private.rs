//! The server's data folder is `0700` and its database (with `-wal` and `-shm`) `0600` even
//! when started under a umask of `000`; a folder or database left open to others is tightened
//! at start, with a warning. The binary runs from a shell after `umask 000` (the umask is
//! process-wide, so this test process keeps its own).
#![cfg(unix)]

use beatbook_server::{AppState, ServerConfig};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn set_mode(path: &Path, m: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(m)).unwrap();
}

/// `beatbook-server ARGS --data DATA` under `umask 000`; returns standard error.
fn server_under_umask_000(args: &[&str], data: &Path) -> String {
    let out = std::process::Command::new("/bin/sh")
        .args(["-c", "umask 000 && exec \"$0\" \"$@\""])
        .arg(env!("CARGO_BIN_EXE_beatbook-server"))
        .args(args)
        .arg("--data")
        .arg(data)
        .env_remove("BEATBOOK_DATA")
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "{stderr}");
    stderr
}

#[test]
fn a_new_data_folder_and_database_are_private_under_umask_000() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("srv").join("data");
    let stderr = server_under_umask_000(&["user", "list"], &data);
    assert!(!stderr.contains("WARN"), "nothing to warn about: {stderr}");
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(data.parent().unwrap()), 0o700, "a parent it made");
    assert_eq!(mode(&data.join("server.db")), 0o600);
    for companion in ["server.db-wal", "server.db-shm", "server.db-journal"] {
        let file = data.join(companion);
        if file.exists() {
            assert_eq!(mode(&file), 0o600, "{companion}");
        }
    }
    // The demo seed writes a lot (every password hash and household).
    server_under_umask_000(&["seed-demo"], &data);
    assert_eq!(mode(&data.join("server.db")), 0o600);
}

#[test]
fn a_data_folder_open_to_others_is_tightened_with_a_warning() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    server_under_umask_000(&["user", "list"], &data);
    set_mode(&data, 0o755);
    set_mode(&data.join("server.db"), 0o644);
    let stderr = server_under_umask_000(&["device", "list"], &data);
    assert!(
        stderr.contains("0755") && stderr.contains("0700"),
        "the folder: {stderr}"
    );
    assert!(
        stderr.contains("0644") && stderr.contains("0600"),
        "the database: {stderr}"
    );
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join("server.db")), 0o600);
    let again = server_under_umask_000(&["user", "list"], &data);
    assert!(!again.contains("WARN"), "said once: {again}");
}

/// While the server runs, its `-wal` and `-shm` exist: both private.
#[test]
fn the_open_databases_wal_and_shm_are_private() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let state = AppState::open(ServerConfig::new(&data)).unwrap();
    assert!(state.list_users().unwrap().is_empty());
    for file in ["server.db", "server.db-wal", "server.db-shm"] {
        let file = data.join(file);
        assert!(file.exists(), "{}", file.display());
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
    assert_eq!(mode(&data), 0o700);
}
