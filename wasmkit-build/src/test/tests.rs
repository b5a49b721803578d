//! The human report of failed runs, from recorded host-model reports: the
//! result lines, each failure labelled at its expectation with expected
//! against actual, the host-call excerpt that explains it, and the closing
//! line. Pinned in `wasmkit-build/tests/snapshots/report/` (refresh with
//! `SNAPSHOTS=overwrite`), independent of the host model's behaviour.

use std::path::Path;
use std::time::Duration;

use serde_json::{Map, Value, json};
use wasmkit_core::{Diagnostic, HostKind, ProxyKind, codes};
use wasmkit_invoke::proxy_wasm::{
    CalloutRecord, HostCall, HttpExchange, LogLevel, LogLine, LogSource, ProxyWasmReport,
    RequestOutcome,
};

use super::record::{RunKind, RunRecord};
use super::report::{ScenarioRun, TestSummary};
use super::{check, render, scenario};

fn call(
    callback: &str,
    function: &str,
    args: Value,
    returned: Option<Value>,
    status: &'static str,
) -> HostCall {
    let Value::Object(arguments) = args else {
        panic!("arguments are an object");
    };
    HostCall {
        callback: callback.to_string(),
        context_id: 2,
        function: function.to_string(),
        arguments,
        returned,
        status: Some(if status == "Ok" { 0 } else { 2 }),
        status_name: Some(status),
    }
}

fn log(level: LogLevel, callback: &str, message: &str, source: LogSource) -> LogLine {
    LogLine {
        level,
        message: message.to_string(),
        callback: callback.to_string(),
        source,
    }
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect()
}

/// A run of `text` (as the file `display`) judged against `report`.
fn judged(display: &str, text: &str, report: ProxyWasmReport) -> ScenarioRun {
    let s = scenario::parse(Path::new(display), display, text).unwrap_or_else(|ds| panic!("{ds}"));
    let checks = check::evaluate(&s, &report);
    ScenarioRun {
        target: display.split('/').next().unwrap_or_default().to_string(),
        artifact: "target/wasmkit/debug/plugin.wasm".to_string(),
        file: display.to_string(),
        name: s.name.clone(),
        host: HostKind::Envoy,
        kind: RunKind::Proxy(ProxyKind::Http),
        passed: checks.iter().all(|c| c.passed),
        checks,
        report: RunRecord::ProxyWasm(Box::new(report)),
        duration: Duration::from_millis(3),
        source: s.source.clone(),
    }
}

/// A filter that reads `:path` in its response callback: Envoy answers
/// BadArgument, the SDK panics, the VM fails.
fn late_header() -> ScenarioRun {
    let report = ProxyWasmReport {
        outcome: Some(RequestOutcome::Failed {
            at: "proxy_on_response_headers".to_string(),
        }),
        diagnostics: vec![Diagnostic::error(
            codes::TRAP,
            "the plugin trapped in `proxy_on_response_headers`: unreachable",
        )],
        host_calls: vec![
            call(
                "proxy_on_response_headers",
                "proxy_get_header_map_value",
                json!({"map": "request-headers", "key": ":path"}),
                None,
                "BadArgument",
            ),
            call(
                "proxy_on_response_headers",
                "proxy_log",
                json!({"level": "critical", "message": "panicked at 'unexpected status: 2'"}),
                None,
                "Ok",
            ),
        ],
        logs: vec![log(
            LogLevel::Critical,
            "proxy_on_response_headers",
            "panicked at 'unexpected status: 2'",
            LogSource::ProxyLog,
        )],
        ..ProxyWasmReport::default()
    };
    judged(
        "tt-late-header/scenarios/echoes-path.toml",
        "hosts = [\"envoy\"]\n\n[request]\npath = \"/orders\"\n\n[expect]\noutcome = \"forwarded\"\nresponse-headers = { \"x-request-path\" = \"/orders\" }\n",
        report,
    )
}

