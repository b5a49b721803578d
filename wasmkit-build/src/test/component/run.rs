//! Running component scenarios: each artifact compiled once (through the
//! compile cache); each calls scenario's mocks checked against the imports
//! before anything runs, then its calls made in order on a fresh instance;
//! an HTTP component pre-instantiated once (per thread) and each request
//! sent to a fresh instance of it, as `wasmtime serve` does. Runs go in
//! parallel; results are handed on in a fixed order.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Instant;

use wasmkit_core::{Diagnostic, HostKind, codes, display_path};
use wasmkit_invoke::http::HttpHandler;
use wasmkit_invoke::runtime::Compiled;
use wasmkit_invoke::{Limits, OutputSink, Runtime, SessionOptions, WasmInput};

use super::{ComponentScenario, ScenarioBody, calls_run, http_run};
use crate::test::TestTarget;
use crate::test::check::CheckResult;
use crate::test::record::{CallsRecord, HttpRecord, RunKind, RunRecord};
use crate::test::report::ScenarioRun;

/// The most bytes of a guest's stdout and stderr kept per run.
pub(crate) const OUTPUT_CAP: usize = 64 * 1024;

/// A target's artifact, compiled, with its HTTP handler when its scenarios
/// send requests.
struct Ready<'t> {
    target: &'t TestTarget,
    artifact: String,
    input: WasmInput,
    compiled: Compiled,
    handler: Option<(HttpHandler, OutputSink)>,
}

/// The component scenarios to run, and what stopped the rest.
pub(crate) struct Prepared<'t> {
    ready: Vec<Ready<'t>>,
    /// (ready target, scenario) in order.
    jobs: Vec<(usize, usize)>,
    /// Mocks that do not fit the imports (exit 2), artifacts that cannot
    /// run the scenarios given (exit 1).
    pub(crate) problems: Vec<Diagnostic>,
}

impl Prepared<'_> {
    /// How many runs there are.
    pub(crate) fn len(&self) -> usize {
        self.jobs.len()
    }
}

/// Compiles each target's artifact, checks the calls scenarios' mocks
/// against its imports and prepares its HTTP handler.
pub(crate) fn prepare<'t>(
    runtime: &Runtime,
    targets: &'t [TestTarget],
    limits: Limits,
) -> Prepared<'t> {
    let mut prepared = Prepared {
        ready: Vec::new(),
        jobs: Vec::new(),
        problems: Vec::new(),
    };
    for target in targets.iter().filter(|t| !t.components.is_empty()) {
        let artifact = display_path(&target.artifact);
        let compiled = WasmInput::read(&target.artifact)
            .and_then(|input| runtime.compile(&input).map(|(c, _)| (input, c)));
        let (input, compiled) = match compiled {
            Ok(ok) => ok,
            Err(d) => {
                prepared.problems.push(d);
                continue;
            }
        };
        let http_files = target
            .components
            .iter()
            .filter(|s| matches!(s.body, ScenarioBody::Http(_)))
            .count();
        let handler = if http_files == 0 {
            None
        } else {
            match handler(runtime, &compiled, limits) {
                Ok(h) => Some(h),
                Err(d) => {
                    prepared
                        .problems
                        .push(d.with_origin(artifact.clone()).with_note(format!(
                            "its {http_files} HTTP scenario file(s) were not run"
                        )));
                    None
                }
            }
        };
        let index = prepared.ready.len();
        for (i, scenario) in target.components.iter().enumerate() {
            match &scenario.body {
                ScenarioBody::Calls(calls) => {
                    let options = session_options(limits, calls.mocks.clone());
                    // The mocks are checked against the imports' types
                    // before anything runs: a bad one is a bad file.
                    if let Err(d) = wasmkit_invoke::Session::catalog(&compiled, &input, &options) {
                        prepared.problems.push(d);
                        continue;
                    }
                }
                ScenarioBody::Http(_) if handler.is_none() => continue,
                ScenarioBody::Http(_) => {}
            }
            prepared.jobs.push((index, i));
        }
        prepared.ready.push(Ready {
            target,
            artifact,
            input,
            compiled,
            handler,
        });
    }
    prepared
}

