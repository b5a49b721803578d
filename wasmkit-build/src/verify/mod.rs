//! `verify`: load each artifact in wasmtime and exercise it the way its
//! host will, so that an artifact that cannot really work fails at build
//! time with a diagnostic that says why.
//!
//! Every artifact is read and validated first (an empty, truncated or
//! non-wasm file is an error that says so), then checked by kind:
//! components against the host profile's imports and with their
//! `VERIFY_INVOKE` calls ([`component`]); proxy-wasm modules statically and
//! in `wasmkit_invoke`'s mock host of their host profile (`proxy_wasm`);
//! WASI command modules against preview1 (run only with `--run`); other
//! core modules by their imports ([`module`]). Artifacts are verified in
//! parallel.

pub mod component;
pub mod http;
pub mod module;
mod print;
mod proxy_wasm;

use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde::Serialize;
use wasmkit_core::{Diagnostic, ExitStatus, HostKind, Severity, codes, display_path};
use wasmkit_invoke::call::CallSource;
use wasmkit_invoke::proxy_wasm::{ProxyWasmReport, is_proxy_wasm};
use wasmkit_invoke::runtime::Compiled;
use wasmkit_invoke::{Limits, Runtime, WasmInput, WasmKind};

pub use print::print_reports;
pub use wasmkit_invoke::proxy_wasm::Check;

/// Limits for every guest call verify makes: a callback that does not
/// return within seconds would stall a real host's worker.
pub fn default_limits() -> Limits {
    Limits {
        timeout: Some(Duration::from_secs(5)),
        fuel: None,
        max_memory: 512 << 20,
    }
}

/// A call verify makes on a component, and the value it must return.
#[derive(Clone, Debug)]
pub struct ExpectedCall {
    /// The WAVE call.
    pub call: CallSource,
    /// The expected result (WAVE), if any; without one the call only has
    /// to succeed.
    pub expect: Option<CallSource>,
}

/// One artifact to verify and how.
#[derive(Clone, Debug)]
pub struct VerifyTarget {
    /// The plugin's name, or the file as given.
    pub name: String,
    /// The artifact.
    pub path: PathBuf,
    /// The host profile; `None` picks by kind (envoy for proxy-wasm,
    /// wasmtime otherwise).
    pub host: Option<HostKind>,
    /// The plugin configuration bytes for `proxy_on_configure`.
    pub config: Option<Vec<u8>>,
    /// Calls to make on a component.
    pub calls: Vec<ExpectedCall>,
    /// `NAME=VALUE` mocks for the component's imports in those calls.
    pub mocks: Vec<CallSource>,
    /// Requests to send to an HTTP component (`VERIFY_HTTP`).
    pub http_checks: Vec<http::ExpectedStatus>,
    /// Problems found while preparing the target (an unreadable
    /// configuration file); reported with the artifact.
    pub problems: Vec<Diagnostic>,
}

impl VerifyTarget {
    /// A target with nothing but a name and a path.
    pub fn new(name: impl Into<String>, path: impl Into<PathBuf>) -> VerifyTarget {
        VerifyTarget {
            name: name.into(),
            path: path.into(),
            host: None,
            config: None,
            calls: Vec::new(),
            mocks: Vec::new(),
            http_checks: Vec::new(),
            problems: Vec::new(),
        }
    }
}

/// Settings for a verify run.
#[derive(Clone, Copy, Debug, Default)]
pub struct VerifySettings {
    /// Limits for every guest call.
    pub limits: Limits,
    /// Run WASI command modules (`_start`).
    pub run_commands: bool,
    /// Count warnings as errors.
    pub deny_warnings: bool,
}

/// What an artifact is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ArtifactKind {
    /// A component.
    Component,
    /// A proxy-wasm module.
    ProxyWasm,
    /// A WASI command module (`_start`).
    WasiCommand,
    /// Any other core module.
    CoreModule,
    /// Not readable as wasm at all.
    Unreadable,
}

impl ArtifactKind {
    fn describe(self) -> &'static str {
        match self {
            ArtifactKind::Component => "component",
            ArtifactKind::ProxyWasm => "proxy-wasm module",
            ArtifactKind::WasiCommand => "WASI command module",
            ArtifactKind::CoreModule => "core module",
            ArtifactKind::Unreadable => "unreadable",
        }
    }
}

