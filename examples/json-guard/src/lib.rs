//! Example proxy-wasm filter written against the raw proxy-wasm ABI (no SDK).
//!
//! It demonstrates why `.buildrc` tags matter. Like the proxy-wasm Go SDK of
//! Higress's ai-proxy days, the ABI marker it exports depends on a cfg tag:
//! `proxy_abi_version_0_2_100` with `--cfg proxy_wasm_version_0_2_100`,
//! `proxy_abi_version_0_2_0` without. The filter stops in the request-headers
//! callback (StopIteration) to wait for a JSON body. Higress delivers that
//! body only to modules marked 0.2.100; for a 0.2.0 module it stops the whole
//! stream and the request hangs.
//!
//! Behaviour: the plugin configuration is `{"required_field": "<name>"}`. A
//! JSON request body without that field gets a local 400 reply; otherwise the
//! field's value is copied into the request header `x-json-guard-field`.
//! Every response gets `x-json-guard: checked`.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::ptr;

/// Imports from the host. Only functions that both upstream ABI 0.2.0 and
/// Higress's 0.2.100 provide, so either marker loads.
mod host {
    #[link(wasm_import_module = "env")]
    unsafe extern "C" {
        pub(crate) fn proxy_log(level: u32, message_data: *const u8, message_size: usize) -> u32;
        pub(crate) fn proxy_get_buffer_bytes(
            buffer_type: u32,
            start: usize,
            max_size: usize,
            return_buffer_data: *mut *mut u8,
            return_buffer_size: *mut usize,
        ) -> u32;
        pub(crate) fn proxy_get_header_map_value(
            map_type: u32,
            key_data: *const u8,
            key_size: usize,
            return_value_data: *mut *mut u8,
            return_value_size: *mut usize,
        ) -> u32;
        pub(crate) fn proxy_add_header_map_value(
            map_type: u32,
            key_data: *const u8,
            key_size: usize,
            value_data: *const u8,
            value_size: usize,
        ) -> u32;
        pub(crate) fn proxy_replace_header_map_value(
            map_type: u32,
            key_data: *const u8,
            key_size: usize,
            value_data: *const u8,
            value_size: usize,
        ) -> u32;
        #[allow(clippy::too_many_arguments)]
        pub(crate) fn proxy_send_local_response(
            status_code: u32,
            status_code_details_data: *const u8,
            status_code_details_size: usize,
            body_data: *const u8,
            body_size: usize,
            additional_headers_map_data: *const u8,
            additional_headers_size: usize,
            grpc_status: i32,
        ) -> u32;
    }
}

/// The ABI marker. Hosts only look for the export's name; it is never called.
///
/// The `allow` keeps plain `cargo build`/`cargo clippy` quiet; the tag is not
/// declared as an expected cfg here because `cargo wasmkit build` passes
/// `--check-cfg` for every `.buildrc` tag itself.
#[allow(unexpected_cfgs)]
mod abi_marker {
    #[cfg(proxy_wasm_version_0_2_100)]
    #[unsafe(no_mangle)]
    pub extern "C" fn proxy_abi_version_0_2_100() {}

    #[cfg(not(proxy_wasm_version_0_2_100))]
    #[unsafe(no_mangle)]
    pub extern "C" fn proxy_abi_version_0_2_0() {}
}

/// Makes the module a WASI reactor, as hosts expect: they call `_initialize`
/// once before any callback. It runs the static constructors, exactly like
/// wasi-libc's `crt1-reactor.o` does.
#[unsafe(no_mangle)]
pub extern "C" fn _initialize() {
    unsafe extern "C" {
        fn __wasm_call_ctors();
    }
    // SAFETY: called once by the host before anything else.
    unsafe { __wasm_call_ctors() }
}

const LOG_INFO: u32 = 2;
const LOG_ERROR: u32 = 4;

const STATUS_OK: u32 = 0;

const BUFFER_HTTP_REQUEST_BODY: u32 = 0;
const BUFFER_PLUGIN_CONFIGURATION: u32 = 7;

const MAP_HTTP_REQUEST_HEADERS: u32 = 0;
const MAP_HTTP_RESPONSE_HEADERS: u32 = 2;

const ACTION_CONTINUE: u32 = 0;
/// StopIteration for headers, StopIterationAndBuffer for bodies.
const ACTION_PAUSE: u32 = 1;

/// What the filter knows about its contexts. A module instance is
/// single-threaded, so thread-local state is all the host ever sees.
#[derive(Default)]
struct FilterState {
    /// Root context id to the field its configuration requires.
    required_fields: BTreeMap<u32, String>,
    /// HTTP context id to its root context id.
    roots: BTreeMap<u32, u32>,
    /// HTTP contexts whose JSON body we are waiting for.
    awaiting_body: BTreeSet<u32>,
}

