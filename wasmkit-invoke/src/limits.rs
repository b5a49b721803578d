//! Guest limits shared by `invoke` and `verify`: a time limit per call
//! (epoch interruption), optional fuel, a cap on linear memory (a store
//! limiter), and the translation of what stopped a guest into a diagnostic
//! that names the call.

use std::time::Duration;

use wasmkit_core::{Diagnostic, codes};
use wasmtime::{ResourceLimiter, Store, Trap, WasmBacktrace};

/// How often the engine's epoch advances; the resolution of time limits.
pub const EPOCH_TICK: Duration = Duration::from_millis(5);

/// A deadline, in ticks, that no run reaches (about 45 million years), with
/// room left for the current epoch to be added to it.
const NO_DEADLINE: u64 = u64::MAX / 4;

/// The default cap on a guest's linear memory.
pub const DEFAULT_MAX_MEMORY: usize = 1 << 30;

/// Limits for one guest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Wall-clock limit per call; `None` is unlimited. A limit needs a
    /// runtime created with `timeouts`.
    pub timeout: Option<Duration>,
    /// Fuel per call; `None` is unlimited (and the engine does not meter).
    pub fuel: Option<u64>,
    /// Cap on the total linear memory of the guest, in bytes.
    pub max_memory: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            timeout: None,
            fuel: None,
            max_memory: DEFAULT_MAX_MEMORY,
        }
    }
}

impl Limits {
    /// Arms the limits for the next call on `store`: a fresh epoch deadline
    /// and a fresh tank of fuel.
    pub fn arm<T>(&self, store: &mut Store<T>) -> wasmtime::Result<()> {
        // wasmtime adds the deadline to the current epoch, so "no limit" is
        // a deadline far beyond any run, not `u64::MAX`.
        let ticks = match self.timeout {
            Some(t) => {
                let tick = EPOCH_TICK.as_nanos().max(1);
                u64::try_from(t.as_nanos().div_ceil(tick))
                    .unwrap_or(NO_DEADLINE)
                    .clamp(1, NO_DEADLINE)
                    + 1
            }
            None => NO_DEADLINE,
        };
        store.set_epoch_deadline(ticks);
        if let Some(fuel) = self.fuel {
            store.set_fuel(fuel)?;
        }
        Ok(())
    }
}

/// A store limiter that caps linear memory and remembers a refused growth,
/// so that the trap that usually follows (an allocator aborting) can be
/// reported as what it is.
#[derive(Debug)]
pub struct GuestLimiter {
    max_memory: usize,
    total: usize,
    refused: Option<usize>,
    /// Set when calls are interruptible ([`crate::interrupt`]).
    pub(crate) watch: Option<crate::interrupt::Watch>,
}

impl GuestLimiter {
    /// A limiter with a cap in bytes.
    pub fn new(max_memory: usize) -> GuestLimiter {
        GuestLimiter {
            max_memory,
            total: 0,
            refused: None,
            watch: None,
        }
    }

    /// The size a refused growth asked for, if any since the last reset.
    pub fn refused(&self) -> Option<usize> {
        self.refused
    }

    /// The cap.
    pub fn max_memory(&self) -> usize {
        self.max_memory
    }

    /// Forgets an earlier refusal (before the next call).
    pub fn reset(&mut self) {
        self.refused = None;
    }
}

impl ResourceLimiter for GuestLimiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let total = self.total - current.min(self.total) + desired;
        if total > self.max_memory {
            self.refused = Some(total);
            return Ok(false);
        }
        self.total = total;
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        // Tables hold pointers; a million elements is far beyond what real
        // plugins use and keeps a runaway table from eating host memory.
        Ok(desired <= 1_000_000)
    }
}

/// Store data that carries a [`GuestLimiter`].
pub trait HasLimiter {
    /// The limiter.
    fn limiter(&mut self) -> &mut GuestLimiter;
}

impl HasLimiter for GuestLimiter {
    fn limiter(&mut self) -> &mut GuestLimiter {
        self
    }
}

/// Runs `f` (a call into the guest) under `limits`: the limiter forgets
/// earlier refusals, the deadline and fuel are re-armed, and any failure is
/// turned into a diagnostic naming `name`.
pub fn guarded<T: HasLimiter, R>(
    store: &mut Store<T>,
    limits: &Limits,
    name: &str,
    f: impl FnOnce(&mut Store<T>) -> wasmtime::Result<R>,
) -> Result<R, Diagnostic> {
    store.data_mut().limiter().reset();
    let result = limits.arm(store).and_then(|()| {
        crate::interrupt::arm(store, limits);
        f(store)
    });
    result.map_err(|e| {
        guest_error(
            &e,
            CallContext { name, limits },
            Some(store.data_mut().limiter()),
        )
    })
}

/// What a call was, for messages: its name, and the limits it ran under.
#[derive(Clone, Copy, Debug)]
pub struct CallContext<'a> {
    /// The function or callback, as the user knows it.
    pub name: &'a str,
    /// The limits.
    pub limits: &'a Limits,
}