/// The verdict on one artifact.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Every check passed.
    Pass,
    /// Passed, with warnings.
    Warn,
    /// At least one error.
    Fail,
}

/// The result of one call verify made on a component.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CallCheck {
    /// The call.
    pub call: String,
    /// What it returned (WAVE), if it returned.
    pub result: Option<String>,
    /// What it had to return, if anything.
    pub expected: Option<String>,
    /// Whether it passed.
    pub passed: bool,
}

/// Everything verify found about one artifact.
#[derive(Clone, Debug, Serialize)]
pub struct ArtifactReport {
    /// The plugin or file.
    pub name: String,
    /// The artifact.
    pub path: PathBuf,
    /// What it is.
    pub kind: ArtifactKind,
    /// The proxy-wasm ABI, for proxy-wasm modules.
    pub abi: Option<String>,
    /// What a component exports (functions and interfaces).
    pub exports: Vec<String>,
    /// The host profile it was checked against.
    pub host: Option<HostKind>,
    /// Size in bytes.
    pub size: u64,
    /// The verdict.
    pub verdict: Verdict,
    /// Wall time, in milliseconds.
    pub duration_ms: f64,
    /// Every check, passed or not.
    pub checks: Vec<Check>,
    /// Calls made on a component.
    pub calls: Vec<CallCheck>,
    /// `VERIFY_HTTP` requests sent to an HTTP component (the call is the
    /// request line, the results are statuses).
    pub http: Vec<CallCheck>,
    /// The proxy-wasm run: outcome, recorded host calls and logs.
    pub proxy_wasm: Option<ProxyWasmReport>,
    /// Guest output captured during the checks (capped).
    pub guest_output: String,
    /// Diagnostics, rendered by the caller.
    #[serde(skip)]
    pub diagnostics: Vec<Diagnostic>,
}

impl ArtifactReport {
    fn new(target: &VerifyTarget) -> ArtifactReport {
        ArtifactReport {
            name: target.name.clone(),
            path: target.path.clone(),
            kind: ArtifactKind::Unreadable,
            abi: None,
            exports: Vec::new(),
            host: target.host,
            size: 0,
            verdict: Verdict::Pass,
            duration_ms: 0.0,
            checks: Vec::new(),
            calls: Vec::new(),
            http: Vec::new(),
            proxy_wasm: None,
            guest_output: String::new(),
            diagnostics: target.problems.clone(),
        }
    }

    /// One line for people: kind, ABI or world, host, size.
    pub fn summary(&self) -> String {
        let mut parts = vec![self.kind.describe().to_string()];
        if let Some(abi) = &self.abi {
            parts.push(format!("ABI {abi}"));
        }
        match self.exports.as_slice() {
            [] => {}
            few @ ([_] | [_, _] | [_, _, _]) => parts.push(format!("exports {}", few.join(", "))),
            [first, second, rest @ ..] => {
                parts.push(format!("exports {first}, {second} and {} more", rest.len()));
            }
        }
        if let Some(host) = self.host {
            parts.push(format!("host {host}"));
        }
        if self.size > 0 {
            parts.push(wasmkit_invoke::limits::format_bytes(
                usize::try_from(self.size).unwrap_or(usize::MAX),
            ));
        }
        if !self.calls.is_empty() {
            let passed = self.calls.iter().filter(|c| c.passed).count();
            parts.push(format!("{passed}/{} calls", self.calls.len()));
        }
        if !self.http.is_empty() {
            let passed = self.http.iter().filter(|c| c.passed).count();
            parts.push(format!("{passed}/{} requests", self.http.len()));
        }
        format!("{} ({})", self.name, parts.join(", "))
    }

    /// The exit status this artifact implies.
    pub fn exit_status(&self, deny_warnings: bool) -> ExitStatus {
        self.diagnostics
            .iter()
            .map(|d| match d.severity {
                Severity::Warning if deny_warnings => ExitStatus::Failure,
                _ => d.exit_status(),
            })
            .fold(ExitStatus::Success, ExitStatus::worst)
    }

    /// The JSON object `--message-format json` prints for this artifact.
    pub fn to_json(&self) -> serde_json::Value {
        let mut value = serde_json::to_value(self).unwrap_or_default();
        if let serde_json::Value::Object(map) = &mut value {
            map.insert("reason".into(), "wasmkit-verify".into());
            map.insert(
                "diagnostics".into(),
                self.diagnostics.iter().map(Diagnostic::to_json).collect(),
            );
        }
        value
    }

