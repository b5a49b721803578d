//! The attributes Envoy serves through `proxy_get_property`
//! (`Context::getProperty` → `Context::findValue` →
//! `StreamActivation::FindValue`, `source/extensions/filters/common/expr/
//! context.cc`), encoded as `serializeValue` encodes them: strings as their
//! bytes, integers and timestamps as 8 bytes little-endian, booleans as one
//! byte, maps as the ABI's pair encoding, messages as protobuf bytes.
//!
//! `request.*`, `response.*`, `source.*`, `destination.*`, `connection.*`
//! and `upstream.*` need the stream's info, so the root context gets none;
//! request and response values read the header maps Envoy holds (or, in
//! `proxy_on_log`, the access log's). Current Envoy serves the xDS values
//! under `xds.*`; Higress's Envoy still serves them at the top level
//! (`node`, `cluster_name`, `route_name`, as its SDK's test host sets
//! them).

use super::headers::{HeaderMap, header_value, serialize_pairs};
use super::state::HostState;
use crate::proxy_wasm::abi::Host;
use crate::proxy_wasm::plan::PluginKind;

/// The mock's addresses and names.
pub(super) const SOURCE: (&str, i64) = ("127.0.0.1:53142", 53142);
pub(super) const DESTINATION: (&str, i64) = ("127.0.0.1:10000", 10000);
pub(super) const UPSTREAM: (&str, i64) = ("127.0.0.1:8080", 8080);
pub(super) const CLUSTER_NAME: &str = "upstream";
pub(super) const ROUTE_NAME: &str = "route";
pub(super) const NODE_ID: &str = "wasmkit";
pub(super) const CONNECTION_ID: u64 = 1;

fn int(v: i64) -> Vec<u8> {
    v.to_le_bytes().to_vec()
}

/// The local node, as `envoy.config.core.v3.Node` bytes: `id` (field 1)
/// and `cluster` (field 2).
fn node() -> Vec<u8> {
    let mut out = Vec::new();
    for (field, value) in [(1u8, NODE_ID), (2, NODE_ID)] {
        out.push(field << 3 | 2);
        out.push(value.len() as u8);
        out.extend_from_slice(value.as_bytes());
    }
    out
}

impl HostState {
    /// An attribute Envoy knows, by path; `None` is NotFound.
    pub(super) fn attribute(&self, path: &[&str]) -> Option<Vec<u8>> {
        let plan = &self.plan;
        let stream = self.in_stream();
        let http = stream && plan.kind == PluginKind::Http;
        let higress = self.host == Host::Higress;
        match path {
            ["plugin_name"] => Some(plan.plugin_name.as_bytes().to_vec()),
            ["plugin_root_id"] => Some(plan.root_id.as_bytes().to_vec()),
            ["plugin_vm_id"] => Some(plan.vm_id.as_bytes().to_vec()),
            ["connection_id"] if stream => Some(CONNECTION_ID.to_le_bytes().to_vec()),
            ["xds", "node"] if !higress => Some(node()),
            ["xds", field] if !higress && http => self.xds(field),
            ["node"] if higress => Some(node()),
            [field @ ("cluster_name" | "route_name")] if higress && http => self.xds(field),
            ["request", field] if http => self.request_attribute(field),
            ["response", field] if http => self.response_attribute(field),
            ["source", field] if stream => peer(SOURCE, field),
            ["destination", field] if stream => peer(DESTINATION, field),
            ["connection", field] if stream => match *field {
                "id" => Some(CONNECTION_ID.to_le_bytes().to_vec()),
                "mtls" => Some(vec![0]),
                "requested_server_name" => Some(Vec::new()),
                _ => None,
            },
            ["upstream", field] if http && self.stream.request.headers_sent => match *field {
                "address" | "port" => peer(UPSTREAM, field),
                "request_attempt_count" => Some(1u64.to_le_bytes().to_vec()),
                _ => None,
            },
            _ => None,
        }
    }

    fn xds(&self, field: &str) -> Option<Vec<u8>> {
        match field {
            "cluster_name" => Some(CLUSTER_NAME.as_bytes().to_vec()),
            "route_name" => Some(ROUTE_NAME.as_bytes().to_vec()),
            _ => None,
        }
    }

    /// The request headers the attributes read (`activation_request_headers_`).
    fn attribute_headers(&self, response: bool) -> Option<&HeaderMap> {
        let half = self.stream.half(response);
        if half.headers_held || self.stream.access_log {
            half.headers.as_ref()
        } else {
            None
        }
    }

    fn request_attribute(&self, field: &str) -> Option<Vec<u8>> {
        let headers = self.attribute_headers(false);
        let header = |name: &str| header_value(headers?, name.as_bytes());
        let path = || header(":path");
        let body = self.stream.request.body.total().len() as i64;
        match field {
            "path" => path(),
            "url_path" => path().map(|p| {
                let end = p.iter().position(|&b| b == b'?').unwrap_or(p.len());
                p[..end].to_vec()
            }),
            "query" => path().map(|p| match p.iter().position(|&b| b == b'?') {
                Some(q) => {
                    let rest = &p[q + 1..];
                    let end = rest.iter().position(|&b| b == b'#').unwrap_or(rest.len());
                    rest[..end].to_vec()
                }
                None => Vec::new(),
            }),
            "host" => header(":authority"),
            "method" => header(":method"),
            "scheme" => header(":scheme"),
            "id" => header("x-request-id"),
            "referer" => header("referer"),
            "useragent" => header("user-agent"),
            "headers" => Some(serialize_pairs(headers.map_or(&Vec::new(), |h| h))),
            "protocol" => Some(b"HTTP/1.1".to_vec()),
            "time" => Some(int(self.wall_base_ns as i64)),
            "size" => match header("content-length") {
                Some(v) => std::str::from_utf8(&v).ok()?.parse::<i64>().ok().map(int),
                None => Some(int(body)),
            },
            "total_size" => Some(int(body + byte_size(headers))),
            "duration" if self.stream.access_log => Some(int(self.now_ms as i64 * 1_000_000)),
            _ => None,
        }
    }

    fn response_attribute(&self, field: &str) -> Option<Vec<u8>> {
        let response = &self.stream.response;
        let headers = self.attribute_headers(true);
        let sent = response.body.total().len() as i64;
        // The response code is known once the response headers arrived.
        let code = || {
            let status = header_value(response.headers.as_ref()?, b":status")?;
            std::str::from_utf8(&status).ok()?.parse::<i64>().ok()
        };
        match field {
            "code" => code().map(int),
            "code_details" if response.headers.is_some() => {
                Some(self.stream.response_details.as_bytes().to_vec())
            }
            "flags" => Some(int(0)),
            "headers" => Some(serialize_pairs(headers.map_or(&Vec::new(), |h| h))),
            "trailers" => Some(serialize_pairs(
                response.trailers.as_ref().map_or(&Vec::new(), |t| t),
            )),
            "size" => Some(int(sent)),
            "total_size" => Some(int(sent
                + byte_size(headers)
                + byte_size(response.trailers.as_ref()))),
            _ => None,
        }
    }
}

/// `HeaderMap::byteSize`: the keys' and values' lengths.
fn byte_size(map: Option<&HeaderMap>) -> i64 {
    map.map_or(0, |m| {
        m.iter().map(|(k, v)| (k.len() + v.len()) as i64).sum()
    })
}

fn peer((address, port): (&str, i64), field: &str) -> Option<Vec<u8>> {
    match field {
        "address" => Some(address.as_bytes().to_vec()),
        "port" => Some(int(port)),
        _ => None,
    }
}
