//! gRPC callouts, answered from the plan's `grpc` answers by cluster:
//! `proxy_grpc_call` (Envoy `Context::grpcCall`: an unknown cluster is
//! ParseFailure; the answer arrives as `onSuccessRaw` →
//! `proxy_on_grpc_receive`, or `onFailure` → `proxy_on_grpc_close` with the
//! status that `proxy_get_status` then reports), and the stream calls
//! (`grpcStream`, `grpcSend`, `grpcClose`, `grpcCancel`): each message the
//! plugin sends is answered with the plan's message, and the upstream
//! closes with the plan's status once the plugin ends or closes its side.

use serde_json::json;
use wasmtime::Caller;

use super::Args;
use super::headers::pairs_or_empty;
use super::memory::{HostResult, read, write_u32};
use super::record::{MAX_TEXT, Record, capped, pairs_json, text};
use super::state::HostState;
use crate::proxy_wasm::abi::HostFn;
use crate::proxy_wasm::abi::status::{BAD_ARGUMENT, NOT_FOUND, OK, PARSE_FAILURE};
use crate::proxy_wasm::plan::GrpcAnswer;
use crate::proxy_wasm::report::CalloutRecord;

/// An open gRPC call or stream.
#[derive(Clone, Debug)]
pub(crate) struct GrpcCall {
    pub(crate) answer: GrpcAnswer,
    pub(crate) stream: bool,
    pub(crate) local_closed: bool,
    pub(crate) record: Option<usize>,
}

/// What the mock gRPC upstream sends next.
#[derive(Clone, Debug)]
pub(crate) enum GrpcDelivery {
    /// A message (`proxy_on_grpc_receive`).
    Message { token: u32, message: Vec<u8> },
    /// The call or stream closes with a status (`proxy_on_grpc_close`).
    Close {
        token: u32,
        status: u32,
        message: Vec<u8>,
    },
}

/// `proxy_grpc_call` and `proxy_grpc_stream` (from the root context, as
/// cpp-host calls out).
pub(super) fn open(
    caller: &mut Caller<'_, HostState>,
    f: HostFn,
    a: &Args<'_>,
    rec: &mut Record,
) -> HostResult<u32> {
    let stream = f == HostFn::GrpcStream;
    let service = read(caller, a.u32(0), a.u32(1))?;
    let service_name = read(caller, a.u32(2), a.u32(3))?;
    let method = read(caller, a.u32(4), a.u32(5))?;
    let raw_metadata = read(caller, a.u32(6), a.u32(7))?;
    let request = if stream {
        Vec::new()
    } else {
        read(caller, a.u32(8), a.u32(9))?
    };
    let metadata = pairs_or_empty(caller, &raw_metadata, "proxy_grpc_call");
    rec.arg("service", text(&service));
    rec.arg("service_name", text(&service_name));
    rec.arg("method", text(&method));
    rec.arg("initial_metadata", pairs_json(&metadata));
    if !stream {
        rec.arg("request", text(&request));
        rec.arg("timeout_ms", a.u32(10));
    }
    let token_ptr = if stream { a.u32(8) } else { a.u32(11) };
    let cluster = capped(&service, MAX_TEXT);
    let state = caller.data_mut();
    let kind = if stream { "grpc-stream" } else { "grpc" };
    let mut record = CalloutRecord {
        kind,
        cluster: cluster.clone(),
        headers: metadata
            .iter()
            .map(|(k, v)| (capped(k, MAX_TEXT), capped(v, MAX_TEXT)))
            .collect(),
        body: capped(&request, MAX_TEXT),
        token: None,
        answer: String::new(),
    };
    // The service is a cluster name (the SDKs pass one); a cluster the
    // host does not know is ParseFailure (`Context::grpcCall`).
    let Some(answer) = state.plan.grpc.get(&cluster).cloned() else {
        record.answer = "refused: unknown cluster".into();
        state.record_callout(record);
        return Ok(PARSE_FAILURE);
    };
    let token = if stream {
        state.next_grpc_stream = state.next_grpc_stream.wrapping_add(4);
        state.next_grpc_stream
    } else {
        state.next_grpc_call = state.next_grpc_call.wrapping_add(4);
        state.next_grpc_call
    };
    record.token = Some(token);
    record.answer = if stream {
        "open".into()
    } else {
        format!("grpc-status {}", answer.status)
    };
    let index = state.record_callout(record);
    if !stream {
        state.signals.grpc.push_back(if answer.status == 0 {
            GrpcDelivery::Message {
                token,
                message: answer.message.clone(),
            }
        } else {
            GrpcDelivery::Close {
                token,
                status: answer.status,
                message: answer.message.clone(),
            }
        });
    }
    state.grpc_calls.insert(
        token,
        GrpcCall {
            answer,
            stream,
            local_closed: false,
            record: index,
        },
    );
    rec.returned = Some(json!({ "token": token }));
    write_u32(caller, token_ptr, token)?;
    Ok(OK)
}

