//! verify's analysis of arbitrary files and of `wasm-smith` generated core
//! modules, proxy-wasm-shaped modules and components. See
//! `wasmkit_fuzz::verify` for the property.
//!
//! Input layout: byte 0 picks the generator (mod 4), byte 1 holds flags,
//! the rest feeds the generator:
//!
//! - 0: the file as is (seeds: wasm and WAT fixtures), in the format of
//!   `Case::decode`;
//! - 1: a `wasm-smith` core module with an arbitrary configuration;
//! - 2: a proxy-wasm-shaped module: `wasm-smith` limited to proxy-wasm host
//!   imports and made to export an ABI marker, an allocator, `memory` and
//!   a choice of callbacks, mostly as a host loads them (so the mock host
//!   runs their random bodies, which call the host with random arguments),
//!   sometimes breaking a rule of the static checks;
//! - 3: a `wasm-smith` component.
//!
//! Flags: 1 higress (else envoy), 2 run WASI commands, 4 deny warnings,
//! 8 name the file `.wat`, 16 leave loops unbounded (else wasm-smith's
//! `ensure_termination` bounds them), 32 pass a plugin configuration.
//!
//! With `WASMKIT_FUZZ_DUMP=<dir>` set, every case is also written to
//! `<dir>/case.bin` as a file-as-is input, so that a crash found on a
//! generated module can be kept under `fuzz/regressions/verify/`, which
//! the regression test replays without wasm-smith.
#![no_main]

use arbitrary::{Arbitrary, Result, Unstructured};
use wasmkit_fuzz::verify::{Case, UNBOUNDED, check};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let [mode, flags, rest @ ..] = data else {
        return;
    };
    let case = if mode % 4 == 0 {
        Case::decode(data)
    } else {
        let mut u = Unstructured::new(rest);
        let unbounded = flags & UNBOUNDED != 0;
        let generated = match mode % 4 {
            1 => core_module(&mut u, unbounded),
            2 => proxy_wasm_module(&mut u, unbounded),
            _ => component(&mut u),
        };
        generated
            .ok()
            .map(|artifact| Case::new(*flags, artifact, u.arbitrary().ok()))
    };
    let Some(case) = case else {
        return;
    };
    if let Some(dir) = std::env::var_os("WASMKIT_FUZZ_DUMP") {
        // The same case as a file-as-is input, for `fuzz/regressions/verify/`.
        let _ = std::fs::write(std::path::Path::new(&dir).join("case.bin"), case.encode());
    }
    check(&case);
});

/// Keeps generated modules small: the point is verify's handling of
/// them, not wasmtime's compiler.
fn tame(config: &mut wasm_smith::Config) {
    config.max_funcs = config.max_funcs.min(50);
    config.max_instructions = config.max_instructions.min(500);
    config.max_memory32_bytes = config.max_memory32_bytes.min(16 << 20);
    config.max_memory64_bytes = config.max_memory64_bytes.min(16 << 20);
    config.max_table_elements = config.max_table_elements.min(10_000);
    config.max_data_segments = config.max_data_segments.min(20);
    config.max_element_segments = config.max_element_segments.min(20);
    config.max_elements = config.max_elements.min(100);
    config.max_types = config.max_types.min(100);
}

fn core_module(u: &mut Unstructured<'_>, unbounded: bool) -> Result<Vec<u8>> {
    let mut config = wasm_smith::Config::arbitrary(u)?;
    tame(&mut config);
    let mut module = wasm_smith::Module::new(config, u)?;
    if !unbounded {
        let _ = module.ensure_termination(1_000_000);
    }
    Ok(module.to_bytes())
}

fn component(u: &mut Unstructured<'_>) -> Result<Vec<u8>> {
    let mut config = wasm_smith::Config::arbitrary(u)?;
    tame(&mut config);
    config.max_components = u.int_in_range(0..=2)?;
    config.max_instances = u.int_in_range(0..=3)?;
    config.max_modules = u.int_in_range(0..=2)?;
    Ok(wasm_smith::Component::new(config, u)?.to_bytes())
}

/// When a host provides an import (a simplification of the hosts' tables in
/// `wasmkit-invoke`'s `proxy_wasm::abi`): every ABI, one ABI range, or never
/// (a function no host knows, or one only higress provides).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Avail {
    Always,
    Abi01,
    Abi02,
    Abi021,
    Never,
}

