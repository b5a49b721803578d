//! Judging a run against a scenario's `[expect]`: one [`CheckResult`] per
//! expectation, with what was expected, what happened and, when it failed,
//! the part of the host-call record and log that explains it.
//!
//! Besides the written expectations, every run has the implicit check
//! `run`: the plugin made no error (trap, malformed host call, stalled
//! request) — unless the scenario expects it to fail or stall.

pub(crate) mod excerpt;

use std::ops::Range;

use serde::Serialize;
use wasmkit_invoke::proxy_wasm::{ProxyWasmReport, RequestOutcome};

use crate::test::scenario::{Expectation, Expected, Outcome, Scenario, Side};

use excerpt::Focus;

/// One check of a run and its verdict.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CheckResult {
    /// `run` (the implicit check), or the expectation's key and subject:
    /// `outcome`, ``upstream-headers `x-user` ``, `log-contains "ready"`.
    pub name: String,
    /// Whether it held.
    pub passed: bool,
    /// What was expected, in words.
    pub expected: String,
    /// What happened, in words.
    pub actual: String,
    /// Where the expectation is written; `None` for the implicit check.
    #[serde(skip)]
    pub span: Option<Range<usize>>,
    /// The host calls and log lines that explain a failure.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub excerpt: Vec<String>,
}

/// Every check of `scenario` against the run's `report`.
pub(crate) fn evaluate(scenario: &Scenario, report: &ProxyWasmReport) -> Vec<CheckResult> {
    let mut results = Vec::new();
    let expected_outcome = scenario.expect.iter().find_map(|e| match e.expected {
        Expected::Outcome(o) => Some(o),
        _ => None,
    });
    if !matches!(expected_outcome, Some(Outcome::Failed | Outcome::Stalled)) {
        results.push(no_errors(report));
    }
    for expectation in &scenario.expect {
        results.push(check(expectation, report));
    }
    results
}

fn no_errors(report: &ProxyWasmReport) -> CheckResult {
    let errors: Vec<&str> = report
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.message.as_str())
        .collect();
    let passed = errors.is_empty();
    CheckResult {
        name: "run".to_string(),
        passed,
        expected: "no errors".to_string(),
        actual: match errors.as_slice() {
            [] => "no errors".to_string(),
            [one] => format!("error: {one}"),
            [first, rest @ ..] => format!("{} errors, the first: {first}", rest.len() + 1),
        },
        span: None,
        excerpt: if passed {
            Vec::new()
        } else {
            excerpt::lines(report, Focus::Outcome)
        },
    }
}