fn handler(
    runtime: &Runtime,
    compiled: &Compiled,
    limits: Limits,
) -> Result<(HttpHandler, OutputSink), Diagnostic> {
    let Compiled::Component(component) = compiled else {
        return Err(Diagnostic::error(
            codes::SCENARIO_UNSUPPORTED,
            "the artifact is a core module, so it cannot take HTTP requests",
        )
        .with_help("HTTP scenarios run components that export `wasi:http/incoming-handler`"));
    };
    let output = OutputSink::capture(OUTPUT_CAP);
    let handler = HttpHandler::new(
        runtime,
        component,
        &session_options(limits, Vec::new()),
        output.clone(),
    )?;
    Ok((handler, output))
}

pub(crate) fn session_options(
    limits: Limits,
    mocks: Vec<wasmkit_invoke::mocks::Mock>,
) -> SessionOptions {
    SessionOptions {
        limits,
        mocks,
        ..SessionOptions::default()
    }
}

/// Runs every job on up to `available_parallelism` threads and hands each
/// result to `on_run` in the jobs' order. Each thread has its own HTTP
/// handlers (the first thread takes the prepared ones), so that a
/// request's guest output is its own.
pub(crate) fn run(
    runtime: &Runtime,
    prepared: &Prepared<'_>,
    limits: Limits,
    mut on_run: impl FnMut(ScenarioRun),
) {
    // Each thread makes its own HTTP handlers, but the first takes the
    // prepared ones.
    let own_handlers = |worker: usize| {
        let own: Vec<Option<(HttpHandler, OutputSink)>> =
            prepared.ready.iter().map(|_| None).collect();
        (worker, own)
    };
    crate::test::workers::in_order(
        &prepared.jobs,
        own_handlers,
        |(worker, own), &(index, scenario)| {
            let ready = &prepared.ready[index];
            let handler = match &ready.handler {
                Some(prepared) if *worker == 0 => Some(prepared),
                Some(_) => {
                    if own[index].is_none() {
                        own[index] = handler(runtime, &ready.compiled, limits).ok();
                    }
                    own[index].as_ref()
                }
                None => None,
            };
            let scenario = &ready.target.components[scenario];
            run_one(runtime, ready, scenario, handler, limits)
        },
        &mut on_run,
    );
}

fn run_one(
    runtime: &Runtime,
    ready: &Ready<'_>,
    scenario: &ComponentScenario,
    handler: Option<&(HttpHandler, OutputSink)>,
    limits: Limits,
) -> ScenarioRun {
    let started = Instant::now();
    // A bug of ours must cost one scenario, not the run.
    let (kind, checks, record) = match &scenario.body {
        ScenarioBody::Calls(calls) => {
            let outcome = catch_unwind(AssertUnwindSafe(|| {
                calls_run::run(
                    runtime,
                    &ready.compiled,
                    &ready.input,
                    scenario,
                    calls,
                    limits,
                )
            }));
            let (checks, record) = outcome.unwrap_or_else(|_| {
                let d = internal_error();
                let record = CallsRecord {
                    diagnostics: vec![d.clone()],
                    ..CallsRecord::default()
                };
                (vec![failed_run(&d)], record)
            });
            (RunKind::Calls, checks, RunRecord::Calls(record))
        }
        ScenarioBody::Http(http) => {
            let outcome = catch_unwind(AssertUnwindSafe(|| {
                handler.map(|(handler, output)| http_run::run(handler, output, http))
            }));
            let (checks, record) = outcome.ok().flatten().unwrap_or_else(http_internal_error);
            (RunKind::HttpHandler, checks, RunRecord::Http(record))
        }
    };
    ScenarioRun {
        target: ready.target.name.clone(),
        artifact: ready.artifact.clone(),
        file: scenario.display.clone(),
        name: scenario.name.clone(),
        host: HostKind::Wasmtime,
        kind,
        passed: checks.iter().all(|c| c.passed),
        checks,
        report: record,
        duration: started.elapsed(),
        source: scenario.source.clone(),
    }
}

fn internal_error() -> Diagnostic {
    Diagnostic::error(
        codes::TRAP,
        "internal error: running this scenario panicked (please report it)",
    )
}

/// The implicit `run` check, failed by `d`.
pub(crate) fn failed_run(d: &Diagnostic) -> CheckResult {
    CheckResult {
        name: "run".to_string(),
        passed: false,
        expected: "no errors".to_string(),
        actual: format!("error: {}", d.message),
        span: None,
        excerpt: Vec::new(),
    }
}

fn http_internal_error() -> (Vec<CheckResult>, HttpRecord) {
    let d = internal_error();
    let record = HttpRecord {
        diagnostics: vec![d.clone()],
        ..HttpRecord::default()
    };
    (vec![failed_run(&d)], record)
}
