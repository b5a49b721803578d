//! One HTTP scenario: its request sent to a fresh instance of the handler,
//! the outgoing requests answered by its `[callouts]`, and the response
//! judged against `[expect]`. Besides the written expectations, the
//! implicit check `run` holds when the handler answered (a trap, a timeout
//! or no response fails it).

use wasmkit_invoke::OutputSink;
use wasmkit_invoke::http::{HttpHandler, HttpOutcome, HttpResponse};

use super::http::HttpScenario;
use crate::test::check::{CheckResult, header_actual, quote};
use crate::test::record::{HttpRecord, outgoing_line};
use crate::test::scenario::{Expectation, Expected};

/// Sends the scenario's request through `handler`, whose guest output goes
/// to `output`.
pub(crate) fn run(
    handler: &HttpHandler,
    output: &OutputSink,
    scenario: &HttpScenario,
) -> (Vec<CheckResult>, HttpRecord) {
    let outcome = handler.handle(&scenario.request, &scenario.upstreams);
    let (bytes, _) = output.take_captured();
    let checks = evaluate(scenario, &outcome);
    let record = HttpRecord {
        request: format!(
            "{} {}",
            scenario.request.method, scenario.request.path_with_query
        ),
        response: outcome.response,
        outgoing: outcome.outgoing,
        output: String::from_utf8_lossy(&bytes).into_owned(),
        diagnostics: outcome.failure.into_iter().collect(),
    };
    (checks, record)
}

/// Every check of `scenario` against `outcome`, the implicit `run` first.
pub(crate) fn evaluate(scenario: &HttpScenario, outcome: &HttpOutcome) -> Vec<CheckResult> {
    let excerpt = || -> Vec<String> { outcome.outgoing.iter().map(outgoing_line).collect() };
    let mut checks = vec![CheckResult {
        name: "run".to_string(),
        passed: outcome.failure.is_none(),
        expected: "a response".to_string(),
        actual: match &outcome.failure {
            None => "a response".to_string(),
            Some(d) => format!("error: {}", d.message),
        },
        span: None,
        excerpt: if outcome.failure.is_some() {
            excerpt()
        } else {
            Vec::new()
        },
    }];
    for expectation in &scenario.expect {
        let (expected, actual, passed) = judge(expectation, outcome);
        checks.push(CheckResult {
            name: expectation.name(),
            passed,
            expected,
            actual,
            span: Some(expectation.span.clone()),
            excerpt: if passed { Vec::new() } else { excerpt() },
        });
    }
    checks
}

/// Expected and actual, in words, and whether they agree.
fn judge(expectation: &Expectation, outcome: &HttpOutcome) -> (String, String, bool) {
    let no_response = || match &outcome.failure {
        Some(d) => format!("no response ({})", d.message),
        None => "no response".to_string(),
    };
    let response: Option<&HttpResponse> = outcome.response.as_ref();
    match &expectation.expected {
        Expected::Status(want) => match response {
            Some(r) => (
                want.to_string(),
                r.head.status.to_string(),
                r.head.status == *want,
            ),
            None => (want.to_string(), no_response(), false),
        },
        Expected::Header { name, value, .. } => {
            let expected = format!("{name}: {value}");
            match response {
                Some(r) => {
                    let values = r.head.header_values(name);
                    (
                        expected,
                        header_actual(name, &values),
                        values.contains(&value.as_str()),
                    )
                }
                None => (expected, no_response(), false),
            }
        }
        Expected::HeaderAbsent { name, .. } => {
            let expected = format!("no `{name}` header");
            match response {
                Some(r) => {
                    let values = r.head.header_values(name);
                    (expected, header_actual(name, &values), values.is_empty())
                }
                None => (expected, no_response(), false),
            }
        }
        Expected::Body { body, .. } => match response {
            Some(r) => {
                let got = String::from_utf8_lossy(&r.body);
                (quote(body), quote(&got), r.body == body.as_bytes())
            }
            None => (quote(body), no_response(), false),
        },
        Expected::Callouts(want) => {
            let got: Vec<&str> = outcome
                .outgoing
                .iter()
                .map(|o| o.authority.as_str())
                .collect();
            let want: Vec<&str> = want.iter().map(String::as_str).collect();
            (authorities(&want), authorities(&got), got == want)
        }
        // Not read from an HTTP scenario's `[expect]`.
        other => (format!("{other:?}"), "not checked here".to_string(), false),
    }
}

fn authorities(list: &[&str]) -> String {
    if list.is_empty() {
        "none".to_string()
    } else {
        list.iter()
            .map(|a| format!("`{a}`"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}
