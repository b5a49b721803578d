//! Static checks: what the host decides about a module before running any
//! of it — its ABI marker ([`marker`]), allocator, start-up model and the
//! shapes of its callbacks ([`exports`]), and whether the host provides
//! every import ([`imports`]) — read from the module as wasmtime compiled
//! it ([`shape`]).

mod exports;
mod imports;
mod marker;
mod shape;

pub(crate) use shape::{ModuleShape, looks_like_proxy_wasm};

use super::abi::{Abi, Host};
use super::report::{Check, ProxyWasmReport};

/// How the host starts the module.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StartModel {
    /// `_initialize`, then `main` if exported.
    Reactor { main: bool },
    /// Only `_start`.
    Command,
    /// Neither: nothing runs before the first callback.
    Nothing,
}

/// What the static checks decided.
#[derive(Clone, Copy, Debug)]
pub(crate) struct StaticVerdict {
    /// The ABI the host runs the module with, when it knows its marker.
    pub(crate) abi: Option<Abi>,
    /// Whether the host would load the module at all.
    pub(crate) loadable: bool,
    pub(crate) start: StartModel,
    /// The allocator export the host uses.
    pub(crate) allocator: Option<&'static str>,
}

/// Runs every static check, adding checks and diagnostics to `report`.
pub(crate) fn run(shape: &ModuleShape, host: Host, report: &mut ProxyWasmReport) -> StaticVerdict {
    let abi = marker::check_marker(shape, host, report);
    let allocator = exports::check_allocator(shape, report);
    let start = exports::check_start(shape, report);
    let mut loadable = abi.is_some() && allocator.is_some();
    match abi {
        Some(abi) => {
            loadable &= exports::check_callbacks(shape, host, abi, report);
            loadable &= imports::check_imports(shape, host, abi, report);
        }
        None => {
            let why = "not checked: the module has no ABI marker this host knows";
            report.checks.push(Check::new("callbacks", false, why));
            report.checks.push(Check::new("imports", false, why));
        }
    }
    StaticVerdict {
        abi,
        loadable,
        start,
        allocator,
    }
}
