//! Metrics: counters, gauges and histograms the plugin defines, and their
//! values (`proxy_define_metric`, `proxy_increment_metric`,
//! `proxy_record_metric`, `proxy_get_metric`; Envoy's
//! `Context::defineMetric` and friends).

use serde_json::json;
use wasmtime::Caller;

use super::Args;
use super::memory::{HostResult, read, write_u32, write_u64};
use super::record::{Record, text};
use super::state::HostState;
use crate::proxy_wasm::abi::HostFn;
use crate::proxy_wasm::abi::status::{BAD_ARGUMENT, INTERNAL_FAILURE, NOT_FOUND, OK};

/// One defined metric.
#[derive(Debug)]
pub(super) struct Metric {
    /// 0 counter, 1 gauge, 2 histogram.
    kind: u32,
    name: Vec<u8>,
    value: u64,
}

/// `proxy_define_metric`: the same name and type is the same metric.
pub(super) fn define(
    caller: &mut Caller<'_, HostState>,
    a: &Args<'_>,
    rec: &mut Record,
) -> HostResult<u32> {
    let kind = a.u32(0);
    let name = read(caller, a.u32(1), a.u32(2))?;
    rec.arg(
        "type",
        match kind {
            0 => json!("counter"),
            1 => json!("gauge"),
            2 => json!("histogram"),
            other => json!(other),
        },
    );
    rec.arg("name", text(&name));
    if kind > 2 {
        return Ok(BAD_ARGUMENT);
    }
    let state = caller.data_mut();
    if !state.keep(name.len() + 16) {
        return Ok(INTERNAL_FAILURE);
    }
    let index = match state
        .metrics
        .iter()
        .position(|m| m.name == name && m.kind == kind)
    {
        Some(i) => i,
        None => {
            state.metrics.push(Metric {
                kind,
                name,
                value: 0,
            });
            state.metrics.len() - 1
        }
    };
    // The low bits carry the type, as the host's ids do.
    let Some(id) = u32::try_from(index + 1)
        .ok()
        .and_then(|n| n.checked_mul(4))
        .map(|n| n | kind)
    else {
        return Ok(INTERNAL_FAILURE);
    };
    rec.returned = Some(json!(id));
    write_u32(caller, a.u32(3), id)?;
    Ok(OK)
}

/// `proxy_increment_metric`, `proxy_record_metric` and `proxy_get_metric`
/// on a metric by id.
pub(super) fn use_metric(
    caller: &mut Caller<'_, HostState>,
    f: HostFn,
    a: &Args<'_>,
    rec: &mut Record,
) -> HostResult<u32> {
    let id = a.u32(0);
    rec.arg("metric_id", id);
    let state = caller.data_mut();
    let Some(metric) = (id >> 2)
        .checked_sub(1)
        .and_then(|i| state.metrics.get_mut(i as usize))
        .filter(|m| m.kind == id & 3)
    else {
        return Ok(NOT_FOUND);
    };
    Ok(match f {
        HostFn::IncrementMetric => {
            let offset = a.i64(1);
            rec.arg("offset", offset);
            match metric.kind {
                0 if offset >= 0 => metric.value = metric.value.wrapping_add(offset as u64),
                1 => metric.value = (metric.value as i64).wrapping_add(offset) as u64,
                _ => return Ok(BAD_ARGUMENT),
            }
            OK
        }
        HostFn::RecordMetric => {
            let value = a.i64(1) as u64;
            rec.arg("value", value);
            match metric.kind {
                0 => metric.value = metric.value.wrapping_add(value),
                _ => metric.value = value,
            }
            OK
        }
        _ => {
            if metric.kind == 2 {
                return Ok(BAD_ARGUMENT);
            }
            let value = metric.value;
            rec.returned = Some(json!(value));
            write_u64(caller, a.u32(1), value)?;
            OK
        }
    })
}
