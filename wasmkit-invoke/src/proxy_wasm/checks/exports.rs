//! The checks on what a module exports besides its marker: the allocator
//! the host hands data over with, how the host starts the module (reactor
//! or command), and the shape of every callback the host looks up
//! (`WasmBase::getFunctions` in proxy-wasm-cpp-host `src/wasm.cc`).

use wasmkit_core::{Diagnostic, codes, suggest};

use super::StartModel;
use super::shape::{FuncShape, ItemKind, ModuleShape};
use crate::proxy_wasm::abi::{self, Abi, Host};
use crate::proxy_wasm::report::{Check, ProxyWasmReport};

/// The host prefers `malloc` and falls back to `proxy_on_memory_allocate`
/// (cpp-host: `WasmBase::getFunctions`, `src/wasm.cc`).
pub(super) fn check_allocator(
    shape: &ModuleShape,
    report: &mut ProxyWasmReport,
) -> Option<&'static str> {
    let found = ["malloc", "proxy_on_memory_allocate"]
        .into_iter()
        .find(|name| shape.exports_func(name));
    match found {
        Some(name) => report
            .checks
            .push(Check::new("allocator", true, format!("`{name}`"))),
        None => {
            report.diagnostics.push(
                Diagnostic::error(
                    codes::MISSING_ALLOCATOR,
                    "the module exports no allocator: neither `proxy_on_memory_allocate` nor `malloc`",
                )
                .with_note(
                    "the host hands header values, bodies and configuration to the plugin in \
                     memory it allocates through that export; without it, loading fails with \
                     \"Wasm module is missing malloc function.\"",
                )
                .with_help(
                    "the proxy-wasm SDKs export `proxy_on_memory_allocate`; a raw-ABI module \
                     must export `proxy_on_memory_allocate(size: i32) -> i32` returning memory \
                     the plugin then owns",
                ),
            );
            report.checks.push(Check::new(
                "allocator",
                false,
                "no `proxy_on_memory_allocate` or `malloc`",
            ));
        }
    }
    found
}

pub(super) fn check_start(shape: &ModuleShape, report: &mut ProxyWasmReport) -> StartModel {
    let initialize = shape.exports_func("_initialize");
    let start = shape.exports_func("_start");
    let main = shape.exports_func("main");
    if initialize {
        let detail = if main {
            "`_initialize`, then `main` (a reactor)"
        } else {
            "`_initialize` (a reactor)"
        };
        report.checks.push(Check::new("reactor", true, detail));
        StartModel::Reactor { main }
    } else if start {
        report.diagnostics.push(
            Diagnostic::error(
                codes::COMMAND_MODEL,
                "the module is built as a command: it exports `_start` but no `_initialize`",
            )
            .with_note(
                "the host runs `_start` once when the VM starts; that runs the program's `main` \
                 to its end, after which a Rust or Go runtime has shut down (and may have called \
                 `proc_exit`, which the host forbids during start-up: Higress users saw \
                 \"_start failed ... restricted_callback\"); every later callback runs in a \
                 finished program",
            )
            .with_help(
                "build the plugin as a reactor: for Rust, a `[lib]` with \
                 `crate-type = [\"cdylib\"]` (the SDK's `proxy_wasm::main!` then exports \
                 `_initialize`); for Go, `-buildmode=c-shared`",
            ),
        );
        report.checks.push(Check::new(
            "reactor",
            false,
            "only `_start`: a command-model build",
        ));
        StartModel::Command
    } else {
        report.checks.push(Check::new(
            "reactor",
            true,
            "no `_initialize` or `_start`: nothing runs before the first callback",
        ));
        StartModel::Nothing
    }
}

pub(super) fn check_callbacks(
    shape: &ModuleShape,
    host: Host,
    abi: Abi,
    report: &mut ProxyWasmReport,
) -> bool {
    let mut fitting = 0usize;
    let mut bad = Vec::new();
    for export in shape.exports.iter().filter(|e| e.kind == ItemKind::Func) {
        let name = export.name.as_str();
        let Some(spec) = abi::callback(name, host, abi) else {
            if name.starts_with("proxy_on_") && !abi::is_known_callback(name) {
                let known = abi::CALLBACKS.iter().map(|c| c.name);
                let mut d = Diagnostic::warning(
                    codes::CALLBACK_SIGNATURE,
                    format!("`{name}` is not a callback any proxy-wasm host calls"),
                )
                .with_note("the host looks callbacks up by exact name; this one is never called");
                if let Some(near) = suggest::did_you_mean(name, known) {
                    d = d.with_help(format!("did you mean `{near}`?"));
                }
                report.diagnostics.push(d);
            }
            continue;
        };
        let want = FuncShape::from_callback(spec);
        let Some(have) = &export.func else {
            continue;
        };
        if *have == want {
            fitting += 1;
            continue;
        }
        bad.push(name.to_string());
        report
            .diagnostics
            .push(signature_diagnostic(name, spec, have, &want, host, abi));
    }
    if bad.is_empty() {
        report.checks.push(Check::new(
            "callbacks",
            true,
            format!(
                "{fitting} export(s) the host calls fit ABI {}",
                abi.version()
            ),
        ));
        true
    } else {
        report.checks.push(Check::new(
            "callbacks",
            false,
            format!("wrong shape for ABI {}: {}", abi.version(), bad.join(", ")),
        ));
        false
    }
}

fn signature_diagnostic(
    name: &str,
    spec: &abi::CallbackSpec,
    have: &FuncShape,
    want: &FuncShape,
    host: Host,
    abi: Abi,
) -> Diagnostic {
    let message = if have.params.len() == want.params.len() {
        format!("`{name}` has the wrong signature for ABI {}", abi.version())
    } else {
        format!(
            "`{name}` takes {} parameter(s), but ABI {} calls it with {} ({})",
            have.params.len(),
            abi.version(),
            want.params.len(),
            spec.params.join(", ")
        )
    };
    let mut d = Diagnostic::error(codes::CALLBACK_SIGNATURE, message).with_note(format!(
        "{host} refuses to load the module: \"Bad function signature for: {name}, want: {want}, \
         but the module exports: {have}\""
    ));
    let headers = name == "proxy_on_request_headers" || name == "proxy_on_response_headers";
    if headers && have.params.len() == 2 && want.params.len() == 3 {
        d = d
            .with_note("the 0.1.0 ABI calls the headers callbacks with 2 parameters; 0.2.x adds `end_of_stream`")
            .with_help(format!(
                "add the `end_of_stream` parameter, or mark the module `{}` if it was written for ABI 0.1.0",
                Abi::V0_1_0.marker()
            ));
    } else if headers && have.params.len() == 3 && want.params.len() == 2 {
        d = d
            .with_note("the 0.1.0 ABI calls the headers callbacks with 2 parameters; 0.2.x adds `end_of_stream`")
            .with_help("mark the module with a 0.2.x ABI (`proxy_abi_version_0_2_1`), or drop the `end_of_stream` parameter");
    } else {
        d = d.with_help(format!(
            "declare it as `{want}` ({})",
            spec.params.join(", ")
        ));
    }
    d
}
