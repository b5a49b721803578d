//! The on-disk compile cache: precompiled artifacts keyed by the input's
//! SHA-256 and the engine's compatibility hash, written atomically, and
//! checked before they are trusted.
//!
//! Wasmtime's `deserialize` assumes its input is a well-formed artifact of
//! this engine, and runs it as machine code. Two things stand between it
//! and a bad file. An entry is used only when neither it nor the cache
//! directory can have been written by another user ([`trust`]; the
//! directory is created 0700). And each entry carries a header with the
//! payload's length and SHA-256, checked on load, which turns a truncated
//! or half-written file (an interrupted run, a full disk) into a miss; it
//! is no defence against someone who can write the directory, which the
//! first check is for. An entry that fails either check, or that wasmtime
//! rejects (another engine version), is not used; a corrupt one is
//! replaced.
//!
//! The cache is kept under a size cap by evicting the least recently used
//! entries ([`housekeeping`]).

mod housekeeping;
mod trust;

pub use housekeeping::{DEFAULT_MAX_BYTES, MAX_VARIABLE, SizeCap, Usage, clean, usage};

use std::hash::{Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmkit_core::fs::{AtomicWrite, write_atomically};

use housekeeping::{ENTRY_SUFFIX, TEMP_PREFIX};

const MAGIC: &[u8; 8] = b"WKCACHE1";
const HEADER_LEN: usize = MAGIC.len() + 8 + 32;

/// A directory of precompiled artifacts.
#[derive(Clone, Debug)]
pub struct CompileCache {
    dir: PathBuf,
    engine_key: u64,
    max_bytes: u64,
}

/// Why a cache entry was not used.
#[derive(Debug, PartialEq, Eq)]
pub enum Miss {
    /// No entry.
    Absent,
    /// The entry is truncated, corrupted, or not ours.
    Corrupt,
    /// The entry or the directory could have been written by another user.
    Untrusted,
}

impl CompileCache {
    /// The default directory: `$WASMKIT_CACHE_DIR`, else
    /// `$XDG_CACHE_HOME/cargo-wasmkit`, else `~/.cache/cargo-wasmkit`.
    pub fn default_dir() -> Option<PathBuf> {
        if let Some(dir) = std::env::var_os("WASMKIT_CACHE_DIR") {
            return Some(PathBuf::from(dir));
        }
        if let Some(dir) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
            return Some(PathBuf::from(dir).join("cargo-wasmkit"));
        }
        std::env::var_os("HOME")
            .filter(|h| !h.is_empty())
            .map(|h| PathBuf::from(h).join(".cache/cargo-wasmkit"))
    }

    /// A cache in `dir` for artifacts of `engine`, capped at 1 GiB.
    pub fn new(dir: PathBuf, engine: &wasmtime::Engine) -> CompileCache {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        CompileCache {
            dir,
            engine_key: hasher.finish(),
            max_bytes: DEFAULT_MAX_BYTES,
        }
    }

    /// The same cache for code of one compiler: `salt` (the compiler's
    /// name) is part of every entry's key, so that the code of one
    /// compiler is never loaded as another's.
    #[must_use]
    pub fn with_salt(mut self, salt: &str) -> CompileCache {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        self.engine_key.hash(&mut hasher);
        salt.hash(&mut hasher);
        self.engine_key = hasher.finish();
        self
    }

    /// The same cache with another size cap.
    #[must_use]
    pub fn with_max_bytes(mut self, max_bytes: u64) -> CompileCache {
        self.max_bytes = max_bytes;
        self
    }

    /// Whether entries in the directory can be trusted at all.
    pub fn is_trusted(&self) -> bool {
        CompileCache::is_trusted_dir(&self.dir)
    }

    /// Whether entries in `dir` can be trusted at all: nobody else can
    /// write it (or it does not exist yet).
    pub fn is_trusted_dir(dir: &Path) -> bool {
        !dir.exists() || trust::is_private(dir)
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The entry path for an input.
    pub fn entry_path(&self, input: &[u8], kind: &str) -> PathBuf {
        let digest = Sha256::digest(input);
        let name = wasmkit_core::fs::hex(&digest[..20]);
        self.dir.join(format!(
            "{name}-{:016x}.{kind}{ENTRY_SUFFIX}",
            self.engine_key
        ))
    }

    /// Reads and checks an entry. Returns the serialized artifact only when
    /// nobody else can have written it and its header, length and checksum
    /// agree; a hit marks the entry as just used.
    pub fn load(&self, entry: &Path) -> Result<Vec<u8>, Miss> {
        if !entry.exists() {
            return Err(Miss::Absent);
        }
        if !trust::is_private(&self.dir) || !trust::is_private(entry) {
            return Err(Miss::Untrusted);
        }
        let mut data = std::fs::read(entry).map_err(|_| Miss::Absent)?;
        if data.len() < HEADER_LEN || &data[..MAGIC.len()] != MAGIC {
            return Err(Miss::Corrupt);
        }
        let len_bytes: [u8; 8] = data[MAGIC.len()..MAGIC.len() + 8]
            .try_into()
            .map_err(|_| Miss::Corrupt)?;
        let expected_len = u64::from_le_bytes(len_bytes);
        let payload_len = (data.len() - HEADER_LEN) as u64;
        if expected_len != payload_len {
            return Err(Miss::Corrupt);
        }
        let checksum = &data[MAGIC.len() + 8..HEADER_LEN];
        if Sha256::digest(&data[HEADER_LEN..]).as_slice() != checksum {
            return Err(Miss::Corrupt);
        }
        data.drain(..HEADER_LEN);
        housekeeping::touch(entry);
        Ok(data)
    }

    /// Writes an entry atomically: a temporary file in the cache directory,
    /// then a rename, so that readers see either nothing or a whole entry
    /// even when several processes fill the cache at once; then evicts the
    /// least recently used entries beyond the size cap. Failures are
    /// returned for the caller to report; they never stop a run.
    pub fn store(&self, entry: &Path, serialized: &[u8]) -> std::io::Result<()> {
        trust::create_private_dir(&self.dir)?;
        if !trust::is_private(&self.dir) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                "the cache directory is writable by other users",
            ));
        }
        // Owner-only, and named so that housekeeping knows a half-written
        // entry. No fsync: after a crash an entry may be renamed into place
        // with missing data, and the checksum turns that into a miss.
        let how = AtomicWrite::new().temp_prefix(TEMP_PREFIX);
        write_atomically(entry, &how, |tmp| {
            tmp.write_all(MAGIC)?;
            tmp.write_all(&(serialized.len() as u64).to_le_bytes())?;
            tmp.write_all(&Sha256::digest(serialized))?;
            tmp.write_all(serialized)
        })?;
        housekeeping::evict(&self.dir, self.max_bytes, entry)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache() -> (tempfile::TempDir, CompileCache) {
        let dir = tempfile::tempdir().unwrap();
        let engine = wasmtime::Engine::default();
        let cache = CompileCache::new(dir.path().to_path_buf(), &engine);
        (dir, cache)
    }

    #[test]
    fn round_trip_and_corruption_is_detected() {
        let (_dir, cache) = cache();
        let entry = cache.entry_path(b"input", "module");
        assert_eq!(cache.load(&entry), Err(Miss::Absent));
        cache.store(&entry, b"payload bytes").unwrap();
        assert_eq!(cache.load(&entry).unwrap(), b"payload bytes");

        // Truncated.
        let full = std::fs::read(&entry).unwrap();
        std::fs::write(&entry, &full[..full.len() - 3]).unwrap();
        assert_eq!(cache.load(&entry), Err(Miss::Corrupt));
        // One bit flipped in the payload.
        let mut flipped = full.clone();
        *flipped.last_mut().unwrap() ^= 1;
        std::fs::write(&entry, &flipped).unwrap();
        assert_eq!(cache.load(&entry), Err(Miss::Corrupt));
        // Not ours at all.
        std::fs::write(&entry, b"garbage").unwrap();
        assert_eq!(cache.load(&entry), Err(Miss::Corrupt));
    }

    #[cfg(unix)]
    #[test]
    fn an_entry_another_user_could_write_is_never_loaded() {
        use std::os::unix::fs::PermissionsExt;
        let chmod = |path: &Path, mode: u32| {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
        };
        let dir = tempfile::tempdir().unwrap();
        let cache = CompileCache::new(dir.path().join("cache"), &wasmtime::Engine::default());
        let entry = cache.entry_path(b"input", "module");
        cache.store(&entry, b"payload").unwrap();
        let mode = std::fs::metadata(cache.dir()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700, "created private");
        assert_eq!(cache.load(&entry).unwrap(), b"payload");

        chmod(cache.dir(), 0o777);
        assert_eq!(cache.load(&entry), Err(Miss::Untrusted));
        assert!(!cache.is_trusted());
        assert!(cache.store(&entry, b"payload").is_err(), "nor written");
        chmod(cache.dir(), 0o700);
        chmod(&entry, 0o666);
        assert_eq!(cache.load(&entry), Err(Miss::Untrusted));
        chmod(&entry, 0o600);
        assert_eq!(cache.load(&entry).unwrap(), b"payload");
    }

    #[test]
    fn storing_past_the_cap_evicts_the_least_recently_used() {
        let dir = tempfile::tempdir().unwrap();
        let engine = wasmtime::Engine::default();
        // Room for two entries of 100 bytes with their headers.
        let cache =
            CompileCache::new(dir.path().to_path_buf(), &engine).with_max_bytes(2 * (100 + 48));
        let a = cache.entry_path(b"a", "module");
        let b = cache.entry_path(b"b", "module");
        let c = cache.entry_path(b"c", "module");
        cache.store(&a, &[1; 100]).unwrap();
        cache.store(&b, &[2; 100]).unwrap();
        // Both written a minute ago; then `a` is used.
        let past = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
        for path in [&a, &b] {
            std::fs::File::options()
                .write(true)
                .open(path)
                .and_then(|f| f.set_modified(past))
                .unwrap();
        }
        cache.load(&a).unwrap();
        cache.store(&c, &[3; 100]).unwrap();
        assert!(a.exists(), "used last, kept");
        assert!(!b.exists(), "least recently used, evicted");
        assert!(c.exists(), "just written, kept");
    }

    #[test]
    fn key_depends_on_input_and_kind() {
        let (_dir, cache) = cache();
        assert_ne!(
            cache.entry_path(b"a", "module"),
            cache.entry_path(b"b", "module")
        );
        assert_ne!(
            cache.entry_path(b"a", "module"),
            cache.entry_path(b"a", "component")
        );
    }

    #[test]
    fn key_depends_on_engine_settings() {
        let dir = tempfile::tempdir().unwrap();
        let plain = CompileCache::new(dir.path().into(), &wasmtime::Engine::default());
        let mut config = wasmtime::Config::new();
        config.consume_fuel(true);
        let fueled = CompileCache::new(dir.path().into(), &wasmtime::Engine::new(&config).unwrap());
        assert_ne!(
            plain.entry_path(b"a", "module"),
            fueled.entry_path(b"a", "module")
        );
    }
}
