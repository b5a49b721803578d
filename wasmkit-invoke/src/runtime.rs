//! The engine every command runs wasm on: wasmtime with epoch interruption
//! for time limits, optional fuel metering, and the compile cache.

use wasmkit_core::{Diagnostic, codes, display_path};
use wasmtime::component::Component;
use wasmtime::{Config, Engine, Module};

use crate::cache::{CompileCache, Miss, SizeCap};
use crate::input::{WasmInput, WasmKind};
use crate::limits::EPOCH_TICK;

/// How the runtime is set up.
#[derive(Clone, Debug, Default)]
pub struct RuntimeOptions {
    /// Meter fuel (compiles different code, so it is off unless asked for).
    pub fuel: bool,
    /// Allow time limits on calls. Compiled code then checks the engine's
    /// epoch at every function entry and loop header, which makes compiling
    /// about a sixth slower (as `wasmtime run -W timeout=...` is), so
    /// `invoke` turns it on only for `--timeout`; verify always does.
    pub timeouts: bool,
    /// Use the compile cache in this directory; `None` disables it.
    pub cache_dir: Option<std::path::PathBuf>,
}

impl RuntimeOptions {
    /// Options with the default cache directory, unless `no_cache`.
    pub fn with_default_cache(no_cache: bool) -> RuntimeOptions {
        RuntimeOptions {
            fuel: false,
            timeouts: true,
            cache_dir: if no_cache {
                None
            } else {
                CompileCache::default_dir()
            },
        }
    }
}

/// A compiled input.
#[derive(Clone, Debug)]
pub enum Compiled {
    /// A component.
    Component(Component),
    /// A core module.
    Module(Module),
}

/// Where a compiled artifact came from, for `-v` output and tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheOutcome {
    /// Loaded from the cache.
    Hit,
    /// Compiled, and stored in the cache.
    Stored,
    /// A cache entry existed but failed its check; compiled and replaced.
    ReplacedCorrupt,
    /// Compiled; the cache is off.
    Disabled,
    /// Compiled; storing it failed (the reason).
    StoreFailed,
    /// Compiled; the cache was not used because another user could have
    /// written its entries (its directory or the entry is writable by them).
    Untrusted,
}

/// The engine, its epoch ticker and its compile cache.
#[derive(Clone, Debug)]
pub struct Runtime {
    engine: Engine,
    cache: Option<CompileCache>,
    fuel: bool,
}

impl Runtime {
    /// Creates the engine and starts the epoch ticker.
    pub fn new(options: &RuntimeOptions) -> Result<Runtime, Diagnostic> {
        let mut config = Config::new();
        config.epoch_interruption(options.timeouts);
        config.consume_fuel(options.fuel);
        let engine = Engine::new(&config).map_err(|e| {
            Diagnostic::error(
                codes::INSTANTIATE_FAILED,
                format!("cannot create the wasm engine: {e}"),
            )
        })?;
        // The epoch advances on a background thread; a store's deadline is a
        // number of ticks, so a guest that never returns is interrupted. The
        // thread ends when the last clone of the engine is dropped.
        let weak = engine.weak();
        std::thread::Builder::new()
            .name("wasmkit-epoch".into())
            .spawn(move || {
                while let Some(engine) = weak.upgrade() {
                    engine.increment_epoch();
                    drop(engine);
                    std::thread::sleep(EPOCH_TICK);
                }
            })
            .map_err(|e| {
                Diagnostic::error(
                    codes::INSTANTIATE_FAILED,
                    format!("cannot start the timer thread: {e}"),
                )
            })?;
        let cache = match options.cache_dir.clone() {
            Some(dir) => {
                let cap = SizeCap::from_env()?;
                Some(CompileCache::new(dir, &engine).with_max_bytes(cap.bytes))
            }
            None => None,
        };
        Ok(Runtime {
            engine,
            cache,
            fuel: options.fuel,
        })
    }

    /// The engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Whether fuel is metered.
    pub fn meters_fuel(&self) -> bool {
        self.fuel
    }

    /// Compiles an input, through the cache when it is on.
    pub fn compile(&self, input: &WasmInput) -> Result<(Compiled, CacheOutcome), Diagnostic> {
        let kind = match input.kind {
            WasmKind::Component => "component",
            WasmKind::Module => "module",
        };
        let Some(cache) = &self.cache else {
            return Ok((self.compile_fresh(input)?, CacheOutcome::Disabled));
        };
        let entry = cache.entry_path(&input.bytes, kind);
        let mut outcome = CacheOutcome::Stored;
        match cache.load(&entry) {
            Ok(serialized) => {
                if let Some(compiled) = self.deserialize(input.kind, &serialized) {
                    return Ok((compiled, CacheOutcome::Hit));
                }
                outcome = CacheOutcome::ReplacedCorrupt;
            }
            Err(Miss::Corrupt) => outcome = CacheOutcome::ReplacedCorrupt,
            Err(Miss::Absent) if cache.is_trusted() => {}
            Err(Miss::Absent | Miss::Untrusted) => {
                return Ok((self.compile_fresh(input)?, CacheOutcome::Untrusted));
            }
        }
        let compiled = self.compile_fresh(input)?;
        let serialized = match &compiled {
            Compiled::Component(c) => c.serialize(),
            Compiled::Module(m) => m.serialize(),
        };
        let stored = serialized
            .ok()
            .is_some_and(|bytes| cache.store(&entry, &bytes).is_ok());
        if !stored {
            outcome = CacheOutcome::StoreFailed;
        }
        Ok((compiled, outcome))
    }

