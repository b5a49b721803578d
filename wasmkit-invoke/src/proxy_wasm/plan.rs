//! What one run of the mock host sends through a plugin: the plugin's
//! kind, its configuration and ids, the properties the host serves, the
//! ticks to deliver, and the traffic — an HTTP stream (request, the
//! upstream's response, each chunked as given), a network connection, or
//! nothing for a service — with the answers to its HTTP and gRPC callouts.
//!
//! `verify` runs [`RunPlan::verify`]; `cargo wasmkit test` builds one plan
//! per scenario and host.

use std::collections::BTreeMap;

use serde::Serialize;
use wasmkit_core::HostKind;

use crate::limits::Limits;

/// How the host uses the plugin: the filter chain it is configured in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PluginKind {
    /// An HTTP filter (`envoy.filters.http.wasm`): one HTTP stream.
    #[default]
    Http,
    /// A network filter (`envoy.filters.network.wasm`): one connection.
    Network,
    /// A service (`envoy.bootstrap.wasm`, a `WasmService`): start-up,
    /// configuration and ticks only, never a stream.
    Service,
}

impl PluginKind {
    /// Every kind's spelling, for diagnostics.
    pub const NAMES: &[&str] = &["http", "network", "service"];

    /// Parses `http`, `network` or `service`.
    pub fn parse(s: &str) -> Option<PluginKind> {
        match s {
            "http" => Some(PluginKind::Http),
            "network" => Some(PluginKind::Network),
            "service" => Some(PluginKind::Service),
            _ => None,
        }
    }

    /// The spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            PluginKind::Http => "http",
            PluginKind::Network => "network",
            PluginKind::Service => "service",
        }
    }
}

/// One HTTP message as it arrives at the plugin.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HttpMessage {
    /// Headers in order, pseudo-headers (`:method`, `:path`, `:authority`,
    /// `:scheme`; `:status` for a response) included; names are lowercased
    /// by the host as Envoy stores them.
    pub headers: Vec<(String, String)>,
    /// The body as the host delivers it, one `proxy_on_*_body` call per
    /// chunk, the last with `end_of_stream` (unless there are trailers). An
    /// empty list is no body (the headers end the stream); an empty chunk is
    /// delivered as an empty chunk.
    pub body: Vec<Vec<u8>>,
    /// Trailers; empty is none.
    pub trailers: Vec<(String, String)>,
}

/// The answer the mock upstream gives an HTTP callout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CalloutAnswer {
    /// A response: `:status` among the headers, then the body.
    Response {
        /// The status.
        status: u16,
        /// Headers besides `:status`.
        headers: Vec<(String, String)>,
        /// The body.
        body: Vec<u8>,
    },
    /// The connection is reset: delivered as Envoy delivers a failed
    /// callout.
    Reset,
    /// The callout's timeout expires first: delivered as Envoy delivers it.
    Timeout,
}

/// How the mock answers `proxy_http_call`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Callouts {
    /// Answers by cluster (the `upstream` argument).
    pub clusters: BTreeMap<String, CalloutAnswer>,
    /// The answer for any other cluster; `None` refuses such a callout with
    /// BadArgument, as Envoy refuses a cluster it does not know.
    pub otherwise: Option<CalloutAnswer>,
}

/// The answer to a gRPC call (`proxy_grpc_call`, or a stream's close).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GrpcAnswer {
    /// The grpc-status (0 is OK).
    pub status: u32,
    /// The response message bytes (the serialized protobuf), or the status
    /// message when `status` is not 0.
    pub message: Vec<u8>,
}

/// The answer to a Higress Redis call (`proxy_redis_call`), by cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RedisAnswer {
    /// The reply, in RESP (`+OK\r\n`, `$5\r\nhello\r\n`, ...).
    Response(Vec<u8>),
    /// The connection fails: delivered as Higress's Envoy delivers
    /// `onRedisCallFailure` (status NetworkError, `proxy_get_status`
    /// BrokenConnection "reset").
    NetworkError,
}

/// Which side closes a network connection first.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CloseFirst {
    /// The downstream (client) closes, then the upstream.
    #[default]
    Downstream,
    /// The upstream closes, then the downstream.
    Upstream,
}

/// The traffic of a network filter: data chunks each way, then the close.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NetworkTraffic {
    /// Chunks from the client, each a `proxy_on_downstream_data` call.
    pub downstream: Vec<Vec<u8>>,
    /// Chunks from the upstream, each a `proxy_on_upstream_data` call,
    /// delivered after the downstream's.
    pub upstream: Vec<Vec<u8>>,
    /// Who closes first.
    pub close_first: CloseFirst,
}

/// The host to model and its options.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HostProfile {
    /// `envoy` or `higress`.
    pub kind: HostKind,
    /// Envoy's opt-in (`allow_on_headers_stop_iteration`, Envoy 1.35+) that
    /// honours StopIteration from the headers callbacks instead of turning
    /// it into stop-all-iteration.
    pub allow_on_headers_stop_iteration: bool,
}

impl HostProfile {
    /// A host with its defaults.
    pub fn new(kind: HostKind) -> HostProfile {
        HostProfile {
            kind,
            allow_on_headers_stop_iteration: false,
        }
    }
}

