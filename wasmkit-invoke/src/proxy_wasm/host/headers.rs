//! Header maps: the stream's request and response headers and trailers,
//! a callout response's headers and trailers, the ABI's encoding of a map,
//! and the `proxy_*_header_map_*` functions, as Envoy's `Context` answers
//! them (`getMap`, `getConstMap`, `addHeaderMapValue`, ... in
//! `source/extensions/common/wasm/context.cc`).

use serde_json::json;
use wasmtime::Caller;

use super::Args;
use super::memory::{Fault, HostResult, fault_diagnostic, give, read, write_u32};
use super::record::{Record, pairs_json, text};
use super::state::{HostState, LateRead};
use crate::proxy_wasm::abi::status::{BAD_ARGUMENT, INTERNAL_FAILURE, NOT_FOUND, OK};
use crate::proxy_wasm::abi::{self, HostFn, ImportModule};
use wasmkit_core::{Diagnostic, codes};

/// Header pairs, in order; keys lowercase as Envoy stores them.
pub(crate) type HeaderMap = Vec<(Vec<u8>, Vec<u8>)>;

impl HostState {
    /// Header map for reading (`Context::getConstMap`): the stream's maps
    /// from its context, a callout's answer from any context while it is
    /// delivered; gRPC metadata is never held between callbacks.
    fn map(&self, map: u32) -> Option<&HeaderMap> {
        match map {
            0..=3 if self.in_stream() => self.stream.const_map(map),
            6 => self.callout_response.as_ref().map(|r| &r.headers),
            7 => self.callout_response.as_ref().map(|r| &r.trailers),
            _ => None,
        }
    }

    /// Header map for writing (`Context::getMap`): the stream's maps only.
    fn map_mut(&mut self, map: u32) -> Option<&mut HeaderMap> {
        if !self.in_stream() {
            return None;
        }
        self.stream.map_mut(map)
    }

    /// Notes a stream map asked for where Envoy holds none, with why, for
    /// the diagnostic of a plugin that then fails.
    fn late_read(&mut self, map: u32, function: &str, key: Option<&[u8]>) {
        if map > 3 || self.stream.access_log {
            return;
        }
        let name = abi::map_name(map).replace('-', " ");
        let why = if !self.in_stream() {
            format!(
                "`{}` runs in the root context, which has no {name}",
                self.callback
            )
        } else {
            let half = self.stream.half(map >= 2);
            let trailers = map == 1 || map == 3;
            match (&half.headers, &half.dropped_by) {
                (Some(_), Some(by)) if !trailers => {
                    format!("Envoy dropped the {name} when {by}")
                }
                (None, _) if !trailers => format!("the {name} have not arrived yet"),
                _ if trailers => format!(
                    "there are no {name} here: Envoy holds them only while their callback runs, or creates them in the last body callback"
                ),
                _ => format!("Envoy does not hold the {name} here"),
            }
        };
        let what = match key {
            Some(key) => format!("`{}` from the {name}", String::from_utf8_lossy(key)),
            None => format!("the {name}"),
        };
        let read = LateRead {
            callback: self.callback,
            function: function.to_string(),
            what,
            why,
        };
        if self.late_reads.len() < 16 {
            self.late_reads.push(read.clone());
        }
        let d = Diagnostic::warning(
            codes::HOST_CALL,
            format!(
                "`{}` asked `{}` for {} where Envoy holds no such map",
                read.callback, read.function, read.what
            ),
        )
        .with_note(read.why)
        .with_help(
            "read what the plugin needs while the map is held (in Rust, copy it into a field of the HttpContext in `on_http_request_headers`) and use the copy later",
        );
        self.host_diagnostic(format!("late/{}/{function}/{map}", self.callback), d);
    }
}

/// The map type argument, recorded by name; `None` past the last type the
/// ABI defines, which the host answers with BadArgument.
fn map_type(a: &Args<'_>, rec: &mut Record) -> Option<u32> {
    let map = a.u32(0);
    rec.arg("map", abi::map_name(map));
    (map <= 7).then_some(map)
}

/// The key argument, lowercase as Envoy looks keys up, recorded.
fn key_arg(
    caller: &mut Caller<'_, HostState>,
    a: &Args<'_>,
    rec: &mut Record,
) -> HostResult<Vec<u8>> {
    let key = lowercase(&read(caller, a.u32(1), a.u32(2))?);
    rec.arg("key", text(&key));
    Ok(key)
}