    fn finish(&mut self, started: Instant, deny_warnings: bool) {
        let origin = display_path(&self.path);
        for d in &mut self.diagnostics {
            if d.origin.is_none() && d.labels.is_empty() {
                d.origin = Some(origin.clone());
            }
        }
        self.verdict = if self.diagnostics.iter().any(Diagnostic::is_error)
            || (deny_warnings && !self.diagnostics.is_empty())
        {
            Verdict::Fail
        } else if self.diagnostics.is_empty() {
            Verdict::Pass
        } else {
            Verdict::Warn
        };
        self.duration_ms = duration_ms(started.elapsed());
    }
}

fn duration_ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 10_000.0).round() / 10.0
}

/// Verifies every target, in parallel, and returns the reports in the
/// targets' order.
pub fn verify(
    runtime: &Runtime,
    targets: &[VerifyTarget],
    settings: &VerifySettings,
) -> Vec<ArtifactReport> {
    let workers = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(targets.len())
        .max(1);
    verify_each(targets, workers, |target| {
        verify_one(runtime, target, settings)
    })
}

/// Runs `check` on every target, on `workers` threads, each target in
/// isolation: a panic (a bug of ours) becomes that target's internal-error
/// report, and every other report, finished before or after it, stands.
fn verify_each(
    targets: &[VerifyTarget],
    workers: usize,
    check: impl Fn(&VerifyTarget) -> ArtifactReport + Sync,
) -> Vec<ArtifactReport> {
    let next = AtomicUsize::new(0);
    let slots: Mutex<Vec<Option<ArtifactReport>>> = Mutex::new(vec![None; targets.len()]);
    std::thread::scope(|scope| {
        for _ in 0..workers.max(1) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(target) = targets.get(i) else { break };
                    let report = std::panic::catch_unwind(AssertUnwindSafe(|| check(target)))
                        .unwrap_or_else(|payload| panicked(target, payload.as_ref()));
                    slots.lock().unwrap_or_else(PoisonError::into_inner)[i] = Some(report);
                }
            });
        }
    });
    slots
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner)
        .into_iter()
        .zip(targets)
        .map(|(slot, target)| slot.unwrap_or_else(|| panicked(target, &"no report")))
        .collect()
}

/// The report of a target whose verification panicked.
fn panicked(target: &VerifyTarget, payload: &(dyn std::any::Any + Send)) -> ArtifactReport {
    let why = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a panic");
    let mut report = ArtifactReport::new(target);
    report.diagnostics.push(
        Diagnostic::error(
            codes::TRAP,
            "internal error: verifying this artifact panicked (please report it)",
        )
        .with_note(format!("the panic: {why}")),
    );
    report.verdict = Verdict::Fail;
    report
}

/// Verifies one artifact.
pub fn verify_one(
    runtime: &Runtime,
    target: &VerifyTarget,
    settings: &VerifySettings,
) -> ArtifactReport {
    let started = Instant::now();
    let mut report = ArtifactReport::new(target);
    let input = match WasmInput::read(&target.path) {
        Ok(input) => input,
        Err(d) => {
            report.diagnostics.push(d);
            report.finish(started, settings.deny_warnings);
            return report;
        }
    };
    report.size = input.bytes.len() as u64;
    let compiled = match runtime.compile(&input) {
        Ok((compiled, _)) => compiled,
        Err(d) => {
            report.kind = match input.kind {
                WasmKind::Component => ArtifactKind::Component,
                WasmKind::Module => ArtifactKind::CoreModule,
            };
            report
                .checks
                .push(Check::new("valid", false, d.message.clone()));
            report.diagnostics.push(d);
            report.finish(started, settings.deny_warnings);
            return report;
        }
    };
    report.checks.push(Check::new(
        "valid",
        true,
        "validates with this wasmtime's features",
    ));
    match &compiled {
        Compiled::Component(c) => {
            report.kind = ArtifactKind::Component;
            component::verify(runtime, &input, c, target, settings, &mut report);
        }
        Compiled::Module(m) if is_proxy_wasm(&input.bytes) => {
            proxy_wasm::verify(runtime, m, target, settings, &mut report);
        }
        Compiled::Module(m) => module::verify(runtime, &input, m, target, settings, &mut report),
    }
    report.finish(started, settings.deny_warnings);
    report
}