thread_local! {
    static STATE: RefCell<FilterState> = RefCell::default();
}

fn log(level: u32, message: &str) {
    // SAFETY: the host reads `message_size` bytes from a live slice.
    unsafe {
        host::proxy_log(level, message.as_ptr(), message.len());
    }
}

/// Takes ownership of a buffer the host allocated through
/// `proxy_on_memory_allocate`.
fn take_host_bytes(data: *mut u8, size: usize) -> Vec<u8> {
    if data.is_null() || size == 0 {
        return Vec::new();
    }
    // SAFETY: the host filled a buffer of exactly `size` bytes that
    // `proxy_on_memory_allocate` made as a boxed slice of that length.
    unsafe { Vec::from_raw_parts(data, size, size) }
}

fn get_buffer(buffer_type: u32, size: usize) -> Option<Vec<u8>> {
    let mut data: *mut u8 = ptr::null_mut();
    let mut len: usize = 0;
    // SAFETY: out-pointers are valid locals.
    let status = unsafe { host::proxy_get_buffer_bytes(buffer_type, 0, size, &mut data, &mut len) };
    (status == STATUS_OK).then(|| take_host_bytes(data, len))
}

fn get_header(map_type: u32, name: &str) -> Option<String> {
    let mut data: *mut u8 = ptr::null_mut();
    let mut len: usize = 0;
    // SAFETY: the key is a live slice; out-pointers are valid locals.
    let status = unsafe {
        host::proxy_get_header_map_value(map_type, name.as_ptr(), name.len(), &mut data, &mut len)
    };
    if status != STATUS_OK {
        return None;
    }
    String::from_utf8(take_host_bytes(data, len)).ok()
}

fn add_header(map_type: u32, name: &str, value: &str) {
    // SAFETY: both slices are live for the call.
    unsafe {
        host::proxy_add_header_map_value(
            map_type,
            name.as_ptr(),
            name.len(),
            value.as_ptr(),
            value.len(),
        );
    }
}

fn replace_header(map_type: u32, name: &str, value: &str) {
    // SAFETY: both slices are live for the call.
    unsafe {
        host::proxy_replace_header_map_value(
            map_type,
            name.as_ptr(),
            name.len(),
            value.as_ptr(),
            value.len(),
        );
    }
}

/// Header pairs in the ABI's map encoding: pair count, then each pair's key
/// and value lengths (all u32 little-endian), then each key and value
/// followed by a NUL byte.
fn encode_header_map(pairs: &[(&str, &str)]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&(pairs.len() as u32).to_le_bytes());
    for (name, value) in pairs {
        out.extend_from_slice(&(name.len() as u32).to_le_bytes());
        out.extend_from_slice(&(value.len() as u32).to_le_bytes());
    }
    for (name, value) in pairs {
        out.extend_from_slice(name.as_bytes());
        out.push(0);
        out.extend_from_slice(value.as_bytes());
        out.push(0);
    }
    out
}

fn send_local_response(status: u32, details: &str, body: &str) {
    let headers = encode_header_map(&[("content-type", "application/json")]);
    // SAFETY: all slices are live for the call.
    unsafe {
        host::proxy_send_local_response(
            status,
            details.as_ptr(),
            details.len(),
            body.as_ptr(),
            body.len(),
            headers.as_ptr(),
            headers.len(),
            -1,
        );
    }
}

/// Reads `required_field` from the plugin configuration.
fn parse_configuration(bytes: &[u8]) -> Result<String, String> {
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| format!("configuration is not JSON: {e}"))?;
    let object = value
        .as_object()
        .ok_or("configuration must be a JSON object")?;
    match object.get("required_field") {
        None => Err("configuration has no \"required_field\"".to_owned()),
        Some(serde_json::Value::String(name)) if !name.is_empty() => Ok(name.clone()),
        Some(serde_json::Value::String(_)) => Err("\"required_field\" is empty".to_owned()),
        Some(_) => Err("\"required_field\" must be a string".to_owned()),
    }
}

/// What to do with a complete request body.
enum BodyVerdict {
    /// Forward the request, with this value in `x-json-guard-field`.
    Accept(String),
    /// Answer 400 with this message.
    Reject(String),
}

fn check_body(body: &[u8], field: &str) -> BodyVerdict {
    let Ok(serde_json::Value::Object(object)) = serde_json::from_slice(body) else {
        return BodyVerdict::Reject("request body is not a JSON object".to_owned());
    };
    match object.get(field) {
        None => BodyVerdict::Reject(format!("missing required field \"{field}\"")),
        Some(serde_json::Value::String(s)) => BodyVerdict::Accept(s.clone()),
        // Non-string values are passed on in their JSON spelling.
        Some(other) => BodyVerdict::Accept(other.to_string()),
    }
}

