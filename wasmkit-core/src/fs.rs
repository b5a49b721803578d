//! Files written whole or not at all, and lower-case hex for digests: the
//! one way every crate writes its records, manifests and cache entries.

use std::fs::{File, Permissions};
use std::io;
use std::path::Path;

/// How [`write_atomically`] writes: the temporary file's name, the final
/// permissions, and whether to flush to disk before the rename.
#[derive(Clone, Debug, Default)]
pub struct AtomicWrite {
    temp_prefix: Option<String>,
    permissions: Option<Permissions>,
    sync: bool,
}

impl AtomicWrite {
    /// Owner-only permissions (as tempfile creates files), a temporary file
    /// named `.<file name>.<random>.tmp`, no fsync.
    pub fn new() -> AtomicWrite {
        AtomicWrite::default()
    }

    /// Names the temporary file `<prefix><random>`, for directories whose
    /// housekeeping recognises (and removes) half-written files by name.
    pub fn temp_prefix(mut self, prefix: &str) -> AtomicWrite {
        self.temp_prefix = Some(prefix.to_string());
        self
    }

    /// Readable by everyone, writable by the owner (`0o644`), as ordinary
    /// build outputs are. Owner-only elsewhere than on unix.
    pub fn readable_by_all(self) -> AtomicWrite {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            self.permissions(Permissions::from_mode(0o644))
        }
        #[cfg(not(unix))]
        {
            self
        }
    }

    /// Gives the file these permissions (for instance those of the file it
    /// replaces).
    pub fn permissions(mut self, permissions: Permissions) -> AtomicWrite {
        self.permissions = Some(permissions);
        self
    }

    /// Flushes the data to disk before the rename: for files a user wrote,
    /// which must survive a power loss as well as an interruption.
    pub fn sync(mut self) -> AtomicWrite {
        self.sync = true;
        self
    }
}

/// Writes the file at `path` with `write`, through a temporary file in the
/// same directory and a rename, so that readers see the old file or the
/// new one, never a part. Creates the directory if needed. When `write`
/// fails, the temporary file is removed and `path` is left as it was.
pub fn write_atomically(
    path: &Path,
    how: &AtomicWrite,
    write: impl FnOnce(&mut File) -> io::Result<()>,
) -> io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir)?;
    let default_prefix;
    let mut builder = tempfile::Builder::new();
    match &how.temp_prefix {
        Some(prefix) => {
            builder.prefix(prefix);
        }
        None => {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            default_prefix = format!(".{name}.");
            builder.prefix(&default_prefix).suffix(".tmp");
        }
    }
    let mut temp = builder.tempfile_in(dir)?;
    write(temp.as_file_mut())?;
    if let Some(permissions) = &how.permissions {
        temp.as_file().set_permissions(permissions.clone())?;
    }
    if how.sync {
        temp.as_file().sync_all()?;
    }
    temp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// `bytes` as lower-case hex, two digits a byte.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        // Writing to a String cannot fail.
        let _ = write!(out, "{b:02x}");
    }
    out
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    #[test]
    fn hex_is_lower_case_two_digits_a_byte() {
        assert_eq!(hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
        assert_eq!(hex(&[]), "");
    }

    #[test]
    fn a_whole_file_replaces_the_old_one_and_no_temporary_stays() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("sub").join("record.json");
        write_atomically(&path, &AtomicWrite::new(), |f| f.write_all(b"one")).expect("write");
        write_atomically(&path, &AtomicWrite::new().sync(), |f| f.write_all(b"two"))
            .expect("write");
        assert_eq!(std::fs::read(&path).expect("read"), b"two");
        let names: Vec<String> = std::fs::read_dir(path.parent().expect("parent"))
            .expect("read_dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["record.json"]);
    }

    #[test]
    fn a_failed_write_leaves_the_old_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("record.json");
        std::fs::write(&path, "old").expect("write");
        let failed = write_atomically(&path, &AtomicWrite::new().temp_prefix(".tmp-"), |f| {
            f.write_all(b"half")?;
            Err(io::Error::other("interrupted"))
        });
        assert_eq!(failed.expect_err("fails").to_string(), "interrupted");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "old");
        assert_eq!(std::fs::read_dir(dir.path()).expect("read_dir").count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn permissions_are_as_asked() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a.wasm");
        write_atomically(&path, &AtomicWrite::new().readable_by_all(), |f| {
            f.write_all(b"x")
        })
        .expect("write");
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o644);
        let owner_only = dir.path().join("entry");
        write_atomically(&owner_only, &AtomicWrite::new(), |f| f.write_all(b"x")).expect("write");
        let mode = std::fs::metadata(&owner_only)
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