/// Everything one run sends through the plugin.
#[derive(Clone, Debug)]
pub struct RunPlan {
    /// The host.
    pub host: HostProfile,
    /// How the plugin is used.
    pub kind: PluginKind,
    /// The plugin configuration (`proxy_on_configure`).
    pub plugin_config: Vec<u8>,
    /// The VM configuration (`proxy_on_vm_start`).
    pub vm_config: Vec<u8>,
    /// The plugin's root id (`root_id` in Envoy's configuration).
    pub root_id: String,
    /// The VM id (`vm_config.vm_id`).
    pub vm_id: String,
    /// The plugin's name (`name` in Envoy's configuration).
    pub plugin_name: String,
    /// Properties added to, or overriding, those the host serves; the path
    /// as its segments (`["route_name"]`, `["request", "path"]`), the value
    /// as the bytes `proxy_get_property` returns.
    pub properties: Vec<(Vec<String>, Vec<u8>)>,
    /// Ticks to deliver after start-up, in virtual time at the period the
    /// plugin set (none when it set none).
    pub ticks: u32,
    /// The HTTP stream, for [`PluginKind::Http`]: the request, and the
    /// upstream's response if the request reaches it.
    pub request: HttpMessage,
    /// The upstream's response.
    pub response: HttpMessage,
    /// The connection, for [`PluginKind::Network`].
    pub network: NetworkTraffic,
    /// Answers to HTTP callouts.
    pub callouts: Callouts,
    /// Answers to gRPC calls, by cluster (the service's `cluster_name`);
    /// a cluster not named is refused as Envoy refuses an unknown one.
    pub grpc: BTreeMap<String, GrpcAnswer>,
    /// Answers to Higress Redis calls, by cluster; a cluster not named is
    /// refused (BadArgument), as Higress refuses one it does not know.
    pub redis: BTreeMap<String, RedisAnswer>,
    /// The VM's environment variables (`vm_config.environment_variables`),
    /// which `environ_get` serves.
    pub environment: Vec<(String, String)>,
    /// Limits for every callback.
    pub limits: Limits,
}

/// The request `verify` sends: a chat-completion POST, the kind of request
/// whose JSON body AI-gateway plugins wait for.
const VERIFY_AUTHORITY: &str = "api.example.com";
const VERIFY_PATH: &str = "/v1/chat/completions";
const VERIFY_REQUEST_BODY: [&str; 3] = [
    r#"{"model":"gpt-4o-mini","messages":"#,
    r#"[{"role":"user","content":"Say hello"}],"#,
    r#""stream":false}"#,
];
const VERIFY_RESPONSE_BODY: &str = r#"{"id":"chatcmpl-wasmkit","object":"chat.completion","model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"Hello!"},"finish_reason":"stop"}]}"#;
const VERIFY_CALLOUT_BODY: &str = r#"{"ok":true,"from":"wasmkit mock upstream"}"#;

fn pairs(headers: &[(&str, &str)]) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect()
}

impl RunPlan {
    /// A plan with no traffic, no callout answers, no ticks, no
    /// configuration, empty ids, and a host's limits (5 s per callback).
    pub fn new(host: HostProfile, kind: PluginKind) -> RunPlan {
        RunPlan {
            host,
            kind,
            plugin_config: Vec::new(),
            vm_config: Vec::new(),
            root_id: String::new(),
            vm_id: String::new(),
            plugin_name: "wasmkit".to_string(),
            properties: Vec::new(),
            ticks: 0,
            request: HttpMessage::default(),
            response: HttpMessage::default(),
            network: NetworkTraffic::default(),
            callouts: Callouts::default(),
            grpc: BTreeMap::new(),
            redis: BTreeMap::new(),
            environment: Vec::new(),
            // A host gives a callback seconds, not forever.
            limits: Limits {
                timeout: Some(std::time::Duration::from_secs(5)),
                ..Limits::default()
            },
        }
    }

    /// What `verify` sends: one tick after the traffic; for an HTTP
    /// filter, a POST whose JSON body arrives in three chunks, answered 200
    /// with JSON by the upstream and by every HTTP callout; for a network
    /// filter, a request and a reply, then the client closes.
    pub fn verify(host: HostProfile, kind: PluginKind) -> RunPlan {
        let length: usize = VERIFY_REQUEST_BODY.iter().map(|c| c.len()).sum();
        let length = length.to_string();
        let response_length = VERIFY_RESPONSE_BODY.len().to_string();
        let callout_length = VERIFY_CALLOUT_BODY.len().to_string();
        let mut plan = RunPlan::new(host, kind);
        plan.ticks = 1;
        match kind {
            PluginKind::Http => {
                plan.request = HttpMessage {
                    headers: pairs(&[
                        (":authority", VERIFY_AUTHORITY),
                        (":path", VERIFY_PATH),
                        (":method", "POST"),
                        (":scheme", "http"),
                        ("content-type", "application/json"),
                        ("content-length", &length),
                        ("x-request-id", "4f6c2a7e-0c1d-4d7b-9a51-wasmkit00001"),
                    ]),
                    body: VERIFY_REQUEST_BODY
                        .iter()
                        .map(|c| c.as_bytes().to_vec())
                        .collect(),
                    trailers: Vec::new(),
                };
                plan.response = HttpMessage {
                    headers: pairs(&[
                        (":status", "200"),
                        ("content-type", "application/json"),
                        ("content-length", &response_length),
                    ]),
                    body: vec![VERIFY_RESPONSE_BODY.as_bytes().to_vec()],
                    trailers: Vec::new(),
                };
            }
            PluginKind::Network => {
                plan.network = NetworkTraffic {
                    downstream: vec![b"PING wasmkit\r\n".to_vec()],
                    upstream: vec![b"PONG wasmkit\r\n".to_vec()],
                    close_first: CloseFirst::Downstream,
                };
            }
            PluginKind::Service => {}
        }
        plan.callouts.otherwise = Some(CalloutAnswer::Response {
            status: 200,
            headers: pairs(&[
                ("content-type", "application/json"),
                ("content-length", &callout_length),
            ]),
            body: VERIFY_CALLOUT_BODY.as_bytes().to_vec(),
        });
        plan
    }
}
