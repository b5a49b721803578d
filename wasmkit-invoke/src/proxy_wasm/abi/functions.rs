//! The host-function table: every function a host can provide, in which
//! import module, with which signature, for which ABI and host, and which
//! of them a module may call while the host starts it or runs its
//! allocator. Sources: proxy-wasm-cpp-host `src/wasm.cc` and
//! `src/exports.cc`, Higress's fork of it, and the SDKs' import
//! declarations.

use super::wasi::{WASI_FUNCTIONS, WasiFn};
use super::{Abi, Host};

/// A wasm value type, as far as these tables need them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ty {
    I32,
    I64,
}

/// A function signature from the tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Sig {
    pub(crate) params: &'static [Ty],
    pub(crate) results: &'static [Ty],
}

const fn sig(params: &'static [Ty], results: &'static [Ty]) -> Sig {
    Sig { params, results }
}

const I: Ty = Ty::I32;
const J: Ty = Ty::I64;
const W: &[Ty] = &[Ty::I32];

/// Which import module a host function lives in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ImportModule {
    Env,
    /// `wasi_snapshot_preview1` and `wasi_unstable` (the same functions).
    Wasi,
}

pub(crate) const WASI_MODULES: [&str; 2] = ["wasi_snapshot_preview1", "wasi_unstable"];

/// When a host provides a function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Avail {
    /// Every ABI, every host.
    Always,
    /// ABI 0.1.0 only.
    Abi01,
    /// ABI 0.2.0 and later.
    Abi02,
    /// ABI 0.2.1 and later.
    Abi021,
    /// Higress only, for 0.2.1 and 0.2.100 modules.
    HigressExtension,
}

impl Avail {
    pub(crate) fn provided(self, host: Host, abi: Abi) -> bool {
        match self {
            Avail::Always => true,
            Avail::Abi01 => abi == Abi::V0_1_0,
            Avail::Abi02 => abi >= Abi::V0_2_0,
            Avail::Abi021 => abi >= Abi::V0_2_1,
            Avail::HigressExtension => host == Host::Higress && abi >= Abi::V0_2_1,
        }
    }
}

/// Every function a host can provide; the mock host implements each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HostFn {
    Log,
    GetStatus,
    SetProperty,
    GetProperty,
    SendLocalResponse,
    GetSharedData,
    SetSharedData,
    RegisterSharedQueue,
    ResolveSharedQueue,
    DequeueSharedQueue,
    EnqueueSharedQueue,
    GetHeaderMapValue,
    AddHeaderMapValue,
    ReplaceHeaderMapValue,
    RemoveHeaderMapValue,
    GetHeaderMapPairs,
    SetHeaderMapPairs,
    GetHeaderMapSize,
    GetBufferStatus,
    GetBufferBytes,
    SetBufferBytes,
    HttpCall,
    GrpcCall,
    GrpcStream,
    GrpcClose,
    GrpcCancel,
    GrpcSend,
    SetTickPeriod,
    GetCurrentTime,
    DefineMetric,
    IncrementMetric,
    RecordMetric,
    GetMetric,
    SetEffectiveContext,
    Done,
    CallForeignFunction,
    PthreadEqual,
    EmscriptenNotifyMemoryGrowth,
    GetConfiguration,
    ContinueRequest,
    ContinueResponse,
    ClearRouteCache,
    ContinueStream,
    CloseStream,
    GetLogLevel,
    RedisInit,
    RedisCall,
    InjectEncodedData,
    SetUpstreamOverrideHost,
    GetUpstreamHosts,
    /// A WASI function ([`WasiFn`]).
    Wasi(WasiFn),
}

/// One host function: where it lives, its signature, and when it exists.
#[derive(Clone, Copy, Debug)]
pub(crate) struct HostFnSpec {
    pub(crate) function: HostFn,
    pub(crate) module: ImportModule,
    pub(crate) name: &'static str,
    pub(crate) sig: Sig,
    pub(crate) avail: Avail,
}

const fn env(function: HostFn, name: &'static str, sig: Sig, avail: Avail) -> HostFnSpec {
    HostFnSpec {
        function,
        module: ImportModule::Env,
        name,
        sig,
        avail,
    }
}

use Avail::{Abi01, Abi02, Abi021, Always, HigressExtension};

