//! Integration tests: the real `cargo-wasmkit` binary, run the way cargo
//! runs it (first argument `wasmkit`), on fixture projects copied into
//! temporary directories.

// Test code: `pub` marks what sibling modules use, and a failed unwrap is
// a failed test.
#![allow(unreachable_pub, clippy::unwrap_used)]

mod support;

mod build;
mod cache;
mod catalogue;
mod config;
mod http;
mod http_api;
mod invoke;
mod invoke_mocks;
mod invoke_resources;
mod locks;
mod new;
mod sccache;
mod verified;
mod verify;
mod zero_config;
