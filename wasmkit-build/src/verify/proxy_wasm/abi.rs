//! The proxy-wasm facts that the static checks and the mock host share:
//! ABI markers, which host functions each host provides for each ABI (with
//! their signatures), which callbacks it looks up and with what shape, and
//! the status codes. Sources: proxy-wasm-cpp-host (`src/wasm.cc`,
//! `src/exports.cc`, `include/proxy-wasm/wasm.h`), Higress's fork of it, and
//! the SDKs' import declarations.

use std::fmt;

use wasmkit_core::HostKind;

/// A proxy-wasm host this module models.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Host {
    /// Upstream Envoy (proxy-wasm-cpp-host).
    Envoy,
    /// Higress (its fork of proxy-wasm-cpp-host).
    Higress,
}

impl Host {
    pub(crate) fn from_kind(kind: HostKind) -> Option<Host> {
        match kind {
            HostKind::Envoy => Some(Host::Envoy),
            HostKind::Higress => Some(Host::Higress),
            HostKind::Wasmtime => None,
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Host::Envoy => "envoy",
            Host::Higress => "higress",
        }
    }

    /// Whether the host loads modules with this marker. Upstream knows the
    /// three upstream markers only ("Missing or unknown Proxy-Wasm ABI
    /// version" otherwise); Higress adds 0_2_100.
    pub(crate) fn knows(self, abi: Abi) -> bool {
        match self {
            Host::Envoy => abi != Abi::V0_2_100,
            Host::Higress => true,
        }
    }

    /// Whether `proxy_on_request_headers`/`proxy_on_response_headers`
    /// returning StopIteration is honoured (the body keeps flowing) rather
    /// than turned into stop-all-iteration. Upstream converts for every ABI
    /// (unless `allow_on_headers_stop_iteration`, off by default); Higress
    /// converts unless the module is marked 0_2_100 (its `context.cc` checks
    /// which flavour of the request-headers callback it looked up, for both
    /// directions).
    pub(crate) fn honours_headers_stop_iteration(self, abi: Abi) -> bool {
        self == Host::Higress && abi == Abi::V0_2_100
    }
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A proxy-wasm ABI version, as a module's marker export declares it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Abi {
    V0_1_0,
    V0_2_0,
    V0_2_1,
    V0_2_100,
}

/// The prefix of every marker export.
pub(crate) const MARKER_PREFIX: &str = "proxy_abi_version_";

impl Abi {
    pub(crate) const ALL: [Abi; 4] = [Abi::V0_1_0, Abi::V0_2_0, Abi::V0_2_1, Abi::V0_2_100];

    pub(crate) fn marker(self) -> &'static str {
        match self {
            Abi::V0_1_0 => "proxy_abi_version_0_1_0",
            Abi::V0_2_0 => "proxy_abi_version_0_2_0",
            Abi::V0_2_1 => "proxy_abi_version_0_2_1",
            Abi::V0_2_100 => "proxy_abi_version_0_2_100",
        }
    }

    pub(crate) fn version(self) -> &'static str {
        match self {
            Abi::V0_1_0 => "0.1.0",
            Abi::V0_2_0 => "0.2.0",
            Abi::V0_2_1 => "0.2.1",
            Abi::V0_2_100 => "0.2.100",
        }
    }

    pub(crate) fn from_marker(name: &str) -> Option<Abi> {
        Abi::ALL.into_iter().find(|abi| abi.marker() == name)
    }

    /// The 0.1.0 ABI: two-parameter header callbacks and
    /// `proxy_continue_request`/`proxy_continue_response`.
    pub(crate) fn is_0_1(self) -> bool {
        self == Abi::V0_1_0
    }
}

/// The version a marker name spells (`proxy_abi_version_0_3_0` is `0.3.0`),
/// for markers no host knows.
pub(crate) fn marker_version(name: &str) -> String {
    name.strip_prefix(MARKER_PREFIX)
        .unwrap_or(name)
        .replace('_', ".")
}

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
    FdWrite,
    FdRead,
    FdSeek,
    FdClose,
    FdFdstatGet,
    EnvironGet,
    EnvironSizesGet,
    ArgsGet,
    ArgsSizesGet,
    ClockTimeGet,
    RandomGet,
    ProcExit,
    PathOpen,
    FdPrestatGet,
    FdPrestatDirName,
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

const fn wasi(function: HostFn, name: &'static str, sig: Sig) -> HostFnSpec {
    HostFnSpec {
        function,
        module: ImportModule::Wasi,
        name,
        sig,
        avail: Avail::Always,
    }
}

use Avail::{Abi01, Abi02, Abi021, Always, HigressExtension};