/// Turns an error from calling into (or instantiating) a guest into a
/// diagnostic naming the call: timeouts, fuel, stack overflow, memory cap,
/// traps with their wasm backtrace, and guest exits.
pub fn guest_error(
    error: &wasmtime::Error,
    call: CallContext<'_>,
    limiter: Option<&GuestLimiter>,
) -> Diagnostic {
    let name = call.name;
    let mut d = if let Some(trap) = error.downcast_ref::<Trap>() {
        match *trap {
            Trap::Interrupt
                if limiter
                    .and_then(|l| l.watch.as_ref())
                    .is_some_and(crate::interrupt::Watch::interrupted) =>
            {
                Diagnostic::error(codes::INTERRUPTED, format!("`{name}` was interrupted"))
                    .with_note("Ctrl-C stopped the guest while it was running")
            }
            Trap::Interrupt => {
                let after = call.limits.timeout.map_or_else(
                    || "its time limit".to_string(),
                    |t| humantime::format_duration(t).to_string(),
                );
                Diagnostic::error(codes::TIMEOUT, format!("`{name}` timed out after {after}"))
                    .with_note("the guest was still running when its time limit expired (an endless loop?)")
                    .with_help("if it just needs longer, raise the limit with `--timeout`")
            }
            Trap::OutOfFuel => {
                let fuel = call.limits.fuel.unwrap_or_default();
                Diagnostic::error(
                    codes::OUT_OF_FUEL,
                    format!("`{name}` ran out of fuel ({fuel} units)"),
                )
                .with_help("raise the limit with `--fuel`, or leave it out")
            }
            Trap::StackOverflow => Diagnostic::error(
                codes::STACK_OVERFLOW,
                format!("`{name}` overflowed the call stack"),
            )
            .with_note("wasm trap: call stack exhausted (runaway recursion?)"),
            _ => memory_or_trap(name, trap, limiter),
        }
    } else if let Some(exit) = error.downcast_ref::<wasmtime_wasi::I32Exit>() {
        Diagnostic::error(
            codes::GUEST_EXIT,
            format!("`{name}` exited the guest with status {}", exit.0),
        )
        .with_note("the guest called `exit`; its instance cannot be used any more")
    } else if let Some(refused) = limiter.and_then(GuestLimiter::refused) {
        memory_diagnostic(name, refused, limiter.map_or(0, GuestLimiter::max_memory))
    } else {
        let mut d = Diagnostic::error(
            codes::TRAP,
            format!("`{name}` failed: {}", root_message(error)),
        );
        for cause in error.chain().skip(1) {
            let text = cause.to_string();
            if !d.notes.contains(&text) && !d.message.ends_with(&text) {
                d = d.with_note(text);
            }
        }
        d
    };
    if let Some(bt) = error.downcast_ref::<WasmBacktrace>() {
        let frames = backtrace_lines(&bt.to_string());
        if !frames.is_empty() {
            d = d.with_note(format!("wasm backtrace:\n{}", frames.join("\n")));
        }
    }
    d
}

/// The most frames a backtrace note shows.
const MAX_FRAMES: usize = 24;

/// wasmtime's backtrace text without its header, with runs of the same
/// frame (deep recursion) collapsed, and at most [`MAX_FRAMES`] frames.
fn backtrace_lines(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut last_frame = String::new();
    let mut repeats = 0usize;
    let mut shown = 0usize;
    let mut hidden = 0usize;
    let frame_of = |line: &str| -> String {
        // "  12:   0x45bd - echo.wasm!f" → "0x45bd - echo.wasm!f"
        line.trim_start()
            .split_once(':')
            .map_or(line, |(_, rest)| rest)
            .trim()
            .to_string()
    };
    let flush_repeats = |lines: &mut Vec<String>, repeats: usize| {
        if repeats > 0 {
            lines.push(format!("      ... the frame above {repeats} more time(s)"));
        }
    };
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with("error while executing") {
            continue;
        }
        let is_frame = trimmed
            .split_once(':')
            .is_some_and(|(n, _)| n.chars().all(|c| c.is_ascii_digit()));
        if is_frame {
            let frame = frame_of(line);
            if frame == last_frame {
                repeats += 1;
                continue;
            }
            flush_repeats(&mut lines, repeats);
            repeats = 0;
            last_frame = frame;
            if shown >= MAX_FRAMES {
                hidden += 1;
                continue;
            }
            shown += 1;
        } else if shown >= MAX_FRAMES {
            continue;
        }
        lines.push(line.trim_end().to_string());
    }
    flush_repeats(&mut lines, repeats);
    if hidden > 0 {
        lines.push(format!("      ... and {hidden} more frame(s)"));
    }
    lines
}

fn memory_or_trap(name: &str, trap: &Trap, limiter: Option<&GuestLimiter>) -> Diagnostic {
    match limiter.and_then(GuestLimiter::refused) {
        Some(refused) => {
            memory_diagnostic(name, refused, limiter.map_or(0, GuestLimiter::max_memory))
                .with_note(format!("the guest then trapped: {trap}"))
        }
        None => Diagnostic::error(codes::TRAP, format!("`{name}` trapped: {trap}")),
    }
}

