//! Building plugins with their own settings, verifying the artifacts, and
//! creating new plugins.
//!
//! This crate owns `cargo wasmkit build`: planning the cargo invocations
//! for the selected plugins (`plan`), running cargo and reading its JSON
//! messages, checking (and installing) wasm targets ([`toolchain`]),
//! wrapping core modules into components (`component`), and the
//! artifacts with their records ([`artifact`]), which `invoke` and `verify`
//! read. [`build()`] ties these together, and [`pipeline`] runs a build and
//! then verify under the build directory's lock, and decides what
//! `invoke -p` runs. It also owns `verify` ([`verify`]:
//! what an artifact is and whether it works in its host, running wasm only
//! through `wasmkit-invoke`: its runtime and limits, and for proxy-wasm
//! modules its checks and mock host), `test` ([`test`]: scenario files run
//! through the same host models) and `new` ([`scaffold`]).
//!
//! The build takes resolved settings from `wasmkit-core` and must not read
//! configuration itself; it prints nothing on stdout but cargo's own JSON
//! messages, passed through with `--message-format json` (the binary
//! prints the records and the diagnostics).

pub mod artifact;
mod build;
mod cargo;
mod component;
mod display;
mod explain;
pub mod invoke_target;
mod pipe;
pub mod pipeline;
mod plan;
pub mod scaffold;
pub mod test;
pub mod toolchain;
pub mod verify;

pub use artifact::{ArtifactLocation, ArtifactRecord, ArtifactState, is_up_to_date, locate};
pub use build::{BuildOptions, BuildOutcome, BuiltArtifact, build};
pub use invoke_target::{InvokeRequest, InvokeTarget};
pub use pipeline::{BuildDirLock, BuildSteps, build_and_verify, plugin_artifact};
