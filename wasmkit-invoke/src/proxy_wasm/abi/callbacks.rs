//! The callbacks a host looks up in a module's exports, and the shape it
//! insists on for each ABI (`WasmBase::getFunctions` in proxy-wasm-cpp-host
//! `src/wasm.cc`, plus Higress's Redis callback).

use super::{Abi, Host};

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