/// Every host function, with the signature the hosts register (`Word` is
/// i32 on wasm32; metric values are 64-bit). WASI is the subset the C++
/// host implements (`FOR_ALL_WASI_FUNCTIONS`): any other WASI import is
/// missing at load time.
#[rustfmt::skip]
pub(crate) const HOST_FUNCTIONS: &[HostFnSpec] = &[
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
    wasi(HostFn::FdWrite, "fd_write", sig(&[I, I, I, I], W)),
    wasi(HostFn::FdRead, "fd_read", sig(&[I, I, I, I], W)),
    wasi(HostFn::FdSeek, "fd_seek", sig(&[I, J, I, I], W)),
    wasi(HostFn::FdClose, "fd_close", sig(W, W)),
    wasi(HostFn::FdFdstatGet, "fd_fdstat_get", sig(&[I, I], W)),
    wasi(HostFn::EnvironGet, "environ_get", sig(&[I, I], W)),
    wasi(HostFn::EnvironSizesGet, "environ_sizes_get", sig(&[I, I], W)),
    wasi(HostFn::ArgsGet, "args_get", sig(&[I, I], W)),
    wasi(HostFn::ArgsSizesGet, "args_sizes_get", sig(&[I, I], W)),
    wasi(HostFn::ClockTimeGet, "clock_time_get", sig(&[I, J, I], W)),
    wasi(HostFn::RandomGet, "random_get", sig(&[I, I], W)),
    wasi(HostFn::ProcExit, "proc_exit", sig(W, &[])),
    wasi(HostFn::PathOpen, "path_open", sig(&[I, I, I, I, I, J, J, I, I], W)),
    wasi(HostFn::FdPrestatGet, "fd_prestat_get", sig(&[I, I], W)),
    wasi(HostFn::FdPrestatDirName, "fd_prestat_dir_name", sig(&[I, I, I], W)),
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
    HOST_FUNCTIONS
        .iter()
        .find(|f| f.module == kind && f.name == name)
}

/// Host functions a module may call while the host runs `_initialize`,
/// `main` or `_start` (`WasmBase::startVm`); any other call traps with
/// `restricted_callback`.
pub(crate) const ALLOWED_DURING_START: &[HostFn] = &[
    HostFn::Log,
    HostFn::FdWrite,
    HostFn::ArgsSizesGet,
    HostFn::ArgsGet,
    HostFn::EnvironSizesGet,
    HostFn::EnvironGet,
    HostFn::FdPrestatGet,
    HostFn::FdPrestatDirName,
    HostFn::ClockTimeGet,
    HostFn::RandomGet,
];

/// Host functions the allocator may call while the host allocates guest
/// memory for data it returns (`WasmBase::allocMemory`).
pub(crate) const ALLOWED_DURING_ALLOCATION: &[HostFn] =
    &[HostFn::Log, HostFn::FdWrite, HostFn::ClockTimeGet];

/// When a host looks a callback up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CallbackAvail {
    Always,
    Abi01,
    Abi02,
    /// Higress's Redis callback, for 0.2.x modules.
    HigressRedis,
}

impl CallbackAvail {
    pub(crate) fn looked_up(self, host: Host, abi: Abi) -> bool {
        match self {
            CallbackAvail::Always => true,
            CallbackAvail::Abi01 => abi == Abi::V0_1_0,
            CallbackAvail::Abi02 => abi >= Abi::V0_2_0,
            CallbackAvail::HigressRedis => host == Host::Higress && abi >= Abi::V0_2_0,
        }
    }
}

/// An export the host looks up, with the shape it insists on: a mismatch
/// fails loading with "Bad function signature for: <name>".
#[derive(Clone, Copy, Debug)]
pub(crate) struct CallbackSpec {
    pub(crate) name: &'static str,
    /// Parameter names, for messages; every parameter is an i32.
    pub(crate) params: &'static [&'static str],
    /// Whether it returns an i32.
    pub(crate) returns: bool,
    pub(crate) avail: CallbackAvail,
}

const fn cb(
    name: &'static str,
    params: &'static [&'static str],
    returns: bool,
    avail: CallbackAvail,
) -> CallbackSpec {
    CallbackSpec {
        name,
        params,
        returns,
        avail,
    }
}

const CTX: &[&str] = &["context_id"];
const CTX_SIZE: &[&str] = &["context_id", "size"];
const DATA: &[&str] = &["context_id", "size", "end_of_stream"];
const HEADERS_01: &[&str] = &["context_id", "num_headers"];
const HEADERS_02: &[&str] = &["context_id", "num_headers", "end_of_stream"];