/// Every `env` function, with the signature the hosts register (`Word` is
/// i32 on wasm32; metric values are 64-bit). The WASI functions are in
/// [`WASI_FUNCTIONS`]; [`host_functions`] walks both.
#[rustfmt::skip]
pub(crate) const ENV_FUNCTIONS: &[HostFnSpec] = &[
    env(HostFn::Log, "proxy_log", sig(&[I, I, I], W), Always),
    env(HostFn::GetStatus, "proxy_get_status", sig(&[I, I, I], W), Always),
    env(HostFn::SetProperty, "proxy_set_property", sig(&[I, I, I, I], W), Always),
    env(HostFn::GetProperty, "proxy_get_property", sig(&[I, I, I, I], W), Always),
    env(HostFn::SendLocalResponse, "proxy_send_local_response", sig(&[I, I, I, I, I, I, I, I], W), Always),
    env(HostFn::GetSharedData, "proxy_get_shared_data", sig(&[I, I, I, I, I], W), Always),
    env(HostFn::SetSharedData, "proxy_set_shared_data", sig(&[I, I, I, I, I], W), Always),
    env(HostFn::RegisterSharedQueue, "proxy_register_shared_queue", sig(&[I, I, I], W), Always),
    env(HostFn::ResolveSharedQueue, "proxy_resolve_shared_queue", sig(&[I, I, I, I, I], W), Always),
    env(HostFn::DequeueSharedQueue, "proxy_dequeue_shared_queue", sig(&[I, I, I], W), Always),
    env(HostFn::EnqueueSharedQueue, "proxy_enqueue_shared_queue", sig(&[I, I, I], W), Always),
    env(HostFn::GetHeaderMapValue, "proxy_get_header_map_value", sig(&[I, I, I, I, I], W), Always),
    env(HostFn::AddHeaderMapValue, "proxy_add_header_map_value", sig(&[I, I, I, I, I], W), Always),
    env(HostFn::ReplaceHeaderMapValue, "proxy_replace_header_map_value", sig(&[I, I, I, I, I], W), Always),
    env(HostFn::RemoveHeaderMapValue, "proxy_remove_header_map_value", sig(&[I, I, I], W), Always),
    env(HostFn::GetHeaderMapPairs, "proxy_get_header_map_pairs", sig(&[I, I, I], W), Always),
    env(HostFn::SetHeaderMapPairs, "proxy_set_header_map_pairs", sig(&[I, I, I], W), Always),
    env(HostFn::GetHeaderMapSize, "proxy_get_header_map_size", sig(&[I, I], W), Always),
    env(HostFn::GetBufferStatus, "proxy_get_buffer_status", sig(&[I, I, I], W), Always),
    env(HostFn::GetBufferBytes, "proxy_get_buffer_bytes", sig(&[I, I, I, I, I], W), Always),
    env(HostFn::SetBufferBytes, "proxy_set_buffer_bytes", sig(&[I, I, I, I, I], W), Always),
    env(HostFn::HttpCall, "proxy_http_call", sig(&[I, I, I, I, I, I, I, I, I, I], W), Always),
    env(HostFn::GrpcCall, "proxy_grpc_call", sig(&[I, I, I, I, I, I, I, I, I, I, I, I], W), Always),
    env(HostFn::GrpcStream, "proxy_grpc_stream", sig(&[I, I, I, I, I, I, I, I, I], W), Always),
    env(HostFn::GrpcClose, "proxy_grpc_close", sig(W, W), Always),
    env(HostFn::GrpcCancel, "proxy_grpc_cancel", sig(W, W), Always),
    env(HostFn::GrpcSend, "proxy_grpc_send", sig(&[I, I, I, I], W), Always),
    env(HostFn::SetTickPeriod, "proxy_set_tick_period_milliseconds", sig(W, W), Always),
    env(HostFn::GetCurrentTime, "proxy_get_current_time_nanoseconds", sig(W, W), Always),
    env(HostFn::DefineMetric, "proxy_define_metric", sig(&[I, I, I, I], W), Always),
    env(HostFn::IncrementMetric, "proxy_increment_metric", sig(&[I, J], W), Always),
    env(HostFn::RecordMetric, "proxy_record_metric", sig(&[I, J], W), Always),
    env(HostFn::GetMetric, "proxy_get_metric", sig(&[I, I], W), Always),
    env(HostFn::SetEffectiveContext, "proxy_set_effective_context", sig(W, W), Always),
    env(HostFn::Done, "proxy_done", sig(&[], W), Always),
    env(HostFn::CallForeignFunction, "proxy_call_foreign_function", sig(&[I, I, I, I, I, I], W), Always),
    env(HostFn::PthreadEqual, "pthread_equal", sig(&[I, I], W), Always),
    env(HostFn::EmscriptenNotifyMemoryGrowth, "emscripten_notify_memory_growth", sig(W, &[]), Always),
    env(HostFn::GetConfiguration, "proxy_get_configuration", sig(&[I, I], W), Abi01),
    env(HostFn::ContinueRequest, "proxy_continue_request", sig(&[], W), Abi01),
    env(HostFn::ContinueResponse, "proxy_continue_response", sig(&[], W), Abi01),
    env(HostFn::ClearRouteCache, "proxy_clear_route_cache", sig(&[], W), Abi01),
    env(HostFn::ContinueStream, "proxy_continue_stream", sig(W, W), Abi02),
    env(HostFn::CloseStream, "proxy_close_stream", sig(W, W), Abi02),
    env(HostFn::GetLogLevel, "proxy_get_log_level", sig(W, W), Abi021),
    env(HostFn::RedisInit, "proxy_redis_init", sig(&[I, I, I, I, I, I, I], W), HigressExtension),
    env(HostFn::RedisCall, "proxy_redis_call", sig(&[I, I, I, I, I], W), HigressExtension),
    env(HostFn::InjectEncodedData, "proxy_inject_encoded_data_to_filter_chain", sig(&[I, I, I], W), HigressExtension),
    env(HostFn::SetUpstreamOverrideHost, "proxy_set_upstream_override_host", sig(&[I, I], W), HigressExtension),
    env(HostFn::GetUpstreamHosts, "proxy_get_upstream_hosts", sig(&[I, I], W), HigressExtension),
];

/// The spec of an import by module and name, whether or not this host
/// provides it for this ABI.
pub(crate) fn host_function(module: &str, name: &str) -> Option<&'static HostFnSpec> {
    let kind = if module == "env" {
        ImportModule::Env
    } else if WASI_MODULES.contains(&module) {
        ImportModule::Wasi
    } else {
        return None;
    };
    host_functions().find(|f| f.module == kind && f.name == name)
}

/// Every function a host can provide: `env`, then WASI.
pub(crate) fn host_functions() -> impl Iterator<Item = &'static HostFnSpec> {
    ENV_FUNCTIONS.iter().chain(WASI_FUNCTIONS.iter())
}
