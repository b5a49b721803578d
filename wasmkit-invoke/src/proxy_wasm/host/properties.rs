//! Properties: the values Envoy answers from the stream and the plugin
//! (`Context::getProperty`), and those the plugin sets on the stream
//! (`proxy_get_property`, `proxy_set_property`).

use serde_json::Value;
use wasmtime::Caller;

use super::Args;
use super::headers::header_value;
use super::memory::{HostResult, give, read};
use super::record::{Record, text};
use super::state::HostState;
use crate::proxy_wasm::abi::status::{INTERNAL_FAILURE, NOT_FOUND, OK};

impl HostState {
    /// Properties Envoy answers from the stream and the plugin; values are
    /// raw bytes, integers 8-byte little-endian. Others are NotFound.
    fn builtin_property(&self, path: &[&str]) -> Option<Vec<u8>> {
        let http = self.in_http();
        let request = |name: &str| header_value(self.request_headers.as_ref()?, name.as_bytes());
        match path {
            ["plugin_name"] => Some(b"wasmkit-verify".to_vec()),
            ["plugin_root_id"] | ["plugin_vm_id"] => Some(Vec::new()),
            ["request", field] if http => match *field {
                "path" => request(":path"),
                "url_path" => request(":path").map(|p| {
                    let end = p.iter().position(|&b| b == b'?').unwrap_or(p.len());
                    p[..end].to_vec()
                }),
                "host" => request(":authority"),
                "method" => request(":method"),
                "scheme" => request(":scheme"),
                "id" => request("x-request-id"),
                "protocol" => Some(b"HTTP/1.1".to_vec()),
                _ => None,
            },
            ["response", "code"] if http => {
                let status = header_value(self.response_headers.as_ref()?, b":status")?;
                let code: i64 = std::str::from_utf8(&status).ok()?.parse().ok()?;
                Some(code.to_le_bytes().to_vec())
            }
            ["source", "address"] if http => Some(b"127.0.0.1:53142".to_vec()),
            ["destination", "address"] if http => Some(b"127.0.0.1:10000".to_vec()),
            _ => None,
        }
    }
}

/// `proxy_set_property`: only an HTTP context has properties to set.
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
    if !state.in_http() {
        return Ok(NOT_FOUND);
    }
    if !state.keep(path.len() + value.len()) {
        return Ok(INTERNAL_FAILURE);
    }
    state.properties.insert(path, value);
    Ok(OK)
}

/// `proxy_get_property`: what the plugin set, then what Envoy knows.
pub(super) fn get(
    caller: &mut Caller<'_, HostState>,
    a: &Args<'_>,
    rec: &mut Record,
) -> HostResult<u32> {
    let path = read(caller, a.u32(0), a.u32(1))?;
    rec.arg("path", property_path_json(&path));
    let state = caller.data();
    let value = match state.properties.get(&path) {
        Some(v) if state.in_http() => Some(v.clone()),
        _ => property_segments(&path).and_then(|segments| state.builtin_property(&segments)),
    };
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