/// Every export a host looks up, from `WasmBase::getFunctions` (the
/// upstream list plus Higress's Redis callback).
#[rustfmt::skip]
pub(crate) const CALLBACKS: &[CallbackSpec] = &[
    cb("_initialize", &[], false, CallbackAvail::Always),
    cb("_start", &[], false, CallbackAvail::Always),
    cb("main", &["argc", "argv"], true, CallbackAvail::Always),
    cb("malloc", &["size"], true, CallbackAvail::Always),
    cb("proxy_on_memory_allocate", &["size"], true, CallbackAvail::Always),
    cb("proxy_validate_configuration", &["root_context_id", "configuration_size"], true, CallbackAvail::Always),
    cb("proxy_on_vm_start", &["root_context_id", "vm_configuration_size"], true, CallbackAvail::Always),
    cb("proxy_on_configure", &["root_context_id", "plugin_configuration_size"], true, CallbackAvail::Always),
    cb("proxy_on_tick", &["root_context_id"], false, CallbackAvail::Always),
    cb("proxy_on_context_create", &["context_id", "parent_context_id"], false, CallbackAvail::Always),
    cb("proxy_on_new_connection", CTX, true, CallbackAvail::Always),
    cb("proxy_on_downstream_data", DATA, true, CallbackAvail::Always),
    cb("proxy_on_upstream_data", DATA, true, CallbackAvail::Always),
    cb("proxy_on_downstream_connection_close", &["context_id", "peer_type"], false, CallbackAvail::Always),
    cb("proxy_on_upstream_connection_close", &["context_id", "peer_type"], false, CallbackAvail::Always),
    cb("proxy_on_request_headers", HEADERS_01, true, CallbackAvail::Abi01),
    cb("proxy_on_request_headers", HEADERS_02, true, CallbackAvail::Abi02),
    cb("proxy_on_request_body", DATA, true, CallbackAvail::Always),
    cb("proxy_on_request_trailers", CTX_SIZE, true, CallbackAvail::Always),
    cb("proxy_on_request_metadata", CTX_SIZE, true, CallbackAvail::Always),
    cb("proxy_on_response_headers", HEADERS_01, true, CallbackAvail::Abi01),
    cb("proxy_on_response_headers", HEADERS_02, true, CallbackAvail::Abi02),
    cb("proxy_on_response_body", DATA, true, CallbackAvail::Always),
    cb("proxy_on_response_trailers", CTX_SIZE, true, CallbackAvail::Always),
    cb("proxy_on_response_metadata", CTX_SIZE, true, CallbackAvail::Always),
    cb("proxy_on_http_call_response", &["root_context_id", "token", "num_headers", "body_size", "num_trailers"], false, CallbackAvail::Always),
    cb("proxy_on_grpc_receive", &["context_id", "token", "size"], false, CallbackAvail::Always),
    cb("proxy_on_grpc_close", &["context_id", "token", "status"], false, CallbackAvail::Always),
    cb("proxy_on_grpc_receive_initial_metadata", &["context_id", "token", "num_elements"], false, CallbackAvail::Always),
    cb("proxy_on_grpc_receive_trailing_metadata", &["context_id", "token", "num_elements"], false, CallbackAvail::Always),
    cb("proxy_on_queue_ready", &["root_context_id", "queue_id"], false, CallbackAvail::Always),
    cb("proxy_on_foreign_function", &["context_id", "function_id", "arguments_size"], false, CallbackAvail::Abi02),
    cb("proxy_on_done", CTX, true, CallbackAvail::Always),
    cb("proxy_on_log", CTX, false, CallbackAvail::Always),
    cb("proxy_on_delete", CTX, false, CallbackAvail::Always),
    cb("proxy_on_redis_call_response", &["context_id", "token", "status", "response_size"], false, CallbackAvail::HigressRedis),
];

/// The shape this host expects of an export, for this ABI.
pub(crate) fn callback(name: &str, host: Host, abi: Abi) -> Option<&'static CallbackSpec> {
    CALLBACKS
        .iter()
        .find(|c| c.name == name && c.avail.looked_up(host, abi))
}

/// Whether any host, for any ABI, looks this export up.
pub(crate) fn is_known_callback(name: &str) -> bool {
    CALLBACKS.iter().any(|c| c.name == name)
}

/// Status codes of host functions (the spec's `WasmResult`).
pub(crate) mod status {
    pub(crate) const OK: u32 = 0;
    pub(crate) const NOT_FOUND: u32 = 1;
    pub(crate) const BAD_ARGUMENT: u32 = 2;
    pub(crate) const INVALID_MEMORY_ACCESS: u32 = 6;
    pub(crate) const EMPTY: u32 = 7;
    pub(crate) const CAS_MISMATCH: u32 = 8;
    pub(crate) const INTERNAL_FAILURE: u32 = 10;
    pub(crate) const UNIMPLEMENTED: u32 = 12;

