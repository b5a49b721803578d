//! Buffers: the request and response bodies, a callout response's body,
//! and the VM and plugin configuration, with the `proxy_*_buffer_*`
//! functions and 0.1.0's `proxy_get_configuration` (Envoy's
//! `Context::getBuffer` and `Buffer::copyFrom`).

use serde_json::json;
use wasmtime::Caller;

use super::Args;
use super::memory::{HostResult, give, read, write_u32};
use super::record::{Record, text};
use super::state::HostState;
use crate::proxy_wasm::abi::status::{BAD_ARGUMENT, INTERNAL_FAILURE, NOT_FOUND, OK};
use crate::proxy_wasm::abi::{self, Host};

/// What a buffer type names right now.
enum Buffer<'a> {
    /// A body the plugin may read and change.
    Mutable(&'a [u8]),
    /// Readable only (configuration, a callout's body).
    Const(&'a [u8]),
    /// No buffer behind it: reads as empty, writes are BadArgument.
    Null,
    /// No such buffer now: NotFound.
    Absent,
}

impl HostState {
    /// A buffer by type (`Context::getBuffer`, and Higress's Redis answer).
    fn buffer(&self, buffer: u32) -> Buffer<'_> {
        fn view(b: Option<&Vec<u8>>) -> Buffer<'_> {
            b.map_or(Buffer::Null, |b| Buffer::Mutable(b))
        }
        let stream = self.in_stream();
        match buffer {
            0 if stream => view(self.stream.request.body.view()),
            1 if stream => view(self.stream.response.body.view()),
            2 if stream && self.stream.downstream.live => {
                Buffer::Mutable(&self.stream.downstream.held)
            }
            3 if stream && self.stream.upstream.live => Buffer::Mutable(&self.stream.upstream.held),
            0..=3 | 8 => Buffer::Null,
            4 => self
                .callout_response
                .as_ref()
                .map_or(Buffer::Absent, |r| Buffer::Const(&r.body)),
            5 => self
                .grpc_receive
                .as_ref()
                .map_or(Buffer::Null, |b| Buffer::Const(b)),
            6 => Buffer::Const(&self.plan.vm_config),
            7 if self.configuring => Buffer::Const(&self.plan.plugin_config),
            9 if self.host == Host::Higress => {
                Buffer::Const(self.redis_response.as_deref().unwrap_or_default())
            }
            _ => Buffer::Absent,
        }
    }

    fn buffer_mut(&mut self, buffer: u32) -> Option<&mut Vec<u8>> {
        if !self.in_stream() {
            return None;
        }
        match buffer {
            0 => self.stream.request.body.view_mut(),
            1 => self.stream.response.body.view_mut(),
            2 => Some(&mut self.stream.downstream.held),
            3 => Some(&mut self.stream.upstream.held),
            _ => None,
        }
    }
}

/// The buffer type argument, recorded by name; `None` past the last type
/// the ABI defines, which the host answers with BadArgument.
fn buffer_type(host: Host, a: &Args<'_>, rec: &mut Record) -> Option<u32> {
    let buffer = a.u32(0);
    rec.arg("buffer", abi::buffer_name(buffer));
    // `WasmBufferType::MAX`: CallData upstream, RedisCallResponse in
    // Higress's SDK headers.
    let max = if host == Host::Higress { 9 } else { 8 };
    (buffer <= max).then_some(buffer)
}

/// The buffer type, start and length arguments, recorded (the length as
/// `length_name`).
fn buffer_range(
    host: Host,
    a: &Args<'_>,
    rec: &mut Record,
    length_name: &str,
) -> (Option<u32>, usize, usize) {
    let start = a.u32(1) as usize;
    let length = a.u32(2) as usize;
    let buffer = buffer_type(host, a, rec);
    rec.arg("start", start);
    rec.arg(length_name, length);
    (buffer, start, length)
}

