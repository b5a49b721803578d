//! HTTP callouts: `proxy_http_call` checked as Envoy's `Context::httpCall`
//! checks it (a negative timeout, a cluster the host does not know, a
//! request without `:method`, `:path` or `:authority`: BadArgument), then
//! answered from the plan's [`Callouts`](crate::proxy_wasm::plan::Callouts)
//! once the callback that made it returns, or when its timeout expires in
//! virtual time; and `proxy_get_status`.

use serde_json::json;
use wasmkit_core::{Diagnostic, codes};
use wasmtime::Caller;

use super::Args;
use super::headers::{HeaderMap, lowercase, pairs_or_empty};
use super::memory::{HostResult, give, read, write_u32};
use super::record::{MAX_TEXT, Record, capped, pairs_json, text};
use super::state::HostState;
use crate::proxy_wasm::abi::status::{BAD_ARGUMENT, INTERNAL_FAILURE, OK};
use crate::proxy_wasm::plan::CalloutAnswer;
use crate::proxy_wasm::report::CalloutRecord;

/// Callouts waiting for an answer.
pub(super) const MAX_PENDING_CALLOUTS: usize = 1_024;

/// Callouts recorded in the report.
pub(super) const MAX_CALLOUT_RECORDS: usize = 256;

/// An HTTP callout waiting for its answer.
#[derive(Clone, Debug)]
pub(crate) struct Callout {
    pub(crate) token: u32,
    pub(crate) cluster: String,
    pub(crate) path: String,
    pub(crate) answer: CalloutAnswer,
    /// Virtual time the answer arrives; `None` never (a timeout answer to a
    /// callout made without a timeout).
    pub(crate) due_ms: Option<u64>,
    /// Its entry in the report's callouts.
    pub(crate) record: Option<usize>,
}

/// The response of a callout, visible while its callback runs.
#[derive(Clone, Debug)]
pub(crate) struct CalloutResponse {
    pub(crate) headers: HeaderMap,
    pub(crate) body: Vec<u8>,
    pub(crate) trailers: HeaderMap,
}

impl HostState {
    /// Adds a callout to the report; its index, while there is room.
    pub(super) fn record_callout(&mut self, record: CalloutRecord) -> Option<usize> {
        if self.callout_records.len() >= MAX_CALLOUT_RECORDS {
            return None;
        }
        self.callout_records.push(record);
        Some(self.callout_records.len() - 1)
    }
}

