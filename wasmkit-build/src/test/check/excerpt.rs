//! The part of a run's record that explains a failed check: the host calls
//! that touched the header, body or stream it is about (a
//! `proxy_get_header_map_value` answered BadArgument, the local reply
//! sent, the callout made), and the log lines.

use serde_json::Value;
use wasmkit_invoke::proxy_wasm::{HostCall, LogLine, ProxyWasmReport};

use crate::test::scenario::Side;

/// The line that opens the log part of an excerpt (as the host model's
/// diagnostics open theirs).
pub(crate) const LOG_HEADING: &str = "the plugin's log:";

/// Lines quoted per excerpt; the rest are counted.
const MAX_LINES: usize = 12;

/// What a failed check is about.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Focus<'a> {
    /// A header of one side's headers.
    Header(Side, &'a str),
    /// One side's body.
    Body(Side),
    /// The fate of the request or connection.
    Outcome,
    /// The response the client got (status, local reply).
    Status,
    /// A network filter's data to one side.
    Data(Side),
    /// HTTP callouts.
    Callouts,
    /// The log.
    Log,
}

/// The lines that explain a failed check about `focus`: the host calls
/// that bear on it, then (for the outcome and the log) the log lines.
pub(crate) fn lines(report: &ProxyWasmReport, focus: Focus<'_>) -> Vec<String> {
    let mut out = Vec::new();
    let calls: Vec<&HostCall> = report
        .host_calls
        .iter()
        .filter(|c| relevant(c, focus))
        .collect();
    if !calls.is_empty() {
        out.push("host calls:".to_string());
        out.extend(capped(calls.iter().map(|c| format!("  {}", call_line(c)))));
    }
    if matches!(focus, Focus::Callouts) && !report.callouts.is_empty() {
        out.push("callouts:".to_string());
        out.extend(capped(
            report
                .callouts
                .iter()
                .map(|c| format!("  {} to `{}`: {}", c.kind, c.cluster, c.answer)),
        ));
    }
    if matches!(focus, Focus::Outcome | Focus::Status | Focus::Log) && !report.logs.is_empty() {
        out.push(LOG_HEADING.to_string());
        out.extend(capped_last(report.logs.iter().map(log_line).collect()));
    }
    out
}

fn relevant(call: &HostCall, focus: Focus<'_>) -> bool {
    let function = call.function.as_str();
    let refused = call
        .status_name
        .is_some_and(|s| s != "Ok" && s != "NotFound" && s != "success");
    match focus {
        Focus::Header(side, name) => {
            let map = match side {
                Side::Upstream => "request-headers",
                Side::Client => "response-headers",
            };
            let on_map = call.argument("map") == Some(map);
            let key_matches = call
                .argument("key")
                .is_none_or(|k| k.eq_ignore_ascii_case(name));
            (on_map && (key_matches || refused))
                || (side == Side::Client && function == "proxy_send_local_response")
        }
        Focus::Body(side) => {
            let buffer = match side {
                Side::Upstream => "http-request-body",
                Side::Client => "http-response-body",
            };
            call.argument("buffer") == Some(buffer)
                || (side == Side::Client && function == "proxy_send_local_response")
        }
        Focus::Data(side) => {
            let buffer = match side {
                Side::Upstream => "downstream-data",
                Side::Client => "upstream-data",
            };
            call.argument("buffer") == Some(buffer) || function == "proxy_close_stream"
        }
        Focus::Outcome | Focus::Status => {
            refused
                || matches!(
                    function,
                    "proxy_send_local_response"
                        | "proxy_close_stream"
                        | "proxy_continue_stream"
                        | "proxy_continue_request"
                        | "proxy_continue_response"
                        | "proxy_http_call"
                        | "proxy_grpc_call"
                )
        }
        Focus::Callouts => matches!(function, "proxy_http_call" | "proxy_dispatch_http_call"),
        Focus::Log => false,
    }
}

/// One host call: `callback: function(arg: value, ...) -> Status (returned)`.
pub(crate) fn call_line(call: &HostCall) -> String {
    let args: Vec<String> = call
        .arguments
        .iter()
        .map(|(k, v)| format!("{k}: {}", short_json(v)))
        .collect();
    let mut line = format!("{}: {}({})", call.callback, call.function, args.join(", "));
    match (call.status_name, call.status) {
        (Some(name), _) => line.push_str(&format!(" -> {name}")),
        (None, Some(code)) => line.push_str(&format!(" -> {code}")),
        (None, None) => line.push_str(" -> (did not return)"),
    }
    if let Some(returned) = &call.returned {
        line.push_str(&format!(" ({})", short_json(returned)));
    }
    line
}

fn log_line(line: &LogLine) -> String {
    format!(
        "  [{}] {}: {}",
        line.level.as_str(),
        line.callback,
        line.message
    )
}

/// JSON, compact, cut to a readable length.
fn short_json(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 120 {
        let cut: String = text.chars().take(117).collect();
        format!("{cut}...")
    } else {
        text
    }
}

fn capped(lines: impl Iterator<Item = String>) -> Vec<String> {
    let all: Vec<String> = lines.collect();
    let more = all.len().saturating_sub(MAX_LINES);
    let mut out: Vec<String> = all.into_iter().take(MAX_LINES).collect();
    if more > 0 {
        out.push(format!("  ... and {more} more"));
    }
    out
}

/// The last lines: a log's end says most about how a run ended.
fn capped_last(all: Vec<String>) -> Vec<String> {
    let skip = all.len().saturating_sub(MAX_LINES);
    let mut out = Vec::new();
    if skip > 0 {
        out.push(format!("  ... {skip} earlier lines"));
    }
    out.extend(all.into_iter().skip(skip));
    out
}
