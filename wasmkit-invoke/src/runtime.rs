//! The engines every command runs wasm on: wasmtime with epoch interruption
//! for time limits, optional fuel metering, the compile cache, and the
//! choice of compiler for each artifact ([`OptLevel`]).

use std::sync::{Arc, OnceLock};

use wasmkit_core::{Diagnostic, codes, display_path};
use wasmtime::component::Component;
use wasmtime::{Config, Engine, Module, Strategy};

use crate::cache::{CompileCache, Miss, SizeCap};
use crate::input::{WasmInput, WasmKind};
use crate::limits::EPOCH_TICK;

/// How hard to optimise the machine code of an artifact (`--opt-level`).
///
/// In the inner loop almost every artifact is new, and a one-shot run
/// (a verify, a scenario, a first invoke) waits on its compile, so the
/// default compiles fast and optimises only where the compile pays back.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OptLevel {
    /// The documented rule: an artifact seen for the first time is compiled
    /// with the baseline compiler; the second run of an unchanged artifact
    /// (its baseline code already in the cache) compiles it optimised, and
    /// every later run loads that optimised code. Without a cache, every
    /// run is a first run.
    #[default]
    Auto,
    /// Winch, wasmtime's baseline compiler (one pass, no optimisation);
    /// Cranelift without optimisation where Winch cannot compile the
    /// artifact (a proposal it does not implement).
    Baseline,
    /// Cranelift, optimising for speed: what `wasmtime run` does.
    Speed,
}

/// The compiler that produced an artifact's code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tier {
    /// Winch.
    Winch,
    /// Cranelift with optimisation off (Winch could not compile it).
    CraneliftNone,
    /// Cranelift optimising for speed.
    CraneliftSpeed,
}

impl Tier {
    /// Its name, as `-v` prints it and cache entry names carry it.
    pub fn name(self) -> &'static str {
        match self {
            Tier::Winch => "winch",
            Tier::CraneliftNone => "cranelift-o0",
            Tier::CraneliftSpeed => "cranelift",
        }
    }
}

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
    /// Which compiler to use.
    pub opt_level: OptLevel,
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
            opt_level: OptLevel::Auto,
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

impl Compiled {
    /// The engine it was compiled for: its stores and linkers must use it.
    pub fn engine(&self) -> &Engine {
        match self {
            Compiled::Component(c) => c.engine(),
            Compiled::Module(m) => m.engine(),
        }
    }
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

/// One compile: the code, where it came from, which compiler made it and
/// why that one.
#[derive(Clone, Debug)]
pub struct Compilation {
    /// The compiled artifact.
    pub compiled: Compiled,
    /// Cache hit, stored, ...
    pub cache: CacheOutcome,
    /// The compiler of its code.
    pub tier: Tier,
    /// Why that compiler, for `-v`.
    pub why: String,
}

/// The engines of one runtime, one per compiler, each made when first
/// needed (an engine costs a timer thread and some setup).
#[derive(Debug)]
struct Engines {
    config: RuntimeOptions,
    winch: OnceLock<Result<Engine, String>>,
    cranelift_none: OnceLock<Result<Engine, String>>,
    cranelift_speed: OnceLock<Result<Engine, String>>,
}

/// The engines, their epoch tickers and the compile cache.
#[derive(Clone, Debug)]
pub struct Runtime {
    engines: Arc<Engines>,
    cache_dir: Option<std::path::PathBuf>,
    cache_cap: u64,
    fuel: bool,
}

impl Runtime {
    /// Sets up the runtime; each engine is created when first used.
    pub fn new(options: &RuntimeOptions) -> Result<Runtime, Diagnostic> {
        let cache_cap = match options.cache_dir {
            Some(_) => SizeCap::from_env()?.bytes,
            None => 0,
        };
        let runtime = Runtime {
            engines: Arc::new(Engines {
                config: options.clone(),
                winch: OnceLock::new(),
                cranelift_none: OnceLock::new(),
                cranelift_speed: OnceLock::new(),
            }),
            cache_dir: options.cache_dir.clone(),
            cache_cap,
            fuel: options.fuel,
        };
        // The engine this runtime starts with, so that a broken setup is
        // reported before anything is compiled.
        runtime.engine_for(match options.opt_level {
            OptLevel::Speed => Tier::CraneliftSpeed,
            OptLevel::Auto | OptLevel::Baseline => Tier::Winch,
        })?;
        Ok(runtime)
    }

