//! Whose files the compile cache may load: wasmtime runs what it
//! deserializes as machine code, so an entry counts only when nobody but
//! this user (or root) can have written it, that is when neither the entry
//! nor its directory is owned by another user or writable by group or
//! others. The directory is created that way: mode 0700.

use std::io;
use std::path::Path;

/// Creates `dir` (and missing parents) readable and writable by this user
/// only.
pub(crate) fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Whether the file or directory at `path` can only have been written by
/// this user or root.
pub(crate) fn is_private(path: &Path) -> bool {
    let Ok(meta) = std::fs::metadata(path) else {
        return false;
    };
    private(&meta)
}

#[cfg(unix)]
fn private(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    let me = rustix::process::geteuid().as_raw();
    let owner_ok = meta.uid() == me || meta.uid() == 0;
    owner_ok && meta.mode() & 0o022 == 0
}

#[cfg(not(unix))]
fn private(_meta: &std::fs::Metadata) -> bool {
    // Windows profile directories are private to their user by default.
    true
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn chmod(path: &Path, mode: u32) {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
    }

    #[test]
    fn group_or_other_write_access_makes_a_path_untrusted() {
        let dir = tempfile::tempdir().unwrap();
        let cache = dir.path().join("a/b");
        create_private_dir(&cache).unwrap();
        let mode = std::fs::metadata(&cache).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        assert!(is_private(&cache));
        chmod(&cache, 0o770);
        assert!(!is_private(&cache));
        chmod(&cache, 0o707);
        assert!(!is_private(&cache));
        chmod(&cache, 0o755);
        assert!(is_private(&cache), "readable by others is fine");
        assert!(!is_private(&dir.path().join("missing")));
    }
}