    pub(crate) fn name(code: u32) -> &'static str {
        match code {
            0 => "Ok",
            1 => "NotFound",
            2 => "BadArgument",
            3 => "SerializationFailure",
            4 => "ParseFailure",
            5 => "BadExpression",
            6 => "InvalidMemoryAccess",
            7 => "Empty",
            8 => "CasMismatch",
            9 => "ResultMismatch",
            10 => "InternalFailure",
            11 => "BrokenConnection",
            12 => "Unimplemented",
            _ => "Unknown",
        }
    }
}

/// WASI errno values the host returns.
pub(crate) mod errno {
    pub(crate) const SUCCESS: u32 = 0;
    pub(crate) const BADF: u32 = 8;
    pub(crate) const FAULT: u32 = 21;
    pub(crate) const INVAL: u32 = 28;
    pub(crate) const NOENT: u32 = 44;
    pub(crate) const NOSYS: u32 = 52;
    pub(crate) const NOTSUP: u32 = 58;

    pub(crate) fn name(code: u32) -> &'static str {
        match code {
            SUCCESS => "success",
            BADF => "badf",
            FAULT => "fault",
            INVAL => "inval",
            NOENT => "noent",
            NOSYS => "nosys",
            NOTSUP => "notsup",
            _ => "errno",
        }
    }
}

/// Header map types (`proxy_*_header_map_*`).
pub(crate) fn map_name(map: u32) -> &'static str {
    match map {
        0 => "request-headers",
        1 => "request-trailers",
        2 => "response-headers",
        3 => "response-trailers",
        4 => "grpc-receive-initial-metadata",
        5 => "grpc-receive-trailing-metadata",
        6 => "http-call-response-headers",
        7 => "http-call-response-trailers",
        _ => "unknown",
    }
}

/// Buffer types (`proxy_*_buffer_*`).
pub(crate) fn buffer_name(buffer: u32) -> &'static str {
    match buffer {
        0 => "http-request-body",
        1 => "http-response-body",
        2 => "downstream-data",
        3 => "upstream-data",
        4 => "http-call-response-body",
        5 => "grpc-receive-buffer",
        6 => "vm-configuration",
        7 => "plugin-configuration",
        8 => "call-data",
        _ => "unknown",
    }
}

/// What a headers callback's return value means.
pub(crate) fn headers_action_name(value: u32) -> &'static str {
    match value {
        0 => "Continue",
        1 => "StopIteration",
        2 => "ContinueAndEndStream",
        3 => "StopAllIterationAndBuffer",
        4 => "StopAllIterationAndWatermark",
        _ => "an unknown value",
    }
}

/// What a body callback's return value means.
pub(crate) fn data_action_name(value: u32) -> &'static str {
    match value {
        0 => "Continue",
        1 => "StopIterationAndBuffer",
        2 => "StopIterationAndWatermark",
        3 => "StopIterationNoBuffer",
        _ => "an unknown value",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_round_trip() {
        for abi in Abi::ALL {
            assert_eq!(Abi::from_marker(abi.marker()), Some(abi));
            assert_eq!(marker_version(abi.marker()), abi.version());
        }
        assert_eq!(marker_version("proxy_abi_version_0_3_0"), "0.3.0");
    }

    #[test]
    fn availability_follows_the_hosts() {
        let redis = host_function("env", "proxy_redis_call").unwrap();
        assert!(!redis.avail.provided(Host::Envoy, Abi::V0_2_1));
        assert!(redis.avail.provided(Host::Higress, Abi::V0_2_100));
        assert!(!redis.avail.provided(Host::Higress, Abi::V0_2_0));
        let cont = host_function("env", "proxy_continue_stream").unwrap();
        assert!(!cont.avail.provided(Host::Envoy, Abi::V0_1_0));
        assert!(cont.avail.provided(Host::Envoy, Abi::V0_2_0));
        assert!(host_function("wasi_unstable", "fd_write").is_some());
        assert!(host_function("wasi_snapshot_preview1", "poll_oneoff").is_none());
        assert_eq!(
            callback("proxy_on_request_headers", Host::Envoy, Abi::V0_1_0)
                .unwrap()
                .params
                .len(),
            2
        );
        assert_eq!(
            callback("proxy_on_request_headers", Host::Higress, Abi::V0_2_100)
                .unwrap()
                .params
                .len(),
            3
        );
        assert!(callback("proxy_on_foreign_function", Host::Envoy, Abi::V0_1_0).is_none());
        assert!(!Host::Envoy.knows(Abi::V0_2_100));
        assert!(Host::Higress.honours_headers_stop_iteration(Abi::V0_2_100));
        assert!(!Host::Higress.honours_headers_stop_iteration(Abi::V0_2_0));
        assert!(!Host::Envoy.honours_headers_stop_iteration(Abi::V0_2_1));
    }
}