/// A callout filter that answered 503 where the scenario expected the
/// callout's 403 to come through.
fn wrong_status() -> ScenarioRun {
    let report = ProxyWasmReport {
        outcome: Some(RequestOutcome::LocalResponse {
            status: 503,
            body: "auth unavailable".to_string(),
            at: "proxy_on_request_headers".to_string(),
        }),
        exchange: Some(HttpExchange {
            response_headers: pairs(&[(":status", "503"), ("content-length", "16")]),
            response_body: "auth unavailable".to_string(),
            ..HttpExchange::default()
        }),
        callouts: vec![CalloutRecord {
            kind: "http",
            cluster: "authz".to_string(),
            headers: pairs(&[(":path", "/check")]),
            body: String::new(),
            token: None,
            answer: "refused: unknown cluster".to_string(),
        }],
        host_calls: vec![
            call(
                "proxy_on_request_headers",
                "proxy_http_call",
                json!({"upstream": "authz", "timeout_ms": 1000}),
                None,
                "BadArgument",
            ),
            call(
                "proxy_on_request_headers",
                "proxy_send_local_response",
                json!({"status": 503, "body": "auth unavailable", "headers": []}),
                None,
                "Ok",
            ),
        ],
        logs: vec![log(
            LogLevel::Warn,
            "proxy_on_request_headers",
            "tt-callout: cannot ask auth: BadArgument",
            LogSource::ProxyLog,
        )],
        ..ProxyWasmReport::default()
    };
    judged(
        "tt-callout/scenarios/denied.toml",
        "[callouts.auth]\nstatus = 403\n\n[expect]\nstatus = 403\nresponse-body = \"denied\"\ncallouts = [\"auth\"]\nlog-absent = \"cannot ask\"\n",
        report,
    )
}

#[test]
fn failures_show_expected_against_actual_and_the_host_calls_that_explain_them() {
    let runs = [late_header(), wrong_status()];
    let mut text = render::running(runs.len());
    text.push('\n');
    for run in &runs {
        text.push_str(&render::result_line(run));
        text.push('\n');
    }
    text.push_str(&render::failures(&runs, false));
    text.push('\n');
    text.push_str(&render::summary(&TestSummary {
        passed: 0,
        failed: 2,
        filtered_out: 1,
        errors: 0,
        duration: Duration::from_millis(6),
    }));
    snapbox::assert_data_eq!(
        text,
        snapbox::file!["../../tests/snapshots/report/failures.stdout"]
    );
}

#[test]
fn a_passing_run_has_only_its_line_and_counts() {
    let report = ProxyWasmReport {
        outcome: Some(RequestOutcome::Completed),
        exchange: Some(HttpExchange {
            reached_upstream: true,
            request_headers: pairs(&[(":path", "/")]),
            response_headers: pairs(&[(":status", "200"), ("X-TT", "basic")]),
            ..HttpExchange::default()
        }),
        ..ProxyWasmReport::default()
    };
    let run = judged(
        "tt-basic/scenarios/ok.toml",
        "[expect]\noutcome = \"forwarded\"\nstatus = 200\nresponse-headers = { \"x-tt\" = \"basic\" }\nupstream-headers-absent = \"x-tt\"\n",
        report,
    );
    assert!(run.passed, "{:?}", run.checks);
    assert_eq!(
        render::result_line(&run),
        "test tt-basic/scenarios/ok.toml [envoy] ... ok"
    );
    assert_eq!(render::failures([&run], false), "");
    let summary = TestSummary {
        passed: 1,
        duration: Duration::from_millis(1),
        ..TestSummary::default()
    };
    assert_eq!(
        render::summary(&summary),
        "\ntest result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s\n"
    );
    let json = run.to_json();
    assert_eq!(json["outcome"], "forwarded");
    assert_eq!(json["checks"][3]["name"], "response-headers `x-tt`");
    assert_eq!(
        (
            json["checks"][3]["line"].clone(),
            json["checks"][3]["column"].clone()
        ),
        (json!(4), json!(22))
    );
    let _: &Map<String, Value> = json.as_object().expect("an object");
}

#[test]
fn files_not_run_make_the_result_failed_with_nothing_failed() {
    let summary = TestSummary {
        passed: 2,
        errors: 1,
        ..TestSummary::default()
    };
    assert!(!summary.ok());
    assert!(render::summary(&summary).starts_with("\ntest result: FAILED. 2 passed; 0 failed;"));
    assert_eq!(summary.to_json()["errors"], 1);
}
