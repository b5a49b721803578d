//! Callouts: HTTP calls to another cluster, which the driver answers after
//! the callback that made them returns (`proxy_http_call`; Envoy's
//! `Context::httpCall`), and the gRPC calls, which the mock does not model.

use serde_json::json;
use wasmkit_core::{Diagnostic, codes};
use wasmtime::Caller;

use super::Args;
use super::headers::{HeaderMap, lowercase, pairs_or_empty};
use super::memory::{HostResult, give, read, write_u32};
use super::record::{MAX_TEXT, Record, capped, pairs_json, text, unmodelled};
use super::state::HostState;
use crate::proxy_wasm::abi::HostFn;
use crate::proxy_wasm::abi::status::{BAD_ARGUMENT, INTERNAL_FAILURE, OK, UNIMPLEMENTED};

/// Callouts waiting for an answer.
const MAX_PENDING_CALLOUTS: usize = 1_024;

/// An HTTP callout waiting for its (mock) response.
#[derive(Clone, Debug)]
pub(crate) struct Callout {
    pub(crate) token: u32,
    pub(crate) upstream: String,
    pub(crate) path: String,
}

/// The response of a callout, visible while its callback runs.
#[derive(Clone, Debug)]
pub(crate) struct CalloutResponse {
    pub(crate) headers: HeaderMap,
    pub(crate) body: Vec<u8>,
    pub(crate) trailers: HeaderMap,
}

/// `proxy_http_call`: queues the callout for the driver and hands back its
/// token.
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
    let headers = pairs_or_empty(caller, &raw_headers, "proxy_http_call");
    let trailers = pairs_or_empty(caller, &raw_trailers, "proxy_http_call");
    rec.arg("upstream", text(&upstream));
    rec.arg("headers", pairs_json(&headers));
    rec.arg("body", text(&body));
    rec.arg("trailers", pairs_json(&trailers));
    rec.arg("timeout_ms", timeout);
    // The host writes the token slot first to check it.
    write_u32(caller, a.u32(9), 0)?;
    let has = |name: &[u8]| headers.iter().any(|(k, _)| lowercase(k) == name);
    if i32::try_from(timeout).is_err() || upstream.is_empty() {
        return Ok(BAD_ARGUMENT);
    }
    if !(has(b":method") && has(b":path") && has(b":authority")) {
        let state = caller.data_mut();
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
        return Ok(BAD_ARGUMENT);
    }
    let state = caller.data_mut();
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
    let token = state.next_token;
    state.next_token = state.next_token.wrapping_add(1).max(1);
    let path = headers
        .iter()
        .find(|(k, _)| lowercase(k) == b":path")
        .map(|(_, v)| capped(v, MAX_TEXT))
        .unwrap_or_default();
    state.signals.callouts.push_back(Callout {
        token,
        upstream: capped(&upstream, MAX_TEXT),
        path,
    });
    rec.returned = Some(json!({ "token": token }));
    write_u32(caller, a.u32(9), token)?;
    Ok(OK)
}

/// The gRPC functions: unmodelled.
pub(super) fn grpc(caller: &mut Caller<'_, HostState>, f: HostFn) -> u32 {
    let name = match f {
        HostFn::GrpcCall => "proxy_grpc_call",
        HostFn::GrpcStream => "proxy_grpc_stream",
        HostFn::GrpcSend => "proxy_grpc_send",
        HostFn::GrpcCancel => "proxy_grpc_cancel",
        _ => "proxy_grpc_close",
    };
    unmodelled(
        caller,
        name,
        "gRPC callouts need a gRPC upstream",
        UNIMPLEMENTED,
    )
}

/// `proxy_get_status`: the status of the last callout's gRPC answer, which
/// the mock never gives: 0 with no message.
pub(super) fn get_status(caller: &mut Caller<'_, HostState>, a: &Args<'_>) -> HostResult<u32> {
    write_u32(caller, a.u32(0), 0)?;
    give(caller, b"", a.u32(1), a.u32(2))?;
    Ok(OK)
}
