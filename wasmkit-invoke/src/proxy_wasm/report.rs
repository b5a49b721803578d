//! What verifying a proxy-wasm module found: every check, the diagnostics,
//! what became of the request, and every call the plugin made.

use serde::Serialize;
use serde_json::{Map, Value};
use wasmkit_core::Diagnostic;

/// The result of [`verify_proxy_wasm`](super::verify_proxy_wasm).
#[derive(Clone, Debug, Default, Serialize)]
pub struct ProxyWasmReport {
    /// The ABI version the module declares ("0.2.100"), as the host reads
    /// its marker; `None` without a marker.
    pub abi: Option<String>,
    /// Every check, passed or not, in the order they ran.
    pub checks: Vec<Check>,
    /// Errors and warnings, each with a stable code and help. Not
    /// serialized: the caller renders them.
    #[serde(skip)]
    pub diagnostics: Vec<Diagnostic>,
    /// What became of the request; `None` when the module never got to it
    /// (refused at load, failed to start, rejected its configuration).
    pub outcome: Option<RequestOutcome>,
    /// The request and response as they left the plugin, when a request ran.
    pub exchange: Option<HttpExchange>,
    /// The connection's data as it left the plugin, when a network filter
    /// ran.
    pub connection: Option<NetworkExchange>,
    /// Every HTTP callout the plugin made, in order, with the answer it got.
    pub callouts: Vec<CalloutRecord>,
    /// Every host call the plugin made, in order (up to a cap).
    pub host_calls: Vec<HostCall>,
    /// Host calls made past the cap and not recorded.
    pub host_calls_dropped: usize,
    /// The plugin's log lines (`proxy_log`, stdout and stderr), in order (up
    /// to a cap).
    pub logs: Vec<LogLine>,
    /// Log lines past the cap, not recorded.
    pub logs_dropped: usize,
}

impl ProxyWasmReport {
    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// The check with this name.
    pub fn check(&self, name: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.name == name)
    }

    /// The calls to one host function, in order.
    pub fn calls_to<'a>(&'a self, function: &'a str) -> impl Iterator<Item = &'a HostCall> + 'a {
        self.host_calls
            .iter()
            .filter(move |c| c.function == function)
    }
}

/// One check and its verdict.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Check {
    /// Stable name: `abi-marker`, `allocator`, `reactor`, `callbacks`,
    /// `imports`, `start`, `vm-start`, `configure`, `request`, `host-calls`.
    pub name: &'static str,
    /// Whether it passed.
    pub passed: bool,
    /// What was found.
    pub detail: String,
}

impl Check {
    /// A check with its verdict and what was found.
    pub fn new(name: &'static str, passed: bool, detail: impl Into<String>) -> Check {
        Check {
            name,
            passed,
            detail: detail.into(),
        }
    }
}

/// What became of the one request the mock host sent through the plugin.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum RequestOutcome {
    /// The request went upstream and the response reached the client.
    Completed,
    /// The plugin answered the request itself (`proxy_send_local_response`).
    LocalResponse {
        /// The HTTP status.
        status: u32,
        /// The body (lossy UTF-8, capped).
        body: String,
        /// The callback that sent it.
        at: String,
    },
    /// The request or response stopped and nothing resumed it: in a real
    /// host it hangs until a timeout.
    Stalled {
        /// The callback whose return value stopped it.
        at: String,
        /// Why, in the host's terms.
        reason: String,
    },
    /// The plugin closed the stream (`proxy_close_stream`): the client sees
    /// a reset.
    Reset {
        /// The callback that closed it.
        at: String,
    },
    /// The plugin trapped, ran out of time, or failed a host call fatally;
    /// the host fails the VM and answers 503 for this and every later
    /// request (unless the filter is configured to fail open).
    Failed {
        /// The callback that failed.
        at: String,
    },
}

/// The request as it left the plugin towards the upstream, and the
/// response as it left towards the client.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct HttpExchange {
    /// Whether the request reached the upstream (it was not answered
    /// locally, reset, failed or stalled before).
    pub reached_upstream: bool,
    /// Request trailers after the plugin's changes.
    pub request_trailers: Vec<(String, String)>,
    /// Response trailers after the plugin's changes.
    pub response_trailers: Vec<(String, String)>,
    /// Request headers after the plugin's changes.
    pub request_headers: Vec<(String, String)>,
    /// Request body after the plugin's changes (lossy UTF-8, capped).
    pub request_body: String,
    /// Response headers after the plugin's changes.
    pub response_headers: Vec<(String, String)>,
    /// Response body after the plugin's changes (lossy UTF-8, capped).
    pub response_body: String,
    /// The host Higress's router was told to use
    /// (`proxy_set_upstream_override_host`).
    pub upstream_override_host: Option<String>,
}

