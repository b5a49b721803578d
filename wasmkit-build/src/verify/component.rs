//! Verifying a component: every import checked against the host profile,
//! instantiation in the same sandbox as `invoke`, the `VERIFY_INVOKE`
//! calls compared with `VERIFY_EXPECT`, and the `VERIFY_HTTP` requests.

use wasmkit_core::{Diagnostic, HostKind, codes};
use wasmkit_invoke::profile::ImportStatus;
use wasmkit_invoke::runtime::Compiled;
use wasmkit_invoke::{OutputSink, Runtime, SandboxOptions, Session, SessionOptions, WasmInput};
use wasmtime::component::Component;

use super::{ArtifactReport, CallCheck, Check, VerifySettings, VerifyTarget};

/// What the profile provides, for people.
const PROFILE_NOTE: &str = "the profile provides what `wasmtime serve -S cli=y` does: WASI 0.2 (wasi:cli, wasi:io, wasi:clocks, wasi:random, wasi:filesystem, wasi:sockets) and wasi:http (types, outgoing-handler)";

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

    // Imports, as the profile's own linker judges them.
    let imports = wasmkit_invoke::profile::check_imports(runtime.engine(), component);
    let count = imports.len();
    let missing: Vec<&ImportStatus> = imports.iter().filter(|i| !i.provided).collect();
    for import in &missing {
        let mut d = Diagnostic::error(
            codes::UNPROVIDED_IMPORT,
            format!(
                "the component imports `{}`, which the wasmtime host profile does not provide",
                import.name
            ),
        );
        // The profile's interfaces are all `wasi:` ones: for another name
        // the linker's first missing function says nothing new.
        if let Some(reason) = &import.reason
            && import.name.starts_with("wasi:")
        {
            d = d.with_note(format!("wasmtime's linker: {reason}"));
        }
        report.diagnostics.push(
            d.with_note(PROFILE_NOTE)
                .with_help("remove the import (check which dependency pulls it in), or run the component in a host that provides it"),
        );
    }
    report.checks.push(Check::new(
        "imports",
        missing.is_empty(),
        if missing.is_empty() {
            format!("all {count} imports are provided by the wasmtime profile")
        } else {
            let names: Vec<&str> = missing.iter().map(|i| i.name.as_str()).collect();
            format!(
                "{} of {count} imports are not provided: {}",
                missing.len(),
                names.join(", ")
            )
        },
    ));
    if !missing.is_empty() {
        return;
    }

    // Instantiate in the invoke sandbox, with output captured.
    let out = OutputSink::capture(OUTPUT_CAP);
    let options = SessionOptions {
        sandbox: SandboxOptions::default(),
        limits: settings.limits,
    };
    let compiled = Compiled::Component(component.clone());
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
                    break;
                }
                continue;
            }
        }
        report.calls.push(check);
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