/// Host functions a proxy-wasm module may import: (module, name, params,
/// results, availability), as the hosts declare them.
#[rustfmt::skip]
const HOST_IMPORTS: &[(&str, &str, &str, &str, Avail)] = &[
    ("env", "proxy_log", "i32 i32 i32", "i32", Avail::Always),
    ("env", "proxy_get_status", "i32 i32 i32", "i32", Avail::Always),
    ("env", "proxy_set_property", "i32 i32 i32 i32", "i32", Avail::Always),
    ("env", "proxy_get_property", "i32 i32 i32 i32", "i32", Avail::Always),
    ("env", "proxy_send_local_response", "i32 i32 i32 i32 i32 i32 i32 i32", "i32", Avail::Always),
    ("env", "proxy_get_shared_data", "i32 i32 i32 i32 i32", "i32", Avail::Always),
    ("env", "proxy_set_shared_data", "i32 i32 i32 i32 i32", "i32", Avail::Always),
    ("env", "proxy_register_shared_queue", "i32 i32 i32", "i32", Avail::Always),
    ("env", "proxy_resolve_shared_queue", "i32 i32 i32 i32 i32", "i32", Avail::Always),
    ("env", "proxy_enqueue_shared_queue", "i32 i32 i32", "i32", Avail::Always),
    ("env", "proxy_dequeue_shared_queue", "i32 i32 i32", "i32", Avail::Always),
    ("env", "proxy_get_header_map_value", "i32 i32 i32 i32 i32", "i32", Avail::Always),
    ("env", "proxy_add_header_map_value", "i32 i32 i32 i32 i32", "i32", Avail::Always),
    ("env", "proxy_replace_header_map_value", "i32 i32 i32 i32 i32", "i32", Avail::Always),
    ("env", "proxy_remove_header_map_value", "i32 i32 i32", "i32", Avail::Always),
    ("env", "proxy_get_header_map_pairs", "i32 i32 i32", "i32", Avail::Always),
    ("env", "proxy_set_header_map_pairs", "i32 i32 i32", "i32", Avail::Always),
    ("env", "proxy_get_header_map_size", "i32 i32", "i32", Avail::Always),
    ("env", "proxy_get_buffer_status", "i32 i32 i32", "i32", Avail::Always),
    ("env", "proxy_get_buffer_bytes", "i32 i32 i32 i32 i32", "i32", Avail::Always),
    ("env", "proxy_set_buffer_bytes", "i32 i32 i32 i32 i32", "i32", Avail::Always),
    ("env", "proxy_http_call", "i32 i32 i32 i32 i32 i32 i32 i32 i32 i32", "i32", Avail::Always),
    ("env", "proxy_grpc_call", "i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32", "i32", Avail::Always),
    ("env", "proxy_grpc_stream", "i32 i32 i32 i32 i32 i32 i32 i32 i32", "i32", Avail::Always),
    ("env", "proxy_grpc_send", "i32 i32 i32 i32", "i32", Avail::Always),
    ("env", "proxy_grpc_close", "i32", "i32", Avail::Always),
    ("env", "proxy_grpc_cancel", "i32", "i32", Avail::Always),
    ("env", "proxy_set_tick_period_milliseconds", "i32", "i32", Avail::Always),
    ("env", "proxy_get_current_time_nanoseconds", "i32", "i32", Avail::Always),
    ("env", "proxy_define_metric", "i32 i32 i32 i32", "i32", Avail::Always),
    ("env", "proxy_increment_metric", "i32 i64", "i32", Avail::Always),
    ("env", "proxy_record_metric", "i32 i64", "i32", Avail::Always),
    ("env", "proxy_get_metric", "i32 i32", "i32", Avail::Always),
    ("env", "proxy_set_effective_context", "i32", "i32", Avail::Always),
    ("env", "proxy_done", "", "i32", Avail::Always),
    ("env", "proxy_call_foreign_function", "i32 i32 i32 i32 i32 i32", "i32", Avail::Always),
    ("env", "pthread_equal", "i32 i32", "i32", Avail::Always),
    ("env", "emscripten_notify_memory_growth", "i32", "", Avail::Always),
    ("env", "proxy_get_configuration", "i32 i32", "i32", Avail::Abi01),
    ("env", "proxy_continue_request", "", "i32", Avail::Abi01),
    ("env", "proxy_continue_response", "", "i32", Avail::Abi01),
    ("env", "proxy_clear_route_cache", "", "i32", Avail::Abi01),
    ("env", "proxy_continue_stream", "i32", "i32", Avail::Abi02),
    ("env", "proxy_close_stream", "i32", "i32", Avail::Abi02),
    ("env", "proxy_get_log_level", "i32", "i32", Avail::Abi021),
    ("env", "proxy_redis_init", "i32 i32 i32 i32 i32 i32 i32", "i32", Avail::Never),
    ("env", "proxy_redis_call", "i32 i32 i32 i32 i32", "i32", Avail::Never),
    ("env", "proxy_get_upstream_hosts", "i32 i32", "i32", Avail::Never),
    ("env", "not_a_host_function", "i32", "i32", Avail::Never),
    ("wasi_snapshot_preview1", "fd_write", "i32 i32 i32 i32", "i32", Avail::Always),
    ("wasi_snapshot_preview1", "fd_read", "i32 i32 i32 i32", "i32", Avail::Always),
    ("wasi_snapshot_preview1", "fd_seek", "i32 i64 i32 i32", "i32", Avail::Always),
    ("wasi_snapshot_preview1", "fd_close", "i32", "i32", Avail::Always),
    ("wasi_snapshot_preview1", "fd_fdstat_get", "i32 i32", "i32", Avail::Always),
    ("wasi_snapshot_preview1", "environ_get", "i32 i32", "i32", Avail::Always),
    ("wasi_snapshot_preview1", "environ_sizes_get", "i32 i32", "i32", Avail::Always),
    ("wasi_snapshot_preview1", "args_get", "i32 i32", "i32", Avail::Always),
    ("wasi_snapshot_preview1", "args_sizes_get", "i32 i32", "i32", Avail::Always),
    ("wasi_snapshot_preview1", "clock_time_get", "i32 i64 i32", "i32", Avail::Always),
    ("wasi_snapshot_preview1", "random_get", "i32 i32", "i32", Avail::Always),
    ("wasi_snapshot_preview1", "proc_exit", "i32", "", Avail::Always),
    ("wasi_snapshot_preview1", "fd_prestat_get", "i32 i32", "i32", Avail::Always),
    ("wasi_snapshot_preview1", "fd_prestat_dir_name", "i32 i32 i32", "i32", Avail::Always),
    ("wasi_unstable", "fd_write", "i32 i32 i32 i32", "i32", Avail::Always),
    ("wasi_snapshot_preview1", "poll_oneoff", "i32 i32 i32 i32", "i32", Avail::Never),
];