fn memory_diagnostic(name: &str, refused: usize, cap: usize) -> Diagnostic {
    Diagnostic::error(
        codes::MEMORY_LIMIT,
        format!(
            "`{name}` tried to grow its memory to {}, beyond the cap of {}",
            format_bytes(refused),
            format_bytes(cap)
        ),
    )
    .with_help("if the guest really needs it, raise the cap with `--max-memory`")
}

fn root_message(error: &wasmtime::Error) -> String {
    error.to_string()
}

/// Bytes for people: `64 MiB`, `1.5 GiB`, `512 B`.
pub fn format_bytes(n: usize) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    #[expect(clippy::cast_precision_loss, reason = "display only")]
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if value.fract() == 0.0 {
        format!("{value:.0} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// Parses a byte size: `1048576`, `64KiB`, `64MiB`, `1GiB`, `1.5G` (K/M/G
/// and KB/MB/GB are taken as powers of 1024 too, as wasmtime does).
pub fn parse_bytes(s: &str) -> Option<usize> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_'))
        .unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let number: f64 = number.replace('_', "").parse().ok()?;
    let multiplier: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" | "kib" => 1024.0,
        "m" | "mb" | "mib" => 1024.0 * 1024.0,
        "g" | "gb" | "gib" => 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    let bytes = number * multiplier;
    if !bytes.is_finite() || !(0.0..=1e18).contains(&bytes) {
        return None;
    }
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "range checked above"
    )]
    Some(bytes as usize)
}

/// Parses a duration: `500ms`, `2s`, `1m 30s` (humantime), or `off`/`none`
/// for no limit.
pub fn parse_timeout(s: &str) -> Result<Option<Duration>, String> {
    match s.trim() {
        "off" | "none" | "0" => Ok(None),
        other => humantime::parse_duration(other)
            .map(Some)
            .map_err(|e| e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_sizes() {
        assert_eq!(parse_bytes("1024"), Some(1024));
        assert_eq!(parse_bytes("64MiB"), Some(64 << 20));
        assert_eq!(parse_bytes("64M"), Some(64 << 20));
        assert_eq!(parse_bytes("1.5GiB"), Some(3 << 29));
        assert_eq!(parse_bytes("12 parsecs"), None);
        assert_eq!(parse_bytes(""), None);
        assert_eq!(format_bytes(64 << 20), "64 MiB");
        assert_eq!(format_bytes(3 << 29), "1.5 GiB");
        assert_eq!(format_bytes(100), "100 B");
    }

    #[test]
    fn timeouts() {
        assert_eq!(parse_timeout("500ms"), Ok(Some(Duration::from_millis(500))));
        assert_eq!(parse_timeout("off"), Ok(None));
        assert!(parse_timeout("soon").is_err());
    }

    #[test]
    fn backtraces_are_trimmed() {
        let mut text = String::from("error while executing at wasm backtrace:\n");
        text.push_str("    0: echo.wasm!descend\n");
        for i in 1..5000 {
            text.push_str(&format!("    {i}:   0x45bd - echo.wasm!descend\n"));
        }
        text.push_str("    5000:   0x10 - echo.wasm!main\n");
        let lines = backtrace_lines(&text);
        assert_eq!(
            lines,
            vec![
                "    0: echo.wasm!descend",
                "    1:   0x45bd - echo.wasm!descend",
                "      ... the frame above 4998 more time(s)",
                "    5000:   0x10 - echo.wasm!main",
            ]
        );
    }

    #[test]
    fn arming_without_a_limit_does_not_overflow() {
        let mut config = wasmtime::Config::new();
        config.epoch_interruption(true);
        let engine = wasmtime::Engine::new(&config).unwrap();
        for _ in 0..3 {
            engine.increment_epoch();
        }
        let mut store = Store::new(&engine, ());
        Limits::default().arm(&mut store).unwrap();
        let huge = Limits {
            timeout: Some(Duration::from_secs(u64::MAX)),
            ..Limits::default()
        };
        huge.arm(&mut store).unwrap();
        // A module that loops briefly runs to the end under both.
        let module = wasmtime::Module::new(
            &engine,
            "(module (func (export \"f\") (local i32) (loop (local.set 0 (i32.add (local.get 0) (i32.const 1))) (br_if 0 (i32.lt_u (local.get 0) (i32.const 1000))))))",
        )
        .unwrap();
        let instance = wasmtime::Instance::new(&mut store, &module, &[]).unwrap();
        let f = instance.get_typed_func::<(), ()>(&mut store, "f").unwrap();
        Limits::default().arm(&mut store).unwrap();
        f.call(&mut store, ()).unwrap();
    }

    #[test]
    fn limiter_counts_all_memories() {
        let mut l = GuestLimiter::new(100);
        assert!(l.memory_growing(0, 60, None).unwrap());
        assert!(!l.memory_growing(0, 60, None).unwrap());
        assert_eq!(l.refused(), Some(120));
        assert!(l.memory_growing(60, 100, None).unwrap());
    }
}
