//! The app's data folder is `0700` and its store (with `-wal` and `-shm`) `0600` even under a
//! umask of `000`, and a folder left open to others is tightened and reported. The check runs
//! in a child copy of this test binary started by a shell after `umask 000` (the umask is
//! process-wide).
#![cfg(unix)]

mod common;

use beatbook_client::Client;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

const CHILD: &str = "BEATBOOK_TEST_UMASK_CHILD";

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn set_mode(path: &Path, m: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(m)).unwrap();
}

#[test]
fn the_data_folder_and_store_are_private_under_umask_000() {
    const NAME: &str = "the_data_folder_and_store_are_private_under_umask_000";
    if std::env::var_os(CHILD).is_none() {
        let out = std::process::Command::new("/bin/sh")
            .args(["-c", "umask 000 && exec \"$0\" \"$@\""])
            .arg(std::env::current_exe().unwrap())
            .args([NAME, "--exact", "--nocapture", "--test-threads=1"])
            .env(CHILD, "1")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("1 passed"),
            "the child failed:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let probe = root.path().join("probe");
    std::fs::write(&probe, b"").unwrap();
    assert_eq!(mode(&probe), 0o666, "the child runs under umask 000");

    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let (url, accounts, _server_dir) = common::server().await;
            let dir = root.path().join("app").join("beatbook");
            let client = Client::new(&dir);
            client
                .enrol(
                    &url,
                    "gucheng.officer1",
                    &accounts["gucheng.officer1"],
                    "246810",
                )
                .await
                .unwrap();
            assert_eq!(mode(&dir), 0o700);
            assert_eq!(mode(dir.parent().unwrap()), 0o700, "a parent it made");
            for file in ["device.db", "device.db-wal", "device.db-shm"] {
                let file = dir.join(file);
                assert!(file.exists(), "{} while the store is open", file.display());
                assert_eq!(mode(&file), 0o600, "{}", file.display());
            }

            // Loosened while locked (say, copied by hand): tightened at start and at unlock.
            client.lock();
            set_mode(&dir, 0o755);
            set_mode(&dir.join("device.db"), 0o644);
            assert_eq!(client.prepare_data_dir().unwrap(), Some(0o755));
            assert_eq!(client.prepare_data_dir().unwrap(), None);
            set_mode(&dir, 0o750);
            client.unlock("246810").unwrap();
            assert_eq!(mode(&dir), 0o700);
            assert_eq!(mode(&dir.join("device.db")), 0o600);
        });
}