/// Callbacks the hosts look up: (name, params, results). The headers
/// callbacks take two parameters under ABI 0.1.0.
const CALLBACKS: &[(&str, &str, &str)] = &[
    ("proxy_on_vm_start", "i32 i32", "i32"),
    ("proxy_validate_configuration", "i32 i32", "i32"),
    ("proxy_on_configure", "i32 i32", "i32"),
    ("proxy_on_tick", "i32", ""),
    ("proxy_on_context_create", "i32 i32", ""),
    ("proxy_on_new_connection", "i32", "i32"),
    ("proxy_on_downstream_data", "i32 i32 i32", "i32"),
    ("proxy_on_request_headers", "i32 i32 i32", "i32"),
    ("proxy_on_request_body", "i32 i32 i32", "i32"),
    ("proxy_on_request_trailers", "i32 i32", "i32"),
    ("proxy_on_response_headers", "i32 i32 i32", "i32"),
    ("proxy_on_response_body", "i32 i32 i32", "i32"),
    ("proxy_on_http_call_response", "i32 i32 i32 i32 i32", ""),
    ("proxy_on_grpc_receive", "i32 i32 i32", ""),
    ("proxy_on_queue_ready", "i32 i32", ""),
    ("proxy_on_foreign_function", "i32 i32 i32", ""),
    ("proxy_on_done", "i32", "i32"),
    ("proxy_on_log", "i32", ""),
    ("proxy_on_delete", "i32", ""),
];