    fn deserialize(&self, kind: WasmKind, serialized: &[u8]) -> Option<Compiled> {
        // SAFETY: wasmtime runs these bytes as compiled code, trusting them
        // to be what `serialize` wrote. They come from a cache entry that
        // only this user (or root) can have written: the cache refuses an
        // entry when it or its directory is owned by another user or
        // writable by group or others. Its length and SHA-256 check only
        // rules out a truncated or half-written entry, not a forged one.
        // The entry's name carries the engine's compatibility hash, and
        // wasmtime checks its own header (version, configuration) and
        // returns an error on a mismatch, which is treated as a miss. What
        // remains is a tamper by this same user, who can run code as
        // themselves anyway.
        #[allow(unsafe_code)]
        unsafe {
            match kind {
                WasmKind::Component => Component::deserialize(&self.engine, serialized)
                    .ok()
                    .map(Compiled::Component),
                WasmKind::Module => Module::deserialize(&self.engine, serialized)
                    .ok()
                    .map(Compiled::Module),
            }
        }
    }

    fn compile_fresh(&self, input: &WasmInput) -> Result<Compiled, Diagnostic> {
        let result = match input.kind {
            WasmKind::Component => {
                Component::from_binary(&self.engine, &input.bytes).map(Compiled::Component)
            }
            WasmKind::Module => {
                Module::from_binary(&self.engine, &input.bytes).map(Compiled::Module)
            }
        };
        result.map_err(|e| invalid_wasm(input, &e))
    }
}

/// A diagnostic for a binary that wasmtime refuses to compile.
pub fn invalid_wasm(input: &WasmInput, error: &wasmtime::Error) -> Diagnostic {
    let shown = display_path(&input.path);
    let mut d = Diagnostic::error(
        codes::INVALID_WASM,
        format!("`{shown}` is not valid WebAssembly"),
    )
    .with_origin(shown);
    for cause in error.chain() {
        d = d.with_note(cause.to_string());
    }
    if error
        .chain()
        .any(|c| c.to_string().contains("unexpected end"))
    {
        d = d.with_help("the file is truncated: was its build interrupted? rebuild it");
    } else if error.chain().any(|c| {
        let text = c.to_string();
        text.contains("not enabled") || text.contains("must be enabled")
    }) {
        d = d.with_help("the module uses a WebAssembly proposal this wasmtime does not enable");
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn input() -> WasmInput {
        WasmInput::from_bytes(
            Path::new("add.wat"),
            b"(module (func (export \"add\") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))".to_vec(),
        )
        .unwrap()
    }

    fn runtime(dir: &Path, fuel: bool) -> Runtime {
        Runtime::new(&RuntimeOptions {
            fuel,
            timeouts: true,
            cache_dir: Some(dir.to_path_buf()),
        })
        .unwrap()
    }

    #[test]
    fn compiles_once_then_hits() {
        let dir = tempfile::tempdir().unwrap();
        let rt = runtime(dir.path(), false);
        assert_eq!(rt.compile(&input()).unwrap().1, CacheOutcome::Stored);
        assert_eq!(rt.compile(&input()).unwrap().1, CacheOutcome::Hit);
    }

    #[test]
    fn an_entry_written_by_another_engine_is_never_loaded() {
        let dir = tempfile::tempdir().unwrap();
        let plain = runtime(dir.path(), false);
        let fueled = runtime(dir.path(), true);
        // Another engine's artifact, with a valid checksum, placed under
        // this engine's key: wasmtime's own header check refuses it, and
        // the entry is rebuilt.
        let (Compiled::Module(foreign), _) = fueled.compile(&input()).unwrap() else {
            panic!("a module")
        };
        let cache = plain.cache.as_ref().unwrap();
        let entry = cache.entry_path(&input().bytes, "module");
        cache.store(&entry, &foreign.serialize().unwrap()).unwrap();
        let (compiled, outcome) = plain.compile(&input()).unwrap();
        assert_eq!(outcome, CacheOutcome::ReplacedCorrupt);
        assert!(matches!(compiled, Compiled::Module(_)));
        assert_eq!(plain.compile(&input()).unwrap().1, CacheOutcome::Hit);
        // The two engines use different entries to begin with.
        assert_ne!(
            entry,
            fueled
                .cache
                .as_ref()
                .unwrap()
                .entry_path(&input().bytes, "module")
        );
    }

    #[test]
    fn concurrent_fills_leave_a_whole_entry() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().to_path_buf();
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let path = path.clone();
                std::thread::spawn(move || runtime(&path, false).compile(&input()).map(|(_, o)| o))
            })
            .collect();
        for t in threads {
            assert!(t.join().unwrap().is_ok());
        }
        let entries: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(entries.len(), 1, "no temporary files left: {entries:?}");
        assert_eq!(
            runtime(dir.path(), false).compile(&input()).unwrap().1,
            CacheOutcome::Hit
        );
    }
}
