//! One calls scenario: a fresh instance with the scenario's mocks, each
//! call made in order with the names it binds carried to the next, and
//! judged: its value (`expect`), its error (`expect-error`), the mocked
//! imports it reached (`imports`). After a guest failure the instance
//! cannot be entered again, so the calls after it fail as not run.

use std::ops::Range;
use std::sync::Arc;

use wasmkit_core::{Diagnostic, ExitStatus};
use wasmkit_invoke::mocks::import_call_matches;
use wasmkit_invoke::runtime::Compiled;
use wasmkit_invoke::{CallSource, ImportCall, Limits, OutputSink, Runtime, Session, WasmInput};

use super::ComponentScenario;
use super::calls::{CallScenario, ScenarioCall};
use super::run::{OUTPUT_CAP, failed_run, session_options};
use crate::test::check::{CheckResult, quote};
use crate::test::record::{CallRecord, CallsRecord};
use crate::test::scenario::Located;

/// Runs `calls` on a fresh instance of `compiled`.
pub(crate) fn run(
    runtime: &Runtime,
    compiled: &Compiled,
    input: &WasmInput,
    scenario: &ComponentScenario,
    calls: &CallScenario,
    limits: Limits,
) -> (Vec<CheckResult>, CallsRecord) {
    let mut record = CallsRecord::default();
    let output = OutputSink::capture(OUTPUT_CAP);
    let options = session_options(limits, calls.mocks.clone());
    let mut session =
        match Session::instantiate(runtime, compiled, input, &options, &output, Some(&output)) {
            Ok(s) => s,
            Err(d) => {
                let check = failed_run(&d);
                record.diagnostics.push(d);
                return (vec![check], record);
            }
        };
    let mut checks = Vec::new();
    // Set once the instance failed: the call that failed it.
    let mut failed_in: Option<String> = None;
    for call in &calls.calls {
        if let Some(earlier) = &failed_in {
            let why = format!("not run: the instance failed in `{earlier}`");
            checks.push(CheckResult {
                name: call_name(call),
                passed: false,
                expected: expected_of(call),
                actual: why.clone(),
                span: Some(file_span(scenario, &call.call, &call.span)),
                excerpt: Vec::new(),
            });
            record.calls.push(CallRecord {
                call: call.call.text().to_string(),
                result: None,
                error: Some(why),
                ran: false,
                imports: Vec::new(),
            });
            continue;
        }
        let result = session.call(&call.call);
        let imports = session.last_imports().to_vec();
        if let Err(d) = &result
            && d.exit_status() == ExitStatus::Failure
        {
            failed_in = Some(call.call.text().to_string());
        }
        checks.push(judge(&session, scenario, call, &result, &mut record));
        if let Some(expected) = &call.imports {
            checks.push(judge_imports(
                &session,
                call,
                expected,
                &imports,
                &mut record,
            ));
        }
        record.calls.push(CallRecord {
            call: call.call.text().to_string(),
            result: result.as_ref().ok().map(|out| out.wave.clone()),
            error: result.as_ref().err().map(|d| d.message.clone()),
            ran: true,
            imports,
        });
    }
    if failed_in.is_none() {
        let (dropped, error) = session.drop_live_handles();
        record.dropped = dropped;
        if let Some(d) = error {
            checks.push(CheckResult {
                actual: format!("error: {}", d.message),
                ..failed_run(&d)
            });
            record.diagnostics.push(d);
        }
    }
    let (bytes, _) = output.take_captured();
    record.output = String::from_utf8_lossy(&bytes).into_owned();
    (checks, record)
}

