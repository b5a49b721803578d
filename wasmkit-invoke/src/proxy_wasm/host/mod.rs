//! The mock host's side of the ABI: its state ([`state`]) and every host
//! function, one module per family, behaving as Envoy's `Context` and
//! proxy-wasm-cpp-host's `exports.cc` do, including their status codes.
//! This module defines the functions in a linker and hands each call to
//! its family; every call is recorded ([`record`]).
//!
//! Guest data is never trusted: a pointer outside the module's memory gets
//! the host's `InvalidMemoryAccess` (or WASI `EFAULT`) and a `host-call`
//! diagnostic, never a panic ([`memory`]).

mod attributes;
mod buffers;
mod callouts;
mod grpc;
mod headers;
mod higress;
mod memory;
mod metrics;
mod properties;
mod record;
mod shared;
mod state;
mod stream;
mod stream_control;
mod vm;
mod wasi;

pub(crate) use callouts::{Callout, CalloutResponse};
pub(crate) use grpc::GrpcDelivery;
pub(crate) use headers::HeaderMap;
pub(crate) use record::capped;
pub(crate) use state::{HTTP_ID, HostState, ROOT_ID, RestrictedCall, Restriction};
pub(crate) use stream::Body;
pub(crate) use stream_control::LocalReply;

use wasmtime::{Caller, Engine, FuncType, Linker, Val, ValType};

use self::memory::{HostError, HostResult, fault_diagnostic};
use self::record::{Record, record};
use super::abi::{
    self, Abi, Host, HostFn, HostFnSpec, ImportModule, Ty, allowed_during_allocation,
    allowed_during_start, errno, host_functions, status,
};

/// Defines every function this host provides for this ABI in `linker`.
pub(crate) fn define(
    linker: &mut Linker<HostState>,
    engine: &Engine,
    host: Host,
    abi: Abi,
) -> wasmtime::Result<()> {
    let val = |t: &Ty| match t {
        Ty::I32 => ValType::I32,
        Ty::I64 => ValType::I64,
    };
    for spec in host_functions().filter(|s| s.avail.provided(host, abi)) {
        let ty = FuncType::new(
            engine,
            spec.sig.params.iter().map(val),
            spec.sig.results.iter().map(val),
        );
        let modules: &[&'static str] = match spec.module {
            ImportModule::Env => &["env"],
            ImportModule::Wasi => &abi::WASI_MODULES,
        };
        for &module in modules {
            let spec = *spec;
            linker.func_new(
                module,
                spec.name,
                ty.clone(),
                move |mut caller, params, results| {
                    let code = call(&mut caller, &spec, module, params)?;
                    if let Some(slot) = results.first_mut() {
                        *slot = Val::I32(code as i32);
                    }
                    Ok(())
                },
            )?;
        }
    }
    Ok(())
}

/// One call from the guest: refused with `restricted_callback` when the
/// host forbids it right now, otherwise answered by its family, with a
/// fault in guest data answered by a status; recorded either way.
fn call(
    caller: &mut Caller<'_, HostState>,
    spec: &HostFnSpec,
    module: &'static str,
    params: &[Val],
) -> wasmtime::Result<u32> {
    let function = match spec.module {
        ImportModule::Env => spec.name.to_string(),
        ImportModule::Wasi => format!("{module}.{}", spec.name),
    };
    let restriction = caller.data().restriction;
    let host = caller.data().host;
    let allowed = match restriction {
        Restriction::None => true,
        Restriction::StartUp => allowed_during_start(host, spec.function),
        Restriction::Allocating => allowed_during_allocation(host, spec.function),
    };
    let context = caller.data().acting_context();
    let callback = caller.data().callback;
    let mut rec = Record::empty();
    let outcome = if allowed {
        match dispatch(caller, spec.function, &Args(params), &mut rec) {
            Ok(code) => Ok(code),
            Err(HostError::Fatal(e)) => Err(e),
            Err(HostError::Fault(fault)) => {
                let code = match spec.module {
                    ImportModule::Env => status::INVALID_MEMORY_ACCESS,
                    ImportModule::Wasi => errno::FAULT,
                };
                let d = fault_diagnostic(fault, callback, &function, code, spec.module);
                let key = format!("{callback}/{function}/{}", fault.kind());
                caller.data_mut().host_diagnostic(key, d);
                Ok(code)
            }
        }
    } else {
        Err(wasmtime::Error::new(RestrictedCall {
            function: function.clone(),
            during: restriction,
        }))
    };
    let code = outcome.as_ref().ok().copied();
    record(
        caller.data_mut(),
        callback,
        context,
        &function,
        rec,
        code,
        spec.module,
    );
    outcome
}

