//! Everything that runs wasm for cargo-wasmkit.
//!
//! This crate owns the engine ([`runtime`]: wasmtime with epoch
//! interruption and the compile [`cache`]), reading inputs ([`input`]:
//! `.wasm` or `.wat`), guest [`limits`] (time, fuel, memory) and their
//! diagnostics, the WASI [`sandbox`], and calls with WAVE arguments.
//!
//! It must not plan or run cargo builds (that is `wasmkit-build`'s), and it
//! reports every problem as a `wasmkit_core::Diagnostic`.

pub mod cache;
pub mod input;
pub mod limits;
pub mod runtime;
pub mod sandbox;

/// The wasmtime this crate runs on, for crates that host guests themselves.
pub use wasmtime;
/// The WASI implementation matching [`wasmtime`].
pub use wasmtime_wasi;
