//! Integration tests: the real `cargo-wasmkit` binary, run the way cargo
//! runs it (first argument `wasmkit`), on fixture projects copied into
//! temporary directories.

// Test modules: `pub` marks what sibling modules use.
#![allow(unreachable_pub)]

mod support;

mod build;
mod catalogue;
mod config;
mod invoke;
mod new;
mod verify;