    /// Whether fuel is metered.
    pub fn meters_fuel(&self) -> bool {
        self.fuel
    }

    /// The engine of one compiler.
    pub fn engine_for(&self, tier: Tier) -> Result<&Engine, Diagnostic> {
        let e = &self.engines;
        let cell = match tier {
            Tier::Winch => &e.winch,
            Tier::CraneliftNone => &e.cranelift_none,
            Tier::CraneliftSpeed => &e.cranelift_speed,
        };
        cell.get_or_init(|| new_engine(&e.config, tier))
            .as_ref()
            .map_err(|e| {
                Diagnostic::error(
                    codes::INSTANTIATE_FAILED,
                    format!("cannot create the wasm engine: {e}"),
                )
            })
    }

    /// Compiles an input, through the cache when it is on.
    pub fn compile(&self, input: &WasmInput) -> Result<(Compiled, CacheOutcome), Diagnostic> {
        self.compile_with_info(input).map(|c| (c.compiled, c.cache))
    }

    /// Compiles an input with the compiler the options choose, through the
    /// cache when it is on, and says which compiler and why.
    pub fn compile_with_info(&self, input: &WasmInput) -> Result<Compilation, Diagnostic> {
        match self.engines.config.opt_level {
            OptLevel::Speed => {
                self.compile_tier(input, Tier::CraneliftSpeed, "optimised (--opt-level speed)")
            }
            OptLevel::Baseline => self.compile_baseline(
                input,
                "baseline (--opt-level baseline, the default of verify, build and test)",
            ),
            OptLevel::Auto => {
                let speed = self.engine_for(Tier::CraneliftSpeed)?;
                if self.cached(input, speed, Tier::CraneliftSpeed) {
                    return self.compile_tier(
                        input,
                        Tier::CraneliftSpeed,
                        "optimised code of an artifact run before",
                    );
                }
                let winch = self.engine_for(Tier::Winch)?;
                if self.cached(input, winch, Tier::Winch) {
                    // The second run of an unchanged artifact: it is worth
                    // optimising now, for this run and every later one.
                    return self.compile_tier(
                        input,
                        Tier::CraneliftSpeed,
                        "optimised: the second run of an unchanged artifact",
                    );
                }
                self.compile_baseline(input, "baseline: the first run of this artifact")
            }
        }
    }

    /// Winch, or Cranelift without optimisation where Winch cannot.
    fn compile_baseline(&self, input: &WasmInput, why: &str) -> Result<Compilation, Diagnostic> {
        match self.compile_tier(input, Tier::Winch, why) {
            Ok(c) => Ok(c),
            Err(winch) => {
                let note = winch.notes.last().cloned().unwrap_or(winch.message);
                self.compile_tier(
                    input,
                    Tier::CraneliftNone,
                    &format!(
                        "{why}; Cranelift without optimisation, as Winch cannot compile it ({note})"
                    ),
                )
            }
        }
    }

    /// Whether the cache holds a trusted entry of `tier` for the input.
    fn cached(&self, input: &WasmInput, engine: &Engine, tier: Tier) -> bool {
        self.cache(engine, tier)
            .is_some_and(|c| c.is_trusted() && c.entry_path(&input.bytes, kind(input)).exists())
    }

    fn cache(&self, engine: &Engine, tier: Tier) -> Option<CompileCache> {
        let dir = self.cache_dir.clone()?;
        Some(
            CompileCache::new(dir, engine)
                .with_salt(tier.name())
                .with_max_bytes(self.cache_cap),
        )
    }

