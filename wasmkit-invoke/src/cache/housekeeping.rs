//! Keeping the compile cache small: a size cap (1 GiB unless
//! `WASMKIT_CACHE_MAX` says otherwise), least-recently-used entries
//! evicted first (a hit sets its entry's modification time to now, which
//! works on file systems mounted `noatime` too), and what
//! `cargo wasmkit cache` shows and cleans.

use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use wasmkit_core::{Diagnostic, codes};

use crate::limits::{format_bytes, parse_bytes};

/// The size cap when `WASMKIT_CACHE_MAX` is not set.
pub const DEFAULT_MAX_BYTES: u64 = 1 << 30;

/// The variable that sets the size cap.
pub const MAX_VARIABLE: &str = "WASMKIT_CACHE_MAX";

/// The suffix of every entry.
pub(crate) const ENTRY_SUFFIX: &str = ".cwasm";

/// The prefix of an entry being written.
pub(crate) const TEMP_PREFIX: &str = ".tmp-";

/// A temporary file this old was left by a run that died while writing.
const ABANDONED_AFTER: Duration = Duration::from_secs(3600);

/// The cache's size cap, and whether `WASMKIT_CACHE_MAX` set it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SizeCap {
    /// Bytes.
    pub bytes: u64,
    /// Set by `WASMKIT_CACHE_MAX` (else the default).
    pub from_env: bool,
}

impl SizeCap {
    /// `WASMKIT_CACHE_MAX` (`512MiB`, `2GiB`, a number of bytes), else
    /// 1 GiB. A value that is no size is bad input.
    pub fn from_env() -> Result<SizeCap, Diagnostic> {
        match std::env::var(MAX_VARIABLE) {
            Err(std::env::VarError::NotPresent) => Ok(SizeCap {
                bytes: DEFAULT_MAX_BYTES,
                from_env: false,
            }),
            Ok(text) if parse_bytes(&text).is_some() => Ok(SizeCap {
                bytes: parse_bytes(&text).unwrap_or_default() as u64,
                from_env: true,
            }),
            Ok(text) => Err(invalid_cap(&text)),
            Err(std::env::VarError::NotUnicode(text)) => Err(invalid_cap(&text.to_string_lossy())),
        }
    }
}

fn invalid_cap(text: &str) -> Diagnostic {
    Diagnostic::error(
        codes::INVALID_OPTION,
        format!("invalid `{MAX_VARIABLE}={text}`: not a size"),
    )
    .with_help("write a size such as `512MiB`, `2GiB` or a number of bytes")
}

/// How much the cache holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    /// Entries.
    pub entries: usize,
    /// Their total size in bytes.
    pub bytes: u64,
}

impl Usage {
    /// `12.3 MiB in 4 entries`.
    pub fn describe(&self) -> String {
        let noun = if self.entries == 1 {
            "entry"
        } else {
            "entries"
        };
        format!(
            "{} in {} {noun}",
            format_bytes(usize::try_from(self.bytes).unwrap_or(usize::MAX)),
            self.entries
        )
    }
}

struct Entry {
    path: PathBuf,
    size: u64,
    used: SystemTime,
}