/// The check of one call's outcome against `expect`, `expect-error`, or
/// (with neither) that it did not fail. An error nobody expected is kept
/// for the report, where it shows in full.
fn judge(
    session: &Session,
    scenario: &ComponentScenario,
    call: &ScenarioCall,
    result: &Result<wasmkit_invoke::CallOutput, Diagnostic>,
    record: &mut CallsRecord,
) -> CheckResult {
    let mut check = CheckResult {
        name: call_name(call),
        passed: true,
        expected: expected_of(call),
        actual: String::new(),
        span: Some(file_span(scenario, &call.call, &call.span)),
        excerpt: Vec::new(),
    };
    match (result, &call.expect_error) {
        (Ok(out), Some(want)) => {
            check.passed = false;
            check.actual = format!("no error: it returned {}", shown(&out.wave));
            check.span = Some(want.span.clone());
        }
        (Err(d), Some(want)) => {
            let text = d.render(false);
            check.passed = text.contains(want.value.as_str());
            check.actual = format!("error: {}", d.message);
            check.span = Some(want.span.clone());
            if !check.passed {
                record.diagnostics.push(d.clone());
            }
        }
        (Err(d), None) => {
            check.passed = false;
            check.actual = format!("error: {}", d.message);
            record.diagnostics.push(d.clone());
        }
        (Ok(out), None) => {
            check.actual = shown(&out.wave);
            if let Some(expected) = &call.expect {
                check.span = Some(file_span(scenario, expected, &call.span));
                match session.expect(out, expected) {
                    Ok(None) => {}
                    Ok(Some(canonical)) => {
                        check.passed = false;
                        check.expected = canonical;
                    }
                    Err(d) => {
                        check.passed = false;
                        check.actual = format!("{} (and {})", check.actual, d.message);
                        record.diagnostics.push(d);
                    }
                }
            }
        }
    }
    check
}

/// The check of the mocked imports a call reached against `imports`.
fn judge_imports(
    session: &Session,
    call: &ScenarioCall,
    expected: &Located<Vec<CallSource>>,
    actual: &[ImportCall],
    record: &mut CallsRecord,
) -> CheckResult {
    let mut passed = expected.value.len() == actual.len();
    if passed && let Some(component) = session.component() {
        for (want, got) in expected.value.iter().zip(actual) {
            match import_call_matches(component.imports(), got, want) {
                Ok(true) => {}
                Ok(false) => passed = false,
                Err(d) => {
                    passed = false;
                    record.diagnostics.push(d);
                }
            }
        }
    }
    let list = |items: Vec<String>| {
        if items.is_empty() {
            "none".to_string()
        } else {
            items.join(", ")
        }
    };
    CheckResult {
        name: format!("imports of `{}`", call.call.text()),
        passed,
        expected: list(
            expected
                .value
                .iter()
                .map(|s| s.text().to_string())
                .collect(),
        ),
        actual: list(
            actual
                .iter()
                .map(|c| format!("{}({})", c.function, c.args.join(", ")))
                .collect(),
        ),
        span: Some(expected.span.clone()),
        excerpt: if passed {
            Vec::new()
        } else {
            actual.iter().map(|c| format!("import {c}")).collect()
        },
    }
}

fn call_name(call: &ScenarioCall) -> String {
    format!("`{}`", call.call.text())
}

fn expected_of(call: &ScenarioCall) -> String {
    match (&call.expect, &call.expect_error) {
        (Some(value), _) => value.text().to_string(),
        (None, Some(error)) => format!("an error containing {}", quote(&error.value)),
        (None, None) => "no error".to_string(),
    }
}

/// A value as a failure shows it: `()` for none.
fn shown(wave: &str) -> String {
    if wave.is_empty() {
        "()".to_string()
    } else {
        wave.to_string()
    }
}

/// Where `src` is written in the scenario's file; `fallback` when it has
/// a source of its own (a string with escapes).
fn file_span(
    scenario: &ComponentScenario,
    src: &CallSource,
    fallback: &Range<usize>,
) -> Range<usize> {
    if Arc::ptr_eq(&src.file, &scenario.source) {
        src.span.clone()
    } else {
        fallback.clone()
    }
}
