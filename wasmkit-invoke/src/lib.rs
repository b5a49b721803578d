//! Everything that runs wasm for cargo-wasmkit.
//!
//! This crate owns the engine ([`runtime`]: wasmtime with epoch
//! interruption and the compile [`cache`]), reading inputs ([`input`]:
//! `.wasm` or `.wat`), guest [`limits`] (time, fuel, memory) and their
//! diagnostics, the WASI [`sandbox`], and calls with WAVE arguments on a
//! component or core module instance ([`session`]): names bound with
//! `let` and resource handles ([`bindings`]), a component's [`exports`] and
//! [`imports`] (with [`mocks`] for those nothing provides), and what
//! `--list` shows ([`listing`]). The imports the host [`profile`] provides,
//! requests to HTTP components ([`http`]), and the proxy-wasm mock host with
//! the static checks that decide whether a host loads a module
//! ([`proxy_wasm`]), which `wasmkit-build`'s `verify` drives.
//!
//! It must not plan or run cargo builds (that is `wasmkit-build`'s), and it
//! reports every problem as a `wasmkit_core::Diagnostic`.

mod args;
pub mod batch;
pub mod bindings;
pub mod cache;
pub mod call;
pub mod calls;
pub mod completion;
pub mod component;
mod drops;
pub mod exports;
pub mod flags;
pub mod http;
pub mod imports;
pub mod input;
pub mod interrupt;
pub mod limits;
mod line;
pub mod listing;
pub mod mocks;
pub mod module;
pub mod names;
pub mod profile;
pub mod proxy_wasm;
pub mod repl;
pub mod runner;
pub mod runtime;
pub mod sandbox;
pub mod session;
pub mod values;
pub mod wit;

/// The wasmtime this crate runs on, for crates that host guests themselves.
pub use wasmtime;
/// The WASI implementation matching [`wasmtime`].
pub use wasmtime_wasi;

pub use call::CallSource;
pub use imports::ImportCall;
pub use input::{WasmInput, WasmKind};
pub use limits::Limits;
pub use listing::Catalog;
pub use runtime::{Runtime, RuntimeOptions};
pub use sandbox::{OutputSink, SandboxOptions};
pub use session::{CallOutput, Session, SessionOptions};
