//! Advisory file locks between `cargo wasmkit` processes, taken the way
//! cargo takes its own: try first, and only when another process holds the
//! lock say `Blocking waiting for file lock on <what>` and wait.
//!
//! The lock is the operating system's (`flock` on Unix, `LockFileEx` on
//! Windows, through `std::fs::File::lock`), so it is released when the
//! holder exits, however it exits. On a file system without locks (some
//! network mounts) the work goes on unlocked, as cargo does there.

use std::fs::{File, TryLockError};
use std::io;
use std::path::{Path, PathBuf};

use crate::shell::Shell;

/// Shared (many holders, for readers) or exclusive (one holder).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockKind {
    /// Several holders at once, none exclusive.
    Shared,
    /// One holder.
    Exclusive,
}

/// A held lock; dropping it releases the lock.
#[derive(Debug)]
pub struct FileLock {
    // Held for its lock: closing the file releases it.
    _file: File,
    path: PathBuf,
    waited: bool,
}

impl FileLock {
    /// Takes the lock on the file at `path` (created, with its directories,
    /// if missing). When another process holds it, says
    /// `Blocking waiting for file lock on {what}` on `shell` and waits.
    pub fn acquire(path: &Path, kind: LockKind, what: &str, shell: &Shell) -> io::Result<FileLock> {
        FileLock::acquire_with(path, kind, || {
            shell.status("Blocking", format_args!("waiting for file lock on {what}"));
        })
    }

    /// [`FileLock::acquire`] with the notice given as `waiting`, which runs
    /// only when the lock is held elsewhere.
    pub fn acquire_with(
        path: &Path,
        kind: LockKind,
        waiting: impl FnOnce(),
    ) -> io::Result<FileLock> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let file = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        let attempt = match kind {
            LockKind::Shared => file.try_lock_shared(),
            LockKind::Exclusive => file.try_lock(),
        };
        let mut waited = false;
        match attempt {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                waiting();
                waited = true;
                let locked = match kind {
                    LockKind::Shared => file.lock_shared(),
                    LockKind::Exclusive => file.lock(),
                };
                locked.or_else(unsupported_is_fine)?;
            }
            Err(TryLockError::Error(e)) => unsupported_is_fine(e)?,
        }
        Ok(FileLock {
            _file: file,
            path: path.to_path_buf(),
            waited,
        })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether another process held the lock when it was asked for.
    pub fn waited(&self) -> bool {
        self.waited
    }
}

/// Cargo goes on without the lock where the file system has none
/// (`cargo::util::flock`, `error_unsupported`); so do we.
fn unsupported_is_fine(error: io::Error) -> io::Result<()> {
    let unsupported = error.kind() == io::ErrorKind::Unsupported
        || matches!(error.raw_os_error(), Some(code) if is_no_locks(code));
    if unsupported { Ok(()) } else { Err(error) }
}

#[cfg(unix)]
fn is_no_locks(code: i32) -> bool {
    // ENOTSUP (EOPNOTSUPP on Linux) and ENOLCK, as cargo checks them.
    const ENOLCK: i32 = if cfg!(target_os = "linux") { 37 } else { 77 };
    const ENOTSUP: i32 = if cfg!(target_os = "linux") { 95 } else { 45 };
    code == ENOLCK || code == ENOTSUP
}

#[cfg(not(unix))]
fn is_no_locks(_code: i32) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::mpsc;
    use std::time::Duration;

    #[test]
    fn an_exclusive_lock_waits_for_the_holder_and_says_so_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("sub/dir/.lock");
        let held =
            FileLock::acquire_with(&path, LockKind::Exclusive, || panic!("nobody holds it yet"))
                .expect("first lock");
        assert!(!held.waited());

        let (said, heard) = mpsc::channel();
        let released = AtomicBool::new(false);
        std::thread::scope(|scope| {
            let waiter = scope.spawn(|| {
                let lock = FileLock::acquire_with(&path, LockKind::Exclusive, || {
                    said.send(()).expect("send");
                })
                .expect("second lock");
                // Only after the holder let go.
                assert!(released.load(Ordering::SeqCst));
                lock
            });
            heard
                .recv_timeout(Duration::from_secs(30))
                .expect("the waiter says it is blocked");
            released.store(true, Ordering::SeqCst);
            drop(held);
            let lock = waiter.join().expect("waiter");
            assert!(lock.waited());
        });
        // The notice came exactly once.
        assert!(heard.try_recv().is_err());
    }

    #[test]
    fn shared_locks_do_not_wait_for_each_other() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(".lock");
        let _a = FileLock::acquire_with(&path, LockKind::Shared, || panic!("a waited")).expect("a");
        let b = FileLock::acquire_with(&path, LockKind::Shared, || panic!("b waited")).expect("b");
        assert!(!b.waited());
        assert_eq!(b.path(), path);
    }
}