/// `proxy_get_header_map_value`.
pub(super) fn get_value(
    caller: &mut Caller<'_, HostState>,
    a: &Args<'_>,
    rec: &mut Record,
) -> HostResult<u32> {
    let Some(map) = map_type(a, rec) else {
        return Ok(BAD_ARGUMENT);
    };
    let key = key_arg(caller, a, rec)?;
    let state = caller.data();
    let Some(pairs) = state.map(map) else {
        // Envoy: `Context::getHeaderMapValue`. A missing map is BadArgument,
        // except in the access-log phase (NotFound; an empty value for 0.1.0).
        if state.stream.access_log && map <= 3 {
            if state.abi.is_0_1() {
                give(caller, b"", a.u32(3), a.u32(4))?;
                return Ok(OK);
            }
            return Ok(NOT_FOUND);
        }
        caller
            .data_mut()
            .late_read(map, "proxy_get_header_map_value", Some(&key));
        return Ok(BAD_ARGUMENT);
    };
    let value = match header_value(pairs, &key) {
        Some(v) => v,
        // 0.1.0 answers an absent header with an empty value.
        None if state.abi.is_0_1() => Vec::new(),
        None => return Ok(NOT_FOUND),
    };
    rec.returned = Some(text(&value));
    give(caller, &value, a.u32(3), a.u32(4))?;
    Ok(OK)
}

/// `proxy_add_header_map_value` and `proxy_replace_header_map_value`.
pub(super) fn set_value(
    caller: &mut Caller<'_, HostState>,
    f: HostFn,
    a: &Args<'_>,
    rec: &mut Record,
) -> HostResult<u32> {
    let Some(map) = map_type(a, rec) else {
        return Ok(BAD_ARGUMENT);
    };
    let key = lowercase(&read(caller, a.u32(1), a.u32(2))?);
    let value = read(caller, a.u32(3), a.u32(4))?;
    rec.arg("key", text(&key));
    rec.arg("value", text(&value));
    let state = caller.data_mut();
    if state.map_mut(map).is_some() && !state.keep(key.len() + value.len()) {
        return Ok(INTERNAL_FAILURE);
    }
    let Some(pairs) = state.map_mut(map) else {
        let function = if f == HostFn::AddHeaderMapValue {
            "proxy_add_header_map_value"
        } else {
            "proxy_replace_header_map_value"
        };
        state.late_read(map, function, Some(&key));
        return Ok(BAD_ARGUMENT);
    };
    if f == HostFn::AddHeaderMapValue {
        pairs.push((key, value));
    } else {
        // `setCopy`: the first occurrence takes the value, the rest go.
        match pairs.iter().position(|(k, _)| *k == key) {
            Some(first) => {
                pairs[first].1 = value;
                let mut index = 0;
                pairs.retain(|(k, _)| {
                    let keep = index <= first || *k != key;
                    index += 1;
                    keep
                });
            }
            None => pairs.push((key, value)),
        }
    }
    Ok(OK)
}

/// `proxy_remove_header_map_value`.
pub(super) fn remove_value(
    caller: &mut Caller<'_, HostState>,
    a: &Args<'_>,
    rec: &mut Record,
) -> HostResult<u32> {
    let Some(map) = map_type(a, rec) else {
        return Ok(BAD_ARGUMENT);
    };
    let key = key_arg(caller, a, rec)?;
    let state = caller.data_mut();
    let Some(pairs) = state.map_mut(map) else {
        state.late_read(map, "proxy_remove_header_map_value", Some(&key));
        return Ok(BAD_ARGUMENT);
    };
    pairs.retain(|(k, _)| *k != key);
    Ok(OK)
}

/// `proxy_get_header_map_pairs`.
pub(super) fn get_pairs(
    caller: &mut Caller<'_, HostState>,
    a: &Args<'_>,
    rec: &mut Record,
) -> HostResult<u32> {
    let Some(map) = map_type(a, rec) else {
        return Ok(BAD_ARGUMENT);
    };
    // Envoy answers an unavailable map with no pairs, not an error
    // (`headerMapToPairs` of a null map).
    let pairs = match caller.data().map(map) {
        Some(pairs) => pairs.clone(),
        None => {
            caller
                .data_mut()
                .late_read(map, "proxy_get_header_map_pairs", None);
            Vec::new()
        }
    };
    rec.returned = Some(pairs_json(&pairs));
    let bytes = if pairs.is_empty() {
        Vec::new()
    } else {
        serialize_pairs(&pairs)
    };
    give(caller, &bytes, a.u32(1), a.u32(2))?;
    Ok(OK)
}

