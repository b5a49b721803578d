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
use crate::proxy_wasm::abi::status::{BAD_ARGUMENT, NOT_FOUND, OK, UNIMPLEMENTED};
use crate::proxy_wasm::plan::PluginKind;

/// A local response the plugin asked for.
#[derive(Clone, Debug)]
pub(crate) struct LocalReply {
    pub(crate) status: u32,
    pub(crate) body: Vec<u8>,
    pub(crate) headers: HeaderMap,
    /// The response code details, with whitespace replaced by `_` as Envoy
    /// stores them (`StringUtil::replaceAllEmptySpace`).
    pub(crate) details: String,
    pub(crate) callback: &'static str,
}

impl HostState {
    /// Whether the acting context is an HTTP stream (Envoy's
    /// `decoder_callbacks_` and `encoder_callbacks_` are set).
    pub(crate) fn in_http(&self) -> bool {
        self.in_stream() && self.plan.kind == PluginKind::Http
    }

    /// Whether the acting context is a network connection.
    pub(crate) fn in_network(&self) -> bool {
        self.in_stream() && self.plan.kind == PluginKind::Network
    }
}

/// `proxy_send_local_response` (cpp-host `exports::send_local_response`,
/// Envoy `Context::sendLocalResponse`): deferred to after the callback;
/// the first one wins, and the callback's return value is overridden to
/// stop.
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
    let state = caller.data_mut();
    state.signals.stop_next_iteration = true;
    if !state.in_http() {
        no_stream(caller, "proxy_send_local_response", true);
        return Ok(OK);
    }
    let callback = state.callback;
    if state.signals.local_reply.is_none() {
        let details = String::from_utf8_lossy(&details)
            .chars()
            .map(|c| if c.is_whitespace() { '_' } else { c })
            .collect();
        state.signals.local_reply = Some(LocalReply {
            status: status_code,
            body,
            headers,
            details,
            callback,
        });
    }
    Ok(OK)
}

/// `proxy_continue_request`, `proxy_continue_response` (0.1.0),
/// `proxy_continue_stream` and `proxy_close_stream` (0.2.x), as Envoy's
/// `Context::continueStream` and `closeStream` answer them: Ok, acting
/// after the callback when the context has that stream; resuming the
/// upstream of a connection is Unimplemented.
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
    let close = f == HostFn::CloseStream;
    let state = caller.data_mut();
    let applies = match stream {
        0 | 1 => state.in_http(),
        _ => state.in_network(),
    };
    if !close && stream == 3 {
        return Ok(UNIMPLEMENTED);
    }
    if !close && stream <= 1 {
        // Envoy clears the request's pointers whichever HTTP stream
        // resumes, with or without a stream behind the context.
        state.stream.on_continue(name);
    }
    if !applies {
        no_stream(caller, name, stream <= 1);
        return Ok(OK);
    }
    if close {
        let callback = state.callback;
        state.signals.close.get_or_insert((callback, stream));
    } else {
        state.signals.resume[stream as usize] = true;
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
    // The VM context (0) exists too; choosing it acts on the calling
    // context (`contextOrEffectiveContext`).
    if id != 0 && !state.alive.contains(&id) {
        return Ok(BAD_ARGUMENT);
    }
    state.effective = (id != 0).then_some(id);
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
fn no_stream(caller: &mut Caller<'_, HostState>, function: &str, http: bool) {
    let state = caller.data_mut();
    let callback = state.callback;
    let context = if http {
        "an HTTP context"
    } else {
        "a network connection"
    };
    state.signals.ignored_resume = Some((callback, function.to_string()));
    let d = Diagnostic::warning(
        codes::HOST_CALL,
        format!("`{callback}` called `{function}` outside {context}: it has no effect"),
    )
    .with_note(format!(
        "`{callback}` runs in a context without that stream; the host returns Ok and does nothing"
    ))
    .with_help("call `proxy_set_effective_context` with the HTTP context's id first (the Rust SDK does it before `on_http_call_response`)");
    state.host_diagnostic(format!("nostream/{callback}/{function}"), d);
}