/// `proxy_get_buffer_status`.
pub(super) fn get_status(
    caller: &mut Caller<'_, HostState>,
    a: &Args<'_>,
    rec: &mut Record,
) -> HostResult<u32> {
    let Some(buffer) = buffer_type(caller.data().host, a, rec) else {
        return Ok(BAD_ARGUMENT);
    };
    let len = match caller.data().buffer(buffer) {
        Buffer::Absent => return Ok(NOT_FOUND),
        Buffer::Null => 0,
        Buffer::Const(b) | Buffer::Mutable(b) => b.len(),
    };
    rec.returned = Some(json!(len));
    write_u32(caller, a.u32(1), len as u32)?;
    write_u32(caller, a.u32(2), 0)?;
    Ok(OK)
}

/// `proxy_get_buffer_bytes`.
pub(super) fn get_bytes(
    caller: &mut Caller<'_, HostState>,
    a: &Args<'_>,
    rec: &mut Record,
) -> HostResult<u32> {
    let (buffer, start, length) = buffer_range(caller.data().host, a, rec, "max_size");
    let Some(buffer) = buffer else {
        return Ok(BAD_ARGUMENT);
    };
    let bytes = match caller.data().buffer(buffer) {
        Buffer::Absent => return Ok(NOT_FOUND),
        Buffer::Null => Vec::new(),
        Buffer::Const(b) | Buffer::Mutable(b) => {
            let end = start.saturating_add(length).min(b.len());
            b.get(start..end).map(<[u8]>::to_vec).unwrap_or_default()
        }
    };
    rec.returned = Some(text(&bytes));
    // cpp-host `get_buffer_bytes`: nothing to hand over writes a null
    // pointer and a zero size.
    give(caller, &bytes, a.u32(3), a.u32(4))?;
    Ok(OK)
}

/// `proxy_set_buffer_bytes`.
pub(super) fn set_bytes(
    caller: &mut Caller<'_, HostState>,
    a: &Args<'_>,
    rec: &mut Record,
) -> HostResult<u32> {
    let (buffer, start, length) = buffer_range(caller.data().host, a, rec, "size");
    let Some(buffer) = buffer else {
        return Ok(BAD_ARGUMENT);
    };
    let data = read(caller, a.u32(3), a.u32(4))?;
    rec.arg("data", text(&data));
    let state = caller.data_mut();
    // A null or constant buffer refuses writes (`BufferBase::copyFrom`,
    // Envoy's `Buffer::copyFrom`).
    match state.buffer(buffer) {
        Buffer::Absent => return Ok(NOT_FOUND),
        Buffer::Null | Buffer::Const(_) => return Ok(BAD_ARGUMENT),
        Buffer::Mutable(_) => {}
    }
    if !state.keep(data.len()) {
        return Ok(INTERNAL_FAILURE);
    }
    let Some(body) = state.buffer_mut(buffer) else {
        return Ok(NOT_FOUND);
    };
    // Envoy's `Buffer::copyFrom`: at 0, drain `length` and prepend;
    // at or past the end, append; anything else is refused.
    if start == 0 {
        body.drain(..length.min(body.len()));
        body.splice(0..0, data);
    } else if start >= body.len() {
        body.extend_from_slice(&data);
    } else {
        return Ok(BAD_ARGUMENT);
    }
    Ok(OK)
}

/// `proxy_get_configuration` (0.1.0): the plugin configuration while the
/// plugin is configured, the VM configuration otherwise.
pub(super) fn get_configuration(
    caller: &mut Caller<'_, HostState>,
    a: &Args<'_>,
    rec: &mut Record,
) -> HostResult<u32> {
    let state = caller.data();
    let config = if state.configuring {
        state.plan.plugin_config.clone()
    } else {
        state.plan.vm_config.clone()
    };
    rec.returned = Some(text(&config));
    give(caller, &config, a.u32(0), a.u32(1))?;
    Ok(OK)
}
