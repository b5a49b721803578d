//! The properties the fuzz targets check, one module per target.
//!
//! Each module is also included, with `#[path]`, by the regression test of
//! the library crate it exercises (`wasmkit-*/tests/fuzz_regressions.rs`),
//! which replays every file under `fuzz/regressions/<target>/`; so a
//! crash the fuzzer found is checked by `cargo test` with the very same
//! assertions. These modules must therefore build on stable Rust with only
//! the library crates' own dependencies.

pub mod buildrc;
pub mod check;
pub mod verify;
pub mod wave_call;
