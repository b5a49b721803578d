//! Metrics: counters, gauges and histograms the plugin defines, and their
//! values, with Envoy's checks on the arguments (`Context::defineMetric`:
//! a type past Histogram is BadArgument; `incrementMetric`: a counter takes
//! only a positive offset, a histogram none; `recordMetric`: any type;
//! `getMetric`: not a histogram). Every definition gets a new id — the
//! type in its low two bits, stepping by 4 per type (cpp-host
//! `WasmBase::nextCounterMetricId`) — and the same name and type name the
//! same stat.

use std::collections::BTreeMap;

use serde_json::json;
use wasmtime::Caller;

use super::Args;
use super::memory::{HostResult, read, write_u32, write_u64};
use super::record::{Record, text};
use super::state::HostState;
use crate::proxy_wasm::abi::HostFn;
use crate::proxy_wasm::abi::status::{BAD_ARGUMENT, INTERNAL_FAILURE, NOT_FOUND, OK};

/// Metric definitions the mock keeps.
const MAX_METRIC_IDS: usize = 10_000;

/// One stat.
#[derive(Debug)]
struct Stat {
    /// 0 counter, 1 gauge, 2 histogram.
    kind: u32,
    name: Vec<u8>,
    value: u64,
}

/// The plugin's metrics.
#[derive(Debug, Default)]
pub(super) struct Metrics {
    stats: Vec<Stat>,
    /// Metric id to stat.
    ids: BTreeMap<u32, usize>,
    /// The last id given per type.
    last: [u32; 3],
}

fn type_name(kind: u32) -> serde_json::Value {
    match kind {
        0 => json!("counter"),
        1 => json!("gauge"),
        2 => json!("histogram"),
        other => json!(other),
    }
}

/// `proxy_define_metric`.
pub(super) fn define(
    caller: &mut Caller<'_, HostState>,
    a: &Args<'_>,
    rec: &mut Record,
) -> HostResult<u32> {
    let kind = a.u32(0);
    let name = read(caller, a.u32(1), a.u32(2))?;
    rec.arg("type", type_name(kind));
    rec.arg("name", text(&name));
    if kind > 2 {
        return Ok(BAD_ARGUMENT);
    }
    let state = caller.data_mut();
    if state.metrics.ids.len() >= MAX_METRIC_IDS || !state.keep(name.len() + 16) {
        return Ok(INTERNAL_FAILURE);
    }
    let metrics = &mut state.metrics;
    let stat = match metrics
        .stats
        .iter()
        .position(|m| m.name == name && m.kind == kind)
    {
        Some(i) => i,
        None => {
            metrics.stats.push(Stat {
                kind,
                name,
                value: 0,
            });
            metrics.stats.len() - 1
        }
    };
    let last = &mut metrics.last[kind as usize];
    *last = last.wrapping_add(4);
    let id = *last | kind;
    metrics.ids.insert(id, stat);
    rec.returned = Some(json!(id));
    write_u32(caller, a.u32(3), id)?;
    Ok(OK)
}

/// `proxy_increment_metric`, `proxy_record_metric` and `proxy_get_metric`.
pub(super) fn use_metric(
    caller: &mut Caller<'_, HostState>,
    f: HostFn,
    a: &Args<'_>,
    rec: &mut Record,
) -> HostResult<u32> {
    let id = a.u32(0);
    rec.arg("metric_id", id);
    let kind = id & 3;
    let state = caller.data_mut();
    let stat = state
        .metrics
        .ids
        .get(&id)
        .copied()
        .and_then(|i| state.metrics.stats.get_mut(i));
    match f {
        HostFn::IncrementMetric => {
            let offset = a.i64(1);
            rec.arg("offset", offset);
            if kind > 1 {
                return Ok(BAD_ARGUMENT);
            }
            let Some(stat) = stat else {
                return Ok(NOT_FOUND);
            };
            if kind == 0 {
                if offset <= 0 {
                    return Ok(BAD_ARGUMENT);
                }
                stat.value = stat.value.wrapping_add(offset as u64);
            } else {
                stat.value = (stat.value as i64).wrapping_add(offset) as u64;
            }
            Ok(OK)
        }
        HostFn::RecordMetric => {
            let value = a.i64(1) as u64;
            rec.arg("value", value);
            let Some(stat) = stat else {
                return Ok(NOT_FOUND);
            };
            match kind {
                0 => stat.value = stat.value.wrapping_add(value),
                // A histogram keeps no single value; the last one recorded
                // stands for it here.
                _ => stat.value = value,
            }
            Ok(OK)
        }
        _ => {
            if kind > 1 {
                return Ok(BAD_ARGUMENT);
            }
            let Some(stat) = stat else {
                return Ok(NOT_FOUND);
            };
            let value = stat.value;
            rec.returned = Some(json!(value));
            write_u64(caller, a.u32(1), value)?;
            Ok(OK)
        }
    }
}
