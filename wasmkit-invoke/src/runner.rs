//! Running a stream of calls on one instance and reporting each, in order,
//! as WAVE lines or JSON objects.

use wasmkit_core::{Diagnostic, ExitStatus, codes};
use wasmtime::component::wasm_wave::{self, wasm::WasmValue};

use crate::call::CallSource;
use crate::sandbox::OutputSink;
use crate::session::{CallOutput, CallResults, Listing, Session};

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
#[derive(Debug)]
pub struct Runner<'a> {
    /// Where result lines go.
    pub results: &'a OutputSink,
    /// Where the guest's stdout goes (the same sink in WAVE mode).
    pub guest_out: &'a OutputSink,
    /// Output format.
    pub format: Format,
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
        match &self.results {
            CallResults::Component(v) => v.iter().map(wave).collect(),
            CallResults::Module(v) => v.iter().map(wave).collect(),
        }
    }
}

impl Runner<'_> {
    /// Prints the listing of exports.
    pub fn list(&self, listing: &[Listing]) {
        for f in listing {
            match self.format {
                Format::Json => {
                    self.results.line(
                        &serde_json::json!({
                            "reason": "wasmkit-export",
                            "name": f.name,
                            "signature": f.signature,
                            "callable": f.callable,
                        })
                        .to_string(),
                    );
                }
                Format::Wave if f.callable => {
                    self.results.line(&f.signature);
                }
                Format::Wave => {
                    self.results.line(&format!(
                        "{}  (not callable with WAVE: uses a resource, future or stream)",
                        f.signature
                    ));
                }
            }
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
                        self.result(&call, &out);
                        Ok(())
                    }
                    Err(d) => {
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
                    self.error(&d, diagnostics);
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

    fn result(&self, call: &CallSource, out: &CallOutput) {
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
                    })
                    .to_string(),
                );
            }
        }
    }

    fn error(&self, d: &Diagnostic, diagnostics: &mut dyn DiagnosticSink) {
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
                    })
                    .to_string(),
                );
            }
        }
    }
}
