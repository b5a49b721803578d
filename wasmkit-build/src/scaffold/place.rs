//! Writing a new package all-or-nothing: what is at its destination, the
//! package rendered beside it and renamed into place, and the root
//! manifest replaced only after that.

use std::ffi::OsString;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use wasmkit_core::fs::{AtomicWrite, write_atomically};
use wasmkit_core::{Diagnostic, codes, display_path};

/// What is at the destination before anything is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Destination {
    /// Nothing.
    Missing,
    /// An empty directory.
    EmptyDir,
}

impl Destination {
    pub(super) fn inspect(dir: &Path) -> Result<Destination, Diagnostic> {
        let shown = display_path(dir);
        let refuse = |what: &str| {
            Diagnostic::error(
                codes::NEW_REFUSED,
                format!("destination `{shown}` already exists and {what}"),
            )
        };
        match fs::symlink_metadata(dir) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Destination::Missing),
            Err(e) => Err(Diagnostic::read_failed(Path::new(&shown), &e)),
            Ok(meta) if meta.is_dir() => {
                let mut entries = fs::read_dir(dir)
                    .map_err(|e| Diagnostic::read_failed(Path::new(&shown), &e))?;
                if entries.next().is_none() {
                    Ok(Destination::EmptyDir)
                } else {
                    Err(refuse("is not empty").with_help(
                        "choose a new path for the plugin, or empty that directory first",
                    ))
                }
            }
            Ok(_) => {
                Err(refuse("is not a directory").with_help("choose a new path for the plugin"))
            }
        }
    }
}

fn write_failed(path: &Path, what: &str, error: &io::Error) -> Diagnostic {
    Diagnostic::error(
        codes::WRITE_FAILED,
        format!("cannot {what} `{}`: {error}", display_path(path)),
    )
}

/// The package, in place at its destination.
#[derive(Debug)]
pub(super) struct PlacedPackage {
    dir: PathBuf,
    pub(super) destination: Destination,
    /// The package's top-level files and directories.
    entries: Vec<OsString>,
    /// The topmost directory created to hold the package, if any was.
    created_parent: Option<PathBuf>,
}

impl PlacedPackage {
    /// Renders `files` into a temporary directory beside `dir` (so on the
    /// same file system), then renames it to `dir`, or, when `dir` is an
    /// existing empty directory, renames its entries into `dir`. On failure
    /// nothing is left: not the temporary directory, not the entries, not
    /// the parents it created.
    pub(super) fn write(
        dir: &Path,
        destination: Destination,
        files: &[(PathBuf, String)],
    ) -> Result<PlacedPackage, Diagnostic> {
        let parent = dir.parent().unwrap_or(Path::new("/"));
        let created_parent = parent
            .ancestors()
            .take_while(|a| !a.exists())
            .last()
            .map(Path::to_path_buf);
        let mut entries: Vec<OsString> = Vec::new();
        for (path, _) in files {
            if let Some(first) = path.iter().next()
                && !entries.iter().any(|e| e == first)
            {
                entries.push(first.to_os_string());
            }
        }
        fs::create_dir_all(parent).map_err(|e| write_failed(parent, "create", &e))?;
        let placed = PlacedPackage {
            dir: dir.to_path_buf(),
            destination,
            entries,
            created_parent,
        };
        match placed.stage_and_move(parent, files) {
            Ok(()) => Ok(placed),
            Err(d) => {
                if let Some(created) = &placed.created_parent {
                    // Best effort: the error being reported matters more.
                    let _ = fs::remove_dir_all(created);
                }
                Err(d)
            }
        }
    }