/// The entries of `dir`, with their size and last use. A directory that
/// does not exist holds none.
fn entries(dir: &Path) -> io::Result<Vec<Entry>> {
    let read = match std::fs::read_dir(dir) {
        Ok(read) => read,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut entries = Vec::new();
    for item in read {
        let item = item?;
        let name = item.file_name();
        let name = name.to_string_lossy();
        let Ok(meta) = item.metadata() else { continue };
        if !meta.is_file() {
            continue;
        }
        if name.ends_with(ENTRY_SUFFIX) && !name.starts_with(TEMP_PREFIX) {
            entries.push(Entry {
                path: item.path(),
                size: meta.len(),
                used: meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
            });
        }
    }
    Ok(entries)
}

/// What the cache in `dir` holds.
pub fn usage(dir: &Path) -> io::Result<Usage> {
    let entries = entries(dir)?;
    Ok(Usage {
        entries: entries.len(),
        bytes: entries.iter().map(|e| e.size).sum(),
    })
}

/// Removes every entry of the cache in `dir` (and abandoned temporary
/// files), leaving the directory; returns what was removed.
pub fn clean(dir: &Path) -> io::Result<Usage> {
    let mut removed = Usage::default();
    for entry in entries(dir)? {
        match std::fs::remove_file(&entry.path) {
            Ok(()) => {
                removed.entries += 1;
                removed.bytes += entry.size;
            }
            // Another run evicted it first.
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    remove_abandoned(dir, Duration::ZERO);
    Ok(removed)
}

/// Marks `entry` as just used.
pub(crate) fn touch(entry: &Path) {
    // Best effort: a cache on a read-only medium still serves hits.
    let _ = std::fs::File::options()
        .write(true)
        .open(entry)
        .and_then(|f| f.set_modified(SystemTime::now()));
}

/// Evicts the least recently used entries of `dir` until the total is at
/// most `max_bytes`, sparing `keep` (the entry just written). Entries that
/// another run removes meanwhile are skipped.
pub(crate) fn evict(dir: &Path, max_bytes: u64, keep: &Path) -> io::Result<Usage> {
    let mut entries = entries(dir)?;
    let mut total: u64 = entries.iter().map(|e| e.size).sum();
    let mut evicted = Usage::default();
    if total <= max_bytes {
        return Ok(evicted);
    }
    entries.sort_by_key(|e| e.used);
    for entry in entries {
        if total <= max_bytes {
            break;
        }
        if entry.path == keep {
            continue;
        }
        match std::fs::remove_file(&entry.path) {
            Ok(()) => {
                evicted.entries += 1;
                evicted.bytes += entry.size;
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        total = total.saturating_sub(entry.size);
    }
    remove_abandoned(dir, ABANDONED_AFTER);
    Ok(evicted)
}

/// Removes temporary files older than `age`, left by runs that died while
/// writing an entry.
fn remove_abandoned(dir: &Path, age: Duration) {
    let Ok(read) = std::fs::read_dir(dir) else {
        return;
    };
    let now = SystemTime::now();
    for item in read.flatten() {
        let name = item.file_name();
        if !name.to_string_lossy().starts_with(TEMP_PREFIX) {
            continue;
        }
        let old = item
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| now.duration_since(t).unwrap_or_default() >= age);
        if old {
            let _ = std::fs::remove_file(item.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(dir: &Path, name: &str, size: usize, age_secs: u64) -> PathBuf {
        let path = dir.join(format!("{name}{ENTRY_SUFFIX}"));
        std::fs::write(&path, vec![0u8; size]).expect("write");
        let when = SystemTime::now() - Duration::from_secs(age_secs);
        std::fs::File::options()
            .write(true)
            .open(&path)
            .and_then(|f| f.set_modified(when))
            .expect("set mtime");
        path
    }

    #[test]
    fn the_least_recently_used_entries_go_first() {
        let dir = tempfile::tempdir().unwrap();
        let oldest = entry(dir.path(), "a", 100, 300);
        let used = entry(dir.path(), "b", 100, 200);
        let newer = entry(dir.path(), "c", 100, 100);
        let written = entry(dir.path(), "d", 100, 0);
        // A hit makes `b` the most recently used.
        touch(&used);
        let evicted = evict(dir.path(), 250, &written).unwrap();
        assert_eq!(
            evicted,
            Usage {
                entries: 2,
                bytes: 200
            }
        );
        assert!(!oldest.exists());
        assert!(!newer.exists());
        assert!(used.exists());
        assert!(written.exists());
        assert_eq!(
            usage(dir.path()).unwrap(),
            Usage {
                entries: 2,
                bytes: 200
            }
        );
        // Under the cap: nothing to do.
        assert_eq!(evict(dir.path(), 250, &written).unwrap(), Usage::default());
    }

    #[test]
    fn the_entry_just_written_is_kept_even_over_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let big = entry(dir.path(), "big", 500, 0);
        evict(dir.path(), 100, &big).unwrap();
        assert!(big.exists());
    }

    #[test]
    fn clean_removes_entries_and_temporary_files_only() {
        let dir = tempfile::tempdir().unwrap();
        entry(dir.path(), "a", 10, 0);
        entry(dir.path(), "b", 20, 0);
        std::fs::write(dir.path().join(".tmp-abc"), b"partial").unwrap();
        std::fs::write(dir.path().join("notes.txt"), b"not ours").unwrap();
        assert_eq!(
            clean(dir.path()).unwrap(),
            Usage {
                entries: 2,
                bytes: 30
            }
        );
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(left, ["notes.txt"]);
        assert_eq!(
            usage(&dir.path().join("missing")).unwrap(),
            Usage::default()
        );
    }

    #[test]
    fn usage_reads_like_a_listing() {
        let usage = Usage {
            entries: 1,
            bytes: 3 << 20,
        };
        assert_eq!(usage.describe(), "3 MiB in 1 entry");
    }
}