/// `proxy_grpc_send` (Envoy `Context::grpcSend`): streams only.
pub(super) fn send(
    caller: &mut Caller<'_, HostState>,
    a: &Args<'_>,
    rec: &mut Record,
) -> HostResult<u32> {
    let token = a.u32(0);
    let message = read(caller, a.u32(1), a.u32(2))?;
    let end_stream = a.u32(3) != 0;
    rec.arg("token", token);
    rec.arg("message", text(&message));
    rec.arg("end_stream", end_stream);
    let state = caller.data_mut();
    if token & 3 != 2 {
        return Ok(BAD_ARGUMENT);
    }
    let Some(call) = state.grpc_calls.get_mut(&token) else {
        return Ok(NOT_FOUND);
    };
    let answer = call.answer.clone();
    if end_stream {
        call.local_closed = true;
    }
    if answer.status == 0 {
        state.signals.grpc.push_back(GrpcDelivery::Message {
            token,
            message: answer.message.clone(),
        });
    }
    if end_stream || answer.status != 0 {
        state.signals.grpc.push_back(GrpcDelivery::Close {
            token,
            status: answer.status,
            message: if answer.status == 0 {
                Vec::new()
            } else {
                answer.message
            },
        });
    }
    Ok(OK)
}

/// `proxy_grpc_close` and `proxy_grpc_cancel` (Envoy `Context::grpcClose`,
/// `grpcCancel`): a call is cancelled; a stream is closed on the plugin's
/// side (the upstream then closes it with its status) or reset.
pub(super) fn close(
    caller: &mut Caller<'_, HostState>,
    f: HostFn,
    a: &Args<'_>,
    rec: &mut Record,
) -> HostResult<u32> {
    let token = a.u32(0);
    rec.arg("token", token);
    let state = caller.data_mut();
    if token & 3 != 1 && token & 3 != 2 {
        return Ok(BAD_ARGUMENT);
    }
    let Some(call) = state.grpc_calls.get(&token).cloned() else {
        return Ok(NOT_FOUND);
    };
    let cancelled = f == HostFn::GrpcCancel || !call.stream;
    if cancelled {
        state.grpc_calls.remove(&token);
        // Nothing more arrives for a cancelled call.
        state.signals.grpc.retain(|d| match d {
            GrpcDelivery::Message { token: t, .. } | GrpcDelivery::Close { token: t, .. } => {
                *t != token
            }
        });
        if let Some(i) = call.record
            && let Some(r) = state.callout_records.get_mut(i)
        {
            r.answer = "cancelled by the plugin".into();
        }
    } else if !call.local_closed {
        if let Some(c) = state.grpc_calls.get_mut(&token) {
            c.local_closed = true;
        }
        state.signals.grpc.push_back(GrpcDelivery::Close {
            token,
            status: call.answer.status,
            message: if call.answer.status == 0 {
                Vec::new()
            } else {
                call.answer.message
            },
        });
    }
    Ok(OK)
}
