//! Higress's extensions, for 0.2.1 and 0.2.100 modules (Higress's
//! proxy-wasm-cpp-host fork, `src/exports.cc`, and its Envoy patch
//! `envoy/1.20/patches/envoy/20240519-wasm-upgrade.patch`): Redis calls
//! answered from the plan (`Context::redisInit`, `redisCall`: an unknown
//! cluster is BadArgument; the answer arrives as
//! `proxy_on_redis_call_response` with the RESP bytes in buffer 9, or a
//! network error), injecting response data into the filter chain, and
//! choosing the upstream host.

use serde_json::json;
use wasmtime::Caller;

use super::Args;
use super::memory::{HostResult, read, write_u32};
use super::record::{MAX_TEXT, Record, capped, text, unmodelled};
use super::state::HostState;
use crate::proxy_wasm::abi::status::{BAD_ARGUMENT, OK, UNIMPLEMENTED};
use crate::proxy_wasm::plan::RedisAnswer;
use crate::proxy_wasm::report::CalloutRecord;

/// A Redis call waiting for its answer.
#[derive(Clone, Debug)]
pub(crate) struct RedisCall {
    pub(crate) token: u32,
    pub(crate) answer: RedisAnswer,
}

/// `proxy_redis_init(cluster, username, password, timeout)`.
pub(super) fn redis_init(
    caller: &mut Caller<'_, HostState>,
    a: &Args<'_>,
    rec: &mut Record,
) -> HostResult<u32> {
    let cluster = read(caller, a.u32(0), a.u32(1))?;
    let username = read(caller, a.u32(2), a.u32(3))?;
    read(caller, a.u32(4), a.u32(5))?;
    rec.arg("cluster", text(&cluster));
    rec.arg("username", text(&username));
    rec.arg("timeout_ms", a.u32(6));
    let cluster = capped(&cluster, MAX_TEXT);
    Ok(if caller.data().plan.redis.contains_key(&cluster) {
        OK
    } else {
        BAD_ARGUMENT
    })
}

/// `proxy_redis_call(cluster, query, token_ptr)`.
pub(super) fn redis_call(
    caller: &mut Caller<'_, HostState>,
    a: &Args<'_>,
    rec: &mut Record,
) -> HostResult<u32> {
    let cluster = read(caller, a.u32(0), a.u32(1))?;
    let query = read(caller, a.u32(2), a.u32(3))?;
    rec.arg("cluster", text(&cluster));
    rec.arg("query", text(&query));
    // The host writes the token slot first to check it.
    write_u32(caller, a.u32(4), 0)?;
    let cluster = capped(&cluster, MAX_TEXT);
    let state = caller.data_mut();
    let mut record = CalloutRecord {
        kind: "redis",
        cluster: cluster.clone(),
        headers: Vec::new(),
        body: capped(&query, MAX_TEXT),
        token: None,
        answer: String::new(),
    };
    let Some(answer) = state.plan.redis.get(&cluster).cloned() else {
        record.answer = "refused: unknown cluster".into();
        state.record_callout(record);
        return Ok(BAD_ARGUMENT);
    };
    state.next_redis_call = state.next_redis_call.wrapping_add(4);
    let token = state.next_redis_call;
    record.token = Some(token);
    record.answer = match &answer {
        RedisAnswer::Response(bytes) => capped(bytes, MAX_TEXT),
        RedisAnswer::NetworkError => "network error".into(),
    };
    state.record_callout(record);
    state.signals.redis.push_back(RedisCall { token, answer });
    rec.returned = Some(json!({ "token": token }));
    write_u32(caller, a.u32(4), token)?;
    Ok(OK)
}

/// `proxy_inject_encoded_data_to_filter_chain`: Higress's Envoy hands the
/// data to the encoder filters after this one, towards the client.
pub(super) fn inject_encoded_data(
    caller: &mut Caller<'_, HostState>,
    a: &Args<'_>,
    rec: &mut Record,
) -> HostResult<u32> {
    let data = read(caller, a.u32(0), a.u32(1))?;
    rec.arg("data", text(&data));
    rec.arg("end_of_stream", a.u32(2) != 0);
    let state = caller.data_mut();
    if state.in_stream() && state.keep(data.len()) {
        state.stream.response.body.passed.extend_from_slice(&data);
    }
    Ok(OK)
}

/// `proxy_set_upstream_override_host`: the host the router sends this
/// request to.
pub(super) fn set_upstream_override_host(
    caller: &mut Caller<'_, HostState>,
    a: &Args<'_>,
    rec: &mut Record,
) -> HostResult<u32> {
    let host = read(caller, a.u32(0), a.u32(1))?;
    rec.arg("host", text(&host));
    let state = caller.data_mut();
    if state.in_stream() {
        state.stream.upstream_override_host = Some(host);
    }
    Ok(OK)
}

/// `proxy_get_upstream_hosts`: the gateway's hosts of the route's cluster,
/// which a run does not describe.
pub(super) fn get_upstream_hosts(caller: &mut Caller<'_, HostState>) -> u32 {
    unmodelled(
        caller,
        "proxy_get_upstream_hosts",
        "upstream hosts come from the gateway's clusters, which a run does not describe",
        UNIMPLEMENTED,
    )
}
