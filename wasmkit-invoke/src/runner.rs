//! Running a stream of calls on one instance and reporting each, in order,
//! as WAVE lines or JSON objects, with the mocked imports each call made;
//! at the end, the handles still live are dropped.

use wasmkit_core::{Diagnostic, ExitStatus, codes};
use wasmtime::component::wasm_wave::{self, wasm::WasmValue};

use crate::call::CallSource;
use crate::listing::{Catalog, Item};
use crate::sandbox::OutputSink;
use crate::session::{CallOutput, CallResults, Session};

/// How results and errors are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// One WAVE line per call on stdout; diagnostics through the reporter.
    Wave,
    /// One JSON object per call on stdout (results or error); the guest's
    /// own stdout is captured into each object.
    Json,
}

/// Receives diagnostics in human mode (rendered on stderr by the caller).
pub trait DiagnosticSink {
    /// Reports one diagnostic.
    fn report(&mut self, diagnostic: &Diagnostic);
}

impl<F: FnMut(&Diagnostic)> DiagnosticSink for F {
    fn report(&mut self, diagnostic: &Diagnostic) {
        self(diagnostic);
    }
}

/// Writes results to `results`. In [`Format::Json`], `guest_out` must be the
/// capturing sink the session's guest writes to.
pub struct Runner<'a> {
    /// Where result lines go.
    pub results: &'a OutputSink,
    /// Where the guest's stdout goes (the same sink in WAVE mode).
    pub guest_out: &'a OutputSink,
    /// Output format.
    pub format: Format,
    /// Where `-v` lines go in WAVE mode (`import store.get("k1") ->
    /// some("v1")`, `drop <counter #1>`); `None` without `-v`.
    pub verbose: Option<&'a dyn Fn(&str)>,
}

impl std::fmt::Debug for Runner<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runner")
            .field("format", &self.format)
            .finish_non_exhaustive()
    }
}

/// Errors shown in full per run; the rest are counted, as rustc caps a
/// flood of errors, and listed only in JSON output.
pub const SHOWN_ERRORS: usize = 50;

fn wave<V: WasmValue>(v: &V) -> String {
    wasm_wave::to_string(v).unwrap_or_else(|e| format!("<{e}>"))
}

impl CallOutput {
    /// Each result value as a WAVE string.
    pub fn values(&self) -> Vec<String> {
        if self.has_handles {
            // A component function has one result; its handles have no
            // WAVE form of their own.
            return vec![self.wave.clone()];
        }
        match &self.results {
            CallResults::Component(v) => v.iter().map(wave).collect(),
            CallResults::Module(v) => v.iter().map(wave).collect(),
        }
    }
}