/// `proxy_http_call` (cpp-host `exports::http_call`, which calls out from
/// the root context; Envoy `Context::httpCall`).
pub(super) fn http_call(
    caller: &mut Caller<'_, HostState>,
    a: &Args<'_>,
    rec: &mut Record,
) -> HostResult<u32> {
    let upstream = read(caller, a.u32(0), a.u32(1))?;
    let raw_headers = read(caller, a.u32(2), a.u32(3))?;
    let body = read(caller, a.u32(4), a.u32(5))?;
    let raw_trailers = read(caller, a.u32(6), a.u32(7))?;
    let timeout = a.u32(8);
    let mut headers = pairs_or_empty(caller, &raw_headers, "proxy_http_call");
    let trailers = pairs_or_empty(caller, &raw_trailers, "proxy_http_call");
    rec.arg("upstream", text(&upstream));
    rec.arg("headers", pairs_json(&headers));
    rec.arg("body", text(&body));
    rec.arg("trailers", pairs_json(&trailers));
    rec.arg("timeout_ms", timeout);
    // The host writes the token slot first to check it.
    write_u32(caller, a.u32(9), 0)?;
    let cluster = capped(&upstream, MAX_TEXT);
    let state = caller.data_mut();
    let refused = |state: &mut HostState, why: &str| {
        state.record_callout(CalloutRecord {
            kind: "http",
            cluster: cluster.clone(),
            headers: Vec::new(),
            body: capped(&body, MAX_TEXT),
            token: None,
            answer: format!("refused: {why}"),
        });
        BAD_ARGUMENT
    };
    if i32::try_from(timeout).is_err() {
        return Ok(refused(state, "negative timeout"));
    }
    let plan = state.plan.clone();
    let Some(answer) = plan
        .callouts
        .clusters
        .get(&cluster)
        .or(plan.callouts.otherwise.as_ref())
        .cloned()
    else {
        let known: Vec<&str> = plan.callouts.clusters.keys().map(String::as_str).collect();
        let d = Diagnostic::warning(
            codes::HOST_CALL,
            format!(
                "`{}` called out to cluster `{cluster}`, which the host does not know",
                state.callback
            ),
        )
        .with_note(
            "Envoy refuses a callout to a cluster it has no configuration for with BadArgument (2) (`Context::httpCall`)",
        )
        .with_note(if known.is_empty() {
            "the run names no callout clusters".to_string()
        } else {
            format!("the run names these clusters: {}", known.join(", "))
        })
        .with_help(format!(
            "give the cluster an answer in the scenario (`[callouts.{cluster}]`), or call out to a cluster the gateway has"
        ));
        state.host_diagnostic(format!("cluster/{cluster}"), d);
        return Ok(refused(state, "unknown cluster"));
    };
    let has = |name: &[u8]| headers.iter().any(|(k, _)| lowercase(k) == name);
    if !(has(b":method") && has(b":path") && has(b":authority")) {
        let d = Diagnostic::warning(
            codes::HOST_CALL,
            format!(
                "`{}` made an HTTP callout without `:method`, `:path` and `:authority`",
                state.callback
            ),
        )
        .with_note("Envoy refuses such a callout with BadArgument (2)")
        .with_help(
            "set the `:method`, `:path` and `:authority` headers of every `proxy_http_call`",
        );
        state.host_diagnostic("callout-headers".into(), d);
        return Ok(refused(state, "missing :method, :path or :authority"));
    }
    if state.signals.callouts.len() >= MAX_PENDING_CALLOUTS {
        let d = Diagnostic::error(
            codes::HOST_CALL,
            format!(
                "`{}` started more than {MAX_PENDING_CALLOUTS} HTTP callouts at once",
                state.callback
            ),
        )
        .with_note("the mock host answered InternalFailure (10) to the rest")
        .with_help("look for a loop that calls `proxy_http_call` without end");
        state.host_diagnostic("callouts".into(), d);
        return Ok(INTERNAL_FAILURE);
    }
    // Envoy sets the content length of a callout with a body.
    if !body.is_empty() {
        headers.retain(|(k, _)| lowercase(k) != b"content-length");
        headers.push((
            b"content-length".to_vec(),
            body.len().to_string().into_bytes(),
        ));
    }
    state.next_http_call = state.next_http_call.wrapping_add(4);
    let token = state.next_http_call;
    let path = headers
        .iter()
        .find(|(k, _)| lowercase(k) == b":path")
        .map(|(_, v)| capped(v, MAX_TEXT))
        .unwrap_or_default();
    let due_ms = match answer {
        // A timeout answers once it expires; with none set, never.
        CalloutAnswer::Timeout => (timeout > 0).then(|| state.now_ms + u64::from(timeout)),
        _ => Some(state.now_ms),
    };
    let record = state.record_callout(CalloutRecord {
        kind: "http",
        cluster: cluster.clone(),
        headers: headers
            .iter()
            .map(|(k, v)| (capped(k, MAX_TEXT), capped(v, MAX_TEXT)))
            .collect(),
        body: capped(&body, MAX_TEXT),
        token: Some(token),
        answer: "pending: never answered".into(),
    });
    state.signals.callouts.push_back(Callout {
        token,
        cluster,
        path,
        answer,
        due_ms,
        record,
    });
    rec.returned = Some(json!({ "token": token }));
    write_u32(caller, a.u32(9), token)?;
    Ok(OK)
}

/// `proxy_get_status`: the root context's status code and message (cpp-host
/// `exports::get_status`; Envoy sets them when a callout fails or a gRPC
/// call closes, and clears only the message afterwards).
pub(super) fn get_status(
    caller: &mut Caller<'_, HostState>,
    a: &Args<'_>,
    rec: &mut Record,
) -> HostResult<u32> {
    let (code, message) = caller.data().status.clone();
    rec.returned = Some(json!({ "code": code, "message": text(&message) }));
    write_u32(caller, a.u32(0), code)?;
    give(caller, &message, a.u32(1), a.u32(2))?;
    Ok(OK)
}
