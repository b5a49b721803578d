//! Higress's extensions, for 0.2.1 and 0.2.100 modules: Redis calls
//! (unmodelled), injecting data into the filter chain, and choosing or
//! listing upstream hosts.

use wasmtime::Caller;

use super::Args;
use super::memory::{HostResult, read};
use super::record::{Record, text, unmodelled};
use super::state::HostState;
use crate::proxy_wasm::abi::HostFn;
use crate::proxy_wasm::abi::status::{OK, UNIMPLEMENTED};

/// `proxy_redis_init` and `proxy_redis_call`: unmodelled.
pub(super) fn redis(caller: &mut Caller<'_, HostState>, f: HostFn) -> u32 {
    let name = if f == HostFn::RedisInit {
        "proxy_redis_init"
    } else {
        "proxy_redis_call"
    };
    unmodelled(
        caller,
        name,
        "Redis calls need a Redis upstream",
        UNIMPLEMENTED,
    )
}

/// `proxy_inject_encoded_data_to_filter_chain`: recorded, then Ok.
pub(super) fn inject_encoded_data(
    caller: &mut Caller<'_, HostState>,
    a: &Args<'_>,
    rec: &mut Record,
) -> HostResult<u32> {
    let data = read(caller, a.u32(0), a.u32(1))?;
    rec.arg("data", text(&data));
    rec.arg("end_of_stream", a.u32(2) != 0);
    Ok(OK)
}

/// `proxy_set_upstream_override_host`: recorded, then Ok.
pub(super) fn set_upstream_override_host(
    caller: &mut Caller<'_, HostState>,
    a: &Args<'_>,
    rec: &mut Record,
) -> HostResult<u32> {
    let host = read(caller, a.u32(0), a.u32(1))?;
    rec.arg("host", text(&host));
    Ok(OK)
}

/// `proxy_get_upstream_hosts`: unmodelled.
pub(super) fn get_upstream_hosts(caller: &mut Caller<'_, HostState>) -> u32 {
    unmodelled(
        caller,
        "proxy_get_upstream_hosts",
        "upstream hosts come from the gateway's clusters",
        UNIMPLEMENTED,
    )
}