    fn compile_tier(
        &self,
        input: &WasmInput,
        tier: Tier,
        why: &str,
    ) -> Result<Compilation, Diagnostic> {
        let engine = self.engine_for(tier)?;
        let done = |compiled, cache| Compilation {
            compiled,
            cache,
            tier,
            why: why.to_string(),
        };
        let Some(cache) = self.cache(engine, tier) else {
            return Ok(done(compile_fresh(engine, input)?, CacheOutcome::Disabled));
        };
        let entry = cache.entry_path(&input.bytes, kind(input));
        let mut outcome = CacheOutcome::Stored;
        match cache.load(&entry) {
            Ok(serialized) => {
                if let Some(compiled) = deserialize(engine, input.kind, &serialized) {
                    return Ok(done(compiled, CacheOutcome::Hit));
                }
                outcome = CacheOutcome::ReplacedCorrupt;
            }
            Err(Miss::Corrupt) => outcome = CacheOutcome::ReplacedCorrupt,
            Err(Miss::Absent) if cache.is_trusted() => {}
            Err(Miss::Absent | Miss::Untrusted) => {
                return Ok(done(compile_fresh(engine, input)?, CacheOutcome::Untrusted));
            }
        }
        let compiled = compile_fresh(engine, input)?;
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
        Ok(done(compiled, outcome))
    }
}

fn kind(input: &WasmInput) -> &'static str {
    match input.kind {
        WasmKind::Component => "component",
        WasmKind::Module => "module",
    }
}

/// An engine for one compiler, with the runtime's limits, and the thread
/// that advances its epoch.
fn new_engine(options: &RuntimeOptions, tier: Tier) -> Result<Engine, String> {
    let mut config = Config::new();
    config.epoch_interruption(options.timeouts);
    config.consume_fuel(options.fuel);
    match tier {
        Tier::Winch => {
            config.strategy(Strategy::Winch);
        }
        Tier::CraneliftNone => {
            config.strategy(Strategy::Cranelift);
            config.cranelift_opt_level(wasmtime::OptLevel::None);
        }
        Tier::CraneliftSpeed => {
            config.strategy(Strategy::Cranelift);
            config.cranelift_opt_level(wasmtime::OptLevel::Speed);
        }
    }
    let engine = Engine::new(&config).map_err(|e| e.to_string())?;
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
        .map_err(|e| format!("cannot start the timer thread: {e}"))?;
    Ok(engine)
}

fn deserialize(engine: &Engine, kind: WasmKind, serialized: &[u8]) -> Option<Compiled> {
    // SAFETY: wasmtime runs these bytes as compiled code, trusting them
    // to be what `serialize` wrote. They come from a cache entry that
    // only this user (or root) can have written: the cache refuses an
    // entry when it or its directory is owned by another user or
    // writable by group or others. Its length and SHA-256 check only
    // rules out a truncated or half-written entry, not a forged one.
    // The entry's name carries the engine's compatibility hash and the
    // compiler, and wasmtime checks its own header (version,
    // configuration) and returns an error on a mismatch, which is treated
    // as a miss. What remains is a tamper by this same user, who can run
    // code as themselves anyway.
    #[allow(unsafe_code)]
    unsafe {
        match kind {
            WasmKind::Component => Component::deserialize(engine, serialized)
                .ok()
                .map(Compiled::Component),
            WasmKind::Module => Module::deserialize(engine, serialized)
                .ok()
                .map(Compiled::Module),
        }
    }
}

fn compile_fresh(engine: &Engine, input: &WasmInput) -> Result<Compiled, Diagnostic> {
    let result = match input.kind {
        WasmKind::Component => {
            Component::from_binary(engine, &input.bytes).map(Compiled::Component)
        }
        WasmKind::Module => Module::from_binary(engine, &input.bytes).map(Compiled::Module),
    };
    result.map_err(|e| invalid_wasm(input, &e))
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
mod tests;
