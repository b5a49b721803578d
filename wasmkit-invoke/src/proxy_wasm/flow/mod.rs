//! The mock host's driver: it starts the VM the way the C++ host does and
//! creates and configures the root context ([`lifecycle`]), then runs what
//! the [`RunPlan`] says: an HTTP stream ([`stream`], its bodies in
//! [`body`]), a network connection ([`network`]) or nothing (a service),
//! answering callouts and ticking in virtual time while the plugin waits
//! ([`events`]). A stall is explained in the host's terms ([`stall`]), a
//! failed callback with its cause ([`failure`]).

mod body;
mod events;
mod failure;
mod lifecycle;
mod network;
mod stall;
mod stream;

use std::sync::Arc;

use wasmkit_core::{Diagnostic, codes};
use wasmtime::{Instance, Linker, Module, Store, Val};

use super::abi::{Abi, Host};
use super::checks::StartModel;
use super::host::{self, Callout, HostState, Restriction};
use super::plan::RunPlan;
use super::report::{Check, ProxyWasmReport};
use crate::limits::{CallContext, Limits, guest_error};
use crate::runtime::Runtime;

/// Log lines quoted in a diagnostic.
const LOG_LINES_IN_NOTES: usize = 20;

/// What the driver needs to know about the module, and what to send it.
#[derive(Clone, Debug)]
pub(crate) struct RunInput {
    pub(crate) host: Host,
    pub(crate) abi: Abi,
    pub(crate) start: StartModel,
    pub(crate) allocator: &'static str,
    pub(crate) plan: Arc<RunPlan>,
}

/// Runs the module in the mock host, adding checks, diagnostics, the
/// outcome, the exchange and the recorded calls to `report`.
pub(crate) fn run(
    runtime: &Runtime,
    module: &Module,
    input: &RunInput,
    report: &mut ProxyWasmReport,
) {
    let mut limits = input.plan.limits;
    // Fuel can only be set when the engine meters it.
    if !runtime.meters_fuel() {
        limits.fuel = None;
    }
    let engine = module.engine();
    let state = HostState::new(
        input.host,
        input.abi,
        input.allocator,
        input.plan.clone(),
        limits.max_memory,
    );
    let mut store = Store::new(engine, state);
    store.limiter(|s| &mut s.limiter);
    if runtime.meters_fuel() && limits.fuel.is_none() {
        // Metering without a limit: a tank that never runs dry.
        let _ = store.set_fuel(u64::MAX);
    }
    let mut linker = Linker::new(engine);
    if let Err(e) = host::define(&mut linker, engine, input.host, input.abi) {
        report.diagnostics.push(Diagnostic::error(
            codes::INSTANTIATE_FAILED,
            format!("cannot set up the mock {} host: {e}", input.host),
        ));
        return;
    }
    store
        .data_mut()
        .begin("instantiation", 0, Restriction::None);
    let instance = match limits
        .arm(&mut store)
        .and_then(|()| linker.instantiate(&mut store, module))
    {
        Ok(instance) => instance,
        Err(e) => {
            // A start function that traps, or memory beyond the cap, is the
            // guest's failure; anything else (linking) is the module not
            // fitting the host.
            let d = if e.downcast_ref::<wasmtime::Trap>().is_some()
                || store.data().limiter.refused().is_some()
            {
                guest_error(
                    &e,
                    CallContext {
                        name: "start",
                        limits: &limits,
                    },
                    Some(&store.data().limiter),
                )
            } else {
                let mut d = Diagnostic::error(
                    codes::INSTANTIATE_FAILED,
                    format!(
                        "the module does not instantiate in the mock {} host",
                        input.host
                    ),
                );
                for cause in e.chain() {
                    d = d.with_note(cause.to_string());
                }
                d
            };
            report.diagnostics.push(d);
            report
                .checks
                .push(Check::new("start", false, "the module did not instantiate"));
            collect(store.into_data(), report);
            return;
        }
    };
    let mut run = Run {
        store,
        instance,
        limits,
        host: input.host,
        abi: input.abi,
        failed_at: None,
        answered: Vec::new(),
        plan: input.plan.clone(),
        ticks_left: input.plan.ticks,
        next_tick_ms: None,
        timed_events_left: events::MAX_TIMED_EVENTS,
        timed_events_warned: false,
        report,
    };
    run.lifecycle(input.start);
    run.collect();
}