impl HttpExchange {
    /// The first request header with this (lowercase) name.
    pub fn request_header(&self, name: &str) -> Option<&str> {
        self.request_headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first response header with this (lowercase) name.
    pub fn response_header(&self, name: &str) -> Option<&str> {
        self.response_headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The data of a network connection as it left the plugin.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct NetworkExchange {
    /// What reached the upstream, in order (lossy UTF-8, capped).
    pub to_upstream: String,
    /// What reached the client, in order (lossy UTF-8, capped).
    pub to_downstream: String,
}

/// One callout and what became of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CalloutRecord {
    /// `http` (`proxy_http_call`), `grpc` (`proxy_grpc_call`),
    /// `grpc-stream` (`proxy_grpc_stream`) or `redis` (Higress's
    /// `proxy_redis_call`).
    pub kind: &'static str,
    /// The cluster (`upstream` argument; the gRPC service or Redis
    /// cluster).
    pub cluster: String,
    /// The request's headers as the host sends them (gRPC initial
    /// metadata).
    pub headers: Vec<(String, String)>,
    /// The request's body (the gRPC request, the Redis query; lossy UTF-8,
    /// capped).
    pub body: String,
    /// The token the host returned; `None` when it refused the call.
    pub token: Option<u32>,
    /// What the plugin got: `"200"` (the status), `"reset"`, `"timeout"`
    /// (Envoy's 504), `"grpc-status 0"`, the Redis reply, `"pending: never
    /// answered"`, or why the host refused it (`"refused: unknown
    /// cluster"`).
    pub answer: String,
}

/// One call the plugin made into the host.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HostCall {
    /// The callback (or start-up function) it was made from.
    pub callback: String,
    /// The context it acted on (the effective context, when the plugin set
    /// one).
    pub context_id: u32,
    /// The function: `proxy_get_header_map_value`, or
    /// `wasi_snapshot_preview1.fd_write` for WASI.
    pub function: String,
    /// The arguments, decoded: strings, header maps as `[name, value]`
    /// pairs, enums by name.
    pub arguments: Map<String, Value>,
    /// What the host handed back besides the status (a header value, a
    /// token), when anything.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub returned: Option<Value>,
    /// The status (proxy-wasm `WasmResult`, or a WASI errno); `None` when
    /// the call did not return (it trapped or was refused).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u32>,
    /// The status by name: `Ok`, `NotFound`, `badf`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_name: Option<&'static str>,
}

impl HostCall {
    /// A decoded argument as a string, if it is one.
    pub fn argument(&self, name: &str) -> Option<&str> {
        self.arguments.get(name).and_then(Value::as_str)
    }
}

/// A log level, as proxy-wasm numbers them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    /// 0.
    Trace,
    /// 1.
    Debug,
    /// 2.
    Info,
    /// 3.
    Warn,
    /// 4.
    Error,
    /// 5.
    Critical,
}

impl LogLevel {
    pub(crate) fn from_u32(level: u32) -> Option<LogLevel> {
        Some(match level {
            0 => LogLevel::Trace,
            1 => LogLevel::Debug,
            2 => LogLevel::Info,
            3 => LogLevel::Warn,
            4 => LogLevel::Error,
            5 => LogLevel::Critical,
            _ => return None,
        })
    }

    /// The name, lowercase.
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Trace => "trace",
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Warn => "warn",
            LogLevel::Error => "error",
            LogLevel::Critical => "critical",
        }
    }
}

/// Where a log line came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LogSource {
    /// `proxy_log`.
    ProxyLog,
    /// The guest's stdout (the host logs it at info level).
    Stdout,
    /// The guest's stderr (the host logs it at error level; a Rust panic
    /// message lands here).
    Stderr,
}

/// One line the plugin logged.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LogLine {
    /// The level.
    pub level: LogLevel,
    /// The message (lossy UTF-8, capped).
    pub message: String,
    /// The callback it was logged from.
    pub callback: String,
    /// Where it came from.
    pub source: LogSource,
}
