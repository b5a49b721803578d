//! `VERIFY_HTTP`: requests `verify` sends to an HTTP component, each on a
//! fresh instance as `invoke --http` sends it, and the status each must
//! get. Outgoing requests are refused, as in `invoke` without `--upstream`.

use wasmkit_core::http_check::HttpCheck;
use wasmkit_core::{Diagnostic, codes};
use wasmkit_invoke::call::CallSource;
use wasmkit_invoke::http::{HttpHandler, HttpRequest, HttpResponse, Upstreams};
use wasmkit_invoke::{OutputSink, Runtime, SandboxOptions, SessionOptions};
use wasmtime::component::Component;

use super::{ArtifactReport, CallCheck, Check, VerifySettings, VerifyTarget};

/// One check and where it is written.
#[derive(Clone, Debug)]
pub struct ExpectedStatus {
    /// The check.
    pub check: HttpCheck,
    /// Its text, placed where it is written.
    pub source: CallSource,
}

impl ExpectedStatus {
    /// A check given on the command line (`verify --http`).
    pub fn argument(text: &str) -> Result<ExpectedStatus, Diagnostic> {
        let check = HttpCheck::parse(text).map_err(|why| {
            Diagnostic::error(
                codes::INVALID_OPTION,
                format!("invalid `--http '{text}'`: {why}"),
            )
        })?;
        Ok(ExpectedStatus {
            check,
            source: CallSource::argument(text),
        })
    }
}

/// The most bytes of a response body a failed check shows.
const BODY_SHOWN: usize = 200;

/// Makes `target`'s checks on `component`; the handler's output goes to
/// `out`.
pub(super) fn verify(
    runtime: &Runtime,
    component: &Component,
    target: &VerifyTarget,
    settings: &VerifySettings,
    report: &mut ArtifactReport,
    out: &OutputSink,
) {
    let Some(first) = target.http_checks.first() else {
        return;
    };
    let options = SessionOptions {
        sandbox: SandboxOptions::default(),
        limits: settings.limits,
        // The handler is served on the profile's own linker, as `wasmtime
        // serve` serves it: `VERIFY_MOCKS` are for `VERIFY_INVOKE` calls.
        mocks: Vec::new(),
    };
    let handler = match HttpHandler::new(runtime, component, &options, out.clone()) {
        Ok(handler) => handler,
        Err(d) => {
            report
                .checks
                .push(Check::new("http", false, d.message.clone()));
            let whole = 0..first.source.text().len();
            report.diagnostics.push(
                d.with_label(
                    first
                        .source
                        .label(whole, "`VERIFY_HTTP` needs an HTTP handler"),
                ),
            );
            return;
        }
    };
    let upstreams = Upstreams::new();
    for expected in &target.http_checks {
        let request = HttpRequest::new(&expected.check.method, &expected.check.path);
        let outcome = handler.handle(&request, &upstreams);
        report.diagnostics.extend(
            outcome
                .outgoing
                .iter()
                .filter_map(wasmkit_invoke::http::OutgoingRecord::denied_warning),
        );
        let mut check = CallCheck {
            call: expected.check.request_line(),
            result: outcome.response.as_ref().map(|r| r.head.status.to_string()),
            expected: Some(expected.check.status.to_string()),
            passed: false,
        };
        let whole = 0..expected.source.text().len();
        match (outcome.failure, outcome.response) {
            (Some(d), _) => report
                .diagnostics
                .push(d.with_label(expected.source.label(whole, "sent by this check"))),
            (None, Some(response)) if response.head.status == expected.check.status => {
                check.passed = true;
            }
            (None, Some(response)) => report
                .diagnostics
                .push(mismatch(expected, &response, whole)),
            (None, None) => {}
        }
        report.http.push(check);
    }
}

fn mismatch(
    expected: &ExpectedStatus,
    response: &HttpResponse,
    whole: std::ops::Range<usize>,
) -> Diagnostic {
    let got = response.head.status_line();
    let got = got.trim_start_matches("HTTP/1.1 ");
    let mut d = Diagnostic::error(
        codes::EXPECTATION_FAILED,
        format!(
            "`{}` answered `{got}`, expected {}",
            expected.check.request_line(),
            expected.check.status
        ),
    )
    .with_label(
        expected
            .source
            .label(whole, format!("answered {}", response.head.status)),
    );
    if !response.body.is_empty() {
        let shown = String::from_utf8_lossy(&response.body[..response.body.len().min(BODY_SHOWN)]);
        let more = response.body.len().saturating_sub(BODY_SHOWN);
        let shown = shown.trim_end();
        d = d.with_note(if more > 0 {
            format!("the response body:\n{shown}\n... ({more} more bytes)")
        } else {
            format!("the response body:\n{shown}")
        });
    }
    d.with_help("fix the handler, or `VERIFY_HTTP` if the expectation is wrong")
}
