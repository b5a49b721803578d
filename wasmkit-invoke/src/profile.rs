//! The `wasmtime` host profile for components: the interfaces a
//! component's imports are linked to (which of them it provides is asked of
//! this linker, in [`crate::imports`]).
//!
//! The profile is what `wasmtime serve -S cli=y` links: every WASI 0.2
//! interface of wasmtime-wasi, plus `wasi:http/types` and
//! `wasi:http/outgoing-handler` of wasmtime-wasi-http. WAVE calls and
//! `verify` link it synchronously ([`add_to_linker_sync`]); HTTP requests
//! are served on the asynchronous linker ([`add_to_linker_async`]), as
//! `wasmtime serve` serves them.

use wasmkit_core::{Diagnostic, codes};
use wasmtime::component::Linker;

use crate::component::ComponentState;

/// Adds the profile's interfaces, with synchronous host functions.
pub fn add_to_linker_sync(linker: &mut Linker<ComponentState>) -> Result<(), Diagnostic> {
    wasmtime_wasi::p2::add_to_linker_sync(linker)
        .and_then(|()| wasmtime_wasi_http::p2::add_only_http_to_linker_sync(linker))
        .map_err(|e| setup_failed(&e))
}

/// Adds the profile's interfaces, with asynchronous host functions (for
/// calls made with `call_async`).
pub fn add_to_linker_async(linker: &mut Linker<ComponentState>) -> Result<(), Diagnostic> {
    wasmtime_wasi::p2::add_to_linker_async(linker)
        .and_then(|()| wasmtime_wasi_http::p2::add_only_http_to_linker_async(linker))
        .map_err(|e| setup_failed(&e))
}

fn setup_failed(e: &wasmtime::Error) -> Diagnostic {
    Diagnostic::error(
        codes::INSTANTIATE_FAILED,
        format!("cannot set up the wasmtime host profile: {e}"),
    )
}
