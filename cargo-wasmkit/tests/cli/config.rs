//! `cargo wasmkit config` tests.