/// The field the root context of an HTTP context requires, if configured.
fn required_field(http_context_id: u32) -> Option<String> {
    STATE.with_borrow(|state| {
        let root = state.roots.get(&http_context_id)?;
        state.required_fields.get(root).cloned()
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn proxy_on_memory_allocate(size: usize) -> *mut u8 {
    // A boxed slice has capacity == length, which `take_host_bytes` relies on.
    let buffer = vec![0u8; size].into_boxed_slice();
    Box::into_raw(buffer).cast::<u8>()
}

#[unsafe(no_mangle)]
pub extern "C" fn proxy_on_context_create(context_id: u32, parent_context_id: u32) {
    if parent_context_id != 0 {
        STATE.with_borrow_mut(|state| {
            state.roots.insert(context_id, parent_context_id);
        });
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn proxy_on_vm_start(_root_context_id: u32, _vm_configuration_size: usize) -> u32 {
    1
}

#[unsafe(no_mangle)]
pub extern "C" fn proxy_on_configure(
    root_context_id: u32,
    plugin_configuration_size: usize,
) -> u32 {
    let parsed = if plugin_configuration_size == 0 {
        Err("configuration is empty; expected {\"required_field\": \"<name>\"}".to_owned())
    } else {
        match get_buffer(BUFFER_PLUGIN_CONFIGURATION, plugin_configuration_size) {
            Some(bytes) => parse_configuration(&bytes),
            None => Err("cannot read the plugin configuration".to_owned()),
        }
    };
    match parsed {
        Ok(field) => {
            log(LOG_INFO, &format!("json-guard: requiring field {field}"));
            STATE.with_borrow_mut(|state| {
                state.required_fields.insert(root_context_id, field);
            });
            1
        }
        Err(why) => {
            log(LOG_ERROR, &format!("json-guard: bad configuration: {why}"));
            0
        }
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn proxy_on_request_headers(
    context_id: u32,
    _num_headers: usize,
    end_of_stream: u32,
) -> u32 {
    if end_of_stream != 0 || required_field(context_id).is_none() {
        // No body is coming, or nothing to guard.
        return ACTION_CONTINUE;
    }
    let is_json = get_header(MAP_HTTP_REQUEST_HEADERS, "content-type")
        .is_some_and(|value| value.contains("application/json"));
    if is_json {
        STATE.with_borrow_mut(|state| {
            state.awaiting_body.insert(context_id);
        });
        // StopIteration: wait for the body before the headers go upstream.
        // Only a host that honours it (Higress, for 0.2.100 modules) will
        // ever call `proxy_on_request_body` after this.
        ACTION_PAUSE
    } else {
        ACTION_CONTINUE
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn proxy_on_request_body(
    context_id: u32,
    body_size: usize,
    end_of_stream: u32,
) -> u32 {
    let awaiting = STATE.with_borrow(|state| state.awaiting_body.contains(&context_id));
    // Not a JSON request, or no usable configuration: nothing to guard.
    let Some(field) = required_field(context_id).filter(|_| awaiting) else {
        return ACTION_CONTINUE;
    };
    if end_of_stream == 0 {
        // StopIterationAndBuffer: let the host collect the whole body.
        return ACTION_PAUSE;
    }
    STATE.with_borrow_mut(|state| {
        state.awaiting_body.remove(&context_id);
    });
    let body = get_buffer(BUFFER_HTTP_REQUEST_BODY, body_size).unwrap_or_default();
    match check_body(&body, &field) {
        BodyVerdict::Accept(value) => {
            replace_header(MAP_HTTP_REQUEST_HEADERS, "x-json-guard-field", &value);
            ACTION_CONTINUE
        }
        BodyVerdict::Reject(message) => {
            let body = serde_json::json!({ "error": message }).to_string();
            send_local_response(400, "json_guard_rejected", &body);
            ACTION_PAUSE
        }
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn proxy_on_response_headers(
    _context_id: u32,
    _num_headers: usize,
    _end_of_stream: u32,
) -> u32 {
    add_header(MAP_HTTP_RESPONSE_HEADERS, "x-json-guard", "checked");
    ACTION_CONTINUE
}

#[unsafe(no_mangle)]
pub extern "C" fn proxy_on_done(_context_id: u32) -> u32 {
    1
}

#[unsafe(no_mangle)]
pub extern "C" fn proxy_on_log(_context_id: u32) {}

#[unsafe(no_mangle)]
pub extern "C" fn proxy_on_delete(context_id: u32) {
    STATE.with_borrow_mut(|state| {
        state.roots.remove(&context_id);
        state.awaiting_body.remove(&context_id);
        state.required_fields.remove(&context_id);
    });
}