    fn stage_and_move(&self, parent: &Path, files: &[(PathBuf, String)]) -> Result<(), Diagnostic> {
        let mut builder = tempfile::Builder::new();
        builder.prefix(".wasmkit-new-");
        // A temporary directory is private (0700) by default; the package
        // gets the permissions `mkdir` would give it (0777 less the umask).
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o777));
        let staging = builder
            .tempdir_in(parent)
            .map_err(|e| write_failed(parent, "create a temporary directory in", &e))?;
        for (relative, text) in files {
            let path = staging.path().join(relative);
            if let Some(sub) = path.parent() {
                fs::create_dir_all(sub).map_err(|e| write_failed(sub, "create", &e))?;
            }
            fs::write(&path, text).map_err(|e| write_failed(&path, "write", &e))?;
        }
        match self.destination {
            Destination::Missing => {
                fs::rename(staging.path(), &self.dir)
                    .map_err(|e| write_failed(&self.dir, "create", &e))?;
                // The temporary directory is the package now: keep it.
                let _ = staging.keep();
            }
            // The directory itself stays (the user's shell may be in it);
            // its entries move in one by one, and back out on failure. The
            // emptied temporary directory is removed when `staging` drops.
            Destination::EmptyDir => {
                for (done, entry) in self.entries.iter().enumerate() {
                    let to = self.dir.join(entry);
                    let moved = if to.symlink_metadata().is_ok() {
                        Err(io::Error::new(
                            io::ErrorKind::AlreadyExists,
                            "it appeared while the plugin was being created",
                        ))
                    } else {
                        fs::rename(staging.path().join(entry), &to)
                    };
                    if let Err(e) = moved {
                        for back in &self.entries[..done] {
                            let _ = fs::rename(self.dir.join(back), staging.path().join(back));
                        }
                        return Err(write_failed(&to, "create", &e));
                    }
                }
            }
        }
        Ok(())
    }

    /// Takes the package away again, leaving the destination as it was.
    pub(super) fn remove(self) {
        // Best effort: the error that made this necessary is what gets reported.
        match self.destination {
            Destination::Missing => {
                let _ = fs::remove_dir_all(&self.dir);
            }
            Destination::EmptyDir => {
                for entry in &self.entries {
                    let path = self.dir.join(entry);
                    let _ = if path.is_dir() {
                        fs::remove_dir_all(&path)
                    } else {
                        fs::remove_file(&path)
                    };
                }
            }
        }
        if let Some(created) = &self.created_parent {
            let _ = fs::remove_dir_all(created);
        }
    }
}

/// Replaces the root manifest with `edited`: a temporary file beside it,
/// renamed over it, so the manifest is either the old text or the new one.
/// Refuses when the file changed since it was read, or is read-only.
pub(super) fn replace_manifest(
    manifest: &Path,
    original: &str,
    edited: &str,
) -> Result<(), Diagnostic> {
    let shown = display_path(manifest);
    let cannot = |why: String| {
        Diagnostic::error(
            codes::WRITE_FAILED,
            format!("cannot update `{shown}`: {why}"),
        )
    };
    // Through a symlink, the file it points to is the one to replace.
    let real = fs::canonicalize(manifest).map_err(|e| cannot(e.to_string()))?;
    let current = fs::read(&real).map_err(|e| cannot(e.to_string()))?;
    if current != original.as_bytes() {
        return Err(
            cannot("it changed while the plugin was being created".to_string())
                .with_help("run the command again"),
        );
    }
    // A rename replaces a file whatever its permissions, so the read-only
    // bit is honoured here, as an in-place write would. It is checked at
    // the write rather than ahead of it: the result would be the same, and
    // the removal of the package above covers any failure from here on.
    let permissions = fs::metadata(&real)
        .map_err(|e| cannot(e.to_string()))?
        .permissions();
    if permissions.readonly() {
        return Err(cannot("it is read-only".to_string())
            .with_help("make it writable, then run the command again"));
    }
    // The user's own file: flushed to disk, with the permissions it had.
    let how = AtomicWrite::new().permissions(permissions).sync();
    write_atomically(&real, &how, |file| file.write_all(edited.as_bytes()))
        .map_err(|e| cannot(e.to_string()))
}