/// The arguments of a host call; a missing or mistyped one reads as 0
/// (the linker checked the signature).
struct Args<'a>(&'a [Val]);

impl Args<'_> {
    fn u32(&self, i: usize) -> u32 {
        match self.0.get(i) {
            Some(Val::I32(v)) => *v as u32,
            Some(Val::I64(v)) => *v as u32,
            _ => 0,
        }
    }

    fn i64(&self, i: usize) -> i64 {
        match self.0.get(i) {
            Some(Val::I64(v)) => *v,
            Some(Val::I32(v)) => i64::from(*v),
            _ => 0,
        }
    }
}

/// Hands a call to its family's function.
fn dispatch(
    caller: &mut Caller<'_, HostState>,
    f: HostFn,
    a: &Args<'_>,
    rec: &mut Record,
) -> HostResult<u32> {
    match f {
        HostFn::Log => vm::log(caller, a, rec),
        HostFn::GetLogLevel => vm::get_log_level(caller, a, rec),
        HostFn::GetCurrentTime => vm::get_current_time(caller, a, rec),
        HostFn::SetTickPeriod => Ok(vm::set_tick_period(caller, a, rec)),
        HostFn::CallForeignFunction => vm::call_foreign_function(caller, a, rec),
        HostFn::PthreadEqual => Ok(u32::from(a.u32(0) == a.u32(1))),
        HostFn::EmscriptenNotifyMemoryGrowth => Ok(0),

        HostFn::GetHeaderMapValue => headers::get_value(caller, a, rec),
        HostFn::AddHeaderMapValue | HostFn::ReplaceHeaderMapValue => {
            headers::set_value(caller, f, a, rec)
        }
        HostFn::RemoveHeaderMapValue => headers::remove_value(caller, a, rec),
        HostFn::GetHeaderMapPairs => headers::get_pairs(caller, a, rec),
        HostFn::SetHeaderMapPairs => headers::set_pairs(caller, a, rec),
        HostFn::GetHeaderMapSize => headers::get_size(caller, a, rec),

        HostFn::GetBufferStatus => buffers::get_status(caller, a, rec),
        HostFn::GetBufferBytes => buffers::get_bytes(caller, a, rec),
        HostFn::SetBufferBytes => buffers::set_bytes(caller, a, rec),
        HostFn::GetConfiguration => buffers::get_configuration(caller, a, rec),

        HostFn::GetProperty => properties::get(caller, a, rec),
        HostFn::SetProperty => properties::set(caller, a, rec),

        HostFn::GetSharedData => shared::get_data(caller, a, rec),
        HostFn::SetSharedData => shared::set_data(caller, a, rec),
        HostFn::RegisterSharedQueue => shared::register_queue(caller, a, rec),
        HostFn::ResolveSharedQueue => shared::resolve_queue(caller, a, rec),
        HostFn::DequeueSharedQueue => shared::dequeue(caller, a, rec),
        HostFn::EnqueueSharedQueue => shared::enqueue(caller, a, rec),

        HostFn::HttpCall => callouts::http_call(caller, a, rec),
        HostFn::GetStatus => callouts::get_status(caller, a, rec),
        HostFn::GrpcCall | HostFn::GrpcStream => grpc::open(caller, f, a, rec),
        HostFn::GrpcSend => grpc::send(caller, a, rec),
        HostFn::GrpcCancel | HostFn::GrpcClose => grpc::close(caller, f, a, rec),

        HostFn::DefineMetric => metrics::define(caller, a, rec),
        HostFn::IncrementMetric | HostFn::RecordMetric | HostFn::GetMetric => {
            metrics::use_metric(caller, f, a, rec)
        }

        HostFn::SendLocalResponse => stream_control::send_local_response(caller, a, rec),
        HostFn::ContinueRequest
        | HostFn::ContinueResponse
        | HostFn::ContinueStream
        | HostFn::CloseStream => stream_control::continue_or_close(caller, f, a, rec),
        HostFn::SetEffectiveContext => stream_control::set_effective_context(caller, a, rec),
        HostFn::Done => Ok(stream_control::done(caller)),
        HostFn::ClearRouteCache => Ok(status::OK),

        HostFn::RedisInit => higress::redis_init(caller, a, rec),
        HostFn::RedisCall => higress::redis_call(caller, a, rec),
        HostFn::InjectEncodedData => higress::inject_encoded_data(caller, a, rec),
        HostFn::SetUpstreamOverrideHost => higress::set_upstream_override_host(caller, a, rec),
        HostFn::GetUpstreamHosts => Ok(higress::get_upstream_hosts(caller)),

        HostFn::Wasi(w) => wasi::dispatch(caller, w, a, rec),
    }
}
