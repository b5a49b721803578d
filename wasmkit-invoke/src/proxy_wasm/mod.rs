//! Verifying and running proxy-wasm modules against the host that will
//! load them: upstream Envoy (proxy-wasm-cpp-host) or Higress (its fork).
//!
//! Two halves. The static checks ([`load`], in `checks`) read the module's
//! imports and exports as wasmtime compiled them and decide what the host
//! decides before running anything: the ABI marker it picks (and whether
//! it knows it), the allocator, reactor or command, the shape of every
//! callback it looks up, and whether it provides every import for that ABI
//! (`abi` holds the hosts' tables). Then, if the host would load the
//! module, [`run`] starts it in a mock host on wasmtime (`host`: its state
//! and every host function) as the host does and sends it what a
//! [`RunPlan`] says (`flow`): an HTTP stream with chunked bodies and
//! trailers, a network connection, or nothing for a service; callouts
//! answered per cluster; ticks in virtual time. Each behaviour follows the
//! Envoy or cpp-host function its comment names. A request that nothing
//! resumes is reported as stalled, in the host's terms. `verify` runs
//! [`RunPlan::verify`] ([`verify_proxy_wasm`]).
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
    PluginKind, RedisAnswer, RunPlan,
};
pub use report::{
    CalloutRecord, Check, HostCall, HttpExchange, LogLevel, LogLine, LogSource, NetworkExchange,
    ProxyWasmReport, RequestOutcome,
};

use wasmkit_core::{Diagnostic, HostKind, codes};

use self::abi::Host;
use self::checks::ModuleShape;
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

impl ProxyWasmOptions<'_> {
    /// What `verify` runs for a plugin of this kind (its `PROXY_KIND`):
    /// [`RunPlan::verify`] with these options' host, configuration and
    /// limits. `verify` for a network filter or a service is
    /// `run(runtime, module, &load(module, host), &options.verify_plan(kind))`.
    pub fn verify_plan(&self, kind: PluginKind) -> RunPlan {
        let mut plan = RunPlan::verify(HostProfile::new(self.host), kind);
        plan.plugin_config = self.config.unwrap_or_default().to_vec();
        plan.vm_config = self.vm_config.unwrap_or_default().to_vec();
        plan.limits = self.limits;
        plan
    }
}

/// Whether the bytes are a core module that exports a
/// `proxy_abi_version_*` marker or a `proxy_on_*` callback. Never panics;
/// anything unreadable is not proxy-wasm.
pub fn is_proxy_wasm(bytes: &[u8]) -> bool {
    checks::looks_like_proxy_wasm(bytes)
}

/// The static checks for one host, done once per (artifact, host): what
/// the host decides before running anything.
#[derive(Clone, Debug)]
pub struct Loaded {
    pub(crate) host: Option<Host>,
    pub(crate) abi: Option<abi::Abi>,
    pub(crate) start: checks::StartModel,
    pub(crate) allocator: Option<&'static str>,
    pub(crate) loadable: bool,
    /// The checks and diagnostics so far; every run's report starts with
    /// them.
    pub report: ProxyWasmReport,
}

impl Loaded {
    /// Whether the host would load the module (a run then starts it).
    pub fn loadable(&self) -> bool {
        self.loadable
    }

    /// The ABI version the module declares ("0.2.1"), as the host reads
    /// its marker.
    pub fn abi(&self) -> Option<&str> {
        self.report.abi.as_deref()
    }
}

/// The static checks of `module` for `host`: the ABI marker, allocator,
/// start model, callbacks and imports, as the host checks them at load.
/// Diagnostics carry no origin: the caller adds the artifact's path.
pub fn load(module: &wasmtime::Module, host: HostKind) -> Loaded {
    let mut report = ProxyWasmReport::default();
    let Some(model) = Host::from_kind(host) else {
        report.diagnostics.push(
            Diagnostic::error(
                codes::INVALID_OPTION,
                "`wasmtime` is not a proxy-wasm host: this is a proxy-wasm module",
            )
            .with_help(
                "verify it with `--host envoy` or `--host higress` (or set `HOST` for the plugin)",
            ),
        );
        return Loaded {
            host: None,
            abi: None,
            start: checks::StartModel::Nothing,
            allocator: None,
            loadable: false,
            report,
        };
    };
    let verdict = checks::run(&ModuleShape::of(module), model, &mut report);
    let loadable = verdict.loadable && verdict.abi.is_some() && verdict.allocator.is_some();
    Loaded {
        host: Some(model),
        abi: verdict.abi,
        start: verdict.start,
        allocator: verdict.allocator,
        loadable,
        report,
    }
}

/// One run in a fresh instance, as `plan` says: start-up, the root
/// context, then an HTTP stream, a network connection or nothing (a
/// service), with ticks, callouts and their answers. The report starts
/// with `loaded.report`'s checks and diagnostics, then the run's. A module
/// the host would not load is not run (a `start` check says so).
///
/// The plan's host must be the one `loaded` was checked for; if it is
/// not, `loaded`'s host is modelled and a warning says so.
pub fn run(
    runtime: &Runtime,
    module: &wasmtime::Module,
    loaded: &Loaded,
    plan: &RunPlan,
) -> ProxyWasmReport {
    let mut report = loaded.report.clone();
    let (Some(host), Some(abi), Some(allocator), true) =
        (loaded.host, loaded.abi, loaded.allocator, loaded.loadable)
    else {
        if let Some(host) = loaded.host {
            report.checks.push(Check::new(
                "start",
                false,
                format!("not run: {host} would refuse to load the module"),
            ));
        }
        return report;
    };
    if Host::from_kind(plan.host.kind) != Some(host) {
        report.diagnostics.push(Diagnostic::warning(
            codes::INVALID_OPTION,
            format!(
                "the run asked for host `{}`, but the module was checked for `{host}`: running it as `{host}`",
                plan.host.kind
            ),
        ));
    }
    let input = flow::RunInput {
        host,
        abi,
        start: loaded.start,
        allocator,
        plan: std::sync::Arc::new(plan.clone()),
    };
    flow::run(runtime, module, &input, &mut report);
    report
}

/// Verifies a proxy-wasm module against `options.host`: the static checks
/// ([`load`]), then, when the host would load the module, a run of
/// [`RunPlan::verify`] for an HTTP filter in the mock host ([`run`]).
///
/// `module` is the module compiled by `runtime` (through its cache).
/// Diagnostics carry no origin: the caller adds the artifact's path.
pub fn verify_proxy_wasm(
    runtime: &Runtime,
    module: &wasmtime::Module,
    options: &ProxyWasmOptions<'_>,
) -> ProxyWasmReport {
    let loaded = load(module, options.host);
    run(
        runtime,
        module,
        &loaded,
        &options.verify_plan(PluginKind::Http),
    )
}
