//! Verifying proxy-wasm modules against the host that will load them:
//! upstream Envoy (proxy-wasm-cpp-host) or Higress (its fork).
//!
//! Two halves. The static checks (`checks`) read the module's imports and
//! exports as wasmtime compiled them and decide what the host decides
//! before running anything: the ABI marker it picks (and whether it knows
//! it), the allocator, reactor or command, the shape of every callback it
//! looks up, and whether it provides every import for that ABI (`abi`
//! holds the hosts' tables). Then, if the host would load the module, a
//! mock host on wasmtime (`host`: its state and every host function)
//! starts it as the host does and sends traffic through an HTTP context
//! (`flow`; for `verify`, one POST with a JSON body), with that host's
//! treatment of the callbacks' return values: upstream turns StopIteration
//! from a headers callback into stop-all-iteration, Higress does so unless
//! the module is marked 0.2.100. A request that nothing resumes is
//! reported as stalled, in the host's terms.
//!
//! This module never panics on a module's bytes or behaviour and always
//! returns a report; it does not render diagnostics or choose the host.

mod abi;
mod checks;
mod flow;
mod host;
mod plan;
mod report;

pub use plan::{
    CalloutAnswer, Callouts, CloseFirst, GrpcAnswer, HostProfile, HttpMessage, NetworkTraffic,
    PluginKind, RunPlan,
};
pub use report::{
    CalloutRecord, Check, HostCall, HttpExchange, LogLevel, LogLine, LogSource, NetworkExchange,
    ProxyWasmReport, RequestOutcome,
};

use wasmkit_core::{Diagnostic, HostKind, codes};

use self::abi::Host;
use self::checks::ModuleShape;
use self::flow::Traffic;
use crate::limits::Limits;
use crate::runtime::Runtime;

/// How to verify a proxy-wasm module.
#[derive(Clone, Copy, Debug)]
pub struct ProxyWasmOptions<'a> {
    /// The host to model: [`HostKind::Envoy`] or [`HostKind::Higress`].
    pub host: HostKind,
    /// The plugin configuration (`proxy_on_configure` reads it); `None` is
    /// empty.
    pub config: Option<&'a [u8]>,
    /// The VM configuration (`proxy_on_vm_start` reads it); `None` is empty.
    pub vm_config: Option<&'a [u8]>,
    /// Limits for every callback: time, fuel, memory.
    pub limits: Limits,
}

impl ProxyWasmOptions<'_> {
    /// Options for a host, with no configuration and default limits (5 s
    /// per callback; the runtime must allow timeouts).
    pub fn new(host: HostKind) -> ProxyWasmOptions<'static> {
        ProxyWasmOptions {
            host,
            config: None,
            vm_config: None,
            // A host gives a callback seconds, not forever.
            limits: Limits {
                timeout: Some(std::time::Duration::from_secs(5)),
                ..Limits::default()
            },
        }
    }
}

/// Whether the bytes are a core module that exports a
/// `proxy_abi_version_*` marker or a `proxy_on_*` callback. Never panics;
/// anything unreadable is not proxy-wasm.
pub fn is_proxy_wasm(bytes: &[u8]) -> bool {
    checks::looks_like_proxy_wasm(bytes)
}

/// Verifies a proxy-wasm module against `options.host`: the static checks,
/// then, when the host would load the module, a run in the mock host.
///
/// `module` is the module compiled by `runtime` (through its cache); the
/// checks read its imports and exports from it. Diagnostics carry no
/// origin: the caller adds the artifact's path.
pub fn verify_proxy_wasm(
    runtime: &Runtime,
    module: &wasmtime::Module,
    options: &ProxyWasmOptions<'_>,
) -> ProxyWasmReport {
    let mut report = ProxyWasmReport::default();
    let Some(host) = Host::from_kind(options.host) else {
        report.diagnostics.push(
            Diagnostic::error(
                codes::INVALID_OPTION,
                "`wasmtime` is not a proxy-wasm host: this is a proxy-wasm module",
            )
            .with_help(
                "verify it with `--host envoy` or `--host higress` (or set `HOST` for the plugin)",
            ),
        );
        return report;
    };
    let verdict = checks::run(&ModuleShape::of(module), host, &mut report);
    let (Some(abi), Some(allocator), true) = (verdict.abi, verdict.allocator, verdict.loadable)
    else {
        report.checks.push(Check::new(
            "start",
            false,
            format!("not run: {host} would refuse to load the module"),
        ));
        return report;
    };
    let traffic = Traffic::verify();
    let input = flow::RunInput {
        host,
        abi,
        start: verdict.start,
        allocator,
        config: options.config.unwrap_or_default(),
        vm_config: options.vm_config.unwrap_or_default(),
        limits: options.limits,
        traffic: &traffic,
    };
    flow::run(runtime, module, &input, &mut report);
    report
}

// LOCAL SHIM (not to be committed): stands in for HOST's entry points.
#[derive(Debug)]
pub struct Loaded {
    host: HostKind,
}
pub fn load(_module: &wasmtime::Module, host: HostKind) -> Loaded {
    Loaded { host }
}
pub fn run(
    runtime: &Runtime,
    module: &wasmtime::Module,
    loaded: &Loaded,
    plan: &RunPlan,
) -> ProxyWasmReport {
    let options = ProxyWasmOptions {
        host: loaded.host,
        config: Some(&plan.plugin_config),
        vm_config: Some(&plan.vm_config),
        limits: plan.limits,
    };
    verify_proxy_wasm(runtime, module, &options)
}