impl Runner<'_> {
    /// Prints the listing: exported functions and resources, then the
    /// imports with what provides each when one is mocked or unprovided
    /// (or always, with `all_imports`). JSON lists everything.
    pub fn list(&self, catalog: &Catalog, all_imports: bool) {
        let json = |value: serde_json::Value| self.results.line(&value.to_string());
        for item in &catalog.exports {
            match (item, self.format) {
                (Item::Function(f), Format::Json) => json(serde_json::json!({
                    "reason": "wasmkit-export",
                    "name": f.name,
                    "signature": f.signature,
                    "callable": f.callable,
                })),
                (Item::Resource(r), Format::Json) => json(serde_json::json!({
                    "reason": "wasmkit-resource",
                    "instance": r.instance,
                    "name": r.name,
                    "wit": r.wit,
                })),
                (Item::Function(f), Format::Wave) if f.name.starts_with(crate::http::HANDLE) => {
                    self.results.line(&format!(
                        "{}  (an HTTP handler: send it requests with `--http 'GET /'`)",
                        f.signature
                    ))
                }
                (Item::Function(f), Format::Wave) if f.callable => self.results.line(&f.signature),
                (Item::Function(f), Format::Wave) => self.results.line(&format!(
                    "{}  (not callable: uses a future, stream or error context)",
                    f.signature
                )),
                (Item::Resource(r), Format::Wave) => match &r.instance {
                    Some(instance) => self.results.line(&format!("{instance}: {}", r.wit)),
                    None => self.results.line(&r.wit),
                },
            };
        }
        match self.format {
            Format::Json => {
                for i in &catalog.imports {
                    json(serde_json::json!({
                        "reason": "wasmkit-import",
                        "name": i.name,
                        "signature": i.signature,
                        "provider": i.provider,
                    }));
                }
            }
            Format::Wave if all_imports || catalog.has_custom_imports() => {
                if !catalog.imports.is_empty() {
                    self.results.line("imports:");
                }
                for i in &catalog.imports {
                    self.results
                        .line(&format!("  {}  ({})", i.signature, i.provider.describe()));
                }
            }
            Format::Wave => {}
        }
        self.results.flush();
    }

    /// Runs every call in order on `session`. A call that fails with bad
    /// input is reported and the next one runs; after a guest failure (a
    /// trap, a timeout, an exit) the instance cannot be entered again, so
    /// the remaining calls are reported as not run. After
    /// [`SHOWN_ERRORS`] errors, the others are only counted, and one line
    /// at the end says how many there were (JSON output keeps them all).
    /// Returns the worst exit status.
    pub fn run(
        &self,
        session: &mut Session,
        calls: impl Iterator<Item = Result<CallSource, Diagnostic>>,
        diagnostics: &mut dyn DiagnosticSink,
    ) -> ExitStatus {
        let flush_each = self.results.is_terminal();
        let mut status = ExitStatus::Success;
        let mut stopped: Option<String> = None;
        let (mut shown, mut hidden) = (0usize, 0usize);
        for call in calls {
            let outcome = match (call, &stopped) {
                (Err(d), _) => Err(d),
                (Ok(call), Some(why)) => Err(Diagnostic::error(
                    codes::INSTANTIATE_FAILED,
                    format!("`{}` was not run: {why}", call.text()),
                )
                .with_label(call.label(0..call.text().len(), "skipped"))),
                (Ok(call), None) => match session.call(&call) {
                    Ok(out) => {
                        self.imports(session);
                        self.result(&call, &out, session);
                        Ok(())
                    }
                    Err(d) => {
                        self.imports(session);
                        if d.exit_status() == ExitStatus::Failure {
                            stopped = Some(format!(
                                "the instance failed in an earlier call (`{}`)",
                                call.text()
                            ));
                        }
                        Err(d)
                    }
                },
            };
            if let Err(d) = outcome {
                status = status.worst(d.exit_status());
                if self.format == Format::Json || shown < SHOWN_ERRORS {
                    shown += 1;
                    self.error(&d, session, diagnostics);
                } else {
                    hidden += 1;
                }
            }
            if flush_each {
                self.results.flush();
            }
            if self.results.closed() {
                break;
            }
        }
        if stopped.is_none() && !self.results.closed() {
            status = status.worst(self.drop_live_handles(session, diagnostics));
        }
        self.results.flush();
        if hidden > 0 {
            let noun = if hidden == 1 {
                "error was"
            } else {
                "errors were"
            };
            diagnostics.report(&Diagnostic::error(
                codes::ERRORS_NOT_SHOWN,
                format!(
                    "{hidden} more {noun} not shown, after the first {SHOWN_ERRORS} \
                     (`--message-format json` reports every one)"
                ),
            ));
        }
        status
    }

    /// Drops the handles still live; their destructors may print.
    fn drop_live_handles(
        &self,
        session: &mut Session,
        diagnostics: &mut dyn DiagnosticSink,
    ) -> ExitStatus {
        let (dropped, failed) = session.drop_live_handles();
        if let Some(verbose) = self.verbose {
            for label in &dropped {
                verbose(&format!("drop {label}"));
            }
        }
        if self.format == Format::Json && (!dropped.is_empty() || failed.is_some()) {
            let (stdout, _) = self.guest_out.take_captured();
            self.results.line(
                &serde_json::json!({
                    "reason": "wasmkit-drop",
                    "dropped": dropped,
                    "error": failed.as_ref().map(Diagnostic::to_json),
                    "stdout": String::from_utf8_lossy(&stdout),
                })
                .to_string(),
            );
            return failed.map_or(ExitStatus::Success, |d| d.exit_status());
        }
        match failed {
            Some(d) => {
                self.results.flush();
                diagnostics.report(&d);
                d.exit_status()
            }
            None => ExitStatus::Success,
        }
    }

    /// `-v`: the mocked imports the last call reached.
    fn imports(&self, session: &Session) {
        if let (Some(verbose), Format::Wave) = (self.verbose, self.format) {
            for call in session.last_imports() {
                verbose(&format!("import {call}"));
            }
            let more = session.last_imports_dropped();
            if more > 0 {
                verbose(&format!("import ... and {more} more calls, not recorded"));
            }
        }
    }

    fn result(&self, call: &CallSource, out: &CallOutput, session: &Session) {
        match self.format {
            Format::Wave => {
                self.results.line(&out.wave);
            }
            Format::Json => {
                let (stdout, dropped) = self.guest_out.take_captured();
                self.results.line(
                    &serde_json::json!({
                        "reason": "wasmkit-call",
                        "call": call.text(),
                        "function": out.function,
                        "results": out.values(),
                        "wave": out.wave,
                        "stdout": String::from_utf8_lossy(&stdout),
                        "stdout_dropped_bytes": dropped,
                        "imports": session.last_imports(),
                        "imports_dropped": session.last_imports_dropped(),
                    })
                    .to_string(),
                );
            }
        }
    }

    fn error(&self, d: &Diagnostic, session: &Session, diagnostics: &mut dyn DiagnosticSink) {
        match self.format {
            Format::Wave => {
                // Results printed so far come before the diagnostic.
                self.results.flush();
                diagnostics.report(d);
            }
            Format::Json => {
                let (stdout, _) = self.guest_out.take_captured();
                self.results.line(
                    &serde_json::json!({
                        "reason": "wasmkit-call",
                        "error": d.to_json(),
                        "stdout": String::from_utf8_lossy(&stdout),
                        "imports": session.last_imports(),
                        "imports_dropped": session.last_imports_dropped(),
                    })
                    .to_string(),
                );
            }
        }
    }
}