fn check(expectation: &Expectation, report: &ProxyWasmReport) -> CheckResult {
    let (expected, actual, passed, focus) = match &expectation.expected {
        Expected::Outcome(want) => {
            let (got, described) = outcome(report);
            (
                want.to_string(),
                described,
                got == Some(*want),
                Focus::Outcome,
            )
        }
        Expected::Status(want) => {
            let got = client_status(report);
            let actual = match got {
                Some(s) => s.to_string(),
                None => format!("no response ({})", outcome(report).1),
            };
            (
                want.to_string(),
                actual,
                got == Some(u32::from(*want)),
                Focus::Status,
            )
        }
        Expected::Header { side, name, value } => {
            let focus = Focus::Header(*side, name);
            match headers(report, *side) {
                Err(why) => (format!("{name}: {value}"), why, false, focus),
                Ok(headers) => {
                    let values = values_of(headers, name);
                    let actual = header_actual(name, &values);
                    let passed = values.iter().any(|v| v == value);
                    (format!("{name}: {value}"), actual, passed, focus)
                }
            }
        }
        Expected::HeaderAbsent { side, name } => {
            let focus = Focus::Header(*side, name);
            match headers(report, *side) {
                Err(why) => (format!("no `{name}` header"), why, false, focus),
                Ok(headers) => {
                    let values = values_of(headers, name);
                    let actual = header_actual(name, &values);
                    (
                        format!("no `{name}` header"),
                        actual,
                        values.is_empty(),
                        focus,
                    )
                }
            }
        }
        Expected::Body { side, body } => {
            let focus = Focus::Body(*side);
            match body_of(report, *side) {
                Err(why) => (quote(body), why, false, focus),
                Ok(got) => (quote(body), quote(&got), got == *body, focus),
            }
        }
        Expected::Data { side, data } => {
            let got = report.connection.as_ref().map(|c| match side {
                Side::Upstream => c.to_upstream.clone(),
                Side::Client => c.to_downstream.clone(),
            });
            match got {
                Some(got) => (quote(data), quote(&got), got == *data, Focus::Data(*side)),
                None => (
                    quote(data),
                    format!("no connection ({})", outcome(report).1),
                    false,
                    Focus::Data(*side),
                ),
            }
        }
        Expected::LogContains(text) => {
            let found = report
                .logs
                .iter()
                .any(|l| l.message.contains(text.as_str()));
            let actual = if found {
                format!("a line contains {text:?}")
            } else {
                format!("no such line ({} logged)", report.logs.len())
            };
            (
                format!("a line containing {text:?}"),
                actual,
                found,
                Focus::Log,
            )
        }
        Expected::LogAbsent(text) => {
            let found = report
                .logs
                .iter()
                .find(|l| l.message.contains(text.as_str()));
            let actual = match found {
                Some(line) => format!(
                    "[{}] {}: {}",
                    line.level.as_str(),
                    line.callback,
                    line.message
                ),
                None => format!("no line contains {text:?}"),
            };
            (
                format!("no line containing {text:?}"),
                actual,
                found.is_none(),
                Focus::Log,
            )
        }
        Expected::Callouts(want) => {
            // HTTP callouts: `[callouts.<cluster>]` answers those.
            let got: Vec<&str> = report
                .callouts
                .iter()
                .filter(|c| c.kind == "http")
                .map(|c| c.cluster.as_str())
                .collect();
            let show = |list: &[&str]| {
                if list.is_empty() {
                    "none".to_string()
                } else {
                    list.iter()
                        .map(|c| format!("`{c}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            };
            let want_refs: Vec<&str> = want.iter().map(String::as_str).collect();
            (
                show(&want_refs),
                show(&got),
                got == want_refs,
                Focus::Callouts,
            )
        }
    };
    CheckResult {
        name: expectation.name(),
        passed,
        expected,
        actual,
        span: Some(expectation.span.clone()),
        excerpt: if passed {
            Vec::new()
        } else {
            excerpt::lines(report, focus)
        },
    }
}

/// What became of the request, as a scenario names it, and in words.
pub(crate) fn outcome(report: &ProxyWasmReport) -> (Option<Outcome>, String) {
    match &report.outcome {
        Some(RequestOutcome::Completed) => (Some(Outcome::Forwarded), "forwarded".to_string()),
        Some(RequestOutcome::LocalResponse { status, at, .. }) => (
            Some(Outcome::LocalReply),
            format!("local-reply (status {status}, sent in {at})"),
        ),
        Some(RequestOutcome::Stalled { at, reason }) => (
            Some(Outcome::Stalled),
            format!("stalled after {at}: {reason}"),
        ),
        Some(RequestOutcome::Reset { at }) => (Some(Outcome::Reset), format!("reset in {at}")),
        Some(RequestOutcome::Failed { at }) => (Some(Outcome::Failed), format!("failed in {at}")),
        // The plugin never got to the traffic: it failed to start or
        // rejected its configuration, so the host fails it.
        None => match report.diagnostics.iter().find(|d| d.is_error()) {
            Some(d) => (
                Some(Outcome::Failed),
                format!("failed before the traffic: {}", d.message),
            ),
            None => (None, "no traffic was sent".to_string()),
        },
    }
}

/// The status the client got.
fn client_status(report: &ProxyWasmReport) -> Option<u32> {
    match &report.outcome {
        Some(RequestOutcome::LocalResponse { status, .. }) => Some(*status),
        Some(RequestOutcome::Completed) => report
            .exchange
            .as_ref()?
            .response_header(":status")?
            .parse()
            .ok(),
        _ => None,
    }
}

/// One side's headers, or why there are none.
fn headers(report: &ProxyWasmReport, side: Side) -> Result<&[(String, String)], String> {
    let exchange = report.exchange.as_ref();
    match side {
        Side::Upstream => match exchange {
            Some(x) if x.reached_upstream => Ok(&x.request_headers),
            _ => Err(format!("no request upstream ({})", outcome(report).1)),
        },
        Side::Client => match (exchange, &report.outcome) {
            (Some(x), Some(RequestOutcome::Completed | RequestOutcome::LocalResponse { .. })) => {
                Ok(&x.response_headers)
            }
            _ => Err(format!("no response ({})", outcome(report).1)),
        },
    }
}

/// One side's body, or why there is none.
fn body_of(report: &ProxyWasmReport, side: Side) -> Result<String, String> {
    // A body is there exactly when that side's headers are.
    headers(report, side)?;
    let exchange = report.exchange.as_ref();
    Ok(match (side, &report.outcome) {
        (Side::Upstream, _) => exchange.map(|x| x.request_body.clone()).unwrap_or_default(),
        (Side::Client, Some(RequestOutcome::LocalResponse { body, .. })) => exchange
            .map(|x| x.response_body.clone())
            .filter(|b| !b.is_empty())
            .unwrap_or_else(|| body.clone()),
        (Side::Client, _) => exchange
            .map(|x| x.response_body.clone())
            .unwrap_or_default(),
    })
}

/// Every value of the headers named `name`, compared as HTTP does: case
/// aside.
/// The values a header was found with, as a report shows them.
pub(crate) fn header_actual(name: &str, values: &[&str]) -> String {
    if values.is_empty() {
        format!("no `{name}` header")
    } else {
        values
            .iter()
            .map(|v| format!("{name}: {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn values_of<'h>(headers: &'h [(String, String)], name: &str) -> Vec<&'h str> {
    headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
        .collect()
}

/// A body or data in quotes, cut to a readable length.
pub(crate) fn quote(text: &str) -> String {
    if text.is_empty() {
        return "empty".to_string();
    }
    let count = text.chars().count();
    if count > 300 {
        let cut: String = text.chars().take(300).collect();
        format!("{cut:?}... ({count} characters)")
    } else {
        format!("{text:?}")
    }
}
