//! Files only their owner can read: a device's data folder is made `0700` and its store files
//! `0600`, whatever the process umask, because they hold people's names, ID numbers and
//! addresses (and, in an unencrypted store, the device's signing key).
//!
//! Nothing here changes the umask (a library must not: it is process-wide). Folders and files
//! are created with the private mode and set to it exactly afterwards, since a umask can only
//! remove bits. SQLite creates a database's `-wal`, `-shm` and `-journal` files with the main
//! file's permission bits (its unix VFS copies them and `fchmod`s a new file to match), so a
//! store file created `0600` gets `0600` companions; [`Store::open`](crate::Store::open) also
//! tightens ones left looser by an older version. On other systems these functions only create.

use std::io;
use std::path::{Path, PathBuf};

/// The mode of a private folder: the owner reads, writes and enters it.
pub const DIR_MODE: u32 = 0o700;
/// The mode of a private file: the owner reads and writes it.
pub const FILE_MODE: u32 = 0o600;

/// Creates `dir` (and any missing parents, also private) readable by its owner only; an
/// existing folder that its group or others may use is tightened to `0700`. Returns the mode
/// the folder had when it had to be tightened, so the caller can warn that its content may
/// have been read by others.
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
        // A new folder is set exactly (a umask such as 0o277 would leave the owner locked out);
        // an existing one only when others may use it.
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

/// Creates `path` empty with mode `0600` if it does not exist; an existing file is left as it
/// is (see [`tighten_file`]).
pub fn create_file(path: &Path) -> io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, FILE_MODE);
    match options.open(path) {
        Ok(file) => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                file.set_permissions(std::fs::Permissions::from_mode(FILE_MODE))?;
            }
            #[cfg(not(unix))]
            drop(file);
            Ok(())
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// Sets an existing file that its group or others may read or write to `0600`; returns the
/// mode it had then. A missing file is no error (`None`).
pub fn tighten_file(path: &Path) -> io::Result<Option<u32>> {
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

/// A database file and the files SQLite keeps beside it.
pub fn database_files(db: &Path) -> [PathBuf; 4] {
    let with = |suffix: &str| {
        let mut name = db.as_os_str().to_owned();
        name.push(suffix);
        PathBuf::from(name)
    };
    [
        db.to_path_buf(),
        with("-wal"),
        with("-shm"),
        with("-journal"),
    ]
}

/// Tightens a database file and its `-wal`, `-shm` and `-journal` files; returns those that
/// were looser, with the mode each had.
pub fn tighten_database(db: &Path) -> io::Result<Vec<(PathBuf, u32)>> {
    let mut tightened = Vec::new();
    for file in database_files(db) {
        if let Some(mode) = tighten_file(&file)? {
            tightened.push((file, mode));
        }
    }
    Ok(tightened)
}

/// The file a SQLite path or `file:` URI (as the store's connection accepts) names, if it
/// names one: `file:/a/b.db?vfs=x` is `/a/b.db`; an in-memory database names none. A URI with
/// `%`-escapes is not decoded, and gives `None` rather than a wrong file.
pub fn database_path(given: &Path) -> Option<PathBuf> {
    let text = given.to_str();
    match text {
        Some(":memory:") | Some("") => None,
        Some(uri) if uri.starts_with("file:") => {
            let rest = &uri["file:".len()..];
            let end = rest.find(['?', '#']).unwrap_or(rest.len());
            let (file, query) = rest.split_at(end);
            let file = match file.strip_prefix("//") {
                // `file://AUTHORITY/path`: SQLite accepts an empty authority or localhost.
                Some(after) => {
                    let slash = after.find('/').unwrap_or(after.len());
                    let (authority, path) = after.split_at(slash);
                    if !authority.is_empty() && authority != "localhost" {
                        return None;
                    }
                    path
                }
                None => file,
            };
            let memory = query.split(['?', '&']).any(|p| p == "mode=memory");
            (!file.is_empty() && !file.contains('%') && !memory && file != ":memory:")
                .then(|| PathBuf::from(file))
        }
        _ => Some(given.to_path_buf()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_paths_and_uris() {
        let p = |s: &str| database_path(Path::new(s));
        assert_eq!(p("/a/b.db"), Some(PathBuf::from("/a/b.db")));
        assert_eq!(p("rel.db"), Some(PathBuf::from("rel.db")));
        assert_eq!(p("file:/a/b.db?vfs=fault1"), Some(PathBuf::from("/a/b.db")));
        assert_eq!(p("file:///a/b.db"), Some(PathBuf::from("/a/b.db")));
        assert_eq!(p("file://localhost/a/b.db"), Some(PathBuf::from("/a/b.db")));
        assert_eq!(p("file:b.db#x"), Some(PathBuf::from("b.db")));
        assert_eq!(p(":memory:"), None);
        assert_eq!(p("file::memory:?cache=shared"), None);
        assert_eq!(p("file:x.db?mode=memory"), None);
        assert_eq!(p("file:/a%20b.db"), None);
        assert_eq!(p("file://host/a.db"), None);
    }

    #[test]
    fn companions_are_named_after_the_database() {
        let [db, wal, shm, journal] = database_files(Path::new("/d/device.db"));
        assert_eq!(db, Path::new("/d/device.db"));
        assert_eq!(wal, Path::new("/d/device.db-wal"));
        assert_eq!(shm, Path::new("/d/device.db-shm"));
        assert_eq!(journal, Path::new("/d/device.db-journal"));
    }
}