/// A callback failed; its diagnostic is already in the report and the VM is
/// failed: the host calls nothing more.
#[derive(Clone, Copy, Debug)]
struct Failed;

/// One run of the module in the mock host.
struct Run<'r> {
    store: Store<HostState>,
    instance: Instance,
    limits: Limits,
    host: Host,
    abi: Abi,
    /// The callback that failed the VM, once one has.
    failed_at: Option<&'static str>,
    /// The callouts the mock has answered.
    answered: Vec<Callout>,
    plan: Arc<RunPlan>,
    /// Ticks still to deliver.
    ticks_left: u32,
    /// When the next tick is due, in virtual milliseconds.
    next_tick_ms: Option<u64>,
    /// Timed events the run may still deliver.
    timed_events_left: u32,
    timed_events_warned: bool,
    report: &'r mut ProxyWasmReport,
}

impl Run<'_> {
    fn state(&mut self) -> &mut HostState {
        self.store.data_mut()
    }

    /// Calls an export if the module has it: `Ok(None)` when it does not
    /// (the host then skips it), the return value (0 for none) otherwise.
    fn call(
        &mut self,
        name: &'static str,
        context: u32,
        args: &[u32],
        restriction: Restriction,
    ) -> Result<Option<u32>, Failed> {
        if self.failed_at.is_some() {
            return Err(Failed);
        }
        let Some(func) = self.instance.get_func(&mut self.store, name) else {
            return Ok(None);
        };
        let ty = func.ty(&self.store);
        // The static checks refused other shapes; never call with a wrong one.
        if ty.params().len() != args.len() {
            return Ok(None);
        }
        let params: Vec<Val> = args.iter().map(|&a| Val::I32(a as i32)).collect();
        let mut results: Vec<Val> = ty.results().map(|_| Val::I32(0)).collect();
        self.state().begin(name, context, restriction);
        let outcome = self
            .limits
            .arm(&mut self.store)
            .and_then(|()| func.call(&mut self.store, &params, &mut results));
        self.state().restriction = Restriction::None;
        match outcome {
            Ok(()) => Ok(Some(match results.first() {
                Some(Val::I32(v)) => *v as u32,
                _ => 0,
            })),
            Err(e) => {
                self.fail(name, &e);
                Err(Failed)
            }
        }
    }

    /// Adds the plugin's last log lines to a diagnostic, when it logged.
    fn with_logs(&self, d: Diagnostic) -> Diagnostic {
        match self.store.data().log_excerpt(LOG_LINES_IN_NOTES) {
            Some(logs) => d.with_note(logs),
            None => d,
        }
    }

    /// Moves what the host recorded into the report.
    fn collect(self) {
        let Run { store, report, .. } = self;
        collect(store.into_data(), report);
    }
}

/// Moves what the host recorded into the report, with its verdict on the
/// plugin's host calls.
fn collect(state: HostState, report: &mut ProxyWasmReport) {
    let bad = state.diagnostics.iter().filter(|d| d.is_error()).count();
    let total = state.calls.len() + state.calls_dropped;
    report.checks.push(Check::new(
        "host-calls",
        bad == 0,
        if bad == 0 {
            format!("{total} host call(s), none malformed")
        } else {
            format!("{total} host call(s), {bad} malformed (see the diagnostics)")
        },
    ));
    report.diagnostics.extend(state.diagnostics);
    report.callouts = state.callout_records;
    report.host_calls = state.calls;
    report.host_calls_dropped = state.calls_dropped;
    report.logs = state.logs;
    report.logs_dropped = state.logs_dropped;
}