/// The known ABI markers, with the import availability each one gets.
const MARKERS: &[(&str, &[Avail])] = &[
    ("proxy_abi_version_0_1_0", &[Avail::Always, Avail::Abi01]),
    ("proxy_abi_version_0_2_0", &[Avail::Always, Avail::Abi02]),
    (
        "proxy_abi_version_0_2_1",
        &[Avail::Always, Avail::Abi02, Avail::Abi021],
    ),
    (
        "proxy_abi_version_0_2_100",
        &[Avail::Always, Avail::Abi02, Avail::Abi021],
    ),
];

fn func_type(params: &str, results: &str) -> String {
    let mut ty = String::new();
    if !params.is_empty() {
        ty.push_str(&format!(" (param {params})"));
    }
    if !results.is_empty() {
        ty.push_str(&format!(" (result {results})"));
    }
    ty
}

/// An exported function of the shape module (its body does not matter:
/// wasm-smith keeps only names and types).
fn export_func(name: &str, params: &str, results: &str) -> String {
    let body = if results.is_empty() {
        ""
    } else {
        " unreachable"
    };
    format!(
        "  (func (export \"{name}\"){}{body})\n",
        func_type(params, results)
    )
}

/// A proxy-wasm-shaped module. Most are ones the host loads (one known
/// marker, an allocator, `_initialize`, callbacks of the right shape,
/// only imports the ABI provides), so that the mock host runs their
/// random callback bodies; one in four breaks a rule of the static checks.
fn proxy_wasm_module(u: &mut Unstructured<'_>, unbounded: bool) -> Result<Vec<u8>> {
    let loadable = u.ratio(3, 4)?;
    let (marker, avail) = *u.choose(MARKERS)?;
    let abi_01 = marker.ends_with("0_1_0");

    let mut imports = String::from("(module\n");
    for (module, name, params, results, when) in HOST_IMPORTS {
        let provided = avail.contains(when);
        if (provided || !loadable) && u.ratio(2, 3)? {
            imports.push_str(&format!(
                "  (import \"{module}\" \"{name}\" (func{}))\n",
                func_type(params, results)
            ));
        }
    }
    imports.push_str(")\n");

    let mut exports = String::from("(module\n  (memory (export \"memory\") 1)\n");
    exports.push_str(&format!("  (func (export \"{marker}\"))\n"));
    if !loadable && u.ratio(1, 3)? {
        let other = if u.arbitrary()? {
            "proxy_abi_version_0_3_0"
        } else {
            u.choose(MARKERS)?.0
        };
        if other != marker {
            exports.push_str(&format!("  (func (export \"{other}\"))\n"));
        }
    }
    let allocators = [
        ("proxy_on_memory_allocate", loadable || u.ratio(1, 2)?),
        ("malloc", u.ratio(1, 3)?),
    ];
    for (allocator, present) in allocators {
        if present {
            exports.push_str(&export_func(allocator, "i32", "i32"));
        }
    }
    if loadable || u.ratio(1, 2)? {
        exports.push_str(&export_func("_initialize", "", ""));
    }
    if u.ratio(1, 4)? {
        exports.push_str(&export_func("main", "i32 i32", "i32"));
    }
    if !loadable && u.ratio(1, 2)? {
        exports.push_str(&export_func("_start", "", ""));
    }
    for (name, params, results) in CALLBACKS {
        if !u.ratio(3, 4)? {
            continue;
        }
        let params = if abi_01 && name.ends_with("_headers") {
            "i32 i32"
        } else {
            params
        };
        if !loadable && u.ratio(1, 8)? {
            // A shape the host refuses: one parameter more, and the
            // result there or not the other way round.
            let wrong_results = if results.is_empty() { "i32" } else { "" };
            exports.push_str(&export_func(name, &format!("{params} i32"), wrong_results));
        } else {
            exports.push_str(&export_func(name, params, results));
        }
    }
    exports.push_str(")\n");

    let mut config = wasm_smith::Config::arbitrary(u)?;
    tame(&mut config);
    config.available_imports = Some(wat::parse_str(&imports).expect("valid imports module"));
    config.exports = Some(wat::parse_str(&exports).expect("valid exports module"));
    config.max_imports = config.max_imports.max(8);
    config.max_memories = config.max_memories.max(1);
    config.memory64_enabled = false;
    // Mostly bodies that do not trap, so that requests get far.
    config.disallow_traps = loadable && u.ratio(3, 4)?;
    let mut module = wasm_smith::Module::new(config, u)?;
    if !unbounded {
        let _ = module.ensure_termination(1_000_000);
    }
    Ok(module.to_bytes())
}
