//! The on-disk compile cache: precompiled artifacts keyed by the input's
//! SHA-256 and the engine's compatibility hash, written atomically, and
//! checked before they are trusted.
//!
//! Wasmtime's `deserialize` assumes its input is a well-formed artifact of
//! this engine; a truncated or corrupted file must never reach it. Each
//! entry therefore carries a header with the payload's length and SHA-256,
//! verified on load. An entry that fails the check, or that wasmtime
//! rejects (another engine version), is ignored and replaced.

use std::hash::{Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

const MAGIC: &[u8; 8] = b"WKCACHE1";
const HEADER_LEN: usize = MAGIC.len() + 8 + 32;

/// A directory of precompiled artifacts.
#[derive(Clone, Debug)]
pub struct CompileCache {
    dir: PathBuf,
    engine_key: u64,
}

/// Why a cache entry was not used.
#[derive(Debug, PartialEq, Eq)]
pub enum Miss {
    /// No entry.
    Absent,
    /// The entry is truncated, corrupted, or not ours.
    Corrupt,
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

    /// A cache in `dir` for artifacts of `engine`.
    pub fn new(dir: PathBuf, engine: &wasmtime::Engine) -> CompileCache {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        CompileCache {
            dir,
            engine_key: hasher.finish(),
        }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The entry path for an input.
    pub fn entry_path(&self, input: &[u8], kind: &str) -> PathBuf {
        let digest = Sha256::digest(input);
        let mut name = String::with_capacity(96);
        for b in &digest[..20] {
            name.push_str(&format!("{b:02x}"));
        }
        self.dir
            .join(format!("{name}-{:016x}.{kind}.cwasm", self.engine_key))
    }

    /// Reads and checks an entry. Returns the serialized artifact only when
    /// its header, length and checksum agree.
    pub fn load(&self, entry: &Path) -> Result<Vec<u8>, Miss> {
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
        Ok(data)
    }

    /// Writes an entry atomically: a temporary file in the cache directory,
    /// then a rename, so that readers see either nothing or a whole entry
    /// even when several processes fill the cache at once. Failures are
    /// returned for the caller to report; they never stop a run.
    pub fn store(&self, entry: &Path, serialized: &[u8]) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        let mut tmp = tempfile::Builder::new()
            .prefix(".tmp-")
            .tempfile_in(&self.dir)?;
        tmp.write_all(MAGIC)?;
        tmp.write_all(&(serialized.len() as u64).to_le_bytes())?;
        tmp.write_all(&Sha256::digest(serialized))?;
        tmp.write_all(serialized)?;
        // No fsync: after a crash an entry may be renamed into place with
        // missing data, and the checksum turns that into a miss.
        tmp.persist(entry).map_err(|e| e.error)?;
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
