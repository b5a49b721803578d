//! Stream control: what the plugin asks the host to do with the stream —
//! resume or close it, answer it locally — which the host defers until the
//! callback returns (recorded in [`Signals`](super::state::Signals)); the
//! effective context those calls act on; and `proxy_done`. Envoy's
//! `Context::continueStream`, `closeStream`, `sendLocalResponse`, and
//! proxy-wasm-cpp-host's `setEffectiveContext` and `done`.

use serde_json::json;
use wasmkit_core::{Diagnostic, codes};
use wasmtime::Caller;

use super::Args;
use super::headers::{HeaderMap, pairs_or_empty};
use super::memory::{HostResult, read};
use super::record::{Record, pairs_json, text};
use super::state::HostState;
use crate::proxy_wasm::abi::HostFn;
use crate::proxy_wasm::abi::status::{BAD_ARGUMENT, NOT_FOUND, OK};

/// A local response the plugin asked for.
#[derive(Clone, Debug)]
pub(crate) struct LocalReply {
    pub(crate) status: u32,
    pub(crate) body: Vec<u8>,
    pub(crate) headers: HeaderMap,
    pub(crate) callback: &'static str,
}

/// `proxy_send_local_response`: the first one wins, and the callback's
/// return value is overridden to stop.
pub(super) fn send_local_response(
    caller: &mut Caller<'_, HostState>,
    a: &Args<'_>,
    rec: &mut Record,
) -> HostResult<u32> {
    let status_code = a.u32(0);
    let details = read(caller, a.u32(1), a.u32(2))?;
    let body = read(caller, a.u32(3), a.u32(4))?;
    let raw_headers = read(caller, a.u32(5), a.u32(6))?;
    rec.arg("status_code", status_code);
    rec.arg("details", text(&details));
    rec.arg("body", text(&body));
    rec.arg("grpc_status", a.u32(7) as i32);
    let headers = pairs_or_empty(caller, &raw_headers, "proxy_send_local_response");
    rec.arg("headers", pairs_json(&headers));
    if !caller.data().in_http() {
        no_stream(caller, "proxy_send_local_response");
        return Ok(OK);
    }
    let state = caller.data_mut();
    let callback = state.callback;
    if state.signals.local_reply.is_none() {
        state.signals.local_reply = Some(LocalReply {
            status: status_code,
            body,
            headers,
            callback,
        });
    }
    state.signals.stop_next_iteration = true;
    Ok(OK)
}

/// `proxy_continue_request`, `proxy_continue_response` (0.1.0),
/// `proxy_continue_stream` and `proxy_close_stream` (0.2.x).
pub(super) fn continue_or_close(
    caller: &mut Caller<'_, HostState>,
    f: HostFn,
    a: &Args<'_>,
    rec: &mut Record,
) -> HostResult<u32> {
    let (stream, name) = match f {
        HostFn::ContinueRequest => (0, "proxy_continue_request"),
        HostFn::ContinueResponse => (1, "proxy_continue_response"),
        HostFn::ContinueStream => (a.u32(0), "proxy_continue_stream"),
        _ => (a.u32(0), "proxy_close_stream"),
    };
    if matches!(f, HostFn::ContinueStream | HostFn::CloseStream) {
        rec.arg(
            "stream",
            match stream {
                0 => json!("http-request"),
                1 => json!("http-response"),
                2 => json!("downstream"),
                3 => json!("upstream"),
                other => json!(other),
            },
        );
    }
    if stream > 3 {
        return Ok(BAD_ARGUMENT);
    }
    if !caller.data().in_http() {
        no_stream(caller, name);
        return Ok(OK);
    }
    let state = caller.data_mut();
    match (f, stream) {
        (HostFn::CloseStream, 0 | 1) => state.signals.close = Some(state.callback),
        (_, 0) => state.signals.continue_request = true,
        (_, 1) => state.signals.continue_response = true,
        // An HTTP filter has no downstream or upstream stream.
        _ => return Ok(BAD_ARGUMENT),
    }
    Ok(OK)
}

/// `proxy_set_effective_context`: a live context only.
pub(super) fn set_effective_context(
    caller: &mut Caller<'_, HostState>,
    a: &Args<'_>,
    rec: &mut Record,
) -> HostResult<u32> {
    let id = a.u32(0);
    rec.arg("context_id", id);
    let state = caller.data_mut();
    if !state.alive.contains(&id) {
        return Ok(BAD_ARGUMENT);
    }
    state.effective = Some(id);
    Ok(OK)
}

/// `proxy_done`: only after `proxy_on_done` on the root context returned
/// false.
pub(super) fn done(caller: &mut Caller<'_, HostState>) -> u32 {
    let signals = &mut caller.data_mut().signals;
    if !signals.root_pending_done {
        return NOT_FOUND;
    }
    signals.done_called = true;
    OK
}

/// A stream call made where there is no stream: the host returns Ok and
/// does nothing; the mock says so.
fn no_stream(caller: &mut Caller<'_, HostState>, function: &str) {
    let state = caller.data_mut();
    let callback = state.callback;
    state.signals.ignored_resume = Some((callback, function.to_string()));
    let d = Diagnostic::warning(
        codes::HOST_CALL,
        format!("`{callback}` called `{function}` outside an HTTP context: it has no effect"),
    )
    .with_note(format!(
        "`{callback}` runs in the root context; stream calls there act on no stream (the host returns Ok and does nothing)"
    ))
    .with_help("call `proxy_set_effective_context` with the HTTP context's id first (the Rust SDK does it before `on_http_call_response`)");
    state.host_diagnostic(format!("nostream/{callback}/{function}"), d);
}