/// The target for a plugin's built artifact, with its resolved `HOST`,
/// `VERIFY_CONFIG`, `VERIFY_INVOKE`, `VERIFY_EXPECT`, `VERIFY_MOCKS` and
/// `VERIFY_HTTP`. Calls and
/// expected values are placed at their line of the file that set them, so
/// diagnostics about them point there.
pub fn plugin_target(plugin: &wasmkit_core::PluginConfig, artifact: PathBuf) -> VerifyTarget {
    let mut target = VerifyTarget::new(plugin.name(), artifact);
    target.host = plugin.host.value;
    if let Some(path) = &plugin.verify_config.value {
        match std::fs::read(path) {
            Ok(bytes) => target.config = Some(bytes),
            Err(e) => {
                let d = Diagnostic::read_failed(std::path::Path::new(&display_path(path)), &e)
                    .with_help("`VERIFY_CONFIG` is a path relative to the plugin's directory");
                target.problems.push(
                    plugin
                        .verify_config
                        .locate(d, "the plugin configuration file"),
                );
            }
        }
    }
    let sources = |setting: &wasmkit_core::config::Resolved<Vec<String>>| -> Vec<CallSource> {
        let (path, line) = match &setting.location {
            Some(loc) => (
                loc.file.path.clone(),
                loc.file.line_column(loc.span.start).0,
            ),
            None => (PathBuf::from(setting.origin.to_string()), 1),
        };
        setting
            .value
            .iter()
            .map(|text| {
                let file = wasmkit_core::SourceFile::starting_at_line(&path, text.as_str(), line);
                CallSource::within(&file, 0..text.len())
            })
            .collect()
    };
    let calls = sources(&plugin.verify_invoke);
    let mut expects = sources(&plugin.verify_expect).into_iter();
    target.calls = calls
        .into_iter()
        .map(|call| ExpectedCall {
            call,
            expect: expects.next(),
        })
        .collect();
    target.mocks = sources(&plugin.verify_mocks);
    // Resolution checked every `VERIFY_HTTP` check already.
    target.http_checks = http_check_sources(&plugin.verify_http)
        .unwrap_or_else(|| sources(&plugin.verify_http))
        .into_iter()
        .filter_map(|source| {
            wasmkit_core::http_check::HttpCheck::parse(source.text())
                .ok()
                .map(|check| http::ExpectedStatus { check, source })
        })
        .collect();
    target
}

/// Each `VERIFY_HTTP` check where it stands in the file that set it, so
/// that a failure points at the check itself; `None` when one of them
/// cannot be found there.
fn http_check_sources(
    setting: &wasmkit_core::config::Resolved<Vec<String>>,
) -> Option<Vec<CallSource>> {
    let location = setting.location.as_ref()?;
    let mut from = location.span.start;
    setting
        .value
        .iter()
        .map(|check| {
            let rest = location.file.text.get(from..location.span.end)?;
            let start = from + rest.find(check.as_str())?;
            from = start + check.len();
            Some(CallSource::within(&location.file, start..from))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The report of a check that passes, named after its target.
    fn passed(target: &VerifyTarget) -> ArtifactReport {
        ArtifactReport::new(target)
    }

    #[test]
    fn a_panic_loses_only_its_own_report() {
        let targets: Vec<VerifyTarget> = ["a", "b", "c", "d"]
            .into_iter()
            .map(|n| VerifyTarget::new(n, format!("{n}.wasm")))
            .collect();
        for workers in [1, 2, 4] {
            let reports = verify_each(&targets, workers, |target| {
                assert!(target.name != "b", "verifying b went wrong");
                passed(target)
            });
            let names: Vec<&str> = reports.iter().map(|r| r.name.as_str()).collect();
            assert_eq!(names, ["a", "b", "c", "d"]);
            let verdicts: Vec<Verdict> = reports.iter().map(|r| r.verdict).collect();
            assert_eq!(
                verdicts,
                [Verdict::Pass, Verdict::Fail, Verdict::Pass, Verdict::Pass],
                "{workers} workers"
            );
            let d = &reports[1].diagnostics[0];
            assert_eq!(
                d.message,
                "internal error: verifying this artifact panicked (please report it)"
            );
            assert_eq!(d.notes, ["the panic: verifying b went wrong"]);
        }
    }
}
