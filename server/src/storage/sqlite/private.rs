//! The server's data folder and database are readable by the account running it only (folder
//! `0700`, `server.db` and its `-wal`, `-shm`, `-journal` files `0600`), whatever the umask:
//! they hold every record, password hashes and device keys. The umask is left alone (it is
//! process-wide and the library runs inside tests and other programs); the folder and database
//! are created with the private mode and set to it exactly, and SQLite gives a new `-wal` and
//! `-shm` the database file's mode (its unix VFS copies it). The device side does the same
//! (`beatbook_store::private`). On other systems these functions only create.

use std::io;
use std::path::{Path, PathBuf};

/// The mode of a private folder.
pub const DIR_MODE: u32 = 0o700;
/// The mode of a private file.
pub const FILE_MODE: u32 = 0o600;

/// Creates `dir` (and missing parents) `0700`, or tightens an existing folder others may use
/// to `0700` and returns the mode it had, so the caller can warn.
pub fn ensure_dir(dir: &Path) -> io::Result<Option<u32>> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        let existed = dir.is_dir();
        if !existed {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(DIR_MODE)
                .create(dir)?;
        }
        let mode = std::fs::metadata(dir)?.permissions().mode() & 0o777;
        let loose = mode & 0o077 != 0;
        if loose || (!existed && mode != DIR_MODE) {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(DIR_MODE))?;
        }
        Ok((existed && loose).then_some(mode))
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(dir)?;
        Ok(None)
    }
}

/// Creates the database file `db` empty and `0600` unless it exists, then tightens it and its
/// companions; returns the files that were looser, with their modes.
pub fn prepare_database(db: &Path) -> io::Result<Vec<(PathBuf, u32)>> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, FILE_MODE);
    match options.open(db) {
        Ok(file) => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                file.set_permissions(std::fs::Permissions::from_mode(FILE_MODE))?;
            }
            #[cfg(not(unix))]
            drop(file);
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e),
    }
    tighten_database(db)
}

/// Sets the database file and its `-wal`, `-shm` and `-journal` files to `0600` where their
/// group or others may use them; returns those, with the modes they had.
pub fn tighten_database(db: &Path) -> io::Result<Vec<(PathBuf, u32)>> {
    let mut tightened = Vec::new();
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut name = db.as_os_str().to_owned();
        name.push(suffix);
        let file = PathBuf::from(name);
        if let Some(mode) = tighten_file(&file)? {
            tightened.push((file, mode));
        }
    }
    Ok(tightened)
}

fn tighten_file(path: &Path) -> io::Result<Option<u32>> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // Not through a symbolic link: chmod would change the file it points to.
        let meta = match std::fs::symlink_metadata(path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let mode = meta.permissions().mode() & 0o777;
        if !meta.file_type().is_file() || mode & 0o077 == 0 {
            return Ok(None);
        }
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(FILE_MODE))?;
        Ok(Some(mode))
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Ok(None)
    }
}
