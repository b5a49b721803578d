//! Verifying a component: every import checked against the host profile
//! (what the invoke sandbox's linker provides, and the `VERIFY_MOCKS`),
//! instantiation in the same sandbox as `invoke`, the `VERIFY_INVOKE`
//! calls compared with `VERIFY_EXPECT`, and the `VERIFY_HTTP` requests.

use wasmkit_core::{Diagnostic, HostKind, codes};
use wasmkit_invoke::imports::Provider;
use wasmkit_invoke::mocks::Mock;
use wasmkit_invoke::runtime::Compiled;
use wasmkit_invoke::{OutputSink, Runtime, SandboxOptions, Session, SessionOptions, WasmInput};
use wasmtime::component::Component;

use super::{ArtifactReport, CallCheck, Check, VerifySettings, VerifyTarget};

const OUTPUT_CAP: usize = 64 * 1024;

pub(super) fn verify(
    runtime: &Runtime,
    input: &WasmInput,
    component: &Component,
    target: &VerifyTarget,
    settings: &VerifySettings,
    report: &mut ArtifactReport,
) {
    report.exports = component
        .component_type()
        .exports(runtime.engine())
        .map(|(name, _)| name.to_string())
        .collect();
    let host = target.host.unwrap_or(HostKind::Wasmtime);
    report.host = Some(host);
    if host != HostKind::Wasmtime {
        report.checks.push(Check::new(
            "host",
            false,
            format!("{host} loads proxy-wasm core modules, not components"),
        ));
        report.diagnostics.push(
            Diagnostic::error(
                codes::UNPROVIDED_IMPORT,
                format!("a component cannot be loaded by {host}"),
            )
            .with_note(format!("{host} is a proxy-wasm host: it loads core modules that export `proxy_abi_version_*`"))
            .with_help("verify components with `--host wasmtime` (set `HOST=wasmtime`), or build the plugin as a proxy-wasm module"),
        );
        return;
    }

    // Imports: what the sandbox's linker provides, and the mocks.
    let mocks: Result<Vec<Mock>, Diagnostic> = target.mocks.iter().map(Mock::parse).collect();
    let mocks = match mocks {
        Ok(mocks) => mocks,
        Err(d) => {
            report
                .checks
                .push(Check::new("imports", false, d.message.clone()));
            report.diagnostics.push(d);
            return;
        }
    };
    let options = SessionOptions {
        sandbox: SandboxOptions::default(),
        limits: settings.limits,
        mocks,
    };
    let compiled = Compiled::Component(component.clone());
    let catalog = match Session::catalog(runtime, &compiled, input, &options) {
        Ok(catalog) => catalog,
        Err(d) => {
            report
                .checks
                .push(Check::new("imports", false, d.message.clone()));
            report.diagnostics.push(d);
            return;
        }
    };
    let count = component.component_type().imports(runtime.engine()).count();
    let mut missing: Vec<&str> = Vec::new();
    let mut refusals: Vec<Option<&str>> = Vec::new();
    for import in &catalog.imports {
        if import.provider == Provider::Unprovided && !missing.contains(&import.import.as_str()) {
            missing.push(&import.import);
            refusals.push(import.refusal.as_deref());
        }
    }
    for (name, refusal) in missing.iter().zip(&refusals) {
        let mut d = Diagnostic::error(
            codes::UNPROVIDED_IMPORT,
            format!(
                "the component imports `{name}`, which the wasmtime host profile does not provide"
            ),
        );
        // The profile's interfaces are all `wasi:` ones: for another name
        // the linker only says it has no such import.
        if let Some(refusal) = refusal
            && name.starts_with("wasi:")
        {
            d = d.with_note(format!("wasmtime's linker: {refusal}"));
        }
        report.diagnostics.push(
            d.with_note("the profile provides what `wasmtime serve -S cli=y` does: WASI 0.2 (wasi:cli, wasi:io, wasi:clocks, wasi:random, wasi:filesystem, wasi:sockets) and wasi:http (types, outgoing-handler)")
            .with_help("remove the import (check which dependency pulls it in), or run the component in a host that provides it")
            .with_help("to verify calls that do not depend on it, mock its functions with `VERIFY_MOCKS` (`NAME=VALUE`, `;`-separated)"),
        );
    }
    let mocked = catalog
        .imports
        .iter()
        .any(|i| i.provider == Provider::Mocked);
    report.checks.push(Check::new(
        "imports",
        missing.is_empty(),
        match (missing.is_empty(), mocked) {
            (true, false) => format!("all {count} imports are provided by the wasmtime profile"),
            (true, true) => {
                format!("all {count} imports are provided by the wasmtime profile or mocked")
            }
            (false, _) => format!(
                "{} of {count} imports are not provided: {}",
                missing.len(),
                missing.join(", ")
            ),
        },
    ));
    if !missing.is_empty() {
        return;
    }

    // Instantiate in the invoke sandbox, with output captured.
    let out = OutputSink::capture(OUTPUT_CAP);
    let mut session =
        match Session::instantiate(runtime, &compiled, input, &options, &out, Some(&out)) {
            Ok(s) => s,
            Err(d) => {
                report
                    .checks
                    .push(Check::new("instantiate", false, d.message.clone()));
                report.diagnostics.push(d);
                attach_output(report, &out);
                return;
            }
        };
    report.checks.push(Check::new(
        "instantiate",
        true,
        "instantiated in the invoke sandbox",
    ));

    let mut stopped = false;
    for expected in &target.calls {
        let text = expected.call.text().to_string();
        let mut check = CallCheck {
            call: text.clone(),
            result: None,
            expected: expected
                .expect
                .as_ref()
                .map(|e| e.text().trim().to_string()),
            passed: false,
        };
        match session.call(&expected.call) {
            Ok(output) => {
                check.result = Some(output.wave.clone());
                match &expected.expect {
                    None => check.passed = true,
                    Some(expect) => match session.expect(&output, expect) {
                        Ok(None) => check.passed = true,
                        Ok(Some(canonical)) => {
                            report.diagnostics.push(
                                Diagnostic::error(
                                    codes::EXPECTATION_FAILED,
                                    format!("`{text}` returned `{}`, expected `{canonical}`", output.wave),
                                )
                                .with_label(expected.call.label(0..text.len(), format!("returned `{}`", output.wave)))
                                .with_label(expect.context_label(0..expect.text().len(), "expected this"))
                                .with_help("fix the component, or `VERIFY_EXPECT` if the expectation is wrong"),
                            );
                        }
                        Err(d) => report.diagnostics.push(d),
                    },
                }
            }
            Err(d) => {
                let stop = d.exit_status() == wasmkit_core::ExitStatus::Failure;
                report.diagnostics.push(d);
                report.calls.push(check);
                if stop {
                    // The instance cannot be entered after a trap.
                    stopped = true;
                    break;
                }
                continue;
            }
        }
        report.calls.push(check);
    }
    if !stopped {
        // Handles the calls left live are dropped, as a host would: their
        // destructors run, and may fail.
        if let (_, Some(d)) = session.drop_live_handles() {
            report.diagnostics.push(d);
        }
    }
    super::http::verify(runtime, component, target, settings, report, &out);
    attach_output(report, &out);
}

fn attach_output(report: &mut ArtifactReport, out: &OutputSink) {
    let (bytes, dropped) = out.captured();
    report.guest_output = String::from_utf8_lossy(&bytes).into_owned();
    if dropped > 0 {
        report
            .guest_output
            .push_str(&format!("\n... ({dropped} more bytes)"));
    }
    if !report.guest_output.is_empty() && report.diagnostics.iter().any(Diagnostic::is_error) {
        let note = format!("the guest's output:\n{}", report.guest_output.trim_end());
        if let Some(last) = report.diagnostics.iter_mut().rev().find(|d| d.is_error()) {
            last.notes.push(note);
        }
    }
}
