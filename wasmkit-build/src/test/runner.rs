//! Running scenarios: each artifact compiled once (through the compile
//! cache), loaded once per host (the static checks), then every scenario
//! run on each of its hosts in a fresh instance, in parallel, with the
//! results handed on in a fixed order.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Instant;

use wasmkit_core::{Diagnostic, HostKind, codes, display_path};
use wasmkit_invoke::proxy_wasm::{self, Loaded, ProxyWasmReport, is_proxy_wasm};
use wasmkit_invoke::runtime::Compiled;
use wasmkit_invoke::{Limits, Runtime, WasmInput};

use super::TestTarget;
use super::check;
use super::plan::{self, Settled};
use super::record::{RunKind, RunRecord};
use super::report::ScenarioRun;

/// A target ready to run: its module, loaded on each host it needs.
struct Ready<'t> {
    target: &'t TestTarget,
    artifact: String,
    module: wasmtime::Module,
    loaded: Vec<(HostKind, Loaded)>,
}

/// One scenario on one host.
#[derive(Clone, Copy, Debug)]
struct Job {
    ready: usize,
    scenario: usize,
    host: HostKind,
    kind: wasmkit_core::ProxyKind,
}

/// Everything to run, and what stopped the rest.
pub(crate) struct Prepared<'t> {
    ready: Vec<Ready<'t>>,
    jobs: Vec<Job>,
    /// Scenarios that do not fit their plugin (exit 2) and artifacts that
    /// cannot run scenarios (exit 1).
    pub(crate) problems: Vec<Diagnostic>,
}

impl Prepared<'_> {
    /// How many runs there are.
    pub(crate) fn len(&self) -> usize {
        self.jobs.len()
    }
}

/// Compiles each target's artifact, settles its scenarios' kinds and
/// hosts, and loads the module once per host.
pub(crate) fn prepare<'t>(runtime: &Runtime, targets: &'t [TestTarget]) -> Prepared<'t> {
    let mut prepared = Prepared {
        ready: Vec::new(),
        jobs: Vec::new(),
        problems: Vec::new(),
    };
    for target in targets {
        if target.scenarios.is_empty() {
            continue;
        }
        let artifact = display_path(&target.artifact);
        let module = match compile(runtime, target, &artifact) {
            Ok(module) => module,
            Err(d) => {
                prepared.problems.push(d);
                continue;
            }
        };
        let mut settled: Vec<(usize, Settled)> = Vec::new();
        for (i, scenario) in target.scenarios.iter().enumerate() {
            match plan::settle(scenario, &target.defaults) {
                Ok(s) => settled.push((i, s)),
                Err(ds) => prepared.problems.extend(ds),
            }
        }
        let mut loaded: Vec<(HostKind, Loaded)> = Vec::new();
        for (_, s) in &settled {
            for &host in &s.hosts {
                if !loaded.iter().any(|(h, _)| *h == host) {
                    loaded.push((host, proxy_wasm::load(&module, host)));
                }
            }
        }
        let index = prepared.ready.len();
        for (scenario, s) in settled {
            for &host in &s.hosts {
                prepared.jobs.push(Job {
                    ready: index,
                    scenario,
                    host,
                    kind: s.kind,
                });
            }
        }
        prepared.ready.push(Ready {
            target,
            artifact,
            module,
            loaded,
        });
    }
    prepared
}

/// The artifact compiled, if it is a proxy-wasm module; else why its
/// scenarios cannot run.
fn compile(
    runtime: &Runtime,
    target: &TestTarget,
    artifact: &str,
) -> Result<wasmtime::Module, Diagnostic> {
    let input = WasmInput::read(&target.artifact)?;
    let (compiled, _) = runtime.compile(&input)?;
    let files = target.scenarios.len();
    let unsupported = |what: &str, help: &str| {
        Diagnostic::error(
            codes::SCENARIO_UNSUPPORTED,
            format!(
                "`{}` is {what}: its {files} scenario file(s) were not run",
                target.name
            ),
        )
        .with_origin(artifact.to_string())
        .with_help(help.to_string())
    };
    match compiled {
        Compiled::Module(module) if is_proxy_wasm(&input.bytes) => Ok(module),
        Compiled::Module(_) => Err(unsupported(
            "a core module that is not proxy-wasm",
            "scenarios run proxy-wasm plugins; a module is proxy-wasm when it exports `proxy_abi_version_*` or `proxy_on_*` functions",
        )),
        Compiled::Component(_) => Err(unsupported(
            "a component, but its settings say it builds a proxy-wasm module",
            "set `TARGET=wasm32-wasip2`, `COMPONENT` or `HOST=wasmtime` for the plugin, so that its scenarios are read as component scenarios (`[[call]]` tables or one HTTP request)",
        )),
    }
}

/// Runs every job on up to `available_parallelism` threads and hands each
/// result to `on_run` in the jobs' order.
pub(crate) fn run(
    runtime: &Runtime,
    prepared: &Prepared<'_>,
    limits: Limits,
    mut on_run: impl FnMut(ScenarioRun),
) {
    super::workers::in_order(
        &prepared.jobs,
        |_| (),
        |(), job| run_one(runtime, prepared, *job, limits),
        &mut on_run,
    );
}

fn run_one(runtime: &Runtime, prepared: &Prepared<'_>, job: Job, limits: Limits) -> ScenarioRun {
    let ready = &prepared.ready[job.ready];
    let scenario = &ready.target.scenarios[job.scenario];
    let started = Instant::now();
    let report = match ready.loaded.iter().find(|(h, _)| *h == job.host) {
        Some((_, loaded)) => {
            let plan = plan::run_plan(scenario, &ready.target.defaults, job.kind, job.host, limits);
            // A bug of ours must cost one scenario, not the run.
            catch_unwind(AssertUnwindSafe(|| {
                proxy_wasm::run(runtime, &ready.module, loaded, &plan)
            }))
            .unwrap_or_else(|_| internal_error("running this scenario panicked"))
        }
        None => internal_error("the module was not loaded for this host"),
    };
    let checks = check::evaluate(scenario, &report);
    ScenarioRun {
        target: ready.target.name.clone(),
        artifact: ready.artifact.clone(),
        file: scenario.display.clone(),
        name: scenario.name.clone(),
        host: job.host,
        kind: RunKind::Proxy(job.kind),
        passed: checks.iter().all(|c| c.passed),
        checks,
        report: RunRecord::ProxyWasm(Box::new(report)),
        duration: started.elapsed(),
        source: scenario.source.clone(),
    }
}

fn internal_error(what: &str) -> ProxyWasmReport {
    let mut report = ProxyWasmReport::default();
    report.diagnostics.push(Diagnostic::error(
        codes::TRAP,
        format!("internal error: {what} (please report it)"),
    ));
    report
}
