//! Calls about the plugin's VM rather than a stream or a callout: logging
//! and the log level, the clock and the tick period, and foreign
//! functions.

use serde_json::json;
use wasmtime::Caller;

use super::Args;
use super::memory::{HostResult, read, write_u32, write_u64};
use super::record::{MAX_TEXT, Record, capped, text, unmodelled};
use super::state::HostState;
use crate::proxy_wasm::abi::status::{BAD_ARGUMENT, NOT_FOUND, OK};
use crate::proxy_wasm::report::{LogLevel, LogSource};

/// `proxy_log`.
pub(super) fn log(
    caller: &mut Caller<'_, HostState>,
    a: &Args<'_>,
    rec: &mut Record,
) -> HostResult<u32> {
    let level = a.u32(0);
    rec.arg(
        "level",
        LogLevel::from_u32(level).map_or_else(|| json!(level), |l| json!(l.as_str())),
    );
    let Some(level) = LogLevel::from_u32(level) else {
        return Ok(BAD_ARGUMENT);
    };
    let message = read(caller, a.u32(1), a.u32(2))?;
    rec.arg("message", text(&message));
    caller
        .data_mut()
        .push_log(level, &message, LogSource::ProxyLog);
    Ok(OK)
}

/// `proxy_get_log_level`.
pub(super) fn get_log_level(
    caller: &mut Caller<'_, HostState>,
    a: &Args<'_>,
    rec: &mut Record,
) -> HostResult<u32> {
    // Envoy's default level for Wasm logs: info.
    write_u32(caller, a.u32(0), 2)?;
    rec.returned = Some(json!("info"));
    Ok(OK)
}

/// `proxy_get_current_time_nanoseconds`.
pub(super) fn get_current_time(
    caller: &mut Caller<'_, HostState>,
    a: &Args<'_>,
    rec: &mut Record,
) -> HostResult<u32> {
    // The run's clock: the time it started plus virtual time, so that
    // ticks advance it.
    let now = caller.data().wall_ns();
    rec.returned = Some(json!(now));
    write_u64(caller, a.u32(0), now)?;
    Ok(OK)
}

/// `proxy_set_tick_period_milliseconds`: the driver ticks a plugin that
/// set a period, in virtual time (cpp-host `ContextBase::setTimerPeriod`
/// sets the root context's timer, whichever context calls).
pub(super) fn set_tick_period(
    caller: &mut Caller<'_, HostState>,
    a: &Args<'_>,
    rec: &mut Record,
) -> u32 {
    let period = a.u32(0);
    rec.arg("period_ms", period);
    caller.data_mut().tick_period_ms = period;
    OK
}

/// `proxy_call_foreign_function`: unmodelled.
pub(super) fn call_foreign_function(
    caller: &mut Caller<'_, HostState>,
    a: &Args<'_>,
    rec: &mut Record,
) -> HostResult<u32> {
    let name = read(caller, a.u32(0), a.u32(1))?;
    let arguments = read(caller, a.u32(2), a.u32(3))?;
    rec.arg("name", text(&name));
    rec.arg("arguments", text(&arguments));
    let name = capped(&name, MAX_TEXT);
    Ok(unmodelled(
        caller,
        &format!("proxy_call_foreign_function(\"{name}\")"),
        "foreign functions are host-specific; an unregistered name is NotFound in the host too",
        NOT_FOUND,
    ))
}