/// `proxy_set_header_map_pairs`.
pub(super) fn set_pairs(
    caller: &mut Caller<'_, HostState>,
    a: &Args<'_>,
    rec: &mut Record,
) -> HostResult<u32> {
    let Some(map) = map_type(a, rec) else {
        return Ok(BAD_ARGUMENT);
    };
    let raw = read(caller, a.u32(1), a.u32(2))?;
    let pairs = pairs_or_empty(caller, &raw, "proxy_set_header_map_pairs");
    rec.arg("pairs", pairs_json(&pairs));
    let state = caller.data_mut();
    if state.map_mut(map).is_some() && !state.keep(raw.len()) {
        return Ok(INTERNAL_FAILURE);
    }
    let Some(target) = state.map_mut(map) else {
        state.late_read(map, "proxy_set_header_map_pairs", None);
        return Ok(BAD_ARGUMENT);
    };
    *target = pairs.into_iter().map(|(k, v)| (lowercase(&k), v)).collect();
    Ok(OK)
}

/// `proxy_get_header_map_size`.
pub(super) fn get_size(
    caller: &mut Caller<'_, HostState>,
    a: &Args<'_>,
    rec: &mut Record,
) -> HostResult<u32> {
    let Some(map) = map_type(a, rec) else {
        return Ok(BAD_ARGUMENT);
    };
    // Envoy answers the map's size in bytes (`byteSize`), not its
    // number of entries.
    let state = caller.data_mut();
    let Some(pairs) = state.map_mut(map) else {
        state.late_read(map, "proxy_get_header_map_size", None);
        return Ok(BAD_ARGUMENT);
    };
    let size: usize = pairs.iter().map(|(k, v)| k.len() + v.len()).sum();
    rec.returned = Some(json!(size));
    write_u32(caller, a.u32(1), size as u32)?;
    Ok(OK)
}

/// The first value of a header.
pub(super) fn header_value(map: &HeaderMap, name: &[u8]) -> Option<Vec<u8>> {
    map.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
}

pub(super) fn lowercase(key: &[u8]) -> Vec<u8> {
    key.to_ascii_lowercase()
}

/// A map argument as the host reads it: malformed sizes make it empty
/// (`toPairs`), which the mock also reports.
pub(super) fn pairs_or_empty(
    caller: &mut Caller<'_, HostState>,
    raw: &[u8],
    function: &str,
) -> HeaderMap {
    parse_pairs(raw).unwrap_or_else(|| {
        let state = caller.data_mut();
        let d = fault_diagnostic(Fault::Pairs, state.callback, function, 0, ImportModule::Env);
        state.host_diagnostic(format!("pairs/{function}"), d);
        Vec::new()
    })
}

/// The ABI's map encoding: a u32 count, then each pair's key and value
/// lengths (u32), then each key and value followed by a NUL (`marshalPairs`).
pub(super) fn serialize_pairs(pairs: &HeaderMap) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&(pairs.len() as u32).to_le_bytes());
    for (k, v) in pairs {
        out.extend_from_slice(&(k.len() as u32).to_le_bytes());
        out.extend_from_slice(&(v.len() as u32).to_le_bytes());
    }
    for (k, v) in pairs {
        out.extend_from_slice(k);
        out.push(0);
        out.extend_from_slice(v);
        out.push(0);
    }
    out
}

/// Parses the map encoding. Fewer than four bytes is an empty map, as the
/// host reads it; `None` when the sizes run past the data (the C++ host
/// reads out of bounds there; the mock refuses).
fn parse_pairs(bytes: &[u8]) -> Option<HeaderMap> {
    if bytes.len() < 4 {
        return Some(Vec::new());
    }
    let word = |at: usize| -> Option<usize> {
        let b = bytes.get(at..at + 4)?;
        Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    };
    let count = word(0)?;
    let mut pos = count.checked_mul(8)?.checked_add(4)?;
    if pos > bytes.len() {
        return None;
    }
    let mut pairs = Vec::with_capacity(count);
    for i in 0..count {
        let key_len = word(4 + i * 8)?;
        let value_len = word(8 + i * 8)?;
        let key = bytes.get(pos..pos.checked_add(key_len)?)?;
        pos = pos.checked_add(key_len)?.checked_add(1)?;
        let value = bytes.get(pos..pos.checked_add(value_len)?)?;
        pos = pos.checked_add(value_len)?.checked_add(1)?;
        pairs.push((key.to_vec(), value.to_vec()));
    }
    Some(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_round_trip_and_refuse_overruns() {
        let pairs: HeaderMap = vec![
            (b":path".to_vec(), b"/".to_vec()),
            (b"x".to_vec(), Vec::new()),
        ];
        let bytes = serialize_pairs(&pairs);
        assert_eq!(parse_pairs(&bytes), Some(pairs));
        assert_eq!(parse_pairs(&[]), Some(Vec::new()));
        // A count that runs past the data.
        assert_eq!(parse_pairs(&[9, 0, 0, 0]), None);
        // Sizes that run past the data.
        let mut bad = bytes.clone();
        bad[4] = 200;
        assert_eq!(parse_pairs(&bad), None);
        assert_eq!(parse_pairs(&[0xff, 0xff, 0xff, 0xff, 1, 2]), None);
    }
}
