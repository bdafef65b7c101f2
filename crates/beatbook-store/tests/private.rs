//! A store's files are readable by their owner only: the folder `0700`, the store file and
//! SQLite's `-wal` and `-shm` `0600`, even under a umask of `000`, and looser ones from before
//! are tightened. Each check runs in a child copy of this test binary started by a shell
//! after `umask 000`, since the umask is process-wide and other tests must not see it.
#![cfg(unix)]

mod common;

use beatbook_store::{private, Store, StoreKey};
use common::*;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

const CHILD: &str = "BEATBOOK_TEST_UMASK_CHILD";

/// Runs `test` (this binary's test of that name) again in a child under `umask 000`; true in
/// the child, where the caller then does the work.
fn under_umask_000(test: &str) -> bool {
    if std::env::var_os(CHILD).is_some() {
        // The shell's umask reached us: a file made with the usual 0666 is world-writable.
        let dir = tempfile::tempdir().unwrap();
        let probe = dir.path().join("probe");
        std::fs::write(&probe, b"").unwrap();
        assert_eq!(mode(&probe), 0o666, "the child runs under umask 000");
        return true;
    }
    let out = std::process::Command::new("/bin/sh")
        .args(["-c", "umask 000 && exec \"$0\" \"$@\""])
        .arg(std::env::current_exe().unwrap())
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "the child failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    false
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn set_mode(path: &Path, m: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(m)).unwrap();
}

/// Opens a store in a new folder, writes a record and checks every file while it is open
/// (the `-wal` and `-shm` files exist only then).
fn check_new_store(key: Option<StoreKey>) {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("data").join("beatbook");
    assert_eq!(private::ensure_dir(&dir).unwrap(), None, "a new folder");
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(dir.parent().unwrap()), 0o700, "a parent it made");
    let db = dir.join("device.db");
    let mut store = Store::open_with_clock(&db, key.as_ref(), clock()).unwrap();
    store
        .create(
            &"li".into(),
            scope("nanjie"),
            household("张三", "11010519491231002X"),
        )
        .unwrap();
    let [db, wal, shm, _] = private::database_files(&db);
    for file in [&db, &wal, &shm] {
        assert!(
            file.exists(),
            "{} exists while the store is open",
            file.display()
        );
        assert_eq!(mode(file), 0o600, "{}", file.display());
    }
    drop(store);
    assert_eq!(mode(&db), 0o600);
}

#[test]
fn a_new_store_is_private_under_umask_000() {
    if under_umask_000("a_new_store_is_private_under_umask_000") {
        check_new_store(None);
    }
}

#[test]
fn a_new_encrypted_store_is_private_under_umask_000() {
    if under_umask_000("a_new_encrypted_store_is_private_under_umask_000") {
        check_new_store(Some(StoreKey::Passphrase("246810".into())));
    }
}

/// What SQLite itself does, which the store relies on: a new `-wal` and `-shm` get the main
/// file's permission bits, not the umask's.
#[test]
fn sqlite_gives_wal_and_shm_the_database_files_mode() {
    if under_umask_000("sqlite_gives_wal_and_shm_the_database_files_mode") {
        let dir = tempfile::tempdir().unwrap();
        // Left to itself SQLite makes a new database 0644 under this umask: hence the store
        // creates its file first.
        let own = dir.path().join("own.db");
        drop(rusqlite::Connection::open(&own).unwrap());
        assert_eq!(mode(&own), 0o644);
        for m in [0o600, 0o640] {
            let db = dir.path().join(format!("{m:o}.db"));
            std::fs::write(&db, b"").unwrap();
            set_mode(&db, m);
            let conn = rusqlite::Connection::open(&db).unwrap();
            conn.pragma_update(None, "journal_mode", "WAL").unwrap();
            conn.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")
                .unwrap();
            let [_, wal, shm, _] = private::database_files(&db);
            assert_eq!(mode(&wal), m);
            assert_eq!(mode(&shm), m);
        }
    }
}

#[test]
fn looser_files_and_folders_from_before_are_tightened() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("beatbook");
    std::fs::create_dir(&dir).unwrap();
    set_mode(&dir, 0o755);
    assert_eq!(private::ensure_dir(&dir).unwrap(), Some(0o755));
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(private::ensure_dir(&dir).unwrap(), None, "private now");

    let db = dir.join("device.db");
    drop(Store::open_with_clock(&db, None, clock()).unwrap());
    let [db, wal, shm, _] = private::database_files(&db);
    set_mode(&db, 0o644);
    // Left behind by a crash, world-readable.
    std::fs::write(&wal, b"").unwrap();
    set_mode(&wal, 0o666);
    let store = Store::open_with_clock(&db, None, clock()).unwrap();
    for file in [&db, &wal, &shm] {
        assert_eq!(mode(file), 0o600, "{}", file.display());
    }
    drop(store);
    assert_eq!(
        private::tighten_database(&db).unwrap(),
        vec![],
        "nothing left to tighten"
    );
    let loose = dir.join("loose");
    std::fs::write(&loose, b"").unwrap();
    set_mode(&loose, 0o664);
    assert_eq!(private::tighten_file(&loose).unwrap(), Some(0o664));
    assert_eq!(mode(&loose), 0o600);
    assert_eq!(private::tighten_file(&dir.join("missing")).unwrap(), None);
}

#[test]
fn a_store_opened_through_a_uri_is_private_too() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("device.db");
    let store = Store::open_with_clock(
        format!("file:{}?cache=private", db.display()),
        None,
        clock(),
    )
    .unwrap();
    assert_eq!(mode(&db), 0o600);
    drop(store);
    assert!(!dir.path().join("file:").exists());
}
