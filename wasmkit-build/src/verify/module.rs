//! Verifying core modules that are not proxy-wasm: WASI command modules
//! (imports checked against preview1, `_start` run only with `--run`) and
//! other modules (imports listed, instantiated when they need none).

use std::collections::HashSet;

use wasmkit_core::{Diagnostic, codes};
use wasmkit_invoke::limits::{CallContext, guest_error};
use wasmkit_invoke::runtime::Compiled;
use wasmkit_invoke::{OutputSink, Runtime, SandboxOptions, Session, SessionOptions, WasmInput};
use wasmtime::{Linker, Module, Store};
use wasmtime_wasi::p1::WasiP1Ctx;

use super::{ArtifactKind, ArtifactReport, Check, VerifySettings, VerifyTarget};

const PREVIEW1: [&str; 2] = ["wasi_snapshot_preview1", "wasi_unstable"];

/// Every function WASI preview1 defines, as wasmtime-wasi provides it.
fn preview1_functions(runtime: &Runtime) -> HashSet<String> {
    let mut linker: Linker<WasiP1Ctx> = Linker::new(runtime.engine());
    if wasmtime_wasi::p1::add_to_linker_sync(&mut linker, |s| s).is_err() {
        return HashSet::new();
    }
    let mut store = Store::new(
        runtime.engine(),
        wasmtime_wasi::WasiCtxBuilder::new().build_p1(),
    );
    linker
        .iter(&mut store)
        .map(|(_, name, _)| name.to_string())
        .collect()
}

pub(super) fn verify(
    runtime: &Runtime,
    input: &WasmInput,
    module: &Module,
    target: &VerifyTarget,
    settings: &VerifySettings,
    report: &mut ArtifactReport,
) {
    let is_command = module.exports().any(|e| e.name() == "_start");
    report.kind = if is_command {
        ArtifactKind::WasiCommand
    } else {
        ArtifactKind::CoreModule
    };
    let imports: Vec<(String, String)> = module
        .imports()
        .map(|i| (i.module().to_string(), i.name().to_string()))
        .collect();

    if is_command {
        let known = preview1_functions(runtime);
        let missing: Vec<String> = imports
            .iter()
            .filter(|(m, n)| !(PREVIEW1.contains(&m.as_str()) && known.contains(n)))
            .map(|(m, n)| format!("{m}::{n}"))
            .collect();
        for name in &missing {
            report.diagnostics.push(
                Diagnostic::error(
                    codes::UNPROVIDED_IMPORT,
                    format!("the module imports `{name}`, which WASI preview1 does not provide"),
                )
                .with_help(
                    "a WASI command module may import only `wasi_snapshot_preview1` functions",
                ),
            );
        }
        report.checks.push(Check::new(
            "imports",
            missing.is_empty(),
            format!(
                "{} of {} imports are WASI preview1",
                imports.len() - missing.len(),
                imports.len()
            ),
        ));
        if !missing.is_empty() {
            return;
        }
        if settings.run_commands {
            run_start(runtime, module, settings, report);
        } else {
            report.checks.push(Check::new(
                "run",
                true,
                "not run (pass --run to run `_start`)",
            ));
        }
        return;
    }

    report.checks.push(Check::new(
        "imports",
        true,
        if imports.is_empty() {
            "no imports".to_string()
        } else {
            format!(
                "imports: {}",
                imports
                    .iter()
                    .map(|(m, n)| format!("{m}::{n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        },
    ));
    if imports.is_empty() {
        let out = OutputSink::capture(64 * 1024);
        let options = SessionOptions {
            sandbox: SandboxOptions::default(),
            limits: settings.limits,
            mocks: Vec::new(),
        };
        match Session::instantiate(
            runtime,
            &Compiled::Module(module.clone()),
            input,
            &options,
            &out,
            Some(&out),
        ) {
            Ok(_) => report.checks.push(Check::new(
                "instantiate",
                true,
                "instantiated (and `_initialize` run)",
            )),
            Err(d) => {
                report
                    .checks
                    .push(Check::new("instantiate", false, d.message.clone()));
                report.diagnostics.push(d);
            }
        }
    } else if target.host.is_some() {
        report.checks.push(Check::new(
            "instantiate",
            true,
            "not instantiated: its imports are not WASI and no host provides them",
        ));
    }
}

fn run_start(
    runtime: &Runtime,
    module: &Module,
    settings: &VerifySettings,
    report: &mut ArtifactReport,
) {
    let out = OutputSink::capture(64 * 1024);
    let ctx = match SandboxOptions::default().builder(&out, Some(&out)) {
        Ok(mut b) => b.build_p1(),
        Err(d) => {
            report.diagnostics.push(d);
            return;
        }
    };
    let mut linker: Linker<State> = Linker::new(runtime.engine());
    if let Err(e) =
        wasmtime_wasi::p1::add_to_linker_sync(&mut linker, |s| &mut s.wasi).and_then(|()| {
            linker
                .alias_module("wasi_snapshot_preview1", "wasi_unstable")
                .map(|_| ())
        })
    {
        report
            .diagnostics
            .push(Diagnostic::error(codes::INSTANTIATE_FAILED, e.to_string()));
        return;
    }
    let limits = settings.limits;
    let mut store = Store::new(
        runtime.engine(),
        State {
            wasi: ctx,
            limiter: wasmkit_invoke::limits::GuestLimiter::new(limits.max_memory),
        },
    );
    store.limiter(|s| &mut s.limiter);
    let result = limits.arm(&mut store).and_then(|()| {
        let instance = linker.instantiate(&mut store, module)?;
        let start = instance.get_typed_func::<(), ()>(&mut store, "_start")?;
        start.call(&mut store, ())
    });
    let status = match &result {
        Ok(()) => Some(0),
        Err(e) => e.downcast_ref::<wasmtime_wasi::I32Exit>().map(|x| x.0),
    };
    let (bytes, _) = out.captured();
    report.guest_output = String::from_utf8_lossy(&bytes).into_owned();
    match (status, result) {
        (Some(0), _) => {
            report
                .checks
                .push(Check::new("run", true, "`_start` exited with status 0"));
        }
        (Some(code), _) => {
            report.checks.push(Check::new(
                "run",
                false,
                format!("`_start` exited with status {code}"),
            ));
            report.diagnostics.push(
                Diagnostic::error(
                    codes::GUEST_EXIT,
                    format!("`_start` exited with status {code}"),
                )
                .with_note(format!(
                    "the guest's output:\n{}",
                    report.guest_output.trim_end()
                )),
            );
        }
        (None, Err(e)) => {
            let d = guest_error(
                &e,
                CallContext {
                    name: "_start",
                    limits: &limits,
                },
                Some(&store.data().limiter),
            );
            report
                .checks
                .push(Check::new("run", false, d.message.clone()));
            report.diagnostics.push(d);
        }
        (None, Ok(())) => {}
    }
}

struct State {
    wasi: WasiP1Ctx,
    limiter: wasmkit_invoke::limits::GuestLimiter,
}
