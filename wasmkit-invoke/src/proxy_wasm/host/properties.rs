//! Properties: `proxy_get_property` answers what the plugin set on the
//! stream, then the run's own properties (the plan's, which add to or
//! override the host's), then the attributes Envoy knows
//! ([`attributes`](super::attributes)); `proxy_set_property` stores a value
//! on the stream (Envoy's filter state, `Context::setProperty`), which the
//! root context has none of.

use serde_json::Value;
use wasmtime::Caller;

use super::Args;
use super::memory::{HostResult, give, read};
use super::record::{Record, text};
use super::state::HostState;
use crate::proxy_wasm::abi::status::{INTERNAL_FAILURE, NOT_FOUND, OK};

/// Property reads kept for hints.
const MAX_PROPERTY_READS: usize = 64;

/// `proxy_set_property`: only a stream context has properties to set.
pub(super) fn set(
    caller: &mut Caller<'_, HostState>,
    a: &Args<'_>,
    rec: &mut Record,
) -> HostResult<u32> {
    let path = read(caller, a.u32(0), a.u32(1))?;
    let value = read(caller, a.u32(2), a.u32(3))?;
    rec.arg("path", property_path_json(&path));
    rec.arg("value", text(&value));
    let state = caller.data_mut();
    if !state.in_stream() {
        return Ok(NOT_FOUND);
    }
    if !state.keep(path.len() + value.len()) {
        return Ok(INTERNAL_FAILURE);
    }
    state.properties.insert(path, value);
    Ok(OK)
}

/// `proxy_get_property`.
pub(super) fn get(
    caller: &mut Caller<'_, HostState>,
    a: &Args<'_>,
    rec: &mut Record,
) -> HostResult<u32> {
    let path = read(caller, a.u32(0), a.u32(1))?;
    rec.arg("path", property_path_json(&path));
    let state = caller.data_mut();
    let segments = property_segments(&path);
    let value = match state.properties.get(&path) {
        Some(v) if state.in_stream() => Some(v.clone()),
        _ => segments.as_ref().and_then(|segments| {
            state
                .plan
                .properties
                .iter()
                .find(|(p, _)| p.iter().map(String::as_str).eq(segments.iter().copied()))
                .map(|(_, v)| v.clone())
                .or_else(|| state.attribute(segments))
        }),
    };
    if state.property_reads.len() < MAX_PROPERTY_READS {
        let name = segments.map_or_else(
            || String::from_utf8_lossy(&path).into_owned(),
            |s| s.join("."),
        );
        state.property_reads.push((name, value.clone()));
    }
    let Some(value) = value else {
        return Ok(NOT_FOUND);
    };
    rec.returned = Some(text(&value));
    give(caller, &value, a.u32(2), a.u32(3))?;
    Ok(OK)
}

/// A property path as the SDKs encode it: segments separated by NUL bytes
/// (the Rust SDK also ends it with one).
fn property_segments(path: &[u8]) -> Option<Vec<&str>> {
    let path = path.strip_suffix(b"\0").unwrap_or(path);
    path.split(|&b| b == 0)
        .map(|s| std::str::from_utf8(s).ok())
        .collect()
}

fn property_path_json(path: &[u8]) -> Value {
    let path = path.strip_suffix(b"\0").unwrap_or(path);
    Value::Array(path.split(|&b| b == 0).map(text).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn property_paths() {
        assert_eq!(
            property_segments(b"request\0path\0"),
            Some(vec!["request", "path"])
        );
        assert_eq!(property_segments(b"plugin_name"), Some(vec!["plugin_name"]));
        assert_eq!(property_segments(b"\xff"), None);
    }
}
